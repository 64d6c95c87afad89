"""A submitted event form read back as the fields of a ``JourneyEvent`` (which checks them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _members(text: str | None) -> list[dict[str, str]]:
    """ "role, agency" per line; the model says what is wrong with a line that is not."""
    members = []
    for line in _lines(text):
        role, _, agency = line.partition(",")
        members.append({"role": role.strip(), "agency": agency.strip()})
    return members


def event_fields(kind: str, values: Mapping[str, str], event_id: str) -> dict[str, Any]:
    """The event a form describes, as fields for ``JourneyEvent`` (which checks them)."""
    def day(name: str) -> str | None:
        return values.get(name) or None

    def ticked(name: str) -> bool:
        return values.get(name) == "on"

    def staff(name: str) -> str:
        return values.get(name, "").strip().upper()

    base = {"type": kind, "event_id": event_id}
    plan_fields: dict[str, Callable[[], dict[str, Any]]] = {
        "visit_made": lambda: {"visited_on": day("visited_on"), "outcome": values.get("outcome"),
                               "seen_alone": ticked("seen_alone"), "bedroom_seen": ticked("bedroom_seen")},
        "core_group_held": lambda: {
            "held_on": day("held_on"),
            "attended": [role.strip() for role in values.get("attended", "").split(",") if role.strip()],
            "decisions": _lines(values.get("decisions")), "actions": _lines(values.get("actions")),
            "next_meeting_on": day("next_meeting_on")},
        "task_completed": lambda: {"task": values.get("task"), "completed_on": day("completed_on")},
        "review_scheduled": lambda: {"scheduled_on": day("scheduled_on"), "review_date": day("review_date"),
                                     "brought_forward_because": values.get("brought_forward_because") or None},
        "review_held": lambda: {"held_on": day("held_on"), "outcome": values.get("outcome"),
                                "category": values.get("category") or None,
                                "chair_endorsed_ending": ticked("chair_endorsed_ending"),
                                "exceptional_circumstance": values.get("exceptional_circumstance") or None},
        "plan_ended": lambda: {"ended_on": day("ended_on"), "reason": values.get("reason"),
                               "receiving_conference_confirmed": ticked("receiving_conference_confirmed")},
        "child_missing": lambda: {"reported_on": day("reported_on")},
        "child_found": lambda: {"found_on": day("found_on")},
        "significant_event": lambda: {"occurred_on": day("occurred_on"), "kind": values.get("kind")},
        "lead_social_worker_named": lambda: {"named_on": day("named_on"), "staff_ref": staff("staff_ref")},
        "lead_social_worker_cover": lambda: {"absent_from": day("absent_from"), "absent_to": day("absent_to"),
                                             "cover_staff_ref": staff("cover_staff_ref"),
                                             "parents_informed": ticked("parents_informed")},
        "core_group_members_recorded": lambda: {"recorded_on": day("recorded_on"),
                                                "members": _members(values.get("members"))},
    }
    if kind in plan_fields:
        return {**base, **plan_fields[kind]()}

    if kind == "conference_booked":
        from starter.web.conference import booking_fields
        return booking_fields(values, event_id)
    if kind == "strategy_discussion":
        return {"type": kind, "event_id": event_id, "held_on": day("held_on"),
                "initiated_section_47": values.get("initiated_section_47") == "on"}
    if kind == "icpc_delay_agreed":
        return {"type": kind, "event_id": event_id, "agreed_on": day("agreed_on"), "agreed_by": "team_manager",
                "reasons": values.get("reasons", ""), "new_target": day("new_target")}
    if kind == "icpc_held":
        return {"type": kind, "event_id": event_id, "held_on": day("held_on"), "decision": values.get("decision"),
                "category": values.get("category") or None}
    return {"type": kind, "event_id": event_id, "decided_on": day("decided_on"), "decided_by": "team_manager",
            "reasons": values.get("reasons", "")}
