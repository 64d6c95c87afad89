"""The admin tool's pages: the journeys list (home) and one journey, each assembled from its parts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

from fastapi.responses import HTMLResponse

from domain.deadlines import KINDS, Deadline, DeadlineStatus
from domain.policy import DARLINGTON
from domain.state import JourneyState, Stage
from shipped.profiles import profile_ids
from starter.client import ChallengeSummary, JourneySummary
from starter.web.complaints import OPENINGS, challenges_section
from starter.web.conference import conference_section
from starter.web.forms import EVENTS_AT_STAGE, PLAN_GROUPS, event_form, london_today, new_event_id, start_form
from starter.web.markup import alert, e, page, select
from starter.web.labels import DECISION_LABELS, EVENT_LABELS, STAGE_LABELS, kind_label, readable


def escalates_to(row: Deadline) -> str:
    """Who hears when an open deadline passes (nothing for one that is done with)."""
    if row.status not in (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE) or row.kind not in KINDS:
        return ""
    return readable(KINDS[row.kind].escalate_to)


def temporal_link(ui_url: str, namespace: str, case_ref: str) -> str:
    href = f"{ui_url}/namespaces/{quote(namespace, safe='')}/workflows/cpj-{quote(case_ref, safe='')}"
    return f'<a href="{e(href)}" aria-label="Temporal history for case {e(case_ref)}">Temporal history</a>'


def journey_href(case_ref: str) -> str:
    return f"/journeys/{quote(case_ref, safe='')}"


OVERDUE_OPTIONS = [("", "Overdue or not"), ("yes", "Overdue"), ("no", "Not overdue")]


def filter_form(filters: Mapping[str, str]) -> str:
    stages = [("", "Any stage")] + [(stage.value, label) for stage, label in STAGE_LABELS.items()]
    policies = [("", "Any policy")] + [(pid, pid) for pid in profile_ids()]
    controls = [
        ("filter-stage", "stage", "Stage", stages),
        ("filter-overdue", "overdue", "Overdue", OVERDUE_OPTIONS),
        ("filter-policy", "policy", "Policy", policies),
    ]
    fields = "".join(
        f'<div class="field"><label for="{id_}">{label}</label>{select(id_, name, options, filters.get(name, ""))}</div>'
        for id_, name, label, options in controls
    )
    return (f'<form method="get" action="/" class="filters" aria-label="Filter journeys" '
            f'style="display:flex;flex-wrap:wrap;gap:0 1rem;align-items:flex-end">{fields}'
            '<div class="field"><button type="submit">Filter</button></div></form>')


def home_href(filters: Mapping[str, str], page_token: str | None = None) -> str:
    params = {k: v for k, v in filters.items() if v}
    if page_token:
        params["page_token"] = page_token
    return "/?" + urlencode(params) if params else "/"


def home_page(
    rows: list[JourneySummary] | None,
    ui_url: str,
    namespace: str,
    error: str | None = None,
    list_error: str | None = None,
    values: Mapping[str, Any] | None = None,
    status_code: int = 200,
    error_extra: str = "",
    filters: Mapping[str, str] | None = None,
    page_token: str | None = None,
    next_page_token: str | None = None,
) -> HTMLResponse:
    """The journeys table, one page of it (``page_token`` is this page's, ``next_page_token`` the next's)."""
    filters = filters or {}
    paging = []
    if page_token:
        paging.append(f'<a href="{e(home_href(filters))}">First page</a>')
    if next_page_token:
        paging.append(f'<a href="{e(home_href(filters, next_page_token))}" rel="next">Next page</a>')
    pager = f'<nav aria-label="Pages of journeys"><p>{" · ".join(paging)}</p></nav>' if paging else ""
    if rows is None:
        table = f'<p class="alert" role="alert">The journey list is not available: {e(list_error)}</p>'
    elif not rows and page_token:
        table = '<p class="muted">No more journeys.</p>'
    elif not rows and any(filters.values()):
        table = '<p class="muted">No journeys match these filters.</p>'
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
            '<table><caption class="muted" style="text-align:left">On this page: overdue first, then by next deadline</caption>'
            '<thead><tr><th scope="col">Case</th><th scope="col">Status</th><th scope="col">Stage</th>'
            '<th scope="col">Policy</th><th scope="col">Next deadline</th><th scope="col">Overdue</th>'
            '<th scope="col">Temporal</th></tr></thead>'
            f"<tbody>{''.join(body_rows)}</tbody></table>"
        )
    body = f"""
