"""Before the plan: strategy discussions, the initial conference and what may come first.

Pure, like ``domain.plan`` and ``domain.conference``, so the journey only reads the procedure:

- ``check(state, profile, event)`` raises :class:`~domain.plan.InvalidEvent` with a sentence a
  caller can act on, and changes nothing (it runs in the workflow's validator);
- ``apply(state, profile, event)`` changes the state and returns the :class:`~domain.plan.Effect`:
  the record to write. ``opening(state, profile, event)`` applies the event a journey starts with.

The ICPC is due a number of working days (the profile's ``icpc_from_strategy_discussion``) after the
strategy discussion that initiated the section 47 enquiry; a later one that initiates it moves the
date; a delay needs the team manager's written agreement; the ICPC decides on a plan or no plan,
unless the team manager decides no conference is needed.

Record summaries and details are what recorded histories hold: change them only behind a patch.
"""

from __future__ import annotations

from datetime import date

from domain import conference, plan
from domain.deadlines import DeadlineStatus, icpc_deadline, plan_deadlines, transfer_in_deadline
from domain.events import (
    ChildBorn,
    ConferenceBooked,
    ConferenceNotRequired,
    IcpcDelayAgreed,
    IcpcHeld,
    ReviewScheduled,
    StrategyDiscussion,
    TransferIn,
)
from domain.imports import ImportedPlan
from domain.plan import Effect, InvalidEvent
from domain.policy import BIRMINGHAM, Profile
from domain.state import STAGE_WORDS, ChallengeRow, ConferenceOwed, IcpcToBeHeld, JourneyState, Stage

WAITING_FOR_ICPC = (Stage.AWAITING_SECTION_47, Stage.AWAITING_ICPC)
#: The events this module checks and applies (a review's booking is the plan's).
EVENTS = (StrategyDiscussion, IcpcDelayAgreed, IcpcHeld, ConferenceNotRequired, ChildBorn, ConferenceBooked)


def handles(event) -> bool:
    return isinstance(event, EVENTS)


def check_stage(state: JourneyState, event, allowed: tuple[Stage, ...]) -> None:
    if state.stage not in allowed:
        raise InvalidEvent(
            f"{event.title} is not accepted now: this journey is {STAGE_WORDS[state.stage]} "
            f"(it is accepted while the journey is {' or '.join(STAGE_WORDS[stage] for stage in allowed)})"
        )


# -- Checking ---------------------------------------------------------------------


def check(state: JourneyState, profile: Profile, event) -> None:
    """Raise :class:`InvalidEvent` if ``event`` cannot happen now; changes nothing."""
    _CHECKS[type(event)](state, profile, event)


def _check_strategy_discussion(state: JourneyState, profile: Profile, event: StrategyDiscussion) -> None:
    if state.transfer_in is not None:
        raise InvalidEvent("this journey came by transfer: its conference runs from the authorities' agreement")
    check_stage(state, event, WAITING_FOR_ICPC)
    latest = max((sd.held_on for sd in state.strategy_discussions), default=event.held_on)
    if event.held_on < latest:
        raise InvalidEvent(f"Held on {event.held_on} is before the last strategy discussion ({latest})")


def _check_delay(state: JourneyState, profile: Profile, event: IcpcDelayAgreed) -> None:
    check_stage(state, event, (Stage.AWAITING_ICPC,))
    due = state.deadline("icpc").due
    if event.new_target <= due:
        raise InvalidEvent(f"the new target date {event.new_target} is not a delay: the ICPC is due by {due} anyway")


def _check_icpc_held(state: JourneyState, profile: Profile, event: IcpcHeld) -> None:
    check_stage(state, event, (Stage.AWAITING_ICPC,))
    initiated = state.icpc_clock_from
    if event.held_on < initiated:
        raise InvalidEvent(
            f"Held on {event.held_on} is before the strategy discussion that initiated the section 47 enquiry "
            f"({initiated})"
        )


def _check_not_required(state: JourneyState, profile: Profile, event: ConferenceNotRequired) -> None:
    check_stage(state, event, (Stage.AWAITING_ICPC,))
    if event.decided_on < state.icpc_clock_from:
        raise InvalidEvent(
            f"Decided on {event.decided_on} is before the section 47 enquiry was initiated ({state.icpc_clock_from})")


def _check_child_born(state: JourneyState, profile: Profile, event: ChildBorn) -> None:
    check_stage(state, event, (Stage.AWAITING_SECTION_47, Stage.AWAITING_ICPC, Stage.ON_PLAN))
    if not state.unborn:
        raise InvalidEvent("this journey is not about an unborn child" if state.expected_delivery is None
                           else f"the child was born on {state.born_on}")


