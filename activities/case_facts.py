"""The read model the reports and the census read: each journey's facts, refolded from its records.

The record writer folds the facts in the same transaction as every record it writes (:func:`fold_records`,
:func:`store_facts`), and calls :func:`refresh_case` when a retry finds the record already written, so the
facts never wait for a scan of Temporal. A refresh folds all of the
case's journey records again (``domain.case_facts.fold_case``) and writes what they say: doing it twice
leaves the same rows, which is what makes a retried activity harmless. ``cpj report rebuild`` refreshes
every case, for a database that had records before this table existed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from activities.db import CaseFactsRow, JourneyRecord
from domain.case_facts import JourneyFacts, fold_case, from_json, to_json
from shipped.released import authority_of


def refresh_case(engine: Engine, case_ref: str) -> list[JourneyFacts]:
    """Fold ``case_ref``'s journey records again and store each journey's facts (idempotent)."""
    for attempt in (1, 2):
        with Session(engine) as session:
            folded = fold_records(session, case_ref)
            store_facts(session, case_ref, folded)
            try:
                session.commit()
                return folded
            except IntegrityError:
                # Another writer of the same case inserted a row first: fold again over what it wrote.
                session.rollback()
                if attempt == 2:
                    raise
    return []  # unreachable: the second attempt returns or raises


def fold_records(session: Session, case_ref: str) -> list[JourneyFacts]:
    """Each of ``case_ref``'s journeys' facts, from its records as ``session`` sees them (its own writes too)."""
    records = session.exec(select(JourneyRecord).where(JourneyRecord.case_ref == case_ref)).all()
    return fold_case(records, authority_of)


def store_facts(session: Session, case_ref: str, folded: list[JourneyFacts]) -> None:
    """Write ``folded`` as ``case_ref``'s facts rows in ``session``'s transaction (the caller commits)."""
    now = datetime.now(UTC)
    session.execute(delete(CaseFactsRow).where(
        col(CaseFactsRow.case_ref) == case_ref,
        col(CaseFactsRow.journey).not_in([facts.journey for facts in folded])))
    for facts in folded:
        row = session.get(CaseFactsRow, facts.journey)
        stored = to_json(facts)
        if row is None:
            session.add(CaseFactsRow(journey=facts.journey, case_ref=case_ref, profile_id=facts.profile_id,
                                     team=facts.team, facts=stored, updated_at=now))
        elif row.facts != stored or row.team != facts.team or row.profile_id != facts.profile_id:
            row.facts, row.team, row.profile_id, row.updated_at = stored, facts.team, facts.profile_id, now
            session.add(row)


def rebuild(engine: Engine) -> int:
    """Refresh every case that has records: how an existing database gets its facts. Returns the journeys."""
    with Session(engine) as session:
        case_refs = session.exec(select(JourneyRecord.case_ref).distinct()).all()
    return sum(len(refresh_case(engine, case_ref)) for case_ref in sorted(case_refs))


def read_facts(engine: Engine, *, profile_id: str | None = None, team: str | None = None) -> list[JourneyFacts]:
    """The journeys' facts, of one authority's profile and one team if given."""
    query = select(CaseFactsRow)
    if profile_id:
        query = query.where(CaseFactsRow.profile_id == profile_id)
    if team:
        query = query.where(CaseFactsRow.team == team)
    with Session(engine) as session:
        return [from_json(row.facts) for row in session.exec(query.order_by(col(CaseFactsRow.journey))).all()]
