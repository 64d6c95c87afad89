"""The admin tool's conference parts: the "Book a conference" form on a journey, and a conference's page.

A conference is a child workflow of the journey that booked it; its page shows its facts and
deadlines and offers the forms for its events. The conference workflow's validators have the last word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse

from domain.conference import (
    AmendmentsReceived,
    ConferenceHeld,
    ConferenceStage,
    ConferenceState,
    ConferenceTask,
    ConferenceTaskDone,
    ExclusionDecided,
    ExclusionGround,
    ExclusionRequested,
    InquorateReason,
    InvitationsSent,
    SplitArranged,
)
from domain.deadlines import KINDS, DeadlineStatus
from domain.events import Category
from domain.state import JourneyState, Stage
from starter.web.markup import (
    REASONS_HINT,
    STAFF_REF_HINT,
    alert,
    checkbox,
    date_input,
    e,
    field,
    page,
    select,
    staff_ref_input,
    text_input,
    textarea,
)
from starter.web.labels import readable

CONFERENCE_EVENT_TYPES = {
    "invitations_sent": InvitationsSent,
    "conference_task_done": ConferenceTaskDone,
    "exclusion_requested": ExclusionRequested,
    "exclusion_decided": ExclusionDecided,
    "split_arranged": SplitArranged,
    "conference_held": ConferenceHeld,
    "amendments_received": AmendmentsReceived,
}
CONFERENCE_EVENT_LABELS = {
    "invitations_sent": "Invitations sent",
    "conference_task_done": "Conference task done",
    "exclusion_requested": "Exclusion requested",
    "exclusion_decided": "Exclusion decided",
    "split_arranged": "Split conference arranged",
    "conference_held": "Conference held",
    "amendments_received": "Amendments to the record received",
}
CONFERENCE_BUTTONS = {
    "invitations_sent": "Record the invitations",
    "conference_task_done": "Record the task as done",
    "exclusion_requested": "Record the request",
    "exclusion_decided": "Record the chair's decision",
    "split_arranged": "Record the split",
    "conference_held": "Record the conference",
    "amendments_received": "Record the amendments",
}
KIND_LABELS = {"initial": "Initial child protection conference", "review": "Review conference",
               "pre_birth": "Pre-birth conference", "transfer_in": "Transfer-in conference"}
STAGE_LABELS = {ConferenceStage.CONVENING: "Convening", ConferenceStage.ADJOURNED: "Adjourned (to reconvene)",
                ConferenceStage.HELD: "Held", ConferenceStage.CLOSED: "Closed"}
#: Multi-valued form fields (a multi-select), read with ``getlist``.
LIST_FIELDS = ("grounds",)


def conference_href(conference_ref: str) -> str:
    return f"/conferences/{quote(conference_ref, safe='')}"


def booking_kinds(state: JourneyState) -> list[str]:
    """The kinds of conference that fit the journey's stage."""
    if state.stage is Stage.AWAITING_ICPC:
        kinds = ["initial"]
        if state.expected_delivery is not None and state.born_on is None:
            kinds.append("pre_birth")
        if state.transfer_in is not None:
            kinds.append("transfer_in")
        return kinds
    if state.stage is Stage.ON_PLAN:
        return ["review"]
    return []


def conference_section(state: JourneyState, action: str, today: str, values: Mapping[str, Any] | None,
                       event_id: str) -> str:
    """The journey page's conference part: a link to the booked one, or the booking form."""
    if state.conference_ref is not None:
        ref = state.conference_ref
        return (f'<h2>Conference</h2><p>Conference {e(ref)} is booked: '
                f'<a href="{e(conference_href(ref))}">open conference {e(ref)}</a></p>')
    kinds = booking_kinds(state)
    if not kinds:
        return ""
    values = values or {}

    def v(name: str, default: Any = "") -> Any:
        return values.get(name, default)

    fid = "conference_booked-{}".format
    fields = field(fid("kind"), "Kind of conference",
                   select(fid("kind"), "kind", [(k, KIND_LABELS[k]) for k in kinds], v("kind", kinds[0])))
    fields += field(fid("conference_ref"), "Conference reference",
                    text_input(fid("conference_ref"), "conference_ref", v("conference_ref"), hint=True),
                    hint="The conference's number, e.g. ICPC-0042. Never a name.")
    fields += field(fid("booked_on"), "Booked on", date_input(fid("booked_on"), "booked_on", v("booked_on", today)))
    fields += field(fid("meeting_on"), "Meeting date", date_input(fid("meeting_on"), "meeting_on", v("meeting_on")))
    fields += field(fid("chair_ref"), "Chair's staff number",
                    staff_ref_input(fid("chair_ref"), "chair_ref", v("chair_ref")), hint=STAFF_REF_HINT)
    fields += checkbox(fid("chair_independent_of_the_case"), "chair_independent_of_the_case",
                       "The chair is independent of the case", v("chair_independent_of_the_case") == "on")
    fields += field(fid("siblings"), "Siblings' case references (comma-separated, optional)",
                    text_input(fid("siblings"), "siblings", v("siblings"), required=False, hint=True),
                    hint="Brothers and sisters considered at the same conference, e.g. CASE-0043, CASE-0044.")
    return f"""<h2>Conference</h2>
<form class="event" method="post" action="{e(action)}" aria-labelledby="conference_booked-heading">
<h3 id="conference_booked-heading">Book a conference</h3>
<input type="hidden" name="type" value="conference_booked">
<input type="hidden" name="event_id" value="{e(v("event_id") or event_id)}">
{fields}
<button type="submit">Book the conference</button>
</form>"""


