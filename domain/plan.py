"""The child protection plan: what each event means for the journey's deadlines.

Pure functions over :class:`JourneyState`, so the workflow stays a thin reader
of the procedure and every rule here is testable without Temporal:

- ``check(state, profile, event)`` raises :class:`InvalidEvent` with a sentence a
  caller can act on, and changes nothing (it runs in the update validator);
- ``apply(state, profile, event)`` changes the state and returns the
  :class:`Effect`: the record to write and the people to notify.

Timescales are looked up in the journey's pinned profile by rule key
(``domain.policy.KNOWN_RULES``); a rule the profile lacks sets no deadline. What one
authority's document adds (who is told, what is refused) is a profile option
(``domain.policy.KNOWN_OPTIONS``), so a journey on another profile never applies it.
A refusal is for what a document says "must" or "never"; a "should" timescale missed is
accepted and marked late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from domain.deadlines import KINDS, Deadline, DeadlineStatus, calendar_of, deadline
from domain.events import (
    Category,
    ChildFound,
    ChildMissing,
    CoreGroupHeld,
    CoreGroupMembersRecorded,
    EndingReason,
    IcpcHeld,
    LeadSocialWorkerCover,
    LeadSocialWorkerNamed,
    PlanEnded,
    ReviewHeld,
    ReviewScheduled,
    SignificantEvent,
    Task,
    TaskCompleted,
    TransferOutNotified,
    VisitMade,
)
from domain.imports import ImportedPlan
from domain.policy import Option, Profile
from domain.state import STAGE_WORDS, JourneyState, Stage


class InvalidEvent(ValueError):
    """An event that does not fit the journey as it stands."""


@dataclass(frozen=True)
class Notice:
    """A notification to a role (resolved to an address outside Temporal)."""

    role: str
    template: str
    subject: str
    body: str


@dataclass
class Effect:
    summary: str
    occurred_on: date
    details: dict[str, Any] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    #: A review was held and the plan goes on: a good moment for a fresh history.
    review_boundary: bool = False


# -- Deadlines ----------------------------------------------------------------


def _option(profile: Profile, key: str) -> Option | None:
    """The profile's option ``key`` if it is set (a false or empty option is no option)."""
    option = profile.options.get(key)
    return option if option is not None and option.value else None


def _review_limit(state: JourneyState) -> Deadline:
    return state.open_deadline("review")


def _open_midway_meeting(state: JourneyState, profile: Profile) -> None:
    option = profile.options.get("midway_meeting_between_conferences")
    review = _review_limit(state)
    if not option or not option.value or review is None:
        return
    state.supersede("midway_meeting")
    start = state.last_conference_on
    due = start + (review.due - start) / 2
    state.deadlines.append(Deadline(
        kind="midway_meeting", label=KINDS["midway_meeting"].label, rule="midway_meeting_between_conferences",
        due=due, reason=f"half way between {start} and the review limit {review.due} ({option.citation})",
    ))


# -- Starting the plan ----------------------------------------------------------


def start_plan(state: JourneyState, profile: Profile, icpc: IcpcHeld) -> None:
    """The ICPC decided on a plan: set running every timescale the profile gives for it."""
    state.stage = Stage.ON_PLAN
    state.plan_started_on = state.last_conference_on = icpc.held_on
    state.category = icpc.category
    held = icpc.held_on
    state.open_next(profile, "visit", "first_visit" if "first_visit" in profile.rules else "visit_interval", held,
          "First lead social worker visit")
    state.open_next(profile, "core_group", "first_core_group", held, "First core group meeting")
    first_core_group = state.open_deadline("core_group")
    before_birth = _option(profile, "unborn_core_group_before_birth")
    if (before_birth and state.unborn and first_core_group is not None
            and state.expected_delivery <= first_core_group.due):
        first_core_group.due = state.expected_delivery - timedelta(days=1)
        first_core_group.reason = f"before the expected birth on {state.expected_delivery} ({before_birth.citation})"
    shared = _option(profile, "plan_shared_with_family_by_first_core_group")
    if shared and first_core_group is not None:
        # "At or before the first core group": due with that meeting's deadline, and earlier if it meets earlier.
        state.supersede("plan_shared_with_family")
        state.deadlines.append(Deadline(
            kind="plan_shared_with_family", label=KINDS["plan_shared_with_family"].label, rule="first_core_group",
            due=first_core_group.due, anchor=first_core_group.anchor,
            reason=f"at or before the first core group meeting, due {first_core_group.due} ({shared.citation})",
        ))
    state.open_next(profile, "review", "first_review", held, "First review conference")
    state.open_next(profile, "core_assessment", "core_assessment", held)
    state.open_next(profile, "plan_lodged_with_chair", "plan_lodged_with_chair", held)
    state.open_next(profile, "bedroom_seen", "child_bedroom_seen_interval", held)
    _open_midway_meeting(state, profile)


