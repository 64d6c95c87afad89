"""The Children in Need census, its child protection part: each child's return, the DfE's rules for it, the XML.

Every council returns the census to the Department for Education each year. Its ``Section47`` and
``ChildProtectionPlans`` modules are what the journeys know: each section 47 enquiry (its start, the
initial conference or that none was needed) and each child protection plan (its start, end, category
of abuse at the start and now, how many plans the child had before, the review conferences). The rest of
a child's return (identifiers, referral, assessments, characteristics) is the case-management system's;
the return this module builds holds only the child protection modules, inside each child's ``CINdetails``.

The reporting year runs from 1 April to 31 March, named by the year it ends in (the DfE's ``Year``):
the 2026 census covers 1 April 2025 to 31 March 2026, its ``ReferenceDate``. The return shows each child
as the records stood on the reference date: a conference, review or end after it is not yet known.

The rules are the DfE's validation rules for these elements, numbered as the DfE numbers them (the
open-source CIN validator, data-to-insight's ``cin_validator``, implements them with the same codes).
Each is checked per child, as the validator checks it; a failure says which child, which rule, and what is
wrong in words. Rules whose code ends in Q are the DfE's queries: the DfE asks the council to check them
or give a reason, so they are listed but do not stop the export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from xml.etree import ElementTree

from domain.case_facts import JourneyFacts
from domain.events import Category

#: The census's "Category of abuse" codes (CIN census code set): one category, or MUL for more than one.
ABUSE_CODES: dict[Category, str] = {
    Category.NEGLECT: "NEG",
    Category.PHYSICAL_ABUSE: "PHY",
    Category.SEXUAL_ABUSE: "SAB",
    Category.EMOTIONAL_ABUSE: "EMO",
}
MULTIPLE = "MUL"
VALID_ABUSE_CODES = frozenset(ABUSE_CODES.values()) | {MULTIPLE}

#: Each authority's DfE local authority number (the header's ``LEA``), by the name its profile gives.
LA_NUMBERS: dict[str, str] = {
    "Birmingham": "330",
    "Darlington": "841",
    "Sefton": "343",
    "Staffordshire": "860",
}


def abuse_code(categories: Iterable[Category]) -> str | None:
    """The census code for a plan's categories: the one category's, MUL for several, None when none is recorded."""
    distinct = set(categories)
    if not distinct:
        return None
    if len(distinct) > 1:
        return MULTIPLE
    return ABUSE_CODES[distinct.pop()]


@dataclass(frozen=True)
class CensusYear:
    """A reporting year, named as the DfE names it: by the year its 31 March falls in."""

    year: int

    @property
    def start(self) -> date:
        return date(self.year - 1, 4, 1)

    @property
    def reference_date(self) -> date:
        return date(self.year, 3, 31)

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.reference_date

    @property
    def words(self) -> str:
        return f"1 April {self.year - 1} to 31 March {self.year}"


@dataclass(frozen=True)
class Section47:
    """One section 47 enquiry, as the census records it."""

    start: date | None
    #: The day the initial child protection conference was held.
    icpc: date | None = None
    #: The enquiry concluded that no initial conference was needed.
    icpc_not_required: bool = False


@dataclass(frozen=True)
class Plan:
    """One child protection plan, as the census records it; categories are census codes (``abuse_code``)."""

    start: date | None
    end: date | None = None
    initial_category: str | None = None
    latest_category: str | None = None
    #: How many plans the child had before this one, ever (not only this year).
    previous_plans: int | None = None
    #: The days of the plan's review conferences.
    reviews: tuple[date, ...] = ()


@dataclass(frozen=True)
class Episode:
    """One ``CINdetails`` group: a journey's section 47 enquiries and plans."""

    section47s: tuple[Section47, ...] = ()
    plans: tuple[Plan, ...] = ()
    #: An initial conference with no section 47 enquiry of this authority's behind it (``CINdetails``'
    #: own ``DateOfInitialCPC``): a transfer-in conference, or the conference that made an imported plan.
    icpc: date | None = None

    @property
    def conferences(self) -> list[date]:
        return sorted({s47.icpc for s47 in self.section47s if s47.icpc is not None} | ({self.icpc} - {None}))


