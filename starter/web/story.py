"""What the story pages show, in words: a journey's (``journey.html``), a conference's and a complaint's.

Each page is a template; this module turns a workflow's state and the records' timeline
(``starter.web.timeline``) into what the template lays out: summary rows, the deadlines with their
status and reason, the links to what can be recorded now, the problems to see to by hand.
Nothing here is HTML: the templates are autoescaped and draw the GOV.UK components.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from fastapi.responses import HTMLResponse

from domain.deadlines import KINDS, Deadline, DeadlineStatus
from domain.events import EVENT_TYPES
from domain.policy import DARLINGTON
from domain.state import JourneyState, Stage
from starter.web.timeline import Story
from starter.web.labels import DECISION_LABELS, STAGE_LABELS, day_words, days_in_words, policy_words, readable

log = logging.getLogger("cpj.web")

#: A deadline's status as a tag: its words and its colour (GOV.UK tag modifier; none is the default blue).
STATUS_TAGS: dict[DeadlineStatus, tuple[str, str]] = {
    DeadlineStatus.OVERDUE: ("Overdue", "govuk-tag--red"),
    DeadlineStatus.OPEN: ("Due", ""),
    DeadlineStatus.UPCOMING: ("Not due yet", "govuk-tag--grey"),
    DeadlineStatus.MET: ("Done", "govuk-tag--green"),
    DeadlineStatus.MET_LATE: ("Done late", "govuk-tag--yellow"),
    DeadlineStatus.CANCELLED: ("No longer needed", "govuk-tag--grey"),
    DeadlineStatus.SUPERSEDED: ("Replaced", "govuk-tag--grey"),
}
#: What still needs doing, most urgent first; the rest is what has been done or is no longer due.
STILL_TO_DO = (DeadlineStatus.OVERDUE, DeadlineStatus.OPEN, DeadlineStatus.UPCOMING)
_REFUSED_FEED = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) (.+?) \([^()]*\): (.*)$", re.S)


def journey_href(case_ref: str) -> str:
    return f"/journeys/{quote(case_ref, safe='')}"


def escalates_to(row: Deadline) -> str:
    """Who hears when an open deadline passes (nothing for one that is done with)."""
    if row.status not in (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE) or row.kind not in KINDS:
        return ""
    return readable(KINDS[row.kind].escalate_to).capitalize()


def deadline_rows(deadlines: Iterable[Deadline]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The deadlines as the page lists them: (still to do, most urgent first; done or no longer due)."""
    rows = [{
        "what": row.label,
        "due": day_words(row.due),
        "status": STATUS_TAGS[row.status][0],
        "tag_class": STATUS_TAGS[row.status][1],
        "escalates_to": escalates_to(row),
        "agreed_delay": day_words(row.agreed_target) if row.agreed_target else "",
        "reason": days_in_words(row.reason),
        "open": row.status in STILL_TO_DO,
        "_order": (STILL_TO_DO.index(row.status) if row.status in STILL_TO_DO else 9, row.alarm_date),
    } for row in deadlines]
    to_do = sorted((row for row in rows if row["open"]), key=lambda row: row["_order"])
    done = [row for row in rows if not row["open"] and row["status"] != STATUS_TAGS[DeadlineStatus.SUPERSEDED][0]]
    return to_do, done


def escalation_words(what: str) -> str:
    """An escalation as staff read it: "Initial child protection conference: overdue since 22 October 2026, ..."."""
    kind, _, passed = what.rpartition("-overdue-")
    if kind not in KINDS:
        return days_in_words(readable(what))
    return (f"{KINDS[kind].label}: overdue since {days_in_words(passed)}; "
            f"{readable(KINDS[kind].escalate_to)} told")


def refused_feed_words(line: str) -> str:
    """A report another service sent that did not fit the journey, without the sender's own id for it."""
    found = _REFUSED_FEED.match(line)
    if not found:
        return days_in_words(line)
    day, what, why = found.groups()
    return f"{day_words(day)}: {what.capitalize()} — {days_in_words(why)}"


