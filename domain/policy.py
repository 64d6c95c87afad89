"""Authority policy profiles: every timescale as data, each rule citing its source.

The schema and rule registry; pure. A profile is a TOML file that ``shipped.profiles``
reads and resolves (``load_profile``). Authority profiles extend the
``working-together-2023`` baseline and override what their local procedure says,
so a rule the local procedure is silent on still has a cited statutory default.

A journey pins a *released* profile (``domain.released``: the resolved snapshot of
each version, shipped with the code), so editing a profile file never changes a
running journey; a changed profile needs a new version and a release.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator

from domain.calendars import FIRST_VERSION
from domain.case_refs import GENERIC, CaseReferencePattern

BASELINE_ID = "working-together-2023"
#: The statutory guidance the baseline cites; every other citation names a seed file.
STATUTORY_GUIDANCE = "Working Together to Safeguard Children 2023"
SEED_FILE_PATTERN = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")

#: Each source document as staff, parents and a procedures officer know it. Whatever people read (a
#: deadline's reason, a letter, an error) names the document this way; the file name stays in the
#: citation data (``Citation.source``, ``cpj policy show --json``) so a developer can find the text.
DOCUMENT_NAMES: dict[str, str] = {
    "000_7f04eaf80fcc0ebe.txt": "Darlington procedures",
    "001_44af8c5cc8068718.txt": "Birmingham procedures (Section 6)",
    "002_a2ea61cae8fecd8a.txt": "Staffordshire procedures (Part 6)",
    # The document is section 6.1.4 and its citations give that number as their section.
    "003_c63ac49730346b0c.txt": "Sefton procedures",
    "004_080d30539bddd87c.txt": "Local guide for social workers",
    STATUTORY_GUIDANCE: STATUTORY_GUIDANCE,
}
DARLINGTON = DOCUMENT_NAMES["000_7f04eaf80fcc0ebe.txt"]
BIRMINGHAM = DOCUMENT_NAMES["001_44af8c5cc8068718.txt"]
STAFFORDSHIRE = DOCUMENT_NAMES["002_a2ea61cae8fecd8a.txt"]
SEFTON = DOCUMENT_NAMES["003_c63ac49730346b0c.txt"]
LOCAL_GUIDE = DOCUMENT_NAMES["004_080d30539bddd87c.txt"]


def document_name(source: str) -> str:
    """A citation's source as people name it (an unknown file keeps its name rather than vanish)."""
    return DOCUMENT_NAMES.get(source, source)


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    HOURS = "hours"


