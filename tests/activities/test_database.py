"""The records database at start: a worker started before its database waits for it, for a while."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from structlog.testing import capture_logs

from activities.db import JourneyRecord, wait_for_database
from activities.db import _engine as connections_to


def test_a_worker_started_before_its_database_waits_for_it_and_says_so(tmp_path: Path) -> None:
    not_yet = tmp_path / "not-mounted-yet"  # SQLite cannot open a file in a folder that is not there
    threading.Timer(2.5, not_yet.mkdir).start()

    with capture_logs() as logs:
        engine = wait_for_database(f"sqlite:///{not_yet / 'records.db'}", seconds=60)

    with Session(engine) as session:
        assert session.exec(select(JourneyRecord)).all() == []
    waits = [entry for entry in logs if entry["event"] == "database not reachable yet"]
    # One line per attempt, backing off: 1 s, then 2 s (the folder appears at 2.5 s).
    assert [entry["attempt"] for entry in waits] == list(range(1, len(waits) + 1)) and len(waits) >= 2
    assert [entry["retry_in_s"] for entry in waits][:2] == [1.0, 2.0]
    assert all(entry["error"] == "OperationalError: unable to open database file" for entry in waits)
    engine.dispose()


def test_a_database_that_never_comes_is_given_up_on(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(OperationalError):
        wait_for_database(f"sqlite:///{tmp_path / 'never' / 'records.db'}", seconds=2)
    assert time.monotonic() - started < 5


def test_workers_opening_a_new_records_file_at_the_same_moment_all_get_in(tmp_path: Path) -> None:
    # Each connection switches a new file to WAL, and SQLite refuses the switch at once, without
    # waiting, to one that catches another halfway through its own: eight at once, on a hundred new files
    # (before the switch was tried again, a few of every 320 were refused).
    for attempt in range(100):
        url = f"sqlite:///{tmp_path / f'records-{attempt}.db'}"
        together = threading.Barrier(8)

        def open_it(_: int) -> str:
            engine = connections_to(url)  # without the upgrade, whose own lock would space them out
            together.wait()
            try:
                with engine.connect() as connection:
                    return connection.execute(text("PRAGMA journal_mode")).scalar_one()
            finally:
                engine.dispose()

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(open_it, range(8))) == ["wal"] * 8
