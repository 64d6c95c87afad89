"""The workflows are passed through the sandbox, so nothing guards them at run time: this does.

``workflows.sandbox`` imports them once per worker rather than once per journey. Outside the sandbox a
call to the machine's clock, to chance or to a file would not be refused, and a module's global would be
shared by every journey in the worker; the scan below refuses both here, as ``tests/domain/test_purity.py``
does for ``domain``. Workflows may use Temporal's workflow API (its clock, its timers) and asyncio's tasks,
which run on the workflow's own deterministic loop. The recorded histories' replay
(``tests/workflows/test_replay.py``) is the guard that they decide the same way every time.
"""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import workflows
from tests.domain.test_purity import impurities
from workflows.sandbox import PASSED_THROUGH

ROOT = Path(__file__).resolve().parents[2]
#: Every module of ``workflows``, the workflows' own (journey, conference, complaint) with their parts.
WORKFLOW_MODULES = sorted(f"workflows.{found.name}" for found in pkgutil.iter_modules(workflows.__path__))
#: What a workflow module may import that a domain module may not.
WORKFLOW_API = ("import asyncio", "from temporalio", "import temporalio")


def not_deterministic(source: str) -> list[str]:
    """What ``impurities`` finds, less the workflow API, plus any ``global``: state one journey would share."""
    workflow_clock, machine_clock, shared = set(), set(), []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            on_workflow = isinstance(node.func.value, ast.Name) and node.func.value.id == "workflow"
            (workflow_clock if on_workflow else machine_clock).add(f"line {node.lineno}: .{node.func.attr}(")
        elif isinstance(node, ast.Global):
            shared.append(f"line {node.lineno}: global {', '.join(node.names)}")
    return [place for place in impurities(source)
            if not place.split(": ", 1)[1].startswith(WORKFLOW_API)
            and not (place in workflow_clock and place not in machine_clock)] + shared


def test_every_workflow_module_is_passed_through() -> None:
    assert "workflows" in PASSED_THROUGH
    assert {"workflows.journey", "workflows.conference", "workflows.complaint", "workflows.keeping"} <= set(
        WORKFLOW_MODULES)


@pytest.mark.parametrize("module", WORKFLOW_MODULES)
def test_a_workflow_module_reads_no_clock_chance_or_file_and_shares_no_state(module: str) -> None:
    path = ROOT / (module.replace(".", "/") + ".py")
    found = not_deterministic(path.read_text(encoding="utf-8"))
    assert not found, f"{module} is passed through the sandbox but is not deterministic: {'; '.join(found)}"


@pytest.mark.parametrize("line", [
    "started = datetime.now(UTC)", "import random", "today = date.today()", "import time",
    "late = workflow.now() > datetime.now(UTC)", "def count():\n    global SEEN\n    SEEN += 1",
])
def test_the_scan_would_see_the_machines_clock_chance_or_shared_state_in_a_workflow(line: str) -> None:
    assert not_deterministic(line), line


def test_the_scan_leaves_the_workflow_api_alone() -> None:
    assert not not_deterministic("import asyncio\nfrom temporalio import workflow\nlate = workflow.now() > due")

