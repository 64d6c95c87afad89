"""Who may do what: the one table, on every route, for every role, and for service keys.

The whole table is walked against a real (time-skipping) Temporal with a worker, through the real
sign-in: for every role and every event type (and every other action), an allowed request is not
refused and a forbidden one is refused with 403 and changes nothing (the journey's, the conference's
and the complaint's state, and the records database, are as they were).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select
from temporalio.service import RPCError, RPCStatusCode
from typer.testing import CliRunner

from activities.db import JourneyRecord
from domain.complaints import COMPLAINT_EVENTS
from domain.conference import CONFERENCE_EVENTS
from domain.events import EVENT_TYPES, FEED_EVENTS
from starter.cli import app as cli
from starter.client import JourneyError
from starter.identity import Actor
from starter.permissions import EVENT_ACTIONS, MAY, READS, Action, NotAllowed, actions_of, check, table_markdown
from starter.roles import Role
from starter.web import create_app
from tests.conftest import JourneyWorld, quiet
from workflows.complaint import complaint_workflow_id
from domain.conference import conference_workflow_id

CASE = "CASE-0042"
CONFERENCE = "ICPC-0200"
COMPLAINT = "CMP-0001"
README = Path(__file__).resolve().parents[2] / "README.md"

#: Routes anyone may reach: signing in, the first administrator's link, the API's own description, the pages' assets
#: and the health checks (no case in them).
PUBLIC = re.compile(r"^/(sign-in|sign-out|first-run|openapi\.json|docs|assets|healthz|readyz)(/|$)")
#: Actions done outside the admin tool and the API: accounts and keys on the command line (``cpj user``,
#: ``cpj service-key``). No route of the app may declare them unwalked.
OUTSIDE_THE_APP = {Action.MANAGE_ACCOUNTS}


def routes_of(routes, prefix: str = ""):
    """Every route of the app, through the routers it includes."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from routes_of(included.routes, prefix + (getattr(route.include_context, "prefix", "") or ""))
        else:
            yield prefix + route.path, route


# -- The table itself --------------------------------------------------------------------------


def test_every_route_that_is_not_signing_in_says_what_it_does_in_the_table() -> None:
    unchecked = [f"{sorted(getattr(route, 'methods', []) or [])} {path}" for path, route in routes_of(create_app().routes)
                 if not PUBLIC.match(path) and not actions_of(route)]
    assert unchecked == [], "routes with no action from starter.permissions (add require(...) or require_event(...))"


def test_every_event_a_journey_a_conference_or_a_complaint_takes_is_someone_s_to_record() -> None:
    kinds = {model.model_fields["type"].default
             for model in (*EVENT_TYPES.values(), *FEED_EVENTS, *CONFERENCE_EVENTS, *COMPLAINT_EVENTS)}
    assert kinds - set(EVENT_ACTIONS) == set()
    assert all(MAY[action] for action in EVENT_ACTIONS.values())


def test_a_supervisor_reads_everything_and_changes_nothing() -> None:
    supervisor = {action for action, roles in MAY.items() if Role.SUPERVISOR in roles}
    assert {Action.READ_CASE, Action.LIST_CASELOAD, Action.READ_POLICIES} <= supervisor <= READS
    assert not set(EVENT_ACTIONS.values()) & READS


def test_only_a_team_manager_agrees_a_late_icpc_or_decides_no_conference_and_only_the_chair_records_a_decision() -> None:
    assert MAY[EVENT_ACTIONS["icpc_delay_agreed"]] == {Role.TEAM_MANAGER}
    assert MAY[EVENT_ACTIONS["conference_not_required"]] == {Role.TEAM_MANAGER}
    assert MAY[EVENT_ACTIONS["icpc_held"]] == MAY[EVENT_ACTIONS["conference_held"]] == {Role.CONFERENCE_CHAIR}
    assert MAY[EVENT_ACTIONS["visit_made"]] == MAY[EVENT_ACTIONS["core_group_held"]] == {Role.LEAD_SOCIAL_WORKER}
    assert Role.OPERATIONS_STAFF in MAY[EVENT_ACTIONS["conference_booked"]]


