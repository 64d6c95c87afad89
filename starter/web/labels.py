"""What the admin tool calls stages, events, decisions and enum values, in the words staff use."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from domain.complaints import COMPLAINT_EVENT_TYPES, ChallengeKind, ComplaintProcess, ComplaintStage
from domain.events import EVENT_TYPES, IcpcHeld
from domain.state import Stage

STAGE_LABELS = {
    Stage.AWAITING_SECTION_47: "Awaiting a section 47 enquiry",
    Stage.AWAITING_ICPC: "Awaiting the initial child protection conference",
    Stage.ON_PLAN: "On a child protection plan",
    Stage.CLOSED: "Closed",
}
#: Each event by its title, which the event's model gives.
EVENT_LABELS = {kind: model.title for kind, model in EVENT_TYPES.items()}
#: An ICPC's decision in words: the model's choices.
DECISION_LABELS: dict[str, str] = IcpcHeld.model_fields["decision"].json_schema_extra["x-choices"]


def kind_label(kind: str | None) -> str:
    if not kind:
        return ""
    return "ICPC" if kind == "icpc" else kind.replace("_", " ").capitalize()


def readable(value: Any) -> str:
    """An enum value or role as words: ``line_manager`` is "line manager"."""
    return str(getattr(value, "value", value) or "").replace("_", " ")


#: Where a complaint or disagreement stands, in the words of its procedure.
COMPLAINT_STAGE_LABELS = {
    ComplaintStage.WITH_SERVICE_MANAGER: "With the Service Manager",
    ComplaintStage.SERVICE_MANAGER_RESPONDED: "The Service Manager has responded",
    ComplaintStage.WITH_INDEPENDENT_SCRUTINEER: "With the Statutory Safeguarding Partners / Independent Scrutineer",
    ComplaintStage.SCRUTINEER_RESPONDED: "The Independent Scrutineer has responded",
    ComplaintStage.APPEAL_GROUNDS: "Appeal: an independent person decides whether there are grounds",
    ComplaintStage.APPEAL_SUBCOMMITTEE: "Appeal: the subcommittee is to meet",
    ComplaintStage.APPEAL_OUTCOME: "Appeal: the outcome is to be sent",
    ComplaintStage.INFORMAL_RESOLUTION: "With the conference chair, to resolve informally",
    ComplaintStage.FORMAL_COMPLAINT_INVITED: "Not resolved informally: a formal written complaint may follow",
    ComplaintStage.WITH_PANEL: "Formal complaint: with the Assistant Director and a panel of three",
    ComplaintStage.TO_BE_RECONVENED: "Upheld: the conference is to be reconvened under a different chair",
    ComplaintStage.AWAITING_FINAL_DECISION: "Awaiting the final decision on holding an initial conference",
    ComplaintStage.FILE_REVIEW: "The file and the decision are being reviewed",
    ComplaintStage.FURTHER_CONFERENCE: "Another conference is to be held",
    ComplaintStage.CLOSED: "Closed",
    ComplaintStage.REFUSED: "Refused",
}
assert set(COMPLAINT_STAGE_LABELS) == set(ComplaintStage)
CHALLENGE_KIND_LABELS = {
    ChallengeKind.COMPLAINT: "Complaint",
    ChallengeKind.ICPC_NOT_HELD: "Disagreement with a decision not to hold an initial conference",
    ChallengeKind.CONFERENCE_OUTCOME: "Disagreement with a conference's outcome",
}
PROCESS_LABELS = {
    ComplaintProcess.DARLINGTON: "Darlington's complaints procedure (Service Manager, Independent Scrutineer, appeal "
                                 "subcommittee, Local Government Ombudsman)",
    ComplaintProcess.BIRMINGHAM: "Birmingham's complaints procedure (the chair informally, then a panel of three)",
}
#: Each complaint event by its title, which the event's model gives.
COMPLAINT_EVENT_LABELS = {kind: model.title for kind, model in COMPLAINT_EVENT_TYPES.items()}


def words(labels: dict, value: Any) -> str:
    """``value`` (an enum member or its value) in the words of ``labels``; an unknown value as readable text."""
    for key, text in labels.items():
        if key == value or getattr(key, "value", key) == value:
            return text
    text = readable(value)  # words already (the journey's list says where a challenge stands in words)
    return text[:1].upper() + text[1:]


def day_words(day: date | str | None) -> str:
    """A day as people write it: "9 December 2026" (nothing for no day)."""
    if not day:
        return ""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {day:%B %Y}"


_ISO_DAY = re.compile(r"\b([0-9]{4}-[0-9]{2}-[0-9]{2})\b")


def days_in_words(text: str) -> str:
    """``text`` with every YYYY-MM-DD day in it written as people write it (a record's summary, a reason)."""
    def one(found: re.Match) -> str:
        try:
            return day_words(found.group(1))
        except ValueError:  # not a day of the calendar: leave it as written
            return found.group(1)
    return _ISO_DAY.sub(one, text or "")


def policy_words(pin: str) -> str:
    """A journey's policy as people know it: the authority and the procedure's version, never a file or an id only.

    ``pin`` is ``id@version`` (what a journey runs on, perhaps with its ``#digest``) or, for journeys started
    before pins, the profile's id.
    """
    from shipped.released import RELEASED, authority_of  # registers the released profiles on first use

    authority = authority_of(pin)
    if authority is None:
        return readable(pin)
    profile_id, _, version = pin.partition("#")[0].partition("@")
    if f"{profile_id}@{version}" in RELEASED:
        return f"{authority} (procedure version {version})"
    return authority
