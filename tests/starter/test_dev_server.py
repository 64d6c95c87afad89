"""A journey started from the CLI on the real Temporal dev server, as a supervisor would see it."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.db import make_engine
from activities.notify import FileSender
from domain.deadlines import london_date
from domain.events import workflow_id_for
from tests.conftest import TEMPORAL_CLI, eventually
from workflows import search_attributes as sa
from worker import build_worker

CPJ = str(Path(sys.executable).parent / "cpj")


@pytest.fixture
async def dev_server(tmp_path: Path) -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI),
        search_attributes=sa.ALL,
        data_converter=pydantic_data_converter,
        dev_server_log_level="error",
    )
    task_queue = f"dev-{uuid.uuid4().hex[:8]}"
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    async with build_worker(env.client, task_queue=task_queue, engine=engine, sender=FileSender(tmp_path / "n.jsonl")):
        yield env, task_queue
    await env.shutdown()


async def cpj(env: WorkflowEnvironment, task_queue: str, *args: str) -> str:
    code, out, err = await cpj_exit(env, task_queue, *args)
    assert code == 0, err
    return out


async def cpj_exit(env: WorkflowEnvironment, task_queue: str, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        CPJ, *args,
        env={**os.environ, "CPJ_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
             "CPJ_TASK_QUEUE": task_queue},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def test_journey_started_from_the_cli_waits_on_a_named_icpc_timer(dev_server) -> None:
    env, task_queue = dev_server
    today = london_date(await env.get_current_time()).isoformat()

    started = await cpj(env, task_queue, "journey", "start", "DAR-2026-0042", "--policy", "darlington",
                        "--strategy-discussion", today)
    assert "cpj-DAR-2026-0042" in started

    shown = json.loads(await cpj(env, task_queue, "journey", "show", "DAR-2026-0042", "--json"))
    assert shown["stage"] == "awaiting_icpc"
    [icpc] = shown["deadlines"]
    assert icpc["reason"].startswith(f"15 working days after {today}")

    handle = env.client.get_workflow_handle(workflow_id_for("DAR-2026-0042"))
    converter = pydantic_data_converter.payload_converter

    async def timer_is_named() -> bool:
        history = await handle.fetch_history()
        timers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
        return any(
            f"Initial child protection conference due {icpc['due']}" in converter.from_payload(t.user_metadata.summary)
            for t in timers
        )
    await eventually(timer_is_named)

    described = await handle.describe()
    assert await described.static_summary() == "Child protection journey for case DAR-2026-0042"
    assert "darlington@" in await described.static_details()
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert f"| Initial child protection conference | {icpc['due']} | open |" in metadata.current_details
    attrs = described.typed_search_attributes
    assert attrs.get(sa.STAGE) == "awaiting_icpc"
    assert attrs.get(sa.NEXT_DEADLINE_KIND) == "icpc"
    assert london_date(attrs.get(sa.NEXT_DEADLINE)).isoformat() > icpc["due"]  # end of the due day, London

    async def listed() -> bool:
        return "DAR-2026-0042" in await cpj(env, task_queue, "journey", "list")
    await eventually(listed)


async def test_a_production_cluster_gets_its_search_attributes_once() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI), dev_server_log_level="error"
    )
    try:
        first = await cpj(env, "unused", "temporal", "register-search-attributes")
        assert first.startswith("added ") and "CpjNextDeadline" in first
        assert "already registered" in await cpj(env, "unused", "temporal", "register-search-attributes")
    finally:
        await env.shutdown()


async def test_scripts_send_any_event_as_json_and_hear_why_a_bad_one_is_refused(dev_server) -> None:
    env, task_queue = dev_server
    today = london_date(await env.get_current_time()).isoformat()
    await cpj(env, task_queue, "journey", "start", "SEF-2026-0001", "--policy", "sefton", "--strategy-discussion", today)

    code, _, err = await cpj_exit(env, task_queue, "journey", "event", "SEF-2026-0001",
                                  '{"type": "icpc_held", "event_id": "i-1", "held_on": "%s", "decision": "plan"}' % today)
    assert code == 2 and "category" in err

    code, _, err = await cpj_exit(env, task_queue, "journey", "event", "SEF-2026-0001",
                                  '{"type": "visit_made", "event_id": "v-1", "visited_on": "%s", "outcome": "seen"}' % today)
    assert code == 2 and "only while the child is on a plan" in err

    shown = await cpj(env, task_queue, "journey", "event", "SEF-2026-0001",
                      '{"type": "icpc_held", "event_id": "i-1", "held_on": "%s", "decision": "plan", '
                      '"category": "neglect"}' % today)
    assert "stage on_plan" in shown
