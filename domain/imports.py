"""Importing open cases: a council moving to this system brings its children already on plans.

Pure: a CSV file's text in, each row either an :class:`ImportedPlan` (the facts a journey starts
mid-stream from: on a plan since a day, its category, its last review, visit and core group, the
lead social worker and team) or a :class:`Refusal` (the row number, the case reference where it is
one, and the reason in words). Every row is checked before anything starts; what the plan's
deadlines are is the plan's to say (``domain.plan.start_imported``), from the same rules an ICPC's
plan decision sets running.

Dates come as a spreadsheet gives them: ``2026-03-14`` (ISO) or ``14/03/2026`` (day first, as UK
spreadsheets export dates). Nothing else is guessed at: ``03/14/2026`` is refused, not read as
American.

What a row may never carry is refused with the whole file: a column the import does not take (a
child's name, a date of birth, an address) stops the import before any row is read, and a case
reference that is a date (a date of birth typed in the wrong column) or a name is refused and never
repeated in the report.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError, model_validator

from domain import case_refs
from domain.case_refs import CaseRefRefused
from domain.policy import Profile
from domain.events import (
    FIRST_DAY,
    LAST_DAY,
    Category,
    Day,
    OneLine,
    StaffRef,
    _Event,
)

#: The columns, in the order the README gives them: (name, required, what it holds).
COLUMNS: tuple[tuple[str, bool, str], ...] = (
    ("case_ref", True, "The case system's reference, e.g. CASE-0042 (never a name or a date of birth)"),
    ("policy", True, "The policy profile the case is kept to, e.g. darlington"),
    ("on_plan_since", True, "The day of the conference that made the child protection plan"),
    ("category", True, "The plan's category: neglect, physical abuse, emotional abuse or sexual abuse"),
    ("last_review", False, "The day of the last review conference; empty if none yet"),
    ("last_visit", False, "The day the lead social worker last saw the child; empty if not yet"),
    ("last_core_group", False, "The day the core group last met; empty if not yet"),
    ("lead_social_worker", True, "The lead social worker's staff number, e.g. SW-1042"),
    ("team", False, "The team that holds the case, as the authority names it"),
)
COLUMN_NAMES = tuple(name for name, _, _ in COLUMNS)
REQUIRED = tuple(name for name, required, _ in COLUMNS if required)
#: A header as people write it ("On plan since", "Last core group") is the column it names.
_HEADER_WORDS = re.compile(r"[^a-z0-9]+")
#: A plan ends when the child turns 18: no plan began longer ago than that.
LONGEST_PLAN_YEARS = 18

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
#: What a date looks like in any of the ways people write one: never a case reference.
_DATE_LIKE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})$")
_STAFF_REF: TypeAdapter = TypeAdapter(StaffRef)

TeamName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=80), OneLine]


class ImportedPlan(_Event):
    """A case already on a plan when the council moved to this system: the journey's opening.

    Started mid-stream: on a plan since ``plan_started_on``, its deadlines counted from the last
    review, visit and core group by the authority's rules (``domain.plan.start_imported``). Recorded
    on the journey's timeline with who imported it, from which import and row.
    """

    title: ClassVar[str] = "Case imported"
    date_field: ClassVar[str] = "imported_on"

    type: Literal["case_imported"] = "case_imported"
    imported_on: Day = Field(title="Imported on", description="The day the case was imported")
    plan_started_on: Day = Field(title="On a plan since",
                                 description="The day of the conference that made the child protection plan")
    category: Category = Field(title="Category of the plan")
    last_review_on: Day | None = Field(None, title="Last review",
                                       description="The last review conference; none yet: counted from the plan's start")
    last_visit_on: Day | None = Field(None, title="Last visit", description="The lead social worker's last visit")
    last_core_group_on: Day | None = Field(None, title="Last core group", description="The core group's last meeting")
    lead_social_worker: StaffRef = Field(title="Lead social worker's staff number")
    team: TeamName | None = Field(None, title="Team")
    #: Which import brought it, and from which row of its file: the timeline says so.
    import_run: str | None = Field(None, title="Import", pattern=r"^[A-Za-z0-9-]{1,40}$")
    row: int | None = Field(None, title="Row of the file", ge=2)

    @model_validator(mode="after")
    def _in_order(self) -> ImportedPlan:
        problem = order_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    def facts(self) -> dict:
        """What the row said about the case: two imports of the same case agree or differ on these."""
        return self.model_dump(mode="json", include={
            "plan_started_on", "category", "last_review_on", "last_visit_on", "last_core_group_on",
            "lead_social_worker", "team"})


def order_problem(plan: ImportedPlan) -> str | None:
    """The first date that cannot be so, in words; None when they all fit."""
    today, began = plan.imported_on, plan.plan_started_on
    named = (("on a plan since", began), ("the last review", plan.last_review_on),
             ("the last visit", plan.last_visit_on), ("the last core group", plan.last_core_group_on))
    for words, day in named:
        if day is not None and day > today:
            return f"{words} ({day}) is in the future (today is {today})"
    earliest = _years_before(today, LONGEST_PLAN_YEARS)
    if began < earliest:
        return (f"on a plan since {began} is more than {LONGEST_PLAN_YEARS} years ago: a plan ends when the child "
                "turns 18")
    if plan.last_review_on is not None and plan.last_review_on <= began:
        return (f"the last review ({plan.last_review_on}) is not after the plan began ({began}): a review is held "
                "after the conference that made the plan; leave it empty if there has been none")
    for words, day in named[2:]:
        if day is not None and day < began:
            return (f"{words} ({day}) is before the plan began ({began}): give the last one since the plan began, "
                    "or leave it empty if there has been none")
    return None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# -- Reading the file ---------------------------------------------------------------------------


class FileRefused(ValueError):
    """The file as a whole cannot be imported (its header); no row is read, nothing starts."""


@dataclass(frozen=True)
class Row:
    """One row of the file: its number as a spreadsheet shows it (the header is row 1) and its cells."""

    number: int
    cells: dict[str, str]


def column_of(header: str) -> str:
    """The column a header names: "On plan since" and "on_plan_since" are the same column."""
    return _HEADER_WORDS.sub("_", header.strip().lower()).strip("_")


def read_rows(text: str) -> list[Row]:
    """The rows of a CSV file's text, each as its cells by column; :class:`FileRefused` for a header we cannot take.

    A column the import does not take stops it whole: it may be a name, a date of birth or an
    address, which never come into a journey.
    """
    lines = text.lstrip("\ufeff").splitlines()
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise FileRefused("the file is empty: its first row names the columns (" + ", ".join(COLUMN_NAMES) + ")")
    columns = [column_of(cell) for cell in header]
    unknown = [header[index].strip() for index, name in enumerate(columns) if name and name not in COLUMN_NAMES]
    if unknown:
        raise FileRefused(
            f"the file has columns the import does not take ({', '.join(unknown)}); remove them, so no name, date "
            f"of birth or address comes in. The columns are: {', '.join(COLUMN_NAMES)}")
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise FileRefused(f"the file has no column {', '.join(missing)}; the columns are: {', '.join(COLUMN_NAMES)}")
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise FileRefused(f"the file names the column {', '.join(repeated)} more than once")
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line a spreadsheet left at the end
        rows.append(Row(number, {name: (cells[index].strip() if index < len(cells) else "")
                                 for index, name in enumerate(columns) if name}))
    return rows


# -- Checking each row --------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A row not imported: its number, its case reference where it is one (else None), and why."""

    row: int
    case_ref: str | None
    reason: str


