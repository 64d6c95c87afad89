"""The records database: the one place journey records and notifications are stored.

SQLite file under the data folder by default; set ``CPJ_DATABASE_URL`` to a
PostgreSQL URL (``postgresql+psycopg://...``) in production. The tables are the models below,
created and changed by Alembic revisions (activities/migrations), never by ``create_all``.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, event
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


def make_engine(url: str | None = None) -> Engine:
    """An engine on a records schema upgraded to the newest revision; fails at once if the database is unreachable.

    Every start upgrades (the worker's, ``cpj up``'s, a test's): at head it is one read of the version
    table, and a worker can then never write to a schema older than its models.
    """
    engine = bare_engine(url)
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


def wait_for_database(url: str | None = None, *, seconds: float | None = None) -> Engine:
    """``make_engine`` (the upgrade included), waiting up to ``seconds`` for a database that is not up yet.

    A worker started together with its database (or during a database restart)
    waits and says so once per attempt, rather than exiting.
    """
    url = url or database_url()
    if seconds is None:
        seconds = float(os.environ.get("CPJ_DATABASE_WAIT_SECONDS") or DATABASE_WAIT_SECONDS)
    engine = _engine(url)
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


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pool_pre_ping: a pooled connection from before a database restart is replaced, not failed on.
    return create_engine(url, hide_parameters=True, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # The busy timeout first: switching to WAL itself may have to wait for a lock.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # WAL: readers (the admin tool) never block the worker's writes, nor writes the readers.
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _one_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"
