"""The admin tool (HTML, for operations staff) and the service API (JSON, for other services).

Both go through :class:`starter.client.Journeys`, the one place that talks to
Temporal; nothing here decides whether an event fits a journey (the workflow's
validators do) or what a deadline is (``domain.deadlines`` does).

Routes::

    GET  /api/policies                          profiles: id, version, authority
    GET  /api/policies/{id}                     one resolved profile
    GET  /api/deadlines?policy=&strategy_discussion=   the ICPC deadline, and why
    POST /api/journeys                          start a journey (201)
    GET  /api/journeys                          journey summaries
    GET  /api/journeys/{case_ref}               a journey's state
    POST /api/journeys/{case_ref}/events        send one event (discriminated by "type")

    GET  /                                      journeys table and the "Start a journey" form
    POST /journeys                              start (form), then 303 to the journey page
    GET  /journeys?case_ref=                    open a journey by case reference
    GET  /journeys/{case_ref}                   a journey: deadlines, escalations, event forms
    POST /journeys/{case_ref}/events            record an event (form), then 303 back

API errors are ``{"detail": "a sentence"}`` (422 keeps pydantic's list). The
admin tool shows errors in an alert on the page they came from, never a trace.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Body, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from domain.deadlines import KINDS, LONDON, Deadline, DeadlineStatus, icpc_deadline, london_date
from domain.events import (
    CaseRef,
    Category,
    EndingReason,
    ExceptionalCircumstance,
    JourneyEvent,
    ReviewTrigger,
    SignificantEventKind,
    StrategyDiscussion,
    Task,
)
from domain.policy import PolicyNotFound, load_profile, profile_ids
from domain.state import JourneyState, Stage
from starter.client import (
    EventRejected,
    JourneyError,
    JourneyExists,
    JourneyNotFound,
    Journeys,
    JourneySummary,
    connect,
    temporal_address,
)

log = logging.getLogger("cpj.web")

JourneysFactory = Callable[[], Awaitable[Journeys]]

EVENT_ADAPTER: TypeAdapter = TypeAdapter(JourneyEvent)
CASE_REF_ADAPTER: TypeAdapter = TypeAdapter(CaseRef)

STAGE_LABELS = {
    Stage.AWAITING_SECTION_47: "Awaiting a section 47 enquiry",
    Stage.AWAITING_ICPC: "Awaiting the initial child protection conference",
    Stage.ON_PLAN: "On a child protection plan",
    Stage.CLOSED: "Closed",
}
EVENT_LABELS = {
    "strategy_discussion": "Strategy discussion",
    "icpc_delay_agreed": "Delay agreed by the team manager",
    "icpc_held": "ICPC held",
    "conference_not_required": "Conference not required",
    # The plan
    "visit_made": "Visit",
    "core_group_held": "Core group held",
    "task_completed": "Task completed",
    "review_scheduled": "Review booked",
    "review_held": "Review held",
    "plan_ended": "Plan ended",
    "child_missing": "Child missing",
    "child_found": "Child found",
    "significant_event": "Significant event",
    "lead_social_worker_named": "Lead social worker named",
    "lead_social_worker_cover": "Cover for the lead social worker",
    "core_group_members_recorded": "Core group members",
}
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
FIELD_LABELS = {
    "case_ref": "Case reference",
    "policy": "Policy",
    "event_id": "Event id",
    "held_on": "Held on",
    "initiated_section_47": "Initiated the section 47 enquiry",
    "agreed_on": "Agreed on",
    "agreed_by": "Agreed by",
    "new_target": "New target date",
    "reasons": "Reasons",
    "decision": "Decision",
    "category": "Category",
    "decided_on": "Decided on",
    "decided_by": "Decided by",
    "strategy_discussion": "Strategy discussion",
    # The plan
    "named_on": "Named on",
    "staff_ref": "Staff number",
    "absent_from": "Absent from",
    "absent_to": "Absent to",
    "cover_staff_ref": "Cover staff number",
    "parents_informed": "Parents and child informed",
    "recorded_on": "Recorded on",
    "members": "Core group members",
    "role": "role",
    "agency": "agency",
    "attended": "Attended",
    "decisions": "Decisions",
    "actions": "Actions",
    "next_meeting_on": "Next meeting",
    "visited_on": "Visited on",
    "outcome": "Outcome",
    "seen_alone": "Seen alone",
    "bedroom_seen": "Bedroom seen",
    "task": "Task",
    "completed_on": "Completed on",
    "scheduled_on": "Booked on",
    "review_date": "Review date",
    "brought_forward_because": "Brought forward because",
    "chair_endorsed_ending": "Chair endorsed the ending",
    "exceptional_circumstance": "Exceptional circumstance",
    "ended_on": "Ended on",
    "reason": "Reason",
    "receiving_conference_confirmed": "Receiving-in conference confirmed",
    "reported_on": "Reported missing on",
    "found_on": "Found on",
    "occurred_on": "Occurred on",
    "kind": "Kind of event",
}
#: What one entry of a list field is called in an error ("Decisions, line 2: ...").
LIST_ITEMS = {"attended": "role", "decisions": "line", "actions": "line", "members": "line"}
STAFF_REF_FIELDS = ("staff_ref", "cover_staff_ref")
STAFF_REF_HELP = "should be a staff number such as SW-1042 (never a name)"
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
DECISION_LABELS = {"plan": "Child protection plan", "no_plan": "No plan (child in need follow-up)"}
CASE_REF_HELP = (
    "A case reference is the case system's number: 4 to 32 capital letters, digits and hyphens, "
    "starting with a letter or digit, with at least four digits (for example CASE-0042)."
)


class TemporalUnavailable(Exception):
    """Temporal could not be reached; the message says where it was looked for."""


class StartJourney(BaseModel):
    """What a service sends to start a journey."""

    model_config = ConfigDict(extra="forbid")

    case_ref: CaseRef
    policy: str
    strategy_discussion: StrategyDiscussion


# -- helpers -----------------------------------------------------------------------


def e(value: Any) -> str:
    """HTML-escape anything shown to a user (dates are ISO through ``str``)."""
    return html.escape("" if value is None else str(value), quote=True)


def new_event_id() -> str:
    return f"web-{uuid.uuid4().hex[:12]}"


def london_today() -> date:
    return datetime.now(LONDON).date()


def kind_label(kind: str | None) -> str:
    if not kind:
        return ""
    return "ICPC" if kind == "icpc" else kind.replace("_", " ").capitalize()


def readable(value: Any) -> str:
    """An enum value or role as words: ``line_manager`` is "line manager"."""
    return str(getattr(value, "value", value) or "").replace("_", " ")


def escalates_to(row: Deadline) -> str:
    """Who hears when an open deadline passes (nothing for one that is done with)."""
    if row.status not in (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE) or row.kind not in KINDS:
        return ""
    return readable(KINDS[row.kind].escalate_to)


def _error_label(loc: tuple) -> str:
    """Where an error is, in the form's words: "Held on", "Core group members, line 2, agency"."""
    parts = [p for p in loc if not (isinstance(p, str) and p in EVENT_LABELS)]
    if not parts:
        return ""
    words = []
    for before, part in zip([None, *parts], parts):
        if isinstance(part, int):
            words.append(f"{LIST_ITEMS.get(before, 'entry')} {part + 1}")
        else:
            words.append(FIELD_LABELS.get(part, part.replace("_", " ")))
    first, *rest = words
    return ", ".join([first[:1].upper() + first[1:], *rest])