@dataclass(frozen=True)
class Child:
    """A child's child protection modules for the census; ``case_ref`` is the ``LAchildID``."""

    case_ref: str
    episodes: tuple[Episode, ...] = ()

    @property
    def section47s(self) -> list[Section47]:
        return [s47 for episode in self.episodes for s47 in episode.section47s]

    @property
    def plans(self) -> list[Plan]:
        return [plan for episode in self.episodes for plan in episode.plans]

    @property
    def conferences(self) -> list[date]:
        return [day for episode in self.episodes for day in episode.conferences]


@dataclass(frozen=True)
class Failure:
    """A rule a child's return does not meet: the DfE's code, the child, and what is wrong in words."""

    code: str
    case_ref: str
    message: str

    @property
    def query(self) -> bool:
        """A DfE query (its code ends in Q): to check or explain, not an error that stops the return."""
        return self.code.endswith("Q")


def day_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# ---------------------------------------------------------------------------------------------------------
# From the journeys' facts (``domain.case_facts``, the read model the records keep)


def children_from_facts(journeys: Iterable[JourneyFacts]) -> list[Child]:
    """Each child's census modules from its journeys' facts: one ``CINdetails`` per journey, oldest first."""
    by_child: dict[str, list[Episode]] = {}
    for facts in sorted(journeys, key=lambda facts: (facts.case_ref, facts.opened_on or date.min, facts.journey)):
        episode = episode_from_facts(facts)
        if episode.section47s or episode.plans or episode.icpc:
            by_child.setdefault(facts.case_ref, []).append(episode)
    return [Child(case_ref=case_ref, episodes=tuple(episodes)) for case_ref, episodes in by_child.items()]


def episode_from_facts(facts: JourneyFacts) -> Episode:
    """One journey as a ``CINdetails`` group.

    The section 47 enquiry starts with the strategy discussion that initiated it. A conference with no
    enquiry of ours behind it (a transfer-in conference) is the group's own ``DateOfInitialCPC``, where the
    DfE's rule 2885 looks for it. An imported plan's conference is not in the records: a plan begins on the
    day of the conference that decides it, so the plan's start is taken as that conference's day.
    """
    section47s: tuple[Section47, ...] = ()
    if facts.section_47_started_on is not None:
        section47s = (Section47(start=facts.section_47_started_on, icpc=facts.icpc_on,
                                icpc_not_required=facts.icpc_not_required_on is not None and facts.icpc_on is None),)
    own_icpc = facts.icpc_on if not section47s else None
    plans: tuple[Plan, ...] = ()
    if facts.plan is not None:
        plan = facts.plan
        if plan.started_by == "import" and own_icpc is None and not section47s:
            own_icpc = plan.started_on
        plans = (Plan(start=plan.started_on, end=plan.ended_on, initial_category=_census_code(plan.initial_category),
                      latest_category=_census_code(plan.latest_category), previous_plans=plan.previous_plans,
                      reviews=plan.review_dates),)
    return Episode(section47s=section47s, plans=plans, icpc=own_icpc)


def _census_code(category: str | None) -> str | None:
    """Our category (``neglect``) as the census's code; anything else as it is, for rules 8905 and 8910 to name."""
    if category is None:
        return None
    try:
        return abuse_code([Category(category)])
    except ValueError:
        return category


# ---------------------------------------------------------------------------------------------------------
# As at the reference date