def undelivered_words(line: str) -> str:
    """A notice that could not be delivered: to whom (by role) and what, in words."""
    role, _, rest = line.partition(": ")
    return f"{readable(role).capitalize()}: {days_in_words(rest.replace('_', ' '))}" if rest else readable(line)


def banner_for(recorded: str | None, titles: dict[str, str]) -> dict[str, str] | None:
    """The success banner after a form: "Visit recorded", from the event's title."""
    if not recorded or recorded not in titles:
        return None
    title = titles[recorded]
    # "ICPC held" says it happened already; "Visit" becomes "Visit recorded".
    done = any(word.endswith("ed") or word in _PAST for word in title.lower().split())
    return {"heading": title if done else f"{title} recorded", "body": "It is on the timeline below."}


_PAST = {"held", "sent", "met", "made", "born", "found", "done"}


def summary_row(key: str, value: str | None = None, href: str | None = None) -> dict[str, Any]:
    """One row of a GOV.UK summary list: text, or a link (its text escaped by the template)."""
    return {"key": key, "value": value if value not in (None, "") else "None", "href": href}


# -- a journey ----------------------------------------------------------------------------


def journey_summary(state: JourneyState) -> list[dict[str, Any]]:
    """What the journey is, at a glance: the rows at the top of its page."""
    rows = [summary_row("Stage", STAGE_LABELS.get(state.stage, readable(state.stage))),
            summary_row("Authority", policy_words(state.policy))]
    if state.category:
        rows.append(summary_row("Category", readable(state.category).capitalize()))
    if state.plan_started_on or state.lead_social_worker:
        rows.append(summary_row("Lead social worker's staff number", state.lead_social_worker or "Not named yet"))
    if state.team:
        rows.append(summary_row("Team", state.team))
    if state.cover:
        cover = state.cover
        rows.append(summary_row("Cover for the lead social worker",
                                f"{cover.cover_staff_ref}, {day_words(cover.absent_from)} to {day_words(cover.absent_to)}"))
    if state.section_47_initiated_on:
        rows.append(summary_row("Section 47 enquiry initiated", day_words(state.section_47_initiated_on)))
    if state.delay:
        rows.append(summary_row("Delay agreed by the team manager",
                                f"On {day_words(state.delay.agreed_on)}, to {day_words(state.delay.new_target)}"))
    if state.icpc:
        decision = DECISION_LABELS[state.icpc.decision]
        if state.icpc.category:
            decision += f" ({readable(state.icpc.category)})"
        rows.append(summary_row("Initial conference", f"Held on {day_words(state.icpc.held_on)}: {decision}"))
    if state.plan_started_on:
        rows.append(summary_row("Plan started", day_words(state.plan_started_on)))
        rows.append(summary_row("Reviews held", str(state.reviews_held)))
        rows.append(summary_row("Review booked for", day_words(state.review_date) if state.review_date else "Not booked"))
    if state.missing_since:
        rows.append(summary_row("Missing since", day_words(state.missing_since)))
    if state.transfer_in:
        move = state.transfer_in
        plan = ("their plan is in force until the transfer-in conference" if state.originating_plan_in_force
                else "their plan has ended")
        rows.append(summary_row("Transferred in", f"From {move.originating_authority}, agreed "
                                                  f"{day_words(move.agreed_on)}; {plan}"))
    if state.transfer_out_to:
        rows.append(summary_row("Moving to", state.transfer_out_to))
    if state.expected_delivery:
        born = f"born {day_words(state.born_on)}" if state.born_on else "not yet born"
        value = f"{day_words(state.expected_delivery)} ({born})"
        if state.premature_birth_likely:
            value += (f"; a premature birth is likely ({DARLINGTON}, Unborn Child Protection Conference: "
                      "hold the conference earlier)")
        rows.append(summary_row("Expected date of delivery", value))
    if state.conference_owed is not None:
        rows.append(summary_row("Conference owed", days_in_words(state.conference_owed.words)))
    if state.closed_because:
        rows.append(summary_row("Closed because", days_in_words(state.closed_because)))
    return rows


