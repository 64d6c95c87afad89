"""Who did it, and who looked: every event carries its sender's staff number, every view and change is a row.

Against a real (time-skipping) Temporal with a worker, through the real sign-in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select
from typer.testing import CliRunner

from activities.db import AuditEntry, make_engine
from domain.effects import fingerprint
from domain.events import IcpcHeld, VisitMade
from starter.audit import AuditLog, RecordedJourneys
from starter.cli import app as cli
from starter.identity import Actor
from starter.roles import Role
from tests.conftest import JourneyWorld, quiet
from tests.postgres import postgres_server

CASE = "CASE-0042"
CHAIR, SUPERVISOR, ADMIN = "CPC-0042", "SUP-0001", "AD-0001"


def rows(world: JourneyWorld) -> list[AuditEntry]:
    with Session(world.engine) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)).all())


async def a_journey_decided_by_the_chair(world: JourneyWorld, signed_in_as, body_says: str | None = None) -> Any:
    today = await world.today()
    ops = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0001")
    started = await ops.post("/api/journeys", json={
        "case_ref": CASE, "policy": "darlington",
        "strategy_discussion": {"event_id": "sd-1", "held_on": today.isoformat(), "initiated_section_47": True}})
    assert started.status_code == 201, started.text
    chair = await signed_in_as(Role.CONFERENCE_CHAIR, staff_ref=CHAIR)
    decision = {"type": "icpc_held", "event_id": "icpc-1", "held_on": today.isoformat(), "decision": "plan",
                "category": "neglect", **({"recorded_by": body_says} if body_says else {})}
    decided = await chair.post(f"/api/journeys/{CASE}/events", json=decision)
    assert decided.status_code == 200, decided.text
    await quiet(world.env.client, f"cpj-{CASE}")
    return decision


# -- Who did it ----------------------------------------------------------------------------


async def test_the_journey_s_record_says_which_staff_number_recorded_the_event(world: JourneyWorld, signed_in_as) -> None:
    await a_journey_decided_by_the_chair(world, signed_in_as)

    records = {record.kind: record for record in world.records(CASE)}

    assert records["strategy_discussion"].details["recorded_by"] == "OPS-0001"
    assert records["icpc_held"].details["recorded_by"] == CHAIR


async def test_nobody_records_an_event_in_another_s_name_whatever_the_body_says(
    world: JourneyWorld, signed_in_as
) -> None:
    await a_journey_decided_by_the_chair(world, signed_in_as, body_says="TM-0007")

    [decided] = [record for record in world.records(CASE) if record.kind == "icpc_held"]

    assert decided.details["recorded_by"] == CHAIR


async def test_the_same_event_sent_again_by_a_colleague_is_a_resend_and_changes_nothing(
    world: JourneyWorld, signed_in_as
) -> None:
    decision = await a_journey_decided_by_the_chair(world, signed_in_as)
    before = [(record.key, record.details) for record in world.records(CASE)]
    colleague = await signed_in_as(Role.CONFERENCE_CHAIR, staff_ref="CPC-0077")

    again = await colleague.post(f"/api/journeys/{CASE}/events", json=decision)

    assert again.status_code == 200, again.text
    assert again.json()["receipt"]["resend"] is True
    await quiet(world.env.client, f"cpj-{CASE}")
    assert [(record.key, record.details) for record in world.records(CASE)] == before


def test_an_event_nobody_was_recorded_for_reads_and_digests_as_before_the_field_existed() -> None:
    visit = VisitMade(event_id="v-1", visited_on=date(2026, 11, 20), outcome="seen", bedroom_seen=True)
    by_someone = visit.model_copy(update={"recorded_by": "SW-2041"})

    assert "recorded_by" not in visit.model_dump_json()
    assert by_someone.model_dump()["recorded_by"] == "SW-2041"
    assert fingerprint(by_someone) == fingerprint(visit)
    assert fingerprint(visit.model_copy(update={"bedroom_seen": False})) != fingerprint(visit)


# -- The audit log -----------------------------------------------------------------------


async def test_a_supervisor_s_look_and_a_chair_s_decision_are_each_a_row_naming_their_staff_number(
    world: JourneyWorld, signed_in_as
) -> None:
    await a_journey_decided_by_the_chair(world, signed_in_as)
    supervisor = await signed_in_as(Role.SUPERVISOR, staff_ref=SUPERVISOR)

    page = await supervisor.get(f"/journeys/{CASE}")

    assert page.status_code == 200
    [decision] = [row for row in rows(world) if row.what == "icpc_held"]
    assert (decision.actor, decision.action, decision.case_ref, decision.outcome, decision.via) == (
        CHAIR, "record_conference_decision", CASE, "done", "api")
    looked = rows(world)[-1]
    assert (looked.actor, looked.actor_kind, looked.what, looked.case_ref, looked.outcome, looked.via) == (
        SUPERVISOR, "person", "view", CASE, "done", "page")
    assert looked.client_address == "127.0.0.1"
    assert looked.at <= datetime.now(UTC)


async def test_a_refusal_is_a_row_too_and_what_was_refused_did_not_happen(world: JourneyWorld, signed_in_as) -> None:
    await a_journey_decided_by_the_chair(world, signed_in_as)
    supervisor = await signed_in_as(Role.SUPERVISOR, staff_ref=SUPERVISOR)
    today = await world.today()

    refused = await supervisor.post(f"/api/journeys/{CASE}/events", json={
        "type": "plan_ended", "event_id": "end-1", "ended_on": today.isoformat(), "reason": "turned_18"})

    assert refused.status_code == 403
    assert "team manager" in refused.json()["detail"]
    last = rows(world)[-1]
    assert (last.actor, last.what, last.outcome, last.status) == (SUPERVISOR, "plan_ended", "refused", 403)
    assert "plan_ended" not in {record.kind for record in world.records(CASE)}


async def test_a_name_typed_as_a_case_reference_is_refused_and_never_kept_in_the_log(
    world: JourneyWorld, signed_in_as
) -> None:
    today = await world.today()
    ops = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0001")

    refused = await ops.post("/journeys", data={
        "case_ref": "Jane Smith", "policy": "darlington", "initiated_section_47": "yes",
        "strategy_discussion-day": str(today.day), "strategy_discussion-month": str(today.month),
        "strategy_discussion-year": str(today.year)})
    searched = await ops.get("/", params={"case_ref": "Jane Smith"})

    assert refused.status_code == 422 and searched.status_code in (200, 400)
    logged = rows(world)[-2:]
    assert [row.what for row in logged] == ["strategy_discussion", "list"]
    assert all(row.case_ref is None for row in logged)
    assert all("SMITH" not in str(value).upper() for row in logged for value in row.model_dump().values())


async def test_an_administrator_sees_who_has_looked_at_the_case_and_nobody_else_does(
    world: JourneyWorld, signed_in_as
) -> None:
    await a_journey_decided_by_the_chair(world, signed_in_as)
    supervisor = await signed_in_as(Role.SUPERVISOR, staff_ref=SUPERVISOR)
    await supervisor.get(f"/journeys/{CASE}")
    admin = await signed_in_as(Role.ADMINISTRATOR, staff_ref=ADMIN)

    journey = await admin.get(f"/journeys/{CASE}")
    everything = await admin.get(f"/audit/cases/{CASE}")
    as_json = await admin.get("/api/audit", params={"case_ref": CASE})

    assert "Who has looked at this case" in journey.text
    assert SUPERVISOR in journey.text and CHAIR in journey.text
    assert everything.status_code == 200 and SUPERVISOR in everything.text
    # In words: what was done by its title, never the event type or the action's value.
    assert "ICPC held" in everything.text and "Looked at" in everything.text
    assert "icpc_held" not in everything.text and "read_case" not in everything.text
    found = await admin.get("/audit/cases", params={"case_ref": CASE.lower()})
    assert found.status_code == 303 and found.headers["location"] == f"/audit/cases/{CASE}"
    assert {(row["actor"], row["what"]) for row in as_json.json()["entries"]} >= {
        (SUPERVISOR, "view"), (CHAIR, "icpc_held"), (ADMIN, "view")}
    assert "Who has looked at this case" not in (await supervisor.get(f"/journeys/{CASE}")).text
    assert (await supervisor.get(f"/audit/cases/{CASE}")).status_code == 403
    assert (await supervisor.get("/api/audit")).status_code == 403


@pytest.fixture(params=["sqlite", "postgresql"])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The records database on SQLite (the embedded default) and on PostgreSQL (production)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.db'}"
        return
    with postgres_server() as url:
        yield url


def test_nobody_can_change_or_remove_a_row(records_url: str) -> None:
    engine = make_engine(records_url)
    log = AuditLog(engine)
    log.write(Actor(kind="person", ref=SUPERVISOR, roles=frozenset({Role.SUPERVISOR})), "read_case", "view",
              via="page", case_ref=CASE)

    with engine.begin() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text("UPDATE audit_log SET actor = 'AD-0001'"))
    with engine.begin() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text("DELETE FROM audit_log"))

    [row] = log.of_case(CASE)
    assert row.actor == SUPERVISOR
    assert [name for name in dir(AuditLog) if any(verb in name for verb in ("update", "delete", "remove", "edit"))] == []
    engine.dispose()


# -- The command line --------------------------------------------------------------------


class Recording:
    """Stands in for ``starter.client.Journeys``: remembers who each event was sent as."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, str | None]] = []

    async def send_event(self, case_ref: str, event: Any, *, by: str | None = None) -> str:
        self.sent.append((case_ref, event, by))
        return "answered"

    async def state(self, case_ref: str) -> str:
        return "state"


