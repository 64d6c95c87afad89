"""The one place that talks to Temporal: the CLI, the admin tool and the API all come here."""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from pydantic import TypeAdapter

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from domain import case_refs, complaints, icpc, imports
from domain.complaints import (
    COMPLAINT_EVENTS,
    ComplaintMade,
    ComplaintStart,
    ComplaintState,
    DisagreementRaised,
    complaint_workflow_id,
)
from domain.conference import CONFERENCE_EVENTS, ConferenceState
from domain.deadlines import due_day_of, london_date
from domain.effects import NotificationRequest, Receipt, fingerprint
from domain.events import (
    EVENT_TYPES,
    FEED_EVENTS,
    CaseRef,
    ConferenceBooked,
    RecordedBy,
    StrategyDiscussion,
    TransferIn,
    workflow_id_for,
)
from domain.imports import ImportedPlan
from domain.plan import InvalidEvent
from domain.state import JourneyStart
from shipped import released
from starter.codec import data_converter
from starter.metrics import counts_events
from domain.state import ChallengeRow, JourneyState, Stage
from shipped.calendars import is_shipped
from shipped.profiles import load_profile, profile_ids
from workflows import search_attributes as sa
from workflows.calendar_updates import CALENDAR_UPDATED
from workflows.complaint import ComplaintWorkflow
from domain.conference import conference_workflow_id
from workflows.conference import ConferenceWorkflow
from workflows.journey import ChildProtectionJourney

TASK_QUEUE = os.environ.get("CPJ_TASK_QUEUE", "cp-journeys")

T = TypeVar("T")


def call_timeout() -> float:
    """Seconds any one call to Temporal may take (``CPJ_TEMPORAL_TIMEOUT``, default 10)."""
    return float(os.environ.get("CPJ_TEMPORAL_TIMEOUT", "10"))


def temporal_address() -> str:
    return os.environ.get("CPJ_TEMPORAL_ADDRESS", "localhost:7233")


async def connect(address: str | None = None, namespace: str | None = None, runtime: Runtime | None = None) -> Client:
    return await Client.connect(
        address or temporal_address(),
        namespace=namespace or os.environ.get("CPJ_TEMPORAL_NAMESPACE", "default"),
        # Payloads and failures encrypted (starter.codec): Temporal never holds what staff typed in clear.
        data_converter=data_converter(),
        tls=tls_config(),
        runtime=runtime,  # the worker's, exporting the SDK's metrics (activities.metrics); else the default
    )


TLS_SETTINGS = ("CPJ_TEMPORAL_TLS_CERT", "CPJ_TEMPORAL_TLS_KEY", "CPJ_TEMPORAL_TLS_CA", "CPJ_TEMPORAL_TLS_SERVER_NAME")


def tls_config() -> TLSConfig | bool:
    """TLS to Temporal's frontend from the environment (mutual TLS in the production shape); False when unset.

    ``CPJ_TEMPORAL_TLS_CERT`` and ``_KEY`` (files: this client's certificate and key, together),
    ``_CA`` (file: the CA that signed the server's certificate; default the system's) and
    ``_SERVER_NAME`` (the name in the server's certificate, when the address differs from it).
    """
    cert, key, ca, server_name = (os.environ.get(name, "").strip() for name in TLS_SETTINGS)
    if not (cert or key or ca or server_name):
        return False
    if bool(cert) != bool(key):
        raise JourneyError("CPJ_TEMPORAL_TLS_CERT and CPJ_TEMPORAL_TLS_KEY go together: a client certificate "
                           "needs its key, and a key its certificate")

    def read(setting: str, path: str) -> bytes | None:
        if not path:
            return None
        try:
            return Path(path).read_bytes()
        except OSError as err:
            raise JourneyError(f"{setting} names {path}, which cannot be read ({err.strerror})") from None

    return TLSConfig(
        client_cert=read("CPJ_TEMPORAL_TLS_CERT", cert),
        client_private_key=read("CPJ_TEMPORAL_TLS_KEY", key),
        server_root_ca_cert=read("CPJ_TEMPORAL_TLS_CA", ca),
        domain=server_name or None,
    )


async def register_search_attributes(client: Client) -> list[str]:
    """Register the journey search attributes on a Temporal cluster; returns the ones it added.

    The dev server gets them from ``cpj up``'s flags; a production cluster from
    ``cpj temporal register-search-attributes`` (the compose file's setup step).
    """
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        existing = set(listed.custom_attributes)
    except RPCError as err:
        if err.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server cannot list
            raise
        existing = set()
    missing = {key.name: key.indexed_value_type for key in sa.ALL if key.name not in existing}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing)


class JourneyError(Exception):
    """Something a caller asked for that cannot be done; the message says why."""


class JourneyNotFound(JourneyError):
    pass


class JourneyExists(JourneyError):
    pass


class EventRejected(JourneyError):
    pass


