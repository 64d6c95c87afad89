"""The child protection register: "is this child subject to a plan?", asked by the professions seed 002 lists.

The register is the records database's links from cases to their child's NHS number and UPRN,
read together with each case's journey (its stage and key worker, from Temporal). An enquiry is
recorded with the enquirer's staff number and profession; everyone who must hear of it
(``domain.register.decide``) gets a letter to their role, through the sender the activities use
(GOV.UK Notify or the letters file, each letter claimed in the ``notification`` table first so it
goes once), and the staff told see it on their list (``/register/told``). The NHS number and
UPRN stay in the records database: never in Temporal, a log line or a letter.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.db import ChildLink, NotificationLog, RegisterEnquiry, RegisterNotice
from activities.log import get_logger
from activities.notify import NotificationSender, sender_from_config
from domain import register as rules
from domain.deadlines import london_date
from domain.effects import NotificationRequest
from domain.events import CaseRef
from domain.register import EarlierEnquiry, Finding, KnownCase, Outcome, Profession, Tell
from starter.client import JourneyError, JourneyNotFound, Journeys
from starter.identity import Actor

log = get_logger("cpj.register")

_CASE_REF = TypeAdapter(CaseRef)
#: Letters about the register are not about one journey; this stands where a workflow id would.
REGISTER = "register"


class RegisterError(JourneyError):
    """An enquiry or link that cannot be taken; the message says why (never repeating an NHS number)."""


@dataclass(frozen=True)
class EnquiryAnswer:
    """What the enquirer is told, and who else was told (by role)."""

    enquiry_id: str
    asked_on: date
    outcome: Outcome
    advice: str
    case_ref: str | None
    key_worker: str | None
    category: str | None
    plan_started_on: date | None
    earlier: tuple[EarlierEnquiry, ...]
    told: tuple[Tell, ...]
    #: References of letters that could not be sent now (listed in ``notification`` as pending).
    undelivered: tuple[str, ...] = ()

    @property
    def on_plan(self) -> bool:
        return self.outcome is Outcome.ON_PLAN

    def as_json(self) -> dict:
        return {
            "enquiry_id": self.enquiry_id, "asked_on": self.asked_on.isoformat(), "outcome": self.outcome.value,
            "on_plan": self.on_plan, "advice": self.advice, "case_ref": self.case_ref,
            "key_worker": self.key_worker, "category": self.category,
            "plan_started_on": self.plan_started_on.isoformat() if self.plan_started_on else None,
            "earlier_enquiries": [{"asked_on": found.asked_on.isoformat(), "profession": found.profession.value}
                                  for found in self.earlier],
            "told": sorted({tell.role for tell in self.told}),
            "undelivered": list(self.undelivered),
        }


@dataclass(frozen=True)
class ToldOf:
    """One line of a key worker's (or the designated manager's) list: an enquiry they were told of."""

    enquiry: RegisterEnquiry
    notice: RegisterNotice


def profession(text: str) -> Profession:
    try:
        return Profession(text)
    except ValueError:
        raise RegisterError(
            f"{text!r} is not a profession that may consult the register ({rules.SOURCE}, paragraph 58); one of: "
            + ", ".join(item.value for item in Profession)) from None


def checked_identity(nhs_number: str, uprn: str | None) -> tuple[str, str | None]:
    try:
        return rules.nhs_number(nhs_number), rules.uprn(uprn) if uprn not in (None, "") else None
    except rules.InvalidIdentity as refused:
        raise RegisterError(str(refused)) from None


class Register:
    def __init__(self, engine: Engine, journeys: Journeys, sender: NotificationSender | None = None) -> None:
        self.engine = engine
        self.journeys = journeys
        self.sender = sender

    # -- linking a case to its child -------------------------------------------------------

    async def link(self, case_ref: str, nhs_number: str, uprn: str | None, actor: Actor) -> ChildLink:
        """Link ``case_ref`` to its child's NHS number and address; linking again replaces the old link
        (a move of address)."""
        try:
            case_ref = _CASE_REF.validate_python(case_ref)
        except ValidationError:
            raise RegisterError(f"{case_ref!r} is not a case reference") from None
        nhs, address = checked_identity(nhs_number, uprn)
        await self.journeys.state(case_ref)  # raises JourneyNotFound: a typed case reference that is no case
        now = await self.journeys.clock()

        def write() -> ChildLink:
            with Session(self.engine) as session:
                row = session.get(ChildLink, case_ref) or ChildLink(case_ref=case_ref, nhs_number=nhs,
                                                                     linked_by=actor.recorded_as, linked_at=now)
                row.nhs_number, row.uprn, row.linked_by, row.linked_at = nhs, address, actor.recorded_as, now
                session.add(row)
                session.commit()
                session.refresh(row)
                return row

        row = await asyncio.to_thread(write)
        log.info("case linked to its child's identity", case_ref=case_ref, by=actor.recorded_as,
                 with_uprn=address is not None)
        return row

    def links(self, case_ref: str) -> ChildLink | None:
        with Session(self.engine) as session:
            return session.get(ChildLink, case_ref)

    # -- enquiries --------------------------------------------------------------------------

    async def enquire(self, actor: Actor, nhs_number: str, uprn: str | None, asked_as: str) -> EnquiryAnswer:
        """Answer "is this child subject to a plan?" for ``actor``, who says which profession they ask as.

        Whether the actor may ask at all is the permissions table's (the register enquirer role); the
        profession is checked here against paragraph 58 and recorded with the enquiry.
        """
        as_profession = profession(asked_as)
        nhs, address = checked_identity(nhs_number, uprn)
        now = await self.journeys.clock()
        enquiry_id = uuid.uuid4().hex[:16]

        child_refs, neighbour_refs, earlier = await asyncio.to_thread(self._matches, nhs, address)
        child = [case for case in await asyncio.gather(*(self._known(ref) for ref in child_refs)) if case]
        neighbours = [case for case in await asyncio.gather(*(self._known(ref) for ref in neighbour_refs)) if case]
        finding = rules.decide(child, neighbours, earlier)

        await asyncio.to_thread(self._record, enquiry_id, now, actor, as_profession, nhs, address, finding)
        undelivered = await asyncio.to_thread(self._tell, enquiry_id, london_date(now), actor, as_profession, finding)
        log.info("register enquiry answered", enquiry_id=enquiry_id, by=actor.recorded_as,
                 profession=as_profession.value, outcome=finding.outcome.value, case_ref=finding.case_ref,
                 told=sorted({tell.role for tell in finding.told}), undelivered=len(undelivered))
        return EnquiryAnswer(enquiry_id, london_date(now), finding.outcome, finding.advice, finding.case_ref,
                             finding.key_worker, finding.category, finding.plan_started_on, finding.earlier,
                             finding.told, tuple(undelivered))

    def _matches(self, nhs: str, address: str | None) -> tuple[list[str], list[str], list[EarlierEnquiry]]:
        with Session(self.engine) as session:
            child = sorted(session.exec(select(ChildLink.case_ref).where(ChildLink.nhs_number == nhs)).all())
            neighbours = []
            if address:
                neighbours = sorted(session.exec(select(ChildLink.case_ref).where(
                    ChildLink.uprn == address, ChildLink.nhs_number != nhs)).all())
            earlier = [
                EarlierEnquiry(row.enquiry_id, london_date(_aware(row.asked_at)), Profession(row.profession))
                for row in session.exec(select(RegisterEnquiry).where(
                    RegisterEnquiry.nhs_number == nhs,
                    RegisterEnquiry.outcome.in_([Outcome.NOT_KNOWN.value, Outcome.NOT_KNOWN_AGAIN.value])))
            ]
        return child, neighbours, earlier

    async def _known(self, case_ref: str) -> KnownCase | None:
        try:
            state = await self.journeys.state(case_ref)
        except JourneyNotFound:  # linked, but no journey under that reference (yet, or any more)
            return None
        return KnownCase(case_ref, state.stage.value, state.lead_social_worker,
                         state.category.value if state.category else None, state.plan_started_on)

    def _record(self, enquiry_id: str, now: datetime, actor: Actor, as_profession: Profession, nhs: str,
                address: str | None, finding: Finding) -> None:
        with Session(self.engine) as session:
            session.add(RegisterEnquiry(
                enquiry_id=enquiry_id, asked_at=now, enquirer=actor.recorded_as, profession=as_profession.value,
                nhs_number=nhs, uprn=address, outcome=finding.outcome.value, case_ref=finding.case_ref,
                key_worker=finding.key_worker, advice=finding.advice))
            for number, tell in enumerate(finding.told, start=1):
                session.add(RegisterNotice(reference=f"register/{enquiry_id}/{number}", enquiry_id=enquiry_id,
                                           recipient_role=tell.role, staff_ref=tell.staff_ref,
                                           case_ref=tell.case_ref, why=tell.why))
            session.commit()

    def _tell(self, enquiry_id: str, day: date, actor: Actor, as_profession: Profession,
              finding: Finding) -> list[str]:
        """A letter to each role told; returns the references that could not be sent now."""
        sender = self.sender or sender_from_config()
        undelivered = []
        for number, tell in enumerate(finding.told, start=1):
            reference = f"register/{enquiry_id}/{number}"
            whom = f" (staff number {tell.staff_ref})" if tell.staff_ref else ""
            about = f"case {tell.case_ref}" if tell.case_ref else f"a child not known (enquiry {enquiry_id})"
            request = NotificationRequest(
                reference=reference, case_ref=tell.case_ref or REGISTER, workflow_id=REGISTER,
                template="register_enquiry", recipient_role=tell.role,
                subject=f"Child protection register enquiry: {about}",
                body=(f"For the {tell.role.replace('_', ' ')}{whom}: {tell.why}. Enquiry {enquiry_id} on "
                      f"{day.isoformat()} by staff number {actor.recorded_as} "
                      f"({rules.PROFESSION_WORDS[as_profession]}); answered: "
                      f"{rules.OUTCOME_WORDS[finding.outcome]}. The child's details are on the register "
                      "(/register/told), not in this letter."),
            )
            try:
                self._send_once(sender, request)
            except Exception as error:  # the answer still goes to the enquirer; the letter stays pending
                log.warning("register letter not sent", reference=reference, error=type(error).__name__)
                undelivered.append(reference)
        return undelivered

    def _send_once(self, sender: NotificationSender, request: NotificationRequest) -> None:
        with Session(self.engine) as session:
            session.add(NotificationLog(reference=request.reference, case_ref=request.case_ref,
                                        workflow_id=request.workflow_id, template=request.template,
                                        recipient_role=request.recipient_role, subject=request.subject,
                                        status="pending"))
            session.commit()
        sender.send(request)
        with Session(self.engine) as session:
            row = session.get(NotificationLog, request.reference)
            row.status, row.sent_at = "sent", datetime.now(UTC)
            session.add(row)
            session.commit()

    def told_of(self, actor: Actor, *, designated_manager: bool = False) -> list[ToldOf]:
        """The enquiries ``actor`` was told of by staff number, newest first; with ``designated_manager``,
        also those sent to that role (second enquiries about a child not known)."""
        with Session(self.engine) as session:
            wanted = RegisterNotice.staff_ref == actor.ref
            if designated_manager:
                wanted = wanted | (RegisterNotice.recipient_role == rules.DESIGNATED_MANAGER)
            rows = session.exec(select(RegisterNotice, RegisterEnquiry).where(wanted).where(
                RegisterNotice.enquiry_id == RegisterEnquiry.enquiry_id)).all()
            found = [ToldOf(enquiry, notice) for notice, enquiry in rows]
        return sorted(found, key=lambda row: (_aware(row.enquiry.asked_at), row.notice.reference), reverse=True)


def _aware(moment: datetime) -> datetime:
    # SQLite hands a stored moment back without its zone: it was written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
