"""The real thing, breakable: a file-backed Temporal dev server and the worker as its own process.

Each can be killed and started again on the same files and ports, as an operator's machine would see
it: the server keeps its journeys in ``temporal.db``, the worker its records in ``records.db`` and its
letters in ``notifications.jsonl``. Every process started here is killed at teardown, pass or fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from temporalio.client import Client

from starter.client import Journeys
from starter.up import dev_server_command, wait_for_temporal

CPJ = str(Path(sys.executable).parent / "cpj")
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _die_with_the_tests() -> None:
    """On Linux, the kernel kills the child if pytest itself is killed before its teardown runs."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class _Process:
    """A child process in its own process group, so stopping it stops anything it started."""

    log: Path
    process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _launch(self, command: list[str], env: dict[str, str] | None = None) -> None:
        assert not self.running, "already running"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                preexec_fn=_die_with_the_tests,
            )

    def _signal(self, sig: int) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """kill -9: no chance to finish anything."""
        if self.process is None:
            return
        self._signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self, seconds: float = 20) -> None:
        """SIGTERM, as an operator stops it; SIGKILL if it does not go in time."""
        if not self.running:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class DevServer(_Process):
    """``temporal server start-dev`` on a file, so a restart finds every journey where it was."""

    data: Path = Path()
    port: int = 0

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> None:
        # No UI: one port fewer to find, nothing to look at in a test.
        self._launch([*dev_server_command(self.data, HOST, self.port, free_port()), "--headless"])


@dataclass
class WorkerProcess(_Process):
    """``cpj worker``, configured as an operator would, through the environment."""

    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self._launch([CPJ, "worker"], env={**os.environ, **self.env})


@dataclass
class FaultWorld:
    server: DevServer
    worker: WorkerProcess
    client: Client
    journeys: Journeys
    records_db: Path
    letters_file: Path
    _background: list[asyncio.Task] = field(default_factory=list)

    def in_background(self, coroutine) -> asyncio.Task:
        """A burst that goes on while the test breaks things; cancelled at teardown if a test fails first."""
        task = asyncio.create_task(coroutine)
        self._background.append(task)
        return task

    async def cancel_background(self) -> None:
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    async def restart_server(self) -> None:
        self.server.start()
        await wait_for_temporal(self.server.address)

    def records(self) -> list[tuple[str, str, str]]:
        """(case, kind, key) of every record; empty while the database cannot be read."""
        try:
            with contextlib.closing(sqlite3.connect(f"file:{self.records_db}?mode=rw", uri=True, timeout=2)) as db:
                return db.execute("SELECT case_ref, kind, key FROM journey_record").fetchall()
        except sqlite3.Error:
            return []

    def notification_status(self) -> dict[str, str]:
        """Each letter's reference and the worker's own note of it (``pending`` or ``sent``)."""
        try:
            with contextlib.closing(sqlite3.connect(f"file:{self.records_db}?mode=rw", uri=True, timeout=2)) as db:
                return dict(db.execute("SELECT reference, status FROM notification").fetchall())
        except sqlite3.Error:
            return {}

    def letters(self) -> list[dict]:
        """Every letter sent, in order; a line that is not a whole letter is a torn send, and fails."""
        if not self.letters_file.is_file():
            return []
        letters = []
        for number, line in enumerate(self.letters_file.read_text(encoding="utf-8").splitlines(), 1):
            try:
                letters.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise AssertionError(f"line {number} of the letters file is not a whole letter: {line!r}") from err
        return letters

    def letters_by_reference(self) -> Counter[str]:
        return Counter(letter["reference"] for letter in self.letters())

    @contextlib.contextmanager
    def records_locked(self) -> Iterator[None]:
        """Another program holds the records database's write lock (a backup, a long report)."""
        with contextlib.closing(sqlite3.connect(self.records_db, timeout=60, isolation_level=None)) as db:
            db.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                db.execute("ROLLBACK")

    @contextlib.contextmanager
    def records_away(self) -> Iterator[None]:
        """The records database is gone (its volume unmounted): no new connection can open it."""
        folder = self.records_db.parent
        away = folder.with_name(folder.name + "-away")
        folder.rename(away)
        try:
            yield
        finally:
            away.rename(folder)

    def diagnostics(self) -> str:
        return (f"--- worker log ---\n{_tail(self.worker.log)}\n"
                f"--- dev server log ---\n{_tail(self.server.log)}")


@pytest.fixture
async def fault_world(tmp_path: Path) -> AsyncIterator[FaultWorld]:
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "records").mkdir()
    records_db = tmp_path / "records" / "records.db"
    server = DevServer(log=tmp_path / "temporal-server.log", data=data, port=free_port())
    worker = WorkerProcess(log=tmp_path / "worker.log", env={
        "CPJ_TASK_QUEUE": f"faults-{uuid.uuid4().hex[:8]}",
        "CPJ_DATA_DIR": str(data),
        "CPJ_DATABASE_URL": f"sqlite:///{records_db}",
        "CPJ_NOTIFY_SENDER": "file",
        "CPJ_TEMPORAL_ADDRESS": server.address,
        "CPJ_TEMPORAL_NAMESPACE": "default",
    })
    world = None
    try:
        server.start()
        client = await wait_for_temporal(server.address)
        world = FaultWorld(server, worker, client, Journeys(client, worker.env["CPJ_TASK_QUEUE"]),
                           records_db, data / "notifications.jsonl")
        yield world
    finally:
        if world is not None:
            await world.cancel_background()
        worker.kill()
        server.kill()


async def wait_until(check, what: str, seconds: float, world: FaultWorld | None = None) -> None:
    """Poll ``check`` (sync) in real time; fail naming ``what`` and showing the logs if it never holds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while not check():
        if loop.time() > end:
            raise AssertionError(f"{what}: not within {seconds:g} s" + (f"\n{world.diagnostics()}" if world else ""))
        await asyncio.sleep(0.2)


def event_of(key: str) -> str:
    """The event id in a record key or letter reference (".../<event id>/<what>"); the parts before it (workflow,
    run) are the same for a journey."""
    return key.rsplit("/", 2)[-2]


def records_written(world: FaultWorld) -> Counter[tuple[str, str, str]]:
    """(case, kind, event id) of every record in the records database, counted."""
    return Counter((case, kind, event_of(key)) for case, kind, key in world.records())


def letters_sent(world: FaultWorld) -> Counter[tuple[str, str, str]]:
    """(case, template, event id) of every letter in the letters file, counted."""
    return Counter((letter["case_ref"], letter["template"], event_of(letter["reference"]))
                   for letter in world.letters())


def caught_up(world: FaultWorld, owed_records: Counter, owed_letters: Counter) -> bool:
    """Every record and letter owed is there and no letter is half way (claimed, not marked sent).

    Only then can "nothing twice" be judged: a letter still pending may yet be sent again.
    """
    return (not owed_records - records_written(world)
            and not owed_letters - letters_sent(world)
            and "pending" not in world.notification_status().values())


def each_owed_once(world: "FaultWorld", records: Counter, owed_records: Counter, letters: Counter,
                   owed_letters: Counter) -> None:
    """Every record and letter owed was written or sent once: none twice, none missing, nothing not owed."""
    assert records - owed_records == Counter(), "records written twice or not owed"
    assert letters - owed_letters == Counter(), "letters sent twice or not owed"
    twice = {reference: count for reference, count in world.letters_by_reference().items() if count > 1}
    assert twice == {}, "the same letter sent more than once"
    assert records == owed_records and letters == owed_letters
