"""Writes a journey's records. Idempotent: the record key is the primary key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio import activity

from activities.db import JourneyRecord
from activities.log import get_logger
from domain.effects import RecordRequest, RecordResult


class RecordActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="write_record")
    def write_record(self, request: RecordRequest) -> RecordResult:
        log = get_logger(__name__, case_ref=request.case_ref, workflow_id=request.workflow_id, record=request.key)
        with Session(self._engine) as session:
            if session.get(JourneyRecord, request.key) is not None:
                log.info("record already written", kind=request.kind)
                return RecordResult(key=request.key, created=False)
            session.add(
                JourneyRecord(**request.model_dump(), written_at=datetime.now(UTC))
            )
            try:
                session.commit()
            except IntegrityError:
                # A concurrent attempt of the same activity won the insert.
                session.rollback()
                return RecordResult(key=request.key, created=False)
        log.info("record written", kind=request.kind)
        return RecordResult(key=request.key, created=True)
