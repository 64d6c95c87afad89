"""Who may do what: the one table (``MAY``), checked on the server for every route by ``require``.

Every route that shows or changes a case declares one :class:`Action`; a route that records an
event declares the family of events it takes and the event's own ``type`` names the action
(``EVENT_ACTIONS``), so "only a team manager agrees an ICPC delay" holds on the API, the admin tool's
forms and the service keys alike. A refusal is 403 with a sentence and happens before the body is
read into a model or anything reaches Temporal, so nothing changes.

Where the roles come from: Working Together 2023 and the seeds. The team manager agrees a late
ICPC and decides that no conference is needed (Darlington procedures, "Initial Child Protection
Conference"); the conference chair records what a conference decided and decides an exclusion
(Sefton 6.1.4, the chair's duties); the lead social worker (Staffordshire's "key worker")
visits the child and runs the core group; operations staff (the conference and business support
team) book conferences, send the invitations and record the conference's tasks; the service manager
owns the complaint stages addressed to the authority (Darlington's Service Manager, Birmingham 8's
Assistant Director / 7's Assistant Head); a supervisor reads everything and changes nothing.

Choices the documents do not make (each noted in ``NOTES`` and the README's table):

* An administrator manages accounts and keys and reads the audit log, and may read cases (to see
  who looked at one) but changes none: the person who can make accounts and read the access log
  should not also be able to record a child's decisions under a practitioner's name. A council that
  wants one person to do both gives that account both roles. Importing open cases when a council moves
  to this system is the exception: it brings the case system's facts in under the importer's own staff
  number, and records no practitioner's decision.
* The command line talks to Temporal directly, so whoever runs it can do anything; it still acts as a
  named staff number and is recorded like anyone else (``starter.cli``), but the table is not
  consulted there: a check a caller can step around would only pretend.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Literal

from fastapi import Depends, Request

from starter.identity import Actor
from starter.roles import ROLE_WORDS, Role


class Action(StrEnum):
    # Reading
    READ_CASE = "read_case"
    LIST_CASELOAD = "list_caseload"
    READ_POLICIES = "read_policies"
    DECODE_PAYLOADS = "decode_payloads"
    # The journey before a plan
    START_JOURNEY = "start_journey"
    IMPORT_CASES = "import_cases"
    RECORD_STRATEGY_DISCUSSION = "record_strategy_discussion"
    AGREE_ICPC_DELAY = "agree_icpc_delay"
    DECIDE_NO_CONFERENCE = "decide_no_conference"
    # Conferences
    ARRANGE_CONFERENCE = "arrange_conference"
    RECORD_CONFERENCE_DECISION = "record_conference_decision"
    # The plan
    RECORD_VISITS_AND_CORE_GROUPS = "record_visits_and_core_groups"
    RECORD_TASK = "record_task"
    ALLOCATE_CASE = "allocate_case"
    RECORD_CONCERN = "record_concern"
    # Complaints and disagreements
    START_CHALLENGE = "start_challenge"
    RESPOND_TO_CHALLENGE = "respond_to_challenge"
    RECORD_PARTNERSHIP_STAGE = "record_partnership_stage"
    RESOLVE_INFORMALLY = "resolve_informally"
    # The register (Staffordshire procedures, 57-61)
    ENQUIRE_REGISTER = "enquire_register"
    LINK_CHILD_IDENTITY = "link_child_identity"
    READ_REGISTER_NOTICES = "read_register_notices"
    # Running the service
    READ_AUDIT_LOG = "read_audit_log"
    MANAGE_ACCOUNTS = "manage_accounts"
    # Oversight: figures across cases (issue 11)
    READ_REPORTS = "read_reports"
    EXPORT_CENSUS = "export_census"
    # Watching the service run (issue 12)
    READ_METRICS = "read_metrics"


#: Each action as staff read it (the README's table, error messages).
ACTION_WORDS: dict[Action, str] = {
    Action.READ_CASE: "Read a case (its journey, conferences and complaints)",
    Action.LIST_CASELOAD: "List the caseload",
    Action.READ_POLICIES: "Read the policies and the deadline calculator",
    Action.DECODE_PAYLOADS: "Read journeys' histories decrypted in the Temporal UI (the codec server)",
    Action.START_JOURNEY: "Start a journey (strategy discussion or transfer in)",
    Action.IMPORT_CASES: "Import open cases already on a plan (a CSV file), and see an import's progress",
    Action.RECORD_STRATEGY_DISCUSSION: "Record a later strategy discussion or a birth",
    Action.AGREE_ICPC_DELAY: "Agree a late ICPC",
    Action.DECIDE_NO_CONFERENCE: "Decide no conference is needed",
    Action.ARRANGE_CONFERENCE: "Book a conference or review and record its arrangements",
    Action.RECORD_CONFERENCE_DECISION: "Record a conference's decision, or decide an exclusion",
    Action.RECORD_VISITS_AND_CORE_GROUPS: "Record visits and core groups",
    Action.RECORD_TASK: "Record a plan's task as done",
    Action.ALLOCATE_CASE: "Name the lead social worker or cover, transfer out, end a plan outside a review",
    Action.RECORD_CONCERN: "Record a missing child, a child found or a significant event",
    Action.START_CHALLENGE: "Record a complaint or disagreement",
    Action.RESPOND_TO_CHALLENGE: "Record the authority's response to a complaint or disagreement",
    Action.RECORD_PARTNERSHIP_STAGE: "Record the Partnership's (scrutineer, appeal) stages of a complaint",
    Action.RESOLVE_INFORMALLY: "Record the chair's informal resolution of a complaint",
    Action.ENQUIRE_REGISTER: "Ask whether a child is subject to a plan",
    Action.LINK_CHILD_IDENTITY: "Link a case to its child's NHS number and address (UPRN) for the register",
    Action.READ_REGISTER_NOTICES: "See the register enquiries one was told of",
    Action.READ_AUDIT_LOG: "Read the audit log (who did and looked at what)",
    Action.MANAGE_ACCOUNTS: "Manage accounts and service keys",
    Action.READ_REPORTS: "Read the timeliness reports (figures per authority, team and month)",
    Action.EXPORT_CENSUS: "Export the Children in Need census extract (child protection) for the DfE",
    Action.READ_METRICS: "Read the service's metrics (/metrics, for Prometheus): counts, no case",
}

_OPS, _LSW, _TM = Role.OPERATIONS_STAFF, Role.LEAD_SOCIAL_WORKER, Role.TEAM_MANAGER
_CHAIR, _SM, _SUP = Role.CONFERENCE_CHAIR, Role.SERVICE_MANAGER, Role.SUPERVISOR
_ENQ, _ADMIN = Role.REGISTER_ENQUIRER, Role.ADMINISTRATOR
#: Everyone whose work is the case: all but the register enquirer (who learns only what the register
#: answers, Staffordshire procedures 57-59).
_CASE_READERS = frozenset({_OPS, _LSW, _TM, _CHAIR, _SM, _SUP, _ADMIN})

#: The one table: which roles may do each action. Nothing else decides it.
MAY: dict[Action, frozenset[Role]] = {
    Action.READ_CASE: _CASE_READERS,
    Action.LIST_CASELOAD: _CASE_READERS,
    Action.READ_POLICIES: frozenset(Role),
    Action.DECODE_PAYLOADS: frozenset({_SUP}),
    Action.START_JOURNEY: frozenset({_OPS, _LSW, _TM}),
    Action.IMPORT_CASES: frozenset({_OPS, _ADMIN}),
    Action.RECORD_STRATEGY_DISCUSSION: frozenset({_OPS, _LSW, _TM}),
    Action.AGREE_ICPC_DELAY: frozenset({_TM}),
    Action.DECIDE_NO_CONFERENCE: frozenset({_TM}),
    Action.ARRANGE_CONFERENCE: frozenset({_OPS}),
    Action.RECORD_CONFERENCE_DECISION: frozenset({_CHAIR}),
    Action.RECORD_VISITS_AND_CORE_GROUPS: frozenset({_LSW}),
    Action.RECORD_TASK: frozenset({_OPS, _LSW}),
    Action.ALLOCATE_CASE: frozenset({_TM}),
    Action.RECORD_CONCERN: frozenset({_LSW, _TM}),
    Action.START_CHALLENGE: frozenset({_OPS, _SM}),
    Action.RESPOND_TO_CHALLENGE: frozenset({_SM}),
    Action.RECORD_PARTNERSHIP_STAGE: frozenset({_OPS, _SM}),
    Action.RESOLVE_INFORMALLY: frozenset({_CHAIR}),
    Action.ENQUIRE_REGISTER: frozenset({_ENQ}),
    Action.LINK_CHILD_IDENTITY: frozenset({_OPS}),
    Action.READ_REGISTER_NOTICES: frozenset({_LSW, _TM, _SM}),
    Action.READ_AUDIT_LOG: frozenset({_ADMIN}),
    Action.MANAGE_ACCOUNTS: frozenset({_ADMIN}),
    Action.READ_REPORTS: frozenset({_TM, _SM, _SUP, _ADMIN}),
    Action.EXPORT_CENSUS: frozenset({_SM, _ADMIN}),
    Action.READ_METRICS: frozenset({_ADMIN}),
}

#: The actions that only read: a supervisor's are all among them, and the audit log calls them views.
READS: frozenset[Action] = frozenset({Action.READ_CASE, Action.LIST_CASELOAD, Action.READ_POLICIES,
                                      Action.DECODE_PAYLOADS, Action.READ_REGISTER_NOTICES, Action.READ_AUDIT_LOG,
                                      Action.READ_REPORTS, Action.EXPORT_CENSUS, Action.READ_METRICS})

#: Why a cell is as it is, where the documents do not say it in so many words.
NOTES: dict[Action, str] = {
    Action.READ_CASE: "not the register enquirer: the register answers them, the case does not",
    Action.DECODE_PAYLOADS: "the Temporal UI is the supervisors' (its sign-in is assigned to their group); "
                            "everyone else reads a case in the admin tool",
    Action.RECORD_STRATEGY_DISCUSSION: "whoever recorded the opening discussion records a later one",
    Action.IMPORT_CASES: "moving to this system: the facts come from the case system, not a practitioner's "
                         "decision, so the administrator setting the service up may run it too",
    Action.RECORD_TASK: "the core assessment and the plan's own work are the lead social worker's",
    Action.ALLOCATE_CASE: "allocation, transfer and ending a plan outside a review are the team manager's decisions",
    Action.RECORD_CONCERN: "also sent by services with a key for these events (a school's absence feed)",
    Action.START_CHALLENGE: "the complaints team (operations staff) or the service manager receives it",
    Action.RECORD_PARTNERSHIP_STAGE: "the Partnership's scrutineer and appeal panel are outside the authority: "
                                     "their business support (operations staff) records their stages",
    Action.READ_AUDIT_LOG: "administrators investigate access; they may read cases but change none (an import aside)",
    Action.ENQUIRE_REGISTER: "the professions Staffordshire's procedure lists (58); the enquirer's profession is recorded with the enquiry",
    Action.READ_REGISTER_NOTICES: "the key worker told of an enquiry (Staffordshire procedures, 59-60); managers also see "
                                  "second enquiries about a child not known (61, the designated manager)",
    Action.READ_REPORTS: "managers are judged on timeliness; the figures count cases and name no child",
    Action.EXPORT_CENSUS: "the return is the authority's (its service manager's); administrators run it with them. "
                          "It lists every child on a plan, so not the teams",
    Action.READ_METRICS: "Prometheus scrapes with the token in CPJ_METRICS_TOKEN_FILE, not as a person",
}

#: Which action each event is, by its ``type``: the journey's, its feed's, a conference's and a complaint's.
EVENT_ACTIONS: dict[str, Action] = {
    # The journey before a plan
    "transfer_in": Action.START_JOURNEY,
    "strategy_discussion": Action.RECORD_STRATEGY_DISCUSSION,
    "child_born": Action.RECORD_STRATEGY_DISCUSSION,
    "icpc_delay_agreed": Action.AGREE_ICPC_DELAY,
    "conference_not_required": Action.DECIDE_NO_CONFERENCE,
    "icpc_held": Action.RECORD_CONFERENCE_DECISION,
    "review_held": Action.RECORD_CONFERENCE_DECISION,
    "conference_booked": Action.ARRANGE_CONFERENCE,
    "review_scheduled": Action.ARRANGE_CONFERENCE,
    # The plan
    "visit_made": Action.RECORD_VISITS_AND_CORE_GROUPS,
    "core_group_held": Action.RECORD_VISITS_AND_CORE_GROUPS,
    "core_group_members_recorded": Action.RECORD_VISITS_AND_CORE_GROUPS,
    "task_completed": Action.RECORD_TASK,
    "lead_social_worker_named": Action.ALLOCATE_CASE,
    "lead_social_worker_cover": Action.ALLOCATE_CASE,
    "transfer_out_notified": Action.ALLOCATE_CASE,
    "plan_ended": Action.ALLOCATE_CASE,
    "child_missing": Action.RECORD_CONCERN,
    "child_found": Action.RECORD_CONCERN,
    "significant_event": Action.RECORD_CONCERN,
    # A conference
    "invitations_sent": Action.ARRANGE_CONFERENCE,
    "split_arranged": Action.ARRANGE_CONFERENCE,
    "exclusion_requested": Action.ARRANGE_CONFERENCE,
    "amendments_received": Action.ARRANGE_CONFERENCE,
    "conference_task_done": Action.RECORD_TASK,
    "exclusion_decided": Action.RECORD_CONFERENCE_DECISION,
    "conference_held": Action.RECORD_CONFERENCE_DECISION,
    # A complaint or disagreement
    "complaint_made": Action.START_CHALLENGE,
    "disagreement_raised": Action.START_CHALLENGE,
    "service_manager_responded": Action.RESPOND_TO_CHALLENGE,
    "formal_complaint_received": Action.RESPOND_TO_CHALLENGE,
    "panel_convened": Action.RESPOND_TO_CHALLENGE,
    "panel_decided": Action.RESPOND_TO_CHALLENGE,
    "final_decision_made": Action.RESPOND_TO_CHALLENGE,
    "file_reviewed": Action.RESPOND_TO_CHALLENGE,
    "complaint_closed": Action.RESPOND_TO_CHALLENGE,
    "referred_to_scrutineer": Action.RECORD_PARTNERSHIP_STAGE,
    "receipt_acknowledged": Action.RECORD_PARTNERSHIP_STAGE,
    "documents_considered": Action.RECORD_PARTNERSHIP_STAGE,
    "scrutineer_responded": Action.RECORD_PARTNERSHIP_STAGE,
    "dissatisfaction_notified": Action.RECORD_PARTNERSHIP_STAGE,
    "appeal_grounds_decided": Action.RECORD_PARTNERSHIP_STAGE,
    "appeal_subcommittee_met": Action.RECORD_PARTNERSHIP_STAGE,
    "appeal_outcome_sent": Action.RECORD_PARTNERSHIP_STAGE,
    "conference_reconvened": Action.ARRANGE_CONFERENCE,
    "informal_resolution_ended": Action.RESOLVE_INFORMALLY,
}

#: The kinds of request that carry an event, and how to find its type in the body.
EventFamily = Literal["journey_start", "journey", "feed", "conference", "complaint_start", "complaint"]


class NotAllowed(Exception):
    """Refused by the table (403): says who was refused what, and that nothing changed."""

    def __init__(self, message: str, action: Action | None = None) -> None:
        super().__init__(message)
        self.action = action


#: What a service key may do besides sending its own event types: read the policies, and read a case,
#: because an event's answer (and a 202's ``Location``, polled afterwards) is the case's state. Every
#: such read is in the audit log under ``service:<name>``. A key never lists the caseload.
SERVICES_MAY: frozenset[Action] = frozenset({Action.READ_CASE, Action.READ_POLICIES})


def allowed(actor: Actor, action: Action, event_type: str | None = None) -> bool:
    """Whether ``actor`` may do ``action`` (recording an event of ``event_type``, if one).

    A person by their roles and the table. A service key by the event types an administrator gave it
    (``cpj service-key create --may``): those are its grant, and it may never send another type.
    """
    if actor.kind == "service":
        if event_type is not None:
            return may_send(actor, event_type)
        return action in SERVICES_MAY or bool(actor.roles & MAY[action])
    return bool(actor.roles & MAY[action]) and (event_type is None or may_send(actor, event_type))


def may_send(actor: Actor, event_type: str) -> bool:
    """A service key sends only the event types it was given; people are bounded by the table alone."""
    return actor.may_send is None or event_type in actor.may_send


def check(actor: Actor, action: Action, event_type: str | None = None) -> None:
    """Raise :class:`NotAllowed` unless ``actor`` may do ``action`` (and, for a service, send ``event_type``)."""
    if actor.kind == "service":
        if not allowed(actor, action, event_type):
            what = f"send {event_type} events" if event_type else ACTION_WORDS[action].lower()
            raise NotAllowed(f"the key {actor.ref!r} may not {what} (it may send "
                             f"{', '.join(sorted(actor.may_send or ())) or 'no events'}). Nothing was changed.", action)
        return
    if not allowed(actor, action):
        roles = ", ".join(ROLE_WORDS[role].lower() for role in sorted(actor.roles)) or "no role"
        who = " or ".join(ROLE_WORDS[role].lower() for role in sorted(MAY[action])) or "nobody"
        raise NotAllowed(f"{ACTION_WORDS[action]} is for the {who}; {actor.recorded_as} ({roles}) may not. "
                         "Nothing was changed.", action)
    if event_type is not None and not may_send(actor, event_type):
        raise NotAllowed(f"the key {actor.ref!r} may not send {event_type} events (it may send "
                         f"{', '.join(sorted(actor.may_send or ())) or 'none'}). Nothing was changed.", action)


def require(action: Action) -> Any:
    """The route's dependency: the signed-in actor, if the table lets them do ``action``; else 403."""
    from starter.web.identity import signed_in

    async def permitted(request: Request, actor: Actor = Depends(signed_in)) -> Actor:
        request.state.action = action
        check(actor, action)
        return actor

    permitted.cpj_actions = frozenset({action})  # type: ignore[attr-defined]  (read by the route walk)
    return Depends(permitted)


