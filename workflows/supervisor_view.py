"""What a supervisor reads of a journey, a conference or a complaint in the Temporal UI, in words.

Two things, both worked out from the workflow's state alone (pure: no clock, no I/O):

- :func:`index`: the search attributes the "supervisor-view" patch adds (``workflows.search_attributes``):
  the authority, the stage and category in words, every overdue kind of deadline, an open complaint,
  the day the plan started and the day its review is due.
- :func:`details`: the current details, a short timeline: where it stands, what is overdue, what is
  next (due days and their reasons: the rule, the document and its section) and what was done last.
  Never a stored value such as ``on_plan``, never a person's name, never more than a few lines each.
"""

from __future__ import annotations

import re
from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.complaints import ComplaintState
    from domain.conference import ConferenceState
    from domain.deadlines import KINDS, Deadline, DeadlineStatus, DeadlineTable
    from domain.policy import Profile
    from domain.state import JourneyState, Stage
    from workflows import search_attributes as sa

#: A journey's stage as the admin tool names it (``starter.web.labels.STAGE_LABELS``: a test keeps them the same).
JOURNEY_STAGE_WORDS = {
    Stage.AWAITING_SECTION_47: "Awaiting a section 47 enquiry",
    Stage.AWAITING_ICPC: "Awaiting the initial child protection conference",
    Stage.ON_PLAN: "On a child protection plan",
    Stage.CLOSED: "Closed",
}
CONFERENCE_KIND_WORDS = {
    "initial": "Initial child protection conference",
    "review": "Review conference",
    "pre_birth": "Pre-birth conference",
    "transfer_in": "Transfer-in conference",
}
CHALLENGE_KIND_WORDS = {
    "complaint": "Complaint",
    "icpc_not_held": "Disagreement with a decision not to hold an initial conference",
    "conference_outcome": "Disagreement with a conference's outcome",
}
#: How many of each a supervisor reads; the rest are on the case's page in the admin tool.
SHOWN = 3
SHOWN_OVERDUE = 5
WAITING = (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE)


def index(state: DeadlineTable, profile: Profile) -> dict:
    """The supervisor's search attributes for ``state``: None (or False, or nothing) where there is nothing to index."""
    overdue = sorted({_kind_words(row) for row in state.deadlines if row.status is DeadlineStatus.OVERDUE})
    found: dict = {sa.AUTHORITY: profile.authority, sa.OVERDUE_KINDS: overdue or None}
    if isinstance(state, JourneyState):
        review = state.open_deadline("review")
        found.update({
            sa.STAGE_WORDS: JOURNEY_STAGE_WORDS[state.stage],
            sa.CATEGORY: words(state.category) if state.category else None,
            sa.OPEN_COMPLAINT: any(row.open for row in state.challenges),
            sa.PLAN_STARTED: sa.day_instant(state.plan_started_on) if state.plan_started_on else None,
            sa.REVIEW_DUE: sa.day_instant(review.alarm_date) if review else None,
        })
    return found


def details(state: DeadlineTable, profile: Profile) -> str:
    """The current details: where it stands, then what is overdue, what is next and what was done."""
    lines = _heading(state, profile)
    overdue = sorted((row for row in state.deadlines if row.status is DeadlineStatus.OVERDUE),
                     key=lambda row: row.alarm_date)
    if overdue:
        lines += ["", "**Overdue**"]
        lines += [f"- {row.label}: was due {_due(row)}; the {_role(row)} has been told. {_why(row, profile)}"
                  for row in overdue[:SHOWN_OVERDUE]]
        if len(overdue) > SHOWN_OVERDUE:
            lines.append(f"- and {len(overdue) - SHOWN_OVERDUE} more")
    upcoming = sorted((row for row in state.deadlines if row.status is DeadlineStatus.OPEN),
                      key=lambda row: row.alarm_date)
    lines += ["", "**Next**"]
    lines += [f"- {row.label}: due {_due(row)}. {_why(row, profile)}" for row in upcoming[:SHOWN]] or ["- Nothing due"]
    done = sorted(_done(state), key=lambda item: item[0], reverse=True)[:SHOWN]
    if done:
        lines += ["", "**Done**"]
        lines += [f"- {what}" for _, what in done]
    return "\n".join(lines)


# -- Words ------------------------------------------------------------------------

_ISO_DAY = re.compile(r"\b([0-9]{4})-([0-9]{2})-([0-9]{2})\b")


def day_words(day: date) -> str:
    """A day as people write it: "9 December 2026" (as ``starter.web.labels.day_words``)."""
    return f"{day.day} {day:%B %Y}"


def days_in_words(text: str) -> str:
    """``text`` with every YYYY-MM-DD day in it in words (a reason, a challenge's stage)."""
    def one(found: re.Match) -> str:
        try:
            return day_words(date(*(int(part) for part in found.groups())))
        except ValueError:  # not a day of the calendar: leave it as written
            return found.group(0)
    return _ISO_DAY.sub(one, text or "")


