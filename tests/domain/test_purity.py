"""``domain`` is pure: the workflow sandbox passes it through whole, so no module of it may touch a file.

The calendars and released profiles are data we ship; ``shipped`` reads them and registers them with
``domain``. Were a domain module to read a file (or the clock, or chance), every worker would run it
inside journeys believed deterministic, and a replay could disagree with its history.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "domain"
MODULES = sorted(DOMAIN.rglob("*.py"))

#: Modules that reach files, the network, other processes, the clock or chance.
IMPURE_MODULES = {
    "os", "io", "pathlib", "tomllib", "glob", "shutil", "tempfile", "fileinput", "importlib.resources",
    "importlib.metadata", "pkgutil", "sqlite3", "socket", "ssl", "http", "urllib", "requests", "httpx",
    "subprocess", "multiprocessing", "threading", "asyncio", "time", "random", "secrets", "uuid", "logging",
    "structlog", "sqlalchemy", "sqlmodel", "temporalio", "holidays",
}
#: Methods that read or write files (``Path`` and file objects).
IMPURE_METHODS = {"read_text", "read_bytes", "write_text", "write_bytes", "glob", "rglob", "iterdir",
                  "readlines", "readline", "touch", "unlink", "mkdir"}
#: Builtins that do I/O or run what a string says.
IMPURE_BUILTINS = {"open", "input", "print", "exec", "eval", "__import__", "breakpoint"}
#: The clock: a workflow reads ``workflow.now()``, never the machine's.
CLOCK_METHODS = {"now", "today", "utcnow", "fromtimestamp", "utcfromtimestamp"}


def _is_impure_module(name: str) -> bool:
    return any(name == impure or name.startswith(impure + ".") for impure in IMPURE_MODULES)


def impurities(source: str) -> list[str]:
    """Every place in ``source`` that would do I/O, each as "line N: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {alias.name}" for alias in node.names if _is_impure_module(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _is_impure_module(node.module):
                found.append(f"line {node.lineno}: from {node.module} import ...")
            elif node.module == "importlib":
                found += [f"line {node.lineno}: from importlib import {alias.name}" for alias in node.names
                          if _is_impure_module(f"importlib.{alias.name}")]
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id in IMPURE_BUILTINS:
                found.append(f"line {node.lineno}: {function.id}(")
            elif isinstance(function, ast.Attribute) and function.attr in IMPURE_METHODS | CLOCK_METHODS:
                found.append(f"line {node.lineno}: .{function.attr}(")
    return found


@pytest.mark.parametrize("path", MODULES, ids=[str(path.relative_to(ROOT)) for path in MODULES])
def test_no_domain_module_reads_a_file_the_clock_or_chance(path: Path) -> None:
    found = impurities(path.read_text(encoding="utf-8"))
    assert not found, (f"{path.relative_to(ROOT)} is not pure: {'; '.join(found)}. Files we ship are read by "
                       "`shipped` and registered with domain (see domain.calendars, domain.released)")


@pytest.mark.parametrize("line", [
    "import tomllib",
    "from pathlib import Path",
    "import os.path",
    "from importlib import resources",
    "from importlib.resources import files",
    "from time import monotonic",
    "import random",
    "document = open('profiles/darlington.toml').read()",
    "text = PROFILES_DIR.read_text()",
    "paths = sorted(DIRECTORY.glob('england-*.json'))",
    "files = list(folder.iterdir())",
    "snapshot_path.write_text(text)",
    "today = date.today()",
    "started = datetime.now(UTC)",
])
def test_the_scan_would_see_a_domain_module_reading_a_file(line: str) -> None:
    assert impurities(line), f"the purity scan misses: {line}"


@pytest.mark.parametrize("line", [
    "from datetime import date, datetime, time, timedelta",  # ``datetime.time`` is a time of day, not the clock
    "from zoneinfo import ZoneInfo",
    "import hashlib, json, re",
    "next_open = table.next_open()",
    "LONDON = ZoneInfo('Europe/London')",
])
def test_the_scan_leaves_pure_code_alone(line: str) -> None:
    assert not impurities(line)


#: Imports every domain module with every way to open a file refused. Libraries domain uses are
#: set up first, with files allowed: ``zoneinfo`` (passed through the sandbox beside ``domain``) reads
#: the standard time zone rules itself, and pydantic reads its plugins' metadata on its first model.
IMPORT_EVERY_MODULE_WITHOUT_FILES = textwrap.dedent("""
    import builtins, importlib, io, pathlib, sys
    import pydantic
    import zoneinfo

    pydantic.create_model("Warm", day=(str, ...))

    class FileRead(RuntimeError):
        pass

    def refuse(*args, **kwargs):
        raise FileRead(f"a domain module opened a file: {args[:1]}")

    builtins.open = io.open = refuse
    for method in ("open", "read_text", "read_bytes", "write_text", "write_bytes", "glob", "rglob", "iterdir"):
        setattr(pathlib.Path, method, refuse)
    for name in sys.argv[1:]:
        importlib.import_module(name)
    print("imported", len(sys.argv) - 1)
""")


def test_every_domain_module_imports_with_files_refused() -> None:
    names = [".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__") for path in MODULES]
    result = subprocess.run([sys.executable, "-c", IMPORT_EVERY_MODULE_WITHOUT_FILES, *names],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"imported {len(names)}"


def test_domain_alone_knows_no_calendar_or_release_and_says_what_to_import() -> None:
    # Without ``shipped`` nothing is registered: counting a day or resolving a pin says so, never reads a file.
    script = textwrap.dedent("""
        from datetime import date
        from domain.calendar import WorkingDayCalendar
        from domain.released import PolicyPinError, resolve
        try:
            WorkingDayCalendar("england-2026.11").add_working_days(date(2026, 12, 17), 15)
        except LookupError as err:
            print(err)
        try:
            resolve("darlington@2026.1#0123456789abcdef")
        except PolicyPinError as err:
            print(err)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    calendar, release = result.stdout.splitlines()
    assert "no calendar version 'england-2026.11'" in calendar and "import shipped" in calendar
    assert "no released profile darlington@2026.1" in release and "import shipped" in release
