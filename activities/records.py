"""Writes a journey's records. Idempotent: the record key is the primary key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session
from temporalio import activity

from activities.db import JourneyRecord, rejected
from activities.log import get_logger
from domain.effects import RecordRequest, RecordResult


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
        with Session(self._engine) as session:
            if session.get(JourneyRecord, request.key) is not None:
                log.info("record already written", kind=request.kind)
                return RecordResult(key=request.key, created=False)
            session.add(JourneyRecord(**request.model_dump(), written_at=datetime.now(UTC)))
            try:
                session.commit()
            except DataError as error:
                session.rollback()
                raise rejected(error, f"record {request.key}", kind="RecordRejected") from None
            except IntegrityError as error:
                session.rollback()
                if session.get(JourneyRecord, request.key) is None:  # not a duplicate key: a constraint
                    raise rejected(error, f"record {request.key}", kind="RecordRejected") from None
                # A concurrent attempt of the same activity won the insert.
                return RecordResult(key=request.key, created=False)
        log.info("record written", kind=request.kind)
        return RecordResult(key=request.key, created=True)