def error_sentences(err: ValidationError) -> str:
    """Pydantic's errors as sentences a member of staff can act on."""
    parts = []
    for item in err.errors(include_url=False):
        msg = str(item["msg"]).removeprefix("Value error, ")
        names = [p for p in item["loc"] if isinstance(p, str)]
        if item["type"] == "string_pattern_mismatch" and names and names[-1] in STAFF_REF_FIELDS:
            msg = STAFF_REF_HELP
        elif item["type"] == "too_short" and isinstance(item.get("input"), list):
            msg = "give at least one"
        label = _error_label(item["loc"])
        parts.append(f"{label}: {msg}" if label else msg[:1].upper() + msg[1:])
    return "; ".join(parts)


class InvalidCaseRef(ValueError):
    pass


def valid_case_ref(value: str) -> str:
    """The case reference, or :class:`InvalidCaseRef` with a sentence staff can act on."""
    try:
        return CASE_REF_ADAPTER.validate_python(value)
    except ValidationError as err:
        [item] = err.errors(include_url=False)
        if item["type"] == "string_pattern_mismatch":
            raise InvalidCaseRef(CASE_REF_HELP) from None
        msg = str(item["msg"]).removeprefix("Value error, ")
        raise InvalidCaseRef(msg[:1].upper() + msg[1:] + ".") from None


def summary_json(row: JourneySummary) -> dict:
    data = jsonable_encoder(asdict(row))
    data["next_due"] = row.next_due.isoformat() if row.next_due else None
    return data


def _is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


