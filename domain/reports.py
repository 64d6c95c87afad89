"""The timeliness figures: per authority, team and month, each a numerator, a denominator and a percentage.

Pure: counted from journeys' facts (``domain.case_facts``), never from Temporal, with the journey's own
calendar (England's bank holidays by the calendar version it last counted with, and the authority's
closure days): "within 15 working days" is the 15th working day after the day it counts from,
that day itself being day 0 (``domain.calendar``), as the journey counts its deadlines.

What each figure counts, and the month it counts in:

* ICPCs within 15 working days of the strategy discussion: ICPCs held in the month after a section 47
  enquiry, counted from the journey's first strategy discussion (Working Together 2023's measure where
  only one was held; where a later discussion initiated the enquiry, the child's whole wait).
* ICPCs within 15 working days of the start of the section 47 enquiry: the DfE's national figure, counted
  from the discussion that initiated the enquiry (the census's ``S47ActualStartDate``).
* Reviews within timescale, visits and core groups on time: each one that fell due. One done on time counts in the month it
  was done; one missed or late counts in the month its due day passed (its overdue record's day), once,
  however late it was made up. "On time" is the journey's own decision, by its profile's rules.
* Plans lasting 2 years or more: plans ended in the month, of which those that lasted 2 years or more
  (ended on or after the same day two calendar years after they began).
* Second or later plans: plans started in the month, of which those with a plan before them.

Transfers in and imported cases have no section 47 start here: they count in the plans' figures only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from domain.calendar import WorkingDayCalendar, add_months
from domain.case_facts import JourneyFacts

#: Working days to an ICPC, as Working Together 2023 and the national statistics count it.
ICPC_WORKING_DAYS = 15
#: A plan lasting this many months or more is a long plan (the DfE's "2 years or more").
LONG_PLAN_MONTHS = 24
NO_TEAM = "No team named"
UNKNOWN_AUTHORITY = "Authority not known"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass(frozen=True)
class Measure:
    """One figure: its key (CSV's column), its words, and what is counted over what."""

    key: str
    title: str
    counts: str
    of: str


MEASURES: tuple[Measure, ...] = (
    Measure("icpc_from_strategy_discussion", "ICPCs within 15 working days of the strategy discussion",
            "within 15 working days of the first strategy discussion", "ICPCs held"),
    Measure("icpc_from_section_47_start", "ICPCs within 15 working days of the start of the section 47 enquiry",
            "within 15 working days of the section 47 start", "ICPCs held"),
    Measure("reviews_on_time", "Review conferences within timescale", "on time", "reviews due or held"),
    Measure("visits_on_time", "Lead social worker visits on time", "on time", "visits due or made"),
    Measure("core_groups_on_time", "Core group meetings on time", "on time", "core groups due or held"),
    Measure("plans_two_years_or_more", "Plans lasting 2 years or more", "lasted 2 years or more", "plans ended"),
    Measure("second_or_later_plans", "Second or later plans", "a second or later plan", "plans started"),
)
MEASURE = {measure.key: measure for measure in MEASURES}


@dataclass(frozen=True)
class Figure:
    """How many counted (numerator) of how many there were (denominator)."""

    numerator: int = 0
    denominator: int = 0

    @property
    def percentage(self) -> float | None:
        """Of 100, or None when there was nothing to count."""
        return None if self.denominator == 0 else 100 * self.numerator / self.denominator

    @property
    def percentage_words(self) -> str:
        """"81%" (to the nearest whole), or "none due" when there was nothing to count."""
        return "none" if self.percentage is None else f"{round(self.percentage)}%"

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.numerator + other.numerator, self.denominator + other.denominator)


@dataclass(frozen=True)
class Counted:
    """One thing counted: a journey's ICPC, review, visit, core group or plan, in its month, and whether it met."""

    authority: str
    team: str
    measure: str
    on: date
    met: bool


CalendarFor = Callable[[JourneyFacts], WorkingDayCalendar]


def journey_calendar(facts: JourneyFacts) -> WorkingDayCalendar:
    """The calendar a journey counts working days with: its calendar version and its authority's closure days."""
    from domain.released import RELEASED

    released = RELEASED.get(facts.policy or "")
    closures = released.profile.closure_days if released is not None else ()
    return WorkingDayCalendar(facts.calendar_version, closures)