class InvalidFilter(JourneyError):
    """A listing filter that is not one we can search by: ``field`` names it, ``sentence`` says what to enter."""

    def __init__(self, field: str, sentence: str) -> None:
        super().__init__(sentence)
        self.field = field
        self.sentence = sentence


class NotAnswered(JourneyError):
    """Temporal did not answer within the bound; the call changed nothing the caller cannot safely repeat."""


class WorkerUnavailable(NotAnswered):
    """No journeys worker answered within the bound (none polling, or stuck): Temporal holds the journey."""


class EventPending(WorkerUnavailable):
    """An event sent while no worker answered: Temporal may still apply it; a resend will tell."""


@dataclass(frozen=True)
class Answer:
    """What sending an event gives back: the workflow's receipt (was it a resend?) and its state after it."""

    receipt: Receipt
    state: JourneyState | ConferenceState | ComplaintState


@dataclass(frozen=True)
class Started:
    workflow_id: str
    #: True when this start repeated the opening event of the journey already running (a caller's retry).
    resend: bool = False


@dataclass(frozen=True)
class ImportStarted:
    """What starting an imported case gave: a journey started, or one its case was imported with before."""

    workflow_id: str
    #: True when the case was imported before (by an earlier run of the import, or a retry): nothing started.
    already: bool = False
    imported_on: date | None = None
    #: What this row says differently from the import that started the journey, in words (empty: nothing).
    differs: tuple[str, ...] = ()


@dataclass(frozen=True)
class JourneySummary:
    case_ref: str
    workflow_id: str
    status: str
    stage: str | None
    policy: str | None
    next_deadline: datetime | None
    next_deadline_kind: str | None
    overdue: bool
    #: The lead social worker's staff number and the team holding the case (indexed since the
    #: "caseload-attributes" patch; None for a journey that has not named them, or has not run since).
    lead_social_worker: str | None = None
    team: str | None = None

    @property
    def next_due(self) -> date | None:
        """The day the next deadline falls due (the search attribute holds the end of that day)."""
        return due_day_of(self.next_deadline) if self.next_deadline else None


@dataclass(frozen=True)
class JourneyPage:
    """One page of journeys; ``next_page_token`` (opaque) asks for the next, ``None`` when this is the last."""

    journeys: list[JourneySummary]
    next_page_token: str | None


@dataclass(frozen=True)
class ChallengeSummary:
    """One complaint or disagreement about a case: from the journey's own list, or from Temporal's visibility.

    The journey knows what each is about and how it ended, in words; visibility knows its stage's value
    and its next deadline. A field the source does not know is None.
    """

    complaint_ref: str
    stage: str | None
    kind: str | None = None
    #: What it is about, in words.
    about: str | None = None
    opened_on: date | None = None
    outcome: str | None = None
    closed_on: date | None = None
    status: str | None = None
    next_deadline: datetime | None = None
    next_deadline_kind: str | None = None
    overdue: bool = False

    @property
    def next_due(self) -> date | None:
        return due_day_of(self.next_deadline) if self.next_deadline else None

    @property
    def open(self) -> bool:
        if self.closed_on is not None or (self.status is not None and self.status != "running"):
            return False
        return self.stage not in {stage.value for stage in complaints.ENDED}


#: One row per journey: each review continues a journey as new, leaving a closed run behind it.
LIST_QUERY = 'WorkflowType = "ChildProtectionJourney" AND ExecutionStatus != "ContinuedAsNew"'
MAX_PAGE_SIZE = 1000
_PROFILE_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_PIN = re.compile(r"([a-z0-9][a-z0-9-]*)@[A-Za-z0-9._-]+")


#: What a case reference search may hold: the start of a case reference (a prefix finds every case it begins).
_CASE_REF_START = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
#: A staff number, as events hold it (``domain.events.StaffRef``).
_STAFF_REF = re.compile(r"[A-Z]{1,4}-?[0-9]{3,10}")


