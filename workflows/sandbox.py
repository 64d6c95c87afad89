"""The workflow sandbox the worker and the replayer share.

``domain`` (pure) and ``shipped`` are passed through: imported once, outside the
sandbox, so the calendar versions and released profiles ``shipped`` reads when
first imported (and registers with ``domain.calendars``, ``domain.released``) are
read once per worker, never by a workflow. ``holidays`` is not used at run time at
all (only by ``scripts/build_calendar.py``), so a library upgrade cannot reach a
journey.

The workflows themselves are passed through too: otherwise the sandbox imports a
workflow's module afresh, and defines its class again, for every new workflow: a
seventh of a journey start's work, and half of what a waiting journey held beyond a
trivial workflow (``bench/README.md``). The sandbox's run-time checks then no longer
see the workflows' code, so ``tests/workflows/test_passed_through.py`` reads every
module of ``workflows`` for the machine's clock, chance, files and state shared
between journeys, as ``tests/domain/test_purity.py`` reads ``domain``; the recorded
histories' replay stays the guard that a journey decides the same way every time.
"""

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = ("zoneinfo", "tzdata", "domain", "shipped", "workflows")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
