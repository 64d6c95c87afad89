"""Is the worker healthy? Its heartbeat, written only while it answers and reaches Temporal and its database.

The compose file runs ``cpj worker --health`` in the worker's container: it passes on a fresh
heartbeat and fails on a stale or missing one. A worker that is wedged, or has lost Temporal or the
records database, stops writing, and so goes unhealthy, not only one that has died.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from activities.db import bare_engine
from activities.notify import FileSender
from starter.cli import app
from starter.worker_health import STALE_SECONDS, Heart, NotHealthy, check, heartbeat
from tests.conftest import JourneyWorld
from worker import build_worker


async def until(condition, seconds: float = 10) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "did not happen in time"
        await asyncio.sleep(0.02)


def a_worker(world: JourneyWorld, tmp_path: Path):
    return build_worker(world.env.client, task_queue=f"health-{uuid.uuid4().hex[:8]}", engine=world.engine,
                        sender=FileSender(tmp_path / "letters.jsonl"))


async def test_a_running_worker_keeps_its_heartbeat_fresh_and_takes_it_away_when_it_stops(
    world: JourneyWorld, tmp_path: Path
) -> None:
    beat_file = tmp_path / "worker.heartbeat"
    worker = a_worker(world, tmp_path)
    async with worker, heartbeat(worker, world.env.client, world.engine, path=beat_file, every=0.05):
        await until(beat_file.exists)
        first = json.loads(beat_file.read_text())["at"]
        await until(lambda: json.loads(beat_file.read_text())["at"] > first)  # it keeps beating
        healthy, sentence = check(beat_file)
        assert healthy, sentence

    assert not beat_file.exists()
    healthy, sentence = check(beat_file)
    assert not healthy and "no heartbeat" in sentence


def test_a_heartbeat_older_than_the_limit_is_not_healthy(tmp_path: Path) -> None:
    beat_file = tmp_path / "worker.heartbeat"
    beat_file.write_text(json.dumps({"at": 1_000_000.0, "pid": 1, "task_queue": "cp-journeys"}))

    assert check(beat_file, now=1_000_000.0 + STALE_SECONDS - 1)[0]
    healthy, sentence = check(beat_file, now=1_000_000.0 + STALE_SECONDS + 1)
    assert not healthy
    assert "seconds old" in sentence and "Temporal or the records database" in sentence


def test_a_heartbeat_that_cannot_be_read_is_not_healthy(tmp_path: Path) -> None:
    beat_file = tmp_path / "worker.heartbeat"
    beat_file.write_text("{half a")
    healthy, sentence = check(beat_file)
    assert not healthy and "cannot be read" in sentence


async def test_a_worker_whose_loop_is_blocked_stops_beating(world: JourneyWorld, tmp_path: Path) -> None:
    beat_file = tmp_path / "worker.heartbeat"
    worker = a_worker(world, tmp_path)
    async with worker, heartbeat(worker, world.env.client, world.engine, path=beat_file, every=0.05):
        await until(beat_file.exists)
        time.sleep(0.6)  # something blocking the worker's event loop, as a wedged worker's would be
        healthy, _ = check(beat_file, within=0.5)
        assert not healthy


async def test_a_worker_that_cannot_reach_its_records_database_writes_no_heartbeat(
    world: JourneyWorld, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = bare_engine(f"postgresql+psycopg://cpj:secret@127.0.0.1:{port}/cpj_records")
    beat_file = tmp_path / "worker.heartbeat"
    worker = a_worker(world, tmp_path)
    async with worker:
        await until(lambda: worker.is_running)
        with pytest.raises(NotHealthy, match="the records database did not answer"):
            await Heart(worker, world.env.client, unreachable, beat_file).beat()
    unreachable.dispose()
    assert not beat_file.exists()


async def test_a_worker_that_cannot_reach_temporal_writes_no_heartbeat(world: JourneyWorld, tmp_path: Path) -> None:
    from temporalio.testing import WorkflowEnvironment

    from tests.conftest import TEST_SERVER

    gone = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(TEST_SERVER))
    await gone.shutdown()
    beat_file = tmp_path / "worker.heartbeat"
    worker = a_worker(world, tmp_path)
    async with worker:
        await until(lambda: worker.is_running)
        with pytest.raises(NotHealthy, match="Temporal did not answer"):
            await Heart(worker, gone.client, world.engine, beat_file).beat()
    assert not beat_file.exists()


async def test_a_stopped_worker_writes_no_heartbeat(world: JourneyWorld, tmp_path: Path) -> None:
    beat_file = tmp_path / "worker.heartbeat"
    with pytest.raises(NotHealthy, match="not running"):
        await Heart(a_worker(world, tmp_path), world.env.client, world.engine, beat_file).beat()
    assert not beat_file.exists()


def test_cpj_worker_health_exits_0_on_a_fresh_heartbeat_and_1_on_a_stale_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beat_file = tmp_path / "worker.heartbeat"
    monkeypatch.setenv("CPJ_WORKER_HEARTBEAT_FILE", str(beat_file))

    missing = CliRunner().invoke(app, ["worker", "--health"])
    assert missing.exit_code == 1 and "no heartbeat" in missing.output

    beat_file.write_text(json.dumps({"at": time.time(), "pid": 1, "task_queue": "cp-journeys"}))
    fresh = CliRunner().invoke(app, ["worker", "--health"])
    assert fresh.exit_code == 0, fresh.output
    assert "healthy" in fresh.output

    beat_file.write_text(json.dumps({"at": time.time() - STALE_SECONDS - 5, "pid": 1, "task_queue": "cp-journeys"}))
    stale = CliRunner().invoke(app, ["worker", "--health"])
    assert stale.exit_code == 1 and "not healthy" in stale.output
