"""The admin tool's complaint parts: a case's challenges and "Start a complaint or disagreement" on its
journey page, and a complaint's page (its stage, deadlines, letters and the forms its stage takes).

Every form is drawn from the event's model (``starter.web.model_forms``); the complaint workflow and
the authority's procedure (``domain.complaints``) have the last word, and their refusals are shown on
the form with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse

from domain.complaints import (
    COMPLAINT_EVENT_TYPES,
    ENDED,
    EXPECTED,
    ComplaintMade,
    ComplaintState,
    DisagreementRaised,
)
from domain.deadlines import DeadlineStatus
from starter.client import ChallengeSummary, Letter
from starter.web.labels import (
    CHALLENGE_KIND_LABELS,
    COMPLAINT_EVENT_LABELS,
    COMPLAINT_STAGE_LABELS,
    PROCESS_LABELS,
    readable,
    words,
)
from starter.web.markup import alert, e, field, page, text_input
from starter.web.model_forms import render

#: The two ways a challenge opens, each with its own form on the journey page.
OPENINGS: dict[str, type] = {"complaint_made": ComplaintMade, "disagreement_raised": DisagreementRaised}
OPENING_HEADINGS = {"complaint_made": "Start a complaint", "disagreement_raised": "Start a disagreement"}
#: Fields that hold a reference: what is typed is read in capitals, as references are written.
REFERENCE_FIELDS = ("complaint_ref", "conference_ref", "conference_chair_ref", "chair_ref")
REF_HINT = "The complaints system's number, e.g. CMP-0001. Never a name."


def complaint_href(complaint_ref: str) -> str:
    return f"/complaints/{quote(complaint_ref, safe='')}"


def _choices(model: type, name: str) -> dict[str, str]:
    return model.model_fields[name].json_schema_extra["x-choices"]


def _opening_words(state: ComplaintState) -> list[tuple[str, str]]:
    """Who raised it (by role) and what about, in the form's own words."""
    opening = state.opening
    if isinstance(opening, ComplaintMade):
        about = "; ".join(_choices(ComplaintMade, "about")[s.value].lower() for s in opening.about)
        return [("Made by", _choices(ComplaintMade, "complainant")[opening.complainant.value]), ("About", about)]
    raised_by = opening.agency or readable(opening.raised_by)
    return [("Raised by", raised_by.capitalize()),
            ("About", _choices(DisagreementRaised, "about")[opening.about].lower())]


def challenges_section(case_ref: str, rows: Sequence[ChallengeSummary] | None, today: str,
                       failed: Mapping[str, Any] | None, new_id: Callable[[], str]) -> str:
    """The journey page's part: the case's challenges, open and closed, and the forms that start one."""
    if rows is None:
        listing = '<p class="muted">The complaints of this case could not be listed just now.</p>'
    elif not rows:
        listing = '<p class="muted">No complaints or disagreements.</p>'
    else:
        body = []
        for row in sorted(rows, key=lambda r: (not r.open, r.opened_on or r.complaint_ref, r.complaint_ref)):
            stage = words(COMPLAINT_STAGE_LABELS, row.stage) if row.stage else ""
            if row.next_due:
                stage += f" (next: due {row.next_due})"
            kind = words(CHALLENGE_KIND_LABELS, row.kind) if row.kind else ""
            overdue = ' <span class="overdue">Overdue</span>' if row.overdue else ""
            body.append(
                f'<tr><td><a href="{e(complaint_href(row.complaint_ref))}">{e(row.complaint_ref)}</a></td>'
                f"<td>{e(kind)}</td><td>{e(row.about or '')}</td>"
                f'<td class="date">{e(row.opened_on.isoformat() if row.opened_on else "")}</td>'
                f"<td>{'Open' if row.open else 'Closed'}</td><td>{e(stage)}{overdue}</td><td>{e(row.outcome or '')}</td></tr>")
        listing = ('<table><thead><tr><th scope="col">Reference</th><th scope="col">Kind</th><th scope="col">About</th>'
                   '<th scope="col">Opened</th><th scope="col">Open or closed</th><th scope="col">Where it stands</th>'
                   f'<th scope="col">Outcome</th></tr></thead><tbody>{"".join(body)}</tbody></table>')
    failed_kind = (failed or {}).get("type")
    forms = "".join(start_form(kind, case_ref, failed if kind == failed_kind else {}, today, new_id)
                    for kind in OPENINGS)
    return f"""<h2>Complaints and disagreements</h2>
{listing}
<h3>Start a complaint or disagreement</h3>
<p class="muted">The decision of the conference and the plan stand while a complaint or disagreement is considered.</p>
<div class="forms">{forms}</div>"""


def start_form(kind: str, case_ref: str, values: Mapping[str, Any], today: str, new_id: Callable[[], str]) -> str:
    model = OPENINGS[kind]
    heading = f"{kind}-heading"
    ref = field(f"{kind}-complaint_ref", "Complaint reference",
                text_input(f"{kind}-complaint_ref", "complaint_ref", values.get("complaint_ref", ""), hint=True),
                REF_HINT)
    action = f"/journeys/{quote(case_ref, safe='')}/complaints"
    return f"""
<form class="event" method="post" action="{e(action)}" aria-labelledby="{heading}">
<h4 id="{heading}">{e(OPENING_HEADINGS[kind])}</h4>
<input type="hidden" name="type" value="{e(kind)}">
<input type="hidden" name="event_id" value="{e(values.get("event_id") or new_id())}">
{ref}
{render(model, values, today, kind)}
<button type="submit">{e(model.action)}</button>
</form>"""