# -- reading a conference form --------------------------------------------------------


def _lines(text: Any) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def _yes_no(value: Any) -> bool | None:
    return {"yes": True, "no": False}.get(str(value or ""))


def _number(value: Any) -> Any:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else (text or None)


def conference_fields(kind: str, values: Mapping[str, Any], event_id: str, state: ConferenceState) -> dict[str, Any]:
    """The event a conference form describes, as fields for its model (which checks them)."""
    def day(name: str) -> str | None:
        return values.get(name) or None

    def ticked(name: str) -> bool:
        return values.get(name) == "on"

    base: dict[str, Any] = {"event_id": event_id}
    if kind == "invitations_sent":
        invitees = []
        for line in _lines(values.get("invitees")):
            role, *flags = [part.strip() for part in line.split(",")]
            invitees.append({"role": role, "needs_interpreter": "interpreter" in [f.lower() for f in flags],
                             "advocacy_offered": role.lower() == "child" and ticked("advocacy_offered")})
        return {**base, "sent_on": day("sent_on"), "invitees": invitees, "child_over_8": ticked("child_over_8")}
    if kind == "conference_task_done":
        return {**base, "task": values.get("task"), "done_on": day("done_on")}
    if kind == "exclusion_requested":
        return {**base, "requested_on": day("requested_on"), "parent_role": str(values.get("parent_role", "")).strip(),
                "grounds": list(values.get("grounds") or [])}
    if kind == "exclusion_decided":
        return {**base, "decided_on": day("decided_on"), "excluded": ticked("excluded"),
                "communicated_in_writing": ticked("communicated_in_writing")}
    if kind == "split_arranged":
        return {**base, "arranged_on": day("arranged_on"), "gap_minutes": _number(values.get("gap_minutes"))}
    if kind == "conference_held":
        decisions = []
        if values.get("inquorate_action") != "adjourn":
            for i, case_ref in enumerate(state.case_refs):
                p = f"child-{i}-"
                plan = _yes_no(values.get(p + "plan"))
                decisions.append({
                    "case_ref": case_ref, "plan": plan, "category": values.get(p + "category") or None,
                    "agencies_for_plan": _number(values.get(p + "agencies_for_plan")) or 0,
                    "agencies_against_plan": _number(values.get(p + "agencies_against_plan")) or 0,
                    "chair_casting_vote": _yes_no(values.get(p + "chair_casting_vote")),
                    "dissent": _lines(values.get(p + "dissent")),
                })
        return {**base, "held_on": day("held_on"),
                "childrens_social_care_present": ticked("childrens_social_care_present"),
                "other_agencies_present": _lines(values.get("other_agencies_present")),
                "parents_present": ticked("parents_present"),
                "inquorate_action": values.get("inquorate_action") or None,
                "inquorate_reason": values.get("inquorate_reason") or None,
                "decisions": decisions, "grading": _number(values.get("grading"))}
    return {**base, "received_on": day("received_on")}


# -- the conference page ---------------------------------------------------------------


def _open_tasks(state: ConferenceState) -> list[tuple[str, str]]:
    options = []
    for task in ConferenceTask:
        row = state.open_deadline(task.value)
        if row is not None:
            options.append((task.value, f"{row.label} (due {row.due})"))
    if state.held is not None:
        options.append((ConferenceTask.PARENTS_NOTIFIED_IN_WRITING.value, "Parents notified in writing of the decision"))
    return options


def _forms_for(state: ConferenceState) -> list[str]:
    if state.stage is ConferenceStage.CLOSED:
        return []
    kinds = []
    before = state.stage in (ConferenceStage.CONVENING, ConferenceStage.ADJOURNED)
    if before:
        kinds.append("invitations_sent")
    if _open_tasks(state):
        kinds.append("conference_task_done")
    if before:
        kinds.append("exclusion_requested")
    if state.open_deadline("exclusion_decision") is not None:
        kinds.append("exclusion_decided")
    if before:
        kinds += ["split_arranged", "conference_held"]
    if state.held is not None:
        kinds.append("amendments_received")
    return kinds


