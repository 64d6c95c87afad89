"""A real PostgreSQL server for tests, from the machine's initdb and pg_ctl.

PostgreSQL refuses to run as root, and CI runs as root: then the server runs as
the ``postgres`` system user, in a temporary folder it owns.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if not found:
        raise RuntimeError(f"{name} not found: install PostgreSQL (Debian package postgresql)")
    return str(found)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throwaway PostgreSQL; yields a SQLAlchemy URL for it."""
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="cpj-pg-"))
    data = base / "data"
    port = _free_port()

    def run(*args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if as_root else list(args)
        subprocess.run(command, check=True, capture_output=True)

    if as_root:
        shutil.chown(base, "postgres")
    try:
        run(_binary("initdb"), "-D", str(data), "-U", "cpj", "--auth=trust", "-E", "UTF8")
        run(_binary("pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start")
        try:
            yield f"postgresql+psycopg://cpj@127.0.0.1:{port}/postgres"
        finally:
            run(_binary("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)
