"""A complaint, appeal or disagreement about a conference, as a workflow of its own.

Id ``cpj-complaint-<ref>``. It runs the procedure the pinned profile names
(``domain.complaints``): every stage with a timescale is a deadline row, so a named
timer, a reminder the working day before and an escalation after; each event is
recorded and the complainant (by role) and the staff who own the next stage get
their letters through the outbox.

It never touches the child's journey: while it runs the conference decision and the
plan stand, reviews fall due and the journey continues as new as always. It is not a
child of the journey, so it outlives the plan's end and any run of the journey. What the
journey must act on (a conference reconvened under another chair, an ICPC to hold, another
conference) goes to it as the ``challenge_decided`` signal.
"""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import complaints
    from domain.complaints import (
        CHALLENGE_DECIDED,
        ENDED,
        ComplaintEvent,
        ComplaintStart,
        ComplaintState,
        complaint_workflow_id,
    )
    from domain.deadlines import Deadline
    from domain.effects import QueuedSignal, Receipt
    from domain.events import workflow_id_for
    from domain.plan import InvalidEvent, Notice
    import shipped  # noqa: F401  (registers the calendars and releases domain counts with; passed through)
    from workflows import search_attributes as sa

from workflows.calendar_updates import CalendarUpdates
from workflows.keeping import DeadlineKeeping, EventRejected

__all__ = ["ComplaintWorkflow", "complaint_workflow_id"]


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

    async def _apply_effect(self, event, effect: complaints.ComplaintEffect) -> None:
        state = self._state
        await self._record(event.event_id, event.type, effect.occurred_on, effect.summary,
                           {"complaint_ref": state.complaint_ref, "challenge": state.kind.value,
                            "stage": state.stage.value, **effect.details})
        for notice in effect.notices:
            await self._notify(event.event_id, f"{event.type}-{notice.template}-{notice.role}", notice)
        if effect.for_journey is not None:
            await self._signal(workflow_id_for(state.case_ref), CHALLENGE_DECIDED,
                               effect.for_journey.model_dump(mode="json"),
                               f"Case {state.case_ref}'s journey told: {effect.for_journey.outcome.replace('_', ' ')}")

    # -- What DeadlineKeeping asks of a workflow --------------------------------------------

    async def _after_failure(self, effect, cause: str) -> None:
        if isinstance(effect, QueuedSignal):
            # The journey has ended or cannot hear it: the conference must still be arranged, by hand.
            await self._notify(f"signal-{effect.workflow_id}", "journey-not-told", Notice(
                "team_manager", "challenge_not_delivered",
                f"Complaint {self._state.complaint_ref}: the journey of case {self._state.case_ref} was not told",
                f"{effect.summary} could not be delivered ({cause}); arrange the conference directly."))

    def _reminder_day(self, deadline: Deadline) -> date | None:
        return complaints.reminder_day(self._profile, deadline)

    def _details_heading(self) -> list[str]:
        state = self._state
        process = f", {state.process.value} procedure" if state.process else ""
        lines = [f"**{state.kind.value.replace('_', ' ').capitalize()} {state.complaint_ref}** about case "
                 f"{state.case_ref}{process}: stage `{state.stage.value}`, received {state.received_on}, "
                 f"policy `{state.policy}`"]
        if state.refused_because:
            lines.append(f"Refused: {state.refused_because}")
        if state.closed_because and not state.refused_because:
            lines.append(f"Closed {state.closed_on}: {state.closed_because}")
        return lines