def words(value) -> str:
    """A stored value as words, capitalised: ``physical_abuse`` is "Physical abuse"."""
    text = str(getattr(value, "value", value)).replace("_", " ")
    return text[:1].upper() + text[1:]


def _kind_words(row: Deadline) -> str:
    kind = KINDS.get(row.kind)
    return kind.label if kind else words(row.kind)


def _role(row: Deadline) -> str:
    kind = KINDS.get(row.kind)
    return kind.escalate_to.replace("_", " ") if kind else "team manager"


def _due(row: Deadline) -> str:
    if row.agreed_target:
        return f"{day_words(row.due)}, delay agreed to {day_words(row.agreed_target)}"
    return day_words(row.due)


def _why(row: Deadline, profile: Profile) -> str:
    """Why the day: the rule counted from its day, and where the rule is written (document, section)."""
    rule = profile.rules.get(row.rule)
    if rule is not None and row.anchor is not None:
        why = f"{rule.describe()} {day_words(row.anchor)} ({rule.citation})"
    else:
        why = days_in_words(row.reason)
    return why[:1].upper() + why[1:] + ("" if why.endswith(".") else ".")


# -- Each kind of workflow: where it stands, and what it has done ----------------------------


def _heading(state: DeadlineTable, profile: Profile) -> list[str]:
    if isinstance(state, JourneyState):
        return _journey_heading(state, profile)
    if isinstance(state, ConferenceState):
        kind = CONFERENCE_KIND_WORDS.get(state.kind.value, words(state.kind))
        cases = f"case{'s' if len(state.case_refs) > 1 else ''} {', '.join(state.case_refs)}"
        return [f"**{kind} {state.conference_ref}** for {cases}: {words(state.stage).lower()}, "
                f"meeting {day_words(state.meeting_on)}. Procedure: {profile.authority}."]
    if isinstance(state, ComplaintState):
        return _complaint_heading(state, profile)
    return []


def _journey_heading(state: JourneyState, profile: Profile) -> list[str]:
    on_plan = state.category and state.stage is Stage.ON_PLAN
    category = f" ({words(state.category).lower()})" if on_plan else ""
    lines = [f"**Case {state.case_ref}**: {JOURNEY_STAGE_WORDS[state.stage].lower()}{category}. "
             f"Procedure: {profile.authority}."]
    if state.closed_because:
        lines.append(f"Closed: {days_in_words(state.closed_because)}")
    if state.missing_since:
        lines.append(f"Missing since {day_words(state.missing_since)}.")
    if state.conference_owed is not None:
        lines.append(f"Owed: {days_in_words(state.conference_owed.words)}")
    for row in state.challenges:
        if row.open:
            kind = CHALLENGE_KIND_WORDS.get(row.kind, words(row.kind))
            lines.append(f"{kind} {row.ref}, opened {day_words(row.opened_on)}: {days_in_words(row.stage)}")
    return lines


def _complaint_heading(state: ComplaintState, profile: Profile) -> list[str]:
    kind = CHALLENGE_KIND_WORDS.get(state.kind.value, words(state.kind))
    lines = [f"**{kind} {state.complaint_ref}** about case {state.case_ref}, received {day_words(state.received_on)}: "
             f"{words(state.stage).lower()}. Procedure: {profile.authority}."]
    if state.refused_because:
        lines.append(f"Refused: {days_in_words(state.refused_because)}")
    elif state.closed_because:
        closed = f" {day_words(state.closed_on)}" if state.closed_on else ""
        lines.append(f"Closed{closed}: {days_in_words(state.closed_because)}")
    return lines


def _done(state: DeadlineTable) -> list[tuple[date, str]]:
    """What was done, each with its day: the deadlines met (by their due day: the day met is not kept), and
    for a journey the steps its state keeps the day of."""
    done = [(row.due, f"{row.label} due {day_words(row.due)}: "
                      f"{KINDS[row.kind].unmet if row.kind in KINDS else 'done'}"
                      f"{', late' if row.status is DeadlineStatus.MET_LATE else ''}")
            for row in state.deadlines if row.status in (DeadlineStatus.MET, DeadlineStatus.MET_LATE)
            and not (row.kind == "icpc" and getattr(state, "icpc", None))]  # the conference itself is listed
    if isinstance(state, JourneyState):
        steps = [(held.held_on, "Strategy discussion held" + (", section 47 enquiry started"
                                                              if held.initiated_section_47 else ""))
                 for held in state.strategy_discussions]
        if state.transfer_in is not None:
            steps.append((state.transfer_in.agreed_on, "Transfer in agreed"))
        if state.icpc is not None:
            outcome = "a plan" if state.icpc.decision == "plan" else "no plan"
            steps.append((state.icpc.held_on, f"Initial child protection conference held: {outcome}"))
        elif state.plan_started_on is not None:
            steps.append((state.plan_started_on, "Plan started"))
        if state.born_on is not None:
            steps.append((state.born_on, "Child born"))
        if state.reviews_held and state.last_conference_on is not None:
            steps.append((state.last_conference_on, f"Review conference held (review {state.reviews_held})"))
        done += [(day, f"{what}, {day_words(day)}") for day, what in steps]
    return done
