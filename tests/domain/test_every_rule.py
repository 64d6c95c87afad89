"""Every rule of every profile, one worked example each, named by the sentence it implements.

Each case is the procedure's own sentence: the rule must quote those words, and a date
counted by hand from an anchor (across Christmas 2026, Easter 2027 or a month's end,
wherever that is what the rule is about) must be the date the journey counts. The
expected dates are written here, worked out on paper, never computed by the code.

England's bank holidays used below: Fri 25 Dec 2026, Mon 28 Dec 2026 (Boxing Day
observed), Fri 1 Jan 2027, Good Friday 26 Mar 2027, Easter Monday 29 Mar 2027.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from domain.deadlines import calendar_of
from domain.policy import BASELINE_ID
from shipped.profiles import load_profile, own_rule_keys, profile_ids


@dataclass(frozen=True)
class Case:
    profile: str
    rule: str
    #: The sentence, as a procedures officer would look for it in the document.
    sentence: str
    #: Words the rule's citation must quote from that sentence.
    says: str
    anchor: date
    due: date

    @property
    def id(self) -> str:
        return f"{self.profile} - {self.sentence}"


D = date
CASES = [
    # -- Working Together to Safeguard Children 2023: what every authority inherits ---------------
    Case(BASELINE_ID, "icpc_within",
         "ICPC within 15 working days of the strategy discussion (17 Dec 2026: 12 Jan 2027)",
         "within 15 working days of the strategy discussion", D(2026, 12, 17), D(2027, 1, 12)),
    Case(BASELINE_ID, "first_core_group", "core group within 10 working days of the ICPC (17 Dec 2026: 5 Jan 2027)",
         "within 10 working days from the initial child protection conference", D(2026, 12, 17), D(2027, 1, 5)),
    Case(BASELINE_ID, "first_review", "first review within 3 months of the ICPC (30 Nov 2026: 28 Feb 2027)",
         "within 3 months of the initial child protection conference", D(2026, 11, 30), D(2027, 2, 28)),
    Case(BASELINE_ID, "review_interval", "further reviews not more than 6 months apart (31 Aug 2027: 29 Feb 2028)",
         "intervals of not more than 6 months", D(2027, 8, 31), D(2028, 2, 29)),
    Case(BASELINE_ID, "missing_child_traced",
         "an untraced child reported to the senior manager, immediately (Thu 24 Dec 2026: Tue 29 Dec)",
         "If the child cannot be traced", D(2026, 12, 24), D(2026, 12, 29)),

    # Borrowed from Birmingham's chapters 7-8 (its sentences), for authorities whose procedure gives no process.
    Case(BASELINE_ID, "disagreement_stage_1",
         "borrowed: final decision on a disagreement about not holding an ICPC within 10 working days (18 Mar 2027: 5 Apr)",
         "within 10 working days of receipt of the request", D(2027, 3, 18), D(2027, 4, 5)),
    Case(BASELINE_ID, "disagreement_stage_2",
         "borrowed: another conference, if required, within 15 working days (18 Mar 2027: 12 Apr)",
         "this will be held within 15 working days", D(2027, 3, 18), D(2027, 4, 12)),
    Case(BASELINE_ID, "complaint_informal_resolution",
         "borrowed: the chair resolves a complaint informally within 14 days, calendar days (1 Feb 2027: 15 Feb)",
         "informally within 14 days", D(2027, 2, 1), D(2027, 2, 15)),
    Case(BASELINE_ID, "complaint_panel",
         "borrowed: the panel's letter within 28 days of the formal written complaint (1 Feb 2027: 1 Mar)",
         "within 28 days of the formal written complaint", D(2027, 2, 1), D(2027, 3, 1)),

    # -- Darlington procedures ------------------------------------------------------------------
    Case("darlington", "icpc_within",
         "ICPC within 15 working days of the strategy discussion (18 Mar 2027, over Easter: 12 Apr)",
         "within 15 working days of the strategy discussion", D(2027, 3, 18), D(2027, 4, 12)),
    Case("darlington", "report_to_chair_before_conference",
         "report to the chair at least three working days before the ICPC (Tue 5 Jan 2027: 30 Dec 2026)",
         "at least three working days prior to the Initial Child Protection Conference",
         D(2027, 1, 5), D(2026, 12, 30)),
    Case("darlington", "report_to_parents_before_conference",
         "report to parents at least two working days before the ICPC (Tue 5 Jan 2027: 31 Dec 2026)",
         "at least two working days in advance of Initial Child Protection Conferences",
         D(2027, 1, 5), D(2026, 12, 31)),
    Case("darlington", "exclusion_request_notice",
         "exclusion representation at least three working days before the conference (Tue 30 Mar 2027: 23 Mar)",
         "at least three working days in advance of the conference", D(2027, 3, 30), D(2027, 3, 23)),
    Case("darlington", "split_conference_letter_notice",
         "split conference: write to parents at least three working days before (Mon 4 Jan 2027: 29 Dec 2026)",
         "at least three working days before the conference", D(2027, 1, 4), D(2026, 12, 29)),
    Case("darlington", "unborn_conference_before_due_date",
         "unborn conference ideally at least 3 months before the due date (31 May 2027: 28 Feb 2027)",
         "at least 3 months before the due date of delivery", D(2027, 5, 31), D(2027, 2, 28)),
    Case("darlington", "transfer_in_conference_within",
         "transfer conference within 15 working days of the agreement between the two authorities "
         "(23 Dec 2026: 18 Jan 2027)",
         "within 15 working days of the agreement between the two authorities", D(2026, 12, 23), D(2027, 1, 18)),
    Case("darlington", "transfer_report_before_conference",
         "originating social worker's report at least five working days before the transfer conference "
         "(Tue 5 Jan 2027: 24 Dec 2026)",
         "at least five working days before the conference", D(2027, 1, 5), D(2026, 12, 24)),
    Case("darlington", "inquorate_conference_reconvened_within",
         "another conference date, usually within a month (adjourned 31 Jan 2027: 28 Feb)",
         "usually within a month", D(2027, 1, 31), D(2027, 2, 28)),
    Case("darlington", "decision_circulated",
         "decisions circulated to all those invited within two working days (Thu 24 Dec 2026: 30 Dec)",
         "circulated to all those invited within two working days", D(2026, 12, 24), D(2026, 12, 30)),
    Case("darlington", "outline_plan_circulated",
         "the outline plan circulated with the decision within two working days (Thu 25 Mar 2027: 31 Mar)",
         "the outline Child Protection Plan are to be circulated", D(2027, 3, 25), D(2027, 3, 31)),
    Case("darlington", "record_shared",
         "conference record sent within 20 working days of the conference (17 Dec 2026: 19 Jan 2027)",
         "within 20 working days of the conference", D(2026, 12, 17), D(2027, 1, 19)),
    Case("darlington", "record_amendments",
         "amendments within 10 working days of the receipt of the record (received 17 Dec 2026: 5 Jan 2027)",
         "within 10 working days of the receipt of that record", D(2026, 12, 17), D(2027, 1, 5)),
    Case("darlington", "first_core_group",
         "core group within 10 working days from the ICPC (18 Mar 2027, over Easter: 5 Apr)",
         "meet within 10 working days from the Initial Child Protection Conference", D(2027, 3, 18), D(2027, 4, 5)),
    Case("darlington", "core_group_interval",
         "core groups thereafter every 20 working days (17 Dec 2026: 19 Jan 2027)",
         "thereafter every 20 working days", D(2026, 12, 17), D(2027, 1, 19)),
    Case("darlington", "visit_interval",
         "child seen at least every 10 working days (Mon 21 Dec 2026: Thu 7 Jan 2027)",
         "seen at least every 10 working days", D(2026, 12, 21), D(2027, 1, 7)),
    Case("darlington", "child_bedroom_seen_interval",
         "where the child sleeps seen at least every six weeks, holidays or not (21 Dec 2026: 1 Feb 2027)",
         "at least every six weeks", D(2026, 12, 21), D(2027, 2, 1)),
    Case("darlington", "first_review",
         "first review within 3 months (91 days) of the initial conference (1 Oct 2026: 31 Dec by 91 days, not 1 Jan)",
         "within 3 months (91 days) of the initial conference", D(2026, 10, 1), D(2026, 12, 31)),
    Case("darlington", "review_interval",
         "further reviews not more than 6 months (182 days) apart (1 Jul 2027: 30 Dec by 182 days, not 1 Jan)",
         "not more than 6 months (182 days)", D(2027, 7, 1), D(2027, 12, 30)),
    Case("darlington", "review_reports_before_conference",
         "report to the chair three working days before the review (Mon 4 Jan 2027: 29 Dec 2026)",
         "three working days in advance of the Review Child Protection Conference", D(2027, 1, 4), D(2026, 12, 29)),
    Case("darlington", "complaint_stage_1",
         "Service Manager responds to a complaint within 10 working days (18 Mar 2027: 5 Apr)",
         "will respond within 10 working days", D(2027, 3, 18), D(2027, 4, 5)),
    Case("darlington", "complaint_stage_2",
         "scrutineer confirms receipt within five working days (24 Dec 2026: 5 Jan 2027)",
         "within five working days to confirm that the matter has been received", D(2026, 12, 24), D(2027, 1, 5)),
    Case("darlington", "complaint_stage_3",
         "documents considered within fifteen working days of receipt (17 Dec 2026: 12 Jan 2027)",
         "within fifteen working days", D(2026, 12, 17), D(2027, 1, 12)),
    Case("darlington", "complaint_stage_4",
         "written response within thirty working days of the initial receipt (17 Dec 2026: 2 Feb 2027)",
         "within thirty working days of the initial receipt", D(2026, 12, 17), D(2027, 2, 2)),
    Case("darlington", "complaint_stage_5",
         "appeal subcommittee meets within twenty working days of the written notification (17 Dec 2026: 19 Jan 2027)",
         "within twenty working days of receipt of the written notification", D(2026, 12, 17), D(2027, 1, 19)),
    Case("darlington", "complaint_stage_6",
         "appeal outcome within a further five working days (25 Mar 2027, over Easter: 5 Apr)",
         "within a further five working days", D(2027, 3, 25), D(2027, 4, 5)),
    Case("darlington", "report_to_excluded_parent_before_conference",
         "an excluded parent has the report three working days before an Initial Conference "
         "(Tue 5 Jan 2027: 30 Dec 2026)",
         "three working days before an Initial Conference", D(2027, 1, 5), D(2026, 12, 30)),
    Case("darlington", "report_to_excluded_parent_before_review",
         "an excluded parent has the report five working days before a Review Conference "
         "(Tue 30 Mar 2027, over Easter: 19 Mar)",
         "five working days before a Review Conference", D(2027, 3, 30), D(2027, 3, 19)),
    Case("darlington", "plan_distributed_after_core_group",
         "the plan distributed within five days of the Core Group meeting, calendar days "
         "(Mon 21 Dec 2026: Sat 26 Dec)",
         "distributed within five days of the Core Group meeting", D(2026, 12, 21), D(2026, 12, 26)),
    Case("darlington", "missing_child_traced",
         "an untraced child reported to the senior Child Protection Manager, immediately (Thu 25 Mar 2027: Tue 30 Mar)",
         "If the child cannot be traced", D(2027, 3, 25), D(2027, 3, 30)),

    # -- Birmingham procedures (Section 6) -----------------------------------------------------
    Case("birmingham", "icpc_within",
         "3.2 ICPC within 15 working days of the strategy discussion (23 Dec 2026: 18 Jan 2027)",
         "within **15 working days** of the strategy discussion", D(2026, 12, 23), D(2027, 1, 18)),
    Case("birmingham", "icpc_invitation_notice",
         "3.1 written invitation with a minimum of 5 working days notice (Tue 5 Jan 2027: 24 Dec 2026)",
         "minimum of 5 working days notice", D(2027, 1, 5), D(2026, 12, 24)),
    Case("birmingham", "report_to_chair_before_conference",
         "3.13 report to the chair at least 24 hours before, weekend or not (Mon 4 Jan 2027: Sun 3 Jan)",
         "At least 24 hours before the conference", D(2027, 1, 4), D(2027, 1, 3)),
    Case("birmingham", "report_to_parents_before_conference",
         "3.13 report to the parents at least 24 hours before, holiday or not (Tue 30 Mar 2027: Easter Monday 29 Mar)",
         "the parents and, if appropriate, the child", D(2027, 3, 30), D(2027, 3, 29)),
    Case("birmingham", "decision_circulated",
         "6.2 decision notified to all invited within one working day (Thu 24 Dec 2026: Tue 29 Dec)",
         "within one working day", D(2026, 12, 24), D(2026, 12, 29)),
    Case("birmingham", "absent_parents_told",
         "4.7 absent parents told by the end of the next working day (Thu 31 Dec 2026: Mon 4 Jan 2027)",
         "by the end of the next working day", D(2026, 12, 31), D(2027, 1, 4)),
    Case("birmingham", "outline_plan_circulated",
         "6.3 plan circulated to core group members within five working days (24 Dec 2026: 5 Jan 2027)",
         "Within five working days after the conference", D(2026, 12, 24), D(2027, 1, 5)),
    Case("birmingham", "first_core_group",
         "5.7 first core group within 10 days of the ICPC, calendar days (Thu 24 Dec 2026: Sun 3 Jan 2027)",
         "within 10 days of the initial conference", D(2026, 12, 24), D(2027, 1, 3)),
    Case("birmingham", "first_review",
         "5.7 first review within 3 months of the ICPC (31 Aug 2027: 30 Nov)",
         "within 3 months of the initial conference", D(2027, 8, 31), D(2027, 11, 30)),
    Case("birmingham", "disagreement_stage_1",
         "7.1 final decision on a disagreement about not holding an ICPC within 10 working days of receipt "
         "(18 Mar 2027: 5 Apr)",
         "within 10 working days of receipt of the request", D(2027, 3, 18), D(2027, 4, 5)),
    Case("birmingham", "disagreement_stage_2",
         "7.3 another conference, if required, within 15 working days (18 Mar 2027: 12 Apr)",
         "this will be held within 15 working days", D(2027, 3, 18), D(2027, 4, 12)),
    Case("birmingham", "complaint_informal_resolution",
         "8.6 chair resolves a complaint informally within 14 days, calendar days (17 Dec 2026: 31 Dec)",
         "informally within 14 days", D(2026, 12, 17), D(2026, 12, 31)),
    Case("birmingham", "complaint_panel",
         "8.11 panel's letter within 28 days of the formal written complaint (1 Feb 2027: 1 Mar)",
         "within 28 days of the formal written complaint", D(2027, 2, 1), D(2027, 3, 1)),

    Case("birmingham", "record_circulated_before_next_review",
         "6.3 record circulated no later than six weeks before the next review (Thu 11 Feb 2027: 31 Dec 2026)",
         "no later than six weeks before the next review conference", D(2027, 2, 11), D(2026, 12, 31)),

    # -- Staffordshire procedures (Part 6) -----------------------------------------------------
    Case("staffordshire", "transfer_in_conference_within",
         "63 receiving-in conference within 15 working days of the child's move (18 Mar 2027: 12 Apr)",
         "within 15 working days", D(2027, 3, 18), D(2027, 4, 12)),
    Case("staffordshire", "first_core_group",
         "8 first core group within ten working days of the ICPC (24 Dec 2026: 12 Jan 2027)",
         "within ten working days of the initial child protection conference", D(2026, 12, 24), D(2027, 1, 12)),
    Case("staffordshire", "core_group_interval",
         "11 core group at least at six-weekly intervals (17 Dec 2026: 28 Jan 2027)",
         "at least at six-weekly intervals", D(2026, 12, 17), D(2027, 1, 28)),
    Case("staffordshire", "core_assessment",
         "3 core assessment within a maximum of 35 days (28 Jan 2027: 4 Mar)",
         "within a maximum of 35 days", D(2027, 1, 28), D(2027, 3, 4)),
    Case("staffordshire", "plan_lodged_with_chair",
         "20 plan lodged with the independent Chairperson within six weeks of the conference (24 Dec 2026: 4 Feb 2027)",
         "within six weeks of the conference", D(2026, 12, 24), D(2027, 2, 4)),
    Case("staffordshire", "visit_interval",
         "23 child seen and spoken to three weekly (24 Dec 2026: 14 Jan 2027)",
         "should be regarded as three weekly", D(2026, 12, 24), D(2027, 1, 14)),
    Case("staffordshire", "first_review",
         "32 first review within three months of the ICPC (31 Mar 2027: 30 Jun)",
         "held within three months of the initial child protection conference", D(2027, 3, 31), D(2027, 6, 30)),
    Case("staffordshire", "review_interval",
         "32 further reviews at intervals of not more than six months (31 Dec 2027: 30 Jun 2028)",
         "not more than six months", D(2027, 12, 31), D(2028, 6, 30)),
    Case("staffordshire", "review_invitation_notice",
         "34 review invitations at least two weeks in advance (Thu 7 Jan 2027: 24 Dec 2026)",
         "at least two weeks in advance of the meeting", D(2027, 1, 7), D(2026, 12, 24)),
    Case("staffordshire", "review_reports_before_conference",
         "38 reports to parents and the Chairperson five working days prior to the review "
         "(Thu 1 Apr 2027, over Easter: 23 Mar)",
         "five working days prior to the review", D(2027, 4, 1), D(2027, 3, 23)),

    # -- Sefton procedures (6.1.4) -------------------------------------------------------------
    Case("sefton", "exclusion_request_notice",
         "exclusion representation if possible at least 3 working days in advance (Mon 4 Jan 2027: 29 Dec 2026)",
         "if possible at least 3 working days in advance", D(2027, 1, 4), D(2026, 12, 29)),
    Case("sefton", "first_review",
         "first review within 3 months of the date of the ICPC (30 Nov 2026: 28 Feb 2027)",
         "within 3 months of the date of the initial child protection conference", D(2026, 11, 30), D(2027, 2, 28)),
    Case("sefton", "review_interval",
         "further reviews at intervals of not more than 6 months (31 Mar 2027: 30 Sep)",
         "intervals of not more than 6 months", D(2027, 3, 31), D(2027, 9, 30)),
    Case("sefton", "review_reports_before_conference",
         "report to the parents 3 days before the review, calendar days (Tue 29 Dec 2026: Sat 26 Dec)",
         "3 days before the Review Conference", D(2026, 12, 29), D(2026, 12, 26)),

    # -- Local guide for social workers --------------------------------------------------------
    Case("local-guide", "icpc_booking_consultation",
         "booking consultation within 2 working days of the request (Thu 24 Dec 2026: Wed 30 Dec)",
         "within 2 working days of this being requested", D(2026, 12, 24), D(2026, 12, 30)),
    Case("local-guide", "report_to_parents_before_conference",
         "report shared with the family a minimum of two working days before the ICPC (Tue 30 Mar 2027: 24 Mar)",
         "a minimum of two working days prior to the ICPC/ RCPC", D(2027, 3, 30), D(2027, 3, 24)),
    Case("local-guide", "record_completed",
         "minutes completed within 11 working days of the conference (17 Dec 2026: 6 Jan 2027)",
         "completed within 11 working days of the Conference", D(2026, 12, 17), D(2027, 1, 6)),
    Case("local-guide", "record_shared",
         "minutes shared by the social worker within 20 working days (17 Dec 2026: 19 Jan 2027)",
         "Shared by the Social Worker within 20 working days", D(2026, 12, 17), D(2027, 1, 19)),
    Case("local-guide", "grading_escalation",
         "grading 0-2 escalated within 24 hours of the conference, Christmas or not (24 Dec 2026: 25 Dec)",
         "within 24 hours of the ICPC/ RCPC", D(2026, 12, 24), D(2026, 12, 25)),
    Case("local-guide", "first_visit",
         "initial visit within 2 working days of the ICPC (Thu 24 Dec 2026: Wed 30 Dec)",
         "within 2 working days of the ICPC", D(2026, 12, 24), D(2026, 12, 30)),
    Case("local-guide", "visit_interval",
         "visits every 10 working days thereafter (18 Mar 2027, over Easter: 5 Apr)",
         "every 10 working days thereafter", D(2027, 3, 18), D(2027, 4, 5)),
    Case("local-guide", "child_bedroom_seen_interval",
         "bedrooms observed every visit, so every 10 working days (23 Dec 2026: 11 Jan 2027)",
         "bedrooms should also be observed every visit", D(2026, 12, 23), D(2027, 1, 11)),
    Case("local-guide", "first_core_group",
         "core group within 10 working days of the ICPC (23 Dec 2026: 11 Jan 2027)",
         "within 10 working days of the ICPC", D(2026, 12, 23), D(2027, 1, 11)),
    Case("local-guide", "core_group_interval",
         "core groups every 28 days thereafter (1 Feb 2027: 1 Mar)",
         "every 28 days thereafter", D(2027, 2, 1), D(2027, 3, 1)),
    Case("local-guide", "core_group_after_review",
         "core group within 28 days of an RCPC (17 Dec 2026: 14 Jan 2027)",
         "within 28 days of an RCPC", D(2026, 12, 17), D(2027, 1, 14)),
    Case("local-guide", "core_group_minutes",
         "core group minutes shared within 5 working days (25 Mar 2027, over Easter: 5 Apr)",
         "within 5 working days of the Core Group", D(2027, 3, 25), D(2027, 4, 5)),
    Case("local-guide", "significant_event_to_chair",
         "significant events to the CPC within 1 working day (Thu 31 Dec 2026: Mon 4 Jan 2027)",
         "notified of any significant events within 1 working day", D(2026, 12, 31), D(2027, 1, 4)),
    Case("local-guide", "first_review",
         "RCPC within 3 months of the ICPC (31 Aug 2027: 30 Nov)",
         "within 3 months of the ICPC", D(2027, 8, 31), D(2027, 11, 30)),
    Case("local-guide", "review_interval",
         "RCPC within 6 monthly thereafter (31 Mar 2027: 30 Sep)",
         "within 6 monthly thereafter", D(2027, 3, 31), D(2027, 9, 30)),
    Case("local-guide", "review_reports_before_conference",
         "review report shared with the family two working days before the RCPC (Mon 4 Jan 2027: 30 Dec 2026)",
         "a minimum of two working days prior to the ICPC/ RCPC", D(2027, 1, 4), D(2026, 12, 30)),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_rule_counts_the_date_its_sentence_gives(case: Case) -> None:
    profile = load_profile(case.profile)
    rule = profile.rule(case.rule)
    assert case.says in rule.citation.quote, f"{case.rule} no longer quotes {case.says!r}: {rule.citation.quote!r}"
    counted = calendar_of(profile).due(case.anchor, rule)
    assert counted.due == case.due, counted.reason


@pytest.mark.parametrize("profile_id", profile_ids())
def test_every_rule_a_profile_states_has_a_worked_example(profile_id: str) -> None:
    stated = own_rule_keys(profile_id)
    cased = {case.rule for case in CASES if case.profile == profile_id}
    assert not stated - cased, f"{profile_id}: rules with no case in test_every_rule.py: {sorted(stated - cased)}"
    assert not cased - stated, f"{profile_id}: cases for rules the profile no longer states: {sorted(cased - stated)}"


def test_each_rule_has_one_case_and_every_case_names_its_own_sentence() -> None:
    keys = [(case.profile, case.rule) for case in CASES]
    assert len(keys) == len(set(keys))
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