# -- A case already on a plan, imported mid-stream --------------------------------


def start_imported(state: JourneyState, profile: Profile, imported: ImportedPlan) -> Effect:
    """A case brought in on its plan (``domain.imports``): its deadlines counted from the row's dates.

    The same rules the plan keeps from an ICPC, reviews, visits and core groups: the next review from the
    last review (the first review from the plan's start if there has been none), the next visit and core
    group from the last ones (the first from the plan's start if there have been none). Recurring
    deadlines may be overdue at once: the import cannot make up a visit that was missed. A one-off piece
    of work (the core assessment, the minutes of the last core group, a mid-way meeting) is kept only if
    its day is still to come: the import cannot know whether one already passed was done. Where the
    procedure wants the child's bedroom seen at intervals, the import gives no day it was: it is counted
    from the import, so the first visit after it can see it.
    """
    today, began = imported.imported_on, imported.plan_started_on
    state.stage = Stage.ON_PLAN
    state.imported = imported
    state.plan_started_on = began
    state.category = imported.category
    state.lead_social_worker = imported.lead_social_worker
    state.team = imported.team
    state.last_conference_on = imported.last_review_on or began
    # At least one review was held if the row gives one; how many the file does not say.
    state.reviews_held = 1 if imported.last_review_on else 0
    if imported.last_visit_on:
        state.open_next(profile, "visit", "visit_interval", imported.last_visit_on, "Lead social worker visit")
    else:
        state.open_next(profile, "visit", "first_visit" if "first_visit" in profile.rules else "visit_interval",
                        began, "First lead social worker visit")
    state.open_next(profile, "bedroom_seen", "child_bedroom_seen_interval", today)
    bedroom = state.open_deadline("bedroom_seen")
    if bedroom is not None:
        bedroom.reason += "; counted from the import, which gives no day it was last seen"
    if imported.last_core_group_on:
        held = imported.last_core_group_on
        state.open_next(profile, "core_group", "core_group_interval", held, "Core group meeting")
        _open_if_still_to_come(state, profile, "core_group_minutes", "core_group_minutes", held, today)
        _open_if_still_to_come(state, profile, "plan_distributed", "plan_distributed_after_core_group", held, today)
    else:
        state.open_next(profile, "core_group", "first_core_group", began, "First core group meeting")
        first_core_group = state.open_deadline("core_group")
        shared = _option(profile, "plan_shared_with_family_by_first_core_group")
        if shared and first_core_group is not None and first_core_group.due >= today:
            state.deadlines.append(Deadline(
                kind="plan_shared_with_family", label=KINDS["plan_shared_with_family"].label, rule="first_core_group",
                due=first_core_group.due, anchor=first_core_group.anchor,
                reason=f"at or before the first core group meeting, due {first_core_group.due} ({shared.citation})",
            ))
    review = imported.last_review_on
    if review:
        state.open_next(profile, "review", "review_interval", review, "Review conference")
        if "core_group_after_review" in profile.rules and (
                imported.last_core_group_on is None or imported.last_core_group_on < review):
            # No core group since the last review: the one the procedure wants after a review is still owed.
            after_review = deadline(profile, "core_group", "core_group_after_review", review)
            current = state.open_deadline("core_group")
            if current is None or after_review.due < current.due:
                state.supersede("core_group")
                state.deadlines.append(after_review)
    else:
        state.open_next(profile, "review", "first_review", began, "First review conference")
    _open_if_still_to_come(state, profile, "core_assessment", "core_assessment", began, today)
    _open_if_still_to_come(state, profile, "plan_lodged_with_chair", "plan_lodged_with_chair", began, today)
    _open_midway_meeting(state, profile)
    midway = state.open_deadline("midway_meeting")
    if midway is not None and midway.due < today:
        state.deadlines.remove(midway)
    return Effect(imported_summary(imported), today, imported_details(imported))


