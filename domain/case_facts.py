"""What a child's journey did, as the figures and the census count it: folded from the journey's records.

The records database's ``journey_record`` rows (one per effect: ``kind``, ``occurred_on``, ``summary``,
``details``) are the only input. Nothing here asks Temporal: the timeliness reports and the Children in
Need census read these facts, kept beside the records by the one record writer (``activities.records``),
so the numbers are those of what was recorded, and a database is rebuilt from its records alone.

One :class:`JourneyFacts` per journey: a case reference may have several journeys over the years (a
child back on a plan), told apart by the first run's id in each record's key. A journey makes at most one
plan (an ICPC's, a transfer-in conference's, or an imported one): :class:`PlanFacts`.

Where the records give no due date (a visit made on time says "not late" without its due day), the
occurrence keeps ``due=None``: the journey already decided it was on time, by the profile's rules and its
calendar, and that decision is what is counted here, not a second reckoning of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from domain.events import workflow_id_for

#: The record kinds that open a journey, and what each says opened it.
OPENINGS = {"strategy_discussion": "strategy_discussion", "transfer_in": "transfer_in",
            "case_imported": "import", "icpc_to_be_held": "challenge"}
#: The recurring work of a plan whose timeliness is counted: a done record's kind, and its overdue record's.
RECURRING = {"visit": ("visit_made", "visit_overdue"), "core_group": ("core_group_held", "core_group_overdue"),
             "review": ("review_held", "review_overdue")}
#: A late one's summary says "(late: due 2026-12-10)" (``domain.plan``): its due day where no overdue record gave it.
_LATE_DUE = re.compile(r"\(late: due (\d{4}-\d{2}-\d{2})\)")


class RecordRow(Protocol):
    """A ``journey_record`` row as the fold reads it (``activities.db.JourneyRecord`` is one)."""

    key: str
    case_ref: str
    workflow_id: str
    kind: str
    occurred_on: date
    summary: str
    details: Mapping[str, Any]


@dataclass(frozen=True)
class Occurrence:
    """One visit, core group or review: done (on time or late), or due and not done when it fell due.

    ``due`` is known for a late or missed one (its overdue record's day, or the late record's own); an
    on-time one has ``due=None`` (it was done on or before its due day, which the records do not repeat).
    """

    done: date | None
    due: date | None
    on_time: bool

    @property
    def counted_on(self) -> date:
        """The day it counts in: when it was done on time, else when its due day passed (or, lacking it, done)."""
        if not self.on_time and self.due is not None:
            return self.due
        return self.done if self.done is not None else self.due  # type: ignore[return-value]


@dataclass(frozen=True)
class PlanFacts:
    """A child protection plan: when and how it began and ended, its categories and its recurring work."""

    started_on: date
    #: "icpc" (an initial conference), "transfer_in" (a transfer-in conference) or "import" (already on a plan).
    started_by: str
    initial_category: str | None
    latest_category: str | None
    #: Plans this child had before, as far as this database knows (earlier journeys of the same case reference).
    previous_plans: int = 0
    ended_on: date | None = None
    #: Why: "review" (a review conference ended it) or the plan-ended reason (``turned_18``, ``died``...).
    end_reason: str | None = None
    reviews: tuple[Occurrence, ...] = ()
    visits: tuple[Occurrence, ...] = ()
    core_groups: tuple[Occurrence, ...] = ()
    #: The days review conferences were booked for (``review_scheduled``), in order.
    reviews_booked_for: tuple[date, ...] = ()

    @property
    def review_dates(self) -> tuple[date, ...]:
        """The days review conferences were held."""
        return tuple(one.done for one in self.reviews if one.done is not None)


@dataclass(frozen=True)
class JourneyFacts:
    """One child's journey, as the reports and the census count it. No name, no date of birth: references only."""

    #: The journey's own key: its workflow id and its first run's id ("" for records from before run ids).
    journey: str
    case_ref: str
    workflow_id: str
    #: The authority's profile id (``darlington``) and its name as the profile gives it.
    profile_id: str | None
    authority: str | None
    #: The released profile the journey ran on (``darlington@2026.1``) and the calendar it last moved to.
    policy: str | None
    calendar_version: str | None
    team: str | None
    lead_social_worker: str | None
    #: How it opened: "strategy_discussion", "transfer_in", "import" or "challenge" (a disagreement's decision).
    opened_by: str | None
    opened_on: date | None
    #: Every strategy discussion held before the ICPC, in order.
    strategy_discussions: tuple[date, ...] = ()
    #: The discussion that initiated the section 47 enquiry the ICPC followed (a later one restarts the clock).
    section_47_started_on: date | None = None
    icpc_on: date | None = None
    #: The ICPC's due day by the journey's own rules (its profile, an unborn child's expected delivery).
    icpc_due: date | None = None
    icpc_decision: str | None = None
    #: The team manager decided no conference was required (the census's ``ICPCnotRequired``).
    icpc_not_required_on: date | None = None
    plan: PlanFacts | None = None
    last_recorded_on: date | None = None

    @property
    def first_strategy_discussion(self) -> date | None:
        return self.strategy_discussions[0] if self.strategy_discussions else None