def as_at(child: Child, year: CensusYear) -> Child | None:
    """``child`` as the census sees it for ``year``: what happened after the reference date is left out, and
    so are enquiries and plans over before the year began. None when nothing of the child's is in the year."""
    end = year.reference_date
    episodes = []
    for episode in child.episodes:
        s47s = tuple(_s47_as_at(s47, end) for s47 in episode.section47s if _s47_in_year(s47, year))
        plans = tuple(_plan_as_at(plan, year) for plan in episode.plans if _plan_in_year(plan, year))
        icpc = episode.icpc if episode.icpc is not None and year.holds(episode.icpc) else None
        if s47s or plans or icpc:
            episodes.append(Episode(section47s=s47s, plans=plans, icpc=icpc))
    return replace(child, episodes=tuple(episodes)) if episodes else None


def _s47_in_year(s47: Section47, year: CensusYear) -> bool:
    if s47.start is not None and s47.start > year.reference_date:
        return False
    if s47.icpc is not None:
        return s47.icpc >= year.start
    if s47.icpc_not_required:  # the enquiry ended without a conference: the census counts it in the year it began
        return s47.start is not None and s47.start >= year.start
    return True  # still open


def _s47_as_at(s47: Section47, end: date) -> Section47:
    if s47.icpc is not None and s47.icpc > end:
        return Section47(start=s47.start)
    return s47


def _plan_in_year(plan: Plan, year: CensusYear) -> bool:
    if plan.start is not None and plan.start > year.reference_date:
        return False
    return plan.end is None or plan.end >= year.start


def _plan_as_at(plan: Plan, year: CensusYear) -> Plan:
    # The census collects the reviews held during the year, not every review of a long plan.
    end = year.reference_date
    return replace(plan, end=plan.end if plan.end is not None and plan.end <= end else None,
                   reviews=tuple(day for day in plan.reviews if year.holds(day)))


# ---------------------------------------------------------------------------------------------------------
# The rules


@dataclass(frozen=True)
class CensusRule:
    """One of the DfE's rules: its code, its wording (paraphrased), and the check, per child."""

    code: str
    wording: str
    check: Callable[[Child, CensusYear, Callable[[date, int], date]], list[str]] = field(repr=False)