@dataclass(frozen=True)
class Accepted:
    """A row to start a journey from: the case, the policy profile's id and the plan's facts."""

    row: int
    case_ref: str
    policy: str
    plan: ImportedPlan


class _Refused(ValueError):
    pass


def parse_day(value: str, column: str) -> date | None:
    """A date as the file gives it, ISO or day first; None when the cell is empty."""
    value = value.strip()
    if not value:
        return None
    iso, uk = _ISO.fullmatch(value), _UK.fullmatch(value)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif uk:
        day, month, year = (int(part) for part in uk.groups())
    else:
        raise _Refused(f"{column} {value!r} is not a date: write 2026-03-14 or 14/03/2026")
    try:
        found = date(year, month, day)
    except ValueError:
        raise _Refused(f"{column} {value!r} is not a day of the calendar") from None
    if not FIRST_DAY <= found <= LAST_DAY:
        raise _Refused(f"{column} {value} is outside the days the calendar can count from ({FIRST_DAY} to {LAST_DAY})")
    return found


def case_ref_of(value: str, profile: Profile | None = None) -> str:
    """The row's case reference, or a refusal that never repeats what was there (a name, a date of birth).

    Of the ``profile``'s authority's shape when one is given (``domain.case_refs``), else of the generic one.
    """
    value = value.strip().upper()
    if not value:
        raise _Refused("the case reference is empty")
    if _DATE_LIKE.fullmatch(value):
        raise _Refused("the case reference is a date (a date of birth in the wrong column?): a case reference is "
                       "the case system's number, such as CASE-0042, never a date of birth or a name")
    try:
        return case_refs.check(value, profile)
    except CaseRefRefused as refused:
        raise _Refused(str(refused)) from None


