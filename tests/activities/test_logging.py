"""The worker's log: one line per failure, and no secrets, SQL parameters or local variables in it.

A failure rendered as a traceback with its local variables took seconds per line (enough to stall
the worker into workflow-task timeouts) and put request fields into the log.
"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy import event
from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from starter.codec import data_converter
from activities import log as log_module
from activities.db import make_engine
from activities.log import QUIET_LOGGERS, configure_logging, get_logger
from activities.notify import FileSender, GovUkNotifySender, NotifyActivities
from domain.effects import NotificationRequest, NotificationResult
from tests.activities.test_notify_sender import (
    API_KEY, ESCALATION, SECRET, SERVICE_ID, FakeNotify, left_pending, write_config,
)
from tests.conftest import TEST_SERVER

# A value only a local variable holds: it must never reach the log.
LOCAL_ONLY = "relay-password-" + uuid.uuid4().hex


@pytest.fixture(params=["console", "json"])
def log_output(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The worker's logging at DEBUG into a buffer; the process's logging is put back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level for name in QUIET_LOGGERS})
    saved_structlog, saved_flag = structlog.get_config(), log_module._configured
    monkeypatch.setenv("CPJ_LOG_FORMAT", request.param)
    buffer = io.StringIO()
    configure_logging("DEBUG", stream=buffer, force=True)
    yield buffer
    root.handlers[:], level, levels = saved
    root.setLevel(level)
    for name, quiet in levels.items():
        logging.getLogger(name).setLevel(quiet)
    structlog.configure(**saved_structlog)
    log_module._configured = saved_flag


def lines_with(output: str, text: str) -> list[str]:
    return [line for line in output.splitlines() if text in line]


@workflow.defn(name="OneLetter")
class OneLetter:
    @workflow.run
    async def run(self, request: NotificationRequest) -> None:
        await workflow.execute_activity(
            "send_notification", request, result_type=NotificationResult,
            start_to_close_timeout=timedelta(seconds=30), retry_policy=RetryPolicy(maximum_attempts=1),
        )


async def test_a_letter_failing_on_the_database_is_one_line_without_locals_or_sql_parameters(
    log_output: io.StringIO, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")

    @event.listens_for(engine, "before_cursor_execute")
    def disk_fails(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("INSERT INTO notification"):
            raise sqlite3.OperationalError("disk I/O error")

    letters = NotifyActivities(engine, FileSender(tmp_path / "letters.jsonl"))
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=data_converter()
    )
    try:
        async with Worker(
            env.client, task_queue="one-letter", workflows=[OneLetter], activities=[letters.send_notification],
            activity_executor=ThreadPoolExecutor(max_workers=1), workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            with pytest.raises(WorkflowFailureError):
                await env.client.execute_workflow(OneLetter.run, ESCALATION, id="one-letter", task_queue="one-letter")
    finally:
        await env.shutdown()
        engine.dispose()

    output = log_output.getvalue()
    [failure] = lines_with(output, "Completing activity as failed")  # Temporal's own log line
    assert "OperationalError: (sqlite3.OperationalError) disk I/O error" in failure
    assert "SQL parameters hidden" in failure
    # The letter's subject is both a local variable of the activity and a parameter of the INSERT.
    assert ESCALATION.subject not in output and "Traceback" not in output


def test_our_own_failure_log_is_one_line(log_output: io.StringIO) -> None:
    try:
        relay_password = LOCAL_ONLY  # noqa: F841
        raise ApplicationError("GOV.UK Notify rejected the notification (400):\nteam-only API key")
    except ApplicationError:
        get_logger("cpj.test", case_ref="CASE-0001").exception("letter not sent")

    [line] = log_output.getvalue().splitlines()
    assert "letter not sent" in line and "ApplicationError: GOV.UK Notify rejected" in line
    assert LOCAL_ONLY not in line
    if line.startswith("{"):
        assert json.loads(line)["case_ref"] == "CASE-0001"


def test_neither_the_notify_key_nor_sql_parameters_reach_the_log_at_debug(
    log_output: io.StringIO, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    with FakeNotify() as notify:
        sender = GovUkNotifySender.from_config(write_config(tmp_path / "notify.json", notify.base_url), api_key=API_KEY)
        ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, ESCALATION)
        pending = ESCALATION.model_copy(update={"reference": "cpj-CASE-0001/sd-1/again"})
        left_pending(engine, pending)  # a look-up by reference, then a send
        ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, pending)
        notify.answer = "reject"
        with pytest.raises(ApplicationError):
            sender.send(ESCALATION.model_copy(update={"reference": "cpj-CASE-0001/sd-1/rejected"}))
    engine.dispose()

    output = log_output.getvalue()
    assert lines_with(output, "accepted by GOV.UK Notify")  # the log was captured at all
    for secret in (API_KEY, SECRET, SERVICE_ID, "Bearer", "Authorization", "authorization"):
        assert secret not in output
