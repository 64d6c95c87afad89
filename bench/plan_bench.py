"""What does a child's plan of N years cost, end to end, on the time-skipping server?

Issue 12's target: a 2-year plan on the time-skipping server in under 2 s of wall time, with fewer
than 500 history events and 200 KB of history per journey-year.

One command: starts the time-skipping test server from .venv/bin and, in this process, the project's
worker (``build_worker``, as tests/conftest.py does: sqlite and a letters file in a temp dir, payloads
encrypted with a key made for the run). Each repeat drives one journey (a fresh case reference) as a
council would, every event sent through ``starter.client.Journeys`` on its day, time skipped between:

- a strategy discussion, then the ICPC a week later (within the 15 working days) deciding a plan (neglect);
- on the plan, whatever the journey says falls due next, done on its due day: visits (seen, alone, the
  bedroom seen), core groups, the tasks the policy sets after them, and each review (held on the day it
  was booked, continuing the plan: the journey continues as new), the next review booked after each;
- the plan ended (``PlanEnded``) N years after the strategy discussion.

Driving from the journey's own deadlines keeps every timescale (no overdue work, no escalation), so
the history is what a well-kept plan costs, by the policy's cadence (Darlington: a visit every 10
working days, a core group every 20, the first review within 3 months and then every 6).

Measured per repeat: wall time from the start to the result of the closed journey (split into time
skipping, events, and waiting for each new run after a review), and over the WHOLE chain of runs (one
workflow id, a run per review), walked back from the last run through each run's
``continued_execution_run_id``: history events and bytes (each event's serialized size), per
journey-year, with the top event types. Repeated R times: min / median / max.

The test server is stopped at the end, after an error, on Ctrl-C and on `kill`.

Run: .venv/bin/python bench/plan_bench.py [--years 2] [--repeats 3] [--policy darlington]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import secrets
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from temporalio.api.common.v1 import WorkflowExecution  # noqa: E402
from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

import shipped  # noqa: E402,F401  (the calendars and released profiles, registered before a day is counted)
from activities.db import make_engine  # noqa: E402
from activities.log import configure_logging  # noqa: E402
from activities.notify import FileSender  # noqa: E402
from domain.deadlines import LONDON, DeadlineStatus, london_date  # noqa: E402
from domain.events import (  # noqa: E402
    CoreGroupHeld,
    EndingReason,
    IcpcHeld,
    PlanEnded,
    ReviewHeld,
    ReviewScheduled,
    StrategyDiscussion,
    Task,
    TaskCompleted,
    VisitMade,
    workflow_id_for,
)
from domain.state import JourneyState, Stage  # noqa: E402
from quiet import quiet_stdout  # noqa: E402
from starter.client import EventPending, Journeys, WorkerUnavailable, register_search_attributes  # noqa: E402
from starter.codec import KeyRing, data_converter  # noqa: E402
from worker import build_worker  # noqa: E402

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"
TASKS = {task.value for task in Task}
ICPC_AFTER_DAYS = 7  # calendar days from the strategy discussion: well within 15 working days
REVIEW_BOOKED_BEFORE_LIMIT = timedelta(days=7)  # as tests/workflows/test_plan.py: held a week inside its limit
CALL_TIMEOUT = 45  # longer than the 30 s the time-skipping server may hold a query (tests/conftest.py)
TARGET_WALL_SECONDS_FOR_2_YEARS = 2.0
TARGET_EVENTS_PER_YEAR = 500
TARGET_KB_PER_YEAR = 200
TOP_TYPES = 10
TOP_BY_BYTES = 5

SERIALS = itertools.count(1)


def case_ref() -> str:
    """A case reference of the shape Darlington's system issues, new for every repeat (never a name)."""
    return f"DAR-{8_000_000 + next(SERIALS):07d}"


@dataclass
class Run:
    case_ref: str
    years: float = 0.0
    wall: float = 0.0
    skipping: float = 0.0  # in env.sleep: the server skipping time (and the journey's timers firing)
    events: float = 0.0  # in send_event: update and state query
    new_runs: float = 0.0  # waiting for the next run after a review continued the plan
    sent: collections.Counter = field(default_factory=collections.Counter)
    held_queries: int = 0
    runs: int = 0
    history_events: int = 0
    history_bytes: int = 0
    by_type: collections.Counter = field(default_factory=collections.Counter)
    bytes_by_type: collections.Counter = field(default_factory=collections.Counter)
    reviews: int = 0