def list_query(stage: Stage | str | None = None, overdue: bool | None = None, policy: str | None = None, *,
               lead_social_worker: str | None = None, team: str | None = None, case_ref: str | None = None) -> str:
    """The visibility query for journeys at a stage, overdue or not, on a profile (any version) or a pin,
    held by a lead social worker (a staff number) or a team (its name, exactly), whose case reference
    begins with ``case_ref``.

    Every value is checked against a closed set or a strict pattern before it is quoted into the query;
    a team's name, free text, may hold neither double quotes nor backslashes (no team's name can:
    ``domain.events.TeamName``; Temporal's visibility cannot match them).
    """
    clauses = [LIST_QUERY]
    if case_ref:
        if not _CASE_REF_START.fullmatch(case_ref):
            raise InvalidFilter("case_ref", "Enter a case reference, or its start, in capital letters, digits and "
                                            "hyphens, like DAR-2026-0042")
        clauses.append(f'WorkflowId STARTS_WITH "{workflow_id_for(case_ref)}"')
    if lead_social_worker:
        if not _STAFF_REF.fullmatch(lead_social_worker):
            raise InvalidFilter("lead_social_worker", "Enter the lead social worker's staff number, like SW-1042")
        clauses.append(f'{sa.LEAD_SOCIAL_WORKER.name} = "{lead_social_worker}"')
    if team:
        if any(ord(c) < 32 or ord(c) == 127 for c in team) or len(team) > 300:
            raise InvalidFilter("team", "Enter the team's name on one line, in 300 characters or fewer")
        if '"' in team or "\\" in team:
            raise InvalidFilter("team", "Enter the team's name without double quotation marks or backslashes")
        clauses.append(f'{sa.TEAM.name} = "{team}"')
    if stage:
        try:
            clauses.append(f'{sa.STAGE.name} = "{Stage(stage).value}"')
        except ValueError:
            raise InvalidFilter("stage", f"no stage {stage!r}; stages: {', '.join(s.value for s in Stage)}") from None
    if overdue is True:
        clauses.append(f"{sa.OVERDUE.name} = true")
    elif overdue is False:
        # A journey that has never had a deadline pass may not have the attribute at all.
        clauses.append(f"({sa.OVERDUE.name} = false OR {sa.OVERDUE.name} IS NULL)")
    if policy:
        pinned = _PIN.fullmatch(policy)
        profile_id = pinned.group(1) if pinned else policy
        if not (pinned or _PROFILE_ID.fullmatch(policy)) or profile_id not in profile_ids():
            raise InvalidFilter("policy", f"no policy profile {policy!r}; known: {', '.join(profile_ids())} "
                                          "(or id@version)")
        # A journey keeps the version it started on, so a profile id matches all its versions.
        clauses.append(f'{sa.POLICY.name} = "{policy}"' if pinned else f'{sa.POLICY.name} STARTS_WITH "{policy}@"')
    return " AND ".join(clauses)


def _encode_token(token: bytes | None) -> str | None:
    return base64.urlsafe_b64encode(token).decode().rstrip("=") if token else None


BAD_PAGE_TOKEN = "that page token is not one this service gave; start again from the first page"


def _decode_token(token: str | None) -> bytes | None:
    if not token:
        return None
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise JourneyError(BAD_PAGE_TOKEN) from None


_RECORDED_BY: TypeAdapter = TypeAdapter(RecordedBy)


def recorded_as(event: T, by: str | None) -> T:
    """``event`` as sent by ``by`` (a staff number or ``service:<name>``): whatever the sender wrote in
    ``recorded_by`` is replaced, so nobody can record an event in another's name."""
    if by is not None:
        # Checked here: the worker checks the field again, and one it refused would never be applied.
        by = _RECORDED_BY.validate_python(by)
    return event if event.recorded_by == by else event.model_copy(update={"recorded_by": by})


def same_event(a, b) -> bool:
    """The same event, whoever sent it: a colleague's retry of a start is still a retry."""
    return a is None and b is None or (a is not None and b is not None and fingerprint(a) == fingerprint(b))


async def wall_clock() -> datetime:
    return datetime.now(UTC)


