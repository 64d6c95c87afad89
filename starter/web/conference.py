"""The admin tool's conference parts: what a conference's events are called, which it takes now, and reading
their forms (each event's page is ``starter.web.event_pages``'s, its questions ``starter.web.conference_questions``).

A conference is a child workflow of the journey that booked it; the conference workflow's validators
have the last word.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from domain.conference import (
    AmendmentsReceived,
    ConferenceHeld,
    ConferenceStage,
    ConferenceState,
    ConferenceTask,
    ConferenceTaskDone,
    ExclusionDecided,
    ExclusionRequested,
    InvitationsSent,
    SplitArranged,
)
from domain.state import JourneyState, Stage

CONFERENCE_EVENT_TYPES = {
    "invitations_sent": InvitationsSent,
    "conference_task_done": ConferenceTaskDone,
    "exclusion_requested": ExclusionRequested,
    "exclusion_decided": ExclusionDecided,
    "split_arranged": SplitArranged,
    "conference_held": ConferenceHeld,
    "amendments_received": AmendmentsReceived,
}
CONFERENCE_EVENT_LABELS = {
    "invitations_sent": "Invitations sent",
    "conference_task_done": "Conference task done",
    "exclusion_requested": "Exclusion requested",
    "exclusion_decided": "Exclusion decided",
    "split_arranged": "Split conference arranged",
    "conference_held": "Conference held",
    "amendments_received": "Amendments to the record received",
}
CONFERENCE_BUTTONS = {
    "invitations_sent": "Record the invitations",
    "conference_task_done": "Record the task as done",
    "exclusion_requested": "Record the request",
    "exclusion_decided": "Record the chair's decision",
    "split_arranged": "Record the split",
    "conference_held": "Record the conference",
    "amendments_received": "Record the amendments",
}
KIND_LABELS = {"initial": "Initial child protection conference", "review": "Review conference",
               "pre_birth": "Pre-birth conference", "transfer_in": "Transfer-in conference"}
STAGE_LABELS = {ConferenceStage.CONVENING: "Convening", ConferenceStage.ADJOURNED: "Adjourned (to reconvene)",
                ConferenceStage.HELD: "Held", ConferenceStage.CLOSED: "Closed"}


def conference_href(conference_ref: str) -> str:
    return f"/conferences/{quote(conference_ref, safe='')}"


def booking_kinds(state: JourneyState) -> list[str]:
    """The kinds of conference that fit the journey's stage."""
    if state.stage is Stage.AWAITING_ICPC:
        kinds = ["initial"]
        if state.expected_delivery is not None and state.born_on is None:
            kinds.append("pre_birth")
        if state.transfer_in is not None:
            kinds.append("transfer_in")
        return kinds
    if state.stage is Stage.ON_PLAN:
        return ["review"]
    return []


# -- reading a conference form --------------------------------------------------------


def _lines(text: Any) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def _yes_no(value: Any) -> bool | None:
    return {"yes": True, "no": False}.get(str(value or ""))


def _number(value: Any) -> Any:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else (text or None)


def conference_fields(kind: str, values: Mapping[str, Any], event_id: str, state: ConferenceState) -> dict[str, Any]:
    """The event a conference form describes, as fields for its model (which checks them)."""
    def day(name: str) -> str | None:
        return values.get(name) or None

    def ticked(name: str) -> bool:
        return values.get(name) == "on"

    base: dict[str, Any] = {"event_id": event_id}
    if kind == "invitations_sent":
        invitees = []
        for line in _lines(values.get("invitees")):
            role, *flags = [part.strip() for part in line.split(",")]
            invitees.append({"role": role, "needs_interpreter": "interpreter" in [f.lower() for f in flags],
                             "advocacy_offered": role.lower() == "child" and ticked("advocacy_offered")})
        return {**base, "sent_on": day("sent_on"), "invitees": invitees, "child_over_8": ticked("child_over_8")}
    if kind == "conference_task_done":
        return {**base, "task": values.get("task"), "done_on": day("done_on")}
    if kind == "exclusion_requested":
        return {**base, "requested_on": day("requested_on"), "parent_role": str(values.get("parent_role", "")).strip(),
                "grounds": list(values.get("grounds") or [])}
    if kind == "exclusion_decided":
        return {**base, "decided_on": day("decided_on"), "excluded": ticked("excluded"),
                "communicated_in_writing": ticked("communicated_in_writing")}
    if kind == "split_arranged":
        return {**base, "arranged_on": day("arranged_on"), "gap_minutes": _number(values.get("gap_minutes"))}
    if kind == "conference_held":
        decisions = []
        if values.get("inquorate_action") != "adjourn":
            for i, case_ref in enumerate(state.case_refs):
                p = f"child-{i}-"
                plan = _yes_no(values.get(p + "plan"))
                decisions.append({
                    "case_ref": case_ref, "plan": plan, "category": values.get(p + "category") or None,
                    "agencies_for_plan": _number(values.get(p + "agencies_for_plan")) or 0,
                    "agencies_against_plan": _number(values.get(p + "agencies_against_plan")) or 0,
                    "chair_casting_vote": _yes_no(values.get(p + "chair_casting_vote")),
                    "dissent": _lines(values.get(p + "dissent")),
                })
        return {**base, "held_on": day("held_on"),
                "childrens_social_care_present": ticked("childrens_social_care_present"),
                "other_agencies_present": _lines(values.get("other_agencies_present")),
                "parents_present": ticked("parents_present"),
                "inquorate_action": values.get("inquorate_action") or None,
                "inquorate_reason": values.get("inquorate_reason") or None,
                "decisions": decisions, "grading": _number(values.get("grading"))}
    return {**base, "received_on": day("received_on")}


# -- what a conference offers now (its page, ``conference.html``, is built by ``starter.web.story``) ----------


def _open_tasks(state: ConferenceState) -> list[tuple[str, str]]:
    options = []
    for task in ConferenceTask:
        row = state.open_deadline(task.value)
        if row is not None:
            options.append((task.value, f"{row.label} (due {row.due})"))
    if state.held is not None:
        options.append((ConferenceTask.PARENTS_NOTIFIED_IN_WRITING.value, "Parents notified in writing of the decision"))
    return options


def _forms_for(state: ConferenceState) -> list[str]:
    if state.stage is ConferenceStage.CLOSED:
        return []
    kinds = []
    before = state.stage in (ConferenceStage.CONVENING, ConferenceStage.ADJOURNED)
    if before:
        kinds.append("invitations_sent")
    if _open_tasks(state):
        kinds.append("conference_task_done")
    if before:
        kinds.append("exclusion_requested")
    if state.open_deadline("exclusion_decision") is not None:
        kinds.append("exclusion_decided")
    if before:
        kinds += ["split_arranged", "conference_held"]
    if state.held is not None:
        kinds.append("amendments_received")
    return kinds