class Plan:
    """One journey driven through a plan of ``years`` on the time-skipping server."""

    def __init__(self, env: WorkflowEnvironment, journeys: Journeys, policy: str, years: float) -> None:
        self.env = env
        self.journeys = journeys
        self.policy = policy
        self.years = years
        self.ids = itertools.count(1)

    def eid(self, prefix: str) -> str:
        return f"{prefix}-{next(self.ids)}"

    async def today(self) -> date:
        return london_date(await self.env.get_current_time())

    async def reach(self, run: Run, day: date) -> None:
        """Skip to noon of ``day`` in London (24-hour steps miss a day when the clocks change)."""
        noon = datetime.combine(day, clock_time(12), LONDON)
        now = await self.env.get_current_time()
        if noon > now:
            began = time.perf_counter()
            await self.env.sleep(noon - now)
            run.skipping += time.perf_counter() - began

    async def send(self, run: Run, event) -> JourneyState:
        began = time.perf_counter()
        try:
            state = (await self.journeys.send_event(run.case_ref, event)).state
        except EventPending:
            raise  # the update itself was not answered: the figure would be meaningless
        except WorkerUnavailable:
            # The update was answered; its state query was held (the time-skipping server can hold a query
            # sent as a journey continues as new). Counted, and asked again.
            run.held_queries += 1
            state = await self.journeys.state(run.case_ref)
        run.events += time.perf_counter() - began
        run.sent[event.type] += 1
        return state

    async def next_run(self, run: Run, before: str) -> None:
        """Wait (real time) until the journey's next run has started and has nothing in flight.

        Asked with the raw describe call, not a query: a query sent while a journey continues as new is
        what the time-skipping server holds.
        """
        client = self.env.client
        request = DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id_for(run.case_ref)))
        began = time.perf_counter()
        while True:
            described = await client.workflow_service.describe_workflow_execution(request)
            if (described.workflow_execution_info.execution.run_id != before and not described.pending_activities
                    and not described.HasField("pending_workflow_task")):
                break
            if time.perf_counter() - began > CALL_TIMEOUT:
                raise RuntimeError(f"the journey for {run.case_ref} did not continue as new within {CALL_TIMEOUT} s")
            await asyncio.sleep(0.01)
        run.new_runs += time.perf_counter() - began

    async def latest_run_id(self, case: str) -> str:
        described = await self.env.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(namespace=self.env.client.namespace,
                                             execution=WorkflowExecution(workflow_id=workflow_id_for(case))))
        return described.workflow_execution_info.execution.run_id

    async def book_next_review(self, run: Run, state: JourneyState) -> None:
        limit = state.deadline("review").due
        await self.send(run, ReviewScheduled(event_id=self.eid("book"), scheduled_on=await self.today(),
                                             review_date=limit - REVIEW_BOOKED_BEFORE_LIMIT))

    async def drive(self) -> Run:
        run = Run(case_ref())
        began = time.perf_counter()
        opened_on = await self.today()
        await self.journeys.start(run.case_ref, self.policy, StrategyDiscussion(
            event_id="sd-1", held_on=opened_on, initiated_section_47=True))
        run.sent["strategy_discussion"] += 1
        await self.reach(run, opened_on + timedelta(days=ICPC_AFTER_DAYS))
        state = await self.send(run, IcpcHeld(event_id="icpc-1", held_on=await self.today(), decision="plan",
                                              category="neglect"))
        assert state.stage is Stage.ON_PLAN, state.stage
        ends_on = opened_on + timedelta(days=round(self.years * 365.25))
        await self.book_next_review(run, state)
        state = await self.journeys.state(run.case_ref)
        while True:
            due_dates = [(row.due, row.kind) for row in state.deadlines if row.status is DeadlineStatus.OPEN]
            due_dates.append((state.review_date, "review_conference"))
            due, kind = min(due_dates)
            if due >= ends_on:
                break
            await self.reach(run, due)
            if kind in ("visit", "bedroom_seen"):
                state = await self.send(run, VisitMade(event_id=self.eid("visit"), visited_on=due, outcome="seen",
                                                       seen_alone=True, bedroom_seen=True))
            elif kind == "core_group":
                state = await self.send(run, CoreGroupHeld(
                    event_id=self.eid("cg"), held_on=due, attended=["social worker", "school", "health visitor"],
                    decisions=["plan reviewed"], actions=["health visitor to visit"]))
            elif kind in TASKS:
                state = await self.send(run, TaskCompleted(event_id=self.eid(kind), task=kind, completed_on=due))
            elif kind == "review_conference":
                before = await self.latest_run_id(run.case_ref)
                await self.send(run, ReviewHeld(event_id=self.eid("review"), held_on=due, outcome="continue"))
                run.reviews += 1
                await self.next_run(run, before)
                state = await self.journeys.state(run.case_ref)
                await self.book_next_review(run, state)
                state = await self.journeys.state(run.case_ref)
            else:
                raise RuntimeError(f"the bench does not know how to do {kind!r}")
            if state.stage is Stage.CLOSED:
                raise RuntimeError(f"the plan closed early: {state.closed_because}")
        await self.reach(run, ends_on)
        state = await self.send(run, PlanEnded(event_id="end", ended_on=await self.today(),
                                               reason=EndingReason.TURNED_18))
        handle = self.env.client.get_workflow_handle(workflow_id_for(run.case_ref), result_type=JourneyState)
        final = await handle.result()
        run.wall = time.perf_counter() - began
        assert final.stage is Stage.CLOSED, final.stage
        if final.escalations:
            print(f"  note: {run.case_ref} escalated {len(final.escalations)} time(s): the plan was not kept to time")
        run.years = (ends_on - opened_on).days / 365.25
        await measure_chain(self.env.client, run)
        return run