def _open_if_still_to_come(state: JourneyState, profile: Profile, kind: str, rule_key: str, anchor: date,
                           today: date) -> None:
    """A one-off deadline, kept only if it falls today or later (one already passed may have been met)."""
    if rule_key in profile.rules and deadline(profile, kind, rule_key, anchor).due >= today:
        state.open_next(profile, kind, rule_key, anchor)


def imported_summary(imported: ImportedPlan) -> str:
    """The timeline's line for an import, in words."""
    def last(words: str, day: date | None) -> str:
        return f"{words} {day}" if day else f"no {words} yet"

    team = f", team {imported.team}" if imported.team else ""
    return (f"Case imported {imported.imported_on}: on a child protection plan since {imported.plan_started_on} "
            f"({imported.category.value.replace('_', ' ')}); {last('review', imported.last_review_on)}, "
            f"{last('visit', imported.last_visit_on)}, {last('core group', imported.last_core_group_on)}; "
            f"lead social worker {imported.lead_social_worker}{team}")


def imported_details(imported: ImportedPlan) -> dict[str, Any]:
    """The row's facts, as the record keeps them (with the import and its row)."""
    return {**imported.facts(), "import_run": imported.import_run, "row": imported.row}


# -- Checking events ------------------------------------------------------------


def check(state: JourneyState, profile: Profile, event) -> None:
    """Raise :class:`InvalidEvent` if ``event`` cannot happen now; changes nothing."""
    if state.stage is not Stage.ON_PLAN:
        raise InvalidEvent(f"{event.title} is not accepted now: this journey is {STAGE_WORDS[state.stage]} "
                           "(it is accepted while the child is on a child protection plan)")
    if state.plan_started_on is None:
        raise InvalidEvent("this journey's plan began before plan events were tracked; it takes none")
    on = event_date(event)
    if on < state.plan_started_on:
        raise InvalidEvent(f"{event.type} is dated {on}, before the plan started ({state.plan_started_on})")
    checker = _CHECKS.get(type(event))
    if checker:
        checker(state, profile, event)


def _check_cover(state: JourneyState, profile: Profile, event: LeadSocialWorkerCover) -> None:
    told = _option(profile, "parents_told_of_lead_social_worker_cover")
    if told and not event.parents_informed:
        raise InvalidEvent(f"parents and child must be informed of the planned absence and its cover ({told.citation})")


def _check_plan_ended(state: JourneyState, profile: Profile, event: PlanEnded) -> None:
    confirmed = _option(profile, "plan_ends_on_move_once_receiving_conference_confirmed")
    if confirmed and event.reason is EndingReason.MOVED_TO_ANOTHER_AUTHORITY and not event.receiving_conference_confirmed:
        raise InvalidEvent("a plan ends on a permanent move only once the receiving authority confirms its "
                           f"receiving-in conference decision ({confirmed.citation})")


def _check_task(state: JourneyState, profile: Profile, event: TaskCompleted) -> None:
    if state.open_deadline(event.task.value) is None:
        raise InvalidEvent(f"there is no open {KINDS[event.task.value].label.lower()} deadline to complete")


