"""A child's child protection journey, from the strategy discussion onwards.

One workflow per child, id ``cpj-<case ref>``. It runs on the policy profile it
was started with (pinned in its input), keeps its deadlines as data, and waits
on the nearest one with a named timer.

The ICPC stage (seed 000, "Initial Child Protection Conference"):
  - the ICPC is due within 15 working days (per profile) of the strategy
    discussion at which the section 47 enquiry was initiated; a later
    discussion that initiates it moves the deadline;
  - any delay needs the team manager's written agreement with reasons;
    passing the deadline without one escalates to the team manager;
  - the ICPC decides on a plan (with a category) or no plan (child in need
    follow-up, journey ends), unless the team manager decides no conference
    is required (journey ends).

The plan (``domain.plan``, seeds 000, 002, 003, 004): visits, core groups,
reviews, the tasks between them, and every way a plan ends. Each deadline
passed unmet escalates once to the role ``domain.deadlines.KINDS`` names.
After each review the journey continues as new, so a plan of many years
keeps a short history; its id stays the same.
"""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import plan
    from domain.conference import ConferenceDecision, ConferenceKind, ConferenceStart
    from domain.deadlines import DeadlineStatus, icpc_deadline, plan_deadlines, transfer_in_deadline
    from domain.events import (
        ChildBorn,
        ChildFound,
        ChildMissing,
        ConferenceBooked,
        ConferenceNotRequired,
        CoreGroupHeld,
        CoreGroupMembersRecorded,
        FeedEvent,
        IcpcDelayAgreed,
        IcpcHeld,
        LeadSocialWorkerCover,
        LeadSocialWorkerNamed,
        PlanEnded,
        ReviewHeld,
        ReviewScheduled,
        SignificantEvent,
        StrategyDiscussion,
        TaskCompleted,
        TransferIn,
        TransferOutNotified,
        VisitMade,
    )
    from domain.effects import QueuedChildStart, Receipt
    from domain.released import pinned
    from domain.state import JourneyStart, JourneyState, Stage

from workflows.conference import conference_workflow_id
from workflows.calendar_updates import CalendarUpdates
from workflows.keeping import DeadlineKeeping, EventRejected

WAITING_FOR_ICPC = (Stage.AWAITING_SECTION_47, Stage.AWAITING_ICPC)
#: Journeys whose ICPC decided on a plan before this patch only list the plan's first dates.
PLAN_STAGE_PATCH = "plan-stage"
CONFERENCE_WORKFLOW = "ConferenceWorkflow"