async def measure_chain(client: Client, run: Run) -> None:
    """Every run of the journey, walked back from the last; their history events and bytes summed."""
    run_id: str | None = ""  # "" is the latest run
    while run_id is not None:
        handle = client.get_workflow_handle(workflow_id_for(run.case_ref), run_id=run_id or None)
        history = await handle.fetch_history()
        run.runs += 1
        for event in history.events:
            size = event.ByteSize()
            name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
            run.history_events += 1
            run.history_bytes += size
            run.by_type[name] += 1
            run.bytes_by_type[name] += size
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None


async def warm_up(journeys: Journeys, env: WorkflowEnvironment, policy: str) -> None:
    """One journey started and closed ("no plan"), not measured: the worker's first imports are not a plan's cost."""
    case = case_ref()
    today = london_date(await env.get_current_time())
    await journeys.start(case, policy, StrategyDiscussion(event_id="sd-1", held_on=today, initiated_section_47=True))
    await journeys.send_event(case, IcpcHeld(event_id="icpc-1", held_on=today, decision="no_plan"))
    await env.client.get_workflow_handle(workflow_id_for(case)).result()


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def report(runs: list[Run], years: float) -> None:
    print()
    print(f"{'repeat':>6} {'years':>5} {'wall s':>7} {'skip s':>7} {'events s':>8} {'new runs s':>10} "
          f"{'sent':>5} {'runs':>4} {'hist events':>11} {'hist KB':>8} {'held q':>6}")
    for number, run in enumerate(runs, 1):
        print(f"{number:>6} {run.years:>5.2f} {run.wall:>7.2f} {run.skipping:>7.2f} {run.events:>8.2f} "
              f"{run.new_runs:>10.2f} {sum(run.sent.values()):>5} {run.runs:>4} {run.history_events:>11} "
              f"{run.history_bytes / 1000:>8.1f} {run.held_queries:>6}")

    last = runs[-1]
    print(f"\nevents sent per plan: {dict(last.sent)} (reviews continuing the plan: {last.reviews})")
    # The most frequent types, and any type among the heaviest in bytes that is not frequent (a run's
    # start carries the state brought forward): what to cut shows either way.
    shown = [name for name, _ in last.by_type.most_common(TOP_TYPES)]
    shown += [name for name, _ in last.bytes_by_type.most_common(TOP_BY_BYTES) if name not in shown]
    print(f"\nhistory event types across the chain of runs (last repeat, {last.runs} runs): the {TOP_TYPES} most "
          f"frequent, and any of the {TOP_BY_BYTES} heaviest besides")
    print(f"  {'type':<48} {'events':>6} {'per yr':>7} {'KB':>7} {'KB/yr':>7} {'share of bytes':>14}")
    for name in shown:
        count, size = last.by_type[name], last.bytes_by_type[name]
        print(f"  {name:<48} {count:>6} {count / last.years:>7.1f} {size / 1000:>7.1f} "
              f"{size / 1000 / last.years:>7.1f} {size / last.history_bytes:>13.0%}")
    rest = [name for name in last.by_type if name not in shown]
    if rest:
        count = sum(last.by_type[name] for name in rest)
        size = sum(last.bytes_by_type[name] for name in rest)
        print(f"  {'the other ' + str(len(rest)) + ' types':<48} {count:>6} {count / last.years:>7.1f} "
              f"{size / 1000:>7.1f} {size / 1000 / last.years:>7.1f} {size / last.history_bytes:>13.0%}")
        print("    of which: " + ", ".join(f"{name} {last.by_type[name]} ({last.bytes_by_type[name] / 1000:.1f} KB)"
                                         for name in sorted(rest, key=last.by_type.__getitem__, reverse=True)))
    biggest = last.bytes_by_type.most_common(3)
    print("  biggest by bytes: " + ", ".join(f"{name} {size / 1000:.1f} KB" for name, size in biggest))

    walls = [run.wall for run in runs]
    events_per_year = [run.history_events / run.years for run in runs]
    kb_per_year = [run.history_bytes / 1000 / run.years for run in runs]
    wall_target = TARGET_WALL_SECONDS_FOR_2_YEARS * years / 2
    print(f"\nmin / median / max over {len(runs)} repeat(s) of a {years:g}-year plan:")
    print(f"  wall time, start to closed: {spread(walls)} s")
    print(f"    of which time skipping:   {spread([run.skipping for run in runs])} s")
    print(f"    of which events (update + state query): {spread([run.events for run in runs])} s, "
          f"{spread([run.events / sum(run.sent.values()) * 1000 for run in runs], '{:.1f}')} ms each")
    print(f"    of which new runs after reviews: {spread([run.new_runs for run in runs])} s")
    print(f"  history events per journey-year: {spread(events_per_year, '{:.0f}')}")
    print(f"  history KB per journey-year:     {spread(kb_per_year, '{:.1f}')}")
    print("\nissue 12's targets (medians):")
    scaled = "" if years == 2 else f" (2 s scaled to {years:g} years)"
    print(f"  a 2-year plan < 2 s wall{scaled}: {statistics.median(walls):.2f} s "
          f"({statistics.median(walls) / wall_target:.2f}x the target) -> {met(statistics.median(walls) < wall_target)}")
    median_events = statistics.median(events_per_year)
    print(f"  < {TARGET_EVENTS_PER_YEAR} history events per journey-year: {median_events:.0f} "
          f"({median_events / TARGET_EVENTS_PER_YEAR:.2f}x) -> {met(median_events < TARGET_EVENTS_PER_YEAR)}")
    median_kb = statistics.median(kb_per_year)
    print(f"  < {TARGET_KB_PER_YEAR} KB of history per journey-year: {median_kb:.1f} KB "
          f"({median_kb / TARGET_KB_PER_YEAR:.2f}x) -> {met(median_kb < TARGET_KB_PER_YEAR)}")


