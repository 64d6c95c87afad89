"""The audit log: every change and every view of a case, who did it, when and from where.

Append-only: this module writes and reads rows and has no way to change or remove one, and the
database refuses to (revision 0003's triggers). The web layer writes a row for every request that
reads or changes a case (``starter.web.audit``), the command line for every call it makes to Temporal
(:class:`RecordedJourneys`); a refusal by the permissions table is a row too (outcome ``refused``).

Rows name people by staff number and services as ``service:<name>``, never by name, and cases by
reference; a conference or complaint viewed is kept by its reference, and "who has looked at this
case" gathers the case's rows and those of its conferences and complaints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from activities.db import AuditEntry
from starter.identity import Actor
from starter.permissions import EVENT_ACTIONS, Action


class AuditLog:
    """The log on the records database's ``engine``: ``write`` a row, read a case's or the latest rows."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.clock = clock

    def write(self, actor: Actor, action: Action | str, what: str, *, via: str, case_ref: str | None = None,
              subject_ref: str | None = None, outcome: str = "done", status: int | None = None,
              client_address: str | None = None) -> AuditEntry:
        entry = AuditEntry(at=self.clock(), actor=actor.recorded_as, actor_kind=actor.kind, action=str(action),
                           what=what, case_ref=case_ref, subject_ref=subject_ref, outcome=outcome, status=status,
                           via=via, client_address=client_address)
        with Session(self.engine) as session:
            session.add(entry)
            session.commit()
            session.refresh(entry)
        return entry

    def of_case(self, case_ref: str, subject_refs: Iterable[str] = (), limit: int = 500) -> list[AuditEntry]:
        """Everything done to and every look at a case (and its conferences and complaints), newest first."""
        refs = [ref for ref in subject_refs if ref]
        where = col(AuditEntry.case_ref) == case_ref
        if refs:
            where = or_(where, col(AuditEntry.subject_ref).in_(refs))
        with Session(self.engine) as session:
            return list(session.exec(select(AuditEntry).where(where)
                                     .order_by(col(AuditEntry.id).desc()).limit(limit)).all())

    def latest(self, limit: int = 200, actor: str | None = None) -> list[AuditEntry]:
        """The newest rows, of everyone or of one staff number (or ``service:<name>``)."""
        query = select(AuditEntry)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        with Session(self.engine) as session:
            return list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)).all())


