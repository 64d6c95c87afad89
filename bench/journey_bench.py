"""What does a journey cost one worker, against the same Temporal work with no project code?

One command: starts the Temporal dev server (from .venv/bin, on 127.0.0.1) and one worker PROCESS per
kind of round, each on a task queue of its own, so a round's worker CPU (read from /proc/<pid>/stat of
that process) is the worker's alone and never the client's. The dev server and every worker process
are stopped at the end, after an error, and on Ctrl-C.

Rounds, interleaved (A, B, C, D, E, A, B, ...), each repeated R times, reported as min / median / max:

A. no-op: N true no-op workflows, started and their result awaited (no activity);
B. same shape: N workflows started, sent one update that runs one activity writing nothing, result
   awaited: the Temporal shape of a journey start, with no project code (plain pydantic converter);
C. journey start: N journeys through the project's client (``starter.client.Journeys``): started on a
   strategy discussion, an ICPC "no plan" sent (update, then the state query the client reads), result;
D. raw updates: E updates, each running one activity writing nothing, to L waiting workflows;
E. events: E visits (``VisitMade``) through the project's client to L journeys on a plan.

L = CONCURRENCY workflows in flight; in D and E each lane sends to its own workflow, one at a time. The
workflows of D and E are started (and the journeys put on a plan) before the round's clock starts, and
each round starts once every worker is idle. Beside each round's rate: its worker's CPU per operation,
and the dev server's (its Temporal side, the same for any worker).

Memory, in two more worker processes started afresh after the rounds: resident memory (VmRSS from
/proc/<pid>/status, after the worker ran ``gc.collect`` and ``malloc_trim`` on a signal) before and
after M workflows wait in its cache: M journeys waiting for their ICPC, and M trivial workflows
waiting for an update. No tracemalloc: with worker threads alive it can crash (CPython gh-128679).

Run: .venv/bin/python bench/journey_bench.py [--journeys N] [--events E] [--repeats R] [--open M]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import itertools
import logging
import os
import secrets
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from temporalio.client import Client  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

import workflows.search_attributes  # noqa: E402
from activities.log import configure_logging  # noqa: E402
from bench_shapes import NoOp, Receiver, nothing  # noqa: E402
from quiet import quiet_stdout  # noqa: E402
from domain.deadlines import london_date  # noqa: E402
from domain.events import IcpcHeld, StrategyDiscussion, VisitMade, workflow_id_for  # noqa: E402
from domain.state import Stage  # noqa: E402
from starter.client import Journeys  # noqa: E402
from starter.codec import KeyRing, data_converter  # noqa: E402

POLICY = "darlington"
CONCURRENCY = 16  # workflows (or lanes of updates) in flight at once, in every round
WARMUP = 8  # per kind, not measured: the first runs import into each worker's sandbox
ACTIVITY_THREADS = 8  # as build_worker's default: activities run on a thread pool of this size
SETTLE_SECONDS = 120  # longest wait for held workflows to reach their worker's cache
KEY_VARIABLE = "JOURNEY_BENCH_KEY"  # the run's encryption key, handed to the worker processes
TICKS = os.sysconf("SC_CLK_TCK")


def project_converter():
    return data_converter(KeyRing({"bench": bytes.fromhex(os.environ[KEY_VARIABLE])}, "bench"))


# -- The worker processes ------------------------------------------------------------------


def serve(kind: str, target: str, queue: str, directory: str) -> None:
    """A worker process: 'journey' (build_worker, as the project runs it) or 'baseline' (bench_shapes only)."""
    channel = sys.stdout  # the parent reads "BENCH: ..." lines here; everything else goes to stderr
    sys.stdout = sys.stderr
    configure_logging("WARNING")  # the activities log each record at INFO
    asyncio.run(_serve(kind, target, queue, Path(directory), channel))
    # The worker has shut down; skip interpreter finalization, where the SDK's Rust threads can still call
    # into Python and abort it (PyGILState_Release while finalizing), which would only add noise to stderr.
    sys.stderr.flush()
    os._exit(0)


async def _serve(kind: str, target: str, queue: str, directory: Path, channel) -> None:
    if kind == "journey":
        from activities.db import make_engine
        from activities.notify import FileSender
        from worker import build_worker

        client = await Client.connect(target, data_converter=project_converter())
        worker = build_worker(client, task_queue=queue, engine=make_engine(f"sqlite:///{directory / queue}.db"),
                              sender=FileSender(directory / f"{queue}.jsonl"))
    else:
        client = await Client.connect(target, data_converter=pydantic_data_converter)
        worker = Worker(client, task_queue=queue, workflows=[NoOp, Receiver], activities=[nothing],
                        activity_executor=ThreadPoolExecutor(max_workers=ACTIVITY_THREADS),
                        max_concurrent_activities=ACTIVITY_THREADS)

    def say(line: str) -> None:
        channel.write(f"BENCH: {line}\n")
        channel.flush()

    def trim() -> None:
        gc.collect()
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        with contextlib.suppress(AttributeError):
            libc.malloc_trim(0)  # glibc: hand freed heap back, so RSS shows what is held
        running = getattr(getattr(worker, "_workflow_worker", None), "_running_workflows", None)
        say(f"trimmed {len(running) if running is not None else -1}")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, trim)
    parent = os.getppid()
    async with worker:
        say("ready")
        while not stop.is_set() and os.getppid() == parent:  # a parent killed outright leaves no orphan
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1)


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system, every thread) a process has used so far, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def dev_server_pid() -> int | None:
    """The Temporal dev server: a child process of this one, named temporal (None if not found)."""
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/comm").read_text().strip() == "temporal":
                    return int(pid)
    return None


class WorkerProcess:
    """A worker process of this script; its CPU and resident memory read from /proc."""

    every: list[WorkerProcess] = []

    def __init__(self, kind: str, target: str, directory: str) -> None:
        self.kind = kind
        self.queue = f"bench-{kind}-{uuid.uuid4().hex[:8]}"
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, "--target", target, "--queue", self.queue, "--dir", directory],
            stdout=subprocess.PIPE, text=True, start_new_session=True,  # Ctrl-C reaches us; we stop it
        )
        WorkerProcess.every.append(self)

    async def said(self, word: str) -> str:
        while True:
            line = await asyncio.to_thread(self.process.stdout.readline)
            if not line:
                raise RuntimeError(f"the {self.kind} worker exited (code {self.process.wait()})")
            if line.startswith(f"BENCH: {word}"):
                return line.split(word, 1)[1].strip()

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    async def trimmed_rss_kib(self) -> tuple[int, int]:
        """(VmRSS in KiB after the worker collected and trimmed its heap, workflows in its cache)."""
        self.process.send_signal(signal.SIGUSR1)
        cached = int(await self.said("trimmed"))
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]), cached
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self in WorkerProcess.every:
            WorkerProcess.every.remove(self)

    @classmethod
    def stop_all(cls) -> None:
        for worker in list(cls.every):
            worker.stop()


# -- The rounds ------------------------------------------------------------------------------


async def bounded(count: int, one: Callable[[int], Awaitable[None]], lanes: int = CONCURRENCY) -> None:
    """one(0..count-1), with `lanes` in flight."""
    indexes = iter(range(count))

    async def lane() -> None:
        for index in indexes:
            await one(index)

    await asyncio.gather(*(lane() for _ in range(min(lanes, count))))


def today():
    return london_date(datetime.now(UTC))


SERIALS = itertools.count(1)
HELD = 9_000_000  # the journeys held open for the memory figure: DAR-9000001 on


def case_ref(first: int = 0) -> str:
    """A case reference of the shape Darlington's system issues (DAR-0000042), new each call."""
    return f"DAR-{first + next(SERIALS):07d}"


