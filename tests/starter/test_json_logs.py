"""In production every process logs one JSON object a line: what the council's log collector reads.

``cpj web`` (uvicorn's own lines too: start, each request) and ``cpj worker`` are run for real, as the
compose file runs them, with the log going to a pipe (not a terminal): every line parses, with its
event, level and timestamp, and a request's line keeps neither its query string nor a one-time token.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import httpx

from activities.log import log_format

CPJ = str(Path(sys.executable).with_name("cpj"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "CPJ_LOG_FORMAT"}
    env.update(CPJ_DATABASE_URL=f"sqlite:///{tmp_path / 'records.db'}", CPJ_DATA_DIR=str(tmp_path), **settings)
    return env


def parsed(output: bytes) -> list[dict]:
    lines = [line for line in output.decode().splitlines() if line.strip()]
    assert lines, "nothing was logged"
    records = []
    for line in lines:
        record = json.loads(line)  # a line that is not JSON fails here, with the line in the message
        assert {"event", "level", "timestamp"} <= set(record), line
        records.append(record)
    return records


async def stopped(process: asyncio.subprocess.Process, sig: int) -> bytes:
    process.send_signal(sig)
    _, errors = await asyncio.wait_for(process.communicate(), 30)
    return errors


def test_the_format_is_json_unless_a_person_is_watching_a_terminal(monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CPJ_LOG_FORMAT", raising=False)
    monkeypatch.delenv("CPJ_ENV", raising=False)
    assert log_format(io.StringIO()) == "json"  # a container's log, a file, a pipe
    assert log_format(Terminal()) == "console"
    monkeypatch.setenv("CPJ_ENV", "production")
    assert log_format(Terminal()) == "json"
    monkeypatch.setenv("CPJ_LOG_FORMAT", "console")  # the one setting wins
    assert log_format(io.StringIO()) == "console"


async def test_cpj_web_logs_json_uvicorns_lines_included_without_query_strings_or_tokens(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        CPJ, "web", "--port", str(port), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=environment(tmp_path, CPJ_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}", CPJ_SECURE_COOKIES="false"),
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            end = time.monotonic() + 30
            while True:
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < end, "cpj web did not come up"
                await asyncio.sleep(0.2)
            # Temporal is not running: not ready, and the log says why.
            assert (await http.get("/readyz", params={"q": "Jane Smith"})).status_code == 503
            await http.get("/first-run/one-time-token-abc123")
    finally:
        errors = await stopped(process, signal.SIGINT)

    records = parsed(errors)
    events = [record["event"] for record in records]
    assert any("Uvicorn running" in event for event in events)  # uvicorn's own start line
    [readiness] = [record for record in records if record.get("path") == "/readyz"]
    assert readiness["event"] == "request" and readiness["method"] == "GET" and readiness["status"] == 503
    assert any(record.get("path") == "/first-run/…" for record in records)
    assert any("not ready: Temporal" in record["event"] for record in records)
    text = errors.decode()
    assert "Jane" not in text and "one-time-token-abc123" not in text and "Traceback" not in text


async def test_cpj_worker_logs_json_and_its_health_check_passes_while_it_runs(tmp_path: Path) -> None:
    from temporalio.testing import WorkflowEnvironment

    from tests.conftest import TEMPORAL_CLI

    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(TEMPORAL_CLI),
                                                dev_server_log_level="error")
    beat_file = tmp_path / "worker.heartbeat"
    settings = environment(tmp_path, CPJ_TEMPORAL_ADDRESS=env.client.service_client.config.target_host,
                           CPJ_TASK_QUEUE="json-logs", CPJ_NOTIFY_SENDER="file",
                           CPJ_WORKER_HEARTBEAT_FILE=str(beat_file), CPJ_ENV="production")
    try:
        process = await asyncio.create_subprocess_exec(CPJ, "worker", stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.PIPE, env=settings)
        try:
            end = time.monotonic() + 60
            while not beat_file.exists():
                assert process.returncode is None, "the worker stopped"
                assert time.monotonic() < end, "the worker wrote no heartbeat"
                await asyncio.sleep(0.2)
            health = await asyncio.create_subprocess_exec(CPJ, "worker", "--health", env=settings,
                                                          stdout=asyncio.subprocess.PIPE)
            said, _ = await health.communicate()
            assert health.returncode == 0, said.decode()
        finally:
            errors = await stopped(process, signal.SIGTERM)
    finally:
        await env.shutdown()

    records = parsed(errors)
    assert any(record["event"] == "worker starting" and record["level"] == "info" for record in records)