#: Every rule a profile may define, with what it measures. Code looks rules up by
#: these keys only, so a typo in a profile fails loudly at load time.
KNOWN_RULES: dict[str, str] = {
    # Convening and holding the initial conference
    "icpc_within": "ICPC after the strategy discussion at which the section 47 enquiry was initiated",
    "icpc_booking_consultation": "consultation with the conference chair after an ICPC is requested",
    "icpc_invitation_notice": "written invitation to an initial conference, before the conference",
    "report_to_chair_before_conference": "social worker's report to the chair, before the conference",
    "report_to_parents_before_conference": "social worker's report shared with parents, before the conference",
    "agency_reports_before_conference": "agency reports to the chair, before the conference",
    "exclusion_request_notice": "request to exclude a parent, before the conference",
    "split_conference_letter_notice": "letters to parents about a split conference, before the conference",
    "unborn_conference_before_due_date": "unborn child conference, before the expected date of delivery",
    "transfer_in_conference_within": "transfer-in / receiving-in conference after the agreement or move",
    "transfer_report_before_conference": "originating authority's report, before a transfer-in conference",
    "inquorate_conference_reconvened_within": "new date for a conference adjourned as inquorate",
    # After a conference
    "decision_circulated": "conference decision circulated to those invited, after the conference",
    "absent_parents_told": "parents who were not at the conference told the decision, after it",
    "outline_plan_circulated": "outline or initial child protection plan circulated, after the conference",
    "record_completed": "conference record (minutes) completed, after the conference",
    "record_shared": "conference record shared with parents and agencies, after the conference",
    "record_amendments": "amendments to the record sent to the chair, after receipt of the record",
    "record_circulated_before_next_review": "conference record circulated, before the next review conference",
    "report_to_excluded_parent_before_conference": "social worker's report to a parent excluded from an initial conference, before it",
    "report_to_excluded_parent_before_review": "social worker's report to a parent excluded from a review conference, before it",
    "grading_escalation": "low overall grading escalated to the service manager, after the conference",
    # The plan
    "first_core_group": "first core group meeting after the initial conference",
    "core_group_interval": "interval between core group meetings",
    "core_group_after_review": "core group meeting after a review conference",
    "core_group_minutes": "core group minutes circulated after the meeting",
    "plan_distributed_after_core_group": "the child protection plan distributed after each core group meeting",
    "core_assessment": "core assessment completed",
    "plan_lodged_with_chair": "detailed plan lodged with the conference chair after the conference",
    "first_visit": "first lead social worker visit after the initial conference",
    "visit_interval": "interval between lead social worker visits",
    "child_bedroom_seen_interval": "where the child sleeps seen, at least every",
    "significant_event_to_chair": "significant event reported to the chair",
    "missing_child_traced": "a missing child traced, before the senior child protection manager is told",
    "first_review": "first review conference after the initial conference",
    "review_interval": "interval between review conferences (the upper limit)",
    "review_invitation_notice": "invitations to a review conference, before it",
    "review_reports_before_conference": "reports for a review conference, before it",
    # Disagreements, complaints and appeals
    "disagreement_stage_1": "final decision on an agency's disagreement with a decision not to hold an ICPC",
    "disagreement_stage_2": "another conference, where a disagreement with a conference outcome agrees one is needed",
    "complaint_informal_resolution": "chair's informal resolution of a complaint",
    "complaint_stage_1": "first formal stage of a complaint about a conference",
    "complaint_stage_2": "second stage of a complaint about a conference",
    "complaint_stage_3": "third stage of a complaint about a conference",
    "complaint_stage_4": "fourth stage of a complaint about a conference",
    "complaint_stage_5": "fifth stage of a complaint about a conference",
    "complaint_stage_6": "sixth stage of a complaint about a conference",
    "complaint_panel": "formal complaint panel decision after the written complaint",
}


class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="seed file name, or the statutory guidance for the baseline")
    section: str = Field(min_length=1, description="section or paragraph, as the source numbers it")
    quote: str = Field(min_length=10, description="the sentence the rule comes from, verbatim")

    @field_validator("source")
    @classmethod
    def _names_a_source(cls, value: str) -> str:
        if value != STATUTORY_GUIDANCE and not SEED_FILE_PATTERN.match(value):
            raise ValueError(f"a citation names a seed file (NNN_hash.txt) or {STATUTORY_GUIDANCE!r}, not {value!r}")
        return value

    @property
    def document(self) -> str:
        return document_name(self.source)

    def __str__(self) -> str:
        """Where people find the rule: "Darlington procedures, Initial Child Protection Conference"."""
        return f"{self.document}, {self.section}"


