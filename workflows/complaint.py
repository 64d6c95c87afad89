"""A complaint, appeal or disagreement about a conference, as a workflow of its own.

Id ``cpj-complaint-<ref>``. It runs the procedure the pinned profile names
(``domain.complaints``): every stage with a timescale is a deadline row, so a named
timer, a reminder the working day before and an escalation after; each event is
recorded and the complainant (by role) and the staff who own the next stage get
their letters through the outbox.

It never changes the child's journey: while it runs the conference decision and the
plan stand, reviews fall due and the journey continues as new as always. It is not a
child of the journey, so it outlives the plan's end and any run of the journey. The journey
lists it (signal ``challenge_changed``, as it opens, moves on and ends); what the journey must
act on (a conference reconvened under another chair, another conference) goes to it as the
``challenge_decided`` signal, and the journey answers with ``conference_held`` once the
conference it booked for it has decided, which closes the challenge. A journey that has ended
cannot hear a signal: the failure is recorded; a decision to hold an ICPC then starts the case's
journey again (``IcpcToBeHeld``), and any other decision is left to the team manager, told so.
"""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import complaints
    from domain.complaints import (
        CHALLENGE_CHANGED,
        CHALLENGE_DECIDED,
        ENDED,
        ComplaintEvent,
        ComplaintStart,
        ComplaintState,
        ConferenceReconvened,
        challenge_row,
        complaint_workflow_id,
    )
    from domain.deadlines import Deadline
    from domain.effects import QueuedChildStart, QueuedSignal, Receipt
    from domain.events import workflow_id_for
    from domain.plan import InvalidEvent, Notice
    from domain.released import pinned
    from domain.state import ChallengeRow, IcpcToBeHeld, JourneyStart
    import shipped  # noqa: F401  (registers the calendars and releases domain counts with; passed through)
    from workflows import search_attributes as sa

from workflows.calendar_updates import CalendarUpdates
from workflows.keeping import DeadlineKeeping, EventRejected

__all__ = ["ComplaintWorkflow", "complaint_workflow_id"]

JOURNEY_WORKFLOW = "ChildProtectionJourney"


