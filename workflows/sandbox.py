"""The workflow sandbox the worker and the replayer share.

``domain`` (pure) and ``shipped`` are passed through: imported once, outside the
sandbox, so the calendar versions and released profiles ``shipped`` reads when
first imported (and registers with ``domain.calendars``, ``domain.released``) are
read once per worker, never by a workflow. ``holidays`` is not used at run time at
all (only by ``scripts/build_calendar.py``), so a library upgrade cannot reach a
journey.

The workflows' shared parts (keeping deadlines, calendar updates, the supervisor's
view, the search attribute keys) are passed through too: the sandbox imports a
workflow's own module afresh for every new workflow, and re-running these for each
journey was most of a journey start's work. They hold constants only, and
``tests/workflows/test_passed_through.py`` keeps them free of the clock, chance and
I/O, as ``tests/domain/test_purity.py`` keeps ``domain``; the recorded histories'
replay stays the guard that they decide the same way every time. Each workflow's own
module (journey, conference, complaint) is still sandboxed.
"""

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

#: The workflows' shared modules, imported once per worker.
WORKFLOW_PARTS = ("workflows.keeping", "workflows.calendar_updates", "workflows.supervisor_view",
                  "workflows.search_attributes")
PASSED_THROUGH = ("zoneinfo", "tzdata", "domain", "shipped", *WORKFLOW_PARTS)


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
