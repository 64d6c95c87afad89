"""The one place that talks to Temporal: the CLI, the admin tool and the API all come here."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.conference import CONFERENCE_EVENTS, ConferenceState
from domain.deadlines import due_day_of, london_date
from domain.events import EVENT_TYPES, FEED_EVENTS, StrategyDiscussion, TransferIn, workflow_id_for
from domain.state import JourneyStart
from domain.policy import load_profile
from domain.state import JourneyState, Stage
from workflows import search_attributes as sa
from workflows.conference import ConferenceWorkflow, conference_workflow_id
from workflows.journey import ChildProtectionJourney

TASK_QUEUE = os.environ.get("CPJ_TASK_QUEUE", "cp-journeys")


def temporal_address() -> str:
    return os.environ.get("CPJ_TEMPORAL_ADDRESS", "localhost:7233")


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    return await Client.connect(
        address or temporal_address(),
        namespace=namespace or os.environ.get("CPJ_TEMPORAL_NAMESPACE", "default"),
        data_converter=pydantic_data_converter,
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

    @property
    def next_due(self) -> date | None:
        """The day the next deadline falls due (the search attribute holds the end of that day)."""
        return due_day_of(self.next_deadline) if self.next_deadline else None


async def wall_clock() -> datetime:
    return datetime.now(UTC)


class Journeys:
    def __init__(
        self, client: Client, task_queue: str = TASK_QUEUE, clock: Callable[[], Awaitable[datetime]] = wall_clock
    ) -> None:
        self.client = client
        self.task_queue = task_queue
        # Tests on the time-skipping server pass its clock; everywhere else it is the wall clock.
        self.clock = clock

    async def start(self, case_ref: str, policy_id: str, opening: StrategyDiscussion | TransferIn) -> str:
        """Start a journey from a strategy discussion, or from a transfer in from another authority."""
        field = "transfer_in" if isinstance(opening, TransferIn) else "strategy_discussion"
        start = JourneyStart(case_ref=case_ref, profile=load_profile(policy_id), **{field: opening})
        today = london_date(await self.clock())
        opened_on = opening.agreed_on if isinstance(opening, TransferIn) else opening.held_on
        if opened_on > today:
            raise EventRejected(f"{opening.type} dated {opened_on} is in the future (today is {today})")
        workflow_id = workflow_id_for(start.case_ref)
        try:
            await self.client.start_workflow(
                ChildProtectionJourney.run,
                start,
                id=workflow_id,
                task_queue=self.task_queue,
                # A closed journey's case may open again (a new referral); a running one may not start twice.
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(sa.POLICY, start.profile.pin), SearchAttributePair(sa.STAGE, Stage.AWAITING_SECTION_47.value)]
                ),
                static_summary=f"Child protection journey for case {start.case_ref}",
                static_details=(
                    f"Policy `{start.profile.pin}` ({start.profile.authority}). "
                    f"Started by the {opening.type.replace('_', ' ')} of {opened_on}."
                ),
            )
        except WorkflowAlreadyStartedError as err:
            raise JourneyExists(f"a journey for case {start.case_ref} is already running") from err
        return workflow_id

    async def send(self, case_ref: str, event) -> JourneyState:
        """Send one event (a model from ``domain.events``); its event id makes a resend harmless."""
        if type(event) not in EVENT_TYPES.values():
            raise EventRejected(f"not a journey event: {type(event).__name__}")
        handle = self.client.get_workflow_handle(workflow_id_for(case_ref))
        try:
            return await self._update(handle, event, JourneyState)
        except RPCError as err:
            raise await self._translate(err, case_ref) from err

    async def feed(self, case_ref: str, event) -> None:
        """Signal a feed event (missing child, child found, significant event): no answer is awaited."""
        if type(event) not in FEED_EVENTS:
            raise EventRejected(f"{type(event).__name__} is not a feed event; send it as an event instead")
        handle = self.client.get_workflow_handle(workflow_id_for(case_ref))
        try:
            await handle.signal(ChildProtectionJourney.feed, event)
        except RPCError as err:
            raise await self._translate(err, case_ref) from err

    async def send_to_conference(self, conference_ref: str, event) -> ConferenceState:
        """Send one conference event (a model from ``domain.conference``) to its conference workflow."""
        if type(event) not in CONFERENCE_EVENTS:
            raise EventRejected(f"not a conference event: {type(event).__name__}")
        handle = self.client.get_workflow_handle(conference_workflow_id(conference_ref))
        try:
            return await self._update(handle, event, ConferenceState)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise JourneyNotFound(f"no open conference {conference_ref}") from err
            raise

    async def conference(self, conference_ref: str) -> ConferenceState:
        handle = self.client.get_workflow_handle(conference_workflow_id(conference_ref))
        try:
            return await handle.query(ConferenceWorkflow.state)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise JourneyNotFound(f"no conference {conference_ref}") from err
            raise

    async def state(self, case_ref: str) -> JourneyState:
        handle = self.client.get_workflow_handle(workflow_id_for(case_ref))
        try:
            return await handle.query(ChildProtectionJourney.state)
        except RPCError as err:
            raise await self._translate(err, case_ref) from err

    async def list(self, limit: int = 200) -> list[JourneySummary]:
        rows = []
        async for execution in self.client.list_workflows(
            'WorkflowType = "ChildProtectionJourney"', limit=limit
        ):
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
                )
            )
        return rows

    @staticmethod
    async def _update(handle, event, result_type):
        """An event as an update whose id is the event id, so Temporal answers a resend itself."""
        try:
            return await handle.execute_update(event.type, event, id=event.event_id, result_type=result_type)
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
        # The raw call: only the status is needed, not the decoded search attributes.
        request = DescribeWorkflowExecutionRequest(
            namespace=self.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id_for(case_ref))
        )
        try:
            described = await self.client.workflow_service.describe_workflow_execution(request)
        except RPCError:
            return None
        return WorkflowExecutionStatus(described.workflow_execution_info.status)