def conference_form(kind: str, state: ConferenceState, values: Mapping[str, Any], today: str, action: str,
                    event_id: str) -> str:
    def v(name: str, default: Any = "") -> Any:
        return values.get(name, default)

    def fid(name: str) -> str:
        return f"{kind}-{name}"

    def day(name: str, label: str) -> str:
        return field(fid(name), label, date_input(fid(name), name, v(name, today)))

    def tick(name: str, label: str, default: bool = False) -> str:
        return checkbox(fid(name), name, label, v(name, "on" if default and not values else "") == "on")

    def lines(name: str, label: str, hint: str = "", required: bool = False) -> str:
        return field(fid(name), label, textarea(fid(name), name, v(name), required=required),
                     hint=(hint + " " if hint else "") + REASONS_HINT)

    def number(name: str, label: str, default: Any = "", minimum: int = 0) -> str:
        return field(fid(name), label, f'<input type="number" id="{fid(name)}" name="{name}" min="{minimum}" '
                                       f'value="{e(v(name, default))}">')

    def choose(name: str, label: str, options: Iterable[tuple[str, str]], default: str = "") -> str:
        return field(fid(name), label, select(fid(name), name, options, v(name, default)))

    if kind == "invitations_sent":
        fields = day("sent_on", "Sent on")
        fields += lines("invitees", "Invitees: one role per line",
                        "Add \u201c, interpreter\u201d to a role that needs one, e.g. mother, interpreter.", True)
        fields += tick("child_over_8", "The child is over 8")
        fields += tick("advocacy_offered", "Advocacy was offered to the child (the \u2018child\u2019 invitee)")
    elif kind == "conference_task_done":
        tasks = _open_tasks(state)
        fields = choose("task", "Task", tasks, tasks[0][0])
        fields += day("done_on", "Done on")
    elif kind == "exclusion_requested":
        fields = day("requested_on", "Requested on")
        fields += field(fid("parent_role"), "Parent to exclude (role)",
                        text_input(fid("parent_role"), "parent_role", v("parent_role"), hint=True),
                        hint="For example: father. " + REASONS_HINT)
        chosen = set(v("grounds", []) or [])
        opts = "".join(f'<option value="{e(g.value)}"{" selected" if g.value in chosen else ""}>'
                       f"{e(readable(g).capitalize())}</option>" for g in ExclusionGround)
        fields += field(fid("grounds"), "Grounds (choose one or more)",
                        f'<select id="{fid("grounds")}" name="grounds" multiple required size="6">{opts}</select>')
    elif kind == "exclusion_decided":
        fields = day("decided_on", "Decided on")
        fields += tick("excluded", "The chair excluded the parent")
        fields += tick("communicated_in_writing", "The decision was confirmed to the parent in writing")
    elif kind == "split_arranged":
        fields = day("arranged_on", "Arranged on")
        fields += number("gap_minutes", "Minutes between the parts", 30, 30)
    elif kind == "conference_held":
        fields = day("held_on", "Held on")
        fields += tick("childrens_social_care_present", "Children's social care was present", True)
        fields += lines("other_agencies_present", "Other agencies present: one per line",
                        "Only agencies with direct contact with the child.")
        fields += tick("parents_present", "The parents were present", True)
        fields += choose("inquorate_action", "If not quorate, the chair",
                         [("", "Not applicable (quorate)"), ("proceed", "Proceeded"), ("adjourn", "Adjourned")])
        fields += choose("inquorate_reason", "Reason for proceeding although not quorate",
                         [("", "None")] + [(r.value, readable(r).capitalize()) for r in InquorateReason])
        categories = [("", "None (no plan)")] + [(c.value, readable(c).capitalize()) for c in Category]
        for i, case_ref in enumerate(state.case_refs):
            p = f"child-{i}-"
            fields += (f'<fieldset><legend>Decision for case {e(case_ref)}</legend>'
                       + choose(p + "plan", "Child protection plan", [("yes", "Yes"), ("no", "No")], "yes")
                       + choose(p + "category", "Category", categories)
                       + number(p + "agencies_for_plan", "Agencies for a plan", 0)
                       + number(p + "agencies_against_plan", "Agencies against a plan", 0)
                       + choose(p + "chair_casting_vote", "Chair's casting vote (only if evenly split)",
                                [("", "Not needed"), ("yes", "For a plan"), ("no", "Against a plan")])
                       + lines(p + "dissent", "Dissenting agencies: one per line")
                       + "</fieldset>")
        fields += number("grading", "Overall grading (0-10, optional)", "")
    elif kind == "amendments_received":
        fields = day("received_on", "Received on")
    else:  # pragma: no cover
        return ""
    heading = f"{kind}-heading"
    return f"""
<form class="event" method="post" action="{e(action)}" aria-labelledby="{heading}">
<h3 id="{heading}">{e(CONFERENCE_EVENT_LABELS[kind])}</h3>
<input type="hidden" name="type" value="{e(kind)}">
<input type="hidden" name="event_id" value="{e(v("event_id") or event_id)}">
{fields}
<button type="submit">{e(CONFERENCE_BUTTONS[kind])}</button>
</form>"""


