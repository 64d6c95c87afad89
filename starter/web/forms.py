"""The admin tool's forms: "Start a journey", and the event forms each stage of a journey offers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from domain.deadlines import KINDS, LONDON, Deadline
from domain.events import (
    Category,
    EndingReason,
    ExceptionalCircumstance,
    ReviewTrigger,
    SignificantEventKind,
    Task,
)
from domain.policy import load_profile, profile_ids
from domain.state import JourneyState, Stage
from starter.web.markup import (
    REASONS_HINT,
    STAFF_REF_HINT,
    checkbox,
    date_input,
    e,
    field,
    reasons_field,
    select,
    staff_ref_input,
    text_input,
    textarea,
)
from starter.web.labels import DECISION_LABELS, EVENT_LABELS, readable

#: The plan's forms, under the headings a worker looks for them by.
PLAN_GROUPS = (
    ("Visits and meetings", ("visit_made", "core_group_held", "task_completed")),
    ("Reviews", ("review_scheduled", "review_held")),
    ("Ending the plan", ("plan_ended",)),
    ("Concerns", ("child_missing", "child_found", "significant_event")),
    ("People", ("lead_social_worker_named", "lead_social_worker_cover", "core_group_members_recorded")),
)
#: The events the admin tool offers at each stage (the workflow's validators have the last word).
EVENTS_AT_STAGE = {
    Stage.AWAITING_SECTION_47: ("strategy_discussion",),
    Stage.AWAITING_ICPC: ("strategy_discussion", "icpc_delay_agreed", "icpc_held", "conference_not_required"),
    Stage.ON_PLAN: tuple(kind for _, kinds in PLAN_GROUPS for kind in kinds),
    Stage.CLOSED: (),
}
EVENT_BUTTONS = {
    "strategy_discussion": "Record the strategy discussion",
    "icpc_delay_agreed": "Record the agreed delay",
    "icpc_held": "Record the ICPC",
    "conference_not_required": "Record the decision",
    "visit_made": "Record the visit",
    "core_group_held": "Record the core group",
    "task_completed": "Record the task as done",
    "review_scheduled": "Book the review",
    "review_held": "Record the review",
    "plan_ended": "End the plan",
    "child_missing": "Record the child as missing",
    "child_found": "Record the child as found",
    "significant_event": "Record and tell the chair",
    "lead_social_worker_named": "Name the lead social worker",
    "lead_social_worker_cover": "Record the cover",
    "core_group_members_recorded": "Record the core group members",
}
VISIT_OUTCOMES = {"seen": "Child seen", "no_access": "No access: the child could not be seen"}
REVIEW_OUTCOMES = {"continue": "The plan continues", "change_category": "The plan continues under another category",
                   "end_plan": "The plan ends"}


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


def event_form(
    kind: str, values: Mapping[str, Any], today: str, action: str,
    state: JourneyState | None = None, heading_level: int = 3,
) -> str:
    def v(name: str, default: Any = "") -> Any:
        return values.get(name, default)

    def fid(name: str) -> str:
        return f"{kind}-{name}"

    def on(name: str) -> bool:
        return v(name) == "on"

    def day(name: str, label: str, required: bool = True, default: Any = None) -> str:
        return field(fid(name), label, date_input(fid(name), name, v(name, today if default is None else default),
                                                  required))

    def choose(name: str, label: str, options: Iterable[tuple[str, str]], default: str = "", hint: str = "") -> str:
        return field(fid(name), label, select(fid(name), name, options, v(name, default)), hint)

    def readable_options(enum: Iterable[Any], none: str | None = None) -> list[tuple[str, str]]:
        options = [("", none)] if none is not None else []
        return options + [(item.value, readable(item).capitalize()) for item in enum]

    if kind == "strategy_discussion":
        fields = field(fid("held_on"), "Held on", date_input(fid("held_on"), "held_on", v("held_on", today)))
        fields += checkbox(fid("initiated_section_47"), "initiated_section_47",
                           "The discussion initiated the section 47 enquiry (moves the ICPC deadline)",
                           v("initiated_section_47", "on") == "on")
    elif kind == "icpc_delay_agreed":
        fields = field(fid("agreed_on"), "Agreed on", date_input(fid("agreed_on"), "agreed_on", v("agreed_on", today)))
        fields += field(fid("new_target"), "New target date for the ICPC",
                        date_input(fid("new_target"), "new_target", v("new_target")))
        fields += reasons_field(fid("reasons"), "Reasons, as the team manager recorded them", v("reasons"))
    elif kind == "icpc_held":
        fields = field(fid("held_on"), "Held on", date_input(fid("held_on"), "held_on", v("held_on", today)))
        fields += field(fid("decision"), "Decision", select(fid("decision"), "decision", DECISION_LABELS.items(), v("decision", "plan")))
        categories = [("", "none (no plan)")] + [(c.value, c.value.replace("_", " ")) for c in Category]
        fields += field(fid("category"), "Category of the plan", select(fid("category"), "category", categories, v("category")))
    elif kind == "conference_not_required":
        fields = field(fid("decided_on"), "Decided on", date_input(fid("decided_on"), "decided_on", v("decided_on", today)))
        fields += reasons_field(fid("reasons"), "The team manager's reasons", v("reasons"))
    # -- the plan --
    elif kind == "visit_made":
        due = state.open_deadline("visit") if state else None
        fields = day("visited_on", "Visited on")
        fields += choose("outcome", "Outcome", VISIT_OUTCOMES.items(), "seen",
                         hint=f"The next visit is due by {due.due}." if due else "")
        fields += checkbox(fid("seen_alone"), "seen_alone", "The child was seen alone", on("seen_alone"))
        fields += checkbox(fid("bedroom_seen"), "bedroom_seen", "Where the child sleeps was seen", on("bedroom_seen"))
    elif kind == "core_group_held":
        fields = day("held_on", "Held on")
        fields += field(fid("attended"), "Attended (roles, comma-separated)",
                        text_input(fid("attended"), "attended", v("attended"), hint=True),
                        hint="For example: social worker, school, health visitor. " + REASONS_HINT)
        fields += field(fid("decisions"), "Decisions (one per line)", textarea(fid("decisions"), "decisions", v("decisions")),
                        hint=REASONS_HINT)
        fields += field(fid("actions"), "Actions: who does what (one per line)",
                        textarea(fid("actions"), "actions", v("actions")), hint=REASONS_HINT)
        fields += day("next_meeting_on", "Next meeting on (optional)", required=False, default="")
    elif kind == "task_completed":
        tasks = open_tasks(state)
        if not tasks:
            return ""
        options = [(task.value, f"{KINDS[task.value].label} (due {row.due})") for task, row in tasks]
        fields = choose("task", "Task", options, tasks[0][0].value, hint="Only tasks with a deadline still open.")
        fields += day("completed_on", "Completed on")
    elif kind == "review_scheduled":
        limit = state.open_deadline("review") if state else None
        fields = day("scheduled_on", "Booked on")
        fields += field(fid("review_date"), "Review date", date_input(fid("review_date"), "review_date", v("review_date")),
                        hint=(f"The review limit is {limit.due}: a review may be brought forward, never postponed past it."
                              if limit else ""))
        fields += choose("brought_forward_because", "Brought forward because",
                         readable_options(ReviewTrigger, "Not brought forward"))
    elif kind == "review_held":
        fields = day("held_on", "Held on")
        fields += choose("outcome", "Outcome", REVIEW_OUTCOMES.items(), "continue")
        fields += choose("category", "New category (only for a change of category)",
                         readable_options(Category, "No change"))
        fields += checkbox(fid("chair_endorsed_ending"), "chair_endorsed_ending",
                           "The independent chair endorsed ending the plan", on("chair_endorsed_ending"))
        fields += choose("exceptional_circumstance", "Exceptional circumstance (ending at the first review)",
                         readable_options(ExceptionalCircumstance, "None"))
    elif kind == "plan_ended":
        fields = day("ended_on", "Ended on")
        fields += choose("reason", "Reason", readable_options(EndingReason), EndingReason.TURNED_18.value)
        fields += checkbox(fid("receiving_conference_confirmed"), "receiving_conference_confirmed",
                           "The receiving authority confirmed its receiving-in conference (a move to another authority)",
                           on("receiving_conference_confirmed"))
    elif kind == "child_missing":
        fields = day("reported_on", "Reported missing on")
    elif kind == "child_found":
        fields = day("found_on", "Found on")
    elif kind == "significant_event":
        fields = day("occurred_on", "Occurred on")
        fields += choose("kind", "Kind of event", readable_options(SignificantEventKind), SignificantEventKind.NEW_INCIDENT.value,
                         hint="The conference chair and the lead social worker are told.")
    elif kind == "lead_social_worker_named":
        fields = day("named_on", "Named on")
        fields += field(fid("staff_ref"), "Lead social worker's staff number",
                        staff_ref_input(fid("staff_ref"), "staff_ref", v("staff_ref")), hint=STAFF_REF_HINT)
    elif kind == "lead_social_worker_cover":
        fields = day("absent_from", "Absent from")
        fields += day("absent_to", "Absent to", default="")
        fields += field(fid("cover_staff_ref"), "Cover's staff number",
                        staff_ref_input(fid("cover_staff_ref"), "cover_staff_ref", v("cover_staff_ref")), hint=STAFF_REF_HINT)
        fields += checkbox(fid("parents_informed"), "parents_informed",
                           "The parents and the child have been told of the absence and the cover", on("parents_informed"))
    elif kind == "core_group_members_recorded":
        fields = day("recorded_on", "Recorded on")
        fields += field(fid("members"), "Members: one \u201crole, agency\u201d per line",
                        textarea(fid("members"), "members", v("members"), required=True),
                        hint="For example: class teacher, school. " + REASONS_HINT)
    else:  # pragma: no cover - EVENTS_AT_STAGE only names the kinds above
        return ""
    event_id = v("event_id") or new_event_id()
    heading = f"{kind}-heading"
    h = f"h{heading_level}"
    return f"""
<form class="event" method="post" action="{e(action)}" aria-labelledby="{heading}">
<{h} id="{heading}">{e(EVENT_LABELS[kind])}</{h}>
<input type="hidden" name="type" value="{e(kind)}">
<input type="hidden" name="event_id" value="{e(event_id)}">
{fields}
<button type="submit">{e(EVENT_BUTTONS[kind])}</button>
</form>"""