def recordable_groups(state: JourneyState, may_record) -> list[dict[str, Any]]:
    """The events the journey takes now that the person may record: links, under the plan's headings on a plan."""
    from starter.web.conference import booking_kinds
    from starter.web.forms import EVENTS_AT_STAGE, PLAN_GROUPS, open_tasks

    ref = state.case_ref
    skip = {"child_missing"} if state.missing_since else {"child_found"}
    if not open_tasks(state):
        skip.add("task_completed")

    def links(kinds: Iterable[str]) -> list[dict[str, str]]:
        return [{"href": f"{journey_href(ref)}/events/{kind}", "text": EVENT_TYPES[kind].action, "kind": kind}
                for kind in kinds if kind not in skip and may_record(kind)]

    groups: list[dict[str, Any]]
    if state.stage is Stage.ON_PLAN:
        groups = [{"heading": heading, "links": links(kinds)} for heading, kinds in PLAN_GROUPS]
    else:
        groups = [{"heading": None, "links": links(EVENTS_AT_STAGE.get(state.stage, ()))}]
    if state.conference_ref is None and booking_kinds(state) and may_record("conference_booked"):
        booking = {"href": f"{journey_href(ref)}/events/conference_booked", "text": "Book a conference",
                   "kind": "conference_booked"}
        groups.insert(0, {"heading": "Conferences", "links": [booking]}) if state.stage is Stage.ON_PLAN \
            else groups[0]["links"].append(booking)
    # Open or closed, a journey may be complained of or disagreed with (a decision not to hold a conference, say).
    challenges = [{"href": f"{journey_href(ref)}/complaints/new?{urlencode({'type': kind})}", "text": text,
                   "kind": kind}
                  for kind, text in (("complaint_made", "Start a complaint"),
                                     ("disagreement_raised", "Start a disagreement")) if may_record(kind)]
    if challenges:
        groups.append({"heading": "Complaints and disagreements", "links": challenges})
    return [group for group in groups if group["links"]]


def conferences_of(state: JourneyState, story: Story) -> list[dict[str, str]]:
    """The conferences booked on this journey, newest first: from the records, and the one booked now."""
    refs: list[str] = [state.conference_ref] if state.conference_ref else []
    for happening in story.happenings:
        if happening.kind == "conference_booked":
            for label, value in happening.details:
                if label == "Conference reference" or label == "Conference":
                    refs.append(str(value))
    seen: list[str] = []
    for ref in refs:
        if ref not in seen:
            seen.append(ref)
    return [{"ref": ref, "href": f"/conferences/{quote(ref, safe='')}",
             "booked_now": ref == state.conference_ref} for ref in seen]


def challenge_rows(rows: Sequence[Any] | None) -> list[dict[str, Any]] | None:
    """The case's complaints and disagreements as the journey page lists them (None: they could not be listed)."""
    from starter.web.complaints import complaint_href
    from starter.web.labels import CHALLENGE_KIND_LABELS, COMPLAINT_STAGE_LABELS, words

    if rows is None:
        return None
    listed = []
    for row in sorted(rows, key=lambda r: (not r.open, r.opened_on or r.complaint_ref, r.complaint_ref)):
        stage = words(COMPLAINT_STAGE_LABELS, row.stage) if row.stage else ""
        if row.next_due:
            stage += f" (next due {day_words(row.next_due)})"
        listed.append({
            "ref": row.complaint_ref, "href": complaint_href(row.complaint_ref),
            "kind": words(CHALLENGE_KIND_LABELS, row.kind) if row.kind else "",
            "about": row.about or "", "opened_on": day_words(row.opened_on) if row.opened_on else "",
            "open": row.open, "stage": days_in_words(stage), "overdue": row.overdue,
            "outcome": days_in_words(row.outcome or ""),
        })
    return listed


