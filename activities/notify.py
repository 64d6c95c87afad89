"""Sends notifications through one sender interface; each reference is sent once.

The default sender appends to ``notifications.jsonl`` in the data folder (and
logs it), which is what a local authority's test environment wants. GOV.UK
Notify plugs in behind the same ``NotificationSender`` interface.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio import activity

from activities.db import NotificationLog
from activities.log import get_logger
from domain.effects import NotificationRequest, NotificationResult


class NotificationSender(Protocol):
    def send(self, request: NotificationRequest) -> None: ...


class FileSender:
    """Appends each notification as one JSON line: readable by people and by tests."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, request: NotificationRequest) -> None:
        line = json.dumps({**request.model_dump(), "sent_at": datetime.now(UTC).isoformat()})
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


class NotifyActivities:
    def __init__(self, engine: Engine, sender: NotificationSender) -> None:
        self._engine = engine
        self._sender = sender

    @activity.defn(name="send_notification")
    def send_notification(self, request: NotificationRequest) -> NotificationResult:
        log = get_logger(
            __name__, case_ref=request.case_ref, workflow_id=request.workflow_id, reference=request.reference
        )
        if not self._claim(request):
            log.info("notification already sent", template=request.template)
            return NotificationResult(reference=request.reference, sent=False)
        self._sender.send(request)
        with Session(self._engine) as session:
            row = session.get(NotificationLog, request.reference)
            row.status, row.sent_at = "sent", datetime.now(UTC)
            session.add(row)
            session.commit()
        log.info("notification sent", template=request.template, to=request.recipient_role)
        return NotificationResult(reference=request.reference, sent=True)

    def _claim(self, request: NotificationRequest) -> bool:
        """True if this attempt should send: nobody has sent this reference yet."""
        with Session(self._engine) as session:
            row = session.get(NotificationLog, request.reference)
            if row is not None:
                # "pending" means an earlier attempt died between claim and send: send again.
                return row.status != "sent"
            session.add(
                NotificationLog(
                    reference=request.reference,
                    case_ref=request.case_ref,
                    workflow_id=request.workflow_id,
                    template=request.template,
                    recipient_role=request.recipient_role,
                    subject=request.subject,
                    status="pending",
                )
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True
