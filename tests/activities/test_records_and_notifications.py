"""Records and letters are written once, however often Temporal retries, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

from activities.db import JourneyRecord, NotificationLog, make_engine
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
