"""What the admin tool calls stages, events, decisions and enum values, in the words staff use."""

from __future__ import annotations

from typing import Any

from domain.state import Stage

STAGE_LABELS = {
    Stage.AWAITING_SECTION_47: "Awaiting a section 47 enquiry",
    Stage.AWAITING_ICPC: "Awaiting the initial child protection conference",
    Stage.ON_PLAN: "On a child protection plan",
    Stage.CLOSED: "Closed",
}
EVENT_LABELS = {
    "strategy_discussion": "Strategy discussion",
    "icpc_delay_agreed": "Delay agreed by the team manager",
    "icpc_held": "ICPC held",
    "conference_not_required": "Conference not required",
    "conference_booked": "Conference booked",
    # The plan
    "visit_made": "Visit",
    "core_group_held": "Core group held",
    "task_completed": "Task completed",
    "review_scheduled": "Review booked",
    "review_held": "Review held",
    "plan_ended": "Plan ended",
    "child_missing": "Child missing",
    "child_found": "Child found",
    "significant_event": "Significant event",
    "lead_social_worker_named": "Lead social worker named",
    "lead_social_worker_cover": "Cover for the lead social worker",
    "core_group_members_recorded": "Core group members",
}
DECISION_LABELS = {"plan": "Child protection plan", "no_plan": "No plan (child in need follow-up)"}


def kind_label(kind: str | None) -> str:
    if not kind:
        return ""
    return "ICPC" if kind == "icpc" else kind.replace("_", " ").capitalize()


def readable(value: Any) -> str:
    """An enum value or role as words: ``line_manager`` is "line manager"."""
    return str(getattr(value, "value", value) or "").replace("_", " ")