_KIND_WORDS = {"initial": "an initial", "pre_birth": "a pre-birth", "transfer_in": "a transfer-in", "review": "a review"}


def _check_booking(state: JourneyState, profile: Profile, event: ConferenceBooked) -> None:
    conference.check_booking(profile, event)  # the authority's own rules for booking (who chairs, ...)
    if event.kind != "review":
        check_stage(state, event, (Stage.AWAITING_ICPC,))
        fits = {"pre_birth": state.unborn, "transfer_in": state.transfer_in is not None,
                "initial": state.transfer_in is None and not state.unborn}
        if not fits[event.kind]:
            child = ("a child moving in on another authority's plan" if state.transfer_in
                     else "an unborn child" if state.unborn else "a child already born")
            raise InvalidEvent(f"{_KIND_WORDS[event.kind]} conference does not fit this journey, about {child}")
        icpc = state.deadline("icpc")
        if event.meeting_on > icpc.alarm_date:
            raise InvalidEvent(
                f"the ICPC must be held by {icpc.alarm_date} ({icpc.reason}); book it by then, "
                "or record the team manager's agreement to a delay first"
            )
    else:  # a review booked through a conference follows the same limit as one scheduled directly
        plan.check(state, profile, ReviewScheduled(
            event_id=event.event_id, scheduled_on=event.booked_on, review_date=event.meeting_on))
    if state.conference_ref is not None:
        raise InvalidEvent(f"conference {state.conference_ref} is already booked for this child "
                           "and has not decided yet")
    owed = state.conference_owed
    if owed is not None and owed.not_chaired_by is not None and event.chair_ref == owed.not_chaired_by:
        raise InvalidEvent(
            f"a complaint about this child's conference was upheld ({owed.complaint_ref}): under the procedure for "
            f"complaints about a child protection conference, it is reconvened under a different chair, not "
            f"{owed.not_chaired_by}, who chaired the conference complained about ({BIRMINGHAM}, 8.13)")


_CHECKS = {
    StrategyDiscussion: _check_strategy_discussion,
    IcpcDelayAgreed: _check_delay,
    IcpcHeld: _check_icpc_held,
    ConferenceNotRequired: _check_not_required,
    ChildBorn: _check_child_born,
    ConferenceBooked: _check_booking,
}


# -- Applying ---------------------------------------------------------------------


def opening(state: JourneyState, profile: Profile,
            event: StrategyDiscussion | TransferIn | IcpcToBeHeld | ImportedPlan) -> Effect:
    """Apply the event a journey starts with: a strategy discussion, a transfer in, a challenge's decision,
    or an import of a case already on a plan (started on its plan: ``domain.plan.start_imported``)."""
    if isinstance(event, ImportedPlan):
        return plan.start_imported(state, profile, event)
    if isinstance(event, TransferIn):
        return _transfer_in(state, profile, event)
    if isinstance(event, IcpcToBeHeld):
        return _icpc_to_be_held(state, profile, event)
    return _strategy_discussion(state, profile, event)


def _icpc_to_be_held(state: JourneyState, profile: Profile, event: IcpcToBeHeld) -> Effect:
    # Birmingham 7.1 sets no timescale for the conference once the final decision is to hold it. The
    # decision is what starts the ICPC's clock here, as a strategy discussion initiating a section 47
    # enquiry does: so the ICPC is due the profile's ``icpc_within`` from the day of the final decision.
    state.icpc_to_be_held = event
    state.deadlines.append(icpc_deadline(profile, event.decided_on))
    state.stage = Stage.AWAITING_ICPC
    if event.challenge is not None:
        note_challenge(state, event.challenge)
    return Effect(
        f"Journey opened again {event.decided_on}: disagreement {event.complaint_ref} decided an initial conference "
        f"is to be held; ICPC due by {state.deadline('icpc').due}",
        event.decided_on, {"complaint_ref": event.complaint_ref, "due": state.deadline("icpc").due.isoformat()},
    )


# -- Challenges: listed here, kept by their own workflows ---------------------------------


def note_challenge(state: JourneyState, row: ChallengeRow) -> None:
    """List ``row`` (a challenge's latest as its workflow tells it), in place of what it said before."""
    for index, known in enumerate(state.challenges):
        if known.ref == row.ref:
            state.challenges[index] = row
            return
    state.challenges.append(row)