def _family_actions(family: EventFamily) -> frozenset[Action]:
    if family == "journey_start":
        return frozenset({Action.START_JOURNEY})
    if family == "complaint_start":
        return frozenset({Action.START_CHALLENGE})
    return frozenset(EVENT_ACTIONS[kind] for kind in _family_types(family))


def _family_types(family: EventFamily) -> frozenset[str]:
    if family == "journey_start":
        return frozenset({"strategy_discussion", "transfer_in"})
    if family == "complaint_start":
        return frozenset({"complaint_made", "disagreement_raised"})
    from domain.complaints import COMPLAINT_EVENTS
    from domain.conference import CONFERENCE_EVENTS
    from domain.events import EVENT_TYPES, FEED_EVENTS

    models: Iterable = {"journey": EVENT_TYPES.values(), "feed": FEED_EVENTS, "conference": CONFERENCE_EVENTS,
                        "complaint": COMPLAINT_EVENTS}[family]
    return frozenset(model.model_fields["type"].default for model in models)


async def _event_type(request: Request, family: EventFamily) -> str | None:
    """The type of the event a request carries, read from the raw body (a form's or JSON's), before any model.

    A start's references (in the body, not the path) are kept for the audit log's row.
    """
    if "form" in request.headers.get("content-type", ""):
        form = await request.form()  # cached: the route reads the same form
        _keep_refs(request, {name: str(form.get(name) or "").strip().upper() for name in ("case_ref", "complaint_ref")})
        if family == "journey_start":
            return "strategy_discussion"  # the admin tool starts journeys from a strategy discussion only
        kind = form.get("type")
        return kind if isinstance(kind, str) else None
    try:
        body = json.loads(await request.body() or b"null")  # cached: FastAPI parses the same bytes
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    _keep_refs(request, body)
    if family == "journey_start":
        return "transfer_in" if body.get("transfer_in") is not None else "strategy_discussion"
    if family == "complaint_start":
        opening = body.get("opening")
        kind = opening.get("type") if isinstance(opening, dict) else None
    else:
        kind = body.get("type")
    return kind if isinstance(kind, str) else None