def _check_review_scheduled(state: JourneyState, profile: Profile, event: ReviewScheduled) -> None:
    limit = _review_limit(state)
    if event.review_date < event.scheduled_on:
        raise InvalidEvent("review_date is before the day it was scheduled")
    never = _option(profile, "review_never_postponed_past_limit")
    if never and limit is not None and event.review_date > limit.due:
        raise InvalidEvent(
            f"the review cannot be postponed past {limit.due} ({limit.reason}); "
            f"a review may be brought forward but never put back past its limit ({never.citation})"
        )


def _check_review_held(state: JourneyState, profile: Profile, event: ReviewHeld) -> None:
    if event.held_on < state.last_conference_on:
        raise InvalidEvent(f"held_on {event.held_on} is before the last conference ({state.last_conference_on})")
    if event.outcome == "change_category" and event.category == state.category:
        raise InvalidEvent(f"the plan's category is already {state.category.value}")
    if event.outcome != "end_plan":
        return
    first_review = state.reviews_held == 0
    neglect_rule = profile.options.get("neglect_plan_not_ended_at_first_review")
    if first_review and neglect_rule and neglect_rule.value and state.category is Category.NEGLECT:
        raise InvalidEvent(
            f"a plan under neglect is not ended at the first review in this authority ({neglect_rule.citation})"
        )
    exceptional_rule = profile.options.get("plan_not_ended_at_first_review")
    if first_review and exceptional_rule and exceptional_rule.value and event.exceptional_circumstance is None:
        raise InvalidEvent(
            "a plan is ended at the first review only in exceptional circumstances (the perpetrator is in custody "
            f"on a significant sentence, or has died): give exceptional_circumstance ({exceptional_rule.citation})"
        )
    endorsement = profile.options.get("plan_end_needs_chair_endorsement")
    if endorsement and endorsement.value and not event.chair_endorsed_ending:
        raise InvalidEvent(f"ending a plan needs the independent chair's explicit endorsement ({endorsement.citation})")


def _check_child_found(state: JourneyState, profile: Profile, event: ChildFound) -> None:
    if state.missing_since is None:
        raise InvalidEvent("the child is not recorded as missing")
    if event.found_on < state.missing_since:
        raise InvalidEvent(f"found_on {event.found_on} is before the child went missing ({state.missing_since})")


def _check_child_missing(state: JourneyState, profile: Profile, event: ChildMissing) -> None:
    if state.missing_since is not None:
        raise InvalidEvent(f"the child is already recorded as missing since {state.missing_since}")


_CHECKS = {
    LeadSocialWorkerCover: _check_cover,
    PlanEnded: _check_plan_ended,
    TaskCompleted: _check_task,
    ReviewScheduled: _check_review_scheduled,
    ReviewHeld: _check_review_held,
    ChildFound: _check_child_found,
    ChildMissing: _check_child_missing,
}


def event_date(event) -> date:
    """The day an event happened: each event knows which of its fields that is."""
    return event.day


# -- Applying events --------------------------------------------------------------


def apply(state: JourneyState, profile: Profile, event) -> Effect:
    """Change ``state`` for ``event`` (already checked); return what to record and whom to tell."""
    return _APPLY[type(event)](state, profile, event)


def _lead_social_worker_named(state, profile, event: LeadSocialWorkerNamed) -> Effect:
    state.lead_social_worker = event.staff_ref
    if event.team is None:  # the team stays as it was: naming a new worker need not move the case
        return Effect(f"Lead social worker named: {event.staff_ref}", event.named_on, {"staff_ref": event.staff_ref})
    state.team = event.team
    return Effect(f"Lead social worker named: {event.staff_ref} ({event.team})", event.named_on,
                  {"staff_ref": event.staff_ref, "team": event.team})


