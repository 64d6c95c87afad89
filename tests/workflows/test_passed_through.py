"""The workflows' shared parts are passed through the sandbox, so nothing guards them at run time: this does.

``workflows.sandbox`` imports them once per worker rather than once per journey. Outside the sandbox a
call to the machine's clock, to chance or to a file would not be refused; the scan below refuses it here,
as ``tests/domain/test_purity.py`` does for ``domain``. They may use Temporal's workflow API (its clock,
its timers) and asyncio's tasks, which run on the workflow's own deterministic loop.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.domain.test_purity import impurities
from workflows.sandbox import PASSED_THROUGH, WORKFLOW_PARTS

ROOT = Path(__file__).resolve().parents[2]
#: What a workflow's shared part may import that a domain module may not.
WORKFLOW_API = ("import asyncio", "from temporalio", "import temporalio")


def not_deterministic(source: str) -> list[str]:
    """What ``impurities`` finds, less the workflow API: its imports, and ``workflow.now()`` (the history's clock)."""
    workflow_clock, machine_clock = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            on_workflow = isinstance(node.func.value, ast.Name) and node.func.value.id == "workflow"
            (workflow_clock if on_workflow else machine_clock).add(f"line {node.lineno}: .{node.func.attr}(")
    return [place for place in impurities(source)
            if not place.split(": ", 1)[1].startswith(WORKFLOW_API)
            and not (place in workflow_clock and place not in machine_clock)]


@pytest.mark.parametrize("module", WORKFLOW_PARTS)
def test_a_passed_through_workflow_part_reads_no_clock_chance_or_file(module: str) -> None:
    path = ROOT / (module.replace(".", "/") + ".py")
    found = not_deterministic(path.read_text(encoding="utf-8"))
    assert not found, f"{module} is passed through the sandbox but is not deterministic: {'; '.join(found)}"


@pytest.mark.parametrize("module", WORKFLOW_PARTS)
def test_a_passed_through_workflow_part_is_not_a_workflow_of_its_own(module: str) -> None:
    # A workflow's own module must stay in the sandbox: its code is what the sandbox's checks are for.
    assert not [value for value in vars(importlib.import_module(module)).values()
                if isinstance(value, type) and hasattr(value, "__temporal_workflow_definition")]


@pytest.mark.parametrize("line", [
    "started = datetime.now(UTC)", "import random", "today = date.today()", "import time",
    "late = workflow.now() > datetime.now(UTC)",
])
def test_the_scan_would_see_the_machines_clock_or_chance_in_a_workflow_part(line: str) -> None:
    assert not_deterministic(line), line


def test_the_scan_leaves_the_workflow_api_alone() -> None:
    assert not not_deterministic("import asyncio\nfrom temporalio import workflow\nlate = workflow.now() > due")


def test_each_workflows_own_module_is_still_sandboxed() -> None:
    for own in ("workflows.journey", "workflows.conference", "workflows.complaint"):
        assert not any(own == name or own.startswith(name + ".") for name in PASSED_THROUGH), own

