"""Records and letters are written once, however often Temporal retries, on SQLite and PostgreSQL.

A letter is sent at most once even when the worker dies between sending it and marking it sent, or
the database fails or stays locked for a while right after; data the database can never accept is
refused at once instead of retried for ever.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.db import JourneyRecord, NotificationLog, make_engine
from activities import notify as notify_module
from activities.notify import FileSender, NotifyActivities
from activities.records import RecordActivities
from domain.effects import NotificationRequest, RecordRequest
from tests.postgres import postgres_server


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    else:
        engine = make_engine(request.getfixturevalue("postgres_url"))
    yield engine
    if request.param == "postgresql":
        with Session(engine) as session:  # the server lives for the module: leave it empty
            for table in (JourneyRecord, NotificationLog):
                for row in session.exec(select(table)).all():
                    session.delete(row)
            session.commit()
    engine.dispose()


ICPC_HELD = RecordRequest(
    key="cpj-CASE-0001/icpc-1/icpc_held", case_ref="CASE-0001", workflow_id="cpj-CASE-0001", kind="icpc_held",
    occurred_on=date(2027, 1, 8), summary="ICPC held: plan (neglect)", details={"decision": "plan"},
)
ESCALATION = NotificationRequest(
    reference="cpj-CASE-0001/sd-1/icpc-overdue-2027-01-12", case_ref="CASE-0001", workflow_id="cpj-CASE-0001",
    template="overdue_escalation", recipient_role="team_manager", subject="Overdue: ICPC for case CASE-0001",
    body="Initial child protection conference not held by its deadline 2027-01-12.",
)


def test_a_retried_record_is_written_once(engine: Engine) -> None:
    records = RecordActivities(engine)
    first = ActivityEnvironment().run(records.write_record, ICPC_HELD)
    retry = ActivityEnvironment().run(records.write_record, ICPC_HELD)

    assert (first.created, retry.created) == (True, False)
    with Session(engine) as session:
        [row] = session.exec(select(JourneyRecord)).all()
    assert row.details == {"decision": "plan"} and row.occurred_on == date(2027, 1, 8)


def test_a_retried_escalation_sends_one_letter(engine: Engine, tmp_path: Path) -> None:
    sender = FileSender(tmp_path / "letters.jsonl")
    notify = NotifyActivities(engine, sender)
    first = ActivityEnvironment().run(notify.send_notification, ESCALATION)
    retry = ActivityEnvironment().run(notify.send_notification, ESCALATION)

    assert (first.sent, retry.sent) == (True, False)
    assert len(sender.path.read_text().splitlines()) == 1
    with Session(engine) as session:
        assert session.get(NotificationLog, ESCALATION.reference).status == "sent"


class BrokenSender:
    def send(self, request: NotificationRequest) -> None:
        raise ConnectionError("mail relay unavailable")


def test_a_letter_whose_send_failed_is_sent_on_the_retry(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConnectionError):
        ActivityEnvironment().run(NotifyActivities(engine, BrokenSender()).send_notification, ESCALATION)

    sender = FileSender(tmp_path / "letters.jsonl")
    assert ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, ESCALATION).sent
    assert len(sender.path.read_text().splitlines()) == 1


class DiesAfterSending:
    """The letter goes out, then the worker is killed before it can mark it sent."""

    def __init__(self, sender: FileSender) -> None:
        self.sender = sender

    def send(self, request: NotificationRequest) -> None:
        self.sender.send(request)
        raise ConnectionResetError("worker killed")

    def already_sent(self, reference: str) -> bool:
        return self.sender.already_sent(reference)


def test_a_letter_sent_just_before_the_worker_died_is_not_sent_again(engine: Engine, tmp_path: Path) -> None:
    sender = FileSender(tmp_path / "letters.jsonl")
    with pytest.raises(ConnectionResetError):
        ActivityEnvironment().run(NotifyActivities(engine, DiesAfterSending(sender)).send_notification, ESCALATION)
    with Session(engine) as session:
        assert session.get(NotificationLog, ESCALATION.reference).status == "pending"

    retry = ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, ESCALATION)

    assert not retry.sent
    assert len(sender.path.read_text().splitlines()) == 1
    with Session(engine) as session:
        assert session.get(NotificationLog, ESCALATION.reference).status == "sent"


def the_database_fails_when_marking_sent(engine: Engine, times: int) -> list[str]:
    """The next ``times`` updates of a letter fail as a lost connection or a lock does; returns what failed."""
    failed: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def fail(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE NOTIFICATION") and len(failed) < times:
            failed.append(statement)
            raise engine.dialect.loaded_dbapi.OperationalError("database is locked")

    return failed


def test_a_letter_whose_marking_fails_once_is_marked_on_a_second_try_and_sent_once(
    engine: Engine, tmp_path: Path
) -> None:
    failed = the_database_fails_when_marking_sent(engine, times=1)
    sender = FileSender(tmp_path / "letters.jsonl")

    result = ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, ESCALATION)

    assert result.sent and len(failed) == 1
    assert len(sender.path.read_text().splitlines()) == 1
    with Session(engine) as session:
        assert session.get(NotificationLog, ESCALATION.reference).status == "sent"


def test_a_letter_whose_database_stays_down_after_the_send_is_not_sent_again_by_the_retry(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notify_module, "MARK_SENT_RETRY_DELAYS_S", (0.01, 0.01))
    the_database_fails_when_marking_sent(engine, times=3)
    sender = FileSender(tmp_path / "letters.jsonl")
    with pytest.raises(OperationalError):
        ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, ESCALATION)

    retry = ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, ESCALATION)

    assert not retry.sent
    assert len(sender.path.read_text().splitlines()) == 1
    with Session(engine) as session:
        assert session.get(NotificationLog, ESCALATION.reference).status == "sent"


def test_a_record_and_a_letter_wait_out_a_lock_longer_than_sqlites_default_5_seconds(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    sender = FileSender(tmp_path / "letters.jsonl")
    locked, lock_seconds = threading.Event(), 8

    def another_writer_holds_the_database() -> None:
        other = sqlite3.connect(tmp_path / "records.db", isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(lock_seconds)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=another_writer_holds_the_database)
    holder.start()
    locked.wait()
    started = time.monotonic()
    with Session(engine) as session:  # the admin tool still reads meanwhile (WAL)
        session.exec(select(JourneyRecord)).all()
    read_in = time.monotonic() - started
    with ThreadPoolExecutor(max_workers=2) as pool:
        record = pool.submit(ActivityEnvironment().run, RecordActivities(engine).write_record, ICPC_HELD)
        letter = pool.submit(
            ActivityEnvironment().run, NotifyActivities(engine, sender).send_notification, ESCALATION
        )
        record_written, letter_sent = record.result(), letter.result()
    waited = time.monotonic() - started
    holder.join()

    assert read_in < 1 and waited > lock_seconds - 1
    assert record_written.created and letter_sent.sent
    assert len(sender.path.read_text().splitlines()) == 1
    with Session(engine) as session:
        assert session.get(NotificationLog, ESCALATION.reference).status == "sent"
    engine.dispose()


def test_what_postgresql_can_never_store_is_refused_at_once_without_quoting_it(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    nul = ICPC_HELD.model_copy(update={"summary": "ICPC held: plan\x00 (neglect)"})
    with pytest.raises(ApplicationError) as record_failure:
        ActivityEnvironment().run(RecordActivities(engine).write_record, nul)
    with pytest.raises(ApplicationError) as letter_failure:
        ActivityEnvironment().run(
            NotifyActivities(engine, BrokenSender()).send_notification,
            ESCALATION.model_copy(update={"subject": "Overdue\x00"}),
        )

    for failure, kind in ((record_failure, "RecordRejected"), (letter_failure, "NotificationRejected")):
        assert failure.value.non_retryable and failure.value.type == kind
        assert "\n" not in failure.value.message and "\x00" not in failure.value.message
    assert ICPC_HELD.key in record_failure.value.message and "ICPC held" not in record_failure.value.message
    with Session(engine) as session:
        assert session.exec(select(JourneyRecord)).all() == []
        assert session.exec(select(NotificationLog)).all() == []
    engine.dispose()


def test_a_record_the_database_cannot_be_reached_for_is_retried() -> None:
    unreachable = create_engine("postgresql+psycopg://cpj@127.0.0.1:1/postgres", hide_parameters=True)
    with pytest.raises(OperationalError):  # not a non-retryable ApplicationError: Temporal retries it
        ActivityEnvironment().run(RecordActivities(unreachable).write_record, ICPC_HELD)
