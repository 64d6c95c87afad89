"""The baselines of ``journey_bench.py``: Temporal shapes with no project code in them.

Kept in a module of their own, importing only temporalio, so the sandbox re-imports nothing of the
project for them (the bench script itself imports the whole project).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
def nothing(value: int) -> int:
    """Writes nothing; a plain function, run on the worker's thread pool as the journey's activities are."""
    return value


@workflow.defn
class NoOp:
    """A true no-op: started, and it returns at once."""

    @workflow.run
    async def run(self, value: int) -> int:
        return value


@workflow.defn
class Receiver:
    """Waits for updates; each runs one activity. It returns after ``until`` of them (0: never)."""

    def __init__(self) -> None:
        self._count = 0

    @workflow.run
    async def run(self, until: int) -> int:
        await workflow.wait_condition(lambda: until > 0 and self._count >= until)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._count

    @workflow.update
    async def step(self, value: int) -> int:
        await workflow.execute_activity(nothing, value, start_to_close_timeout=timedelta(seconds=30))
        self._count += 1
        return self._count

    @workflow.query
    def count(self) -> int:
        return self._count
