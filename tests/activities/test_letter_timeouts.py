"""A slow send is waited for, not retried while it may still succeed.

The letter activity heartbeats while it sends, so Temporal can tell a slow GOV.UK Notify from a dead
worker: a heartbeat timeout shorter than the send does not start a second attempt (a second email).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from starter.codec import data_converter
from activities.db import make_engine
from activities.notify import GovUkNotifySender, NotifyActivities
from domain.effects import NotificationRequest, NotificationResult
from tests.activities.test_notify_sender import API_KEY, ESCALATION, FakeNotify, write_config
from tests.conftest import TEST_SERVER


@workflow.defn(name="OneSlowLetter")
class OneSlowLetter:
    @workflow.run
    async def run(self, request: NotificationRequest) -> NotificationResult:
        return await workflow.execute_activity(
            "send_notification", request, result_type=NotificationResult,
            start_to_close_timeout=timedelta(seconds=30), heartbeat_timeout=timedelta(seconds=1),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3),
        )


@pytest.fixture
def slow_notify() -> Iterator[FakeNotify]:
    with FakeNotify() as notify:
        notify.seconds_to_answer = 3
        yield notify


async def test_notify_taking_longer_than_the_heartbeat_timeout_sends_one_email(
    slow_notify: FakeNotify, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    sender = GovUkNotifySender.from_config(write_config(tmp_path / "notify.json", slow_notify.base_url), api_key=API_KEY)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=data_converter()
    )
    try:
        async with Worker(
            env.client, task_queue="slow-letter", workflows=[OneSlowLetter],
            activities=[NotifyActivities(engine, sender).send_notification],
            activity_executor=ThreadPoolExecutor(max_workers=2), workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            handle = await env.client.start_workflow(
                OneSlowLetter.run, ESCALATION, id="slow-letter", task_queue="slow-letter"
            )
            result = await handle.result()
            attempts = [
                event.activity_task_started_event_attributes.attempt
                async for event in handle.fetch_history_events()
                if event.HasField("activity_task_started_event_attributes")
            ]
    finally:
        await env.shutdown()
        engine.dispose()

    assert result.sent and attempts == [1]
    assert [email["reference"] for email in slow_notify.emails] == [ESCALATION.reference]
