"""Runs the journeys: a Temporal worker for the workflow and its activities."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.db import make_engine, wait_for_database
from activities.log import configure_logging, get_logger
from activities.notify import NotificationSender, NotifyActivities, sender_from_config
from activities.records import RecordActivities
import shipped  # noqa: F401  (the calendars and released profiles, read once per worker)
from starter.client import TASK_QUEUE, connect
from workflows.complaint import ComplaintWorkflow
from workflows.conference import ConferenceWorkflow
from workflows.journey import ChildProtectionJourney
from workflows.sandbox import workflow_runner


def build_worker(
    client: Client,
    *,
    task_queue: str = TASK_QUEUE,
    engine: Engine | None = None,
    sender: NotificationSender | None = None,
) -> Worker:
    engine = engine or make_engine()
    sender = sender or sender_from_config()
    records = RecordActivities(engine)
    notify = NotifyActivities(engine, sender)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ChildProtectionJourney, ConferenceWorkflow, ComplaintWorkflow],
        workflow_runner=workflow_runner(),
        activities=[records.write_record, notify.send_notification],
        # Activities use sqlmodel's blocking sessions, so they run on threads.
        activity_executor=ThreadPoolExecutor(max_workers=8),
    )


async def main() -> None:
    configure_logging()
    # A worker started with (or during a restart of) its database waits for it rather than exiting,
    # then brings the records schema to the newest revision (the compose file's migrate service
    # usually has: then this is one read).
    engine = await asyncio.to_thread(wait_for_database)
    client = await connect()
    get_logger("worker").info("worker starting", task_queue=TASK_QUEUE)
    await build_worker(client, engine=engine).run()


if __name__ == "__main__":
    asyncio.run(main())