def conference_page(
    state: ConferenceState,
    today: str,
    new_id: Any,
    escalates_to: Any,
    error: str | None = None,
    failed: Mapping[str, Any] | None = None,
    recorded: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ref = state.conference_ref
    facts = [("Kind", KIND_LABELS.get(state.kind.value, state.kind.value)), ("Stage", STAGE_LABELS[state.stage]),
             ("Meeting date", state.meeting_on.isoformat()), ("Policy", state.policy)]
    if state.adjournments:
        facts.append(("Adjournments", str(state.adjournments)))
    invitees = ", ".join(
        i.role + (" (interpreter)" if i.needs_interpreter else "") + (" (advocacy offered)" if i.advocacy_offered else "")
        for i in state.invitees) or "none yet"
    facts.append(("Invitees", invitees))
    exclusions = "; ".join(
        f"{x.parent_role}, requested {x.requested_on}: {', '.join(readable(g) for g in x.grounds)}"
        for x in state.exclusions) or "none"
    facts.append(("Exclusion requests", exclusions))
    if state.excluded_parent is not None:
        facts.append(("Exclusion decision", "the parent is excluded" if state.excluded_parent else "not excluded"))
    facts.append(("Split conference", "yes" if state.split else "no"))
    if state.held is not None:
        plans = ", ".join(f"{d.case_ref}: {'plan (' + readable(d.category) + ')' if d.plan else 'no plan'}"
                          for d in state.held.decisions)
        facts.append(("Held", f"on {state.held.held_on}" + (f": {plans}" if plans else "")))
    links = " ".join(f'<a href="/journeys/{e(quote(c, safe=""))}">{e(c)}</a>' for c in state.case_refs)
    facts_html = f"<dt>Children</dt><dd>{links}</dd>"
    facts_html += "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)

    if state.deadlines:
        rows = []
        for row in state.deadlines:
            cls = ' class="overdue"' if row.status is DeadlineStatus.OVERDUE else ""
            rows.append(f'<tr><td>{e(row.label)}</td><td class="date">{e(row.due.isoformat())}</td>'
                        f"<td{cls}>{e(row.status.value)}</td><td>{e(escalates_to(row))}</td><td>{e(row.reason)}</td></tr>")
        deadlines = ('<table><thead><tr><th scope="col">Deadline</th><th scope="col">Due</th><th scope="col">Status</th>'
                     '<th scope="col">Escalates to</th><th scope="col">Why this date</th></tr></thead>'
                     f"<tbody>{''.join(rows)}</tbody></table>")
    else:
        deadlines = '<p class="muted">No deadlines.</p>'
    escalations = ("<ul>" + "".join(f'<li class="overdue">{e(x)}</li>' for x in state.escalations) + "</ul>"
                   if state.escalations else '<p class="muted">None.</p>')
    undelivered = ""
    if state.undelivered:
        items = "".join(f"<li>{e(x)}</li>" for x in state.undelivered)
        undelivered = ('<div class="alert" role="alert"><p>Notices that could not be delivered: tell these people '
                       f"another way.</p><ul>{items}</ul></div>")

    action = conference_href(ref) + "/events"
    failed_kind = (failed or {}).get("type")
    forms = "".join(conference_form(kind, state, failed if kind == failed_kind else {}, today, action, new_id())
                    for kind in _forms_for(state))
    events = (f'<div class="forms">{forms}</div>' if forms
              else '<p class="muted">The conference has closed: it takes no more events.</p>')
    notice = (f'<div class="notice" role="status">Recorded: {e(CONFERENCE_EVENT_LABELS[recorded])}.</div>'
              if recorded in CONFERENCE_EVENT_LABELS and not error else "")
    body = f"""
<p><a href="/">All journeys</a> · <a href="/journeys/{e(quote(state.case_ref, safe=''))}">Case {e(state.case_ref)}</a></p>
<h1>Conference {e(ref)}</h1>
{alert(error)}
{notice}
{undelivered}
<dl>{facts_html}</dl>
<h2>Deadlines</h2>
{deadlines}
<h2>Escalations</h2>
{escalations}
<h2>Record a conference event</h2>
{events}
"""
    return page(f"Conference {ref}", body, status_code)
