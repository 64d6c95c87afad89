"""Who is acting: a signed-in person, a service with a key, or the command line as a named staff number.

Every check of who may do what (``starter.permissions``) and every line of the audit log starts
from an :class:`Actor`. People and the command line are known by their staff number, a service by
its key's name; never by a person's name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from starter.roles import Role


class Actor(BaseModel, frozen=True):
    kind: Literal["person", "service", "cli"]
    #: A staff number for people and the command line; the key's name for a service.
    ref: str
    roles: frozenset[Role]
    #: The event types a service key may send; ``None`` for people and the command line.
    may_send: frozenset[str] | None = None

    @property
    def recorded_as(self) -> str:
        """How the actor is written in a journey's records and the audit log."""
        return f"service:{self.ref}" if self.kind == "service" else self.ref
