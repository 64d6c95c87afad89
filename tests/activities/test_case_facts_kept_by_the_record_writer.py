"""The reports' read model is kept by the one record writer: each record brings its journey's facts up to date.

A retried write leaves one record and the same facts; a database that had records before the facts
existed gets them from ``rebuild``; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

import shipped  # noqa: F401  (registers the released profiles: the facts name the authority)
from activities.case_facts import read_facts, rebuild
from activities.db import CaseFactsRow, JourneyRecord, make_engine
import activities.records as records_module
from activities.records import RecordActivities
from domain.effects import RecordRequest
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
    with Session(engine) as session:  # the PostgreSQL server lives for the module: leave it empty
        session.execute(delete(JourneyRecord))
        session.execute(delete(CaseFactsRow))
        session.commit()
    engine.dispose()


def record(what: str, kind: str, on: date, workflow_id: str = "cpj-CASE-0001", **details) -> RecordRequest:
    return RecordRequest(key=f"{workflow_id}/run-1/{what}/{kind}", case_ref="CASE-0001", workflow_id=workflow_id,
                         kind=kind, occurred_on=on, summary=kind.replace("_", " "),
                         details={"policy": "darlington@2026.1", **details})


DISCUSSION = record("sd-1", "strategy_discussion", date(2026, 12, 9), initiated_section_47=True)
ICPC = record("icpc-1", "icpc_held", date(2027, 1, 4), decision="plan", category="neglect", due="2027-01-04")
NAMED = record("lsw-1", "lead_social_worker_named", date(2027, 1, 4), staff_ref="SW-1042", team="Locality North")


def write(engine: Engine, *requests: RecordRequest) -> None:
    writer = RecordActivities(engine)
    for request in requests:
        ActivityEnvironment().run(writer.write_record, request)


def stored(engine: Engine) -> list[CaseFactsRow]:
    with Session(engine) as session:
        return list(session.exec(select(CaseFactsRow)).all())


def test_each_record_brings_the_journey_s_facts_up_to_date(engine: Engine) -> None:
    write(engine, DISCUSSION)
    [row] = stored(engine)
    assert (row.journey, row.profile_id, row.team) == ("cpj-CASE-0001/run-1", "darlington", None)
    assert row.facts["section_47_started_on"] == "2026-12-09" and row.facts["plan"] is None

    write(engine, ICPC, NAMED)

    [facts] = read_facts(engine)
    assert (facts.authority, facts.team, facts.lead_social_worker) == ("Darlington", "Locality North", "SW-1042")
    assert (facts.icpc_on, facts.plan.started_on, facts.plan.initial_category) == (date(2027, 1, 4),
                                                                                   date(2027, 1, 4), "neglect")
    assert read_facts(engine, profile_id="darlington", team="Locality North") == [facts]
    assert read_facts(engine, team="Locality South") == []


def test_a_retried_write_leaves_one_record_and_the_same_facts(engine: Engine) -> None:
    write(engine, DISCUSSION, ICPC)
    before = [(row.journey, row.facts, row.updated_at) for row in stored(engine)]

    write(engine, ICPC, ICPC)

    assert [(row.journey, row.facts, row.updated_at) for row in stored(engine)] == before
    with Session(engine) as session:
        assert len(session.exec(select(JourneyRecord)).all()) == 2


def test_a_retry_after_the_record_but_before_its_facts_brings_them_up_to_date(engine: Engine) -> None:
    write(engine, DISCUSSION, ICPC)
    with Session(engine) as session:  # as if the worker died between the record and its facts
        session.execute(delete(CaseFactsRow))
        session.commit()

    write(engine, ICPC)

    [facts] = read_facts(engine)
    assert facts.icpc_on == date(2027, 1, 4)


def test_a_record_whose_facts_cannot_be_folded_is_written_alone_and_the_next_one_catches_up(
        engine: Engine, monkeypatch) -> None:
    write(engine, DISCUSSION)
    real_fold = records_module.fold_records

    def broken(session, case_ref):
        raise ValueError("a fold that fails")
    monkeypatch.setattr(records_module, "fold_records", broken)
    write(engine, ICPC)  # the record is what counts: written, though its facts are not
    with Session(engine) as session:
        assert [row.kind for row in session.exec(select(JourneyRecord)).all()] == ["strategy_discussion", "icpc_held"]
    [facts] = read_facts(engine)
    assert facts.icpc_on is None

    monkeypatch.setattr(records_module, "fold_records", real_fold)
    write(engine, NAMED)  # the case's next record folds them all again
    [facts] = read_facts(engine)
    assert facts.icpc_on == date(2027, 1, 4)


def test_a_conference_s_own_records_make_no_journey(engine: Engine) -> None:
    write(engine, record("book-1", "conference_booked", date(2026, 12, 10), workflow_id="cpj-conf-ICPC-0001"))

    assert stored(engine) == []


def test_a_database_with_records_from_before_the_facts_is_rebuilt_from_them(engine: Engine) -> None:
    write(engine, DISCUSSION, ICPC, NAMED)
    kept = read_facts(engine)
    with Session(engine) as session:
        session.execute(delete(CaseFactsRow))
        session.commit()

    assert rebuild(engine) == 1
    assert read_facts(engine) == kept
    assert rebuild(engine) == 1 and read_facts(engine) == kept  # and again: the same rows