<h1>Child protection journeys</h1>
{alert(error, error_extra)}
{filter_form(filters)}
{table}
{pager}
<form method="get" action="/journeys" class="lookup">
<div class="field"><label for="lookup">Open a journey by case reference</label>
<input type="text" id="lookup" name="case_ref" autocomplete="off" spellcheck="false"> <button type="submit">Open</button></div>
</form>
{start_form(values)}
"""
    return page("Journeys", body, status_code)


def journey_page(
    state: JourneyState,
    ui_url: str,
    namespace: str,
    error: str | None = None,
    failed: Mapping[str, Any] | None = None,
    recorded: str | None = None,
    status_code: int = 200,
    challenges: list[ChallengeSummary] | None = None,
    looked_at: str = "",
) -> HTMLResponse:
    """A journey; ``challenges`` are the case's complaints and disagreements (None: they could not be listed);
    ``looked_at`` is the "who has looked at this case" section, for administrators only."""
    ref = state.case_ref
    facts = [("Stage", STAGE_LABELS.get(state.stage, state.stage.value)), ("Policy", state.policy)]
    if state.section_47_initiated_on:
        facts.append(("Section 47 initiated on", state.section_47_initiated_on.isoformat()))
    if state.transfer_in:
        plan_status = "in force until the transfer-in conference" if state.originating_plan_in_force else "ended here"
        facts.append(("Transferred in", f"from {state.transfer_in.originating_authority}, agreed "
                                        f"{state.transfer_in.agreed_on}; their plan {plan_status}"))
    if state.expected_delivery:
        born = f"born {state.born_on}" if state.born_on else "not yet born"
        premature = ""
        if state.premature_birth_likely:
            premature = (f"; a premature birth is likely ({DARLINGTON}, Unborn Child Protection Conference: "
                         "hold the conference earlier)")
        facts.append(("Expected delivery", f"{state.expected_delivery} ({born}){premature}"))
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
    if state.conference_owed is not None:
        facts.append(("Conference owed", state.conference_owed.words))
    if state.closed_because:
        facts.append(("Closed because", state.closed_because))
    facts_html = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts) + missing
    facts_html += f"<dt>Temporal</dt><dd>{temporal_link(ui_url, namespace, ref)}</dd>"
    undelivered = ""
    if state.undelivered:
        items = "".join(f"<li>{e(x)}</li>" for x in state.undelivered)
        undelivered = ('<div class="alert" role="alert"><p>Notices that could not be delivered: tell these people '
                       f"another way.</p><ul>{items}</ul></div>")
    if state.refused_feed:
        items = "".join(f"<li>{e(x)}</li>" for x in state.refused_feed)
        undelivered += ('<div class="alert" role="alert"><p>Reports from a feed that did not fit this journey: check '
                        f"them with the service that sent them.</p><ul>{items}</ul></div>")
    if state.failures:
        items = "".join(f"<li>{e(x)}</li>" for x in state.failures)
        undelivered += (f'<div class="alert" role="alert"><p>Not done (recorded; see to it by hand):</p><ul>{items}</ul></div>')

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
                event_form(kind, failed if kind == failed_kind else {}, today, action, state, heading_level=4)
                for kind in group if kind not in skip
            )
            if forms:
                groups.append(f'<h3 class="group">{e(heading)}</h3><div class="forms">{forms}</div>')
        events = "".join(groups)
    elif kinds:
        forms = "".join(
            event_form(kind, failed if kind == failed_kind else {}, today, action, state)
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

    conference = conference_section(state, action, today, failed if failed_kind == "conference_booked" else None,
                                    new_event_id())
    notice = (
        f'<div class="notice" role="status">Recorded: {e(EVENT_LABELS[recorded])}.</div>'
        if recorded in EVENT_LABELS and not error else ""
    )
    complaints = challenges_section(ref, challenges, today, failed if failed_kind in OPENINGS else None, new_event_id)
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
{conference}
<h2>Record an event</h2>
{events}
{complaints}
{looked_at}
"""
    return page(f"Case {ref}", body, status_code)
