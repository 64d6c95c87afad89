"""Two workers on one task queue, one killed mid-burst: its journeys finish on the other, nothing twice.

Two ``cpj worker`` processes share the task queue, the records database (SQLite in WAL mode: each
writer waits its turn) and the letters file, as two machines of a council's deployment would share
the queue and a PostgreSQL. Twenty journeys open today, shared between the workers; each worker then
keeps its journeys in memory and takes their next tasks on its own (sticky) queue. Then each journey
takes its ICPC (plan) and a first visit that finds no access, a few tenths of a second apart: two more
records and a letter to the line manager each. One worker is killed with SIGKILL while those events
are flowing. Then:

- every journey the killed worker was part way through finishes on the survivor;
- every record is written once and every letter sent once (records table, outbox, letters file);
- nothing is left waiting: a journey whose next task went to the dead worker's own queue waits there
  no longer than the sticky schedule-to-start timeout (the SDK's 10 s, which the worker keeps), then
  the survivor takes it from the shared queue; no journey ends with a workflow task or activity pending.

About 20 s; up to about 80 s when the kill lands during a record write, which is retried only once
its attempt times out (the journey's 60 s start-to-close).
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from datetime import timedelta

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, TaskQueueKind, TaskQueueType, TimeoutType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, DescribeWorkflowExecutionRequest

from domain.events import IcpcHeld, StrategyDiscussion, VisitMade, workflow_id_for
from domain.state import JourneyState
from starter.client import NotAnswered
from tests.conftest import london_today
from tests.faults.conftest import (
    FaultWorld,
    WorkerProcess,
    _tail,
    caught_up,
    each_owed_once,
    letters_sent,
    records_written,
    wait_until,
)
from tests.faults.test_faults import accepted

pytestmark = pytest.mark.faults

JOURNEYS = 20
# Darlington: its procedure tells the line manager of no access to the child, a letter each journey owes once.
POLICY = "darlington"
CASES = [f"TWO-2026-{number:04d}" for number in range(1, JOURNEYS + 1)]
# The SDK's default sticky schedule-to-start timeout, which the worker keeps.
STICKY_TIMEOUT = timedelta(seconds=10)
# Twenty journeys' events over six seconds: the kill lands while most are still to come.
ARRIVAL_GAP_SECONDS = 0.3
# A lost record write comes back after its 60 s attempt times out, then a retry on the survivor.
SETTLE_SECONDS = 100


async def open_journeys(world: FaultWorld) -> None:
    await asyncio.gather(*(
        accepted(lambda case=case: world.journeys.start(
            case, POLICY, StrategyDiscussion(event_id="sd-1", held_on=london_today(), initiated_section_47=True)),
            f"starting {case}", SETTLE_SECONDS)
        for case in CASES
    ))


async def hold_icpc_then_visit(world: FaultWorld, case: str) -> None:
    day = london_today()
    await accepted(lambda: world.journeys.send(
        case, IcpcHeld(event_id="icpc-1", held_on=day, decision="plan", category="neglect")),
        f"{case} icpc", SETTLE_SECONDS)
    await accepted(lambda: world.journeys.send(
        case, VisitMade(event_id="v-1", visited_on=day, outcome="no_access")), f"{case} visit v-1", SETTLE_SECONDS)


async def events_for_every_journey(world: FaultWorld) -> None:
    """Each journey's events arrive a few tenths of a second after the one before's."""
    async def arriving(number: int, case: str) -> None:
        await asyncio.sleep(number * ARRIVAL_GAP_SECONDS)
        await hold_icpc_then_visit(world, case)

    await asyncio.gather(*(arriving(number, case) for number, case in enumerate(CASES)))


def kinds_written(world: FaultWorld, kind: str) -> int:
    return sum(written == kind for _, written, _ in world.records())


def expected_records() -> Counter[tuple[str, str, str]]:
    return Counter((case, kind, event) for case in CASES
                   for kind, event in [("strategy_discussion", "sd-1"), ("icpc_held", "icpc-1"), ("visit_made", "v-1")])


def expected_letters() -> Counter[tuple[str, str, str]]:
    return Counter((case, "no_access", "v-1") for case in CASES)


def caught_up_with(world: FaultWorld, case: str) -> bool:
    """This journey's records and letter are all in."""
    records = Counter(key for key in records_written(world) if key[0] == case)
    letters = Counter(key for key in letters_sent(world) if key[0] == case)
    return (records == Counter(key for key in expected_records() if key[0] == case)
            and letters == Counter(key for key in expected_letters() if key[0] == case))


def identity(worker: WorkerProcess) -> str:
    # The SDK's default identity for a client, which each worker process makes for itself.
    return f"{worker.process.pid}@{socket.gethostname()}"


async def pollers(world: FaultWorld) -> set[str]:
    """The identities of the workers polling the shared queue for workflow tasks."""
    described = await world.client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=world.client.namespace,
        task_queue=TaskQueue(name=world.journeys.task_queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    ))
    return {poller.identity for poller in described.pollers}


