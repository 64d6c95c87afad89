"""Encrypted histories: what Temporal keeps is ciphertext, a supervisor signed in reads it, keys rotate.

A history read as Temporal stores it (no codec) must hold nothing staff typed or the journey decided:
a delay's reasons, a core group's decisions, the plan's category, the records the activities write,
a failed letter's message. The same history read through the codec holds all of them.
"""

from __future__ import annotations

import base64
import json
import stat
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.failure.v1 import Failure
from temporalio.client import WorkflowHistory
from temporalio.converter import WorkflowSerializationContext
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.db import AuditEntry, make_engine
from domain.effects import NotificationRequest
from domain.events import ChildMissing, CoreGroupHeld, IcpcDelayAgreed, IcpcHeld, StrategyDiscussion, workflow_id_for
from starter.accounts import IdentityStore
from starter.client import Journeys, register_search_attributes
from starter.codec import (
    ENCODING,
    KEY_ID,
    CodecKeyError,
    EncryptionCodec,
    KeyRing,
    NoCodecKeys,
    UnknownKey,
    data_converter,
    ensure_local_key,
)
from starter.roles import Role
from tests.codec_keys import ROTATED_KEY_ID, TEST_KEY_ID, TEST_KEYS, ring_of
from tests.conftest import TEMPORAL_CLI, TEST_SERVER, JourneyWorld, SettledJourneys, quiet, settled
from tests.starter.signing_in import BASE_URL, app_for, signed_in_client_on
from worker import build_worker
from workflows import search_attributes as sa
from workflows.journey import ChildProtectionJourney
from workflows.sandbox import workflow_runner

CASE = "CASE-0110"
DELAY_REASONS = "Paediatric report from the hospital not ready until the following week"
DECISION = "Health visitor to see the baby weekly and report to the core group"
CATEGORY = "emotional_abuse"
REFUSAL = "GOV.UK Notify rejected the notification (400): template placeholder missing"


class RefusingNotify:
    """GOV.UK Notify refusing every letter for good: each send is a failed activity in the history."""

    def send(self, request: NotificationRequest) -> None:
        raise ApplicationError(REFUSAL, type="NotifyRejected", non_retryable=True)

    def already_sent(self, reference: str) -> bool:
        return False


# -- What Temporal keeps ------------------------------------------------------------------------


async def test_a_journeys_history_read_without_the_codec_holds_nothing_staff_typed_or_decided(tmp_path: Path) -> None:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(TEST_SERVER),
                                                       data_converter=data_converter())
    try:
        await register_search_attributes(env.client)
        task_queue = f"codec-{uuid.uuid4().hex[:8]}"
        engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
        async with build_worker(env.client, task_queue=task_queue, engine=engine, sender=RefusingNotify()):
            journeys = SettledJourneys(env.client, task_queue, clock=env.get_current_time, timeout=45)
            today = await _today(env)
            await journeys.start(CASE, "staffordshire", StrategyDiscussion(event_id="sd-1", held_on=today,
                                                                          initiated_section_47=False))
            await env.sleep(timedelta(days=2))
            await journeys.send(CASE, StrategyDiscussion(event_id="sd-2", held_on=await _today(env),
                                                         initiated_section_47=True))
            state = await journeys.state(CASE)
            await journeys.send(CASE, IcpcDelayAgreed(
                event_id="delay-1", agreed_on=await _today(env), agreed_by="team_manager", reasons=DELAY_REASONS,
                new_target=state.deadline("icpc").due + timedelta(days=5)))
            await journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await _today(env), decision="plan",
                                               category=CATEGORY))
            await journeys.send(CASE, CoreGroupHeld(event_id="cg-1", held_on=await _today(env),
                                                    attended=["social worker", "health visitor"], decisions=[DECISION]))
            await journeys.send(CASE, ChildMissing(event_id="missing-1", reported_on=await _today(env)))
            await quiet(env.client, workflow_id_for(CASE))
            history = await env.client.get_workflow_handle(workflow_id_for(CASE)).fetch_history()
    finally:
        await env.shutdown()

    raw = _as_stored(history)
    for said in (DELAY_REASONS, DECISION, CATEGORY, REFUSAL, "staffordshire"):
        assert said not in raw.readable, f"{said!r} is readable in the history without the codec"
    # Every payload is ciphertext, but for the SDK's own patch markers; search attributes are not payloads.
    assert raw.plain_payloads <= {"markerRecordedEventAttributes"}, raw.plain_payloads
    assert raw.key_ids == {TEST_KEY_ID}

    read = await _through_the_codec(history)
    decoded = "\n".join(read.values)
    assert DELAY_REASONS in decoded and DECISION in decoded and CATEGORY in decoded
    records = [value for value in read.activity_inputs if isinstance(value, dict) and "summary" in value]
    assert records and all(record["summary"] not in raw.readable for record in records)
    assert {record["kind"] for record in records} >= {"icpc_held", "core_group_held"}
    assert any(REFUSAL in message for message in read.failures), "the refused letter's failure, read with the codec"