def _lead_social_worker_cover(state, profile, event: LeadSocialWorkerCover) -> Effect:
    state.cover = event
    return Effect(
        f"Lead social worker absent {event.absent_from} to {event.absent_to}; cover {event.cover_staff_ref}",
        event.absent_from,
        {"cover_staff_ref": event.cover_staff_ref, "absent_to": event.absent_to.isoformat(),
         "parents_informed": event.parents_informed},
    )


def _core_group_members(state, profile, event: CoreGroupMembersRecorded) -> Effect:
    state.core_group_members = list(event.members)
    return Effect(
        f"Core group members recorded ({len(event.members)})", event.recorded_on,
        {"members": [member.model_dump() for member in event.members]},
    )


def _core_group_held(state, profile, event: CoreGroupHeld) -> Effect:
    met = state.meet("core_group", event.held_on)
    state.open_next(profile, "core_group", "core_group_interval", event.held_on, "Core group meeting")
    state.open_next(profile, "core_group_minutes", "core_group_minutes", event.held_on)
    state.open_next(profile, "plan_distributed", "plan_distributed_after_core_group", event.held_on)
    shared = state.open_deadline("plan_shared_with_family")
    if shared is not None and event.held_on < shared.due:
        # The first core group met before its deadline: the plan was to be shared by this meeting.
        option = profile.options.get("plan_shared_with_family_by_first_core_group")
        shared.due = event.held_on
        shared.reason = (f"at or before the first core group meeting, held {event.held_on}"
                         + (f" ({option.citation})" if option else ""))
    late = met is not None and met.status is DeadlineStatus.MET_LATE
    summary = f"Core group held {event.held_on}" + (f" (late: due {met.due})" if late else "")
    details = {"attended": event.attended, "decisions": event.decisions, "actions": event.actions,
               "next_meeting_on": event.next_meeting_on.isoformat() if event.next_meeting_on else None, "late": late}
    interval = state.open_deadline("core_group")
    if event.next_meeting_on and interval is not None and event.next_meeting_on > interval.due:
        # The interval is a "should": a later meeting is accepted, and its deadline stays where the rule puts it.
        details["next_meeting_after"] = interval.due.isoformat()
        summary += f"; next meeting {event.next_meeting_on} is after it is due ({interval.due})"
    return Effect(summary, event.held_on, details)


def _visit_made(state, profile, event: VisitMade) -> Effect:
    details = {"outcome": event.outcome, "seen_alone": event.seen_alone, "bedroom_seen": event.bedroom_seen}
    if event.outcome == "no_access":
        told = _option(profile, "no_access_told_to_line_manager")
        notices = [Notice("line_manager", "no_access", f"No access to the child on case {state.case_ref}",
                          f"The lead social worker could not see the child on {event.visited_on}. "
                          f"{told.citation}: the line manager and core group members must be informed.")] if told else []
        return Effect(f"No access to the child on {event.visited_on}: visit still due", event.visited_on, details,
                      notices)
    met = state.meet("visit", event.visited_on)
    state.open_next(profile, "visit", "visit_interval", event.visited_on, "Lead social worker visit")
    if event.bedroom_seen:
        state.meet("bedroom_seen", event.visited_on)
        state.open_next(profile, "bedroom_seen", "child_bedroom_seen_interval", event.visited_on)
    late = met is not None and met.status is DeadlineStatus.MET_LATE
    return Effect(f"Child seen on {event.visited_on}" + (f" (late: due {met.due})" if late else ""),
                  event.visited_on, {**details, "late": late})


def _task_completed(state, profile, event: TaskCompleted) -> Effect:
    met = state.meet(event.task.value, event.completed_on)
    label = KINDS[event.task.value].label
    late = met.status is DeadlineStatus.MET_LATE
    return Effect(f"{label}: done {event.completed_on}" + (f" (late: due {met.due})" if late else ""),
                  event.completed_on, {"task": event.task.value, "due": met.due.isoformat(), "late": late})