# -- The fold -----------------------------------------------------------------------------------------


def journey_key(row: RecordRow) -> str:
    """Which journey a record is of: its workflow id and, since the outbox, the first run's id in its key."""
    parts = row.key.split("/")
    lifetime = parts[1] if len(parts) >= 4 and row.key.startswith(row.workflow_id + "/") else ""
    return f"{row.workflow_id}/{lifetime}" if lifetime else row.workflow_id


def is_journey_record(row: RecordRow) -> bool:
    """A journey's own record (not a conference's, a complaint's or another workflow's on the same case)."""
    return row.workflow_id == workflow_id_for(row.case_ref)


def fold_case(rows: Iterable[RecordRow], authority_of: Callable[[str], str | None] = lambda policy: None,
              ) -> list[JourneyFacts]:
    """The facts of every journey of one case reference, oldest first, from all its records.

    ``authority_of`` names the authority of a policy pin (``darlington@2026.1``: the profile's
    ``authority``): the records carry the pin only. Later journeys count the plans of earlier ones as previous plans.
    """
    journeys: dict[str, list[RecordRow]] = {}
    for row in sorted((row for row in rows if is_journey_record(row)), key=_order):
        journeys.setdefault(journey_key(row), []).append(row)
    folded = sorted((fold_journey(key, records, authority_of) for key, records in journeys.items()),
                    key=lambda facts: (facts.opened_on or date.min, facts.journey))
    plans_before = 0
    counted: list[JourneyFacts] = []
    for facts in folded:
        if facts.plan is not None:
            facts = replace(facts, plan=replace(facts.plan, previous_plans=plans_before))
            plans_before += 1
        counted.append(facts)
    return counted


def fold_journey(journey: str, rows: Iterable[RecordRow],
                 authority_of: Callable[[str], str | None] = lambda policy: None) -> JourneyFacts:
    """One journey's facts from its records (in any order: they are put in the order they happened)."""
    state = _Fold(journey)
    for row in sorted(rows, key=_order):
        state.take(row)
    return state.facts(authority_of)


def _order(row: RecordRow) -> tuple:
    written = getattr(row, "written_at", None)
    return row.occurred_on, written or datetime.min, row.key