@dataclass
class Figures:
    label: str
    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    settled: list[float] = field(default_factory=list)

    def median_rate(self) -> float:
        return statistics.median(self.rates)

    def median_cpu(self) -> float:
        return statistics.median(self.cpu_ms)


class Bench:
    def __init__(self, plain: Client, project: Client, workers: dict[str, WorkerProcess]) -> None:
        self.plain = plain
        self.project = project
        self.workers = workers
        self.server = dev_server_pid() or os.getpid()  # for its CPU per operation
        self.journeys = {kind: Journeys(project, workers[kind].queue) for kind in ("journey", "events")}

    # Each round: (prepare, timed body), so only the body is clocked.

    async def noop(self, n: int, tag: str) -> None:
        async def one(i: int) -> None:
            await self.plain.execute_workflow(NoOp.run, i, id=f"noop-{tag}-{i}", task_queue=self.workers["noop"].queue)
        await bounded(n, one)

    async def shape(self, n: int, tag: str) -> None:
        async def one(i: int) -> None:
            handle = await self.plain.start_workflow(Receiver.run, 1, id=f"shape-{tag}-{i}",
                                                     task_queue=self.workers["shape"].queue)
            await handle.execute_update(Receiver.step, i)
            await handle.result()
        await bounded(n, one)

    async def journey(self, n: int, tag: str) -> None:
        journeys = self.journeys["journey"]

        async def one(i: int) -> None:
            ref = case_ref()
            await journeys.start(ref, POLICY, StrategyDiscussion(event_id="sd-1", held_on=today(),
                                                                 initiated_section_47=True))
            state = await journeys.send(ref, IcpcHeld(event_id="icpc-1", held_on=today(), decision="no_plan"))
            assert state.stage is Stage.CLOSED, state.stage
            await self.project.get_workflow_handle(workflow_id_for(ref)).result()
        await bounded(n, one)

    async def raw_updates(self, e: int, tag: str) -> Callable[[], Awaitable[None]]:
        per_lane = max(1, e // CONCURRENCY)
        handles = [await self.plain.start_workflow(Receiver.run, per_lane, id=f"raw-{tag}-{lane}",
                                                   task_queue=self.workers["raw"].queue)
                   for lane in range(CONCURRENCY)]
        for handle in handles:
            await handle.query(Receiver.count)  # its first task has run: the round times updates only

        async def body() -> None:
            async def lane(handle) -> None:
                for i in range(per_lane):
                    await handle.execute_update(Receiver.step, i)
            await asyncio.gather(*(lane(handle) for handle in handles))
        return body

    async def events(self, e: int, tag: str) -> Callable[[], Awaitable[None]]:
        journeys = self.journeys["events"]
        per_lane = max(1, e // CONCURRENCY)
        refs = [case_ref() for _ in range(CONCURRENCY)]

        async def on_plan(i: int) -> None:
            await journeys.start(refs[i], POLICY, StrategyDiscussion(event_id="sd-1", held_on=today(),
                                                                     initiated_section_47=True))
            state = await journeys.send(refs[i], IcpcHeld(event_id="icpc-1", held_on=today(), decision="plan",
                                                          category="neglect"))
            assert state.stage is Stage.ON_PLAN, state.stage
        await bounded(len(refs), on_plan)

        async def body() -> None:
            async def lane(ref: str) -> None:
                for i in range(per_lane):
                    await journeys.send_event(ref, VisitMade(event_id=f"visit-{i}", visited_on=today(),
                                                             outcome="seen"))
            await asyncio.gather(*(lane(ref) for ref in refs))
        return body


async def quiet(workers, most: float = 10.0) -> None:
    """Wait (at most `most` seconds) until no worker is busy: a round's clock starts with the work before it done.

    The journeys put on a plan for round E, for one, send their letters after the ICPC's answer.
    """
    end = time.monotonic() + most
    while time.monotonic() < end:
        before = sum(worker.cpu_seconds() for worker in workers)
        await asyncio.sleep(0.2)
        if sum(worker.cpu_seconds() for worker in workers) - before <= 0.02:  # two clock ticks at most
            return


async def last_busy(worker: WorkerProcess, idle: float = 0.3, step: float = 0.05) -> float:
    """Wait until the worker has used no CPU for `idle` seconds; when (perf_counter) it last did."""
    last, seen = time.perf_counter(), worker.cpu_seconds()
    while time.perf_counter() - last < idle:
        await asyncio.sleep(step)
        now = worker.cpu_seconds()
        if now - seen > 1.5 / TICKS:  # more than one clock tick: still working
            last = time.perf_counter()
        seen = now
    return last


def spread(values: list[float], fmt: str) -> str:
    return " / ".join(format(value, fmt) for value in (min(values), statistics.median(values), max(values)))


async def rounds(bench: Bench, n: int, e: int, repeats: int) -> dict[str, Figures]:
    figures = {
        "noop": Figures("A  no-op workflow (start, result)"),
        "shape": Figures("B  same shape (start, update+activity, result)"),
        "journey": Figures("C  journey start (start, ICPC no plan, result)"),
        "raw": Figures("D  raw update running one activity"),
        "events": Figures("E  events through the client (visit)"),
    }
    # Warm-up, not measured: every worker imports its workflows into the sandbox once.
    await bench.noop(WARMUP, "warm")
    await bench.shape(WARMUP, "warm")
    await bench.journey(WARMUP, "WARM")
    await (await bench.raw_updates(CONCURRENCY, "warm"))()
    await (await bench.events(CONCURRENCY, "WARM"))()
    for r in range(1, repeats + 1):
        for kind, count in (("noop", n), ("shape", n), ("journey", n), ("raw", e), ("events", e)):
            tag = f"R{r}{kind[:2].upper()}"
            if kind in ("raw", "events"):
                body = await getattr(bench, "raw_updates" if kind == "raw" else "events")(count, tag)
                count = max(1, count // CONCURRENCY) * CONCURRENCY
            else:
                body = lambda kind=kind, count=count, tag=tag: getattr(bench, kind)(count, tag)  # noqa: E731
            await quiet(bench.workers.values())
            worker = bench.workers[kind]
            cpu, server, began = worker.cpu_seconds(), cpu_seconds(bench.server), time.perf_counter()
            await body()
            answered = time.perf_counter() - began
            # Work an answer leaves behind (a journey answers an event, then writes its record) is the
            # round's too: CPU is counted until the worker is idle again, and "settled" is when it was.
            settled = await last_busy(worker) - began
            cpu, server = worker.cpu_seconds() - cpu, cpu_seconds(bench.server) - server
            figures[kind].rates.append(count / answered)
            figures[kind].settled.append(count / max(answered, settled))
            figures[kind].cpu_ms.append(cpu / count * 1000)
            figures[kind].server_ms.append(server / count * 1000)
        print(f"  repeat {r} of {repeats} done", flush=True)
    return figures


def report(figures: dict[str, Figures]) -> None:
    print(f"\n{'round':<48} {'per second, answered':>26}   {'worker CPU ms each':>24}   settled/s   server CPU ms")
    print(f"{'':<48} {'(min / median / max)':>26}   {'(min / median / max)':>24}   (median)    each (median)")
    for f in figures.values():
        print(f"{f.label:<48} {spread(f.rates, '7.1f'):>26}   {spread(f.cpu_ms, '6.2f'):>24}   "
              f"{statistics.median(f.settled):8.1f}   {statistics.median(f.server_ms):6.2f}")

    def ratio(a: str, b: str, target: float | None = None) -> str:
        rate = figures[a].median_rate() / figures[b].median_rate()
        settled = statistics.median(figures[a].settled) / statistics.median(figures[b].settled)
        cpu = figures[a].median_cpu() / figures[b].median_cpu()
        verdict = "" if target is None else (
            f"   target >= {target}: {'met' if min(rate, settled) >= target else 'NOT met'}")
        return f"answered {rate:.2f}x, settled {settled:.2f}x, CPU each {cpu:.2f}x{verdict}"

    print("\nratios of medians:")
    print(f"  journey start / same shape (C/B):  {ratio('journey', 'shape', 0.8)}")
    print(f"  journey start / no-op (C/A):       {ratio('journey', 'noop')}")
    print(f"  same shape / no-op (B/A):          {ratio('shape', 'noop')}")
    print(f"  events / raw update (E/D):         {ratio('events', 'raw', 0.8)}")


# -- Memory ----------------------------------------------------------------------------------


def records(directory: str, queue: str, prefix: str) -> int:
    with contextlib.closing(sqlite3.connect(f"{directory}/{queue}.db")) as db:
        return db.execute("select count(*) from journey_record where case_ref like ? and kind = ?",
                          (f"{prefix}%", "strategy_discussion")).fetchone()[0]


async def until(test: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + SETTLE_SECONDS
    while not test():
        if time.monotonic() > end:
            raise RuntimeError(f"{what} not settled after {SETTLE_SECONDS}s")
        await asyncio.sleep(0.1)


async def memory(target: str, directory: str, plain: Client, project: Client, m: int) -> tuple[float, float]:
    """KiB of worker RSS per waiting journey and per trivial waiting workflow, each in a fresh worker process."""
    per: dict[str, float] = {}
    for kind in ("baseline", "journey"):
        worker = WorkerProcess(kind, target, directory)
        try:
            await worker.said("ready")
            if kind == "journey":
                bench = Bench(plain, project, {"journey": worker, "events": worker})
                await bench.journey(WARMUP, "MWARM")
            else:
                bench = Bench(plain, project, {"journey": worker, "events": worker, "shape": worker})
                await bench.shape(WARMUP, "mwarm")
            before, _ = await worker.trimmed_rss_kib()
            if kind == "journey":
                journeys = bench.journeys["journey"]
                held = [case_ref(HELD) for _ in range(m)]

                async def hold(i: int) -> None:
                    await journeys.start(held[i], POLICY, StrategyDiscussion(
                        event_id="sd-1", held_on=today(), initiated_section_47=True))
                await bounded(m, hold)
                await until(lambda: records(directory, worker.queue, f"DAR-{HELD // 1_000_000}") >= m,
                            "held journeys' records")

                async def settled(i: int) -> None:
                    assert (await journeys.state(held[i])).stage is Stage.AWAITING_ICPC
            else:
                async def hold(i: int) -> None:
                    await plain.start_workflow(Receiver.run, 0, id=f"hold-{i}", task_queue=worker.queue)
                await bounded(m, hold)

                async def settled(i: int) -> None:
                    await plain.get_workflow_handle(f"hold-{i}").query(Receiver.count)
            await bounded(m, settled)
            after, cached = await worker.trimmed_rss_kib()
            per[kind] = (after - before) / m
            label = ("journeys waiting for their ICPC" if kind == "journey"
                     else "trivial workflows waiting for an update")
            print(f"  {m} {label:<40} RSS {before / 1024:6.1f} -> {after / 1024:6.1f} MiB "
                  f"({cached} in cache): {per[kind]:6.1f} KiB each")
        finally:
            worker.stop()
    return per["journey"], per["baseline"]


# -- The run ---------------------------------------------------------------------------------


async def run(n: int, e: int, repeats: int, m: int) -> None:
    configure_logging("WARNING")
    # `kill <pid>` stops the run as Ctrl-C does: the clean-up below runs, and nothing is left behind.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    with quiet_stdout():
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
            search_attributes=workflows.search_attributes.ALL,
            data_converter=project_converter(),  # encrypted as in production, with a key made for this run
            dev_server_log_level="error",
        )
    try:
        target = env.client.service_client.config.target_host
        plain = await Client.connect(target, data_converter=pydantic_data_converter)
        with tempfile.TemporaryDirectory(prefix="journey-bench-") as directory:
            kinds = {"noop": "baseline", "shape": "baseline", "journey": "journey", "raw": "baseline",
                     "events": "journey"}
            workers = {kind: WorkerProcess(process, target, directory) for kind, process in kinds.items()}
            try:
                for worker in workers.values():
                    await worker.said("ready")
                print(f"dev server + {len(workers)} worker processes (one task queue each); {n} starts and "
                      f"{e} events per round, {repeats} repeats interleaved, {CONCURRENCY} in flight, "
                      f"policy {POLICY}", flush=True)
                figures = await rounds(Bench(plain, env.client, workers), n, e, repeats)
            finally:
                WorkerProcess.stop_all()
            report(figures)
            print(f"\nmemory, each kind in a fresh worker process (M={m}):", flush=True)
            journey_kib, trivial_kib = await memory(target, directory, plain, env.client, m)
            if trivial_kib > 0:
                ratio = journey_kib / trivial_kib
                print(f"  journey / trivial waiting workflow: {ratio:.2f}x   target <= 2: "
                      f"{'met' if ratio <= 2 else 'NOT met'}")
            else:
                print("  journey / trivial waiting workflow: too few held to measure (raise --open)")
    except Exception:
        if asyncio.current_task().cancelling():  # interrupted: a call cut short says so in its own words
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # and so would its siblings, at exit
            raise asyncio.CancelledError from None
        raise
    finally:
        WorkerProcess.stop_all()
        await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=80, metavar="N", help="starts per round (A, B, C)")
    parser.add_argument("--events", type=int, default=480, metavar="E", help="updates or events per round (D, E)")
    parser.add_argument("--repeats", type=int, default=5, metavar="R", help="repeats of each round, interleaved")
    parser.add_argument("--open", type=int, default=400, metavar="M", help="workflows held open for memory")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--queue", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.target, args.queue, args.dir)
        return
    if args.journeys < 2 or args.events < 1 or args.repeats < 1 or args.open < 1:
        parser.error("--journeys needs at least 2; --events, --repeats and --open at least 1")
    os.environ[KEY_VARIABLE] = secrets.token_bytes(32).hex()  # inherited by the worker processes
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C stops the run even if started with it ignored
    began = time.perf_counter()
    try:
        asyncio.run(run(args.journeys, args.events, args.repeats, args.open))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: the dev server and worker processes were stopped", file=sys.stderr)
        sys.exit(130)
    finally:
        WorkerProcess.stop_all()  # in case asyncio.run was cut short before its own clean-up ran
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
