"""The child protection register (seed 002, Staffordshire Part 6, 57-61), asked through the real routes.

A health visitor asks whether a child is subject to a plan; the answer names the key worker, and the
key worker hears of the enquiry. A child at the same address as a child on a plan is passed to that
child's key worker; a child not known is recorded, and a second enquiry tells the later enquirer of the
earlier one and asks the designated manager to consider whether this is a child in need. The NHS
number and the address live in the records database only: never in the journey, a letter or a log.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from google.protobuf.json_format import ParseDict
from sqlmodel import Session, select
from temporalio.api.common.v1 import Payload
from structlog.testing import capture_logs

from activities.db import AuditEntry, ChildLink, RegisterEnquiry
from domain import register as rules
from domain.events import IcpcHeld, LeadSocialWorkerNamed, StrategyDiscussion, workflow_id_for
from starter.roles import Role
from tests.conftest import JourneyWorld

ON_PLAN = "CASE-5001"
OPEN_NOT_ON_PLAN = "CASE-5002"
#: Valid NHS numbers (their check digits are right); none belongs to anyone.
CHILD_ON_PLAN = "943 476 5919"
CHILD_AWAITING = "401 023 2137"
SIBLING = "485 777 3457"
NOT_KNOWN = "943 476 5870"
HOME = "100023336956"
KEY_WORKER = "SW-1042"


@pytest.fixture(autouse=True)
def letters_in_the_test_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The admin tool sends its letters through the configured sender: the letters file, in the data folder.
    monkeypatch.setenv("CPJ_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CPJ_NOTIFY_SENDER", raising=False)


async def a_child_on_a_plan(world: JourneyWorld, case_ref: str = ON_PLAN) -> None:
    today = await world.today()
    await world.journeys.start(case_ref, "staffordshire", StrategyDiscussion(
        event_id="sd-1", held_on=today, initiated_section_47=True))
    await world.journeys.send_event(case_ref, IcpcHeld(event_id="icpc-1", held_on=today, decision="plan",
                                                       category="neglect"))
    await world.journeys.send_event(case_ref, LeadSocialWorkerNamed(event_id="lsw-1", named_on=today,
                                                                    staff_ref=KEY_WORKER))


async def linked(operations: httpx.AsyncClient, case_ref: str, nhs_number: str, uprn: str | None = HOME) -> None:
    response = await operations.post("/api/register/links",
                                     json={"case_ref": case_ref, "nhs_number": nhs_number, "uprn": uprn})
    assert response.status_code == 200, response.text


async def ask(enquirer: httpx.AsyncClient, nhs_number: str, uprn: str | None = None,
              profession: str = "health_visitor") -> httpx.Response:
    return await enquirer.post("/api/register/enquiries",
                               json={"nhs_number": nhs_number, "uprn": uprn, "profession": profession})


async def readable_payloads(world: JourneyWorld, history: dict) -> list[str]:
    """Every payload in a history, as the worker reads it: through the client's codec, if it has one."""
    found: list[Payload] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if "data" in node and "metadata" in node:
                found.append(ParseDict(node, Payload()))
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(history)
    codec = world.env.client.data_converter.payload_codec
    decoded = await codec.decode(found) if codec else found
    return [payload.data.decode(errors="replace") for payload in decoded]


def enquiries(world: JourneyWorld) -> list[RegisterEnquiry]:
    with Session(world.engine) as session:
        return list(session.exec(select(RegisterEnquiry)))