async def test_the_test_worker_and_client_encrypt_end_to_end(world: JourneyWorld) -> None:
    assert isinstance(world.env.client.data_converter.payload_codec, EncryptionCodec)
    await world.journeys.start(CASE, "darlington", StrategyDiscussion(event_id="sd-1", held_on=await world.today(),
                                                                     initiated_section_47=True))
    # Settled: the strategy discussion's record is written by an activity after the start has answered.
    state = await settled(lambda: world.journeys.state(CASE))
    assert state.case_ref == CASE  # read back through the codec
    history = await world.env.client.get_workflow_handle(workflow_id_for(CASE)).fetch_history()
    assert "darlington" not in _as_stored(history).readable
    assert [row.kind for row in world.records(CASE)] == ["strategy_discussion"]


# -- Keys and rotation ---------------------------------------------------------------------------


def _sealed(ring: KeyRing, value: Any, workflow_id: str = "cpj-CASE-0001") -> Payload:
    codec = EncryptionCodec(ring).with_context(WorkflowSerializationContext(namespace="default",
                                                                            workflow_id=workflow_id))
    [plain] = data_converter(ring).payload_converter.to_payloads([value])
    return codec.encrypt(plain)


async def test_after_a_rotation_both_the_old_and_the_new_key_decrypt() -> None:
    old = _sealed(ring_of(TEST_KEY_ID), {"reasons": DELAY_REASONS})
    rotated = ring_of(TEST_KEY_ID, ROTATED_KEY_ID)  # the new key current, the old one still listed
    new = _sealed(rotated, {"reasons": "Interpreter not available"})

    assert new.metadata[KEY_ID] == ROTATED_KEY_ID.encode() and old.metadata[KEY_ID] == TEST_KEY_ID.encode()
    assert await data_converter(rotated).decode([old, new], [dict, dict]) == [
        {"reasons": DELAY_REASONS}, {"reasons": "Interpreter not available"}]


async def test_a_payload_whose_key_was_dropped_fails_naming_the_key_and_not_the_data() -> None:
    old = _sealed(ring_of(TEST_KEY_ID), {"reasons": DELAY_REASONS})

    with pytest.raises(UnknownKey) as refused:
        await data_converter(ring_of(ROTATED_KEY_ID)).decode([old], [dict])
    assert TEST_KEY_ID in str(refused.value) and "CPJ_CODEC_KEYS" in str(refused.value)
    assert DELAY_REASONS not in str(refused.value)


async def test_a_payload_moved_to_another_journey_or_altered_does_not_decrypt() -> None:
    sealed = _sealed(ring_of(), "the reasons")
    moved = Payload()
    moved.CopyFrom(sealed)
    moved.metadata["cpj-workflow-id"] = b"cpj-CASE-0002"
    with pytest.raises(CodecKeyError, match=TEST_KEY_ID):
        await data_converter(ring_of()).decode([moved], [str])


async def test_a_history_recorded_before_encryption_is_read_as_it_is() -> None:
    [plain] = data_converter(ring_of()).payload_converter.to_payloads([{"reasons": "recorded in 2025"}])
    assert await data_converter(ring_of()).decode([plain], [dict]) == [{"reasons": "recorded in 2025"}]


