"""A child protection conference, as a child workflow of the journey that booked it.

Id ``cpj-conf-<conference ref>``. It keeps the deadlines around the meeting
(``domain.conference``), each a named timer with a reminder the working day
before and an escalation after; which rules apply is the pinned profile's:

  before the meeting: booking consultation, invitations, the social worker's
  report to the chair and to the parents (and to a parent excluded), agency
  reports, letters about a split conference, the chair's decision on an
  exclusion request;
  at the meeting: quoracy where the procedure sets one, or the chair proceeds
  under a reason it allows (whoever it names is told), or adjourns; a decision
  for every child;
  after: decision circulated, absent parents told, outline plan circulated,
  record completed and shared, then a window for amendments that closes
  quietly; a low grading goes to the service manager where the procedure says.

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
    from domain.legacy import RULES_FROM_PROFILE_PATCH, with_hard_coded_rules
    from domain.plan import InvalidEvent, Notice
    import shipped  # noqa: F401  (registers the calendars and releases domain counts with; passed through)

from workflows.calendar_updates import CalendarUpdates
from workflows.keeping import DeadlineKeeping, EventRejected

CONFERENCE_DECIDED = "conference_decided"


@workflow.defn
class ConferenceWorkflow(CalendarUpdates, DeadlineKeeping):
    _kind_of_workflow = "conference"

    @workflow.init
    def __init__(self, start: ConferenceStart) -> None:
        self._start = start
        profile = start.resolve_profile()
        # A conference begun before rules came from profiles keeps the rules the code then applied to
        # every authority (its notices, records and timers), so its history replays. It starts no
        # workflow of its own, so nothing passes the filled-in profile on.
        self._profile = profile if self._patched(RULES_FROM_PROFILE_PATCH) else with_hard_coded_rules(profile)
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
        await self._keep_until(lambda: self._state.stage is ConferenceStage.CLOSED)
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
                           {"conference_ref": self._state.conference_ref, **effect.details, **event.recorded_by_details()})
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

    async def _escalate_overdue(self, deadline: Deadline) -> None:
        if deadline.kind in conference.WINDOWS:
            conference.close_window(self._state, deadline)  # nobody owed anything: it ran its course
            return
        await super()._escalate_overdue(deadline)