# -- HTML ----------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; --ink:#1b1b1b; --muted:#505a5f; --line:#b1b4b6; --red:#b10e1e; --link:#1d4f91; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Arial, sans-serif; color: var(--ink); margin: 0; }
header { background: #0b0c0c; color: #fff; padding: .6rem 1.5rem; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.8rem; margin: .5rem 0 1rem; } h2 { font-size: 1.3rem; margin-top: 2rem; }
a { color: var(--link); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f3f2f1; }
.overdue { color: var(--red); font-weight: 700; }
.date { white-space: nowrap; }
.alert { border: 3px solid var(--red); color: var(--red); padding: .6rem 1rem; margin: 1rem 0; font-weight: 600; }
.notice { border-left: 6px solid #00703c; background: #f3f2f1; padding: .6rem 1rem; margin: 1rem 0; }
.muted { color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.2rem; margin: 0; }
dt { font-weight: 600; } dd { margin: 0; }
form.event, form.start { border: 1px solid var(--line); padding: .8rem 1rem 1rem; margin: 1rem 0; max-width: 40rem; }
form.event h3, form.event h4, form.start h3 { margin: 0 0 .6rem; font-size: 1.1rem; }
h3.group { font-size: 1.2rem; margin: 1.5rem 0 0; border-bottom: 2px solid var(--ink); }
dd.missing { color: var(--red); font-weight: 700; }
.field { margin: .6rem 0; }
.field label { display: block; font-weight: 600; }
.field.check label { display: inline; font-weight: 400; }
input[type=text], input[type=date], select, textarea { font: inherit; padding: .3rem .4rem; border: 2px solid var(--ink); min-width: 16rem; }
textarea { width: 100%; min-height: 4rem; }
button { font: inherit; font-weight: 600; padding: .4rem 1rem; background: #00703c; color: #fff; border: 0; cursor: pointer; }
:focus-visible { outline: 3px solid #fd0; outline-offset: 0; }
.forms { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 0 1.5rem; }
"""


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    doc = f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} · cp-journeys</title>
<style>{CSS}</style>
</head>
<body>
<header><a href="/">cp-journeys · child protection journeys</a></header>
<main>
{body}
</main>
</body>
</html>"""
    return HTMLResponse(doc, status_code=status_code)


def alert(message: str | None, extra_html: str = "") -> str:
    if not message:
        return ""
    return f'<div class="alert" role="alert"><p>{e(message)}</p>{extra_html}</div>'


def error_page(status_code: int, title: str, message: str) -> HTMLResponse:
    body = f'<h1>{e(title)}</h1>{alert(message)}<p><a href="/">Back to all journeys</a></p>'
    return page(title, body, status_code)


def field(name: str, label: str, control: str, hint: str = "") -> str:
    hint_html = f'<div class="muted" id="{name}-hint">{e(hint)}</div>' if hint else ""
    return f'<div class="field"><label for="{name}">{e(label)}</label>{hint_html}{control}</div>'


REASONS_HINT = "No names, dates of birth or addresses: refer to people by role (mother, school nurse)."


def reasons_field(id_: str, label: str, value: Any) -> str:
    # Reasons travel in Temporal payloads, where personal data must never be in clear.
    textarea = (f'<textarea id="{id_}" name="reasons" required minlength="10" maxlength="2000" '
                f'aria-describedby="{id_}-hint">{e(value)}</textarea>')
    return field(id_, label, textarea, hint=REASONS_HINT)


def date_input(id_: str, name: str, value: Any, required: bool = True) -> str:
    req = " required" if required else ""
    return f'<input type="date" id="{id_}" name="{name}" value="{e(value)}"{req}>'


def select(id_: str, name: str, options: Iterable[tuple[str, str]], chosen: Any) -> str:
    opts = "".join(
        f'<option value="{e(value)}"{" selected" if str(value) == str(chosen) else ""}>{e(text)}</option>'
        for value, text in options
    )
    return f'<select id="{id_}" name="{name}">{opts}</select>'


def text_input(id_: str, name: str, value: Any, required: bool = True, hint: bool = False, extra: str = "") -> str:
    req = " required" if required else ""
    described = f' aria-describedby="{id_}-hint"' if hint else ""
    return (f'<input type="text" id="{id_}" name="{name}" value="{e(value)}" autocomplete="off" '
            f'spellcheck="false"{described}{req}{extra}>')


def textarea(id_: str, name: str, value: Any, required: bool = False) -> str:
    """A free-text box; every one carries :data:`REASONS_HINT` (the caller passes it to :func:`field`)."""
    req = " required" if required else ""
    return f'<textarea id="{id_}" name="{name}" aria-describedby="{id_}-hint"{req}>{e(value)}</textarea>'


def staff_ref_input(id_: str, name: str, value: Any) -> str:
    return text_input(id_, name, value, hint=True, extra=' pattern="[A-Z]{1,4}-?[0-9]{3,10}"')


STAFF_REF_HINT = "The staff number, e.g. SW-1042. Never a name."


def checkbox(id_: str, name: str, label: str, checked: bool) -> str:
    return (
        f'<div class="field check"><input type="checkbox" id="{id_}" name="{name}" value="on"'
        f'{" checked" if checked else ""}> <label for="{id_}">{e(label)}</label></div>'
    )


def temporal_link(ui_url: str, namespace: str, case_ref: str) -> str:
    href = f"{ui_url}/namespaces/{quote(namespace, safe='')}/workflows/cpj-{quote(case_ref, safe='')}"
    return f'<a href="{e(href)}" aria-label="Temporal history for case {e(case_ref)}">Temporal history</a>'


def journey_href(case_ref: str) -> str:
    return f"/journeys/{quote(case_ref, safe='')}"


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


def home_page(
    rows: list[JourneySummary] | None,
    ui_url: str,
    namespace: str,
    error: str | None = None,
    list_error: str | None = None,
    values: Mapping[str, Any] | None = None,
    status_code: int = 200,
    error_extra: str = "",
) -> HTMLResponse:
    if rows is None:
        table = f'<p class="alert" role="alert">The journey list is not available: {e(list_error)}</p>'
    elif not rows:
        table = '<p class="muted">No journeys yet.</p>'
    else:
        ordered = sorted(
            rows,
            key=lambda r: (not r.overdue, r.status != "running", r.next_deadline is None,
                           r.next_deadline or datetime.max.replace(tzinfo=timezone.utc), r.case_ref),
        )
        body_rows = []
        for row in ordered:
            due = row.next_due
            nxt = (f'{e(kind_label(row.next_deadline_kind))} <span class="date">{e(due.isoformat())}</span>'
                   if due else '<span class="muted">none open</span>')
            overdue = '<span class="overdue">Overdue</span>' if row.overdue else ""
            stage = STAGE_LABELS.get(Stage(row.stage), row.stage) if row.stage in Stage._value2member_map_ else (row.stage or "")
            body_rows.append(
                f'<tr><td><a href="{e(journey_href(row.case_ref))}">{e(row.case_ref)}</a></td>'
                f"<td>{e(row.status)}</td><td>{e(stage)}</td><td>{e(row.policy)}</td>"
                f"<td>{nxt}</td><td>{overdue}</td><td>{temporal_link(ui_url, namespace, row.case_ref)}</td></tr>"
            )
        table = (
            '<table><caption class="muted" style="text-align:left">Overdue first, then by next deadline</caption>'
            '<thead><tr><th scope="col">Case</th><th scope="col">Status</th><th scope="col">Stage</th>'
            '<th scope="col">Policy</th><th scope="col">Next deadline</th><th scope="col">Overdue</th>'
            '<th scope="col">Temporal</th></tr></thead>'
            f"<tbody>{''.join(body_rows)}</tbody></table>"
        )
    body = f"""
<h1>Child protection journeys</h1>
{alert(error, error_extra)}
{table}
<form method="get" action="/journeys" class="lookup">
<div class="field"><label for="lookup">Open a journey by case reference</label>
<input type="text" id="lookup" name="case_ref" autocomplete="off" spellcheck="false"> <button type="submit">Open</button></div>
</form>
{start_form(values)}
"""
    return page("Journeys", body, status_code)


def open_tasks(state: JourneyState | None) -> list[tuple[Task, Deadline]]:
    """The tasks a worker can mark done now: those with an open (or overdue) deadline."""
    if state is None:
        return []
    return [(task, row) for task in Task if (row := state.open_deadline(task.value)) is not None]


def _event_form(
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


def journey_page(
    state: JourneyState,
    ui_url: str,
    namespace: str,
    error: str | None = None,
    failed: Mapping[str, Any] | None = None,
    recorded: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ref = state.case_ref
    facts = [("Stage", STAGE_LABELS.get(state.stage, state.stage.value)), ("Policy", state.policy)]
    if state.section_47_initiated_on:
        facts.append(("Section 47 initiated on", state.section_47_initiated_on.isoformat()))
    if state.delay:
        facts.append(("Delay agreed", f"on {state.delay.agreed_on}, to {state.delay.new_target}: {state.delay.reasons}"))
    if state.icpc:
        decision = DECISION_LABELS[state.icpc.decision]
        if state.icpc.category:
            decision += f" ({state.icpc.category.value.replace('_', ' ')})"
        facts.append(("ICPC", f"held on {state.icpc.held_on}: {decision}"))
    missing = ""
    if state.plan_started_on:
        facts.append(("Category", readable(state.category).capitalize()))
        facts.append(("Plan started", state.plan_started_on.isoformat()))
        facts.append(("Lead social worker", state.lead_social_worker or "not named yet"))
        if state.cover:
            c = state.cover
            facts.append(("Cover", f"{c.cover_staff_ref}, {c.absent_from} to {c.absent_to} (parents and child told)"))
        facts.append(("Reviews held", str(state.reviews_held)))
        facts.append(("Review booked for", state.review_date.isoformat() if state.review_date else "not booked"))
        if state.missing_since:
            missing = (f'<dt>Missing since</dt><dd class="missing">{e(state.missing_since.isoformat())}: '
                       "the child is missing</dd>")
    if state.closed_because:
        facts.append(("Closed because", state.closed_because))
    facts_html = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts) + missing
    facts_html += f"<dt>Temporal</dt><dd>{temporal_link(ui_url, namespace, ref)}</dd>"
    undelivered = ""
    if state.undelivered:
        items = "".join(f"<li>{e(x)}</li>" for x in state.undelivered)
        undelivered = ('<div class="alert" role="alert"><p>Notices that could not be delivered: tell these people '
                       f"another way.</p><ul>{items}</ul></div>")

    if state.deadlines:
        rows = []
        for row in state.deadlines:
            cls = ' class="overdue"' if row.status is DeadlineStatus.OVERDUE else ""
            rows.append(
                f'<tr><td>{e(row.label)}</td><td class="date">{e(row.due.isoformat())}</td><td{cls}>{e(row.status.value)}</td>'
                f'<td>{e(escalates_to(row))}</td>'
                f'<td class="date">{e(row.agreed_target.isoformat() if row.agreed_target else "")}</td><td>{e(row.reason)}</td></tr>'
            )
        deadlines = (
            '<table><thead><tr><th scope="col">Deadline</th><th scope="col">Due</th><th scope="col">Status</th>'
            '<th scope="col">Escalates to</th><th scope="col">Agreed delay to</th><th scope="col">Why this date</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    else:
        deadlines = '<p class="muted">No deadlines yet: no strategy discussion has initiated a section 47 enquiry.</p>'

    escalations = (
        "<ul>" + "".join(f'<li class="overdue">{e(x)}</li>' for x in state.escalations) + "</ul>"
        if state.escalations else '<p class="muted">None.</p>'
    )
    discussions = "<ul>" + "".join(
        f"<li>{e(sd.held_on.isoformat())}: section 47 {'initiated' if sd.initiated_section_47 else 'not initiated'}"
        f' <span class="muted">({e(sd.event_id)})</span></li>'
        for sd in state.strategy_discussions
    ) + "</ul>"

    kinds = EVENTS_AT_STAGE.get(state.stage, ())
    today = london_today().isoformat()
    failed_kind = (failed or {}).get("type")
    action = journey_href(ref) + "/events"
    if state.stage is Stage.ON_PLAN:
        # Only the one of missing / found that applies.
        skip = {"child_missing"} if state.missing_since else {"child_found"}
        groups = []
        for heading, group in PLAN_GROUPS:
            forms = "".join(
                _event_form(kind, failed if kind == failed_kind else {}, today, action, state, heading_level=4)
                for kind in group if kind not in skip
            )
            if forms:
                groups.append(f'<h3 class="group">{e(heading)}</h3><div class="forms">{forms}</div>')
        events = "".join(groups)
    elif kinds:
        forms = "".join(
            _event_form(kind, failed if kind == failed_kind else {}, today, action, state)
            for kind in kinds
        )
        events = f'<div class="forms">{forms}</div>'
    else:
        events = '<p class="muted">The journey has closed: it takes no more events.</p>'
    members = ""
    if state.plan_started_on:
        if state.core_group_members:
            member_rows = "".join(f"<tr><td>{e(m.role)}</td><td>{e(m.agency)}</td></tr>" for m in state.core_group_members)
            members = ('<h2>Core group members</h2><table><thead><tr><th scope="col">Role</th><th scope="col">Agency</th>'
                       f"</tr></thead><tbody>{member_rows}</tbody></table>")
        else:
            members = '<h2>Core group members</h2><p class="muted">None recorded yet.</p>'

    notice = (
        f'<div class="notice" role="status">Recorded: {e(EVENT_LABELS[recorded])}.</div>'
        if recorded in EVENT_LABELS and not error else ""
    )
    body = f"""
<p><a href="/">All journeys</a></p>
<h1>Case {e(ref)}</h1>
{alert(error)}
{notice}
{undelivered}
<dl>{facts_html}</dl>
{members}
<h2>Deadlines</h2>
{deadlines}
<h2>Escalations</h2>
{escalations}
<h2>Strategy discussions</h2>
{discussions}
<h2>Record an event</h2>
{events}
"""
    return page(f"Case {ref}", body, status_code)


# -- the app --------------------------------------------------------------------------


def create_app(journeys_factory: JourneysFactory | None = None) -> FastAPI:
    """The admin tool and the service API; ``journeys_factory`` defaults to connecting to Temporal."""

    async def connect_default() -> Journeys:
        return Journeys(await connect())

    factory = journeys_factory or connect_default
    ui_url = os.environ.get("CPJ_TEMPORAL_UI_URL", "http://localhost:8233").rstrip("/")
    cache: dict[str, Journeys] = {}
    lock = asyncio.Lock()

    async def journeys() -> Journeys:
        if "j" not in cache:
            async with lock:
                if "j" not in cache:
                    try:
                        cache["j"] = await factory()
                    except Exception as err:  # connection errors come in many types
                        log.warning("cannot reach Temporal: %s", err)
                        raise TemporalUnavailable(
                            f"Temporal is not reachable at {temporal_address()}; is the server running?"
                        ) from err
        return cache["j"]

    def namespace(j: Journeys) -> str:
        return getattr(getattr(j, "client", None), "namespace", None) or "default"

    app = FastAPI(
        title="cp-journeys",
        description="Child protection case journeys: the service API (/api) and the admin tool (/).",
        version="0.1.0",
    )

    # -- errors: JSON under /api, an HTML page elsewhere ----------------------------

    def respond(request: Request, status_code: int, message: str, title: str) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=status_code)
        return error_page(status_code, title, message)

    @app.exception_handler(JourneyNotFound)
    async def _not_found(request: Request, err: JourneyNotFound) -> Response:
        return respond(request, 404, str(err), "No such journey")

    @app.exception_handler(PolicyNotFound)
    async def _no_policy(request: Request, err: PolicyNotFound) -> Response:
        return respond(request, 404, str(err), "No such policy")

    @app.exception_handler(JourneyExists)
    async def _exists(request: Request, err: JourneyExists) -> Response:
        return respond(request, 409, str(err), "Journey already running")

    @app.exception_handler(EventRejected)
    async def _rejected(request: Request, err: EventRejected) -> Response:
        return respond(request, 409, str(err), "Event rejected")

    @app.exception_handler(JourneyError)
    async def _journey_error(request: Request, err: JourneyError) -> Response:
        return respond(request, 400, str(err), "Cannot do that")

    @app.exception_handler(TemporalUnavailable)
    async def _unavailable(request: Request, err: TemporalUnavailable) -> Response:
        return respond(request, 503, str(err), "Temporal is not reachable")

    @app.exception_handler(RPCError)
    async def _rpc(request: Request, err: RPCError) -> Response:
        log.warning("Temporal refused %s %s: %s", request.method, request.url.path, err)
        return respond(request, 503, f"Temporal could not answer: {err.message}", "Temporal could not answer")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> Response:
        detail = [{k: v for k, v in item.items() if k not in ("ctx", "url")} for item in err.errors()]
        for item in detail:
            item["msg"] = str(item.get("msg", "")).removeprefix("Value error, ")
        if _is_api(request):
            return JSONResponse({"detail": jsonable_encoder(detail)}, status_code=422)
        return error_page(422, "Invalid request", "; ".join(item["msg"] for item in detail))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": err.detail}, status_code=err.status_code, headers=err.headers)
        return error_page(err.status_code, str(err.detail), "There is no such page here.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return respond(request, 500, "Something went wrong on our side; the error was logged.", "Something went wrong")

    # -- service API -------------------------------------------------------------

    @app.get("/api/policies", tags=["policies"])
    async def api_policies() -> list[dict]:
        return [
            {"id": p.id, "version": p.version, "authority": p.authority}
            for p in (load_profile(pid) for pid in profile_ids())
        ]

    @app.get("/api/policies/{policy_id}", tags=["policies"])
    async def api_policy(policy_id: str) -> dict:
        if policy_id not in profile_ids():
            raise PolicyNotFound(f"no policy profile {policy_id!r}; known: {', '.join(profile_ids())}")
        return load_profile(policy_id).model_dump(mode="json")

    @app.get("/api/deadlines", tags=["policies"])
    async def api_deadlines(
        policy: Annotated[str, Query(description="policy profile id")],
        strategy_discussion: Annotated[date, Query(description="day of the discussion that initiated the s47 (ISO)")],
    ) -> dict:
        if policy not in profile_ids():
            raise PolicyNotFound(f"no policy profile {policy!r}; known: {', '.join(profile_ids())}")
        profile = load_profile(policy)
        deadline = icpc_deadline(profile, strategy_discussion)
        return {"kind": deadline.kind, "rule": deadline.rule, "due": deadline.due.isoformat(),
                "reason": deadline.reason, "policy": profile.pin}

    @app.post("/api/journeys", status_code=201, tags=["journeys"])
    async def api_start(body: StartJourney) -> dict:
        if body.policy not in profile_ids():
            raise PolicyNotFound(f"no policy profile {body.policy!r}; known: {', '.join(profile_ids())}")
        j = await journeys()
        workflow_id = await j.start(body.case_ref, body.policy, body.strategy_discussion)
        state = await j.state(body.case_ref)
        return {"workflow_id": workflow_id, "state": state.model_dump(mode="json")}

    @app.get("/api/journeys", tags=["journeys"])
    async def api_list() -> list[dict]:
        return [summary_json(row) for row in await (await journeys()).list()]

    @app.get("/api/journeys/{case_ref}", tags=["journeys"])
    async def api_state(case_ref: str) -> dict:
        return (await (await journeys()).state(case_ref)).model_dump(mode="json")

    @app.post("/api/journeys/{case_ref}/events", tags=["journeys"])
    async def api_send(case_ref: str, event: Annotated[JourneyEvent, Body()]) -> dict:
        return (await (await journeys()).send(case_ref, event)).model_dump(mode="json")

    # -- admin tool --------------------------------------------------------------

    async def render_home(**kwargs: Any) -> HTMLResponse:
        j = await journeys()
        rows: list[JourneySummary] | None
        list_error = None
        try:
            rows = await j.list()
        except RPCError as err:
            log.warning("cannot list journeys: %s", err)
            rows, list_error = None, f"Temporal could not list journeys ({err.message}). Open one by its case reference below."
        return home_page(rows, ui_url, namespace(j), list_error=list_error, **kwargs)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home() -> HTMLResponse:
        return await render_home()

    @app.get("/journeys", include_in_schema=False)
    async def lookup(case_ref: str = "") -> Response:
        ref = case_ref.strip().upper()
        if not ref:
            return RedirectResponse("/", status_code=303)
        return RedirectResponse(journey_href(ref), status_code=303)

    @app.post("/journeys", include_in_schema=False)
    async def start_from_form(request: Request) -> Response:
        form = await request.form()
        values = {k: str(form.get(k, "")) for k in ("case_ref", "policy", "strategy_discussion")}
        values["case_ref"] = values["case_ref"].strip().upper()
        values["initiated_section_47"] = "on" if form.get("initiated_section_47") else "off"
        try:
            case_ref = valid_case_ref(values["case_ref"])
            if values["policy"] not in profile_ids():
                raise PolicyNotFound(f"There is no policy profile {values['policy']!r}.")
            discussion = StrategyDiscussion(
                event_id=new_event_id(),
                held_on=values["strategy_discussion"],
                initiated_section_47=values["initiated_section_47"] == "on",
            )
            await (await journeys()).start(case_ref, values["policy"], discussion)
        except ValidationError as err:
            return await render_home(error=f"The journey was not started. {error_sentences(err)}", values=values,
                                     status_code=400)
        except (InvalidCaseRef, PolicyNotFound) as err:
            return await render_home(error=f"The journey was not started. {err}", values=values, status_code=400)
        except JourneyExists as err:
            link = f'<p><a href="{e(journey_href(values["case_ref"]))}">Open the running journey</a></p>'
            return await render_home(error=f"The journey was not started: {err}.", values=values, status_code=409,
                                     error_extra=link)
        return RedirectResponse(journey_href(case_ref), status_code=303)

    @app.get("/journeys/{case_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def journey(case_ref: str, recorded: str | None = None) -> HTMLResponse:
        j = await journeys()
        return journey_page(await j.state(case_ref), ui_url, namespace(j), recorded=recorded)

    @app.post("/journeys/{case_ref}/events", include_in_schema=False)
    async def send_from_form(case_ref: str, request: Request) -> Response:
        form = await request.form()
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        kind = values.get("type", "")
        j = await journeys()
        if kind not in EVENT_LABELS:
            state = await j.state(case_ref)
            return journey_page(state, ui_url, namespace(j), error="That is not an event this journey knows.",
                                status_code=422)
        values["initiated_section_47"] = "on" if values.get("initiated_section_47") else "off"
        event_id = values.get("event_id") or new_event_id()
        values["event_id"] = event_id
        try:
            event = EVENT_ADAPTER.validate_python(event_fields(kind, values, event_id))
            await j.send(case_ref, event)
        except ValidationError as err:
            state = await j.state(case_ref)
            return journey_page(state, ui_url, namespace(j), failed=values, status_code=422,
                                error=f"{EVENT_LABELS[kind]} was not recorded. {error_sentences(err)}")
        except EventRejected as err:
            state = await j.state(case_ref)
            return journey_page(state, ui_url, namespace(j), failed=values, status_code=409,
                                error=f"{EVENT_LABELS[kind]} was not recorded: {err}")
        return RedirectResponse(f"{journey_href(case_ref)}?recorded={kind}", status_code=303)

    return app


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _members(text: str | None) -> list[dict[str, str]]:
    """ "role, agency" per line; the model says what is wrong with a line that is not."""
    members = []
    for line in _lines(text):
        role, _, agency = line.partition(",")
        members.append({"role": role.strip(), "agency": agency.strip()})
    return members


def event_fields(kind: str, values: Mapping[str, str], event_id: str) -> dict[str, Any]:
    """The event a form describes, as fields for ``JourneyEvent`` (which checks them)."""
    def day(name: str) -> str | None:
        return values.get(name) or None

    def ticked(name: str) -> bool:
        return values.get(name) == "on"

    def staff(name: str) -> str:
        return values.get(name, "").strip().upper()

    base = {"type": kind, "event_id": event_id}
    plan_fields: dict[str, Callable[[], dict[str, Any]]] = {
        "visit_made": lambda: {"visited_on": day("visited_on"), "outcome": values.get("outcome"),
                               "seen_alone": ticked("seen_alone"), "bedroom_seen": ticked("bedroom_seen")},
        "core_group_held": lambda: {
            "held_on": day("held_on"),
            "attended": [role.strip() for role in values.get("attended", "").split(",") if role.strip()],
            "decisions": _lines(values.get("decisions")), "actions": _lines(values.get("actions")),
            "next_meeting_on": day("next_meeting_on")},
        "task_completed": lambda: {"task": values.get("task"), "completed_on": day("completed_on")},
        "review_scheduled": lambda: {"scheduled_on": day("scheduled_on"), "review_date": day("review_date"),
                                     "brought_forward_because": values.get("brought_forward_because") or None},
        "review_held": lambda: {"held_on": day("held_on"), "outcome": values.get("outcome"),
                                "category": values.get("category") or None,
                                "chair_endorsed_ending": ticked("chair_endorsed_ending"),
                                "exceptional_circumstance": values.get("exceptional_circumstance") or None},
        "plan_ended": lambda: {"ended_on": day("ended_on"), "reason": values.get("reason"),
                               "receiving_conference_confirmed": ticked("receiving_conference_confirmed")},
        "child_missing": lambda: {"reported_on": day("reported_on")},
        "child_found": lambda: {"found_on": day("found_on")},
        "significant_event": lambda: {"occurred_on": day("occurred_on"), "kind": values.get("kind")},
        "lead_social_worker_named": lambda: {"named_on": day("named_on"), "staff_ref": staff("staff_ref")},
        "lead_social_worker_cover": lambda: {"absent_from": day("absent_from"), "absent_to": day("absent_to"),
                                             "cover_staff_ref": staff("cover_staff_ref"),
                                             "parents_informed": ticked("parents_informed")},
        "core_group_members_recorded": lambda: {"recorded_on": day("recorded_on"),
                                                "members": _members(values.get("members"))},
    }
    if kind in plan_fields:
        return {**base, **plan_fields[kind]()}

    if kind == "strategy_discussion":
        return {"type": kind, "event_id": event_id, "held_on": day("held_on"),
                "initiated_section_47": values.get("initiated_section_47") == "on"}
    if kind == "icpc_delay_agreed":
        return {"type": kind, "event_id": event_id, "agreed_on": day("agreed_on"), "agreed_by": "team_manager",
                "reasons": values.get("reasons", ""), "new_target": day("new_target")}
    if kind == "icpc_held":
        return {"type": kind, "event_id": event_id, "held_on": day("held_on"), "decision": values.get("decision"),
                "category": values.get("category") or None}
    return {"type": kind, "event_id": event_id, "decided_on": day("decided_on"), "decided_by": "team_manager",
            "reasons": values.get("reasons", "")}