async def test_a_journey_started_under_the_old_key_continues_and_replays_after_the_rotation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A real dev server: it hands the journey from the stopped worker to the restarted one.
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(TEMPORAL_CLI), search_attributes=sa.ALL,
                                                data_converter=data_converter(ring_of(TEST_KEY_ID)),
                                                dev_server_log_level="error")
    try:
        task_queue = f"rotate-{uuid.uuid4().hex[:8]}"
        engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
        async with build_worker(env.client, task_queue=task_queue, engine=engine, sender=RefusingNotify()):
            before = SettledJourneys(env.client, task_queue, clock=env.get_current_time, timeout=45)
            await before.start(CASE, "darlington", StrategyDiscussion(event_id="sd-1", held_on=await _today(env),
                                                                     initiated_section_47=True))
            await quiet(env.client, workflow_id_for(CASE))
        # The worker and clients restart with the new key current and the old one still listed.
        rotated = _client_with(env, data_converter(ring_of(TEST_KEY_ID, ROTATED_KEY_ID)))
        async with build_worker(rotated, task_queue=task_queue, engine=engine, sender=RefusingNotify()):
            after = SettledJourneys(rotated, task_queue, clock=env.get_current_time, timeout=45)
            state = await after.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await _today(env), decision="plan",
                                                    category="neglect"))
            assert state.stage == "on_plan"
            await quiet(rotated, workflow_id_for(CASE))
            history = await rotated.get_workflow_handle(workflow_id_for(CASE)).fetch_history()
    finally:
        await env.shutdown()

    assert _as_stored(history).key_ids == {TEST_KEY_ID, ROTATED_KEY_ID}
    await _replayer(ring_of(TEST_KEY_ID, ROTATED_KEY_ID)).replay_workflow(history)
    # Dropped too early, the old key stops the journey (a workflow task failing as UnknownKey) and the
    # worker's log names the key to put back.
    with pytest.raises(Exception, match="UnknownKey"):
        await _replayer(ring_of(ROTATED_KEY_ID)).replay_workflow(history)
    assert f"codec key '{TEST_KEY_ID}', which is not among the configured keys" in caplog.text


def test_keys_come_from_a_file_or_inline_and_several_need_the_one_that_encrypts(tmp_path: Path) -> None:
    both = json.dumps(TEST_KEYS)
    keys = tmp_path / "keys.json"
    keys.write_text(both)
    assert KeyRing.from_env({"CPJ_CODEC_KEYS": str(keys), "CPJ_CODEC_KEY_ID": ROTATED_KEY_ID}).current == ROTATED_KEY_ID
    assert set(KeyRing.from_env({"CPJ_CODEC_KEYS": both, "CPJ_CODEC_KEY_ID": TEST_KEY_ID}).keys) == set(TEST_KEYS)
    with pytest.raises(CodecKeyError, match="set CPJ_CODEC_KEY_ID"):
        KeyRing.from_env({"CPJ_CODEC_KEYS": both})
    with pytest.raises(CodecKeyError, match="32"):
        KeyRing.from_env({"CPJ_CODEC_KEYS": json.dumps({"short": base64.b64encode(b"x" * 16).decode()})})
    with pytest.raises(NoCodecKeys, match="cpj up"):
        KeyRing.from_env({"CPJ_DATA_DIR": str(tmp_path / "empty")})


def test_the_embedded_default_makes_its_key_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    made = ensure_local_key(tmp_path)
    first = made.read_text()
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert ensure_local_key(tmp_path).read_text() == first  # never replaced: it decrypts every journey so far
    ring = KeyRing.from_env({"CPJ_DATA_DIR": str(tmp_path)})
    assert len(ring.keys[ring.current]) == 32