def event_form(kind: str, values: Mapping[str, Any], today: str, action: str, new_id: Callable[[], str]) -> str:
    model = COMPLAINT_EVENT_TYPES[kind]
    heading = f"{kind}-heading"
    return f"""
<form class="event" method="post" action="{e(action)}" aria-labelledby="{heading}">
<h3 id="{heading}">{e(model.title)}</h3>
<input type="hidden" name="type" value="{e(kind)}">
<input type="hidden" name="event_id" value="{e(values.get("event_id") or new_id())}">
{render(model, values, today, kind)}
<button type="submit">Record: {e(model.title.lower())}</button>
</form>"""


def complaint_page(
    state: ComplaintState,
    letters: Sequence[Letter] | None,
    today: str,
    new_id: Callable[[], str],
    escalates_to: Callable[[Any], str],
    error: str | None = None,
    failed: Mapping[str, Any] | None = None,
    recorded: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ref = state.complaint_ref
    title = f"{CHALLENGE_KIND_LABELS[state.kind]} {ref}"
    facts = [("Stage", COMPLAINT_STAGE_LABELS[state.stage]), ("Received on", state.received_on.isoformat())]
    facts += _opening_words(state)
    if state.process:
        facts.append(("Procedure", PROCESS_LABELS[state.process]))
    if state.conference_ref:
        facts.append(("Conference", state.conference_ref))
    if state.original_chair_ref:
        facts.append(("Its chair", state.original_chair_ref))
    if state.upheld is not None:
        facts.append(("Upheld", "yes" if state.upheld else "no"))
    if state.handed_to_journey:
        decided = state.handed_to_journey
        facts.append(("The journey was told", f"{readable(decided.outcome)} ({decided.decided_on})"))
    if state.reconvened_conference_ref:
        facts.append(("Conference held because of it", state.reconvened_conference_ref))
    if state.refused_because:
        facts.append(("Refused", state.refused_because))
    elif state.closed_because:
        facts.append(("Closed", f"{state.closed_on}: {state.closed_because}"))
    if state.ombudsman_route_given:
        facts.append(("Local Government Ombudsman", "the route was given to the complainant"))
    facts.append(("Policy", state.policy))
    case_link = f'<a href="/journeys/{e(quote(state.case_ref, safe=""))}">{e(state.case_ref)}</a>'
    facts_html = f"<dt>Case</dt><dd>{case_link}</dd>" + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)

    if state.deadlines:
        rows = []
        for row in state.deadlines:
            cls = ' class="overdue"' if row.status is DeadlineStatus.OVERDUE else ""
            rows.append(f'<tr><td>{e(row.label)}</td><td class="date">{e(row.due.isoformat())}</td>'
                        f"<td{cls}>{e(readable(row.status))}</td><td>{e(escalates_to(row))}</td>"
                        f"<td>{e(row.reason)}</td></tr>")
        deadlines = ('<table><thead><tr><th scope="col">Deadline</th><th scope="col">Due</th><th scope="col">Status</th>'
                     '<th scope="col">Escalates to</th><th scope="col">Why this date</th></tr></thead>'
                     f"<tbody>{''.join(rows)}</tbody></table>")
    else:
        deadlines = '<p class="muted">No deadlines: this stage sets no timescale.</p>'
    escalations = ("<ul>" + "".join(f'<li class="overdue">{e(x)}</li>' for x in state.escalations) + "</ul>"
                   if state.escalations else '<p class="muted">None.</p>')
    if letters is None:
        sent = '<p class="muted">The letters could not be read just now.</p>'
    elif not letters:
        sent = '<p class="muted">None yet.</p>'
    else:
        sent = "<ul>" + "".join(
            f'<li><span class="date">{e(letter.sent_on.isoformat())}</span> to the {e(readable(letter.to_role))}: '
            f"<strong>{e(letter.subject)}</strong>{'' if letter.delivered else ' (not yet sent)'}"
            f"<br>{e(letter.body)}</li>" for letter in letters) + "</ul>"
    problems = ""
    if state.undelivered:
        items = "".join(f"<li>{e(x)}</li>" for x in state.undelivered)
        problems += ('<div class="alert" role="alert"><p>Letters that could not be delivered: tell these people '
                     f"another way.</p><ul>{items}</ul></div>")
    if state.failures:
        items = "".join(f"<li>{e(x)}</li>" for x in state.failures)
        problems += f'<div class="alert" role="alert"><p>Not done (recorded; see to it by hand):</p><ul>{items}</ul></div>'

    if state.stage in ENDED:
        events = f'<p class="muted">This {"complaint" if state.kind.value == "complaint" else "disagreement"} has ' \
                 "ended: it takes no more events.</p>"
    else:
        action = complaint_href(ref) + "/events"
        failed_kind = (failed or {}).get("type")
        kinds = [model.model_fields["type"].default for model in EXPECTED[state.stage]]
        forms = "".join(event_form(kind, failed if kind == failed_kind else {}, today, action, new_id)
                        for kind in kinds)
        events = f'<div class="forms">{forms}</div>'
    notice = (f'<div class="notice" role="status">Recorded: {e(COMPLAINT_EVENT_LABELS[recorded])}.</div>'
              if recorded in COMPLAINT_EVENT_LABELS and not error else "")
    if recorded == "started" and not error:
        notice = f'<div class="notice" role="status">{e(CHALLENGE_KIND_LABELS[state.kind])} started.</div>'
    body = f"""
<p><a href="/">All journeys</a> · <a href="/journeys/{e(quote(state.case_ref, safe=''))}">Case {e(state.case_ref)}</a></p>
<h1>{e(title)}</h1>
{alert(error)}
{notice}
{problems}
<dl>{facts_html}</dl>
<h2>Deadlines</h2>
{deadlines}
<h2>Escalations</h2>
{escalations}
<h2>Letters sent</h2>
{sent}
<h2>Record the next stage</h2>
{events}
"""
    return page(title, body, status_code)