def challenge_decided(state: JourneyState, profile: Profile, decided) -> Effect | None:
    """What a challenge's decision (a ``domain.complaints.ChallengeDecided``) asks of this journey.

    A conference to reconvene under another chair (Birmingham 8.13) or another conference (7.3) is
    owed until a conference booked on this journey decides; an ICPC to hold (7.1) starts the ICPC's
    clock if the journey still waits for a section 47 enquiry. None if it was heard before.
    """
    on = decided.decided_on
    details = {"complaint_ref": decided.complaint_ref, "outcome": decided.outcome}
    if decided.outcome == "hold_icpc":
        if state.icpc_to_be_held is not None and state.icpc_to_be_held.complaint_ref == decided.complaint_ref:
            return None
        if state.stage is Stage.AWAITING_SECTION_47:
            state.icpc_to_be_held = IcpcToBeHeld(event_id=f"{decided.complaint_ref}-hold-icpc", decided_on=on,
                                                 complaint_ref=decided.complaint_ref)
            state.deadlines.append(icpc_deadline(profile, on))
            state.stage = Stage.AWAITING_ICPC
            return Effect(f"Disagreement {decided.complaint_ref} decided {on} an initial conference is to be held; "
                          f"ICPC due by {state.deadline('icpc').due}", on, details)
        return Effect(f"Disagreement {decided.complaint_ref} decided {on} an initial conference is to be held: this "
                      f"journey is {STAGE_WORDS[state.stage]} already", on, details)
    owed = state.conference_owed
    if owed is not None and owed.complaint_ref == decided.complaint_ref:
        return None
    state.conference_owed = ConferenceOwed(
        complaint_ref=decided.complaint_ref, outcome=decided.outcome, decided_on=on,
        not_chaired_by=decided.not_chaired_by, hold_by=decided.hold_by)
    return Effect(f"{state.conference_owed.words[0].upper()}{state.conference_owed.words[1:]}", on,
                  {**details, "not_chaired_by": decided.not_chaired_by,
                   "hold_by": decided.hold_by.isoformat() if decided.hold_by else None})


def conference_owed_met(state: JourneyState, conference_ref: str) -> ConferenceOwed | None:
    """The owed conference ``conference_ref`` met, if it was the one booked to meet it (and no longer owed)."""
    owed = state.conference_owed
    if owed is None or owed.booked_conference_ref != conference_ref:
        return None
    state.conference_owed = None
    return owed


def apply(state: JourneyState, profile: Profile, event, *, plan_stage: bool = True) -> Effect:
    """Change ``state`` for ``event`` (already checked); return what to record.

    ``plan_stage`` is False only for journeys whose ICPC decided on a plan before the plan's
    events were tracked: they list the plan's first dates and nothing more.
    """
    if isinstance(event, IcpcHeld):
        return _icpc_held(state, profile, event, plan_stage)
    return _APPLY[type(event)](state, profile, event)


def counts_from_the_move(profile: Profile) -> bool:
    """Whether the profile counts a transfer-in conference from the child's move, not the authorities' agreement."""
    option = profile.options.get("transfer_in_counted_from")
    return option is not None and option.value == "move"


def check_opening(profile: Profile, event: StrategyDiscussion | TransferIn) -> None:
    """Refuse an opening the journey's procedure cannot count from (checked before the journey starts)."""
    if isinstance(event, TransferIn) and event.moved_on is None and counts_from_the_move(profile):
        option = profile.options["transfer_in_counted_from"]
        raise InvalidEvent(f"give the day the child moved (moved on): the receiving-in conference is counted from "
                           f"the child's move ({option.citation})")


def _transfer_in(state: JourneyState, profile: Profile, event: TransferIn) -> Effect:
    # Treated as an initial conference in the receiving authority; the originating
    # authority's plan stays in force until it is held.
    state.transfer_in = event
    state.originating_plan_in_force = True
    from_the_move = event.moved_on is not None and counts_from_the_move(profile)
    state.deadlines.append(transfer_in_deadline(profile, event.moved_on if from_the_move else event.agreed_on))
    state.stage = Stage.AWAITING_ICPC
    due = state.deadline('icpc').due
    if from_the_move:
        return Effect(
            f"Transfer in from {event.originating_authority}: child moved {event.moved_on} (agreed {event.agreed_on}); "
            f"receiving-in conference due by {due}",
            event.moved_on, {"originating_authority": event.originating_authority, "category": event.category,
                             "counted_from": "move"},
        )
    return Effect(
        f"Transfer in from {event.originating_authority} agreed {event.agreed_on}; transfer-in conference due by {due}",
        event.agreed_on, {"originating_authority": event.originating_authority, "category": event.category},
    )