async def test_a_health_visitor_asking_about_a_child_on_a_plan_is_given_the_key_worker_who_is_told(
    world: JourneyWorld, signed_in_as
) -> None:
    await a_child_on_a_plan(world)
    operations = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0001")
    await linked(operations, ON_PLAN, CHILD_ON_PLAN)
    health_visitor = await signed_in_as(Role.REGISTER_ENQUIRER, staff_ref="HV-0207")

    response = await ask(health_visitor, CHILD_ON_PLAN)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["on_plan"] is True and answer["outcome"] == "on_plan"
    assert answer["key_worker"] == KEY_WORKER and answer["case_ref"] == ON_PLAN
    assert answer["category"] == "neglect"
    assert f"staff number {KEY_WORKER}" in answer["advice"]
    # Recorded with who asked and as what.
    [recorded] = enquiries(world)
    assert (recorded.enquirer, recorded.profession, recorded.outcome) == ("HV-0207", "health_visitor", "on_plan")
    # The key worker is told: a letter to the role, naming the staff number and the case, not the child.
    [letter] = [letter for letter in world.letters() if letter["template"] == "register_enquiry"]
    assert letter["recipient_role"] == "lead_social_worker" and letter["case_ref"] == ON_PLAN
    assert KEY_WORKER in letter["body"] and "HV-0207" in letter["body"] and "Health Visitor" in letter["body"]
    assert "9434765919" not in json.dumps(letter) and HOME not in json.dumps(letter)
    # The audit log says who looked at which case through the register.
    with Session(world.engine) as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.actor == "HV-0207")).all()
    assert [(row.action, row.case_ref, row.outcome) for row in rows] == [("enquire_register", ON_PLAN, "done")]
    # ... and finds it on their list.
    key_worker = await signed_in_as(Role.LEAD_SOCIAL_WORKER, staff_ref=KEY_WORKER)
    told = await key_worker.get("/register/told")
    assert told.status_code == 200 and "Health Visitor" in told.text and "9434765919" in told.text


async def test_the_register_answers_only_register_enquirers_and_records_nothing_for_anyone_else(
    world: JourneyWorld, signed_in_as
) -> None:
    for role in (Role.LEAD_SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMINISTRATOR, Role.OPERATIONS_STAFF):
        someone = await signed_in_as(role)

        response = await ask(someone, NOT_KNOWN)

        assert response.status_code == 403, (role, response.text)
        assert "Nothing was changed" in response.json()["detail"]
    assert enquiries(world) == []


async def test_an_enquirer_must_say_a_profession_the_register_lists(world: JourneyWorld, signed_in_as) -> None:
    enquirer = await signed_in_as(Role.REGISTER_ENQUIRER, staff_ref="PUB-0001")

    response = await ask(enquirer, NOT_KNOWN, profession="neighbour")

    assert response.status_code == 422
    assert enquiries(world) == []


async def test_a_child_at_the_same_address_as_a_child_on_a_plan_is_passed_to_that_childs_key_worker(
    world: JourneyWorld, signed_in_as
) -> None:
    await a_child_on_a_plan(world)
    operations = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0001")
    await linked(operations, ON_PLAN, CHILD_ON_PLAN, uprn=HOME)
    school_nurse = await signed_in_as(Role.REGISTER_ENQUIRER, staff_ref="SN-0033")

    answer = (await ask(school_nurse, SIBLING, uprn=HOME, profession="registered_nurse")).json()

    # The enquirer hears only about the child they asked about (not known); the key worker hears of the sibling.
    assert answer["outcome"] == "not_known" and answer["key_worker"] is None and answer["case_ref"] is None
    assert ON_PLAN not in answer["advice"] and KEY_WORKER not in answer["advice"]
    [letter] = [letter for letter in world.letters() if letter["template"] == "register_enquiry"]
    assert letter["recipient_role"] == "lead_social_worker" and letter["case_ref"] == ON_PLAN
    assert "same address" in letter["body"] and KEY_WORKER in letter["body"]
    key_worker = await signed_in_as(Role.LEAD_SOCIAL_WORKER, staff_ref=KEY_WORKER)
    told = (await key_worker.get("/register/told")).text
    assert "4857773457" in told and "same address" in told