def test_an_administrator_manages_accounts_and_reads_the_log_but_records_nothing_on_a_case() -> None:
    administrator = {action for action, roles in MAY.items() if Role.ADMINISTRATOR in roles}
    # An import brings the case system's facts in under the importer's own staff number: no practitioner's decision.
    assert administrator - READS == {Action.MANAGE_ACCOUNTS, Action.IMPORT_CASES}
    assert {Action.READ_CASE, Action.READ_AUDIT_LOG} <= administrator
    assert MAY[Action.READ_AUDIT_LOG] == MAY[Action.MANAGE_ACCOUNTS] == {Role.ADMINISTRATOR}


def test_a_service_key_sends_only_its_own_event_types_and_never_lists_the_caseload() -> None:
    school = Actor(kind="service", ref="school-feed", roles=frozenset(), may_send=frozenset({"child_missing"}))
    check(school, Action.RECORD_CONCERN, "child_missing")
    check(school, Action.READ_CASE)
    with pytest.raises(NotAllowed, match="may not send significant_event"):
        check(school, Action.RECORD_CONCERN, "significant_event")
    with pytest.raises(NotAllowed):
        check(school, Action.LIST_CASELOAD)


def test_the_readme_shows_the_table_as_the_command_prints_it() -> None:
    result = CliRunner().invoke(cli, ["roles", "table", "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == table_markdown()
    assert table_markdown() in README.read_text(), "README is behind: paste `cpj roles table --markdown`"


# -- The whole table, on the running service -------------------------------------------------------


def _body(model: Any, today: date) -> dict[str, Any]:
    """The model's own example, happening today, with an id never used before."""
    body = model.example()
    body[model.date_field] = today.isoformat()
    body["event_id"] = f"t-{uuid.uuid4().hex[:10]}"
    return body


def _form(body: dict[str, Any]) -> dict[str, Any]:
    return {name: ("on" if value is True else str(value)) for name, value in body.items()
            if value is not False and value is not None and not isinstance(value, (list, dict))}


async def _requests(today: date) -> list[tuple[Action, str | None, str, str, dict[str, Any]]]:
    """(action, event type, method, path, body) for every action and every event type on the API, and every
    action on each page's form."""
    journey_start = {"case_ref": "CASE-7001", "policy": "darlington",
                     "strategy_discussion": {"event_id": "sd-x", "held_on": today.isoformat(),
                                             "initiated_section_47": True}}
    complaint_start = {"complaint_ref": "CMP-7001", "case_ref": CASE,
                       "opening": {"type": "complaint_made", "event_id": "c-x", "received_on": today.isoformat(),
                                   "complainant": "parent", "about": ["plan_decision"]}}
    wanted: list[tuple[Action, str | None, str, str, dict[str, Any]]] = [
        (Action.READ_CASE, None, "GET", f"/api/journeys/{CASE}", {}),
        (Action.READ_CASE, None, "GET", f"/journeys/{CASE}", {}),
        (Action.READ_CASE, None, "GET", f"/conferences/{CONFERENCE}", {}),
        (Action.READ_CASE, None, "GET", f"/api/complaints/{COMPLAINT}", {}),
        (Action.LIST_CASELOAD, None, "GET", "/api/journeys", {}),
        (Action.LIST_CASELOAD, None, "GET", "/", {}),
        (Action.READ_POLICIES, None, "GET", "/api/policies", {}),
        (Action.DECODE_PAYLOADS, None, "POST", "/codec/decode", {"payloads": []}),  # the Temporal UI's codec server
        (Action.READ_AUDIT_LOG, None, "GET", "/audit", {}),
        (Action.READ_AUDIT_LOG, None, "GET", "/api/audit", {}),
        (Action.READ_METRICS, None, "GET", "/metrics", {}),
        (Action.READ_REPORTS, None, "GET", "/reports?year=2026", {}),
        (Action.READ_REPORTS, None, "GET", "/reports.csv?year=2026", {}),
        (Action.ENQUIRE_REGISTER, None, "GET", "/register", {}),
        (Action.LINK_CHILD_IDENTITY, None, "GET", "/register/link", {}),
        (Action.READ_REGISTER_NOTICES, None, "GET", "/register/told", {}),
        (Action.IMPORT_CASES, None, "GET", "/import", {}),
        (Action.EXPORT_CENSUS, None, "GET", "/census?year=2027&authority=darlington", {}),
        (Action.EXPORT_CENSUS, None, "GET", "/census.xml?year=2027&authority=darlington", {}),
        (Action.START_JOURNEY, "strategy_discussion", "POST", "/api/journeys", journey_start),
        (Action.START_JOURNEY, "strategy_discussion", "FORM", "/journeys",
         {"case_ref": "CASE-7002", "policy": "darlington", "strategy_discussion": today.isoformat()}),
        (Action.START_CHALLENGE, "complaint_made", "POST", "/api/complaints", complaint_start),
        (Action.START_CHALLENGE, "complaint_made", "FORM", f"/journeys/{CASE}/complaints",
         {**_form(complaint_start["opening"]), "complaint_ref": "CMP-7002"}),
    ]
    for model in EVENT_TYPES.values():
        kind = model.model_fields["type"].default
        wanted.append((EVENT_ACTIONS[kind], kind, "POST", f"/api/journeys/{CASE}/events", _body(model, today)))
        wanted.append((EVENT_ACTIONS[kind], kind, "FORM", f"/journeys/{CASE}/events/{kind}", _form(_body(model, today))))
    for model in FEED_EVENTS:
        kind = model.model_fields["type"].default
        wanted.append((EVENT_ACTIONS[kind], kind, "POST", f"/api/journeys/{CASE}/feed", _body(model, today)))
    for model in CONFERENCE_EVENTS:
        kind = model.model_fields["type"].default
        wanted.append((EVENT_ACTIONS[kind], kind, "POST", f"/api/conferences/{CONFERENCE}/events", _body(model, today)))
        wanted.append((EVENT_ACTIONS[kind], kind, "FORM", f"/conferences/{CONFERENCE}/events/{kind}",
                       _form(_body(model, today))))
    for model in COMPLAINT_EVENTS:
        kind = model.model_fields["type"].default
        wanted.append((EVENT_ACTIONS[kind], kind, "POST", f"/api/complaints/{COMPLAINT}/events", _body(model, today)))
        wanted.append((EVENT_ACTIONS[kind], kind, "FORM", f"/complaints/{COMPLAINT}/events/{kind}",
                       _form(_body(model, today))))
    # On the pages, one event of each action per kind of page is enough: the same check reads the form's type.
    seen: set[tuple[Action, str]] = set()
    kept = []
    for request in wanted:
        action, kind, method, path, _ = request
        page = path.rsplit("/events/", 1)[0] if method == "FORM" else path
        if method == "FORM" and kind is not None and (action, page) in seen:
            continue
        seen.add((action, page))
        kept.append(request)
    return kept


async def _send(web: httpx.AsyncClient, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
    if method == "GET":
        return await web.get(path)
    if method == "FORM":
        return await web.post(path, data=body)
    return await web.post(path, json=body)


#: Every workflow the walk touches, by the reference a request's path or body names it with.
WORKFLOWS = {CASE: "journey", "CASE-7001": "journey", "CASE-7002": "journey", CONFERENCE: "conference",
             COMPLAINT: "complaint", "CMP-7001": "complaint", "CMP-7002": "complaint"}


def _touched(path: str, body: dict[str, Any]) -> list[str]:
    """The workflows a request could change: those its path or body names (a complaint's, its case's too)."""
    text = path + " " + " ".join(str(value) for value in body.values())
    named = [ref for ref in WORKFLOWS if ref in text]
    return named + ([CASE] if any(WORKFLOWS[ref] == "complaint" for ref in named) else [])


async def _everything(world: JourneyWorld, refs: list[str] | None = None) -> dict[str, Any]:
    """What a forbidden request must leave as it was: the state of each workflow in ``refs`` (default all),
    and every record written."""
    reads = {"journey": world.journeys.state, "conference": world.journeys.conference,
             "complaint": world.journeys.complaint}

    async def state(ref: str) -> Any:
        try:
            return (await reads[WORKFLOWS[ref]](ref)).model_dump(mode="json")
        except JourneyError as err:
            return type(err).__name__
    refs = list(WORKFLOWS) if refs is None else refs
    states = dict(zip(refs, await asyncio.gather(*(state(ref) for ref in refs))))
    with Session(world.engine) as session:
        states["records"] = sorted(session.exec(select(JourneyRecord.key)).all())
    return states


async def _settle(world: JourneyWorld) -> None:
    """Wait until every workflow the walk touches has carried out what it queued (records, letters, signals)."""
    async def settled(workflow_id: str) -> None:
        try:
            await quiet(world.env.client, workflow_id)
        except RPCError as err:  # not started: nothing in flight
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
    await asyncio.gather(*(settled(workflow_id) for workflow_id in (
        f"cpj-{CASE}", conference_workflow_id(CONFERENCE), complaint_workflow_id(COMPLAINT), "cpj-CASE-7001",
        "cpj-CASE-7002", complaint_workflow_id("CMP-7001"), complaint_workflow_id("CMP-7002"))))


async def test_every_role_may_do_exactly_what_the_table_says_and_a_refusal_changes_nothing(
    world: JourneyWorld, signed_in_as
) -> None:
    today = await world.today()
    setup = await signed_in_as({Role.OPERATIONS_STAFF, Role.SERVICE_MANAGER}, staff_ref="SETUP-0001")
    started = await setup.post("/api/journeys", json={
        "case_ref": CASE, "policy": "darlington",
        "strategy_discussion": {"event_id": "sd-1", "held_on": today.isoformat(), "initiated_section_47": True}})
    assert started.status_code == 201, started.text
    booked = await setup.post(f"/api/journeys/{CASE}/events", json={
        **_body(EVENT_TYPES["conference_booked"], today), "conference_ref": CONFERENCE})
    assert booked.status_code == 200, booked.text
    complaint = await setup.post("/api/complaints", json={
        "complaint_ref": COMPLAINT, "case_ref": CASE,
        "opening": {"type": "complaint_made", "event_id": "c-1", "received_on": today.isoformat(),
                    "complainant": "parent", "about": ["conference_process"]}})
    assert complaint.status_code == 201, complaint.text
    await _settle(world)

    requests = await _requests(today)
    assert {action for action, *_ in requests} | OUTSIDE_THE_APP == set(Action), "an action with no request here"
    declared = set().union(*(actions_of(route) for _, route in routes_of(create_app().routes)))
    assert not declared & OUTSIDE_THE_APP, "an action on a route now: give it a request here"
    clients = {role: await signed_in_as(role, staff_ref=f"{role.value[:4].upper()}-0001") for role in Role}
    wrong: list[str] = []
    # Only an allowed change moves anything (a journey refuses an event before its history); after one, the
    # walk waits for its effects, so that what a refusal is compared with is all there.
    now = await _everything(world)
    for action, kind, method, path, body in requests:
        for role, web in clients.items():
            may = role in MAY[action]
            response = await _send(web, method, path, body)
            said = f"{role.value} {method} {path} {kind or ''}: {response.status_code}"
            if may:
                if response.status_code in (401, 403):
                    wrong.append(f"refused, but the table allows it: {said} {response.text[:200]}")
                elif response.status_code < 400 and method != "GET":
                    await _settle(world)
                    now = await _everything(world)
            elif response.status_code != 403:
                wrong.append(f"not refused, but the table forbids it: {said}")
            elif (after := await _everything(world, _touched(path, body))) != {key: now[key] for key in after}:
                wrong.append(f"refused, yet something changed: {said}")
                now = await _everything(world)
    assert wrong == []


async def test_a_service_key_may_send_its_own_events_and_read_the_case_but_nothing_else(
    world: JourneyWorld, signed_in_as, anonymous, service_key
) -> None:
    today = await world.today()
    setup = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0001")
    assert (await setup.post("/api/journeys", json={
        "case_ref": CASE, "policy": "darlington",
        "strategy_discussion": {"event_id": "sd-1", "held_on": today.isoformat(), "initiated_section_47": True}},
    )).status_code == 201
    await quiet(world.env.client, f"cpj-{CASE}")
    school = anonymous()
    key = service_key("school-feed", may=["significant_event"])
    before = (await world.journeys.state(CASE)).model_dump(mode="json")

    decided = await school.post(f"/api/journeys/{CASE}/events", headers=key, json={
        "type": "icpc_held", "event_id": "i-1", "held_on": today.isoformat(), "decision": "no_plan"})
    listed = await school.get("/api/journeys", headers=key)

    assert decided.status_code == 403
    assert "school-feed" in decided.json()["detail"] and "icpc_held" in decided.json()["detail"]
    assert listed.status_code == 403
    assert (await world.journeys.state(CASE)).model_dump(mode="json") == before
    assert (await school.get(f"/api/journeys/{CASE}", headers=key)).status_code == 200
    sent = await school.post(f"/api/journeys/{CASE}/feed", headers=key,
                             json=_body(EVENT_TYPES["significant_event"], today))
    assert sent.status_code == 202, sent.text
