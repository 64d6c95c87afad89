"""Writes a journey's records, and keeps each journey's facts beside them (the reports' read model).

Idempotent: the record key is the primary key, and the facts are folded again from all of the case's
records each time (``activities.case_facts``), in the record's own transaction, so a retried write leaves
one record and the same facts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlmodel import Session
from temporalio import activity

from activities.case_facts import fold_records, refresh_case, store_facts
from activities.db import JourneyRecord, rejected
from activities.log import get_logger
from activities.metrics import count_overdue
from domain.effects import RecordRequest, RecordResult
from domain.events import workflow_id_for


class RecordActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="write_record")
    def write_record(self, request: RecordRequest) -> RecordResult:
        """Inserts the record once.

        Data the database can never accept fails without retrying (``RecordRejected``); a lock or a
        lost connection raises as it is, so Temporal retries.
        """
        log = get_logger(__name__, case_ref=request.case_ref, workflow_id=request.workflow_id, record=request.key)
        with_facts, conflicts = True, 0
        while True:  # ends: each turn returns, raises, drops the facts (once) or counts a conflict (twice at most)
            with Session(self._engine) as session:
                if session.get(JourneyRecord, request.key) is not None:
                    log.info("record already written", kind=request.kind)
                    session.close()
                    self._keep_facts(request, log)  # a retry after the record, before its facts: they catch up here
                    return RecordResult(key=request.key, created=False)
                session.add(JourneyRecord(**request.model_dump(), written_at=datetime.now(UTC)))
                try:
                    session.flush()  # the record on its own first: a value refused, or a duplicate, is known now
                except DataError as error:
                    session.rollback()
                    raise rejected(error, f"record {request.key}", kind="RecordRejected") from None
                except IntegrityError as error:
                    session.rollback()
                    if session.get(JourneyRecord, request.key) is None:  # not a duplicate key: a constraint
                        raise rejected(error, f"record {request.key}", kind="RecordRejected") from None
                    # A concurrent attempt of the same activity won the insert.
                    session.close()
                    self._keep_facts(request, log)
                    return RecordResult(key=request.key, created=False)
                try:
                    # The case's facts in the same transaction: one lock and one commit for both.
                    if with_facts and not self._fold_facts(session, request, log):
                        session.rollback()
                        with_facts = False  # the record alone, then: it is what counts
                        continue
                    session.commit()
                except IntegrityError:
                    # Another writer of the same case stored its facts first: both again, over what it wrote.
                    session.rollback()
                    conflicts += 1
                    if conflicts == 2:
                        raise
                    continue
            log.info("record written", kind=request.kind)
            count_overdue(request.kind)  # once: only the attempt that wrote the record counts its escalation
            return RecordResult(key=request.key, created=True)

    def _fold_facts(self, session: Session, request: RecordRequest, log) -> bool:
        """Fold the case's journey records (the new one included) into its facts, in ``session``'s transaction.

        False if they could not be: logged, and the caller writes the record alone (the record is what
        counts; see :meth:`_keep_facts`). A lock, a lost connection or another writer's facts row raises.
        """
        if request.workflow_id != workflow_id_for(request.case_ref):
            return True
        try:
            store_facts(session, request.case_ref, fold_records(session, request.case_ref))
            session.flush()
        except (OperationalError, IntegrityError):
            raise
        except Exception as error:  # noqa: BLE001 - the record stands, the facts catch up later
            log.warning("case facts not refreshed", kind=request.kind, error=type(error).__name__)
            return False
        return True

    def _keep_facts(self, request: RecordRequest, log) -> None:
        """Fold the case's journey records into its facts again (a journey's own records only).

        A lock or a lost connection raises, so Temporal retries (the record is there; the retry refreshes).
        Anything else is logged, not raised: the record is what counts, and a journey must not stall on its
        report; the next record of the case, or ``cpj report rebuild``, folds the facts again.
        """
        if request.workflow_id != workflow_id_for(request.case_ref):
            return
        try:
            refresh_case(self._engine, request.case_ref)
        except OperationalError:
            raise
        except Exception as error:  # noqa: BLE001 - see above: the record stands, the facts catch up later
            log.warning("case facts not refreshed", kind=request.kind, error=type(error).__name__)
