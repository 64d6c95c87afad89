"""Sends notifications through one sender interface; each reference is sent once.

The default sender appends to ``notifications.jsonl`` in the data folder (and
logs it), which is what a local authority's test environment wants. GOV.UK
Notify plugs in behind the same ``NotificationSender`` interface: set
``CPJ_NOTIFY_SENDER=govuk-notify``, ``CPJ_NOTIFY_CONFIG`` (a JSON file mapping
recipient roles to addresses and our template names to Notify template ids) and
``CPJ_NOTIFY_API_KEY``. Requests carry roles, never addresses: the address is
looked up here, outside Temporal's history.

A letter is sent at most once wherever the sender can say whether it already
has a reference: a letter is claimed (``pending``), sent, then marked ``sent``;
an attempt that finds it ``pending`` (an earlier one died or lost its database
after sending) asks the sender before sending again.
"""

from __future__ import annotations

import contextvars
import json
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import structlog
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.db import NotificationLog, data_dir, rejected
from activities.log import get_logger
from activities.metrics import LETTERS, template_label
from domain.effects import NotificationRequest, NotificationResult


class NotificationSender(Protocol):
    def send(self, request: NotificationRequest) -> None: ...

    def already_sent(self, reference: str) -> bool:
        """Whether a notification with this reference went out (asked only of letters left pending)."""
        ...