class Journeys:
    def __init__(
        self,
        client: Client,
        task_queue: str = TASK_QUEUE,
        clock: Callable[[], Awaitable[datetime]] = wall_clock,
        timeout: float | None = None,
    ) -> None:
        self.client = client
        self.task_queue = task_queue
        # Tests on the time-skipping server pass its clock; everywhere else it is the wall clock.
        self.clock = clock
        #: Seconds any one call may take: Temporal holds a query or an update until a worker
        #: answers, which with no worker running is minutes, far longer than any caller waits.
        self.timeout = call_timeout() if timeout is None else timeout

    @property
    def rpc_timeout(self) -> timedelta:
        """Pass as ``rpc_timeout=`` so Temporal gives up on the call too, not only this process."""
        return timedelta(seconds=self.timeout)

    async def _bounded(self, awaitable: Awaitable[T], what: str, *, worker: bool = True) -> T:
        """Await one call to Temporal for at most ``self.timeout``; ``worker`` says whether a worker must answer it.

        Raises :class:`WorkerUnavailable` (or :class:`NotAnswered` when only Temporal was asked)
        instead of waiting on; other errors pass through.
        """
        try:
            # The margin lets the call's own rpc_timeout answer first; this catches calls without one.
            return await asyncio.wait_for(awaitable, self.timeout + 1)
        except TimeoutError as err:
            raise self._not_answered(what, worker) from err
        except RPCError as err:
            if err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                raise self._not_answered(what, worker) from err
            raise

    def _not_answered(self, what: str, worker: bool) -> NotAnswered:
        waited = f"{what}: no answer within {self.timeout:g} s"
        if worker:
            return WorkerUnavailable(f"the journeys worker is not answering ({waited}); nothing was lost, try again")
        return NotAnswered(f"Temporal is not answering ({waited}); nothing was lost, try again")

    @counts_events(event_at=2)
    async def start(self, case_ref: str, policy_id: str, opening: StrategyDiscussion | TransferIn, *,
                    by: str | None = None) -> Started:
        """Start a journey from a strategy discussion, or from a transfer in from another authority.

        A start repeating the running journey's opening (same policy, same event id and content) is a
        caller's retry: it is answered with that journey (``resend``), not refused. ``by`` is who
        recorded it (every event method takes it: the signed-in actor's ``recorded_as``).
        """
        opening = recorded_as(opening, by)
        field = "transfer_in" if isinstance(opening, TransferIn) else "strategy_discussion"
        profile = load_profile(policy_id)  # on the newest calendar; the input carries its pin, not the profile
        case_refs.check(case_ref, profile)  # the authority's shape, never a name or a date of birth: before any id
        start = JourneyStart(case_ref=case_ref, **released.pinned(profile), **{field: opening})
        today = london_date(await self.clock())
        opened_on = max(opening.agreed_on, opening.moved_on or opening.agreed_on) if isinstance(opening, TransferIn) \
            else opening.held_on
        if opened_on > today:
            raise EventRejected(f"{opening.type} dated {opened_on} is in the future (today is {today})")
        try:
            icpc.check_opening(profile, opening)
        except InvalidEvent as refused:
            raise EventRejected(str(refused)) from None
        workflow_id = workflow_id_for(start.case_ref)
        try:
            # A closed journey's case may open again (a new referral); a running one may not start twice.
            await self._start_journey(start, profile, Stage.AWAITING_SECTION_47, WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                                      f"Started by the {opening.type.replace('_', ' ')} of {opened_on}.")
        except WorkflowAlreadyStartedError as err:
            running = await self._opening_of_running(workflow_id, start.case_ref)
            same = running is not None and running.resolve_profile().id == profile.id and (
                same_event(running.strategy_discussion, start.strategy_discussion)
                and same_event(running.transfer_in, start.transfer_in))
            if same:
                return Started(workflow_id, resend=True)
            message = f"a journey for case {start.case_ref} is already running"
            running_opening = running and (running.strategy_discussion or running.transfer_in)
            if running_opening and running_opening.event_id == opening.event_id:
                message += f"; it opened with event {opening.event_id}, which said something else"
            raise JourneyExists(message) from err
        return Started(workflow_id)

    async def start_imported(self, case_ref: str, policy_id: str, imported: ImportedPlan, *,
                             by: str | None = None) -> ImportStarted:
        """Start the journey of a case already on a plan, mid-stream, from an import's row (``domain.imports``).

        One journey per case, ever: a case whose journey was imported before (running or closed since)
        is answered ``already`` (with what this row says differently, if anything) and nothing starts; a
        case with a journey that was not imported is refused (:class:`JourneyExists`). A retried start is
        answered the same way, so it is idempotent.
        """
        imported = recorded_as(imported, by)
        profile = load_profile(policy_id)  # on the newest calendar; the input carries its pin, not the profile
        case_refs.check(case_ref, profile)  # the authority's shape, never a name or a date of birth: before any id
        start = JourneyStart(case_ref=case_ref, **released.pinned(profile), imported=imported)
        today = london_date(await self.clock())
        if imported.imported_on > today:
            raise EventRejected(f"the import is dated {imported.imported_on}, in the future (today is {today})")
        workflow_id = workflow_id_for(start.case_ref)
        try:
            # A case is imported once: a journey it had here before, open or closed, is never started again.
            await self._start_journey(start, profile, Stage.ON_PLAN, WorkflowIDReusePolicy.REJECT_DUPLICATE,
                                      f"Imported on {imported.imported_on}, on a plan since {imported.plan_started_on}.")
        except WorkflowAlreadyStartedError as err:
            before = await self._opening_of_running(workflow_id, start.case_ref)
            if before is None or before.imported is None:
                status = await self._status(start.case_ref)
                how = ("is already running" if status is WorkflowExecutionStatus.RUNNING
                       else "was kept here before (it has closed)")
                raise JourneyExists(f"a journey for case {start.case_ref} {how} and was not imported: "
                                    "this row is not imported over it") from err
            differs = imports.differences(before.imported, imported)
            if before.resolve_profile().id != profile.id:
                differs.insert(0, f"policy {profile.id}, not {before.resolve_profile().id}")
            return ImportStarted(workflow_id, already=True, imported_on=before.imported.imported_on,
                                 differs=tuple(differs))
        return ImportStarted(workflow_id)

    async def _start_journey(self, start: JourneyStart, profile, stage: Stage, reuse: WorkflowIDReusePolicy,
                             how: str) -> None:
        """Start a case's journey (``WorkflowAlreadyStartedError`` when its id is taken), described for the Temporal UI."""
        await self._bounded(self.client.start_workflow(
            ChildProtectionJourney.run,
            start,
            id=workflow_id_for(start.case_ref),
            task_queue=self.task_queue,
            id_reuse_policy=reuse,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(sa.POLICY, profile.pin), SearchAttributePair(sa.STAGE, stage.value)]
            ),
            static_summary=f"Child protection journey for case {start.case_ref}",
            static_details=f"Policy `{profile.pin}` ({profile.authority}). {how}",
            rpc_timeout=self.rpc_timeout,
        ), f"starting the journey for case {start.case_ref}", worker=False)

    async def _opening_of_running(self, workflow_id: str, case_ref: str) -> JourneyStart | None:
        """What the running journey was started with, read from its history so that no worker is needed.

        Every run of a journey (continued as new at each review) starts with the same opening and pin.
        """
        return await self._first_input(workflow_id, JourneyStart, f"reading how the journey for case {case_ref} began")

    async def _first_input(self, workflow_id: str, model: type[T], what: str) -> T | None:
        """The input a workflow's latest run was started with, from its history (no worker needed); None if
        there is no such workflow or its input was written differently by an older release."""
        events = self.client.get_workflow_handle(workflow_id).fetch_history_events(
            page_size=1, rpc_timeout=self.rpc_timeout
        )

        async def first_event():
            async for event in events:
                return event
            return None

        try:
            event = await self._bounded(first_event(), what, worker=False)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        if event is None or not event.HasField("workflow_execution_started_event_attributes"):
            return None
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        try:
            [started] = await self.client.data_converter.decode(payloads, [model])
        except Exception:  # an input an older release wrote differently: not comparable, so not a resend
            return None
        return started if isinstance(started, model) else None

    async def send(self, case_ref: str, event, *, by: str | None = None) -> JourneyState:
        """Send one event and return the journey's state after it (see :meth:`send_event`)."""
        return (await self.send_event(case_ref, event, by=by)).state

    @counts_events(event_at=1)
    async def send_event(self, case_ref: str, event, *, by: str | None = None) -> Answer:
        """Send one event (a model from ``domain.events``): the journey's receipt and its state after it.

        Sending the same event again (same id, same content) is harmless and answered as a resend; an
        id already used for a different event is refused, naming what it was used for.
        """
        if type(event) not in EVENT_TYPES.values():
            raise EventRejected(f"not a journey event: {type(event).__name__}")
        event = recorded_as(event, by)
        if isinstance(event, ConferenceBooked):
            await self._check_conference_ref_free(event.conference_ref)
        handle = self.client.get_workflow_handle(workflow_id_for(case_ref))
        try:
            receipt = await self._update(handle, event, f"the journey for case {case_ref}",
                                         ChildProtectionJourney.event)
            state = await self._bounded(handle.query(ChildProtectionJourney.state, rpc_timeout=self.rpc_timeout),
                                        f"the state of the journey for case {case_ref}")
        except RPCError as err:
            raise await self._translate(err, case_ref) from err
        return Answer(receipt, state)

    @counts_events(event_at=1)
    async def feed(self, case_ref: str, event, *, by: str | None = None) -> None:
        """Signal a feed event (missing child, child found, significant event): no answer is awaited."""
        if type(event) not in FEED_EVENTS:
            raise EventRejected(f"{type(event).__name__} is not a feed event; send it as an event instead")
        event = recorded_as(event, by)
        handle = self.client.get_workflow_handle(workflow_id_for(case_ref))
        try:
            await self._bounded(handle.signal(ChildProtectionJourney.feed, event, rpc_timeout=self.rpc_timeout),
                                f"the feed of case {case_ref}", worker=False)
        except RPCError as err:
            raise await self._translate(err, case_ref) from err

    async def send_to_conference(self, conference_ref: str, event, *, by: str | None = None) -> ConferenceState:
        """Send one conference event and return the conference's state after it."""
        return (await self.send_conference_event(conference_ref, event, by=by)).state

    @counts_events(event_at=1)
    async def send_conference_event(self, conference_ref: str, event, *, by: str | None = None) -> Answer:
        """Send one conference event (a model from ``domain.conference``) to its conference workflow."""
        if type(event) not in CONFERENCE_EVENTS:
            raise EventRejected(f"not a conference event: {type(event).__name__}")
        event = recorded_as(event, by)
        handle = self.client.get_workflow_handle(conference_workflow_id(conference_ref))
        try:
            receipt = await self._update(handle, event, f"conference {conference_ref}")
            state = await self._bounded(handle.query(ConferenceWorkflow.state, rpc_timeout=self.rpc_timeout),
                                        f"the state of conference {conference_ref}")
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise JourneyNotFound(f"no open conference {conference_ref}") from err
            raise
        return Answer(receipt, state)

    async def _check_conference_ref_free(self, conference_ref: str) -> None:
        """A conference reference names one conference for ever: refuse a booking that reuses one."""
        try:
            await self._describe(conference_workflow_id(conference_ref), f"looking up conference {conference_ref}")
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return
            raise
        raise EventRejected(f"conference reference {conference_ref} is already used by another conference; "
                            "book this one with a reference of its own")

    async def conference(self, conference_ref: str) -> ConferenceState:
        handle = self.client.get_workflow_handle(conference_workflow_id(conference_ref))
        try:
            return await self._bounded(handle.query(ConferenceWorkflow.state, rpc_timeout=self.rpc_timeout),
                                       f"the state of conference {conference_ref}")
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise JourneyNotFound(f"no conference {conference_ref}") from err
            raise

    async def state(self, case_ref: str) -> JourneyState:
        handle = self.client.get_workflow_handle(workflow_id_for(case_ref))
        try:
            return await self._bounded(handle.query(ChildProtectionJourney.state, rpc_timeout=self.rpc_timeout),
                                       f"the state of the journey for case {case_ref}")
        except RPCError as err:
            raise await self._translate(err, case_ref) from err

    async def list(
        self,
        *,
        stage: Stage | str | None = None,
        overdue: bool | None = None,
        policy: str | None = None,
        lead_social_worker: str | None = None,
        team: str | None = None,
        case_ref: str | None = None,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> JourneyPage:
        """One page of journeys, one row each (its latest run), filtered by stage, overdue, policy, lead
        social worker and team, and by the start of the case reference (see :func:`list_query`).

        There is no cap beyond the page: follow ``next_page_token`` until it is ``None``.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise JourneyError(f"page size must be from 1 to {MAX_PAGE_SIZE}, not {page_size}")
        query = list_query(stage, overdue, policy, lead_social_worker=lead_social_worker, team=team, case_ref=case_ref)
        pages = self.client.list_workflows(
            query, page_size=page_size, next_page_token=_decode_token(page_token), rpc_timeout=self.rpc_timeout,
        )
        try:
            await self._bounded(pages.fetch_next_page(), "listing journeys", worker=False)
        except RPCError as err:
            if err.status == RPCStatusCode.INVALID_ARGUMENT and page_token:
                raise JourneyError(BAD_PAGE_TOKEN) from err
            raise
        rows = []
        for execution in pages.current_page or []:
            attrs = execution.typed_search_attributes
            rows.append(
                JourneySummary(
                    case_ref=execution.id.removeprefix("cpj-"),
                    workflow_id=execution.id,
                    status=WorkflowExecutionStatus(execution.status).name.lower() if execution.status else "unknown",
                    stage=attrs.get(sa.STAGE),
                    policy=attrs.get(sa.POLICY),
                    next_deadline=attrs.get(sa.NEXT_DEADLINE),
                    next_deadline_kind=attrs.get(sa.NEXT_DEADLINE_KIND),
                    overdue=bool(attrs.get(sa.OVERDUE)),
                    lead_social_worker=attrs.get(sa.LEAD_SOCIAL_WORKER),
                    team=attrs.get(sa.TEAM),
                )
            )
        return JourneyPage(rows, _encode_token(pages.next_page_token))

    async def _update(self, handle, event, what: str, update=None) -> Receipt:
        """An event as an update (a journey's one ``event`` update; a conference's by the event's type).
        The workflow itself tells a resend (same id, same content) from an id reused for another event,
        across its whole life; so each request gets an update id of its own."""
        try:
            return await self._bounded(
                handle.execute_update(update or event.type, event, id=f"{event.event_id}~{uuid.uuid4().hex[:12]}",
                                      result_type=Receipt, rpc_timeout=self.rpc_timeout),
                f"event {event.event_id} for {what}",
            )
        except WorkerUnavailable as err:
            raise EventPending(
                f"{err} The event may still be applied when the worker is back: send it again with the same "
                f"event id ({event.event_id}) to learn whether it was; it is never applied twice."
            ) from err
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            raise EventRejected(cause.message if isinstance(cause, ApplicationError) else str(cause or err)) from err

    async def _translate(self, err: RPCError, case_ref: str) -> Exception:
        if err.status != RPCStatusCode.NOT_FOUND:
            return err
        status = await self._status(case_ref)
        if status is None:
            return JourneyNotFound(f"no journey for case {case_ref}")
        if status != WorkflowExecutionStatus.RUNNING:
            return EventRejected(f"the journey for case {case_ref} has closed ({status.name.lower()})")
        return err

    async def _status(self, case_ref: str) -> WorkflowExecutionStatus | None:
        try:
            described = await self._describe(workflow_id_for(case_ref), f"looking up the journey for case {case_ref}")
        except RPCError:
            return None
        return WorkflowExecutionStatus(described.workflow_execution_info.status)

    async def _describe(self, workflow_id: str, what: str):
        """The raw describe call, bounded: only what Temporal itself knows, no search attributes decoded."""
        request = DescribeWorkflowExecutionRequest(
            namespace=self.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
        return await self._bounded(
            self.client.workflow_service.describe_workflow_execution(request, timeout=self.rpc_timeout),
            what, worker=False,
        )

    async def publish_calendar(self, version: str) -> int:
        """Tell every running journey, conference and complaint of calendar ``version`` (``cpj calendar publish``).

        Each counts its open deadlines not yet passed again by it and records what moved; one on that
        version already (a publish repeated) ignores it. Returns how many were told.
        """
        if not is_shipped(version):
            raise JourneyError(f"no calendar version {version!r} is shipped")
        told = 0
        running = self.client.list_workflows(
            '(WorkflowType = "ChildProtectionJourney" OR WorkflowType = "ConferenceWorkflow" '
            'OR WorkflowType = "ComplaintWorkflow") '
            'AND ExecutionStatus = "Running"', rpc_timeout=self.rpc_timeout)
        async for execution in running:
            handle = self.client.get_workflow_handle(execution.id)
            try:
                await self._bounded(handle.signal(CALENDAR_UPDATED, version, rpc_timeout=self.rpc_timeout),
                                    f"telling {execution.id} of calendar {version}", worker=False)
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND:  # closed since it was listed: nothing to tell
                    raise
                continue
            told += 1
        return told

    # -- Complaints, appeals and disagreements (their own workflows, beside the journey) ----------

    @counts_events(event_at=2)
    async def start_complaint(self, complaint_ref: str, case_ref: str,
                              opening: ComplaintMade | DisagreementRaised, *, by: str | None = None) -> Started:
        """Start a complaint or disagreement about case ``case_ref``, on the journey's pinned policy.

        Refused at once, with the procedure's reason, if it is not for this authority's procedure (an
        ineligible complainant, a complaint about one agency's own service) or dated in the future:
        nothing is started. A start repeating the one already made under ``complaint_ref`` (same case,
        same opening) is a caller's retry, answered as a ``resend``.
        """
        opening = recorded_as(opening, by)
        case_refs.check(case_ref)  # never a name or a date of birth, even in a lookup (its journey's shape was checked)
        journey = await self._first_input(workflow_id_for(case_ref), JourneyStart,
                                          f"reading the policy of the journey for case {case_ref}")
        if journey is None:
            raise JourneyNotFound(f"no journey for case {case_ref}")
        # The journey's own pin: a complaint runs the procedure the journey runs, however long it lasts.
        start = ComplaintStart(complaint_ref=complaint_ref, case_ref=case_ref, opening=opening,
                               **released.pinned(journey.resolve_profile()))
        profile = start.resolve_profile()
        today = london_date(await self.clock())
        what = "complaint" if isinstance(opening, ComplaintMade) else "disagreement"
        if opening.received_on > today:
            raise EventRejected(f"the {what} is dated {opening.received_on}, in the future (today is {today})")
        try:
            complaints.check_opening(profile, start)
        except InvalidEvent as refusal:
            raise EventRejected(f"this {what} cannot be taken under {profile.authority}'s procedure: {refusal}") from None
        opened, _ = complaints.begin(profile, start)
        workflow_id = complaint_workflow_id(complaint_ref)
        title = "Complaint" if what == "complaint" else f"Disagreement ({opened.kind.value.replace('_', ' ')})"
        try:
            await self._bounded(self.client.start_workflow(
                ComplaintWorkflow.run,
                start,
                id=workflow_id,
                task_queue=self.task_queue,
                # A complaint reference names one challenge for ever, open or closed.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                search_attributes=TypedSearchAttributes([
                    SearchAttributePair(sa.CASE, case_ref), SearchAttributePair(sa.POLICY, profile.pin),
                    SearchAttributePair(sa.STAGE, opened.stage.value)]),
                static_summary=f"{title} {complaint_ref} about case {case_ref}",
                static_details=f"Policy `{profile.pin}` ({profile.authority}). Received {opening.received_on}.",
                rpc_timeout=self.rpc_timeout,
            ), f"starting {what} {complaint_ref} for case {case_ref}", worker=False)
        except WorkflowAlreadyStartedError as err:
            running = await self._first_input(workflow_id, ComplaintStart, f"reading how {what} {complaint_ref} began")
            if running is not None and running.case_ref == case_ref and same_event(running.opening, opening):
                return Started(workflow_id, resend=True)
            message = f"complaint reference {complaint_ref} is already used"
            if running is not None and running.opening.event_id == opening.event_id:
                message += f"; it opened with event {opening.event_id}, which said something else"
            raise JourneyExists(message + "; give this one a reference of its own") from err
        return Started(workflow_id)

    @counts_events(event_at=1)
    async def send_complaint_event(self, complaint_ref: str, event, *, by: str | None = None) -> Answer:
        """Send one event (a model from ``domain.complaints``) to a complaint: its receipt and its state after it.

        A resend (same id, same content) changes nothing and is answered as one, even once the
        complaint has ended; an event that does not fit the complaint's stage is refused with the reason.
        """
        if type(event) not in COMPLAINT_EVENTS:
            raise EventRejected(f"not a complaint event: {type(event).__name__}")
        event = recorded_as(event, by)
        handle = self.client.get_workflow_handle(complaint_workflow_id(complaint_ref))
        try:
            receipt = await self._update(handle, event, f"complaint {complaint_ref}", ComplaintWorkflow.event)
            state = await self._bounded(handle.query(ComplaintWorkflow.state, rpc_timeout=self.rpc_timeout),
                                        f"the state of complaint {complaint_ref}")
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            # No such complaint, or one that has ended (it takes no more updates): its state says which.
            state = await self.complaint(complaint_ref)
            if state.event_digests.get(event.event_id) == fingerprint(event):
                return Answer(Receipt(event_id=event.event_id, type=event.type, resend=True, stage=state.stage.value),
                              state)
            why = state.refused_because or state.closed_because or "ended"
            raise EventRejected(f"complaint {complaint_ref} has ended ({why}): it takes no more events") from err
        return Answer(receipt, state)

    async def complaint(self, complaint_ref: str) -> ComplaintState:
        """A complaint's state: its stage, deadlines (with their reasons) and what it has decided."""
        handle = self.client.get_workflow_handle(complaint_workflow_id(complaint_ref))
        try:
            return await self._bounded(handle.query(ComplaintWorkflow.state, rpc_timeout=self.rpc_timeout),
                                       f"the state of complaint {complaint_ref}")
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise JourneyNotFound(f"no complaint {complaint_ref}") from err
            raise

    async def complaints_of(self, case_ref: str, journey: JourneyState | None = None) -> list[ChallengeSummary]:
        """The case's complaints and disagreements, open and closed: the journey's own list where it keeps
        one (``journey``, or read here), else Temporal's visibility (``CpjCase``)."""
        if journey is None:
            try:
                journey = await self.state(case_ref)
            except JourneyNotFound:
                journey = None
        if journey is not None and journey.challenges:
            return [_challenge_row(row) for row in journey.challenges]
        try:
            return await self.list_complaints(case_ref)
        except (RPCError, NotAnswered):  # a server that cannot list (the time-skipping one): the journey's list
            return []

    async def list_complaints(self, case_ref: str) -> list[ChallengeSummary]:
        """Every complaint and disagreement about the case as Temporal's visibility has it (the dev server or a
        cluster; the time-skipping test server cannot list), with its next deadline."""
        try:
            case_ref = _CASE_REF.validate_python(case_ref)  # checked before it is quoted into the query
        except ValueError:
            raise JourneyError(f"{case_ref!r} is not a case reference") from None
        query = f'WorkflowType = "ComplaintWorkflow" AND {sa.CASE.name} = "{case_ref}"'

        async def all_rows():
            return [execution async for execution in self.client.list_workflows(query, rpc_timeout=self.rpc_timeout)]

        rows = []
        for execution in await self._bounded(all_rows(), f"listing the complaints of case {case_ref}", worker=False):
            attrs = execution.typed_search_attributes
            rows.append(ChallengeSummary(
                complaint_ref=execution.id.removeprefix("cpj-complaint-"),
                stage=attrs.get(sa.STAGE),
                status=WorkflowExecutionStatus(execution.status).name.lower() if execution.status else None,
                next_deadline=attrs.get(sa.NEXT_DEADLINE), next_deadline_kind=attrs.get(sa.NEXT_DEADLINE_KIND),
                overdue=bool(attrs.get(sa.OVERDUE))))
        return sorted(rows, key=lambda row: row.complaint_ref)


    async def complaint_letters(self, complaint_ref: str) -> list[Letter]:
        """The letters a complaint has sent, oldest first, read from its history (no worker needed).

        Each went to a role (the complainant, the chair, the Assistant Director), never to a name: the
        sender finds the address.
        """
        handle = self.client.get_workflow_handle(complaint_workflow_id(complaint_ref))

        async def read() -> list[Letter]:
            scheduled, done = {}, set()
            async for event in handle.fetch_history_events(rpc_timeout=self.rpc_timeout):
                if event.HasField("activity_task_scheduled_event_attributes"):
                    attrs = event.activity_task_scheduled_event_attributes
                    if attrs.activity_type.name == "send_notification":
                        [request] = await self.client.data_converter.decode(attrs.input.payloads, [NotificationRequest])
                        day = london_date(event.event_time.ToDatetime(tzinfo=UTC))
                        scheduled[event.event_id] = (day, request)
                elif event.HasField("activity_task_completed_event_attributes"):
                    done.add(event.activity_task_completed_event_attributes.scheduled_event_id)
            return [Letter(day, request.recipient_role, request.subject, request.body, event_id in done)
                    for event_id, (day, request) in scheduled.items()]

        try:
            return await self._bounded(read(), f"the letters of complaint {complaint_ref}", worker=False)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise JourneyNotFound(f"no complaint {complaint_ref}") from err
            raise


@dataclass(frozen=True)
class Letter:
    """A letter a complaint sent (or is sending): to whom by role, what it says, and whether it went."""

    sent_on: date
    to_role: str
    subject: str
    body: str
    delivered: bool


_CASE_REF = TypeAdapter(CaseRef)


def _challenge_row(row: ChallengeRow) -> ChallengeSummary:
    return ChallengeSummary(complaint_ref=row.ref, stage=row.stage, kind=row.kind, about=row.about,
                            opened_on=row.opened_on, outcome=row.outcome, closed_on=row.closed_on)