@workflow.defn
class ChildProtectionJourney(CalendarUpdates, DeadlineKeeping):
    @workflow.init
    def __init__(self, start: JourneyStart) -> None:
        self._start = start
        self._profile = start.resolve_profile()
        self._start_keeping()
        self._state = start.carried or JourneyState(
            case_ref=start.case_ref, policy=self._profile.pin, stage=Stage.AWAITING_SECTION_47
        )
        self._changed = False
        self._review_boundary = False
        self._indexed: dict[str, object] = {}
        if start.carried is None:
            # Applied here, not in run, so an event sent straight after the start is validated
            # against a journey that already knows how it opened.
            if start.transfer_in is not None:
                self._opening_summary = self._apply_transfer_in(start.transfer_in)
            else:
                self._opening_summary = self._apply_strategy_discussion(start.strategy_discussion)

    @workflow.run
    async def run(self, start: JourneyStart) -> JourneyState:
        if start.carried is None and start.transfer_in is not None:
            await self._record(start.transfer_in.event_id, "transfer_in", start.transfer_in.agreed_on,
                               self._opening_summary,
                               {"originating_authority": start.transfer_in.originating_authority,
                                "category": start.transfer_in.category})
        elif start.carried is None:
            await self._record_strategy_discussion(start.strategy_discussion, self._opening_summary)
        while self._state.stage is not Stage.CLOSED:
            await self._carry_out_effects()
            if self._state.stage is Stage.CLOSED:
                break  # closed by an event that arrived while effects were carried out
            if self._time_for_a_fresh_history():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    JourneyStart(case_ref=start.case_ref, **pinned(self._profile),
                                 strategy_discussion=start.strategy_discussion, transfer_in=start.transfer_in,
                                 carried=plan.carry_forward(self._state))
                )
            await self._wait_for_event_or_deadline()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._carry_out_effects()
        self._publish()
        return self._state

    def _time_for_a_fresh_history(self) -> bool:
        return self._state.stage is Stage.ON_PLAN and (
            self._review_boundary or workflow.info().is_continue_as_new_suggested()
        )

    # -- Queries -----------------------------------------------------------------

    @workflow.query
    def state(self) -> JourneyState:
        return self._state

    # -- Events ------------------------------------------------------------------

    @workflow.update
    async def strategy_discussion(self, event: StrategyDiscussion) -> Receipt:
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        await self._record_strategy_discussion(event, self._apply_strategy_discussion(event))
        return self._receipt(event)

    @strategy_discussion.validator
    def _validate_strategy_discussion(self, event: StrategyDiscussion) -> None:
        if self._is_resend(event):
            return
        if self._state.transfer_in is not None:
            raise EventRejected("this journey came by transfer: its conference runs from the authorities' agreement")
        self._check_stage(event.type, WAITING_FOR_ICPC)
        self._check_not_future(event.held_on, "held_on")
        latest = max((sd.held_on for sd in self._state.strategy_discussions), default=event.held_on)
        if event.held_on < latest:
            raise EventRejected(f"held_on {event.held_on} is before the last strategy discussion ({latest})")

    @workflow.update
    async def icpc_delay_agreed(self, event: IcpcDelayAgreed) -> Receipt:
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        deadline = self._state.deadline("icpc")
        deadline.agreed_target = event.new_target
        if deadline.status is DeadlineStatus.OVERDUE:
            # Escalated already; the agreed date is the new point to escalate at.
            deadline.status = DeadlineStatus.OPEN
        self._state.delay = event
        self._accept(event)
        await self._record(
            event.event_id, "icpc_delay_agreed", event.agreed_on,
            f"Team manager agreed ICPC delay to {event.new_target}",
            {"new_target": event.new_target.isoformat(), "reasons": event.reasons, "statutory_due": deadline.due.isoformat()},
        )
        return self._receipt(event)

    @icpc_delay_agreed.validator
    def _validate_icpc_delay_agreed(self, event: IcpcDelayAgreed) -> None:
        if self._is_resend(event):
            return
        self._check_stage(event.type, (Stage.AWAITING_ICPC,))
        self._check_not_future(event.agreed_on, "agreed_on")
        due = self._state.deadline("icpc").due
        if event.new_target <= due:
            raise EventRejected(
                f"new_target {event.new_target} is not a delay: the ICPC is due by {due} anyway"
            )

    @workflow.update
    async def icpc_held(self, event: IcpcHeld) -> Receipt:
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        deadline = self._state.deadline("icpc")
        deadline.status = DeadlineStatus.MET if event.held_on <= deadline.due else DeadlineStatus.MET_LATE
        self._state.icpc = event
        self._state.originating_plan_in_force = False
        self._accept(event)
        late = deadline.status is DeadlineStatus.MET_LATE
        details = {
            "decision": event.decision,
            "category": event.category,
            "due": deadline.due.isoformat(),
            "held_late": late,
            "delay_agreed": self._state.delay is not None,
        }
        if event.decision == "plan":
            if workflow.patched(PLAN_STAGE_PATCH):
                plan.start_plan(self._state, self._profile, event)
            else:
                self._state.stage = Stage.ON_PLAN
                self._state.deadlines.extend(plan_deadlines(self._profile, event.held_on))
            summary = f"ICPC held {event.held_on}: child protection plan ({event.category})"
        else:
            self._close("ICPC decided no plan: child in need follow-up")
            details["follow_up"] = "child_in_need"
            summary = f"ICPC held {event.held_on}: no plan, child in need follow-up"
        if late:
            summary += f" (late: due {deadline.due})"
        await self._record(event.event_id, "icpc_held", event.held_on, summary, details)
        return self._receipt(event)

    @icpc_held.validator
    def _validate_icpc_held(self, event: IcpcHeld) -> None:
        if self._is_resend(event):
            return
        self._check_stage(event.type, (Stage.AWAITING_ICPC,))
        self._check_not_future(event.held_on, "held_on")
        initiated = self._state.icpc_clock_from
        if event.held_on < initiated:
            raise EventRejected(
                f"held_on {event.held_on} is before the strategy discussion that initiated the s47 ({initiated})"
            )

    @workflow.update
    async def conference_not_required(self, event: ConferenceNotRequired) -> Receipt:
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        self._state.deadline("icpc").status = DeadlineStatus.CANCELLED
        self._close("team manager decided no conference is required")
        self._accept(event)
        await self._record(
            event.event_id, "conference_not_required", event.decided_on,
            "Team manager decided no ICPC is required", {"reasons": event.reasons},
        )
        return self._receipt(event)

    @conference_not_required.validator
    def _validate_conference_not_required(self, event: ConferenceNotRequired) -> None:
        if self._is_resend(event):
            return
        self._check_stage(event.type, (Stage.AWAITING_ICPC,))
        self._check_not_future(event.decided_on, "decided_on")
        if event.decided_on < self._state.icpc_clock_from:
            raise EventRejected("decided_on is before the section 47 enquiry was initiated")

    # -- The plan: each event is checked and applied by domain.plan -------------------

    @workflow.update
    async def lead_social_worker_named(self, event: LeadSocialWorkerNamed) -> Receipt:
        return await self._plan_event(event)

    @lead_social_worker_named.validator
    def _validate_lead_social_worker_named(self, event: LeadSocialWorkerNamed) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def lead_social_worker_cover(self, event: LeadSocialWorkerCover) -> Receipt:
        return await self._plan_event(event)

    @lead_social_worker_cover.validator
    def _validate_lead_social_worker_cover(self, event: LeadSocialWorkerCover) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def core_group_members_recorded(self, event: CoreGroupMembersRecorded) -> Receipt:
        return await self._plan_event(event)

    @core_group_members_recorded.validator
    def _validate_core_group_members_recorded(self, event: CoreGroupMembersRecorded) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def core_group_held(self, event: CoreGroupHeld) -> Receipt:
        return await self._plan_event(event)

    @core_group_held.validator
    def _validate_core_group_held(self, event: CoreGroupHeld) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def visit_made(self, event: VisitMade) -> Receipt:
        return await self._plan_event(event)

    @visit_made.validator
    def _validate_visit_made(self, event: VisitMade) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def task_completed(self, event: TaskCompleted) -> Receipt:
        return await self._plan_event(event)

    @task_completed.validator
    def _validate_task_completed(self, event: TaskCompleted) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def review_scheduled(self, event: ReviewScheduled) -> Receipt:
        return await self._plan_event(event)

    @review_scheduled.validator
    def _validate_review_scheduled(self, event: ReviewScheduled) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def review_held(self, event: ReviewHeld) -> Receipt:
        return await self._plan_event(event)

    @review_held.validator
    def _validate_review_held(self, event: ReviewHeld) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def plan_ended(self, event: PlanEnded) -> Receipt:
        return await self._plan_event(event)

    @plan_ended.validator
    def _validate_plan_ended(self, event: PlanEnded) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def child_missing(self, event: ChildMissing) -> Receipt:
        return await self._plan_event(event)

    @child_missing.validator
    def _validate_child_missing(self, event: ChildMissing) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def child_found(self, event: ChildFound) -> Receipt:
        return await self._plan_event(event)

    @child_found.validator
    def _validate_child_found(self, event: ChildFound) -> None:
        self._validate_plan_event(event)

    @workflow.update
    async def significant_event(self, event: SignificantEvent) -> Receipt:
        return await self._plan_event(event)

    @significant_event.validator
    def _validate_significant_event(self, event: SignificantEvent) -> None:
        self._validate_plan_event(event)

    @workflow.signal
    async def feed(self, event: FeedEvent) -> None:
        """A fire-and-forget feed: applied when it fits; otherwise recorded as refused, never retried."""
        try:
            if self._is_resend(event):
                return  # a feed resending what it sent before: already applied
            self._validate_plan_event(event)
        except EventRejected as refused:
            if event.event_id in self._state.event_ids and event.event_id not in self._state.event_digests:
                return  # applied before digests were kept: a resend, as far as anyone can tell
            workflow.logger.warning("feed event refused", extra={"type": event.type, "reason": refused.message})
            self._state.refused_feed.append(f"{plan.event_date(event)} {event.type.replace('_', ' ')} "
                                            f"({event.event_id}): {refused.message}")
            self._changed = True
            await self._record(event.event_id, "feed_event_refused", plan.event_date(event),
                               f"Refused {event.type.replace('_', ' ')} from a feed: {refused.message}",
                               {"type": event.type})
            return
        await self._plan_event(event)

    @workflow.update
    async def transfer_out_notified(self, event: TransferOutNotified) -> Receipt:
        return await self._plan_event(event)

    @transfer_out_notified.validator
    def _validate_transfer_out_notified(self, event: TransferOutNotified) -> None:
        self._validate_plan_event(event)

    def _validate_plan_event(self, event) -> None:
        if self._is_resend(event):
            return
        self._check_not_future(plan.event_date(event), "the event's date")
        try:
            plan.check(self._state, self._profile, event)
        except plan.InvalidEvent as err:
            raise EventRejected(str(err)) from None

    async def _plan_event(self, event) -> Receipt:
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        effect = plan.apply(self._state, self._profile, event)
        self._accept(event)
        self._review_boundary = self._review_boundary or effect.review_boundary
        await self._record(event.event_id, event.type, effect.occurred_on, effect.summary, effect.details)
        for notice in effect.notices:
            await self._notify(event.event_id, f"{event.type}-{notice.role}", notice)
        return self._receipt(event)

    # -- Conferences: booked here, kept by a conference workflow, decided back here ------

    @workflow.update
    async def conference_booked(self, event: ConferenceBooked) -> Receipt:
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        self._state.conference_ref = event.conference_ref
        if event.kind == "review":
            self._state.review_date = event.meeting_on
        self._accept(event)
        await self._record(event.event_id, "conference_booked", event.booked_on,
                           f"{event.kind.capitalize()} conference {event.conference_ref} booked for {event.meeting_on}",
                           {"conference_ref": event.conference_ref, "siblings": event.siblings})
        start = ConferenceStart(
            conference_ref=event.conference_ref, kind=ConferenceKind(event.kind),
            case_refs=[self._state.case_ref, *event.siblings], **pinned(self._profile),
            requested_on=event.booked_on, meeting_on=event.meeting_on, chair_ref=event.chair_ref,
            booked_by_event=event.event_id,
        )
        await self._start_child(
            CONFERENCE_WORKFLOW, conference_workflow_id(event.conference_ref), start.model_dump(mode="json"),
            f"{event.kind.capitalize()} conference {event.conference_ref} for case {self._state.case_ref}",
            event.event_id,
        )
        return self._receipt(event)

    @conference_booked.validator
    def _validate_conference_booked(self, event: ConferenceBooked) -> None:
        if self._is_resend(event):
            return
        self._check_not_future(event.booked_on, "booked_on")
        if event.kind != "review":
            self._check_stage(event.type, (Stage.AWAITING_ICPC,))
            fits = {"pre_birth": self._state.unborn, "transfer_in": self._state.transfer_in is not None,
                    "initial": self._state.transfer_in is None and not self._state.unborn}
            if not fits[event.kind]:
                raise EventRejected(
                    f"a {event.kind.replace('_', '-')} conference does not fit this journey "
                    f"({'a transfer in' if self._state.transfer_in else 'unborn' if self._state.unborn else 'born'})"
                )
            icpc = self._state.deadline("icpc")
            if event.meeting_on > icpc.alarm_date:
                raise EventRejected(
                    f"the ICPC must be held by {icpc.alarm_date} ({icpc.reason}); book it by then, "
                    "or record the team manager's agreement to a delay first"
                )
        else:
            try:  # a review booked through a conference follows the same limit as one scheduled directly
                plan.check(self._state, self._profile, ReviewScheduled(
                    event_id=event.event_id, scheduled_on=event.booked_on, review_date=event.meeting_on))
            except plan.InvalidEvent as err:
                raise EventRejected(str(err)) from None
        if self._state.conference_ref is not None:
            raise EventRejected(f"conference {self._state.conference_ref} is already booked for this child "
                                "and has not decided yet")

    @workflow.update
    async def child_born(self, event: ChildBorn) -> Receipt:
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        self._state.born_on = event.born_on
        self._accept(event)
        # Seed 000: the same journey goes on; the child's own record starts here.
        await self._record(event.event_id, "child_born", event.born_on,
                           f"Child born {event.born_on} (expected {self._state.expected_delivery})",
                           {"expected_delivery": self._state.expected_delivery.isoformat(),
                            "stage": self._state.stage.value})
        return self._receipt(event)

    @child_born.validator
    def _validate_child_born(self, event: ChildBorn) -> None:
        if self._is_resend(event):
            return
        self._check_not_future(event.born_on, "born_on")
        self._check_stage(event.type, (Stage.AWAITING_SECTION_47, Stage.AWAITING_ICPC, Stage.ON_PLAN))
        if not self._state.unborn:
            raise EventRejected("this journey is not about an unborn child" if self._state.expected_delivery is None
                                else f"the child was born on {self._state.born_on}")

    @workflow.signal
    async def conference_decided(self, outcome: ConferenceDecision) -> None:
        """A conference decided for this child: the ICPC's outcome, or a review's if already on a plan.

        The journey's own stage decides which, so one household conference can be a sibling's
        initial conference and this child's review at once (seed 000).
        """
        decision = outcome.decision
        event_id = f"{outcome.conference_ref}:{decision.case_ref}"
        if self._state.stage is not Stage.ON_PLAN:
            event = IcpcHeld(event_id=event_id, held_on=outcome.held_on,
                             decision="plan" if decision.plan else "no_plan", category=decision.category)
            validate, apply = self._validate_icpc_held, self.icpc_held
        else:
            if not decision.plan:
                outcome_kind, category = "end_plan", None
            elif decision.category != self._state.category:
                outcome_kind, category = "change_category", decision.category
            else:
                outcome_kind, category = "continue", None
            event = ReviewHeld(event_id=event_id, held_on=outcome.held_on, outcome=outcome_kind, category=category,
                               chair_endorsed_ending=True)  # the conference's independent chair decided it
            validate, apply = self._validate_plan_event, self._plan_event
        try:
            if self._is_resend(event):
                return
            validate(event)
        except EventRejected as refused:
            if event_id in self._state.event_ids:
                return
            if self._outbox_on and self._state.conference_ref == outcome.conference_ref:
                # The conference has decided: whatever this journey made of it, the next one may be booked.
                self._state.conference_ref = None
                self._changed = True
            await self._record(event_id, "conference_decision_refused", outcome.held_on,
                               f"Conference {outcome.conference_ref}'s decision could not be applied: {refused.message}",
                               {"conference_ref": outcome.conference_ref})
            await self._notify(event_id, "refused", plan.Notice(
                "conference_chair", "conference_decision_refused",
                f"Conference {outcome.conference_ref}: decision not applied to case {self._state.case_ref}",
                refused.message))
            return
        self._state.conference_ref = None
        await apply(event)

    # -- The procedure -----------------------------------------------------------

    def _apply_transfer_in(self, event: TransferIn) -> str:
        # Seed 000: treated as an initial conference in the receiving authority; the originating
        # authority's plan stays in force until it is held.
        self._state.transfer_in = event
        self._state.originating_plan_in_force = True
        self._accept(event)
        self._state.deadlines.append(transfer_in_deadline(self._profile, event.agreed_on))
        self._state.stage = Stage.AWAITING_ICPC
        return (f"Transfer in from {event.originating_authority} agreed {event.agreed_on}; "
                f"transfer-in conference due by {self._state.deadline('icpc').due}")

    def _apply_strategy_discussion(self, event: StrategyDiscussion) -> str:
        self._state.strategy_discussions.append(event)
        if event.expected_delivery is not None:
            self._state.expected_delivery = event.expected_delivery
            self._state.premature_birth_likely = self._state.premature_birth_likely or event.premature_birth_likely
        self._accept(event)
        summary = f"Strategy discussion {event.held_on}: section 47 {'initiated' if event.initiated_section_47 else 'not initiated'}"
        if event.initiated_section_47:
            self._start_icpc_clock(event.held_on)
            summary += f"; ICPC due by {self._state.deadline('icpc').due}"
        return summary

    async def _record_strategy_discussion(self, event: StrategyDiscussion, summary: str) -> None:
        await self._record(
            event.event_id, "strategy_discussion", event.held_on, summary,
            {"initiated_section_47": event.initiated_section_47},
        )

    def _start_icpc_clock(self, initiated_on: date) -> None:
        previous = self._state.deadline("icpc")
        if previous is not None:
            # seed 000: the clock runs from the discussion at which the s47 was initiated.
            previous.status = DeadlineStatus.SUPERSEDED
            self._state.delay = None
        self._state.section_47_initiated_on = initiated_on
        expected = self._state.expected_delivery if self._state.unborn else None
        self._state.deadlines.append(icpc_deadline(self._profile, initiated_on, expected))
        self._state.stage = Stage.AWAITING_ICPC

    async def _after_failure(self, effect, cause: str) -> None:
        if isinstance(effect, QueuedChildStart) and effect.workflow_id == conference_workflow_id(
                str(self._state.conference_ref)):
            # The conference never started (its reference is another conference's): free the booking,
            # so the next one can be made, and tell whoever books conferences.
            self._state.conference_ref = None
            await self._notify(effect.event_id, "conference-not-started", plan.Notice(
                "conference_chair", "conference_not_started",
                f"Conference not started for case {self._state.case_ref}", f"{effect.summary}: {cause}"))

    def _close(self, because: str) -> None:
        self._state.stage = Stage.CLOSED
        self._state.closed_because = because

    def _details_heading(self) -> list[str]:
        state = self._state
        lines = [f"**Case {state.case_ref}**: stage `{state.stage.value}`, policy `{state.policy}`", ""]
        if state.closed_because:
            lines.append(f"Closed: {state.closed_because}")
        return lines

    def _check_stage(self, event_type: str, allowed: tuple[Stage, ...]) -> None:
        if self._state.stage not in allowed:
            expected = " or ".join(stage.value for stage in allowed)
            raise EventRejected(f"{event_type} is not accepted at stage {self._state.stage.value} (needs {expected})")

