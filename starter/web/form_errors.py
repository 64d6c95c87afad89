"""What is wrong with a submitted form, in sentences staff can act on (fields named as the form names them)."""

from __future__ import annotations

from pydantic import ValidationError

from domain import case_refs
from domain.case_refs import CaseRefRefused
from domain.complaints import COMPLAINT_EVENT_TYPES, ComplaintMade, DisagreementRaised
from domain.events import EVENT_TYPES
from domain.policy import Profile

#: Every event whose form names its fields by the model's titles: the journey's and a complaint's.
TITLED_EVENTS = {**EVENT_TYPES, **COMPLAINT_EVENT_TYPES, "complaint_made": ComplaintMade,
                 "disagreement_raised": DisagreementRaised}

FIELD_LABELS = {
    "case_ref": "Case reference",
    "policy": "Policy",
    "event_id": "Event id",
    "held_on": "Held on",
    "initiated_section_47": "Initiated the section 47 enquiry",
    "agreed_on": "Agreed on",
    "agreed_by": "Agreed by",
    "new_target": "New target date",
    "reasons": "Reasons",
    "decision": "Decision",
    "category": "Category",
    "decided_on": "Decided on",
    "decided_by": "Decided by",
    "strategy_discussion": "Strategy discussion",
    # The plan
    "named_on": "Named on",
    "staff_ref": "Staff number",
    "absent_from": "Absent from",
    "absent_to": "Absent to",
    "cover_staff_ref": "Cover staff number",
    "parents_informed": "Parents and child informed",
    "recorded_on": "Recorded on",
    "members": "Core group members",
    "role": "role",
    "agency": "agency",
    "attended": "Attended",
    "decisions": "Decisions",
    "actions": "Actions",
    "next_meeting_on": "Next meeting",
    "visited_on": "Visited on",
    "outcome": "Outcome",
    "seen_alone": "Seen alone",
    "bedroom_seen": "Bedroom seen",
    "task": "Task",
    "completed_on": "Completed on",
    "scheduled_on": "Booked on",
    "review_date": "Review date",
    "brought_forward_because": "Brought forward because",
    "chair_endorsed_ending": "Chair endorsed the ending",
    "exceptional_circumstance": "Exceptional circumstance",
    "ended_on": "Ended on",
    "reason": "Reason",
    "receiving_conference_confirmed": "Receiving-in conference confirmed",
    "reported_on": "Reported missing on",
    "found_on": "Found on",
    "occurred_on": "Occurred on",
    "kind": "Kind of event",
    # Conferences
    "booked_on": "Booked on",
    "conference_ref": "Conference reference",
    "meeting_on": "Meeting date",
    "chair_ref": "Chair's staff number",
    "chair_independent_of_the_case": "Chair independent of the case",
    "siblings": "Siblings' case references",
    "sent_on": "Sent on",
    "invitees": "Invitees",
    "child_over_8": "Child over 8",
    "done_on": "Done on",
    "requested_on": "Requested on",
    "parent_role": "Parent to exclude",
    "grounds": "Grounds",
    "excluded": "Excluded",
    "communicated_in_writing": "Confirmed in writing",
    "arranged_on": "Arranged on",
    "gap_minutes": "Minutes between the parts",
    "childrens_social_care_present": "Children's social care present",
    "other_agencies_present": "Other agencies present",
    "parents_present": "Parents present",
    "inquorate_action": "If not quorate",
    "inquorate_reason": "Reason for proceeding",
    "plan": "Plan",
    "agencies_for_plan": "Agencies for a plan",
    "agencies_against_plan": "Agencies against a plan",
    "chair_casting_vote": "Chair's casting vote",
    "dissent": "Dissenting agencies",
    "grading": "Overall grading",
    "received_on": "Received on",
}
#: What one entry of a list field is called in an error ("Decisions, line 2: ...").
LIST_ITEMS = {"attended": "role", "decisions": "line", "actions": "line", "members": "line", "invitees": "line",
              "siblings": "entry", "other_agencies_present": "line", "dissent": "line", "grounds": "ground"}
STAFF_REF_FIELDS = ("staff_ref", "cover_staff_ref", "chair_ref")
STAFF_REF_HELP = "should be a staff number such as SW-1042 (never a name)"
CASE_REF_HELP = (
    "A case reference is the case system's number: 4 to 32 capital letters, digits and hyphens, "
    "starting with a letter or digit, with at least four digits (for example CASE-0042)."
)


def _error_label(loc: tuple) -> str:
    """Where an error is, in the form's words: "Held on", "Core group members, line 2, agency".

    A journey's or a complaint's event's fields are named by its model's titles; other forms' by ``FIELD_LABELS``.
    """
    model = TITLED_EVENTS.get(loc[0]) if loc and isinstance(loc[0], str) else None
    parts = list(loc[1:] if model is not None else loc)
    if not parts:
        return ""
    words = []
    for before, part in zip([None, *parts], parts):
        if isinstance(part, int):
            words.append(f"{LIST_ITEMS.get(before, 'entry')} {part + 1}")
        elif model is not None and before is None and part in model.model_fields:
            words.append(model.field_title(part))
        else:
            words.append(FIELD_LABELS.get(part, part.replace("_", " ")))
    first, *rest = words
    return ", ".join([first[:1].upper() + first[1:], *rest])


def error_sentences(err: ValidationError) -> str:
    """Pydantic's errors as sentences a member of staff can act on."""
    parts = []
    for item in err.errors(include_url=False):
        msg = str(item["msg"]).removeprefix("Value error, ")
        names = [p for p in item["loc"] if isinstance(p, str)]
        if item["type"] == "string_pattern_mismatch" and names and names[-1] in STAFF_REF_FIELDS:
            msg = STAFF_REF_HELP
        elif item["type"] == "too_short" and isinstance(item.get("input"), list):
            msg = "give at least one"
        label = _error_label(item["loc"])
        parts.append(f"{label}: {msg}" if label else msg[:1].upper() + msg[1:])
    return "; ".join(parts)


class InvalidCaseRef(ValueError):
    pass


def valid_case_ref(value: str, policy: Profile | None = None) -> str:
    """The case reference, or :class:`InvalidCaseRef` with a sentence staff can act on (never the value).

    Every form that takes a case reference comes here. With the ``policy`` a journey is to start under, the
    reference must be of its authority's shape; with or without, never one that looks like a name or a date
    of birth (``domain.case_refs``).
    """
    try:
        return case_refs.check(value, policy)
    except CaseRefRefused as err:
        msg = str(err)
        raise InvalidCaseRef(msg[:1].upper() + msg[1:] + ".") from None
