"""Emails through GOV.UK Notify: to a role's address, once per reference, failing for the right reasons.

The Notify here is a real HTTP server on 127.0.0.1 that answers POST /v2/notifications/email and
GET /v2/notifications?reference= as Notify does: it checks the bearer JWT against the API key's
service id and secret, records the request and replies 201 (or, when told, 400 or 500) with
Notify's JSON shapes.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.db import NotificationLog, make_engine
from activities.notify import FileSender, GovUkNotifySender, NotifyActivities, sender_from_config
from domain.effects import NotificationRequest

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"test-{SERVICE_ID}-{SECRET}"
ESCALATION_TEMPLATE = str(uuid.uuid4())
DEFAULT_TEMPLATE = str(uuid.uuid4())
TEAM_MANAGERS = "cp-team-managers@example.gov.uk"

ESCALATION = NotificationRequest(
    reference="cpj-CASE-0001/sd-1/icpc-overdue-2027-01-12", case_ref="CASE-0001", workflow_id="cpj-CASE-0001",
    template="overdue_escalation", recipient_role="team_manager", subject="Overdue: ICPC for case CASE-0001",
    body="Initial child protection conference not held by its deadline 2027-01-12.",
)

TEAM_ONLY_KEY = "Can't send to this recipient using a team-only API key"


class FakeNotify:
    """What the fake Notify received, and how it should answer the next requests."""

    def __init__(self) -> None:
        self.emails: list[dict[str, Any]] = []
        self.answer = "accept"  # or "reject" (400) or "outage" (500)
        self.status = "sending"  # what a look-up reports for the emails accepted so far
        self.lookups: list[str] = []
        self.seconds_to_answer = 0.0  # a slow Notify
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        notify = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def error(self, status: int, error: str, message: str) -> None:
                self.reply(status, {"errors": [{"error": error, "message": message}], "status_code": status})

            def authorised(self) -> bool:
                scheme, _, token = self.headers.get("Authorization", "").partition(" ")
                if scheme != "Bearer" or not token:
                    self.error(401, "AuthError", "Unauthorized: authentication token must be provided")
                    return False
                try:
                    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
                except jwt.InvalidTokenError:
                    self.error(403, "AuthError", "Invalid token: signature, api token not found")
                    return False
                if claims.get("iss") != SERVICE_ID:
                    self.error(403, "AuthError", "Invalid token: service not found")
                    return False
                return True

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != "/v2/notifications":
                    return self.error(404, "NotFoundError", "Not found")
                if not self.authorised():
                    return None
                if notify.answer == "outage":
                    return self.error(500, "Exception", "Internal server error")
                [reference] = parse_qs(url.query).get("reference", [""])
                notify.lookups.append(reference)
                found = [
                    {"id": str(uuid.uuid4()), "reference": email["reference"], "type": "email",
                     "email_address": email["email_address"], "status": notify.status,
                     "created_at": datetime.now(UTC).isoformat()}
                    for email in notify.emails if email.get("reference") == reference
                ]
                self.reply(200, {"notifications": found,
                                 "links": {"current": f"{notify.base_url}/v2/notifications?{url.query}"}})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path != "/v2/notifications/email":
                    return self.error(404, "NotFoundError", "Not found")
                if not self.authorised():
                    return None
                if notify.answer == "outage":
                    return self.error(500, "Exception", "Internal server error")
                if notify.answer == "reject":
                    return self.error(400, "BadRequestError", TEAM_ONLY_KEY)
                time.sleep(notify.seconds_to_answer)
                notify.emails.append(body)
                notification_id = str(uuid.uuid4())
                self.reply(201, {
                    "id": notification_id,
                    "reference": body.get("reference"),
                    "content": {
                        "subject": body["personalisation"]["subject"],
                        "body": body["personalisation"]["body"],
                        "from_email": "cp-journeys@notifications.service.gov.uk",
                    },
                    "uri": f"{notify.base_url}/v2/notifications/{notification_id}",
                    "template": {
                        "id": body["template_id"], "version": 1,
                        "uri": f"{notify.base_url}/services/{SERVICE_ID}/templates/{body['template_id']}",
                    },
                })

        return Handler

    def __enter__(self) -> FakeNotify:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with FakeNotify() as server:
        yield server


def write_config(path: Path, base_url: str, **overrides: Any) -> Path:
    config = {
        "base_url": base_url,
        "templates": {"overdue_escalation": ESCALATION_TEMPLATE, "default": DEFAULT_TEMPLATE},
        "recipients": {"team_manager": TEAM_MANAGERS, "social_worker": "cp-duty-team@example.gov.uk"},
        **overrides,
    }
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.fixture
def sender(notify: FakeNotify, tmp_path: Path) -> GovUkNotifySender:
    return GovUkNotifySender.from_config(write_config(tmp_path / "notify.json", notify.base_url), api_key=API_KEY)


def test_an_overdue_escalation_goes_to_the_team_managers_address_with_our_reference(
    notify: FakeNotify, sender: GovUkNotifySender
) -> None:
    sender.send(ESCALATION)

    assert notify.emails == [{
        "email_address": TEAM_MANAGERS,
        "template_id": ESCALATION_TEMPLATE,
        "personalisation": {"subject": ESCALATION.subject, "body": ESCALATION.body, "case_ref": "CASE-0001"},
        "reference": ESCALATION.reference,
    }]


def test_a_template_without_its_own_id_uses_the_default(notify: FakeNotify, sender: GovUkNotifySender) -> None:
    sender.send(ESCALATION.model_copy(update={"template": "strategy_reminder", "reference": "cpj-CASE-0001/x/y"}))

    assert [email["template_id"] for email in notify.emails] == [DEFAULT_TEMPLATE]


def test_an_escalation_sent_twice_sends_one_email(
    notify: FakeNotify, sender: GovUkNotifySender, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    activities = NotifyActivities(engine, sender)
    first = ActivityEnvironment().run(activities.send_notification, ESCALATION)
    retry = ActivityEnvironment().run(activities.send_notification, ESCALATION)

    assert (first.sent, retry.sent) == (True, False)
    assert [email["reference"] for email in notify.emails] == [ESCALATION.reference]
    with Session(engine) as session:
        assert session.get(NotificationLog, ESCALATION.reference).status == "sent"
    engine.dispose()


def left_pending(engine: Engine, request: NotificationRequest) -> None:
    """What a worker killed between sending a letter and marking it sent leaves in the database."""
    with Session(engine) as session:
        session.add(NotificationLog(
            reference=request.reference, case_ref=request.case_ref, workflow_id=request.workflow_id,
            template=request.template, recipient_role=request.recipient_role, subject=request.subject,
            status="pending",
        ))
        session.commit()


def test_an_escalation_notify_accepted_before_the_worker_died_is_not_emailed_again(
    notify: FakeNotify, sender: GovUkNotifySender, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    sender.send(ESCALATION)
    left_pending(engine, ESCALATION)

    retry = ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, ESCALATION)

    assert not retry.sent
    assert notify.lookups == [ESCALATION.reference]
    assert [email["reference"] for email in notify.emails] == [ESCALATION.reference]
    with Session(engine) as session:
        assert session.get(NotificationLog, ESCALATION.reference).status == "sent"
    engine.dispose()


def test_an_escalation_left_pending_that_notify_never_received_is_emailed(
    notify: FakeNotify, sender: GovUkNotifySender, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    left_pending(engine, ESCALATION)

    retry = ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, ESCALATION)

    assert retry.sent
    assert [email["reference"] for email in notify.emails] == [ESCALATION.reference]
    engine.dispose()


def test_an_escalation_notify_reports_as_a_technical_failure_is_emailed_again(
    notify: FakeNotify, sender: GovUkNotifySender, tmp_path: Path
) -> None:
    # Notify's documented meaning of technical-failure: not sent, send it again.
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    sender.send(ESCALATION)
    notify.status = "technical-failure"
    left_pending(engine, ESCALATION)

    assert ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, ESCALATION).sent
    assert len(notify.emails) == 2
    engine.dispose()


def test_a_letter_left_pending_during_a_notify_outage_waits_for_notify_to_answer(
    notify: FakeNotify, sender: GovUkNotifySender, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    left_pending(engine, ESCALATION)
    notify.answer = "outage"
    with pytest.raises(Exception) as failure:
        ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, ESCALATION)

    assert not (isinstance(failure.value, ApplicationError) and failure.value.non_retryable)
    assert notify.emails == []


def test_a_role_with_no_address_fails_without_retrying_and_sends_nothing(
    notify: FakeNotify, sender: GovUkNotifySender, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    to_the_lado = ESCALATION.model_copy(update={"recipient_role": "lado"})
    with pytest.raises(ApplicationError) as failure:
        ActivityEnvironment().run(NotifyActivities(engine, sender).send_notification, to_the_lado)

    assert failure.value.non_retryable and failure.value.type == "NotifyConfigError"
    assert "no email address configured for recipient role 'lado'" in failure.value.message
    assert notify.emails == []
    with Session(engine) as session:
        assert session.get(NotificationLog, ESCALATION.reference).status == "pending"
    engine.dispose()


def test_a_template_with_no_id_and_no_default_fails_without_retrying(notify: FakeNotify, tmp_path: Path) -> None:
    config = write_config(tmp_path / "notify.json", notify.base_url, templates={"icpc_invite": DEFAULT_TEMPLATE})
    with pytest.raises(ApplicationError) as failure:
        GovUkNotifySender.from_config(config, api_key=API_KEY).send(ESCALATION)

    assert failure.value.non_retryable and failure.value.type == "NotifyConfigError"
    assert "'overdue_escalation'" in failure.value.message
    assert notify.emails == []


def test_notify_rejecting_the_request_is_not_retried_and_says_why(
    notify: FakeNotify, sender: GovUkNotifySender, caplog: pytest.LogCaptureFixture
) -> None:
    notify.answer = "reject"
    with caplog.at_level(logging.DEBUG), pytest.raises(ApplicationError) as failure:
        sender.send(ESCALATION)

    assert failure.value.non_retryable and failure.value.type == "NotifyRejected"
    assert TEAM_ONLY_KEY in failure.value.message
    assert SECRET not in caplog.text and SECRET not in str(failure.value) and SECRET not in repr(sender)


@pytest.mark.parametrize("outage", ["500", "unreachable"])
def test_a_notify_outage_is_retried(notify: FakeNotify, tmp_path: Path, outage: str) -> None:
    notify.answer = "outage"
    base_url = notify.base_url if outage == "500" else "http://127.0.0.1:1"
    sender = GovUkNotifySender.from_config(write_config(tmp_path / "notify.json", base_url), api_key=API_KEY)
    with pytest.raises(Exception) as failure:
        sender.send(ESCALATION)

    # Anything but a non-retryable ApplicationError is retried by Temporal's retry policy.
    assert not (isinstance(failure.value, ApplicationError) and failure.value.non_retryable)
    assert notify.emails == []


def test_sender_from_config_picks_the_file_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CPJ_NOTIFY_SENDER", raising=False)
    monkeypatch.setenv("CPJ_DATA_DIR", str(tmp_path))
    sender = sender_from_config()

    assert isinstance(sender, FileSender) and sender.path == tmp_path / "notifications.jsonl"


def test_sender_from_config_picks_govuk_notify_when_configured(
    notify: FakeNotify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPJ_NOTIFY_SENDER", "govuk-notify")
    monkeypatch.setenv("CPJ_NOTIFY_CONFIG", str(write_config(tmp_path / "notify.json", notify.base_url)))
    monkeypatch.setenv("CPJ_NOTIFY_API_KEY", API_KEY)
    sender = sender_from_config()
    sender.send(ESCALATION)

    assert isinstance(sender, GovUkNotifySender)
    assert [email["email_address"] for email in notify.emails] == [TEAM_MANAGERS]


def test_sender_from_config_refuses_an_unknown_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPJ_NOTIFY_SENDER", "carrier-pigeon")
    with pytest.raises(ValueError, match="CPJ_NOTIFY_SENDER is 'carrier-pigeon'; it must be one of file, govuk-notify"):
        sender_from_config()


def test_govuk_notify_needs_its_api_key_from_the_environment_not_the_file(
    notify: FakeNotify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPJ_NOTIFY_SENDER", "govuk-notify")
    monkeypatch.setenv("CPJ_NOTIFY_CONFIG", str(write_config(tmp_path / "notify.json", notify.base_url)))
    monkeypatch.delenv("CPJ_NOTIFY_API_KEY", raising=False)
    with pytest.raises(ValueError, match="CPJ_NOTIFY_API_KEY"):
        sender_from_config()

    monkeypatch.setenv("CPJ_NOTIFY_CONFIG", str(write_config(tmp_path / "keyed.json", notify.base_url, api_key=API_KEY)))
    monkeypatch.setenv("CPJ_NOTIFY_API_KEY", API_KEY)
    with pytest.raises(ValueError, match="keep it out of the file") as failure:
        sender_from_config()
    assert SECRET not in str(failure.value)
