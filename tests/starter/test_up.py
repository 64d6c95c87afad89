"""``cpj up``, the main job, end to end: Temporal, worker and admin tool, and journeys kept across a restart.

``cpj up`` owns its Temporal dev server: the server does not outlive it, and it never attaches to one
it did not start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import london_today
from tests.starter.signing_in import CASEWORK, PASSWORD, csrf_token_on, sign_in

CPJ = str(Path(sys.executable).parent / "cpj")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_until_up(url: str, seconds: float = 60) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    async with httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if loop.time() > end:
                raise AssertionError(f"{url} did not come up")
            await asyncio.sleep(0.3)


async def cpj_up(data: Path, web: int, temporal: int, ui: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        CPJ, "up", "--data-dir", str(data), "--web-port", str(web), "--temporal-port", str(temporal),
        "--ui-port", str(ui), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "CPJ_LOG_LEVEL": "WARNING"},
    )
    await wait_until_up(f"http://127.0.0.1:{web}/sign-in")
    return process


async def printed_until_first_run_link(process: asyncio.subprocess.Process) -> str:
    """What ``cpj up`` printed, up to the one-time link it prints when there is no account yet."""
    assert process.stdout is not None
    printed = ""
    while "/first-run/" not in printed:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line, f"cpj up printed no first-run link: {printed}"
        printed += line
    return printed


async def stop(process: asyncio.subprocess.Process) -> bytes:
    process.send_signal(signal.SIGINT)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    return output


async def test_cpj_up_runs_everything_and_journeys_survive_a_restart(tmp_path: Path) -> None:
    web, temporal, ui = free_port(), free_port(), free_port()
    api = f"http://localhost:{web}/api"
    today = london_today().isoformat()  # journeys refuse a date after London's today

    process = await cpj_up(tmp_path, web, temporal, ui)
    browser = httpx.AsyncClient(base_url=f"http://localhost:{web}")
    printed = ""
    try:
        await wait_until_up(f"http://127.0.0.1:{ui}/")  # the Temporal UI
        # A newcomer's first run: the printed link makes the first administrator, who adds a social worker.
        printed = await printed_until_first_run_link(process)
        [link] = re.findall(rf"http://localhost:{web}/first-run/[A-Za-z0-9_-]+", printed)
        async with httpx.AsyncClient() as newcomer:
            form = await newcomer.get(link)
            made = await newcomer.post(link, data={"staff_ref": "ADM-0001", "password": PASSWORD,
                                                   "password_again": PASSWORD, "csrf_token": csrf_token_on(form.text)})
            assert made.status_code == 303, made.text
            assert "Signed in as ADM-0001" in (await newcomer.get(f"http://localhost:{web}/sign-in")).text
        added = await asyncio.create_subprocess_exec(
            CPJ, "user", "add", "SW-0001", *(f"--role={role}" for role in CASEWORK), "--password-stdin",
            stdin=asyncio.subprocess.PIPE, env={**os.environ, "CPJ_DATA_DIR": str(tmp_path), "CPJ_LOG_LEVEL": "WARNING"})
        await added.communicate(PASSWORD.encode())
        assert added.returncode == 0
        assert (await sign_in(browser, "SW-0001")).status_code == 303
        browser.headers["X-CSRF-Token"] = csrf_token_on((await browser.get("/sign-in")).text)
        async with contextlib.nullcontext(browser) as http:
            started = await http.post(f"{api}/journeys", json={
                "case_ref": "SEF-2026-0107", "policy": "sefton",
                "strategy_discussion": {"event_id": "sd-1", "held_on": today, "initiated_section_47": True},
            })
            assert started.status_code == 201, started.text
            assert started.json()["state"]["stage"] == "awaiting_icpc"
    finally:
        output = printed.encode() + await stop(process)
    assert f"http://localhost:{web}" in output.decode() and f":{ui}" in output.decode()
    assert (tmp_path / "temporal.db").exists() and (tmp_path / "records.db").exists()

    process = await cpj_up(tmp_path, web, temporal, ui)
    try:
        # The session is in the records database: still signed in after the restart.
        async with contextlib.aclosing(browser) as http:  # closed at the end of the test
            state = (await http.get(f"{api}/journeys/SEF-2026-0107")).json()
            assert state["stage"] == "awaiting_icpc"
            held = await http.post(f"{api}/journeys/SEF-2026-0107/events", json={
                "type": "icpc_held", "event_id": "icpc-1", "held_on": today, "decision": "no_plan",
            })
            assert held.status_code == 200, held.text
            assert held.json()["stage"] == "closed"
    finally:
        output = await stop(process)
    assert "/first-run/" not in output.decode()  # an account exists: no link any more


def children_of(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel stops the server on Linux only")
async def test_cpj_up_killed_with_kill_9_takes_its_temporal_server_with_it(tmp_path: Path) -> None:
    web, temporal, ui = free_port(), free_port(), free_port()
    process = await cpj_up(tmp_path, web, temporal, ui)
    [server] = children_of(process.pid)
    assert "temporal" in Path(f"/proc/{server}/cmdline").read_text()

    process.kill()
    await process.wait()

    loop = asyncio.get_running_loop()
    end = loop.time() + 30
    while Path(f"/proc/{server}").exists() and loop.time() < end:
        await asyncio.sleep(0.2)
    try:
        assert not Path(f"/proc/{server}").exists(), "the Temporal dev server outlived cpj up"
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", temporal)) != 0, "something still answers on the Temporal port"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(server, signal.SIGTERM)  # this test's leftover, should it fail


@pytest.mark.parametrize("taken", ["temporal", "ui"])
async def test_cpj_up_refuses_to_use_a_temporal_it_did_not_start(tmp_path: Path, taken: str) -> None:
    web, temporal, ui = free_port(), free_port(), free_port()
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", temporal if taken == "temporal" else ui))
        other_server.listen()
        process = await asyncio.create_subprocess_exec(
            CPJ, "up", "--data-dir", str(tmp_path), "--web-port", str(web), "--temporal-port", str(temporal),
            "--ui-port", str(ui), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        output, errors = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 2, (output + errors).decode()
    port = temporal if taken == "temporal" else ui
    assert f"port {port}" in errors.decode() and "already in use" in errors.decode()
    assert not (tmp_path / "temporal.db").exists()  # no server was started