def looked_at_by(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    """Rows as JSON (``cpj audit --json``, the API): what an administrator reads."""
    return [{"at": entry.at.isoformat(), "actor": entry.actor, "actor_kind": entry.actor_kind, "action": entry.action,
             "what": entry.what, "case_ref": entry.case_ref, "subject_ref": entry.subject_ref,
             "outcome": entry.outcome, "status": entry.status, "via": entry.via,
             "client_address": entry.client_address} for entry in entries]


def what_of(action: Action, event_type: str | None) -> str:
    if event_type:
        return event_type
    return {Action.READ_CASE: "view", Action.LIST_CASELOAD: "list", Action.READ_AUDIT_LOG: "view audit log"}.get(
        action, action.value)


class RecordedJourneys:
    """One actor's :class:`starter.client.Journeys`: every event carries their ``recorded_as``, every call is logged.

    The command line's way to Temporal: it reaches Temporal directly, so nothing here refuses; it
    records who did and looked at what, like the web layer does.
    """

    _CHANGES = {"start": "case", "send": "case", "send_event": "case", "feed": "case",
                "send_to_conference": "conference", "send_conference_event": "conference",
                "start_complaint": "complaint", "send_complaint_event": "complaint"}
    _VIEWS = {"state": "case", "complaints_of": "case", "list_complaints": "case", "conference": "conference",
              "complaint": "complaint", "complaint_letters": "complaint"}

    def __init__(self, journeys: Any, actor: Actor, log: AuditLog, via: str = "cli") -> None:
        self._journeys = journeys
        self.actor = actor
        self.log = log
        self.via = via

    def __getattr__(self, name: str) -> Any:
        inner = getattr(self._journeys, name)
        if name in self._CHANGES:
            return self._change(name, inner)
        if name in self._VIEWS:
            return self._view(name, inner)
        if name == "list":
            async def listed(*args: Any, **kwargs: Any) -> Any:
                self.log.write(self.actor, Action.LIST_CASELOAD, "list", via=self.via)
                return await inner(*args, **kwargs)
            return listed
        if name == "publish_calendar":
            async def published(version: str) -> Any:
                self.log.write(self.actor, "publish_calendar", f"calendar {version}", via=self.via)
                return await inner(version)
            return published
        return inner

    def _refs(self, kind: str, ref: str, second: Any = None) -> tuple[str | None, str | None]:
        if kind == "case":
            return ref, None
        if kind == "complaint" and isinstance(second, str):
            return second, ref  # start_complaint(complaint_ref, case_ref, ...)
        return None, ref

    def _change(self, name: str, inner: Callable) -> Callable:
        kind = self._CHANGES[name]

        async def changed(ref: str, *args: Any, **kwargs: Any) -> Any:
            event = next((arg for arg in reversed(args) if hasattr(arg, "event_id")), None)
            event_type = getattr(event, "type", None)
            action = Action.START_JOURNEY if name == "start" else EVENT_ACTIONS.get(event_type or "", name)
            case_ref, subject_ref = self._refs(kind, ref, args[0] if args else None)
            try:
                result = await inner(ref, *args, **{**kwargs, "by": self.actor.recorded_as})
            except Exception as err:
                self.log.write(self.actor, action, event_type or name, via=self.via, case_ref=case_ref,
                               subject_ref=subject_ref, outcome=f"failed: {type(err).__name__}")
                raise
            self.log.write(self.actor, action, event_type or name, via=self.via, case_ref=case_ref,
                           subject_ref=subject_ref)
            return result

        return changed

    def _view(self, name: str, inner: Callable) -> Callable:
        kind = self._VIEWS[name]

        async def viewed(ref: str, *args: Any, **kwargs: Any) -> Any:
            case_ref, subject_ref = self._refs(kind, ref)
            self.log.write(self.actor, Action.READ_CASE, "view", via=self.via, case_ref=case_ref,
                           subject_ref=subject_ref)
            return await inner(ref, *args, **kwargs)

        return viewed


# -- The command line's actor ----------------------------------------------------------------------

#: What ``cpj --as STAFF_REF`` said, for this process; ``CPJ_STAFF_REF`` otherwise.
_acting_as: list[str] = []
#: A staff number as sign-in knows it (``starter.accounts.REF_PATTERN``): no spaces, so never a full name.
STAFF_REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class NoActor(ValueError):
    """The command line was asked to show or change a case without saying who is asking."""


def act_as(staff_ref: str | None) -> None:
    _acting_as[:] = [staff_ref] if staff_ref else []


def cli_actor() -> Actor:
    """The staff number the command line acts as (``--as`` or ``CPJ_STAFF_REF``), recorded like anyone else.

    Whoever can reach Temporal's frontend can do anything (the production shape puts mTLS in front
    of it), so the command line carries every role; what it cannot do is act as nobody.
    """
    import os
    import re

    from starter.roles import Role

    staff_ref = (_acting_as[0] if _acting_as else os.environ.get("CPJ_STAFF_REF", "")).strip()
    if not staff_ref:
        raise NoActor("say who you are: cpj --as STAFF_NUMBER ... (or set CPJ_STAFF_REF); every command that shows "
                      "or changes a case is recorded under a staff number")
    if not re.fullmatch(STAFF_REF_PATTERN, staff_ref):
        # Not echoed: a person's name typed by mistake goes no further than their own terminal line.
        raise NoActor("that is not a staff number (letters, digits, dots and hyphens, no spaces, e.g. SW-2041); "
                      "never a name")
    return Actor(kind="cli", ref=staff_ref, roles=frozenset(Role))
