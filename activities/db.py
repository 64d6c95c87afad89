"""The records database: the one place journey records and notifications are stored.

SQLite file under the data folder by default; set ``CPJ_DATABASE_URL`` to a
PostgreSQL URL (``postgresql+psycopg://...``) in production.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, create_engine


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
    url = url or database_url()
    engine = create_engine(url, connect_args={"check_same_thread": False} if url.startswith("sqlite") else {})
    SQLModel.metadata.create_all(engine)
    return engine
