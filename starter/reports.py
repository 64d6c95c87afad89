"""The timeliness reports as the admin tool and ``cpj report`` show them: a year's figures, chosen by authority and team.

Read from the journeys' facts in the records database (``activities.case_facts``), never from Temporal;
counted by ``domain.reports``. The CSV is one line per authority, team, month and measure.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from domain.calendar import FIRST_YEAR, LAST_YEAR
from domain.reports import MEASURES, MONTHS, Counted, Figure, Measure, by_month, by_team, counted, rows, total

__all__ = ["FIRST_YEAR", "LAST_YEAR", "Chart", "Timeliness", "authorities", "csv_text", "teams_of", "timeliness"]

#: The chart's drawing area (SVG user units): bars rise from ``BASE`` to at most ``TOP``.
WIDTH, LEFT, RIGHT, TOP, BASE = 640, 44, 630, 16, 196


@dataclass(frozen=True)
class Bar:
    """One month's bar: where it is drawn and what it says."""

    month: str
    x: float
    width: float
    y: float
    height: float
    label: str
    figure: Figure


@dataclass(frozen=True)
class Chart:
    """A measure's year: twelve months' figures, the bars that draw them, and the year's total."""

    measure: Measure
    months: list[Figure]
    year_total: Figure

    @property
    def bars(self) -> list[Bar]:
        slot = (RIGHT - LEFT) / len(MONTHS)
        drawn = []
        for index, figure in enumerate(self.months):
            share = (figure.percentage or 0) / 100
            height = round(share * (BASE - TOP), 1)
            drawn.append(Bar(month=MONTHS[index][:3], x=round(LEFT + index * slot + slot * 0.15, 1),
                             width=round(slot * 0.7, 1), y=round(BASE - height, 1), height=height,
                             label=figure.percentage_words if figure.denominator else "–", figure=figure))
        return drawn

    @property
    def description(self) -> str:
        """What the chart shows, in words (its SVG ``<desc>``)."""
        shown = [f"{MONTHS[index]} {figure.numerator} of {figure.denominator} ({figure.percentage_words})"
                 for index, figure in enumerate(self.months) if figure.denominator]
        months = "; ".join(shown) if shown else "nothing to count in any month"
        return (f"Bars per month: the percentage of {self.measure.of}, {self.measure.counts}. {months}. "
                f"The year: {self.year_total.numerator} of {self.year_total.denominator} "
                f"({self.year_total.percentage_words}).")


@dataclass(frozen=True)
class Timeliness:
    """A year's figures for the authority and team chosen (all of them where none is)."""

    year: int
    authority: str | None
    team: str | None
    entries: list[Counted]

    @property
    def charts(self) -> list[Chart]:
        months = by_month(self.entries)
        return [Chart(measure, months[measure.key], total(months[measure.key])) for measure in MEASURES]

    @property
    def teams(self) -> list[tuple[str, str, dict[str, Figure]]]:
        return by_team(self.entries)


def authorities() -> list[tuple[str, str]]:
    """Every shipped profile, as (profile id, the authority's name)."""
    from shipped.profiles import load_profile, profile_ids

    return [(profile_id, load_profile(profile_id).authority) for profile_id in profile_ids()]


def teams_of(engine: Engine, profile_id: str | None = None) -> list[str]:
    """The teams the records name (of one authority's profile, if given), in order."""
    from activities.case_facts import read_facts

    return sorted({facts.team for facts in read_facts(engine, profile_id=profile_id) if facts.team})


def timeliness(engine: Engine, year: int, authority: str | None = None, team: str | None = None) -> Timeliness:
    """The year's figures from the journeys' facts, of one authority's profile and one team if given."""
    import shipped  # noqa: F401  (registers the released profiles: each journey's closure days)
    from activities.case_facts import read_facts

    journeys = read_facts(engine, profile_id=authority or None, team=team or None)
    return Timeliness(year=year, authority=authority or None, team=team or None, entries=counted(journeys, year))


CSV_COLUMNS = ("authority", "team", "month", "measure", "measure_words", "numerator", "denominator", "percentage")


def csv_text(report: Timeliness) -> str:
    """The figures per authority, team, month and measure, as CSV (months with nothing to count left out)."""
    words = {measure.key: measure.title for measure in MEASURES}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows(report.entries):
        share = row.figure.percentage
        writer.writerow([_cell(row.authority), _cell(row.team), f"{row.month:%Y-%m}", row.measure, words[row.measure],
                         row.figure.numerator, row.figure.denominator, "" if share is None else f"{share:.1f}"])
    return out.getvalue()


def _cell(text: str) -> str:
    # A team is named by whoever names it: one starting like a formula must not run in a spreadsheet.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def month_words(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"
