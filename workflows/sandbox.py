"""The workflow sandbox the worker and the replayer share.

``domain`` (pure) and ``shipped`` are passed through: imported once, outside the
sandbox, so the calendar versions and released profiles ``shipped`` reads when
first imported (and registers with ``domain.calendars``, ``domain.released``) are
read once per worker, never by a workflow. ``holidays`` is not used at run time at
all (only by ``scripts/build_calendar.py``), so a library upgrade cannot reach a
journey.
"""

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = ("zoneinfo", "tzdata", "domain", "shipped")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