async def test_a_second_enquiry_about_a_child_not_known_tells_the_later_enquirer_and_the_designated_manager(
    world: JourneyWorld, signed_in_as
) -> None:
    gp = await signed_in_as(Role.REGISTER_ENQUIRER, staff_ref="GP-0911")
    teacher = await signed_in_as(Role.REGISTER_ENQUIRER, staff_ref="HT-0450")

    first = (await ask(gp, NOT_KNOWN, profession="medical_practitioner")).json()
    assert first["outcome"] == "not_known" and first["earlier_enquiries"] == [] and first["told"] == []

    second = (await ask(teacher, NOT_KNOWN, profession="head_teacher")).json()

    assert second["outcome"] == "not_known_again"
    assert second["earlier_enquiries"] == [{"asked_on": first["asked_on"], "profession": "medical_practitioner"}]
    assert "asked about before" in second["advice"] and "Registered Medical Practitioner" in second["advice"]
    assert second["told"] == [rules.DESIGNATED_MANAGER]
    [letter] = [letter for letter in world.letters() if letter["template"] == "register_enquiry"]
    assert letter["recipient_role"] == "designated_manager" and "child in need" in letter["body"]
    team_manager = await signed_in_as(Role.TEAM_MANAGER, staff_ref="TM-0001")
    assert "child in need" in (await team_manager.get("/register/told")).text
    # Both enquiries are on the contact record, each with the advice given.
    assert sorted(row.outcome for row in enquiries(world)) == ["not_known", "not_known_again"]


async def test_a_child_whose_case_is_open_but_not_on_a_plan_is_followed_up_by_its_team_manager(
    world: JourneyWorld, signed_in_as
) -> None:
    await world.journeys.start(OPEN_NOT_ON_PLAN, "staffordshire", StrategyDiscussion(
        event_id="sd-1", held_on=await world.today(), initiated_section_47=True))
    operations = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0001")
    await linked(operations, OPEN_NOT_ON_PLAN, CHILD_AWAITING, uprn=None)
    police = await signed_in_as(Role.REGISTER_ENQUIRER, staff_ref="PS-2040")

    answer = (await ask(police, CHILD_AWAITING, profession="police")).json()

    assert answer["outcome"] == "open_case" and answer["on_plan"] is False
    assert answer["key_worker"] is None and "team manager" in answer["advice"]
    assert answer["told"] == ["team_manager"]


@pytest.mark.parametrize(("nhs_number", "uprn", "why"), [
    ("943 476 5918", HOME, "check digit"),
    ("94347659", HOME, "10 digits"),
    (CHILD_ON_PLAN, "12 Acacia Avenue", "UPRN"),
    (CHILD_ON_PLAN, "1234567890123", "UPRN"),
])
async def test_a_link_with_an_nhs_number_or_uprn_that_cannot_be_one_is_refused_and_nothing_is_linked(
    world: JourneyWorld, signed_in_as, nhs_number: str, uprn: str, why: str
) -> None:
    await a_child_on_a_plan(world)
    operations = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0001")

    response = await operations.post("/api/register/links",
                                     json={"case_ref": ON_PLAN, "nhs_number": nhs_number, "uprn": uprn})

    assert response.status_code == 422 and why in response.text, response.text
    assert nhs_number.replace(" ", "") not in response.text  # a refusal never repeats the number
    with Session(world.engine) as session:
        assert session.get(ChildLink, ON_PLAN) is None


async def test_operations_staff_link_a_case_from_the_form_and_only_they_may(
    world: JourneyWorld, signed_in_as
) -> None:
    await a_child_on_a_plan(world)
    operations = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0001")
    form = await operations.get(f"/register/link?case_ref={ON_PLAN}")
    assert form.status_code == 200 and 'name="nhs_number"' in form.text

    done = await operations.post("/register/link", data={"case_ref": ON_PLAN, "nhs_number": CHILD_ON_PLAN,
                                                         "uprn": HOME})

    assert done.status_code == 200 and f"Case {ON_PLAN} is linked" in done.text
    with Session(world.engine) as session:
        row = session.get(ChildLink, ON_PLAN)
        assert (row.nhs_number, row.uprn, row.linked_by) == ("9434765919", HOME, "OPS-0001")
    lead = await signed_in_as(Role.LEAD_SOCIAL_WORKER, staff_ref=KEY_WORKER)
    assert (await lead.post("/api/register/links", json={"case_ref": ON_PLAN, "nhs_number": SIBLING})).status_code == 403