def audit_rows(entries: Sequence[Any] | None) -> list[dict[str, str]] | None:
    """Who has done and looked at what on the case (administrators only: None for everyone else)."""
    from starter.permissions import ACTION_WORDS, Action
    from starter.web.timeline import title_of

    if entries is None:
        return None
    rows = []
    for entry in entries:
        if entry.what == "view":
            what = "Looked at it"
        elif entry.what in ("list", "view audit log"):
            what = entry.what.capitalize()
        else:
            what = title_of(entry.what)
        try:
            action = ACTION_WORDS[Action(entry.action)]
        except ValueError:
            action = readable(entry.action)
        rows.append({"at": entry.at.strftime("%d/%m/%Y %H:%M:%S"), "who": entry.actor, "what": what, "action": action,
                     "subject": entry.subject_ref or "", "outcome": readable(entry.outcome).capitalize(),
                     "via": {"page": "Admin tool", "api": "Service API", "cli": "Command line"}.get(entry.via, entry.via)})
    return rows


def journey_context(state: JourneyState, story: Story, *, may_record, challenges=None, looked_at=None,
                    temporal_href: str = "", recorded: str | None = None) -> dict[str, Any]:
    """Everything ``journey.html`` shows."""
    to_do, done = deadline_rows(state.deadlines)
    return {
        "title": f"Case {state.case_ref}",
        "case_ref": state.case_ref,
        "state": state,
        "summary": journey_summary(state),
        "missing_since": day_words(state.missing_since) if state.missing_since else "",
        "to_do": to_do,
        "done": done,
        "escalations": [escalation_words(what) for what in state.escalations],
        "undelivered": [undelivered_words(line) for line in state.undelivered],
        "refused_feed": [refused_feed_words(line) for line in state.refused_feed],
        "failures": [days_in_words(line.replace("_", " ")) for line in state.failures],
        "groups": recordable_groups(state, may_record),
        "closed": state.stage is Stage.CLOSED,
        "story": story,
        "members": state.core_group_members,
        "on_plan": state.plan_started_on is not None,
        "challenges": challenge_rows(challenges),
        "conferences": conferences_of(state, story),
        "looked_at": audit_rows(looked_at),
        "temporal_href": temporal_href,
        "banner": banner_for(recorded, {kind: model.title for kind, model in EVENT_TYPES.items()}),
        "back_href": "/",
        "back_text": "Caseload",
    }


def temporal_href(ui_url: str, namespace: str, case_ref: str) -> str:
    """The journey's history in the Temporal UI (supervisors read it there, decrypted by the codec server)."""
    return f"{ui_url}/namespaces/{quote(namespace, safe='')}/workflows/cpj-{quote(case_ref, safe='')}"