@dataclass
class _Fold:
    journey: str
    case_ref: str = ""
    workflow_id: str = ""
    policy: str | None = None
    calendar_version: str | None = None
    team: str | None = None
    lead_social_worker: str | None = None
    opened_by: str | None = None
    opened_on: date | None = None
    strategy_discussions: list[date] = field(default_factory=list)
    section_47_started_on: date | None = None
    icpc_on: date | None = None
    icpc_due: date | None = None
    icpc_decision: str | None = None
    icpc_not_required_on: date | None = None
    transfer_category: str | None = None
    plan_started_on: date | None = None
    plan_started_by: str | None = None
    initial_category: str | None = None
    latest_category: str | None = None
    ended_on: date | None = None
    end_reason: str | None = None
    recurring: dict[str, list[Occurrence]] = field(default_factory=lambda: {kind: [] for kind in RECURRING})
    reviews_booked_for: list[date] = field(default_factory=list)
    last_recorded_on: date | None = None

    def take(self, row: RecordRow) -> None:
        details, on, kind = row.details or {}, row.occurred_on, row.kind
        self.case_ref, self.workflow_id = row.case_ref, row.workflow_id
        self.policy = details.get("policy") or self.policy
        self.last_recorded_on = max(filter(None, (self.last_recorded_on, on)))
        if kind in OPENINGS and self.opened_by is None:
            self.opened_by, self.opened_on = OPENINGS[kind], on
        if kind == "strategy_discussion" and self.icpc_on is None:
            self.strategy_discussions.append(on)
            if details.get("initiated_section_47"):
                self.section_47_started_on = on
        elif kind == "transfer_in":
            self.transfer_category = details.get("category")
        elif kind == "case_imported":
            self._plan_starts(_day(details.get("plan_started_on")) or on, "import", details.get("category"))
            self.lead_social_worker = details.get("lead_social_worker") or self.lead_social_worker
            self.team = details.get("team") or self.team
        elif kind == "icpc_held" and self.icpc_on is None:
            self.icpc_on, self.icpc_due = on, _day(details.get("due"))
            self.icpc_decision = details.get("decision")
            if self.icpc_decision == "plan":
                by = "transfer_in" if self.opened_by == "transfer_in" else "icpc"
                self._plan_starts(on, by, details.get("category") or self.transfer_category)
        elif kind == "conference_not_required":
            self.icpc_not_required_on = on
        elif kind == "lead_social_worker_named":
            self.lead_social_worker = details.get("staff_ref") or self.lead_social_worker
            self.team = details.get("team") or self.team
        elif kind == "calendar_updated":
            self.calendar_version = details.get("calendar_version") or self.calendar_version
        elif kind == "review_scheduled":
            booked = _day(details.get("review_date"))
            if booked is not None:
                self.reviews_booked_for.append(booked)
        elif kind == "plan_ended" and self.ended_on is None:
            self.ended_on, self.end_reason = on, details.get("reason")
        if kind == "review_held":
            if details.get("outcome") == "change_category" and details.get("category"):
                self.latest_category = str(details["category"])
            if details.get("outcome") == "end_plan" and self.ended_on is None:
                self.ended_on, self.end_reason = on, "review"
        self._recurring(row)

    def _plan_starts(self, on: date, by: str, category: Any) -> None:
        if self.plan_started_on is None:
            self.plan_started_on, self.plan_started_by = on, by
            self.initial_category = self.latest_category = str(category) if category else None

    def _recurring(self, row: RecordRow) -> None:
        for what, (done_kind, overdue_kind) in RECURRING.items():
            seen = self.recurring[what]
            if row.kind == overdue_kind:
                seen.append(Occurrence(done=None, due=row.occurred_on, on_time=False))
            elif row.kind == done_kind:
                details = row.details or {}
                if details.get("outcome") == "no_access":
                    return  # the child was not seen: the visit is still due
                if not details.get("late"):
                    seen.append(Occurrence(done=row.occurred_on, due=None, on_time=True))
                    return
                # Late: the missed due day it makes up for (its overdue record), if one was written.
                for index, one in enumerate(seen):
                    if one.done is None and one.due is not None and one.due <= row.occurred_on:
                        seen[index] = replace(one, done=row.occurred_on)
                        return
                said = _LATE_DUE.search(row.summary or "")
                seen.append(Occurrence(done=row.occurred_on, due=_day(said.group(1)) if said else None, on_time=False))

    def facts(self, authority_of: Callable[[str], str | None]) -> JourneyFacts:
        profile_id = self.policy.split("@", 1)[0] if self.policy else None
        plan = None
        if self.plan_started_on is not None:
            plan = PlanFacts(
                started_on=self.plan_started_on, started_by=self.plan_started_by or "icpc",
                initial_category=self.initial_category, latest_category=self.latest_category,
                ended_on=self.ended_on, end_reason=self.end_reason,
                reviews=tuple(self.recurring["review"]), visits=tuple(self.recurring["visit"]),
                core_groups=tuple(self.recurring["core_group"]), reviews_booked_for=tuple(self.reviews_booked_for))
        return JourneyFacts(
            journey=self.journey, case_ref=self.case_ref, workflow_id=self.workflow_id, profile_id=profile_id,
            authority=authority_of(self.policy) if self.policy else None, policy=self.policy,
            calendar_version=self.calendar_version, team=self.team, lead_social_worker=self.lead_social_worker,
            opened_by=self.opened_by, opened_on=self.opened_on, strategy_discussions=tuple(self.strategy_discussions),
            section_47_started_on=self.section_47_started_on, icpc_on=self.icpc_on, icpc_due=self.icpc_due,
            icpc_decision=self.icpc_decision, icpc_not_required_on=self.icpc_not_required_on, plan=plan,
            last_recorded_on=self.last_recorded_on,
        )


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