class FileSender:
    """Appends each notification as one JSON line: readable by people and by tests."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, request: NotificationRequest) -> None:
        line = json.dumps({**request.model_dump(), "sent_at": datetime.now(UTC).isoformat()})
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def already_sent(self, reference: str) -> bool:
        with self._lock:
            if not self.path.exists():
                return False
            with self.path.open(encoding="utf-8") as handle:
                for line in handle:
                    try:
                        if json.loads(line).get("reference") == reference:
                            return True
                    except ValueError:  # a line cut short by a crash is not a letter
                        continue
        return False


NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
# Well inside the activity's start-to-close timeout, so an attempt never outlives its own send.
NOTIFY_TIMEOUT_S = 10.0
# GOV.UK Notify API keys are "{key name}-{service id}-{secret}", both ids being UUIDs.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_NOTIFY_API_KEY = re.compile(rf".+-{_UUID}-{_UUID}", re.IGNORECASE)


class GovUkNotifySender:
    """Sends each notification as an email through GOV.UK Notify.

    The recipient role is turned into an address and our template name into a
    Notify template id from the config (``templates["default"]`` serves any
    template without its own id). A role or template the config does not know,
    or Notify refusing the request (4xx other than 429), fails non-retryably:
    retrying cannot fix it. Notify outages (5xx, 429, no connection) raise as
    they are, so Temporal retries the activity.
    """

    def __init__(
        self,
        api_key: str,
        *,
        recipients: Mapping[str, str],
        templates: Mapping[str, str],
        base_url: str = NOTIFY_BASE_URL,
        timeout: float = NOTIFY_TIMEOUT_S,
    ) -> None:
        if not _NOTIFY_API_KEY.fullmatch(api_key or ""):
            # Never echo the key itself.
            raise ValueError("the GOV.UK Notify API key is not of the form {name}-{service id}-{secret}")
        self._api_key = api_key
        self.recipients = dict(recipients)
        self.templates = dict(templates)
        self.base_url = base_url
        self._timeout = timeout
        self._local = threading.local()  # the Notify client is not thread-safe: one per activity thread

    def __repr__(self) -> str:  # keeps the key out of any repr that gets logged
        return f"GovUkNotifySender(base_url={self.base_url!r}, roles={sorted(self.recipients)})"

    @classmethod
    def from_config(cls, path: Path | str | None = None, *, api_key: str | None = None) -> GovUkNotifySender:
        """From the JSON file at ``path`` (default ``CPJ_NOTIFY_CONFIG``) and ``CPJ_NOTIFY_API_KEY``."""
        path = path or os.environ.get("CPJ_NOTIFY_CONFIG")
        if not path:
            raise ValueError("CPJ_NOTIFY_CONFIG must name the GOV.UK Notify config file (JSON)")
        try:
            config = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise ValueError(f"cannot read the GOV.UK Notify config file {path}: {error.strerror}") from error
        except json.JSONDecodeError as error:
            raise ValueError(f"the GOV.UK Notify config file {path} is not valid JSON: {error}") from error
        if not isinstance(config, dict):
            raise ValueError(f"the GOV.UK Notify config file {path} must hold a JSON object")
        if "api_key" in config:
            raise ValueError(f"{path} holds an api_key: keep it out of the file and set CPJ_NOTIFY_API_KEY")
        for section in ("templates", "recipients"):
            value = config.get(section)
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ValueError(f"the GOV.UK Notify config file {path} needs {section!r}: an object of strings")
        api_key = api_key or os.environ.get("CPJ_NOTIFY_API_KEY")
        if not api_key:
            raise ValueError("CPJ_NOTIFY_API_KEY must hold the GOV.UK Notify API key")
        return cls(
            api_key,
            recipients=config["recipients"],
            templates=config["templates"],
            base_url=config.get("base_url") or NOTIFY_BASE_URL,
        )

    def _client(self) -> NotificationsAPIClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = NotificationsAPIClient(self._api_key, base_url=self.base_url, timeout=self._timeout)
            self._local.client = client
        return client

    def send(self, request: NotificationRequest) -> None:
        address = self.recipients.get(request.recipient_role)
        if not address:
            raise ApplicationError(
                f"no email address configured for recipient role {request.recipient_role!r}"
                f" (add it under 'recipients' in the GOV.UK Notify config)",
                non_retryable=True,
                type="NotifyConfigError",
            )
        template_id = self.templates.get(request.template) or self.templates.get("default")
        if not template_id:
            raise ApplicationError(
                f"no GOV.UK Notify template id configured for template {request.template!r} and no 'default'",
                non_retryable=True,
                type="NotifyConfigError",
            )
        try:
            response = self._client().send_email_notification(
                email_address=address,
                template_id=template_id,
                personalisation={"subject": request.subject, "body": request.body, "case_ref": request.case_ref},
                reference=request.reference,
            )
        except HTTPError as error:
            raise _refused_or_outage(error, "the notification") from error
        get_logger(__name__, case_ref=request.case_ref, reference=request.reference).info(
            "accepted by GOV.UK Notify", notify_id=(response or {}).get("id"), template_id=template_id
        )

    def already_sent(self, reference: str) -> bool:
        try:
            response = self._client().get_all_notifications(reference=reference)
        except HTTPError as error:
            raise _refused_or_outage(error, "the look-up by reference") from error
        return any(
            found.get("reference") == reference
            # Notify's own word for "not sent, send it again".
            and found.get("status") != "technical-failure"
            for found in (response or {}).get("notifications") or []
        )


def _refused_or_outage(error: HTTPError, what: str) -> Exception:
    if 400 <= error.status_code < 500 and error.status_code != 429:
        return ApplicationError(
            f"GOV.UK Notify rejected {what} ({error.status_code}): {_notify_message(error)}",
            non_retryable=True,
            type="NotifyRejected",
        )
    return error  # an outage: Temporal retries the activity


def _notify_message(error: HTTPError) -> str:
    message: Any = error.message
    if isinstance(message, list):  # Notify's {"errors": [{"error": ..., "message": ...}]}
        return "; ".join(str(item.get("message", item)) if isinstance(item, dict) else str(item) for item in message)
    return str(message)


NOTIFY_SENDERS = ("file", "govuk-notify")


def sender_from_config() -> NotificationSender:
    """The sender ``CPJ_NOTIFY_SENDER`` names: ``file`` (default) or ``govuk-notify``."""
    kind = os.environ.get("CPJ_NOTIFY_SENDER", "").strip() or "file"
    if kind == "file":
        return FileSender(data_dir() / "notifications.jsonl")
    if kind == "govuk-notify":
        return GovUkNotifySender.from_config()
    raise ValueError(f"CPJ_NOTIFY_SENDER is {kind!r}; it must be one of {', '.join(NOTIFY_SENDERS)}")


# Marking a letter sent is retried here, so a database blip right after a send does not fail the
# activity; if it still fails, the next attempt finds the letter pending and asks the sender.
MARK_SENT_RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0)
HEARTBEAT_EVERY_S = 2.0


class NotifyActivities:
    def __init__(self, engine: Engine, sender: NotificationSender) -> None:
        self._engine = engine
        self._sender = sender

    @activity.defn(name="send_notification")
    def send_notification(self, request: NotificationRequest) -> NotificationResult:
        template = template_label(request.template)
        try:
            result = self._send_once(request)
        except Exception as error:
            # A non-retryable refusal is final: the journey records the letter as undelivered. Anything
            # else is tried again by Temporal, so it is a failed attempt, not a lost letter.
            undelivered = isinstance(error, ApplicationError) and error.non_retryable
            LETTERS.labels(template=template, outcome="undelivered" if undelivered else "failed").inc()
            raise
        LETTERS.labels(template=template, outcome="sent" if result.sent else "already_sent").inc()
        return result

    def _send_once(self, request: NotificationRequest) -> NotificationResult:
        log = get_logger(
            __name__, case_ref=request.case_ref, workflow_id=request.workflow_id, reference=request.reference
        )
        with _heartbeating():
            earlier = self._claim(request)
            if earlier == "sent":
                log.info("notification already sent", template=request.template)
                return NotificationResult(reference=request.reference, sent=False)
            if earlier == "pending" and self._sender.already_sent(request.reference):
                self._mark_sent(request.reference, log)
                log.info("notification found sent by an earlier attempt", template=request.template)
                return NotificationResult(reference=request.reference, sent=False)
            self._sender.send(request)
            self._mark_sent(request.reference, log)
        log.info("notification sent", template=request.template, to=request.recipient_role)
        return NotificationResult(reference=request.reference, sent=True)

    def _claim(self, request: NotificationRequest) -> str | None:
        """The status an earlier attempt left (``pending`` or ``sent``), or None once this one has claimed it."""
        with Session(self._engine) as session:
            row = session.get(NotificationLog, request.reference)
            if row is not None:
                return row.status
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
            except DataError as error:
                session.rollback()
                raise rejected(error, f"notification {request.reference}", kind="NotificationRejected") from None
            except IntegrityError:
                # An attempt that timed out but still runs claimed it at the same moment: try again
                # later, when its send has ended one way or the other and the claim says which.
                session.rollback()
                raise ApplicationError(
                    f"notification {request.reference} is being sent by another attempt", type="NotificationBusy"
                ) from None
            return None

    def _mark_sent(self, reference: str, log: structlog.stdlib.BoundLogger) -> None:
        for attempt, delay in enumerate((*MARK_SENT_RETRY_DELAYS_S, None), start=1):
            try:
                with Session(self._engine) as session:
                    row = session.get(NotificationLog, reference)
                    row.status, row.sent_at = "sent", datetime.now(UTC)
                    session.add(row)
                    session.commit()
                return
            except (OperationalError, InterfaceError) as error:  # a lock or a lost connection
                if delay is None:
                    raise
                log.warning(
                    "could not mark the notification sent; retrying",
                    attempt=attempt, retry_in_s=delay, error=type(error.orig).__name__,
                )
                time.sleep(delay)


@contextmanager
def _heartbeating(every: float = HEARTBEAT_EVERY_S) -> Iterator[None]:
    """Heartbeats from a helper thread for as long as the block runs.

    A send waiting on Notify or a claim waiting on a lock still shows a live worker, and a worker
    that dies is noticed within the heartbeat timeout instead of the whole start-to-close timeout.
    """
    timeout = activity.info().heartbeat_timeout
    if timeout:
        every = min(every, timeout.total_seconds() / 3)
    activity.heartbeat()
    done = threading.Event()
    context = contextvars.copy_context()  # the activity's context, which heartbeat() needs

    def beat() -> None:
        while not done.wait(every):
            try:
                context.run(activity.heartbeat)
            except Exception:  # the worker is shutting down: start-to-close still bounds the attempt
                return

    thread = threading.Thread(target=beat, name="notify-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