class Rule(BaseModel):
    """One timescale: ``amount`` ``unit`` ``direction`` its anchor event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(gt=0)
    unit: Unit
    direction: Literal["after", "before"] = "after"
    citation: Citation
    note: str = ""
    #: "3 months (91 days)": or this many calendar days, whichever falls due first (the stricter).
    or_days: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _or_days_only_beside_a_calendar_unit(self) -> Rule:
        if self.or_days is not None and self.unit not in (Unit.MONTHS, Unit.WEEKS):
            raise ValueError(f"or_days qualifies a count in months or weeks, not in {self.unit.value}")
        return self

    @model_serializer(mode="wrap")
    def _without_unset_or_days(self, handler):
        # A rule without a day count dumps as it did before the field existed, so released
        # snapshots, recorded inputs and API answers of such rules read the same.
        data = handler(self)
        if self.or_days is None:
            data.pop("or_days", None)
        return data

    def describe(self) -> str:
        unit = self.unit.value.replace("_", " ")
        if self.amount == 1:
            unit = unit.removesuffix("s")
        if self.or_days is not None:
            return f"{self.amount} {unit} or {self.or_days} day{'s' if self.or_days != 1 else ''} {self.direction}"
        return f"{self.amount} {unit} {self.direction}"


class Option(BaseModel):
    """A local choice that is not a timescale (a casting vote, a first-review rule)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: A flag, a number, a role, a list (who, which grounds) or a list by conference kind. bool comes
    #: first so true/false stay booleans; existing values serialise as before.
    value: bool | int | str | list[str] | dict[str, list[str]]
    citation: Citation
    #: How we read the sentence, where it is not plain ("ideally", a list the document does not close).
    note: str = ""

    @model_serializer(mode="wrap")
    def _without_an_empty_note(self, handler):
        # An option without a note dumps as it did before the field existed (released snapshots, inputs).
        data = handler(self)
        if not self.note:
            data.pop("note", None)
        return data

    def describe(self) -> str:
        """The value as people read it: "yes", "midwifery, paediatrics", "pre-birth: midwifery"."""
        value = self.value
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list):
            return ", ".join(item.replace("_", " ") for item in value)
        if isinstance(value, dict):
            return "; ".join(f"{key.replace('_', ' ')}: {', '.join(item.replace('_', ' ') for item in items)}"
                             for key, items in value.items())
        return str(value).replace("_", " ")


KNOWN_OPTIONS: dict[str, str] = {
    # Conferences: what one authority's document (or Working Together) asks of the meeting
    "chair_independent_of_the_case": "the conference chair has no operational or line management responsibility for the case",
    "child_advocacy_offered_over_age": "a child older than this is offered an independent advocate (recorded when not)",
    "must_invite": "who must be invited to a conference, by its kind (invitations without them are refused)",
    "should_invite": "who should be invited to a conference, by its kind (invitations without them are recorded)",
    "exclusion_grounds": "the grounds on which the chair may exclude a parent",
    "late_exclusion_request_refused": "a request to exclude a parent after exclusion_request_notice is refused, not marked late",
    "exclusion_decided_before_conference": "the chair decides on an exclusion request by the working day before the conference",
    "exclusion_decision_in_writing": "the chair's decision on an exclusion is confirmed to the parent in writing",
    "split_conference_gap_minutes": "the least break, in minutes, between the parts of a split conference (a shorter one is recorded)",
    "quorum_other_agencies": "agencies with direct contact, besides children's social care, a quorate conference needs",
    "inquorate_proceed_reasons": "the reasons for which the chair may proceed although the conference is not quorate",
    "inquorate_proceeding_notified_to": "the role told when a conference proceeded although not quorate",
    "early_review_considered_when_inquorate": "an early review is considered when a conference proceeded although not quorate",
    "decision_by_majority_of_agencies": "the decision on a plan follows the majority of agencies",
    "review_reports_go_to": "who the reports before a review conference go to (chair, parents) by review_reports_before_conference",
    "parents_copy_marked": "the parents' copy of the conference record is marked as theirs on every page",
    "low_grading_escalated_at_most": "an overall grading at or below this is escalated to the service manager",
    "legacy_amendments_counted_from_their_arrival":
        "(journeys begun before 2026-11 only) the record_amendments deadline runs from the amendments' arrival",
    "chair_has_casting_vote": "where agencies are split, the chair decides",
    "neglect_plan_not_ended_at_first_review": "a plan under neglect may not end at the first review",
    "plan_not_ended_at_first_review": "a plan ends at the first review only in exceptional circumstances",
    "plan_end_needs_chair_endorsement": "ending a plan needs the chair's endorsement",
    "review_never_postponed_past_limit": "a review may be brought forward but never postponed past its limit",
    "transfer_in_counted_from": "what a transfer-in conference is counted from: 'move' (the child's move) or "
                                "'agreement' (the authorities' agreement, when not set)",
    "midway_meeting_between_conferences": "the chair holds a mid-way meeting between conferences",
    # The plan: who is told, and what the plan refuses, where one authority's document says so
    "parents_told_of_lead_social_worker_cover": "parents and child are told of the lead social worker's planned absence",
    "plan_ends_on_move_once_receiving_conference_confirmed":
        "a plan ends on a permanent move only once the receiving authority confirms its conference decision",
    "plan_end_notifies_agencies_health_education": "when a plan ends, every agency, health and education are told",
    "child_death_notified_to": "the role told when a child on a plan dies (the authority's own route)",
    "practice_review_considered_on_death": "a child safeguarding practice review is considered when a child dies",
    "no_access_told_to_line_manager": "no access to the child on a visit is reported to the line manager",
    "unborn_core_group_before_birth": "for an unborn child the core group meets before the expected birth",
    "transfer_out_register_notified": "a child moving away: the register custodian is notified",
    "transfer_out_receiving_authority_contacted": "a child moving away: the receiving authority is contacted",
    "plan_shared_with_family_by_first_core_group": "the plan is shared with the family at or before the first core group",
    # Complaints and disagreements about a conference (domain/complaints.py)
    "complaint_process": "the complaints procedure the authority runs: 'darlington' (service manager, independent "
                         "scrutineer, appeal subcommittee) or 'birmingham' (the chair informally, then a panel of three)",
}


