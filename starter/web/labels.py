"""What the admin tool calls stages, events, decisions and enum values, in the words staff use."""

from __future__ import annotations

from typing import Any

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