@workflow.defn
class ComplaintWorkflow(CalendarUpdates, DeadlineKeeping):
    _kind_of_workflow = "complaint"

    @workflow.init
    def __init__(self, start: ComplaintStart) -> None:
        self._start = start
        self._profile = start.resolve_profile()
        self._start_keeping()
        self._state, self._opened = complaints.begin(self._profile, start)
        self._changed = False
        self._indexed: dict[str, object] = {}
        #: The row the journey was last told, so it is told only when something it shows changes.
        self._told: ChallengeRow | None = None
        #: Set once the journey could not be told (it has ended, or never ran here): one failure recorded, not one a stage.
        self._journey_unreachable = False

    @workflow.run
    async def run(self, start: ComplaintStart) -> ComplaintState:
        opening = start.opening
        # The opening's id is this workflow's too: an event reusing it is refused, naming it.
        self._accept(opening)
        workflow.upsert_search_attributes([sa.CASE.value_set(start.case_ref)])
        await self._apply_effect(opening, self._opened)
        await self._keep_until(lambda: self._state.stage in ENDED)
        return self._state

    @workflow.query
    def state(self) -> ComplaintState:
        return self._state

    # -- Events: one entry point, each checked and applied by domain.complaints -----------

    @workflow.update
    async def event(self, event: ComplaintEvent) -> Receipt:
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        effect = complaints.apply(self._state, self._profile, event)
        self._accept(event)
        await self._apply_effect(event, effect)
        return self._receipt(event)

    @event.validator
    def _validate_event(self, event: ComplaintEvent) -> None:
        if self._is_resend(event):
            return
        self._check_not_future(event.day, f"{event.type}'s date")
        try:
            complaints.check(self._state, self._profile, event)
        except InvalidEvent as err:
            raise EventRejected(str(err)) from None

    @workflow.signal
    async def conference_held(self, event: ConferenceReconvened) -> None:
        """The journey's word that the conference booked for this challenge has decided: one action for staff.

        A signal waits for no answer, so one that does not fit (a resend, or a challenge already closed by
        hand) is recorded here, never retried.
        """
        try:
            if self._is_resend(event):
                return
            self._validate_event(event)
        except EventRejected as refused:
            await self._record(event.event_id, "conference_held_not_applied", event.held_on,
                               f"Conference {event.conference_ref} held {event.held_on}, not applied: {refused.message}",
                               {"complaint_ref": self._state.complaint_ref, "conference_ref": event.conference_ref,
                                **event.recorded_by_details()})
            return
        await self.event(event)

    async def _apply_effect(self, event, effect: complaints.ComplaintEffect) -> None:
        state = self._state
        await self._record(event.event_id, event.type, effect.occurred_on, effect.summary,
                           {"complaint_ref": state.complaint_ref, "challenge": state.kind.value,
                            "stage": state.stage.value, **effect.details, **event.recorded_by_details()})
        for notice in effect.notices:
            await self._notify(event.event_id, f"{event.type}-{notice.template}-{notice.role}", notice)
        row = challenge_row(state)
        if row != self._told and not self._journey_unreachable:
            self._told = row
            await self._signal(workflow_id_for(state.case_ref), CHALLENGE_CHANGED, row.model_dump(mode="json"),
                               f"Case {state.case_ref}'s journey told: {_what(row)} {row.ref} {row.outcome or row.stage}")
        if effect.for_journey is not None:
            await self._signal(workflow_id_for(state.case_ref), CHALLENGE_DECIDED,
                               effect.for_journey.model_dump(mode="json"),
                               f"Case {state.case_ref}'s journey told: {effect.for_journey.outcome.replace('_', ' ')}")

    # -- What DeadlineKeeping asks of a workflow --------------------------------------------

    async def _after_failure(self, effect, cause: str) -> None:
        # Recorded already (``_effect_failed``); what else follows depends on what was not delivered.
        if isinstance(effect, QueuedSignal) and effect.signal == CHALLENGE_CHANGED:
            # The journey has ended (or never ran here): nothing lists the challenge there any more.
            self._journey_unreachable = True
            return
        if (isinstance(effect, QueuedSignal) and effect.signal == CHALLENGE_DECIDED
                and effect.payload.get("outcome") == "hold_icpc"):
            # The journey closed on the decision disputed (no ICPC required): it cannot reopen, so it
            # starts again, its ICPC due from the final decision.
            await self._start_journey_again()
            return
        # The journey has ended or cannot hear it: the conference must still be arranged, by hand.
        await self._notify(f"signal-{effect.workflow_id}", "journey-not-told", Notice(
            "team_manager", "challenge_not_delivered",
            f"Complaint {self._state.complaint_ref}: the journey of case {self._state.case_ref} was not told",
            f"{effect.summary} could not be delivered ({cause}); arrange the conference directly."))

    async def _start_journey_again(self) -> None:
        state = self._state
        decided = state.handed_to_journey
        opening = IcpcToBeHeld(event_id=f"{state.complaint_ref}-hold-icpc", decided_on=decided.decided_on,
                               complaint_ref=state.complaint_ref, challenge=challenge_row(state))
        start = JourneyStart(case_ref=state.case_ref, **pinned(self._profile), icpc_to_be_held=opening)
        await self._queue_or_do(QueuedChildStart(
            workflow_type=JOURNEY_WORKFLOW, workflow_id=workflow_id_for(state.case_ref),
            start=start.model_dump(mode="json"), event_id=opening.event_id,
            summary=f"Journey of case {state.case_ref} started again: an initial conference to be held after "
                    f"disagreement {state.complaint_ref}"))

    def _reminder_day(self, deadline: Deadline) -> date | None:
        return complaints.reminder_day(self._profile, deadline)


def _what(row: ChallengeRow) -> str:
    return "complaint" if row.kind == "complaint" else "disagreement"