def journey_page(state: JourneyState, story: Story, *, challenges=None, looked_at=None, temporal: str = "",
                 recorded: str | None = None, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    """The journey's page (``journey.html``); ``error``, if any, in the error summary at the top."""
    from starter.web.templating import may_record, render

    context = journey_context(state, story, may_record=may_record, challenges=challenges, looked_at=looked_at,
                              temporal_href=temporal, recorded=None if error else recorded)
    return render("journey.html", status_code=status_code, errors=[{"text": error}] if error else None, **context)


async def records_story(request: Any, case_ref: str, workflow_ids: Iterable[str] | None = None) -> Story:
    """The case's timeline from the app's records database (``starter.web.timeline``); an empty one, marked unread, if
    the database does not answer (the page still shows the journey's state)."""
    from sqlalchemy.exc import SQLAlchemyError
    from starlette.concurrency import run_in_threadpool

    from starter.web.timeline import read_story

    try:
        engine = request.app.state.identity().engine
        return await run_in_threadpool(read_story, engine, case_ref, workflow_ids)
    except SQLAlchemyError as err:
        log.warning("cannot read the records of a case: %s", type(err).__name__)
        return Story(read=False)


# -- a conference -------------------------------------------------------------------------


def conference_context(state, story: Story, *, may_record, recorded: str | None = None) -> dict[str, Any]:
    """Everything ``conference.html`` shows."""
    from starter.web.conference import (
        CONFERENCE_BUTTONS, CONFERENCE_EVENT_LABELS, KIND_LABELS, STAGE_LABELS as CONFERENCE_STAGES, _forms_for,
    )

    ref = state.conference_ref
    rows = [summary_row("Kind", KIND_LABELS.get(state.kind.value, readable(state.kind))),
            summary_row("Stage", CONFERENCE_STAGES[state.stage]),
            summary_row("Meeting date", day_words(state.meeting_on)),
            summary_row("Authority", policy_words(state.policy))]
    rows += [summary_row("Child's case" if len(state.case_refs) == 1 else f"Child {i} of {len(state.case_refs)}",
                         f"Case {case_ref}", journey_href(case_ref))
             for i, case_ref in enumerate(state.case_refs, start=1)]
    if state.adjournments:
        rows.append(summary_row("Adjournments", str(state.adjournments)))
    rows.append(summary_row("Invitees", ", ".join(
        invitee.role + (" (needs an interpreter)" if invitee.needs_interpreter else "")
        + (" (advocacy offered)" if invitee.advocacy_offered else "") for invitee in state.invitees) or "None yet"))
    if state.exclusions:
        rows.append(summary_row("Exclusion requests", "; ".join(
            f"{x.parent_role}, requested {day_words(x.requested_on)}: {', '.join(readable(g) for g in x.grounds)}"
            for x in state.exclusions)))
    if state.excluded_parent is not None:
        rows.append(summary_row("Exclusion decision",
                                "The parent is excluded" if state.excluded_parent else "The parent is not excluded"))
    rows.append(summary_row("Split conference", "Yes" if state.split else "No"))
    if state.held is not None:
        plans = "; ".join(f"case {d.case_ref}: " + (f"a plan ({readable(d.category)})" if d.plan else "no plan")
                          for d in state.held.decisions)
        rows.append(summary_row("Held", f"On {day_words(state.held.held_on)}" + (f": {plans}" if plans else "")))
    links = [{"href": f"/conferences/{quote(ref, safe='')}/events/{kind}", "text": CONFERENCE_BUTTONS[kind],
              "kind": kind} for kind in _forms_for(state) if may_record(kind)]
    to_do, done = deadline_rows(state.deadlines)
    return {
        "title": f"Conference {ref}", "ref": ref, "state": state, "summary": rows, "to_do": to_do, "done": done,
        "escalations": [escalation_words(what) for what in state.escalations],
        "undelivered": [undelivered_words(line) for line in state.undelivered],
        "failures": [days_in_words(line.replace("_", " ")) for line in state.failures],
        "groups": [{"heading": None, "links": links}] if links else [],
        "closed": not _forms_for(state), "story": story,
        "banner": banner_for(recorded, CONFERENCE_EVENT_LABELS),
        "back_href": journey_href(state.case_ref), "back_text": f"Case {state.case_ref}",
    }


def conference_page(state, story: Story, *, recorded: str | None = None, error: str | None = None,
                    status_code: int = 200) -> HTMLResponse:
    from starter.web.templating import may_record, render

    context = conference_context(state, story, may_record=may_record, recorded=None if error else recorded)
    return render("conference.html", status_code=status_code, errors=[{"text": error}] if error else None, **context)


# -- a complaint or disagreement ---------------------------------------------------------------


def complaint_context(state, story: Story, *, may_record, recorded: str | None = None) -> dict[str, Any]:
    """Everything ``complaint.html`` shows."""
    from domain.complaints import COMPLAINT_EVENT_TYPES, ENDED, EXPECTED
    from starter.web.complaints import complaint_href, opening_words
    from starter.web.labels import CHALLENGE_KIND_LABELS, COMPLAINT_STAGE_LABELS, PROCESS_LABELS

    ref = state.complaint_ref
    what = CHALLENGE_KIND_LABELS[state.kind]
    rows = [summary_row("Case", f"Case {state.case_ref}", journey_href(state.case_ref)),
            summary_row("Stage", COMPLAINT_STAGE_LABELS[state.stage]),
            summary_row("Received on", day_words(state.received_on))]
    rows += [summary_row(key, value) for key, value in opening_words(state)]
    if state.process:
        rows.append(summary_row("Procedure", PROCESS_LABELS[state.process]))
    if state.conference_ref:
        rows.append(summary_row("Conference", f"Conference {state.conference_ref}",
                                f"/conferences/{quote(state.conference_ref, safe='')}"))
    if state.original_chair_ref:
        rows.append(summary_row("Its chair's staff number", state.original_chair_ref))
    if state.upheld is not None:
        rows.append(summary_row("Upheld", "Yes" if state.upheld else "No"))
    if state.handed_to_journey:
        decided = state.handed_to_journey
        rows.append(summary_row("The child's journey was told",
                                f"{readable(decided.outcome).capitalize()} ({day_words(decided.decided_on)})"))
    if state.reconvened_conference_ref:
        rows.append(summary_row("Conference held because of it", f"Conference {state.reconvened_conference_ref}",
                                f"/conferences/{quote(state.reconvened_conference_ref, safe='')}"))
    if state.refused_because:
        rows.append(summary_row("Refused", days_in_words(state.refused_because)))
    elif state.closed_because:
        rows.append(summary_row("Closed", f"{day_words(state.closed_on)}: {days_in_words(state.closed_because)}"))
    if state.ombudsman_route_given:
        rows.append(summary_row("Local Government Ombudsman", "The route was given to the complainant"))
    rows.append(summary_row("Authority", policy_words(state.policy)))
    ended = state.stage in ENDED
    kinds = [] if ended else [model.model_fields["type"].default for model in EXPECTED[state.stage]]
    links = [{"href": f"{complaint_href(ref)}/events/{kind}", "text": f"Record: {COMPLAINT_EVENT_TYPES[kind].title.lower()}",
              "kind": kind} for kind in kinds if may_record(kind)]
    banner = banner_for(recorded, {kind: model.title for kind, model in COMPLAINT_EVENT_TYPES.items()})
    if recorded == "started":
        banner = {"heading": f"{what} started", "body": "Its deadlines and letters are below."}
    to_do, done = deadline_rows(state.deadlines)
    return {
        "title": f"{what} {ref}", "heading": f"{what} {ref}", "ref": ref, "state": state, "summary": rows,
        "what": "complaint" if state.kind.value == "complaint" else "disagreement",
        "to_do": to_do, "done": done,
        "escalations": [escalation_words(what) for what in state.escalations],
        "undelivered": [undelivered_words(line) for line in state.undelivered],
        "failures": [days_in_words(line.replace("_", " ")) for line in state.failures],
        "groups": [{"heading": None, "links": links}] if links else [], "closed": ended, "story": story,
        "banner": banner, "back_href": journey_href(state.case_ref), "back_text": f"Case {state.case_ref}",
    }


def complaint_page(state, story: Story, *, recorded: str | None = None, error: str | None = None,
                   status_code: int = 200) -> HTMLResponse:
    from starter.web.templating import may_record, render

    context = complaint_context(state, story, may_record=may_record, recorded=None if error else recorded)
    return render("complaint.html", status_code=status_code, errors=[{"text": error}] if error else None, **context)
