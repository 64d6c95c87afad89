"""How much a worker takes on is the operator's to set: its cache of journeys and what it runs at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.db import make_engine, wait_for_database
from activities.notify import FileSender
from tests.conftest import TEST_SERVER
from worker import WorkerSettingError, WorkerSettings, build_worker

CPJ = str(Path(sys.executable).parent / "cpj")


def test_unset_a_worker_keeps_a_thousand_journeys_and_runs_as_many_record_writes_as_it_has_threads() -> None:
    assert WorkerSettings.from_env({}) == WorkerSettings(
        max_cached_workflows=1000, max_concurrent_workflow_tasks=100, max_concurrent_activities=8)


def test_an_operator_sizes_the_cache_and_concurrency_from_the_environment() -> None:
    settings = WorkerSettings.from_env({
        "CPJ_WORKER_CACHE": "250", "CPJ_WORKER_WORKFLOW_TASKS": " 20 ", "CPJ_WORKER_ACTIVITIES": "16"})
    assert settings == WorkerSettings(max_cached_workflows=250, max_concurrent_workflow_tasks=20,
                                      max_concurrent_activities=16)
    # No cache at all is allowed: every task then replays its journey's history.
    assert WorkerSettings.from_env({"CPJ_WORKER_CACHE": "0", "CPJ_WORKER_WORKFLOW_TASKS": "1"}).max_cached_workflows == 0


@pytest.mark.parametrize(("setting", "value", "sentence"), [
    ("CPJ_WORKER_CACHE", "lots", "CPJ_WORKER_CACHE is 'lots', but it is the number of journeys a worker keeps in "
                                 "memory: a whole number, 0 or more (unset, it is 1000)"),
    ("CPJ_WORKER_WORKFLOW_TASKS", "0", "CPJ_WORKER_WORKFLOW_TASKS is '0', but it is the number of workflow tasks a "
                                       "worker runs at once: a whole number, 1 or more (unset, it is 100)"),
    ("CPJ_WORKER_ACTIVITIES", "2.5", "CPJ_WORKER_ACTIVITIES is '2.5', but it is the number of record writes and "
                                     "letters a worker runs at once: a whole number, 1 or more (unset, it is 8)"),
    ("CPJ_WORKER_WORKFLOW_TASKS", "1", "CPJ_WORKER_WORKFLOW_TASKS is 1, but a worker with a cache of journeys needs "
                                       "at least 2: set it to 2 or more, or turn the cache off with CPJ_WORKER_CACHE=0"),
])
def test_a_value_the_worker_cannot_use_is_refused_in_a_sentence_naming_the_setting(
        setting: str, value: str, sentence: str) -> None:
    with pytest.raises(WorkerSettingError) as refused:
        WorkerSettings.from_env({setting: value})
    assert str(refused.value) == sentence


async def test_the_worker_is_built_with_the_settings_and_a_thread_for_each_activity(tmp_path: Path) -> None:
    settings = WorkerSettings(max_cached_workflows=50, max_concurrent_workflow_tasks=4, max_concurrent_activities=3)
    async with await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(TEST_SERVER)) as env:
        worker = build_worker(env.client, task_queue="settings", engine=make_engine(f"sqlite:///{tmp_path / 'r.db'}"),
                              sender=FileSender(tmp_path / "letters.jsonl"), settings=settings)
        async with worker:  # it runs with them, and stops before the server does
            config = worker.config()
    assert (config["max_cached_workflows"], config["max_concurrent_workflow_tasks"],
            config["max_concurrent_activities"]) == (50, 4, 3)
    assert config["activity_executor"]._max_workers == 3
    assert config["max_concurrent_local_activities"] == 3  # the records, on the same threads


def test_cpj_worker_stops_at_once_with_the_sentence_on_a_bad_setting(tmp_path: Path) -> None:
    finished = subprocess.run(
        [CPJ, "worker"], capture_output=True, text=True, timeout=60,
        env={**os.environ, "CPJ_WORKER_CACHE": "-1", "CPJ_DATA_DIR": str(tmp_path),
             # Nothing listens here: a worker that got past its settings would wait, not stop.
             "CPJ_TEMPORAL_ADDRESS": "127.0.0.1:9", "CPJ_DATABASE_WAIT_SECONDS": "30"},
    )
    assert finished.returncode == 1
    assert "error: CPJ_WORKER_CACHE is '-1', but it is the number of journeys a worker keeps in memory" in finished.stderr


def test_a_worker_of_forty_activities_has_a_connection_for_each_and_one_for_its_heartbeat(tmp_path: Path) -> None:
    # One connection for each activity and its heartbeat, and as many again as headroom; SQLAlchemy's default
    # pool (5 and 10 more) would make the 16th wait and, after 30 s, fail the activity.
    engine = wait_for_database(f"sqlite:///{tmp_path / 'r.db'}", seconds=1, activities=40)
    held = []
    try:
        for _ in range(2 * 40 + 1):
            held.append(engine.pool.connect())
        assert engine.pool.size() == 41
        assert engine.pool.overflow() == 40
    finally:
        for connection in held:
            connection.close()
        engine.dispose()


async def test_the_worker_sizes_its_records_pool_from_its_activities_setting(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CPJ_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    settings = WorkerSettings.from_env({"CPJ_WORKER_ACTIVITIES": "24"})
    async with await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(TEST_SERVER)) as env:
        worker = build_worker(env.client, task_queue="pool", sender=FileSender(tmp_path / "letters.jsonl"),
                              settings=settings)
        engine = worker.config()["activities"][0].__self__._engine  # the record writer's
        try:
            assert (engine.pool.size(), engine.pool._max_overflow) == (25, 24)
        finally:
            engine.dispose()