def counted(journeys: Iterable[JourneyFacts], year: int, calendar_for: CalendarFor = journey_calendar) -> list[Counted]:
    """Everything the year's figures count, one entry each, from the journeys' facts."""
    found: list[Counted] = []
    for facts in journeys:
        authority = facts.authority or facts.profile_id or UNKNOWN_AUTHORITY
        team = facts.team or NO_TEAM

        def count(measure: str, on: date | None, met: bool) -> None:
            if on is not None and on.year == year:
                found.append(Counted(authority, team, measure, on, met))

        if facts.icpc_on is not None and facts.icpc_on.year == year and facts.section_47_started_on is not None:
            calendar = calendar_for(facts)
            first = facts.first_strategy_discussion or facts.section_47_started_on
            try:
                from_discussion = within(calendar, first, facts.icpc_on)
                from_section_47 = within(calendar, facts.section_47_started_on, facts.icpc_on)
            except ValueError:
                pass  # a day outside the shipped calendars' years: no working day can be counted, so not this ICPC
            else:
                count("icpc_from_strategy_discussion", facts.icpc_on, from_discussion)
                count("icpc_from_section_47_start", facts.icpc_on, from_section_47)
        plan = facts.plan
        if plan is None:
            continue
        for measure, occurrences in (("reviews_on_time", plan.reviews), ("visits_on_time", plan.visits),
                                     ("core_groups_on_time", plan.core_groups)):
            for one in occurrences:
                count(measure, one.counted_on, one.on_time)
        if plan.ended_on is not None:
            count("plans_two_years_or_more", plan.ended_on, lasted_two_years(plan.started_on, plan.ended_on))
        count("second_or_later_plans", plan.started_on, plan.previous_plans > 0)
    return found


def within(calendar: WorkingDayCalendar, start: date, held: date, working_days: int = ICPC_WORKING_DAYS) -> bool:
    """Whether ``held`` is no later than the ``working_days``th working day after ``start``."""
    return held <= calendar.add_working_days(start, working_days)


def lasted_two_years(started: date, ended: date) -> bool:
    """Two calendar years or more (a plan begun 29 February lasts two years on 28 February two years on)."""
    return ended >= add_months(started, LONG_PLAN_MONTHS)


# -- Adding up ------------------------------------------------------------------------------------------


def by_month(entries: Iterable[Counted]) -> dict[str, list[Figure]]:
    """Each measure's twelve months (January first), whatever authorities and teams ``entries`` hold."""
    months = {measure.key: [Figure() for _ in MONTHS] for measure in MEASURES}
    for entry in entries:
        months[entry.measure][entry.on.month - 1] += Figure(int(entry.met), 1)
    return months


def total(figures: Iterable[Figure]) -> Figure:
    return sum(figures, Figure())


def by_team(entries: Iterable[Counted]) -> list[tuple[str, str, dict[str, Figure]]]:
    """Each authority's and team's year, measure by measure, in order of authority and team."""
    teams: dict[tuple[str, str], dict[str, Figure]] = {}
    for entry in entries:
        figures = teams.setdefault((entry.authority, entry.team), {measure.key: Figure() for measure in MEASURES})
        figures[entry.measure] += Figure(int(entry.met), 1)
    return [(authority, team, teams[(authority, team)]) for authority, team in sorted(teams)]


@dataclass(frozen=True)
class Row:
    """One line of the CSV: an authority's team's month of one measure."""

    authority: str
    team: str
    month: date
    measure: str
    figure: Figure


def rows(entries: Iterable[Counted]) -> list[Row]:
    """Per authority, team, month and measure, in that order: only months with something to count."""
    cells: dict[tuple[str, str, date, str], Figure] = {}
    for entry in entries:
        key = (entry.authority, entry.team, entry.on.replace(day=1), entry.measure)
        cells[key] = cells.get(key, Figure()) + Figure(int(entry.met), 1)
    order = {measure.key: index for index, measure in enumerate(MEASURES)}
    return [Row(authority, team, month, measure, cells[(authority, team, month, measure)])
            for authority, team, month, measure in sorted(cells, key=lambda key: (*key[:3], order[key[3]]))]