async def test_a_register_enquirer_asks_from_the_form_and_reads_the_answer(world: JourneyWorld, signed_in_as) -> None:
    await a_child_on_a_plan(world)
    operations = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0001")
    await linked(operations, ON_PLAN, CHILD_ON_PLAN)
    midwife = await signed_in_as(Role.REGISTER_ENQUIRER, staff_ref="MW-0012")
    form = await midwife.get("/register")
    assert form.status_code == 200 and "Midwife" in form.text

    refused = await midwife.post("/register", data={"profession": "midwife", "nhs_number": "943 476 5918"})
    answered = await midwife.post("/register", data={"profession": "midwife", "nhs_number": CHILD_ON_PLAN})

    assert refused.status_code == 422 and "check digit" in refused.text and "943 476 5918" in refused.text
    # Beside the field it is about, and linked from the summary at the top; the profession chosen is kept.
    assert 'href="#nhs_number"' in refused.text and 'id="nhs_number-error"' in refused.text
    assert '<option value="midwife" selected>' in refused.text
    unchosen = await midwife.post("/register", data={"profession": "", "nhs_number": CHILD_ON_PLAN})
    assert unchosen.status_code == 422 and 'href="#profession"' in unchosen.text
    assert answered.status_code == 200 and "subject of a child protection plan" in answered.text
    assert f"staff number {KEY_WORKER}" in answered.text


async def test_the_childs_identity_never_reaches_temporal_or_the_logs(world: JourneyWorld, signed_in_as) -> None:
    await a_child_on_a_plan(world)
    operations = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0001")
    enquirer = await signed_in_as(Role.REGISTER_ENQUIRER, staff_ref="HV-0207")

    with capture_logs() as logs:
        await linked(operations, ON_PLAN, CHILD_ON_PLAN)
        await ask(enquirer, CHILD_ON_PLAN, uprn=HOME)

    history = (await world.env.client.get_workflow_handle(workflow_id_for(ON_PLAN)).fetch_history()).to_json()
    payloads = await readable_payloads(world, json.loads(history))
    written = history + "".join(payloads) + json.dumps(logs, default=str)
    assert any('"staff_ref":"SW-1042"' in payload.replace(" ", "") for payload in payloads)  # the reading works
    for identity in ("9434765919", "943 476 5919", HOME):
        assert identity not in written
    assert any(entry["event"] == "register enquiry answered" for entry in logs)


async def test_operations_link_a_case_from_the_command_line_as_a_named_staff_number(
    world: JourneyWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from typer.testing import CliRunner

    from starter.cli import app

    await a_child_on_a_plan(world)
    monkeypatch.setenv("CPJ_TEMPORAL_ADDRESS", world.env.client.service_client.config.target_host)
    monkeypatch.setenv("CPJ_DATABASE_URL", f"sqlite:///{tmp_path / 'records.db'}")
    monkeypatch.setattr("activities.log.configure_logging", lambda *args, **kwargs: None)
    monkeypatch.delenv("CPJ_STAFF_REF", raising=False)
    runner = CliRunner()

    def cpj(*args: str):
        return asyncio.to_thread(runner.invoke, app, list(args))

    nobody = await cpj("register", "link", ON_PLAN, "--nhs-number", CHILD_ON_PLAN)
    wrong = await cpj("--as", "OPS-0001", "register", "link", ON_PLAN, "--nhs-number", "943 476 5918")
    done = await cpj("--as", "OPS-0001", "register", "link", ON_PLAN, "--nhs-number", CHILD_ON_PLAN, "--uprn", HOME)
    shown = await cpj("--as", "OPS-0001", "register", "show", ON_PLAN, "--json")

    assert nobody.exit_code == 2 and "--as" in nobody.output
    assert wrong.exit_code == 2 and "check digit" in wrong.output
    assert done.exit_code == 0 and f"linked {ON_PLAN}" in done.output and "OPS-0001" in done.output, done.output
    assert json.loads(shown.output) | {"linked_at": None} == {
        "case_ref": ON_PLAN, "nhs_number": "9434765919", "uprn": HOME, "linked_by": "OPS-0001", "linked_at": None}
    with Session(world.engine) as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.actor == "OPS-0001")).all()
    assert {(row.what, row.case_ref, row.via) for row in rows} >= {("view register link", ON_PLAN, "cli")}
