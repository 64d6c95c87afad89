"""The records database: the one place journey records and notifications are stored.

SQLite file under the data folder by default; set ``CPJ_DATABASE_URL`` to a
PostgreSQL URL (``postgresql+psycopg://...``) in production. The tables are the models below,
created and changed by Alembic revisions (activities/migrations), never by ``create_all``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Field, SQLModel, create_engine
from temporalio.exceptions import ApplicationError

from activities.log import get_logger

if TYPE_CHECKING:
    from activities.migrations import Upgraded

# A writer waits this long for another one's lock instead of failing after SQLite's default 5 s.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long a worker started before its database waits for it (CPJ_DATABASE_WAIT_SECONDS).
DATABASE_WAIT_SECONDS = 300.0


def data_dir() -> Path:
    path = Path(os.environ.get("CPJ_DATA_DIR", "data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    return os.environ.get("CPJ_DATABASE_URL") or f"sqlite:///{data_dir() / 'records.db'}"


class JourneyRecord(SQLModel, table=True):
    __tablename__ = "journey_record"

    key: str = Field(primary_key=True, description="workflow id / event id / what: one row per effect")
    case_ref: str = Field(index=True)
    workflow_id: str
    kind: str = Field(index=True)
    occurred_on: date
    summary: str
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    written_at: datetime


class NotificationLog(SQLModel, table=True):
    __tablename__ = "notification"

    reference: str = Field(primary_key=True, description="deterministic: a retry finds the first send")
    case_ref: str = Field(index=True)
    workflow_id: str
    template: str
    recipient_role: str
    subject: str
    status: str = Field(description="pending until the sender confirms, then sent")
    sent_at: datetime | None = None



# -- who may sign in (revision 0002): people, their sessions, one-time links and service keys --------------
# Secrets are never stored: a password as its argon2 hash, a session token, a link's token and a
# service key as their sha256 (each is high-entropy and random, so a plain hash is enough).


class Account(SQLModel, table=True):
    """A local account (the embedded default, without an identity provider): a staff number, never a name."""

    __tablename__ = "account"

    staff_ref: str = Field(primary_key=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    password_hash: str
    disabled: bool = False
    created_at: datetime


class WebSession(SQLModel, table=True):
    """A signed-in person's session: the cookie holds the token, this row its hash and what it allows."""

    __tablename__ = "web_session"

    token_hash: str = Field(primary_key=True)
    staff_ref: str = Field(index=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: "local" (an account here) or "oidc" (the council's identity provider).
    signed_in_with: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime = Field(description="the absolute end, however active the session")


class OneTimeLink(SQLModel, table=True):
    """A link printed once (the first administrator's): single use, expiring."""

    __tablename__ = "one_time_link"

    token_hash: str = Field(primary_key=True)
    purpose: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class ServiceKey(SQLModel, table=True):
    """A service's key for the API: the event types it may send; revoked keys are kept, refused."""

    __tablename__ = "service_key"

    name: str = Field(primary_key=True)
    key_hash: str = Field(unique=True)
    may_send: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    revoked_at: datetime | None = None


# -- The register (seed 002, 57-61): a child's identity for matching, and every enquiry -------------
# NHS numbers and UPRNs are kept here and nowhere else: never in Temporal, a log line or a letter.


class ChildLink(SQLModel, table=True):
    """A case linked to its child's NHS number and home address (as a UPRN), by operations staff."""

    __tablename__ = "register_child_link"

    case_ref: str = Field(primary_key=True)
    nhs_number: str = Field(index=True)
    uprn: str | None = Field(default=None, index=True)
    linked_by: str = Field(description="staff number of whoever linked it")
    linked_at: datetime


class RegisterEnquiry(SQLModel, table=True):
    """One enquiry to the register: who asked (staff number, profession), about whom, what they were told."""

    __tablename__ = "register_enquiry"

    enquiry_id: str = Field(primary_key=True)
    asked_at: datetime
    enquirer: str = Field(description="staff number (or service:<name>) of the enquirer")
    profession: str
    nhs_number: str = Field(index=True)
    uprn: str | None = None
    outcome: str = Field(index=True)
    case_ref: str | None = None
    key_worker: str | None = None
    advice: str


class RegisterNotice(SQLModel, table=True):
    """Someone told of an enquiry: the key worker's list of enquiries, and the letter sent to the role."""

    __tablename__ = "register_notice"

    reference: str = Field(primary_key=True, description="the letter's reference: register/<enquiry id>/<n>")
    enquiry_id: str = Field(index=True)
    recipient_role: str
    staff_ref: str | None = Field(default=None, index=True)
    case_ref: str | None = None
    why: str


# -- The audit log (revision 0003): every change and every view of a case, by whom, from where -------------
# Append-only: nothing in the code updates or deletes a row, and the database refuses to (triggers).


class AuditEntry(SQLModel, table=True):
    """One thing someone did or looked at: who (staff number or ``service:<name>``, never a name), what,
    which case (or conference, or complaint), when, from where, and whether it was allowed."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor: str = Field(index=True, description="a staff number, or service:<key name>")
    actor_kind: str = Field(description="person, service or cli")
    action: str = Field(description="the permissions table's action, e.g. read_case")
    what: str = Field(description="view, list, or the event's type")
    case_ref: str | None = Field(default=None, index=True)
    subject_ref: str | None = Field(default=None, index=True, description="a conference's or complaint's reference")
    outcome: str = Field(description="done, refused (by the table), or failed (the answer's status)")
    status: int | None = Field(default=None, description="the HTTP status answered; none from the command line")
    via: str = Field(description="page, api or cli")
    client_address: str | None = None


# -- Imports of open cases (revision 0005): each run's progress and every row's outcome --------------
# Kept here, not in the process that runs the import, so the progress page survives a reload and the
# report stays once the run has ended. A case reference is kept only where the row's was one.


class ImportRun(SQLModel, table=True):
    """One import of a CSV file of open cases: who ran it, how far it has got, and what became of the rows."""

    __tablename__ = "import_run"

    run_id: str = Field(primary_key=True)
    started_at: datetime = Field(index=True)
    started_by: str = Field(description="staff number of whoever ran it")
    via: str = Field(description="page or cli")
    dry_run: bool = Field(default=False, description="rows checked only: nothing started")
    status: str = Field(description="running, finished, or refused (the file as a whole)")
    total: int = Field(default=0, description="rows in the file")
    done: int = 0
    started: int = 0
    already_imported: int = 0
    refused: int = 0
    problem: str | None = Field(default=None, description="why the file, or the run, could not go on, in words")
    updated_at: datetime
    finished_at: datetime | None = None


class ImportRowOutcome(SQLModel, table=True):
    """What became of one row of an import: started, already imported, refused (and why), or would start."""

    __tablename__ = "import_row"

    run_id: str = Field(primary_key=True)
    row: int = Field(primary_key=True, description="the row's number as a spreadsheet shows it (the header is 1)")
    case_ref: str | None = Field(default=None, index=True, description="none where the row's was not a case reference")
    outcome: str = Field(description="started, already_imported, refused or would_start")
    reason: str | None = None


# -- The timeliness read model (revision 0006): each journey's facts, kept by the record writer -------------
# Folded from the journey's own records (``domain.case_facts``) each time one is written, so the reports and
# the census read one row per journey instead of Temporal. Rebuilt from journey_record by ``cpj report rebuild``.


class CaseFactsRow(SQLModel, table=True):
    """One journey's facts as the reports count them (``domain.case_facts.to_json``): references, dates, no names."""

    __tablename__ = "case_facts"

    journey: str = Field(primary_key=True, description="the journey's workflow id and first run id")
    case_ref: str = Field(index=True)
    profile_id: str | None = Field(default=None, index=True, description="the authority's profile")
    team: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime


def pool_for(activities: int) -> dict[str, int]:
    """The connection pool a worker running ``activities`` record writes and letters at once needs.

    Each running activity holds one connection (a record and its case's facts share one transaction), and
    the worker's heartbeat one more: ``activities + 1`` kept, and as many again allowed as headroom (a
    connection being replaced after a database restart, a letter's log). SQLAlchemy's default (5, and 10
    more) made a worker with more than fourteen activities wait on its own pool.
    """
    return {"pool_size": activities + 1, "max_overflow": activities}


def make_engine(url: str | None = None, *, activities: int | None = None) -> Engine:
    """An engine on a records schema upgraded to the newest revision; fails at once if the database is unreachable.

    Every start upgrades (the worker's, ``cpj up``'s, a test's): at head it is one read of the version
    table, and a worker can then never write to a schema older than its models.
    """
    engine = _engine(url or database_url(), activities)
    try:
        upgrade_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def bare_engine(url: str | None = None) -> Engine:
    """An engine on the records database as it is: no upgrade (``cpj db current``, the migrations themselves)."""
    return _engine(url or database_url())


def upgrade_schema(engine: Engine) -> Upgraded:
    # Alembic is imported only where a database is opened, not by everything that reads the models.
    from activities.migrations import upgrade

    return upgrade(engine)


def wait_for_database(url: str | None = None, *, seconds: float | None = None,
                      activities: int | None = None) -> Engine:
    """``make_engine`` (the upgrade included), waiting up to ``seconds`` for a database that is not up yet.

    ``activities`` sizes the connection pool for a worker running that many at once (:func:`pool_for`).

    A worker started together with its database (or during a database restart)
    waits and says so once per attempt, rather than exiting.
    """
    url = url or database_url()
    if seconds is None:
        seconds = float(os.environ.get("CPJ_DATABASE_WAIT_SECONDS") or DATABASE_WAIT_SECONDS)
    engine = _engine(url, activities)
    log = get_logger(__name__)
    deadline, delay, attempt = time.monotonic() + seconds, 1.0, 1
    while True:
        try:
            upgrade_schema(engine)
            return engine
        except OperationalError as error:
            if time.monotonic() + delay > deadline:
                engine.dispose()
                raise
            # The driver's message (host, port, reason) without the statement or the URL's password.
            log.warning("database not reachable yet", attempt=attempt, retry_in_s=delay, error=_one_line(error))
            time.sleep(delay)
            delay, attempt = min(delay * 2, 30.0), attempt + 1


def rejected(error: DBAPIError, what: str, *, kind: str) -> ApplicationError:
    """A non-retryable failure for data the database can never accept (a NUL byte, a value too long).

    The message names the database's error class only: the driver's message may quote the value.
    """
    orig = error.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    reason = type(orig).__name__ + (f" (SQLSTATE {code})" if code else "")
    return ApplicationError(f"the database refused {what}: {reason}", type=kind, non_retryable=True)


def _engine(url: str, activities: int | None = None) -> Engine:
    pool = pool_for(activities) if activities else {}
    if url.startswith("sqlite"):
        if make_url(url).database in (None, "", ":memory:"):
            pool = {}  # one connection per thread, not a pool
        engine = create_engine(url, hide_parameters=True, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pool_pre_ping: a pooled connection from before a database restart is replaced, not failed on.
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, **pool)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # The busy timeout first: switching to WAL itself may have to wait for a lock.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _in_wal_mode(cursor)
    finally:
        cursor.close()


def _in_wal_mode(cursor: Any) -> None:
    """WAL: readers (the admin tool) never block the worker's writes, nor writes the readers.

    The mode is kept in the file, so it is switched once. Switching needs the file to itself, and
    while another process opening the same new file holds it, SQLite refuses at once (without its
    busy handler, to avoid a deadlock): workers starting together on a new file try again, for as
    long as the busy timeout allows.
    """
    give_up = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as refused:
            if "locked" not in str(refused) or time.monotonic() > give_up:
                raise
            time.sleep(0.05)


def _one_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"
