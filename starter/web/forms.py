"""Which events the admin tool offers a journey, at each stage and now, and what the journey adds to their pages
(the tasks open, the dates a field must keep to). Each event's page is ``starter.web.event_pages``'s."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from domain.deadlines import KINDS, LONDON, Deadline
from domain.events import EVENT_TYPES, Task
from domain.state import JourneyState, Stage
from starter.web.conference import booking_kinds
from starter.web.govuk_forms import Override
from starter.web.labels import day_words

#: The headings a worker looks for the plan's forms under, in this order (each event names its own).
PLAN_HEADINGS = ("Visits and meetings", "Reviews", "Ending the plan", "Concerns", "People")
#: The plan's forms, under those headings: every event offered on a plan, by its ``group``.
PLAN_GROUPS = tuple(
    (heading, tuple(kind for kind, model in EVENT_TYPES.items() if model.group == heading and Stage.ON_PLAN in model.offered_at))
    for heading in PLAN_HEADINGS
)
#: The events the admin tool offers at each stage, from each event's ``offered_at`` (the journey's rules
#: have the last word).
EVENTS_AT_STAGE = {
    stage: (tuple(kind for _, kinds in PLAN_GROUPS for kind in kinds) if stage is Stage.ON_PLAN
            else tuple(kind for kind, model in EVENT_TYPES.items() if stage in model.offered_at))
    for stage in Stage
}


def new_event_id() -> str:
    return f"web-{uuid.uuid4().hex[:12]}"


def london_today() -> date:
    return datetime.now(LONDON).date()


def open_tasks(state: JourneyState | None) -> list[tuple[Task, Deadline]]:
    """The tasks a worker can mark done now: those with an open (or overdue) deadline."""
    if state is None:
        return []
    return [(task, row) for task in Task if (row := state.open_deadline(task.value)) is not None]


def offered_now(state: JourneyState) -> list[str]:
    """The events the admin tool offers a journey now, each on a page of its own (the journey's rules have the
    last word): its stage's, only the one of missing / found that applies, a task only while one is open, and
    booking a conference while none is booked and one fits the stage."""
    skip = {"child_missing"} if state.missing_since else {"child_found"}
    if not open_tasks(state):
        skip.add("task_completed")
    kinds = [kind for kind in EVENTS_AT_STAGE.get(state.stage, ()) if kind not in skip]
    if state.conference_ref is None and booking_kinds(state):
        kinds.append("conference_booked")
    return kinds


def state_overrides(kind: str, state: JourneyState | None) -> dict[str, Override] | None:
    """What the journey adds to a form: the tasks open now, the dates a field must keep to."""
    if state is None:
        return None
    if kind == "task_completed":
        return {"task": Override(options=[(task.value, f"{KINDS[task.value].label} (due {day_words(row.due)})")
                                          for task, row in open_tasks(state)],
                                 hint="Only tasks with a deadline still open.")}
    if kind == "conference_booked":
        words = EVENT_TYPES[kind].model_fields["kind"].json_schema_extra["x-choices"]
        return {"kind": Override(options=[(k, words[k]) for k in booking_kinds(state)])}
    if kind == "visit_made" and (due := state.open_deadline("visit")):
        return {"outcome": Override(hint=f"The next visit is due by {day_words(due.due)}.")}
    if kind == "review_scheduled" and (limit := state.open_deadline("review")):
        return {"review_date": Override(
            hint=f"The review limit is {day_words(limit.due)}: a review may be brought forward, never postponed past it.")}
    return None
