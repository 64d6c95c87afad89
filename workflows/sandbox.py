"""The workflow sandbox the worker and the replayer share.

``domain`` is passed through: imported once, outside the sandbox, so the shipped
calendar versions and released profiles it reads when first imported
(``domain.calendars``, ``domain.released``) are read once per worker, never by a
workflow. ``holidays`` is not used at run time at all (only by
``scripts/build_calendar.py``), so a library upgrade cannot reach a journey.
"""

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = ("zoneinfo", "tzdata", "domain")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