def _keep_refs(request: Request, body: dict) -> None:
    for name, key in (("case_ref", "audit_case_ref"), ("complaint_ref", "audit_subject_ref")):
        value = body.get(name)
        if isinstance(value, str) and value and len(value) <= 64:
            setattr(request.state, key, value)


def require_event(family: EventFamily) -> Any:
    """The dependency of a route that records an event: the action is the event's, by its ``type``.

    An actor who may do none of the family's actions is refused whatever the body says; a type the
    family does not know goes on to the model, which refuses it with its own message (422).
    """
    from starter.web.identity import signed_in

    actions = _family_actions(family)
    family_types = _family_types(family)

    async def permitted(request: Request, actor: Actor = Depends(signed_in)) -> Actor:
        kind = await _event_type(request, family)
        action = Action.START_JOURNEY if family == "journey_start" else EVENT_ACTIONS.get(kind or "")
        if family == "complaint_start":
            action = Action.START_CHALLENGE
        request.state.action = action if action in actions else min(actions, key=list(Action).index)
        request.state.event_type = kind
        if action is None or action not in actions:
            if actor.kind == "service" and not (actor.may_send or frozenset()) & family_types:
                check(actor, min(actions, key=list(Action).index), kind or "unknown")
            if actor.kind != "service" and not any(allowed(actor, one) for one in actions):
                check(actor, min(actions, key=list(Action).index))
            return actor  # not an event of this family: the model refuses it (422)
        check(actor, action, kind)
        return actor

    permitted.cpj_actions = actions  # type: ignore[attr-defined]
    return Depends(permitted)


