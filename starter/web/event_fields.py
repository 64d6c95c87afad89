"""A submitted event form read back as the fields of a ``JourneyEvent`` (which checks them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.events import EVENT_TYPES
from starter.web.model_forms import read


def event_fields(kind: str, values: Mapping[str, str], event_id: str) -> dict[str, Any]:
    """The event a form describes, as fields for ``JourneyEvent``: how each is read is the model's."""
    return read(EVENT_TYPES[kind], values, event_id)