async def test_cpj_up_makes_its_own_key_once_and_its_temporal_ui_decrypts_through_the_admin_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.starter.test_up import cpj_up, free_port, stop, wait_until_up

    monkeypatch.delenv("CPJ_CODEC_KEYS")  # the embedded default: nothing configured
    monkeypatch.delenv("CPJ_CODEC_KEY_ID")
    web, temporal, ui = free_port(), free_port(), free_port()
    process = await cpj_up(tmp_path, web, temporal, ui)
    try:
        await wait_until_up(f"http://127.0.0.1:{ui}/")
        async with httpx.AsyncClient() as http:
            settings = (await http.get(f"http://127.0.0.1:{ui}/api/v1/settings")).json()
    finally:
        await stop(process)

    assert settings["Codec"]["Endpoint"] == f"http://localhost:{web}/codec"
    made = tmp_path / "codec-keys.json"
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert KeyRing.from_env({"CPJ_DATA_DIR": str(tmp_path)}).current == "local-1"


def test_in_the_production_shape_the_keys_are_a_secret_and_the_temporal_ui_decrypts_through_the_admin_tool() -> None:
    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[1] / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("setup", "worker", "admin"):  # every client of Temporal
        assert "codec-keys" in services[name]["secrets"], name
        assert services[name]["environment"]["CPJ_CODEC_KEYS"] == "/run/secrets/codec-keys", name
    assert compose["secrets"]["codec-keys"]["file"].endswith("/codec-keys.json")
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_CODEC_ENDPOINT"].endswith("}/codec") and ":?" in ui["TEMPORAL_CODEC_ENDPOINT"]
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
    assert "codec-keys" not in services["temporal-ui"].get("secrets", []), "the UI never holds a key"


# -- The codec server ---------------------------------------------------------------------------


UI = "http://localhost:8233"


@pytest.fixture
async def codec_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Any, IdentityStore]]:
    monkeypatch.setenv("CPJ_TEMPORAL_UI_URL", UI)
    identity = IdentityStore(make_engine(f"sqlite:///{tmp_path / 'records.db'}"))

    async def no_temporal() -> Journeys:
        raise AssertionError("the codec server never asks Temporal")

    yield app_for(no_temporal, identity), identity
    identity.engine.dispose()


def _body(*payloads: Payload) -> dict:
    return json.loads(json_format.MessageToJson(Payloads(payloads=list(payloads))))


async def test_a_supervisor_signed_in_reads_a_history_decrypted_and_is_recorded_as_having_looked(codec_app) -> None:
    app, identity = codec_app
    sealed = _sealed(ring_of(), {"reasons": DELAY_REASONS}, workflow_id=workflow_id_for(CASE))
    supervisor = await signed_in_client_on(app, identity, Role.SUPERVISOR, "SUP-0042")
    supervisor.headers.pop("X-CSRF-Token")  # the Temporal UI's request carries the cookie, never the token
    try:
        answer = await supervisor.post("/codec/decode", json=_body(sealed),
                                       headers={"Origin": UI, "X-Namespace": "default"})
    finally:
        await supervisor.aclose()

    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == UI
    assert answer.headers["access-control-allow-credentials"] == "true"
    [decoded] = json_format.Parse(answer.text, Payloads()).payloads
    assert json.loads(decoded.data) == {"reasons": DELAY_REASONS}
    with identity.engine.connect() as connection:
        rows = connection.execute(AuditEntry.__table__.select()).mappings().all()
    [row] = [row for row in rows if row["action"] == "decode_payloads"]
    assert (row["actor"], row["case_ref"], row["via"], row["outcome"]) == ("SUP-0042", CASE, "codec", "done")
    assert DELAY_REASONS not in json.dumps([dict(row) for row in rows], default=str)


