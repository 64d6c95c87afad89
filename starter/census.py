"""The census extract from the records: the journeys' facts (the read model) made into one authority's return.

Shared by ``cpj census`` and the admin tool's ``/census``. The facts are read from the records database
(``activities.case_facts.read_facts``), never from Temporal; the rules count England's working days by the
newest shipped calendar (the DfE's 15 working days know nothing of an authority's own closure days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from domain.census import LA_NUMBERS, Census, CensusYear, build_census, census_xml_text, children_from_facts
from domain.deadlines import calendar_for

#: The census years one may ask for: the DfE's collection began in its present form with 2009-10's.
FIRST_YEAR, LAST_YEAR = 2010, 2100


class CensusRefused(ValueError):
    """The extract cannot be made as asked (several authorities and none chosen, one with no DfE number)."""


@dataclass(frozen=True)
class Extract:
    """One authority's return for a year, with the header's local authority number."""

    profile_id: str
    authority: str
    la_number: str
    census: Census

    def xml(self, now: datetime | None = None) -> str:
        generated = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")
        return census_xml_text(self.census, la_number=self.la_number, generated_at=generated)

    @property
    def file_name(self) -> str:
        return f"cin-census-{self.census.year.year}-{self.la_number}.xml"


def census_authorities() -> list[tuple[str, str]]:
    """The profiles whose authority has a DfE number, as (profile id, authority name): those that can make a return."""
    from shipped.profiles import load_profile, profile_ids

    found = []
    for profile_id in profile_ids():
        authority = load_profile(profile_id).authority
        if authority in LA_NUMBERS:
            found.append((profile_id, authority))
    return found


def make_extract(engine: Engine, year: int, profile_id: str | None = None) -> Extract:
    """The return for ``year`` (the year its 31 March falls in) of one authority's journeys.

    Without ``profile_id`` the records must hold one authority's journeys only: a return is one authority's.
    """
    from activities.case_facts import read_facts
    from shipped.calendars import latest_version

    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CensusRefused(f"{year} is not a census year: give the year its 31 March falls in, e.g. 2026 for "
                            "1 April 2025 to 31 March 2026")
    authorities = dict(census_authorities())
    if profile_id is None:
        recorded = sorted({facts.profile_id for facts in read_facts(engine) if facts.profile_id})
        if len(recorded) != 1:
            choices = ", ".join(recorded or sorted(authorities))
            raise CensusRefused(f"a return is one authority's: choose one ({choices})")
        profile_id = recorded[0]
    if profile_id not in authorities:
        raise CensusRefused(f"{profile_id} is not an authority with a DfE local authority number here "
                            f"(these are: {', '.join(sorted(authorities))})")
    calendar = calendar_for(latest_version())
    census = build_census(authorities[profile_id], CensusYear(year),
                          children_from_facts(read_facts(engine, profile_id=profile_id)), calendar.add_working_days)
    return Extract(profile_id=profile_id, authority=authorities[profile_id],
                   la_number=LA_NUMBERS[authorities[profile_id]], census=census)
