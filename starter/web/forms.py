"""The admin tool's forms: "Start a journey", and the event forms each stage of a journey offers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from domain.deadlines import KINDS, LONDON, Deadline
from domain.events import EVENT_TYPES, Task
from domain.state import JourneyState, Stage
from shipped.profiles import load_profile, profile_ids
from starter.web.markup import checkbox, date_input, e, field, select
from starter.web.model_forms import Override, render

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



def start_form(values: Mapping[str, Any] | None = None) -> str:
    values = values or {}
    policies = [(pid, f"{pid} ({load_profile(pid).authority})") for pid in profile_ids()]
    initiated = values.get("initiated_section_47", "on") == "on"
    return f"""
<form class="start" method="post" action="/journeys">
<h3 id="start-heading">Start a journey</h3>
{field("case_ref", "Case reference",
       f'<input type="text" id="case_ref" name="case_ref" value="{e(values.get("case_ref", ""))}" required '
       f'autocomplete="off" spellcheck="false" aria-describedby="case_ref-hint">',
       "The case system's number, e.g. CASE-0042. Never a name.")}
{field("policy", "Policy", select("policy", "policy", policies, values.get("policy", "")))}
{field("strategy_discussion", "Strategy discussion held on",
       date_input("strategy_discussion", "strategy_discussion", values.get("strategy_discussion", london_today().isoformat())))}
{checkbox("initiated_section_47", "initiated_section_47", "The strategy discussion initiated the section 47 enquiry", initiated)}
<button type="submit">Start the journey</button>
</form>"""


def open_tasks(state: JourneyState | None) -> list[tuple[Task, Deadline]]:
    """The tasks a worker can mark done now: those with an open (or overdue) deadline."""
    if state is None:
        return []
    return [(task, row) for task in Task if (row := state.open_deadline(task.value)) is not None]


def _state_overrides(kind: str, state: JourneyState | None) -> dict[str, Override] | None:
    """What the journey adds to a form: the tasks open now, the dates a field must keep to."""
    if state is None:
        return None
    if kind == "task_completed":
        return {"task": Override(options=[(task.value, f"{KINDS[task.value].label} (due {row.due})")
                                          for task, row in open_tasks(state)],
                                 hint="Only tasks with a deadline still open.")}
    if kind == "visit_made" and (due := state.open_deadline("visit")):
        return {"outcome": Override(hint=f"The next visit is due by {due.due}.")}
    if kind == "review_scheduled" and (limit := state.open_deadline("review")):
        return {"review_date": Override(
            hint=f"The review limit is {limit.due}: a review may be brought forward, never postponed past it.")}
    return None


def event_form(
    kind: str, values: Mapping[str, Any], today: str, action: str,
    state: JourneyState | None = None, heading_level: int = 3,
) -> str:
    """The form for one kind of event, from its model (``starter.web.model_forms``)."""
    model = EVENT_TYPES.get(kind)
    if model is None:  # pragma: no cover - EVENTS_AT_STAGE only names events
        return ""
    if kind == "task_completed" and not open_tasks(state):
        return ""
    fields = render(model, values, today, kind, _state_overrides(kind, state))
    event_id = values.get("event_id") or new_event_id()
    heading = f"{kind}-heading"
    h = f"h{heading_level}"
    return f"""
<form class="event" method="post" action="{e(action)}" aria-labelledby="{heading}">
<{h} id="{heading}">{e(model.title)}</{h}>
<input type="hidden" name="type" value="{e(kind)}">
<input type="hidden" name="event_id" value="{e(event_id)}">
{fields}
<button type="submit">{e(model.action)}</button>
</form>"""