def category_of(value: str) -> Category:
    words = column_of(value)
    try:
        return Category(words)
    except ValueError:
        known = ", ".join(category.value.replace("_", " ") for category in Category)
        raise _Refused(f"category {value.strip()!r} is not one of: {known}" if value.strip()
                       else f"the category is empty: give one of {known}") from None


def staff_ref_of(value: str) -> str:
    value = value.strip().upper()
    if not value:
        raise _Refused("the lead social worker's staff number is empty")
    try:
        return _STAFF_REF.validate_python(value)
    except ValidationError:
        raise _Refused("the lead social worker is not a staff number such as SW-1042 (never a name)") from None


def check_row(row: Row, known_policies: Collection[str] | Mapping[str, Profile], today: date, *,
              import_run: str | None = None, recorded_by: str | None = None) -> Accepted | Refusal:
    """One row, checked whole: the journey it starts, or why it cannot.

    ``known_policies``: the profiles a row may name, by id; given as the profiles themselves, each row's case
    reference must also be of its authority's shape.
    """
    cells = row.cells
    try:
        case_ref = case_ref_of(cells.get("case_ref", ""))
    except _Refused as refused:
        return Refusal(row.number, None, str(refused))
    try:
        policy = cells.get("policy", "").strip().lower()
        if policy not in known_policies:
            raise _Refused(f"there is no policy profile {policy!r}; known: {', '.join(sorted(known_policies))}"
                           if policy else f"the policy is empty; known: {', '.join(sorted(known_policies))}")
        if isinstance(known_policies, Mapping):
            case_ref_of(case_ref, known_policies[policy])
        began = parse_day(cells.get("on_plan_since", ""), "on a plan since")
        if began is None:
            raise _Refused("on a plan since is empty: give the day of the conference that made the plan")
        category = category_of(cells.get("category", ""))
        plan = dict(
            event_id=f"import-{case_ref}", imported_on=today, plan_started_on=began, category=category,
            last_review_on=parse_day(cells.get("last_review", ""), "the last review"),
            last_visit_on=parse_day(cells.get("last_visit", ""), "the last visit"),
            last_core_group_on=parse_day(cells.get("last_core_group", ""), "the last core group"),
            lead_social_worker=staff_ref_of(cells.get("lead_social_worker", "")),
            team=cells.get("team", "").strip() or None, import_run=import_run, row=row.number,
            recorded_by=recorded_by,
        )
        try:
            return Accepted(row.number, case_ref, policy, ImportedPlan(**plan))
        except ValidationError as err:
            raise _Refused(_sentence(err)) from None
    except _Refused as refused:
        return Refusal(row.number, case_ref, str(refused))


def _sentence(err: ValidationError) -> str:
    item = err.errors(include_url=False)[0]
    message = str(item["msg"]).removeprefix("Value error, ")
    field = item["loc"][0] if item["loc"] else None
    if field == "team":
        return f"the team is not one line of 2 to 80 characters ({message})"
    return message


def check_rows(rows: Iterable[Row], known_policies: Collection[str] | Mapping[str, Profile], today: date, *,
               import_run: str | None = None, recorded_by: str | None = None) -> list[Accepted | Refusal]:
    """Every row checked, in order; a case on two rows is refused on the second (one journey per case)."""
    first_row: dict[str, int] = {}
    checked: list[Accepted | Refusal] = []
    for row in rows:
        outcome = check_row(row, known_policies, today, import_run=import_run, recorded_by=recorded_by)
        case_ref = outcome.case_ref
        if case_ref is not None and case_ref in first_row:
            outcome = Refusal(row.number, case_ref,
                              f"case {case_ref} is on row {first_row[case_ref]} already: one row per case")
        elif case_ref is not None:
            first_row[case_ref] = row.number
        checked.append(outcome)
    return checked


def differences(before: ImportedPlan, now: ImportedPlan) -> list[str]:
    """What a second import of a case says differently from the first, in words ("last visit 2026-03-01, not ...")."""
    was, said = before.facts(), now.facts()
    titles = {name: ImportedPlan.field_title(name).lower() for name in was}
    return [f"{titles[name]} {said[name] or 'empty'}, not {was[name] or 'empty'}"
            for name in was if was[name] != said[name]]

