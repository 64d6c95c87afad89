"""Enquiries to the child protection register (seed 002, Staffordshire Part 6, paragraphs 57-61): pure rules.

Who may ask (58: by profession), what the enquirer is told, and who else must hear of it (59: the
child's key worker; 60: the key worker of a child on a plan at the same address; 61: a second
enquiry about a child not known, the designated manager). The identity used for matching (the
NHS number and the address's UPRN) is checked here and kept in the records database, never in
Temporal: nothing here reads or writes anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

#: Where the register's rules come from, as staff read it.
SOURCE = "Staffordshire procedures (Part 6), Enquiries to the Register, paragraphs 57-61"


class Profession(StrEnum):
    """The professions paragraph 58 lets consult the register; nobody else is answered."""

    CSC_SOCIAL_WORKER = "csc_social_worker"
    POLICE = "police"
    DENTIST = "dentist"
    DIETICIAN = "dietician"
    HEALTH_VISITOR = "health_visitor"
    MIDWIFE = "midwife"
    OCCUPATIONAL_THERAPIST = "occupational_therapist"
    PSYCHOLOGIST = "psychologist"
    PSYCHOTHERAPIST = "psychotherapist"
    PHYSIOTHERAPIST = "physiotherapist"
    MEDICAL_PRACTITIONER = "medical_practitioner"
    RADIOGRAPHER = "radiographer"
    REGISTERED_NURSE = "registered_nurse"
    SPEECH_THERAPIST = "speech_therapist"
    CAFCASS = "cafcass"
    PROBATION = "probation"
    NSPCC = "nspcc"
    HEAD_TEACHER = "head_teacher"
    EDUCATION_WELFARE = "education_welfare"
    ARMED_SERVICES_WELFARE = "armed_services_welfare"
    PRISON_GOVERNOR = "prison_governor"
    HEAD_OF_PARAMEDICAL_SERVICES = "head_of_paramedical_services"
    YOUTH_AND_COMMUNITY = "youth_and_community"
    YOUTH_OFFENDING_TEAM = "youth_offending_team"


#: Each profession in paragraph 58's words.
PROFESSION_WORDS: dict[Profession, str] = {
    Profession.CSC_SOCIAL_WORKER: "Children's Social Care: social worker or manager",
    Profession.POLICE: "Police Sergeant or above (or Police Officer, Child Abuse Investigation Unit, "
                       "Domestic Violence Officer)",
    Profession.DENTIST: "Dentist",
    Profession.DIETICIAN: "Dietician",
    Profession.HEALTH_VISITOR: "Health Visitor",
    Profession.MIDWIFE: "Midwife",
    Profession.OCCUPATIONAL_THERAPIST: "Occupational Therapist",
    Profession.PSYCHOLOGIST: "Psychologist",
    Profession.PSYCHOTHERAPIST: "Psychotherapist",
    Profession.PHYSIOTHERAPIST: "Physiotherapist",
    Profession.MEDICAL_PRACTITIONER: "Registered Medical Practitioner (including Clinical Medical Officers)",
    Profession.RADIOGRAPHER: "Radiographer",
    Profession.REGISTERED_NURSE: "Registered Nurse (including School Nurses)",
    Profession.SPEECH_THERAPIST: "Speech Therapist",
    Profession.CAFCASS: "CAFCASS",
    Profession.PROBATION: "Probation Officer or senior staff",
    Profession.NSPCC: "NSPCC operational staff",
    Profession.HEAD_TEACHER: "Head teacher (or the designated teacher for child protection)",
    Profession.EDUCATION_WELFARE: "Education Welfare Officer or senior",
    Profession.ARMED_SERVICES_WELFARE: "Armed Service Welfare Officer, or commissioned rank not below "
                                       "captain/flight lieutenant",
    Profession.PRISON_GOVERNOR: "Prison governor (or nominated deputy)",
    Profession.HEAD_OF_PARAMEDICAL_SERVICES: "Head of paramedical services",
    Profession.YOUTH_AND_COMMUNITY: "Area Youth and Community Worker",
    Profession.YOUTH_OFFENDING_TEAM: "Youth Offending Team member",
}


class InvalidIdentity(ValueError):
    """An NHS number or UPRN that cannot be one; the message says why without repeating the value."""


_SPACES = re.compile(r"[\s-]")


def nhs_number(text: str) -> str:
    """The NHS number as its ten digits, checked by its check digit (modulus 11); spaces allowed in between."""
    digits = _SPACES.sub("", str(text))
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise InvalidIdentity("an NHS number is 10 digits (spaces allowed between them)")
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    if check == 10 or check != int(digits[9]):
        raise InvalidIdentity("that NHS number's check digit is wrong: check it was typed correctly")
    return digits


def uprn(text: str) -> str:
    """A Unique Property Reference Number: 1 to 12 digits, written without leading zeros."""
    digits = str(text).strip()
    if not re.fullmatch(r"[0-9]{1,12}", digits) or int(digits) == 0:
        raise InvalidIdentity("a UPRN (the address's Unique Property Reference Number) is 1 to 12 digits")
    return str(int(digits))


class Outcome(StrEnum):
    ON_PLAN = "on_plan"
    OPEN_CASE = "open_case"
    NOT_KNOWN = "not_known"
    #: A child not known, asked about before (61): the later enquirer is told of the earlier enquiry.
    NOT_KNOWN_AGAIN = "not_known_again"


OUTCOME_WORDS = {
    Outcome.ON_PLAN: "subject of a child protection plan",
    Outcome.OPEN_CASE: "open to Children's Social Care, not subject of a plan",
    Outcome.NOT_KNOWN: "not known to Children's Social Care",
    Outcome.NOT_KNOWN_AGAIN: "not known to Children's Social Care, and asked about before",
}

#: Who hears of an enquiry, by role: letters go to roles, never to names or addresses.
KEY_WORKER = "lead_social_worker"
#: Where an open case has no key worker named yet, the case's team manager follows the enquiry up.
NO_KEY_WORKER_YET = "team_manager"
DESIGNATED_MANAGER = "designated_manager"


@dataclass(frozen=True)
class KnownCase:
    """A case linked to a child, as its journey tells it: where it stands and who the key worker is."""

    case_ref: str
    stage: str
    key_worker: str | None = None
    category: str | None = None
    plan_started_on: date | None = None

    @property
    def open(self) -> bool:
        return self.stage != "closed"

    @property
    def on_plan(self) -> bool:
        return self.stage == "on_plan"


@dataclass(frozen=True)
class EarlierEnquiry:
    enquiry_id: str
    asked_on: date
    profession: Profession


@dataclass(frozen=True)
class Tell:
    """Someone who must hear of the enquiry: a role (and the staff number, where one is known)."""

    role: str
    why: str
    staff_ref: str | None = None
    case_ref: str | None = None


@dataclass(frozen=True)
class Finding:
    """What an enquiry finds: the outcome, what the enquirer is told, and who else is told."""

    outcome: Outcome
    advice: str
    case_ref: str | None = None
    key_worker: str | None = None
    category: str | None = None
    plan_started_on: date | None = None
    earlier: tuple[EarlierEnquiry, ...] = ()
    told: tuple[Tell, ...] = field(default=())


def decide(
    child: list[KnownCase], same_address: list[KnownCase], earlier_not_known: list[EarlierEnquiry]
) -> Finding:
    """The enquiry's finding, from the child's own cases, the cases of children at the same address,
    and the earlier enquiries about this child made while the child was not known.

    "Known" is read as a case open now (a running journey): a child whose only journey has closed is
    answered as not known, and a second enquiry is then a prompt to consider whether the child is in need.
    """
    own = {case.case_ref for case in child}
    neighbours = tuple(
        Tell(KEY_WORKER if case.key_worker else NO_KEY_WORKER_YET,
             "an enquiry about a child living at the same address as a child on a plan (paragraph 60)",
             case.key_worker, case.case_ref)
        for case in same_address if case.on_plan and case.case_ref not in own
    )
    open_cases = sorted((case for case in child if case.open), key=lambda case: (not case.on_plan, case.case_ref))
    if open_cases:
        case = open_cases[0]
        outcome = Outcome.ON_PLAN if case.on_plan else Outcome.OPEN_CASE
        if case.key_worker:
            key = Tell(KEY_WORKER, "an enquiry about a child on your caseload, to follow up (paragraph 59)",
                       case.key_worker, case.case_ref)
            who = f"The key worker is staff number {case.key_worker}, who has been told of this enquiry and will follow it up."
        else:
            key = Tell(NO_KEY_WORKER_YET, "an enquiry about a child whose case has no key worker named yet "
                       "(paragraph 59)", None, case.case_ref)
            who = "No key worker is named yet: the case's team manager has been told of this enquiry and will follow it up."
        plan = ""
        if case.on_plan:
            plan = " (category: " + (case.category or "not recorded").replace("_", " ") + ")"
            if case.plan_started_on:
                plan += f" since {case.plan_started_on.isoformat()}"
        advice = f"Case {case.case_ref}: {OUTCOME_WORDS[outcome]}{plan}. {who}"
        return Finding(outcome, advice, case.case_ref, case.key_worker, case.category if case.on_plan else None,
                       case.plan_started_on if case.on_plan else None, told=(key, *neighbours))
    advice = ("Not known to Children's Social Care: no open case. This enquiry is recorded. If you are concerned "
              "for the child's welfare, make a referral to Children's Social Care.")
    if not earlier_not_known:
        return Finding(Outcome.NOT_KNOWN, advice, told=neighbours)
    earlier = tuple(sorted(earlier_not_known, key=lambda found: found.asked_on))
    first = earlier[0]
    advice += (f" This child has been asked about before: {len(earlier)} earlier enquir"
               f"{'y' if len(earlier) == 1 else 'ies'}, the first on {first.asked_on.isoformat()} by "
               f"{PROFESSION_WORDS[first.profession]}. The designated manager has been asked to consider "
               "whether this is, or may be, a child in need.")
    manager = Tell(DESIGNATED_MANAGER, "a second enquiry about a child not known to Children's Social Care: "
                   "consider whether this is, or may be, a child in need (paragraph 61)")
    return Finding(Outcome.NOT_KNOWN_AGAIN, advice, earlier=earlier, told=(manager, *neighbours))