def actions_of(route: Any) -> frozenset[Action]:
    """The actions a route declares (through ``require`` or ``require_event``): empty for none."""
    found: set[Action] = set()
    stack = [getattr(route, "dependant", None)]
    while stack:
        dependant = stack.pop()
        if dependant is None:
            continue
        found |= getattr(dependant.call, "cpj_actions", frozenset())
        stack.extend(dependant.dependencies)
    return frozenset(found)


def table_markdown() -> str:
    """The table as the README shows it: one row per action, a column per role (``cpj roles table --markdown``)."""
    roles = list(Role)
    head = "| action | " + " | ".join(ROLE_WORDS[role].split(" (")[0] for role in roles) + " | note |"
    rule = "|---|" + "|".join(":-:" for _ in roles) + "|---|"
    rows = [
        f"| {ACTION_WORDS[action]} | " + " | ".join("yes" if role in MAY[action] else "" for role in roles)
        + f" | {NOTES.get(action, '')} |"
        for action in Action
    ]
    return "\n".join([head, rule, *rows])


def table_text() -> str:
    """The table for a terminal: each action and the roles that may do it."""
    width = max(len(action.value) for action in Action)
    return "\n".join(f"{action.value:<{width}}  " + ", ".join(role.value for role in Role if role in MAY[action])
                     for action in Action)
