"""Runs the journeys: a Temporal worker for the workflow and its activities."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.db import make_engine, wait_for_database
from activities.log import configure_logging, get_logger
from activities.metrics import serve_our_metrics, temporal_runtime
from activities.notify import NotificationSender, NotifyActivities, sender_from_config
from activities.records import RecordActivities
import shipped  # noqa: F401  (the calendars and released profiles, read once per worker)
from starter.client import TASK_QUEUE, connect
from starter.worker_health import heartbeat
from workflows.complaint import ComplaintWorkflow
from workflows.conference import ConferenceWorkflow
from workflows.journey import ChildProtectionJourney
from workflows.sandbox import workflow_runner


class WorkerSettingError(ValueError):
    """A worker setting in the environment that is not a number it can use; the message says which and why."""


@dataclass(frozen=True)
class WorkerSettings:
    """How much one worker process takes on: its cache of journeys and how many tasks it runs at once.

    Several workers on one task queue share the journeys between them (README, "Scaling out").
    """

    #: Journeys kept in memory between their tasks (``CPJ_WORKER_CACHE``); an evicted one replays its
    #: history when it next wakes. 0 turns the cache off, and every task replays.
    max_cached_workflows: int = 1000
    #: Workflow tasks run at once (``CPJ_WORKER_WORKFLOW_TASKS``): at least 2 while the cache is on.
    max_concurrent_workflow_tasks: int = 100
    #: Record writes and letters run at once (``CPJ_WORKER_ACTIVITIES``), each on its own thread. A worker
    #: takes no more than it can run: a task it held but could not start would be lost with it if it died.
    max_concurrent_activities: int = 8

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerSettings:
        env = os.environ if env is None else env
        defaults = cls()
        settings = cls(
            max_cached_workflows=_count(env, "CPJ_WORKER_CACHE", defaults.max_cached_workflows, least=0,
                                        meaning="journeys a worker keeps in memory"),
            max_concurrent_workflow_tasks=_count(env, "CPJ_WORKER_WORKFLOW_TASKS",
                                                 defaults.max_concurrent_workflow_tasks, least=1,
                                                 meaning="workflow tasks a worker runs at once"),
            max_concurrent_activities=_count(env, "CPJ_WORKER_ACTIVITIES", defaults.max_concurrent_activities,
                                             least=1, meaning="record writes and letters a worker runs at once"),
        )
        if settings.max_cached_workflows and settings.max_concurrent_workflow_tasks < 2:
            # The SDK's own rule: a cached journey's task and a new one's must be able to run side by side.
            raise WorkerSettingError(
                "CPJ_WORKER_WORKFLOW_TASKS is 1, but a worker with a cache of journeys needs at least 2: "
                "set it to 2 or more, or turn the cache off with CPJ_WORKER_CACHE=0")
        return settings


def _count(env: Mapping[str, str], name: str, default: int, *, least: int, meaning: str) -> int:
    given = (env.get(name) or "").strip()
    if not given:
        return default
    try:
        value = int(given)
    except ValueError:
        value = None
    if value is None or value < least:
        raise WorkerSettingError(
            f"{name} is {given!r}, but it is the number of {meaning}: a whole number, {least} or more "
            f"(unset, it is {default})")
    return value


def build_worker(
    client: Client,
    *,
    task_queue: str = TASK_QUEUE,
    engine: Engine | None = None,
    sender: NotificationSender | None = None,
    settings: WorkerSettings | None = None,
) -> Worker:
    settings = settings or WorkerSettings.from_env()
    engine = engine or make_engine(activities=settings.max_concurrent_activities)
    sender = sender or sender_from_config()
    records = RecordActivities(engine)
    notify = NotifyActivities(engine, sender)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ChildProtectionJourney, ConferenceWorkflow, ComplaintWorkflow],
        workflow_runner=workflow_runner(),
        activities=[records.write_record, notify.send_notification],
        # Activities use sqlmodel's blocking sessions, so they run on threads: one per activity it may take.
        activity_executor=ThreadPoolExecutor(max_workers=settings.max_concurrent_activities),
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.max_concurrent_activities,
        # Runs begun under lean-history before records-after-state write records by local activities
        # (workflows.keeping), on the same threads.
        max_concurrent_local_activities=settings.max_concurrent_activities,
    )


async def main() -> None:
    configure_logging()
    # Read first: a mistyped setting stops the worker with its sentence before it waits for anything.
    try:
        settings = WorkerSettings.from_env()
    except WorkerSettingError as error:
        raise SystemExit(f"error: {error}") from None
    # A worker started with (or during a restart of) its database waits for it rather than exiting,
    # then brings the records schema to the newest revision (the compose file's migrate service
    # usually has: then this is one read).
    engine = await asyncio.to_thread(wait_for_database, activities=settings.max_concurrent_activities)
    # Metrics for Prometheus, each only where configured: Temporal's from the SDK's runtime, ours beside it.
    client = await connect(runtime=temporal_runtime())
    serve_our_metrics()
    get_logger("worker").info("worker starting", task_queue=TASK_QUEUE, cache=settings.max_cached_workflows,
                              workflow_tasks=settings.max_concurrent_workflow_tasks,
                              activities=settings.max_concurrent_activities)
    worker = build_worker(client, engine=engine, settings=settings)
    # The heartbeat `cpj worker --health` reads: written only while this loop, Temporal and the database answer.
    async with heartbeat(worker, client, engine):
        await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