async def bench(years: float, repeats: int, policy: str) -> None:
    # `kill` stops the bench as Ctrl-C does: the main task is cancelled, so the finally below stops the server.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    ring = KeyRing({"bench": secrets.token_bytes(32)}, "bench")
    with quiet_stdout():
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(TEST_SERVER), data_converter=data_converter(ring))
    try:
        await register_search_attributes(env.client)
        with tempfile.TemporaryDirectory(prefix="plan-bench-") as directory:
            task_queue = f"plan-bench-{uuid.uuid4().hex[:8]}"
            engine = make_engine(f"sqlite:///{Path(directory) / 'records.db'}")
            sender = FileSender(Path(directory) / "notifications.jsonl")
            async with build_worker(env.client, task_queue=task_queue, engine=engine, sender=sender):
                journeys = Journeys(env.client, task_queue, clock=env.get_current_time, timeout=CALL_TIMEOUT)
                await warm_up(journeys, env, policy)
                runs = []
                for number in range(1, repeats + 1):
                    run = await Plan(env, journeys, policy, years).drive()
                    print(f"repeat {number}/{repeats}: {run.case_ref}, {run.wall:.2f} s, {run.history_events} events, "
                          f"{run.history_bytes / 1000:.1f} KB over {run.runs} runs", flush=True)
                    runs.append(run)
            engine.dispose()
        report(runs, years)
    finally:
        await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=float, default=2.0, help="the plan's length from the strategy discussion")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--policy", default="darlington", help="a shipped profile (case refs are Darlington's shape)")
    args = parser.parse_args()
    if args.years <= 0.25 or args.repeats < 1:
        parser.error("--years must be over 0.25 (a first review) and --repeats at least 1")
    configure_logging("WARNING")  # the activities log each record at INFO
    started = time.perf_counter()
    try:
        asyncio.run(bench(args.years, args.repeats, args.policy))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: the test server was stopped", file=sys.stderr)
        sys.exit(130)
    print(f"\n({time.perf_counter() - started:.0f} s in all; the test server has been stopped)")


if __name__ == "__main__":
    main()