def _s47_start_by_icpc(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    problems = []
    for s47 in child.section47s:
        if s47.icpc is None:
            continue
        if s47.start is None:
            problems.append(f"the initial conference on {day_words(s47.icpc)} has no section 47 start date")
        elif s47.start > s47.icpc:
            problems.append(f"the initial conference on {day_words(s47.icpc)} is before its section 47 enquiry "
                            f"began ({day_words(s47.start)})")
    return problems


def _icpc_in_year(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    return [f"the initial conference on {day_words(day)} is outside the census year ({year.words})"
            for day in child.conferences if not year.holds(day)]


def _open_s47_started_in_year(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    return [f"the section 47 enquiry still waiting for its initial conference began on {day_words(s47.start)}, "
            f"outside the census year ({year.words})"
            for s47 in child.section47s if _open(s47) and s47.start is not None and not year.holds(s47.start)]


def _icpc_not_at_weekend(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    return [f"the initial conference is recorded on a {day:%A} ({day_words(day)})"
            for day in child.conferences if day.weekday() >= 5]


def _open(s47: Section47) -> bool:
    return s47.icpc is None and not s47.icpc_not_required


def _one_open_s47(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    return [f"{sum(map(_open, episode.section47s))} section 47 enquiries in one episode are waiting for an initial "
            f"conference, and none is recorded as not needing one"
            for episode in child.episodes if sum(map(_open, episode.section47s)) > 1]


def _s47_not_during_another(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    problems = []
    for episode in child.episodes:
        for index, s47 in enumerate(episode.section47s):
            for other_index, other in enumerate(episode.section47s):
                if index == other_index or s47.start is None or other.start is None:
                    continue
                if other.icpc is not None:
                    until = other.icpc
                elif other.icpc_not_required:
                    continue
                else:
                    until = year.reference_date
                # Two enquiries starting the same day overlap once, not twice: the later-listed one is named.
                if other.start <= s47.start <= until and (s47.start > other.start or index > other_index):
                    problems.append(f"the section 47 enquiry starting {day_words(s47.start)} starts while another, "
                                    f"begun {day_words(other.start)}, is still going on")
    return problems


def _open_s47_has_icpc_query(child: Child, year: CensusYear, add_working_days: Callable) -> list[str]:
    latest_start = add_working_days(year.reference_date, -15)
    return [f"the section 47 enquiry begun {day_words(s47.start)} has no initial conference by the end of the year, "
            f"more than 15 working days later, and is not recorded as not needing one"
            for s47 in child.section47s if _open(s47) and s47.start is not None and s47.start < latest_start]


def _plan_starts_at_icpc(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    problems = []
    for episode in child.episodes:
        conferences = episode.conferences
        for plan in episode.plans:
            if plan.start is not None and year.holds(plan.start) and plan.start not in conferences:
                held = ", ".join(day_words(day) for day in conferences) or "none recorded"
                problems.append(f"the plan starts on {day_words(plan.start)}, not on the day of an initial conference "
                                f"(held: {held})")
    return problems


def _plan_start_present(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    problems = []
    for plan in child.plans:
        if plan.start is None:
            problems.append("a plan has no start date")
        elif plan.start > year.reference_date:
            problems.append(f"the plan starts on {day_words(plan.start)}, after the census year ends")
    return problems


def _previous_plans_present(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    return [f"the plan starting {_start_words(plan)} does not say how many plans the child had before"
            for plan in child.plans if plan.previous_plans is None or plan.previous_plans < 0]


def _not_same_day(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    return [f"the plan starts and ends on the same day ({day_words(plan.start)})"
            for plan in child.plans if plan.start is not None and plan.start == plan.end]


def _category(which: str) -> Callable:
    def check(child: Child, year: CensusYear, _add: Callable) -> list[str]:
        problems = []
        for plan in child.plans:
            code = getattr(plan, f"{which}_category")
            if code is None:
                problems.append(f"the plan starting {_start_words(plan)} has no {which} category of abuse")
            elif code not in VALID_ABUSE_CODES:
                problems.append(f"the plan starting {_start_words(plan)} has {which} category {code!r}, "
                                f"not one of {', '.join(sorted(VALID_ABUSE_CODES))}")
        return problems
    return check


def _end_after_start(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    return [f"the plan ends on {day_words(plan.end)}, before it starts ({day_words(plan.start)})"
            for plan in child.plans if plan.start is not None and plan.end is not None and plan.end < plan.start]


def _end_in_year(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    return [f"the plan ends on {day_words(plan.end)}, outside the census year ({year.words})"
            for plan in child.plans if plan.end is not None and not year.holds(plan.end)]


def _one_open_plan(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    open_plans = [plan for plan in child.plans if plan.end is None]
    if len(open_plans) <= 1:
        return []
    return [f"{len(open_plans)} plans have no end date (starting "
            f"{', '.join(_start_words(plan) for plan in open_plans)}); only one can be open"]


def _plans_do_not_overlap(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    problems = []
    plans = [plan for plan in child.plans if plan.start is not None]
    for index, plan in enumerate(plans):
        for other_index, other in enumerate(plans):
            if index == other_index:
                continue
            until = other.end if other.end is not None else year.reference_date
            if other.start <= plan.start <= until and (plan.start > other.start or index > other_index):
                problems.append(f"the plan starting {day_words(plan.start)} starts while another, begun "
                                f"{day_words(other.start)}, is still in place")
    return problems


def _review_after_start(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    return [f"a review is recorded on {day_words(day)}, not after the plan began ({day_words(plan.start)})"
            for plan in child.plans if plan.start is not None for day in plan.reviews if day <= plan.start]


def _review_by_end(child: Child, year: CensusYear, _add: Callable) -> list[str]:
    return [f"a review is recorded on {day_words(day)}, after the plan ended ({day_words(plan.end)})"
            for plan in child.plans if plan.end is not None for day in plan.reviews if day > plan.end]


def _start_words(plan: Plan) -> str:
    return day_words(plan.start) if plan.start is not None else "on a day not recorded"


#: The DfE's rules for the child protection elements, in the DfE's order; wording paraphrased from the
#: validator's messages. ``CPJ1`` is ours, not the DfE's: the DfE's 8841 checks the review against the
#: plan's start, nothing checks it against the end, and a review after a plan ended is a record gone wrong.
RULES: tuple[CensusRule, ...] = (
    CensusRule("2885", "A plan starting in the year starts on the day of an initial child protection conference",
               _plan_starts_at_icpc),
    CensusRule("8615", "A section 47 enquiry with an initial conference has a start date, on or before the "
                       "conference", _s47_start_by_icpc),
    CensusRule("8675Q", "A section 47 enquiry begun more than 15 working days before the year's end has an initial "
                        "conference, or is recorded as not needing one (a query)", _open_s47_has_icpc_query),
    CensusRule("8715", "The initial conference falls within the census year", _icpc_in_year),
    CensusRule("8720", "A plan has a start date, on or before the reference date", _plan_start_present),
    CensusRule("8730", "A plan says how many plans the child had before", _previous_plans_present),
    CensusRule("8740", "A section 47 enquiry still waiting for its initial conference began within the census year",
               _open_s47_started_in_year),
    CensusRule("8839", "Within one episode only one section 47 enquiry is waiting for an initial conference",
               _one_open_s47),
    CensusRule("8840", "A plan cannot start and end on the same day", _not_same_day),
    CensusRule("8841", "A review is after the plan's start, not on or before it", _review_after_start),
    CensusRule("8875", "The initial conference is not on a Saturday or Sunday", _icpc_not_at_weekend),
    CensusRule("8890", "A section 47 enquiry does not start while another in the episode is going on",
               _s47_not_during_another),
    CensusRule("8905", "The initial category of abuse is present and one of NEG, PHY, SAB, EMO, MUL",
               _category("initial")),
    CensusRule("8910", "The latest category of abuse is present and one of NEG, PHY, SAB, EMO, MUL",
               _category("latest")),
    CensusRule("8925", "A plan's end is on or after its start", _end_after_start),
    CensusRule("8930", "A plan's end falls within the census year", _end_in_year),
    CensusRule("8935", "Only one of a child's plans is open (has no end date)", _one_open_plan),
    CensusRule("8940", "A child's plans do not overlap", _plans_do_not_overlap),
    CensusRule("CPJ1", "A review is on or before the plan's end (ours, not a DfE rule)", _review_by_end),
)


def check_child(child: Child, year: CensusYear, add_working_days: Callable[[date, int], date]) -> list[Failure]:
    """Every rule ``child`` (as at the reference date) fails; ``add_working_days`` counts England's working days."""
    return [Failure(rule.code, child.case_ref, problem[0].upper() + problem[1:])
            for rule in RULES for problem in rule.check(child, year, add_working_days)]


# ---------------------------------------------------------------------------------------------------------
# The return


@dataclass(frozen=True)
class Census:
    """One authority's child protection modules for a census year, and what fails the DfE's rules."""

    authority: str
    year: CensusYear
    children: tuple[Child, ...]
    failures: tuple[Failure, ...]

    @property
    def errors(self) -> list[Failure]:
        return [failure for failure in self.failures if not failure.query]

    @property
    def queries(self) -> list[Failure]:
        return [failure for failure in self.failures if failure.query]

    @property
    def passes(self) -> bool:
        """No rule fails; the DfE's queries may remain, each to be explained in the return."""
        return not self.errors

    def failures_by_child(self) -> dict[str, list[Failure]]:
        grouped: dict[str, list[Failure]] = {}
        for failure in self.failures:
            grouped.setdefault(failure.case_ref, []).append(failure)
        return grouped


def build_census(authority: str, year: CensusYear, children: Iterable[Child],
                 add_working_days: Callable[[date, int], date]) -> Census:
    """The authority's return for ``year``: each child with something in the year, as at its reference date, checked."""
    in_year = sorted((seen for seen in (as_at(child, year) for child in children) if seen is not None),
                     key=lambda child: child.case_ref)
    failures = tuple(failure for child in in_year for failure in check_child(child, year, add_working_days))
    return Census(authority=authority, year=year, children=tuple(in_year), failures=failures)


def weekdays_only(day: date, count: int) -> date:
    """Adds (or, negative, takes away) ``count`` days skipping weekends only: for tests and a calendar-less check."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += timedelta(days=step)
        if day.weekday() < 5:
            remaining -= 1
    return day


# ---------------------------------------------------------------------------------------------------------
# The XML


def census_xml(census: Census, *, la_number: str, generated_at: str) -> ElementTree.Element:
    """The return as the census's XML: ``Message`` > ``Header`` and ``Children`` > ``Child`` > ``CINdetails`` >
    ``Section47`` and ``ChildProtectionPlans`` > ``Reviews``, in the order the DfE's schema lists the elements.

    ``generated_at`` is the header's ``DateTime`` (``2026-05-20T10:15:00``), given by the caller: domain reads no clock.
    """
    message = ElementTree.Element("Message")
    header = _sub(message, "Header")
    details = _sub(header, "CollectionDetails")
    _sub(details, "Collection", "CIN")
    _sub(details, "Year", str(census.year.year))
    _sub(details, "ReferenceDate", census.year.reference_date.isoformat())
    source = _sub(header, "Source")
    _sub(source, "SourceLevel", "L")
    _sub(source, "LEA", la_number)
    _sub(source, "SoftwareCode", "cp-journeys")
    _sub(source, "Release", "1")
    _sub(source, "SerialNo", "001")
    _sub(source, "DateTime", generated_at)
    children = _sub(message, "Children")
    for child in census.children:
        child_element = _sub(children, "Child")
        identifiers = _sub(child_element, "ChildIdentifiers")
        _sub(identifiers, "LAchildID", child.case_ref)
        for episode in child.episodes:
            cin = _sub(child_element, "CINdetails")
            _date(cin, "DateOfInitialCPC", episode.icpc)
            for s47 in episode.section47s:
                section = _sub(cin, "Section47")
                _date(section, "S47ActualStartDate", s47.start)
                _date(section, "DateOfInitialCPC", s47.icpc)
                _sub(section, "ICPCnotRequired", "true" if s47.icpc_not_required else "false")
            for plan in episode.plans:
                plan_element = _sub(cin, "ChildProtectionPlans")
                _date(plan_element, "CPPstartDate", plan.start)
                _date(plan_element, "CPPendDate", plan.end)
                _optional(plan_element, "InitialCategoryOfAbuse", plan.initial_category)
                _optional(plan_element, "LatestCategoryOfAbuse", plan.latest_category)
                _optional(plan_element, "NumberOfPreviousCPP",
                          str(plan.previous_plans) if plan.previous_plans is not None else None)
                for review in plan.reviews:
                    _date(_sub(plan_element, "Reviews"), "CPPreviewDate", review)
    ElementTree.indent(message)
    return message


def census_xml_text(census: Census, *, la_number: str, generated_at: str) -> str:
    """``census_xml`` as the file's text, with its XML declaration."""
    body = ElementTree.tostring(census_xml(census, la_number=la_number, generated_at=generated_at), encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def _sub(parent: ElementTree.Element, tag: str, text: str | None = None) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _date(parent: ElementTree.Element, tag: str, day: date | None) -> None:
    if day is not None:
        _sub(parent, tag, day.isoformat())


def _optional(parent: ElementTree.Element, tag: str, text: str | None) -> None:
    if text is not None:
        _sub(parent, tag, text)
