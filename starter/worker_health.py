"""The worker's health: a heartbeat file it writes while it can work, and the check that reads it (``cpj worker --health``).

A worker has no port to ask, so it says how it is the other way round. Every ``BEAT_SECONDS`` the
worker's own event loop checks that the worker is still running, that Temporal answers a cheap
call for its namespace and that the records database answers ``SELECT 1`` (each within a few
seconds), and only then writes the time to the heartbeat file. The check, run by the compose file
in the worker's container, passes when that time is younger than ``STALE_SECONDS``.

So a worker that is wedged fails it: an event loop blocked by something (where workflow tasks are
handed out) writes nothing, nor does a worker that has lost Temporal or its database, or has stopped.
A check that asked Temporal and the database from a process of its own would pass for a worker
that is hung, which is the failure worth catching. The file is removed when the worker stops.

The file is ``CPJ_WORKER_HEARTBEAT_FILE`` (default ``cpj-worker.heartbeat`` in the temporary folder,
which is the container's own): two workers on one machine outside containers each need their own.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.worker import Worker

from activities.log import get_logger

#: How often a healthy worker writes its heartbeat.
BEAT_SECONDS = 10.0
#: How old a heartbeat may be and the worker still count as healthy: three beats missed is not a hiccup.
STALE_SECONDS = 45.0
#: Seconds Temporal and the database each have to answer a beat's question.
ANSWER_SECONDS = 5.0

log = get_logger("worker.health")


def heartbeat_file() -> Path:
    given = os.environ.get("CPJ_WORKER_HEARTBEAT_FILE", "").strip()
    return Path(given) if given else Path(tempfile.gettempdir()) / "cpj-worker.heartbeat"


class NotHealthy(Exception):
    """What stopped a beat, in a sentence."""


class Heart:
    """One worker's beats: the questions asked, and the file written when every one is answered."""

    def __init__(self, worker: Worker, client: Client, engine: Engine, path: Path | None = None) -> None:
        self.worker, self.client, self.engine = worker, client, engine
        self.path = path or heartbeat_file()
        # One database question at a time: a connection that hangs past its timeout keeps its thread,
        # and the next beat waits on that same attempt rather than starting another.
        self._database: asyncio.Future[None] | None = None

    async def beat(self) -> None:
        """Asks each question; writes the heartbeat when all are answered, raises :class:`NotHealthy` otherwise."""
        if not self.worker.is_running:
            raise NotHealthy("the worker is not running")
        try:
            await self.client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=self.client.namespace), timeout=timedelta(seconds=ANSWER_SECONDS))
        except Exception as err:  # whatever the SDK raises, Temporal did not answer
            raise NotHealthy(f"Temporal did not answer: {type(err).__name__}: {err}") from err
        if self._database is None or self._database.done():
            self._database = asyncio.ensure_future(asyncio.to_thread(self._ask_database))
        try:
            await asyncio.wait_for(asyncio.shield(self._database), ANSWER_SECONDS)
        except TimeoutError:
            raise NotHealthy(f"the records database did not answer within {ANSWER_SECONDS:g} seconds") from None
        except Exception as err:
            raise NotHealthy(f"the records database did not answer: {type(err).__name__}: {err}") from err
        self._write()

    def _ask_database(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def _write(self) -> None:
        # Written whole then renamed: the check never reads half a file.
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps({"at": time.time(), "pid": os.getpid(), "task_queue": self.worker.task_queue}))
        os.replace(partial, self.path)

    async def keep_beating(self, every: float = BEAT_SECONDS) -> None:
        healthy = True
        while True:
            try:
                await self.beat()
                if not healthy:
                    log.info("worker healthy again")
                healthy = True
            except NotHealthy as reason:
                if healthy:  # once when it turns, not every beat
                    log.warning("worker not healthy", reason=str(reason))
                healthy = False
            await asyncio.sleep(every)


@asynccontextmanager
async def heartbeat(worker: Worker, client: Client, engine: Engine, *, path: Path | None = None,
                    every: float = BEAT_SECONDS) -> AsyncIterator[Heart]:
    """Beats while the block runs (the worker's ``run()``); the file goes when it ends."""
    heart = Heart(worker, client, engine, path)
    beating = asyncio.create_task(heart.keep_beating(every))
    try:
        yield heart
    finally:
        beating.cancel()
        with suppress(asyncio.CancelledError):
            await beating
        heart.path.unlink(missing_ok=True)


def check(path: Path | None = None, *, now: float | None = None, within: float = STALE_SECONDS) -> tuple[bool, str]:
    """``(healthy, sentence)`` from the heartbeat file: healthy when its time is less than ``within`` seconds old."""
    path = path or heartbeat_file()
    now = time.time() if now is None else now
    try:
        at = float(json.loads(path.read_text())["at"])
    except FileNotFoundError:
        return False, f"not healthy: no heartbeat at {path} (the worker has not started, or has stopped)"
    except (OSError, ValueError, KeyError, TypeError) as err:
        return False, f"not healthy: the heartbeat at {path} cannot be read ({type(err).__name__})"
    age = now - at
    if age > within:
        return False, (f"not healthy: the last heartbeat is {age:.0f} seconds old (more than {within:g}): the worker "
                       "is wedged, or cannot reach Temporal or the records database (its log says which)")
    return True, f"healthy: the last heartbeat is {max(age, 0):.0f} seconds old"
