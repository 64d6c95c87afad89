"""The workflow sandbox the worker and the replayer share.

``holidays`` imports its country modules (and ``dateutil``) lazily, at the
first lookup, which would happen inside a workflow and be re-imported for
every run. Passing them through imports them once, outside the sandbox; the
bank holiday table itself is built once per year in ``domain.calendar``.
"""

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = ("holidays", "dateutil", "six", "zoneinfo", "tzdata", "domain")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