async def test_the_command_line_sends_as_its_staff_number_and_every_call_is_a_row(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    inner = Recording()
    journeys = RecordedJourneys(inner, Actor(kind="cli", ref="SW-2041", roles=frozenset(Role)), AuditLog(engine))
    decided = IcpcHeld(event_id="i-1", held_on=date(2026, 11, 20), decision="no_plan")

    await journeys.state(CASE)
    await journeys.send_event(CASE, decided)

    assert inner.sent == [(CASE, decided, "SW-2041")]
    entries = AuditLog(engine).of_case(CASE)
    assert [(row.actor, row.actor_kind, row.what, row.via) for row in reversed(entries)] == [
        ("SW-2041", "cli", "view", "cli"), ("SW-2041", "cli", "icpc_held", "cli")]
    engine.dispose()


def test_the_command_line_will_not_show_or_change_a_case_without_a_staff_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CPJ_STAFF_REF", raising=False)
    monkeypatch.setenv("CPJ_DATABASE_URL", f"sqlite:///{tmp_path / 'records.db'}")
    runner = CliRunner()

    shown = runner.invoke(cli, ["journey", "show", CASE])
    named = runner.invoke(cli, ["--as", "Jane Smith", "audit", CASE])
    read = runner.invoke(cli, ["--as", ADMIN, "audit", CASE, "--json"])

    assert shown.exit_code == 2 and "say who you are" in shown.output
    assert named.exit_code == 2 and "not a staff number" in named.output and "Jane" not in named.output
    assert read.exit_code == 0, read.output
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    [row] = AuditLog(engine).of_case(CASE)
    assert (row.actor, row.actor_kind, row.action, row.via) == (ADMIN, "cli", "read_audit_log", "cli")
    engine.dispose()