def _review_scheduled(state, profile, event: ReviewScheduled) -> Effect:
    limit = _review_limit(state)
    state.review_date = event.review_date
    state.open_next(profile, "review_invitations", "review_invitation_notice", event.review_date)
    state.open_next(profile, "review_reports", "review_reports_before_conference", event.review_date)
    early = event.brought_forward_because is not None
    summary = f"Review conference booked for {event.review_date}"
    if early:
        summary += f", brought forward: {event.brought_forward_because.value.replace('_', ' ')}"
    details = {
        "review_date": event.review_date.isoformat(),
        "brought_forward_because": event.brought_forward_because.value if early else None,
    }
    if limit is not None and event.review_date > limit.due:
        # Where the procedure only says "should", a review booked past its limit is accepted; it will be held late.
        details["after_limit"] = limit.due.isoformat()
        summary += f", after its limit {limit.due}: it will be held late"
    return Effect(summary, event.scheduled_on, details)


def _review_held(state, profile, event: ReviewHeld) -> Effect:
    met = state.meet("review", event.held_on)
    for kind in ("review_invitations", "review_reports", "midway_meeting"):
        row = state.open_deadline(kind)
        if row is not None:
            row.status = DeadlineStatus.CANCELLED
    state.reviews_held += 1
    state.last_conference_on = event.held_on
    state.review_date = None
    details = {"outcome": event.outcome, "review_number": state.reviews_held,
               "late": met is not None and met.status is DeadlineStatus.MET_LATE}
    if event.outcome == "end_plan":
        details["exceptional_circumstance"] = event.exceptional_circumstance
        return _end_plan(state, profile, event.held_on, "the review conference ended the plan", details)
    if event.outcome == "change_category":
        details["from_category"], details["category"] = state.category, event.category
        state.category = event.category
    state.open_next(profile, "review", "review_interval", event.held_on, "Review conference")
    if "core_group_after_review" in profile.rules:
        after_review = deadline(profile, "core_group", "core_group_after_review", event.held_on)
        current = state.open_deadline("core_group")
        if current is None or after_review.due < current.due:
            state.supersede("core_group")
            state.deadlines.append(after_review)
    _open_midway_meeting(state, profile)
    summary = f"Review conference {state.reviews_held} held {event.held_on}: plan continues"
    if event.outcome == "change_category":
        summary += f", category now {event.category.value}"
    return Effect(summary, event.held_on, details, review_boundary=True)


def _plan_ended(state, profile, event: PlanEnded) -> Effect:
    reason = event.reason.value.replace("_", " ")
    details = {"reason": event.reason.value}
    effect = _end_plan(state, profile, event.ended_on, f"plan ended: {reason}", details)
    if event.reason is EndingReason.DIED:
        # Who is told of a death, and what they do, is each authority's own route.
        review = _option(profile, "practice_review_considered_on_death")
        if review:
            details["consider_practice_review"] = True
        route = _option(profile, "child_death_notified_to")
        if route:
            effect.notices.append(Notice(
                str(route.value), "child_death", f"Death of a child subject to a plan: case {state.case_ref}",
                f"{route.citation}: {route.citation.quote}"
                + (f" {review.citation}: {review.citation.quote}" if review else ""),
            ))
    return effect


def _end_plan(state: JourneyState, profile: Profile, on: date, because: str, details: dict) -> Effect:
    for row in state.deadlines:
        if row.status in (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE):
            row.status = DeadlineStatus.CANCELLED
    state.stage = Stage.CLOSED
    state.closed_because = because
    notices = []
    told = _option(profile, "plan_end_notifies_agencies_health_education")
    if told:
        subject = f"Child protection plan ended: case {state.case_ref}"
        body = (f"The child protection plan ended on {on}: {because}. Every agency at the conference that made "
                f"the plan, health and education are told ({told.citation}).")
        notices = [Notice(role, "plan_ended", subject, body) for role in ("all_agencies", "health", "education")]
    return Effect(f"Plan ended {on}: {because}", on, details, notices)


