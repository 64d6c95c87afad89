"""Sends notifications through one sender interface; each reference is sent once.

The default sender appends to ``notifications.jsonl`` in the data folder (and
logs it), which is what a local authority's test environment wants. GOV.UK
Notify plugs in behind the same ``NotificationSender`` interface: set
``CPJ_NOTIFY_SENDER=govuk-notify``, ``CPJ_NOTIFY_CONFIG`` (a JSON file mapping
recipient roles to addresses and our template names to Notify template ids) and
``CPJ_NOTIFY_API_KEY``. Requests carry roles, never addresses: the address is
looked up here, outside Temporal's history.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.db import NotificationLog, data_dir
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


NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
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
        timeout: float = 30,
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
            if 400 <= error.status_code < 500 and error.status_code != 429:
                raise ApplicationError(
                    f"GOV.UK Notify rejected the notification ({error.status_code}): {_notify_message(error)}",
                    non_retryable=True,
                    type="NotifyRejected",
                ) from error
            raise  # an outage: Temporal retries the activity
        get_logger(__name__, case_ref=request.case_ref, reference=request.reference).info(
            "accepted by GOV.UK Notify", notify_id=(response or {}).get("id"), template_id=template_id
        )


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