class Profile(BaseModel):
    """A resolved policy profile: what a journey pins when it starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1)
    authority: str
    description: str = ""
    extends: str | None = None
    closure_days: tuple[date, ...] = ()
    rules: dict[str, Rule]
    options: dict[str, Option] = {}
    #: What the authority's case system issues; a journey starts only under a reference of this shape (and
    #: never one that looks like a name or a date of birth, ``domain.case_refs``). Not inherited: each
    #: authority states its own; the baseline's is the generic shape, left out of the dump (below).
    case_reference: CaseReferencePattern = GENERIC
    #: The bank holiday table the journey counts with (``domain.calendars``). Not policy: it is not in
    #: a profile file nor its digest; a journey starts on the newest and moves when one is published to
    #: it. Recorded inputs without it counted with the first version, hence the default.
    calendar_version: str = FIRST_VERSION

    @field_validator("rules", "options")
    @classmethod
    def _only_known_keys(cls, entries: dict, info) -> dict:
        registry = {"rules": ("rule", "KNOWN_RULES", KNOWN_RULES), "options": ("option", "KNOWN_OPTIONS", KNOWN_OPTIONS)}
        what, name, known = registry[info.field_name]
        unknown = sorted(set(entries) - set(known))
        if unknown:
            raise ValueError(f"unknown {what}(s) {unknown}; known {what}s are listed in domain.policy.{name}")
        return entries

    @model_validator(mode="after")
    def _has_the_icpc_rule(self) -> Profile:
        if "icpc_within" not in self.rules:
            raise ValueError("a profile must define icpc_within")
        return self

    @model_serializer(mode="wrap")
    def _without_the_generic_case_reference(self, handler):
        # A profile on the generic shape dumps as it did before the field existed, so released snapshots
        # and recorded inputs read the same (and the baseline needed no new release).
        data = handler(self)
        if self.case_reference == GENERIC:
            data.pop("case_reference", None)
        return data

    @property
    def pin(self) -> str:
        """How a journey names the profile it runs on: ``id@version``."""
        return f"{self.id}@{self.version}"

    def rule(self, key: str) -> Rule:
        if key not in KNOWN_RULES:
            raise KeyError(f"no such rule {key!r}")
        try:
            return self.rules[key]
        except KeyError:
            raise KeyError(f"profile {self.pin} has no rule {key!r}") from None