async def test_the_codec_server_refuses_anyone_not_signed_in_and_anyone_the_table_does_not_allow(codec_app) -> None:
    app, identity = codec_app
    body = _body(_sealed(ring_of(), "the reasons"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as nobody:
        refused = await nobody.post("/codec/decode", json=body, headers={"Origin": UI})
        assert refused.status_code == 401 and "sign in" in refused.json()["detail"]
        assert refused.headers["access-control-allow-origin"] == UI  # so the UI can say why
        assert "the reasons" not in refused.text

    manager = await signed_in_client_on(app, identity, Role.TEAM_MANAGER, "TM-0007")
    try:
        forbidden = await manager.post("/codec/decode", json=body, headers={"Origin": UI})
    finally:
        await manager.aclose()
    assert forbidden.status_code == 403 and "the reasons" not in forbidden.text
    with identity.engine.connect() as connection:
        rows = connection.execute(AuditEntry.__table__.select()).mappings().all()
    assert [(row["actor"], row["outcome"]) for row in rows if row["action"] == "decode_payloads"] == [
        ("TM-0007", "refused")]


async def test_only_the_temporal_uis_origin_may_read_the_codecs_answers(codec_app) -> None:
    app, _ = codec_app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as browser:
        preflight = await browser.options("/codec/decode", headers={
            "Origin": UI, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace"})
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == UI
        assert "x-namespace" in preflight.headers["access-control-allow-headers"]
        elsewhere = await browser.options("/codec/decode", headers={
            "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"})
        assert elsewhere.status_code == 403 and "access-control-allow-origin" not in elsewhere.headers


# -- Reading a history as stored, and through the codec --------------------------------------------


class _Stored:
    def __init__(self) -> None:
        self.readable = ""
        self.plain_payloads: set[str] = set()
        self.key_ids: set[str] = set()


def _as_stored(history: WorkflowHistory) -> _Stored:
    """What anyone with Temporal's database or its UI (no codec) reads: every string, payloads' bytes as text."""
    found, texts = _Stored(), []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("metadata"), dict) and set(node) <= {"metadata", "data", "externalPayloads"}:
                metadata = {key: base64.b64decode(value).decode(errors="replace")
                            for key, value in node["metadata"].items()}
                texts.extend(metadata.values())
                texts.append(base64.b64decode(node.get("data", "")).decode(errors="replace"))
                if metadata.get("encoding") == ENCODING.decode():
                    found.key_ids.add(metadata[KEY_ID])
                else:
                    found.plain_payloads.add(where)
                return
            for key, value in node.items():
                if key == "searchAttributes":
                    continue  # not payloads: references, stages and dates only (README, "Encrypted histories")
                walk(value, key if key.endswith("EventAttributes") else where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)
        elif isinstance(node, str):
            texts.append(node)

    walk(json.loads(history.to_json()), "")
    found.readable = "\n".join(texts)
    return found


class _Read:
    def __init__(self) -> None:
        self.values: list[str] = []
        self.activity_inputs: list[Any] = []
        self.failures: list[str] = []


async def _through_the_codec(history: WorkflowHistory) -> _Read:
    converter, read = data_converter(ring_of()), _Read()
    for event in history.events:
        for name in ("workflow_execution_started_event_attributes", "workflow_execution_signaled_event_attributes",
                     "workflow_execution_update_accepted_event_attributes", "activity_task_scheduled_event_attributes"):
            if event.HasField(name):
                attrs = getattr(event, name)
                payloads = (attrs.accepted_request.input.args if name.endswith("accepted_event_attributes")
                            else attrs.input).payloads
                values = await converter.decode(list(payloads))
                read.values.append(json.dumps(values, default=str))
                if name.startswith("activity"):
                    read.activity_inputs.extend(values)
        if event.HasField("activity_task_failed_event_attributes"):
            failure = Failure()
            failure.CopyFrom(event.activity_task_failed_event_attributes.failure)
            error = await converter.decode_failure(failure)
            read.failures += [str(error), str(getattr(error, "cause", ""))]
    return read


def _client_with(env: WorkflowEnvironment, converter) -> Any:
    from temporalio.client import Client

    return Client(env.client.service_client, namespace=env.client.namespace, data_converter=converter)


def _replayer(ring: KeyRing) -> Replayer:
    from workflows.complaint import ComplaintWorkflow
    from workflows.conference import ConferenceWorkflow

    return Replayer(workflows=[ChildProtectionJourney, ConferenceWorkflow, ComplaintWorkflow],
                    data_converter=data_converter(ring), workflow_runner=workflow_runner())


async def _today(env: WorkflowEnvironment):
    from domain.deadlines import london_date

    return london_date(await env.get_current_time())