def _transfer_out_notified(state, profile, event: TransferOutNotified) -> Effect:
    state.transfer_out_to = event.receiving_authority
    body = (f"The child on case {state.case_ref}, subject to a child protection plan, is moving permanently to "
            f"{event.receiving_authority}.")
    confirmed = _option(profile, "plan_ends_on_move_once_receiving_conference_confirmed")
    if confirmed:
        body += (" The plan here ends only once the receiving authority confirms its receiving-in conference "
                 f"decision ({confirmed.citation}).")
    subject = f"Transfer out: case {state.case_ref} to {event.receiving_authority}"
    routes = (("transfer_out_register_notified", "child_protection_register"),
              ("transfer_out_receiving_authority_contacted", "receiving_authority"))
    notices = [Notice(role, "transfer_out", subject, body) for key, role in routes if _option(profile, key)]
    return Effect(f"Transfer out to {event.receiving_authority} notified {event.notified_on}", event.notified_on,
                  {"receiving_authority": event.receiving_authority}, notices)


def _child_missing(state, profile, event: ChildMissing) -> Effect:
    state.missing_since = event.reported_on
    if "missing_child_traced" in profile.rules:
        state.open_next(profile, "child_traced", "missing_child_traced", event.reported_on)
    body = f"The child on case {state.case_ref} was reported missing on {event.reported_on}."
    return Effect(f"Child reported missing {event.reported_on}", event.reported_on, {}, [
        Notice("lead_social_worker", "child_missing", f"Missing child: case {state.case_ref}", body),
        Notice("conference_chair", "child_missing", f"Missing child: case {state.case_ref}", body),
    ])


def _child_found(state, profile, event: ChildFound) -> Effect:
    missing_since = state.missing_since
    state.missing_since = None
    state.meet("child_traced", event.found_on)
    body = f"The child on case {state.case_ref}, missing since {missing_since}, was found on {event.found_on}."
    return Effect(f"Child found {event.found_on}", event.found_on, {"missing_since": missing_since.isoformat()}, [
        Notice("lead_social_worker", "child_found", f"Child found: case {state.case_ref}", body),
        Notice("conference_chair", "child_found", f"Child found: case {state.case_ref}", body),
    ])


def _significant_event(state, profile, event: SignificantEvent) -> Effect:
    kind = event.kind.value.replace("_", " ")
    body = f"Significant event on case {state.case_ref} on {event.occurred_on}: {kind}."
    details = {"kind": event.kind.value}
    if "significant_event_to_chair" in profile.rules:
        due = calendar_of(profile).due(event.occurred_on, profile.rule("significant_event_to_chair"))
        details["chair_told_by"] = due.due.isoformat()
        body += f" The chair is to be told by {due.due} ({due.reason}); this notice does that."
    return Effect(f"Significant event {event.occurred_on}: {kind}", event.occurred_on, details, [
        Notice("conference_chair", "significant_event", f"Significant event: case {state.case_ref}", body),
        Notice("lead_social_worker", "significant_event", f"Significant event: case {state.case_ref}", body),
    ])


_APPLY = {
    TransferOutNotified: _transfer_out_notified,
    LeadSocialWorkerNamed: _lead_social_worker_named,
    LeadSocialWorkerCover: _lead_social_worker_cover,
    CoreGroupMembersRecorded: _core_group_members,
    CoreGroupHeld: _core_group_held,
    VisitMade: _visit_made,
    TaskCompleted: _task_completed,
    ReviewScheduled: _review_scheduled,
    ReviewHeld: _review_held,
    PlanEnded: _plan_ended,
    ChildMissing: _child_missing,
    ChildFound: _child_found,
    SignificantEvent: _significant_event,
}

#: Task names double as deadline kinds.
assert {task.value for task in Task} <= set(KINDS)


def carry_forward(state: JourneyState) -> JourneyState:
    """The state a continued-as-new run starts from: closed deadline rows are in the records already."""
    live = (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE, DeadlineStatus.UPCOMING)
    return state.model_copy(update={
        "deadlines": [row for row in state.deadlines if row.status in live],
        "run": state.run + 1,
    })
