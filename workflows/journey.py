"""A child's child protection journey, from the strategy discussion onwards.

One workflow per child, id ``cpj-<case ref>``. It runs on the policy profile it
was started with (pinned in its input), keeps its deadlines as data, and waits
on the nearest one with a named timer.

Every event comes in by one update, ``event`` (a ``JourneyEvent``, by its ``type``),
with one validator: a resend is answered, and the procedure decides the rest. The
workflow only reads the procedure: ``domain.icpc`` checks and applies what comes
before the plan (strategy discussions, a delay, the ICPC, a child born, booking a
conference), ``domain.plan`` the plan (visits, core groups, reviews, the tasks between
them, every way a plan ends). Each deadline passed unmet escalates once to the role
``domain.deadlines.KINDS`` names. After each review the journey continues as new, so
a plan of many years keeps a short history; its id stays the same.

Complaints, appeals and disagreements about its conferences run as workflows of their own
(``workflows.complaint``): the journey lists them as they tell it (``challenge_changed``), and acts
on a decision that asks for a conference (``challenge_decided``): the next conference booked must
meet it, and once that conference has decided the challenge is told (``conference_held``).

A case already on a plan when the council moved to this system starts mid-stream from an import's row
(``JourneyStart.imported``, ``domain.imports``): on its plan from its first task, its deadlines counted
from the row's last review, visit and core group (``domain.plan.start_imported``).

Journeys that began before the one update were sent each event by its type's name
(``icpc_held``, ``visit_made``...): those names still reach the same code, through a
dynamic update that decodes the event by name, so their histories replay.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from domain import icpc, plan
    from domain.complaints import CONFERENCE_HELD, ChallengeDecided, ConferenceReconvened, complaint_workflow_id
    from domain.conference import ConferenceDecision, ConferenceKind, ConferenceStart, conference_workflow_id
    from domain.events import EVENT_TYPES, ConferenceBooked, FeedEvent, IcpcHeld, JourneyEvent, ReviewHeld
    from domain.effects import QueuedChildStart, Receipt
    from domain.legacy import RULES_FROM_PROFILE_PATCH, with_hard_coded_rules
    from domain.released import pinned
    from domain.state import ChallengeRow, JourneyStart, JourneyState, Stage
    import shipped  # noqa: F401  (registers the calendars and releases domain counts with; passed through)

from workflows.calendar_updates import CalendarUpdates
from workflows.keeping import DeadlineKeeping, EventRejected

#: Journeys whose ICPC decided on a plan before this patch only list the plan's first dates.
PLAN_STAGE_PATCH = "plan-stage"
#: A conference a challenge asked for tells the challenge once it has decided.
CHALLENGES_PATCH = "challenges"
CONFERENCE_WORKFLOW = "ConferenceWorkflow"


@workflow.defn
class ChildProtectionJourney(CalendarUpdates, DeadlineKeeping):
    @workflow.init
    def __init__(self, start: JourneyStart) -> None:
        self._start = start
        #: The profile as pinned: what a continued run and a booked conference are started on.
        self._profile = start.resolve_profile()
        #: What the procedure is read from: a run from before rules came from profiles keeps the
        #: rules the code then applied to every authority, so its history replays.
        self._rules = (self._profile if self._patched(RULES_FROM_PROFILE_PATCH)
                       else with_hard_coded_rules(self._profile))
        self._start_keeping()
        self._state = start.carried or JourneyState(
            case_ref=start.case_ref, policy=self._profile.pin, stage=Stage.AWAITING_SECTION_47
        )
        self._changed = False
        self._review_boundary = False
        self._indexed: dict[str, object] = {}
        self._opening = start.opening
        if start.carried is None:
            # Applied here, not in run, so an event sent straight after the start is validated
            # against a journey that already knows how it opened.
            self._opening_effect = icpc.opening(self._state, self._rules, self._opening)
            self._accept(self._opening)

    @workflow.run
    async def run(self, start: JourneyStart) -> JourneyState:
        if start.carried is None:
            opened = self._opening_effect
            await self._record(self._opening.event_id, self._opening.type, opened.occurred_on, opened.summary,
                               {**opened.details, **self._opening.recorded_by_details()})
        while self._state.stage is not Stage.CLOSED:
            await self._carry_out_effects()
            if self._state.stage is Stage.CLOSED:
                break  # closed by an event that arrived while effects were carried out
            if self._time_for_a_fresh_history():
                await workflow.wait_condition(workflow.all_handlers_finished)
                self._silence_alarm()
                workflow.continue_as_new(
                    JourneyStart(case_ref=start.case_ref, **pinned(self._profile),
                                 strategy_discussion=start.strategy_discussion, transfer_in=start.transfer_in,
                                 icpc_to_be_held=start.icpc_to_be_held, imported=start.imported,
                                 carried=plan.carry_forward(self._state))
                )
            await self._wait_for_event_or_deadline()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._carry_out_effects()
        self._silence_alarm()
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

    # -- Events: one door for every event; the domain checks and applies it --------------

    @workflow.update
    async def event(self, event: JourneyEvent) -> Receipt:
        """Any event of the journey, by its ``type``; a resend (same id, same event) changes nothing."""
        if self._is_resend(event):
            return self._receipt(event, resend=True)
        await self._apply(event)
        return self._receipt(event)

    @event.validator
    def _validate_event(self, event: JourneyEvent) -> None:
        if self._is_resend(event):
            return
        self._check(event)

    @workflow.update(dynamic=True)
    async def _by_type_name(self, name: str, args: Sequence[RawValue]) -> Receipt:
        """An event sent by its type's name, as every event was before ``event``: recorded histories hold them."""
        return await self.event(self._decode(name, args))

    @_by_type_name.validator
    def _validate_by_type_name(self, name: str, args: Sequence[RawValue]) -> None:
        self._validate_event(self._decode(name, args))

    @staticmethod
    def _decode(name: str, args: Sequence[RawValue]):
        model = EVENT_TYPES.get(name)
        if model is None or len(args) != 1:
            raise EventRejected(f"this journey takes no update {name!r}; send events to the update 'event'")
        return workflow.payload_converter().from_payload(args[0].payload, model)

    def _check(self, event) -> None:
        """Refuse ``event`` with the procedure's reason if it cannot happen now; changes nothing."""
        self._check_not_future(event.day, event.field_title(event.date_field))
        try:
            (icpc.check if icpc.handles(event) else plan.check)(self._state, self._rules, event)
        except plan.InvalidEvent as err:
            raise EventRejected(str(err)) from None

    async def _apply(self, event) -> None:
        if icpc.handles(event):
            plan_stage = not (isinstance(event, IcpcHeld) and event.decision == "plan") or self._patched(
                PLAN_STAGE_PATCH)
            effect = icpc.apply(self._state, self._rules, event, plan_stage=plan_stage)
        else:
            effect = plan.apply(self._state, self._rules, event)
        self._accept(event)
        self._review_boundary = self._review_boundary or effect.review_boundary
        await self._record(event.event_id, event.type, effect.occurred_on, effect.summary,
                           {**effect.details, **event.recorded_by_details()})
        for notice in effect.notices:
            await self._notify(event.event_id, f"{event.type}-{notice.role}", notice)
        if isinstance(event, ConferenceBooked):
            await self._start_conference(event)

    @workflow.signal
    async def feed(self, event: FeedEvent) -> None:
        """A fire-and-forget feed: applied when it fits; otherwise recorded as refused, never retried."""
        try:
            if self._is_resend(event):
                return  # a feed resending what it sent before: already applied
            self._check(event)
        except EventRejected as refused:
            if event.event_id in self._state.event_ids and event.event_id not in self._state.event_digests:
                return  # applied before digests were kept: a resend, as far as anyone can tell
            workflow.logger.warning("feed event refused", extra={"type": event.type, "reason": refused.message})
            self._state.refused_feed.append(f"{event.day} {event.type.replace('_', ' ')} "
                                            f"({event.event_id}): {refused.message}")
            self._changed = True
            await self._record(event.event_id, "feed_event_refused", event.day,
                               f"Refused {event.type.replace('_', ' ')} from a feed: {refused.message}",
                               {"type": event.type, **event.recorded_by_details()})
            return
        await self._apply(event)

    # -- Conferences: booked here, kept by a conference workflow, decided back here ------

    async def _start_conference(self, event: ConferenceBooked) -> None:
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

    @workflow.signal
    async def conference_decided(self, outcome: ConferenceDecision) -> None:
        """A conference decided for this child: the ICPC's outcome, or a review's if already on a plan.

        The journey's own stage decides which, so one household conference can be a sibling's
        initial conference and this child's review at once (Darlington procedures).
        """
        decision = outcome.decision
        event_id = f"{outcome.conference_ref}:{decision.case_ref}"
        if self._state.stage is not Stage.ON_PLAN:
            event = IcpcHeld(event_id=event_id, held_on=outcome.held_on,
                             decision="plan" if decision.plan else "no_plan", category=decision.category)
        else:
            if not decision.plan:
                outcome_kind, category = "end_plan", None
            elif decision.category != self._state.category:
                outcome_kind, category = "change_category", decision.category
            else:
                outcome_kind, category = "continue", None
            event = ReviewHeld(event_id=event_id, held_on=outcome.held_on, outcome=outcome_kind, category=category,
                               chair_endorsed_ending=True)  # the conference's independent chair decided it
        try:
            if self._is_resend(event):
                return
            self._check(event)
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
            await self._tell_the_challenge(outcome)
            return
        self._state.conference_ref = None
        await self._apply(event)
        await self._tell_the_challenge(outcome)

    # -- Challenges: complaints, appeals and disagreements, each a workflow of its own ------

    @workflow.signal
    async def challenge_changed(self, row: ChallengeRow) -> None:
        """A challenge about this child's conferences opened, moved on or ended: listed, nothing else.

        The conference decision and the plan stand while it runs (Birmingham 7.5, 8.5; Darlington).
        """
        icpc.note_challenge(self._state, row)
        self._changed = True

    @workflow.signal
    async def challenge_decided(self, decided: ChallengeDecided) -> None:
        """A challenge decided a conference is to be held: owed until a conference booked here decides."""
        effect = icpc.challenge_decided(self._state, self._rules, decided)
        if effect is None:
            return  # heard before
        self._changed = True
        await self._record(f"{decided.complaint_ref}-{decided.outcome}", "challenge_decided", effect.occurred_on,
                           effect.summary, effect.details)

    async def _tell_the_challenge(self, outcome: ConferenceDecision) -> None:
        """If this conference was booked to meet a challenge's decision, tell the challenge it was held."""
        if self._state.conference_owed is None or not self._patched(CHALLENGES_PATCH):
            return
        owed = icpc.conference_owed_met(self._state, outcome.conference_ref)
        if owed is None:
            return
        self._changed = True
        held = ConferenceReconvened(event_id=f"{outcome.conference_ref}-held", held_on=outcome.held_on,
                                    conference_ref=outcome.conference_ref, chair_ref=owed.booked_chair_ref)
        await self._signal(complaint_workflow_id(owed.complaint_ref), CONFERENCE_HELD, held.model_dump(mode="json"),
                           f"Challenge {owed.complaint_ref} told: conference {outcome.conference_ref} held "
                           f"{outcome.held_on} under chair {owed.booked_chair_ref}")

    # -- The procedure -----------------------------------------------------------

    async def _after_failure(self, effect, cause: str) -> None:
        if isinstance(effect, QueuedChildStart) and effect.workflow_id == conference_workflow_id(
                str(self._state.conference_ref)):
            # The conference never started (its reference is another conference's): free the booking,
            # so the next one can be made, and tell whoever books conferences.
            self._state.conference_ref = None
            await self._notify(effect.event_id, "conference-not-started", plan.Notice(
                "conference_chair", "conference_not_started",
                f"Conference not started for case {self._state.case_ref}", f"{effect.summary}: {cause}"))