async def completed_by(world: FaultWorld, case: str) -> list[str]:
    """Who completed each of the journey's workflow tasks, in order."""
    history = await world.client.get_workflow_handle(workflow_id_for(case)).fetch_history()
    return [event.workflow_task_completed_event_attributes.identity for event in history.events
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]


async def sticky_waits(world: FaultWorld, case: str) -> list[timedelta]:
    """How long each of the journey's tasks waited on a worker's own queue before it went back to the shared one."""
    history = await world.client.get_workflow_handle(workflow_id_for(case)).fetch_history()
    scheduled = {event.event_id: event.event_time.ToDatetime() for event in history.events
                 if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED}
    return [event.event_time.ToDatetime() - scheduled[event.workflow_task_timed_out_event_attributes.scheduled_event_id]
            for event in history.events
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT
            and event.workflow_task_timed_out_event_attributes.timeout_type
            == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START]


async def state_from_the_survivor(world: FaultWorld, case: str) -> JourneyState:
    """The journey's state, asked as a careful caller asks: again while no worker answers.

    A question about a journey the dead worker held goes first to that worker's own queue; the server
    sends it to the shared queue once that queue has had no poller for a while (its 10 s window).
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + 3 * STICKY_TIMEOUT.total_seconds()
    while True:
        try:
            return await world.journeys.state(case)
        except NotAnswered:
            if loop.time() > end:
                raise


async def nothing_pending(world: FaultWorld, case: str) -> bool:
    described = await world.client.workflow_service.describe_workflow_execution(DescribeWorkflowExecutionRequest(
        namespace=world.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id_for(case))))
    return not described.HasField("pending_workflow_task") and not described.pending_activities


async def test_a_worker_killed_mid_burst_leaves_its_journeys_to_the_other_with_nothing_twice(
        fault_world: FaultWorld) -> None:
    world = fault_world
    doomed = world.worker
    survivor = WorkerProcess(log=doomed.log.with_name("worker-2.log"), env=doomed.env)
    try:
        # Both start at once on a new records database: they take turns to create its tables.
        doomed.start()
        survivor.start()
        both = {identity(doomed), identity(survivor)}
        loop = asyncio.get_running_loop()
        end = loop.time() + 60
        while not both <= await pollers(world):
            assert loop.time() < end, f"both workers polling the task queue: not within 60 s\n{world.diagnostics()}"
            await asyncio.sleep(0.3)

        # Every journey opens and is held in the memory of whichever worker ran it.
        await open_journeys(world)
        await wait_until(lambda: kinds_written(world, "strategy_discussion") == JOURNEYS, "every journey opened",
                         SETTLE_SECONDS, world)
        opened_on = {case: await completed_by(world, case) for case in CASES}
        assert all(opened_on.values()) and {who for whos in opened_on.values() for who in whos} == both, (
            "the journeys were meant to be shared between the two workers")

        # Then their events, and one worker killed once they are flowing.
        burst = world.in_background(events_for_every_journey(world))
        await wait_until(lambda: kinds_written(world, "icpc_held") >= 3, "the events burst getting going", 60, world)
        doomed.kill()
        assert not burst.done(), "the burst was over before the kill"
        finished = {case for case in CASES if caught_up_with(world, case)}
        # Journeys the killed worker had run part of, and had not finished: the survivor must take them on.
        taken_over = {case for case in CASES
                      if case not in finished and identity(doomed) in await completed_by(world, case)}
        assert taken_over, "the kill was meant to land while the killed worker was part way through journeys"

        await burst
        await wait_until(lambda: caught_up(world, expected_records(), expected_letters()),
                         "every journey's records and letters", SETTLE_SECONDS, world)

        each_owed_once(world, records_written(world), expected_records(), letters_sent(world), expected_letters())

        # The journeys the dead worker was running went on to the survivor, and none was left waiting.
        for case in CASES:
            state = await state_from_the_survivor(world, case)
            assert state.stage.value == "on_plan", case
        for case in taken_over:
            who = await completed_by(world, case)
            assert who[-1] == identity(survivor), f"{case} finished on {who[-1]}, not the surviving worker"
        for case in CASES:
            assert await nothing_pending(world, case), f"{case} still has a task waiting"
        waits = [waited for case in CASES for waited in await sticky_waits(world, case)]
        assert waits, "no journey's task went to the killed worker's own queue"
        assert max(waits) <= STICKY_TIMEOUT + timedelta(seconds=2), f"a journey waited {max(waits)} for the dead worker"
    except AssertionError as failed:
        # The fixture's diagnostics show the first worker's log; the survivor's tells the rest.
        raise AssertionError(f"{failed}\n--- surviving worker's log ---\n{_tail(survivor.log)}") from failed
    finally:
        survivor.kill()