def _strategy_discussion(state: JourneyState, profile: Profile, event: StrategyDiscussion) -> Effect:
    state.strategy_discussions.append(event)
    if event.expected_delivery is not None:
        state.expected_delivery = event.expected_delivery
        state.premature_birth_likely = state.premature_birth_likely or event.premature_birth_likely
    summary = f"Strategy discussion {event.held_on}: section 47 {'initiated' if event.initiated_section_47 else 'not initiated'}"
    if event.initiated_section_47:
        _start_icpc_clock(state, profile, event.held_on)
        summary += f"; ICPC due by {state.deadline('icpc').due}"
    return Effect(summary, event.held_on, {"initiated_section_47": event.initiated_section_47})


def _start_icpc_clock(state: JourneyState, profile: Profile, initiated_on: date) -> None:
    previous = state.deadline("icpc")
    if previous is not None:
        # The clock runs from the discussion at which the section 47 enquiry was initiated.
        previous.status = DeadlineStatus.SUPERSEDED
        state.delay = None
    state.section_47_initiated_on = initiated_on
    expected = state.expected_delivery if state.unborn else None
    state.deadlines.append(icpc_deadline(profile, initiated_on, expected))
    state.stage = Stage.AWAITING_ICPC


def _delay_agreed(state: JourneyState, profile: Profile, event: IcpcDelayAgreed) -> Effect:
    deadline = state.deadline("icpc")
    deadline.agreed_target = event.new_target
    if deadline.status is DeadlineStatus.OVERDUE:
        # Escalated already; the agreed date is the new point to escalate at.
        deadline.status = DeadlineStatus.OPEN
    state.delay = event
    return Effect(
        f"Team manager agreed ICPC delay to {event.new_target}", event.agreed_on,
        {"new_target": event.new_target.isoformat(), "reasons": event.reasons, "statutory_due": deadline.due.isoformat()},
    )


def _icpc_held(state: JourneyState, profile: Profile, event: IcpcHeld, plan_stage: bool) -> Effect:
    deadline = state.deadline("icpc")
    deadline.status = DeadlineStatus.MET if event.held_on <= deadline.due else DeadlineStatus.MET_LATE
    state.icpc = event
    state.originating_plan_in_force = False
    late = deadline.status is DeadlineStatus.MET_LATE
    details = {
        "decision": event.decision,
        "category": event.category,
        "due": deadline.due.isoformat(),
        "held_late": late,
        "delay_agreed": state.delay is not None,
    }
    if event.decision == "plan":
        if plan_stage:
            plan.start_plan(state, profile, event)
        else:
            state.stage = Stage.ON_PLAN
            state.deadlines.extend(plan_deadlines(profile, event.held_on))
        summary = f"ICPC held {event.held_on}: child protection plan ({event.category})"
    else:
        _close(state, "ICPC decided no plan: child in need follow-up")
        details["follow_up"] = "child_in_need"
        summary = f"ICPC held {event.held_on}: no plan, child in need follow-up"
    if late:
        summary += f" (late: due {deadline.due})"
    return Effect(summary, event.held_on, details)


def _not_required(state: JourneyState, profile: Profile, event: ConferenceNotRequired) -> Effect:
    state.deadline("icpc").status = DeadlineStatus.CANCELLED
    _close(state, "team manager decided no conference is required")
    return Effect("Team manager decided no ICPC is required", event.decided_on, {"reasons": event.reasons})


def _child_born(state: JourneyState, profile: Profile, event: ChildBorn) -> Effect:
    state.born_on = event.born_on
    # The same journey goes on; the child's own record starts here.
    return Effect(f"Child born {event.born_on} (expected {state.expected_delivery})", event.born_on,
                  {"expected_delivery": state.expected_delivery.isoformat(), "stage": state.stage.value})


def _conference_booked(state: JourneyState, profile: Profile, event: ConferenceBooked) -> Effect:
    # The conference workflow itself is the journey's to start: it is an effect, not a rule.
    state.conference_ref = event.conference_ref
    owed = state.conference_owed
    if owed is not None:
        # A conference booked after a challenge's decision is the one that meets it (one booked before it
        # that never started is replaced: only one conference is booked at a time).
        state.conference_owed = owed.model_copy(update={"booked_conference_ref": event.conference_ref,
                                                        "booked_chair_ref": event.chair_ref})
    if event.kind == "review":
        state.review_date = event.meeting_on
    return Effect(f"{event.kind.capitalize()} conference {event.conference_ref} booked for {event.meeting_on}",
                  event.booked_on, {"conference_ref": event.conference_ref, "siblings": event.siblings})


def _close(state: JourneyState, because: str) -> None:
    state.stage = Stage.CLOSED
    state.closed_because = because


_APPLY = {
    StrategyDiscussion: _strategy_discussion,
    IcpcDelayAgreed: _delay_agreed,
    ConferenceNotRequired: _not_required,
    ChildBorn: _child_born,
    ConferenceBooked: _conference_booked,
}
