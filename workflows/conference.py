"""A child protection conference, as a child workflow of the journey that booked it.

Id ``cpj-conf-<conference ref>``. It keeps the deadlines around the meeting
(``domain.conference``, seeds 000, 001, 003, 004), each a named timer with a
reminder the working day before and an escalation after:

  before the meeting: booking consultation, invitations, the social worker's
  report to the chair and to the parents, agency reports, letters about a split
  conference, the chair's decision on an exclusion request;
  at the meeting: quoracy (children's social care and two other agencies), or
  the chair proceeds under a listed reason (the assistant director is told),
  or adjourns (another date within a month); a decision for every child;
  after: decision circulated, absent parents told, outline plan circulated,
  record completed and shared, amendments accepted; a grading of 0-2 goes to
  the service manager.

Each child's decision is signalled to that child's journey, which applies it.
"""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import conference
    from domain.conference import (
        AmendmentsReceived,
        ConferenceHeld,
        ConferenceStage,
        ConferenceStart,
        ConferenceState,
        ConferenceTaskDone,
        ExclusionDecided,
        ExclusionRequested,
        InvitationsSent,
        SplitArranged,
    )
    from domain.deadlines import Deadline
    from domain.effects import QueuedSignal, Receipt
    from domain.events import workflow_id_for
    from domain.plan import InvalidEvent, Notice

from workflows.calendar_updates import CalendarUpdates
from workflows.keeping import DeadlineKeeping, EventRejected

CONFERENCE_DECIDED = "conference_decided"


def conference_workflow_id(conference_ref: str) -> str:
    return f"cpj-conf-{conference_ref}"


@workflow.defn
class ConferenceWorkflow(CalendarUpdates, DeadlineKeeping):
    _kind_of_workflow = "conference"

    @workflow.init
    def __init__(self, start: ConferenceStart) -> None:
        self._start = start
        self._profile = start.resolve_profile()
        self._start_keeping()
        self._state = ConferenceState(
            conference_ref=start.conference_ref, kind=start.kind, case_refs=list(start.case_refs),
            policy=self._profile.pin, meeting_on=start.meeting_on,
        )
        conference.open_convening(self._state, self._profile, start)
        self._changed = False
        self._indexed: dict[str, object] = {}

    @workflow.run
    async def run(self, start: ConferenceStart) -> ConferenceState:
        await self._record(
            start.booked_by_event, "conference_booked", start.requested_on,
            f"{start.kind.value.capitalize()} conference {start.conference_ref} booked for {start.meeting_on} "
            f"({len(start.case_refs)} child(ren))",
            {"conference_ref": start.conference_ref, "case_refs": list(start.case_refs), "chair": start.chair_ref},
        )
        while self._state.stage is not ConferenceStage.CLOSED:
            await self._carry_out_effects()
            if self._state.stage is ConferenceStage.CLOSED:
                break  # closed by an event that arrived while effects were carried out
            await self._wait_for_event_or_deadline()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._carry_out_effects()
        self._publish()
        return self._state

    @workflow.query
    def state(self) -> ConferenceState:
        return self._state

    # -- Events: each checked and applied by domain.conference -------------------------

    @workflow.update
    async def invitations_sent(self, event: InvitationsSent) -> Receipt:
        return await self._conference_event(event)

    @invitations_sent.validator
    def _validate_invitations_sent(self, event: InvitationsSent) -> None:
        self._validate(event)

    @workflow.update
    async def conference_task_done(self, event: ConferenceTaskDone) -> Receipt:
        return await self._conference_event(event)

    @conference_task_done.validator
    def _validate_conference_task_done(self, event: ConferenceTaskDone) -> None:
        self._validate(event)

    @workflow.update
    async def exclusion_requested(self, event: ExclusionRequested) -> Receipt:
        return await self._conference_event(event)

    @exclusion_requested.validator
    def _validate_exclusion_requested(self, event: ExclusionRequested) -> None:
        self._validate(event)

    @workflow.update
    async def exclusion_decided(self, event: ExclusionDecided) -> Receipt:
        return await self._conference_event(event)

    @exclusion_decided.validator
    def _validate_exclusion_decided(self, event: ExclusionDecided) -> None:
        self._validate(event)

    @workflow.update
    async def split_arranged(self, event: SplitArranged) -> Receipt:
        return await self._conference_event(event)

    @split_arranged.validator
    def _validate_split_arranged(self, event: SplitArranged) -> None:
        self._validate(event)

    @workflow.update
    async def conference_held(self, event: ConferenceHeld) -> Receipt:
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        receipt = await self._conference_event(event)
        state = self._state
        if state.held is event:
            for decision in event.decisions:
                # Each child's journey applies its own decision; a sibling's journey is another workflow.
                outcome = conference.ConferenceDecision(
                    conference_ref=state.conference_ref, kind=state.kind, held_on=event.held_on, decision=decision)
                await self._signal(workflow_id_for(decision.case_ref), CONFERENCE_DECIDED,
                                   outcome.model_dump(mode="json"), f"Decision for case {decision.case_ref} sent to its journey")
        return receipt

    @conference_held.validator
    def _validate_conference_held(self, event: ConferenceHeld) -> None:
        self._validate(event)

    @workflow.update
    async def amendments_received(self, event: AmendmentsReceived) -> Receipt:
        return await self._conference_event(event)

    @amendments_received.validator
    def _validate_amendments_received(self, event: AmendmentsReceived) -> None:
        self._validate(event)

    def _validate(self, event) -> None:
        if self._is_resend(event):
            return
        self._check_not_future(conference.event_date(event), "the event's date")
        try:
            conference.check(self._state, self._profile, event, self._start)
        except InvalidEvent as err:
            raise EventRejected(str(err)) from None

    async def _conference_event(self, event) -> Receipt:
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        effect = conference.apply(self._state, self._profile, event, self._start)
        self._accept(event)
        await self._record(event.event_id, event.type, effect.occurred_on, effect.summary,
                           {"conference_ref": self._state.conference_ref, **effect.details})
        for notice in effect.notices:
            await self._notify(event.event_id, f"{event.type}-{notice.role}", notice)
        return self._receipt(event)

    # -- What DeadlineKeeping asks of a workflow --------------------------------------------

    async def _after_failure(self, effect, cause: str) -> None:
        if isinstance(effect, QueuedSignal):
            # A child's journey could not hear its decision (closed, or never started): the chair
            # must know, and the other children's decisions still go.
            await self._notify(f"signal-{effect.workflow_id}", "decision-undelivered", Notice(
                "conference_chair", "conference_decision_undelivered",
                f"Conference {self._state.conference_ref}: decision not delivered", f"{effect.summary}: {cause}"))

    def _reminder_day(self, deadline: Deadline) -> date | None:
        return conference.reminder_day(self._profile, deadline)

    def _details_heading(self) -> list[str]:
        state = self._state
        return [
            f"**Conference {state.conference_ref}** ({state.kind.value}) for {', '.join(state.case_refs)}: "
            f"stage `{state.stage.value}`, meeting {state.meeting_on}, policy `{state.policy}`",
        ]