# -- Stored as JSON (the read model's rows) ------------------------------------------------------------


def to_json(facts: JourneyFacts) -> dict[str, Any]:
    """The facts as plain JSON (dates as ISO strings): what the read model's row keeps."""
    return _jsonable(asdict(facts))


def from_json(data: Mapping[str, Any]) -> JourneyFacts:
    """The facts back from :func:`to_json`."""
    plan = data.get("plan")
    return JourneyFacts(
        journey=data["journey"], case_ref=data["case_ref"], workflow_id=data["workflow_id"],
        profile_id=data.get("profile_id"), authority=data.get("authority"), policy=data.get("policy"),
        calendar_version=data.get("calendar_version"), team=data.get("team"),
        lead_social_worker=data.get("lead_social_worker"), opened_by=data.get("opened_by"),
        opened_on=_day(data.get("opened_on")),
        strategy_discussions=tuple(_day(one) for one in data.get("strategy_discussions") or ()),
        section_47_started_on=_day(data.get("section_47_started_on")), icpc_on=_day(data.get("icpc_on")),
        icpc_due=_day(data.get("icpc_due")), icpc_decision=data.get("icpc_decision"),
        icpc_not_required_on=_day(data.get("icpc_not_required_on")),
        plan=_plan_from_json(plan) if plan else None, last_recorded_on=_day(data.get("last_recorded_on")),
    )


def _plan_from_json(data: Mapping[str, Any]) -> PlanFacts:
    def occurrences(name: str) -> tuple[Occurrence, ...]:
        return tuple(Occurrence(done=_day(one.get("done")), due=_day(one.get("due")), on_time=bool(one["on_time"]))
                     for one in data.get(name) or ())

    return PlanFacts(
        started_on=_day(data["started_on"]), started_by=data["started_by"],  # type: ignore[arg-type]
        initial_category=data.get("initial_category"), latest_category=data.get("latest_category"),
        previous_plans=int(data.get("previous_plans") or 0), ended_on=_day(data.get("ended_on")),
        end_reason=data.get("end_reason"), reviews=occurrences("reviews"), visits=occurrences("visits"),
        core_groups=occurrences("core_groups"),
        reviews_booked_for=tuple(_day(one) for one in data.get("reviews_booked_for") or ()),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(one) for key, one in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(one) for one in value]
    return value
