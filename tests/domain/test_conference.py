"""A conference's rules, without Temporal: each comes from the authority's own procedure, cited.

A rule one authority's document states (who must be invited, quoracy, exclusion, a split
conference's break, the majority, the parents' copy, a low grading) is an option of that
authority's profile, so a conference on another profile never applies it. "Must" refuses;
"should" / "if possible" accepts and says in the record what was short.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain import conference
from domain.calendar import add_months
from domain.conference import (
    AmendmentsReceived,
    ChildDecision,
    ConferenceHeld,
    ConferenceKind,
    ConferenceStart,
    ConferenceState,
    ConferenceTask,
    ConferenceTaskDone,
    ExclusionDecided,
    ExclusionRequested,
    InvitationsSent,
    Invitee,
    SplitArranged,
)
from domain.deadlines import DeadlineStatus, calendar_of
from domain.events import ConferenceBooked
from domain.legacy import with_hard_coded_rules
from domain.plan import InvalidEvent
from shipped.profiles import load_profile

MEETING = date(2027, 1, 20)  # a Wednesday


def convening(policy: str = "birmingham", case_refs=("CASE-0001",), kind=ConferenceKind.INITIAL, profile=None):
    profile = profile or load_profile(policy)
    start = ConferenceStart(conference_ref="ICPC-0001", kind=kind, case_refs=list(case_refs),
                            profile=profile, requested_on=date(2027, 1, 6), meeting_on=MEETING,
                            chair_ref="CPC-0042", booked_by_event="book-1")
    state = ConferenceState(conference_ref="ICPC-0001", kind=start.kind, case_refs=list(case_refs),
                            policy=profile.pin, meeting_on=MEETING)
    conference.open_convening(state, profile, start)
    return state, profile, start


def send(convened, event):
    """Check, then apply, as the conference workflow does."""
    state, profile, start = convened
    conference.check(state, profile, event, start)
    return conference.apply(state, profile, event, start)


def refused(convened, event, match: str) -> None:
    state, profile, start = convened
    with pytest.raises(InvalidEvent, match=match):
        conference.check(state, profile, event, start)


def meeting(agencies: list[str], **kwargs) -> ConferenceHeld:
    return ConferenceHeld(event_id="h", held_on=MEETING, childrens_social_care_present=True,
                          other_agencies_present=agencies, parents_present=True, **kwargs)


def plan(**votes) -> ChildDecision:
    votes = votes or {"agencies_for_plan": 4, "agencies_against_plan": 0}
    return ChildDecision(case_ref="CASE-0001", plan=True, category="neglect", **votes)


def open_rows(state) -> dict:
    return {row.kind: row for row in state.deadlines if row.status is DeadlineStatus.OPEN}


def booking(independent: bool) -> ConferenceBooked:
    return ConferenceBooked(event_id="b", booked_on=date(2027, 1, 6), conference_ref="ICPC-0001", kind="initial",
                            meeting_on=MEETING, chair_ref="SW-1042", chair_independent_of_the_case=independent)


# -- Booking ---------------------------------------------------------------------------


@pytest.mark.parametrize("policy, cited", [
    ("birmingham", "Birmingham procedures (Section 6), 3.6"),
    ("darlington", "Darlington procedures, Chairing of Conferences"),
    ("sefton", "Sefton procedures, 6.1.4"),
    ("staffordshire", "Working Together to Safeguard Children 2023"),
])
def test_the_chair_must_be_independent_of_the_case_under_each_procedure_and_working_together(policy, cited) -> None:
    # Birmingham 3.6: "will provide a chair who is independent of operational or line management
    # responsibilities for the case"; Working Together says so for every authority.
    conference.check_booking(load_profile(policy), booking(independent=True))
    with pytest.raises(InvalidEvent, match="independent of the case") as refusal:
        conference.check_booking(load_profile(policy), booking(independent=False))
    assert cited in str(refusal.value)


# -- Invitations --------------------------------------------------------------------------


def test_darlington_the_originating_lead_social_worker_must_be_invited_to_a_transfer_conference() -> None:
    # "The lead social worker from the originating authority must be invited to the transfer conference"
    convened = convening("darlington", kind=ConferenceKind.TRANSFER_IN)
    refused(convened, InvitationsSent(event_id="i", sent_on=date(2027, 1, 7), invitees=[Invitee(role="mother")]),
            r"originating authority.*Darlington procedures, Transfer Child Protection Conference")
    send(convened, InvitationsSent(event_id="i", sent_on=date(2027, 1, 7),
                                   invitees=[Invitee(role="mother"), Invitee(role="Originating authority")]))
    # Another authority's transfer conference is not held to Darlington's list.
    send(convening("local-guide", kind=ConferenceKind.TRANSFER_IN),
         InvitationsSent(event_id="i", sent_on=date(2027, 1, 7), invitees=[Invitee(role="mother")]))


def test_birmingham_an_unborn_childs_conference_must_invite_midwifery_and_the_paediatric_service() -> None:
    # 3.8: "If the conference concerns an unborn child, an invitation must also be sent to the midwifery
    # service and the paediatric service."
    convened = convening("birmingham", kind=ConferenceKind.PRE_BIRTH)
    refused(convened, InvitationsSent(event_id="i", sent_on=date(2027, 1, 7),
                                      invitees=[Invitee(role="mother"), Invitee(role="midwifery")]),
            r"'paediatric service'.*Birmingham procedures \(Section 6\), 3.8")
    send(convened, InvitationsSent(event_id="i", sent_on=date(2027, 1, 7), invitees=[
        Invitee(role="mother"), Invitee(role="midwifery"), Invitee(role="paediatric service")]))


def test_darlington_midwifery_and_neo_natal_services_should_be_invited_to_an_unborn_childs_conference() -> None:
    # "In addition representatives of the midwifery and relevant neo-natal services should also be
    # invited.": "should", so the invitations stand and the record says who was left out.
    convened = convening("darlington", kind=ConferenceKind.PRE_BIRTH)
    effect = send(convened, InvitationsSent(event_id="i", sent_on=date(2027, 1, 7), invitees=[Invitee(role="mother")]))
    assert effect.details["not_invited"] == ["midwifery", "neo-natal services"]
    assert "Darlington procedures, Unborn Child Protection Conference" in effect.summary


def test_local_guide_a_child_over_8_should_be_offered_an_independent_advocate() -> None:
    # "Any children over the age of 8 should be offered the opportunity for their views to be represented
    # via an independent advocate": recorded when not, never refused; other authorities do not ask it.
    invitations = InvitationsSent(event_id="i", sent_on=date(2027, 1, 7), child_over_8=True,
                                  invitees=[Invitee(role="mother"), Invitee(role="child")])
    effect = send(convening("local-guide"), invitations)
    assert effect.details["advocacy_not_offered"] is True
    assert "Local guide for social workers, What is a Child Protection Conference?" in effect.summary
    assert "advocacy_not_offered" not in send(convening("darlington"), invitations).details
    offered = invitations.model_copy(update={"invitees": [Invitee(role="child", advocacy_offered=True)]})
    assert "advocacy_not_offered" not in send(convening("local-guide"), offered).details


# -- Exclusion ----------------------------------------------------------------------------------


def exclusion(on: date, grounds=("presence_would_prejudice_the_childs_welfare",)) -> ExclusionRequested:
    return ExclusionRequested(event_id=f"ex-{on}", requested_on=on, parent_role="father", grounds=list(grounds))


def test_darlington_an_exclusion_request_must_reach_the_chair_three_working_days_before() -> None:
    # "This representation must be made, as soon as possible and at least three working days in advance"
    convened = convening("darlington")
    refused(convened, exclusion(date(2027, 1, 18)),
            r"must reach the chair by 2027-01-15 .*Darlington procedures, Exclusion of Family Members")
    send(convened, exclusion(date(2027, 1, 15)))


def test_sefton_an_exclusion_request_if_possible_three_working_days_before_is_accepted_late_and_marked_late() -> None:
    # "representation must be made, if possible at least 3 working days in advance, to the conference chair"
    effect = send(convening("sefton"), exclusion(date(2027, 1, 18)))
    assert effect.details["late"] is True and effect.details["due"] == "2027-01-15"
    assert "Sefton procedures, 6.1.4" in effect.summary


def test_the_grounds_for_exclusion_are_the_procedures_own() -> None:
    state, profile, start = convening("darlington")
    grounds = profile.options["exclusion_grounds"]
    narrower = profile.model_copy(update={"options": {**profile.options, "exclusion_grounds": grounds.model_copy(
        update={"value": ["presence_would_prejudice_the_childs_welfare"]})}})
    refused((state, narrower, start), exclusion(date(2027, 1, 6), ["conflict_between_family_members"]),
            "not a ground for excluding a parent in this procedure: conflict between family members")


def test_darlington_the_chairs_exclusion_decision_is_due_before_the_conference_and_confirmed_in_writing() -> None:
    # "If the chair has decided, prior to the conference, to exclude a parent, this must be communicated to the
    # parent prior to conference, ideally in writing. If this is not possible then the Chair must still confirm
    # in writing the reasons for their decision."
    convened = convening("darlington")
    send(convened, exclusion(date(2027, 1, 6)))
    assert open_rows(convened[0])["exclusion_decision"].due == date(2027, 1, 19)
    refused(convened, ExclusionDecided(event_id="d", decided_on=date(2027, 1, 7), excluded=True,
                                       communicated_in_writing=False), "in writing.*Darlington procedures")


def test_birmingham_sets_no_date_for_the_exclusion_decision_and_does_not_refuse_one_given_in_person() -> None:
    convened = convening("birmingham")
    send(convened, exclusion(date(2027, 1, 6)))
    assert "exclusion_decision" not in open_rows(convened[0])
    send(convened, ExclusionDecided(event_id="d", decided_on=date(2027, 1, 7), excluded=False,
                                    communicated_in_writing=False))
    refused(convened, ExclusionDecided(event_id="d2", decided_on=date(2027, 1, 8), excluded=False,
                                       communicated_in_writing=False), "no exclusion request waiting")


@pytest.mark.parametrize("kind, working_days", [(ConferenceKind.INITIAL, 3), (ConferenceKind.REVIEW, 5)])
def test_darlington_an_excluded_parent_gets_the_report_three_working_days_before_an_initial_and_five_before_a_review(
    kind, working_days,
) -> None:
    # "Those excluded should be provided with a copy of the social worker's report to the conference (three
    # working days before an Initial Conference and five working days before a Review Conference)"
    convened = convening("darlington", kind=kind)
    send(convened, exclusion(date(2027, 1, 6)))
    send(convened, ExclusionDecided(event_id="d", decided_on=date(2027, 1, 7), excluded=True,
                                    communicated_in_writing=True))
    row = open_rows(convened[0])["report_to_excluded_parent"]
    assert row.due == calendar_of(convened[1]).add_working_days(MEETING, -working_days)
    assert "Darlington procedures, Exclusion of Family Members from a Conference" in row.reason
    # "should": a copy given late is taken, marked late.
    send(convened, ConferenceTaskDone(event_id="t", task=ConferenceTask.REPORT_TO_EXCLUDED_PARENT,
                                      done_on=date(2027, 1, 19)))
    assert convened[0].deadline("report_to_excluded_parent").status is DeadlineStatus.MET_LATE


# -- Split conference --------------------------------------------------------------------------


def test_darlington_a_split_conference_should_have_at_least_a_30_minute_break_recorded_when_shorter() -> None:
    # "There should be at least a 30-minute break between each part of a conference"
    effect = send(convening("darlington"), SplitArranged(event_id="s", arranged_on=date(2027, 1, 7), gap_minutes=20))
    assert effect.details["gap_short_of"] == 30
    assert "Darlington procedures, Split Child Protection Conferences" in effect.summary
    effect = send(convening("birmingham"), SplitArranged(event_id="s", arranged_on=date(2027, 1, 7), gap_minutes=20))
    assert "gap_short_of" not in effect.details


# -- The meeting ------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["darlington", "birmingham", "sefton"])
def test_quorate_means_childrens_social_care_and_two_other_agencies_where_the_procedure_says_so(policy) -> None:
    profile = load_profile(policy)
    assert conference.is_quorate(profile, meeting(["school", "GP"]))
    assert not conference.is_quorate(profile, meeting(["school", "school"]))
    assert not conference.is_quorate(profile, meeting(["school"]))


def test_a_procedure_that_sets_no_quorum_does_not_refuse_a_small_conference() -> None:
    convened = convening("local-guide")
    assert conference.is_quorate(convened[1], meeting(["school"]))
    send(convened, meeting(["school"], decisions=[plan()]))


def test_birmingham_the_chair_proceeds_inquorate_only_for_a_child_not_in_contact_with_three_agencies() -> None:
    # 3.12: "In exceptional cases, where a child has not had relevant contact with three agencies, the chair has
    # discretion to proceed" and "The chair will notify the Assistant Director/Safeguarding"
    convened = convening("birmingham")
    refused(convened, meeting(["school"], decisions=[plan()], inquorate_action="proceed",
                              inquorate_reason="csc_and_one_other_agency"),
            r"only where: child not in contact with three agencies \(Birmingham procedures \(Section 6\), 3.12\)")
    effect = send(convened, meeting(["school"], decisions=[plan()], inquorate_action="proceed",
                                    inquorate_reason="child_not_in_contact_with_three_agencies"))
    [told] = effect.notices
    assert told.role == "assistant_director" and "3.12" in told.body
    assert "consider_early_review" not in effect.details


def test_darlington_proceeding_inquorate_considers_an_early_review_and_tells_no_assistant_director() -> None:
    # "In these circumstances, consideration should be given to arranging an early Review Conference."
    effect = send(convening("darlington"), meeting(["school"], decisions=[plan()], inquorate_action="proceed",
                                                   inquorate_reason="csc_and_one_other_agency"))
    assert effect.details["consider_early_review"] is True
    assert effect.notices == []


def test_birmingham_the_decision_follows_the_majority_of_agencies() -> None:
    # 5.4: "the decision will be made on the majority of agencies invited to the conference"
    wrong = ChildDecision(case_ref="CASE-0001", plan=False, agencies_for_plan=3, agencies_against_plan=1)
    refused(convening("birmingham"), meeting(["school", "GP"], decisions=[wrong]), r"majority.*5.4")


def test_darlington_the_chair_makes_the_decision_having_heard_the_agencies() -> None:
    # "(S)he will consult conference members, aim for a consensus ... but ultimately will make the decision
    # and note any dissenting views."
    chairs_call = ChildDecision(case_ref="CASE-0001", plan=False, agencies_for_plan=3, agencies_against_plan=1,
                                dissent=["school", "GP", "health visitor"])
    send(convening("darlington"), meeting(["school", "GP"], decisions=[chairs_call]))


def test_local_guide_a_grading_of_0_to_2_is_escalated_to_the_service_manager_and_elsewhere_not() -> None:
    # "The CPC is responsible for escalating to the Service Manager any children whereby the overall grading
    # is between 0-2."
    convened = convening("local-guide")
    effect = send(convened, meeting(["school", "GP"], decisions=[plan()], grading=1))
    assert {"record_completed", "record_shared"} <= set(open_rows(convened[0]))
    [escalated] = effect.notices
    assert escalated.role == "service_manager"
    assert escalated.body.startswith("Local guide for social workers, What happens during and after")
    assert send(convening("darlington"), meeting(["school", "GP"], decisions=[plan()], grading=1)).notices == []


# -- After the meeting ---------------------------------------------------------------------------


def test_birmingham_the_record_is_circulated_no_later_than_six_weeks_before_the_next_review() -> None:
    # 6.3: "They will circulate the record of the conference no later than six weeks before the next review
    # conference." The first review is within 3 months of the initial conference (5.7).
    convened = convening("birmingham")
    send(convened, meeting(["school", "GP"], decisions=[plan()]))
    row = open_rows(convened[0])["record_shared"]
    assert row.rule == "record_circulated_before_next_review"
    assert row.due == add_months(MEETING, 3) - timedelta(weeks=6) == date(2027, 3, 9)
    assert "Birmingham procedures (Section 6), 6.3" in row.reason and "next review is due by 2027-04-20" in row.reason


def test_darlington_amendments_run_from_receipt_of_the_record_not_from_their_arrival() -> None:
    # "Any amendment to accuracy of record should be sent, in writing, within 10 working days of the receipt
    # of that record to the chair."
    convened = convening("darlington")
    state, profile, _ = convened
    send(convened, meeting(["school", "GP"], decisions=[plan()]))
    refused(convened, AmendmentsReceived(event_id="a", received_on=MEETING), "once it has been shared")
    shared_on = date(2027, 2, 3)
    send(convened, ConferenceTaskDone(event_id="t", task=ConferenceTask.RECORD_SHARED, done_on=shared_on))
    window = open_rows(state)[conference.AMENDMENTS_WINDOW]
    assert window.due == calendar_of(profile).add_working_days(shared_on, 10) == date(2027, 2, 17)
    assert conference.reminder_day(profile, window) is None  # nobody owes it
    effect = send(convened, AmendmentsReceived(event_id="a", received_on=date(2027, 2, 10)))
    assert effect.details == {"due": "2027-02-17", "late": False}
    assert "Darlington procedures, Conference Record" in effect.summary


def test_a_journey_begun_before_the_change_keeps_counting_amendments_from_their_arrival() -> None:
    profile = with_hard_coded_rules(load_profile("darlington"))
    convened = convening(profile=profile)
    send(convened, meeting(["school", "GP"], decisions=[plan()]))
    send(convened, AmendmentsReceived(event_id="a", received_on=date(2027, 1, 25)))
    assert open_rows(convened[0])["record_amendments"].anchor == date(2027, 1, 25)


def test_darlington_marks_the_parents_copy_of_the_record_and_birmingham_does_not_say_so() -> None:
    # "The parents' copy of the conference record should be clearly 'marked ' on all pages"
    for policy, marked in (("darlington", True), ("local-guide", False)):
        convened = convening(policy)
        send(convened, meeting(["school", "GP"], decisions=[plan()]))
        effect = send(convened, ConferenceTaskDone(event_id="t", task=ConferenceTask.RECORD_SHARED,
                                                   done_on=date(2027, 2, 1)))
        assert effect.details.get("parents_copy_marked", False) is marked, policy


# -- Reports before a review ---------------------------------------------------------------------


@pytest.mark.parametrize("policy, chair, parents", [
    ("darlington", "review_reports_before_conference", "report_to_parents_before_conference"),
    ("sefton", None, "review_reports_before_conference"),
    ("local-guide", None, "review_reports_before_conference"),
    ("staffordshire", "review_reports_before_conference", "review_reports_before_conference"),
])
def test_the_reports_before_a_review_go_where_each_procedure_says(policy, chair, parents) -> None:
    # Sefton 6.1.4: "This should be provided to the parents (and where appropriate the child) 3 days before
    # the Review Conference."; Staffordshire 38: "to parents/carers and to the independent Chairperson".
    rows = open_rows(convening(policy, kind=ConferenceKind.REVIEW)[0])
    assert (rows["report_to_chair"].rule if "report_to_chair" in rows else None) == chair
    assert rows["report_to_parents"].rule == parents


def test_birmingham_invites_five_working_days_ahead_and_reports_reach_the_chair_a_day_before() -> None:
    state, _, _ = convening("birmingham")
    due = {row.kind: row.due for row in state.deadlines}
    assert due["invitations"] == date(2027, 1, 13)
    assert due["report_to_chair"] == date(2027, 1, 19)  # 24 hours, counted as a day


def test_old_runs_keep_the_notices_every_authority_used_to_get() -> None:
    # A conference begun before rules came from profiles told the assistant director and the service manager
    # whatever the authority; on replay it must do the same.
    convened = convening(profile=with_hard_coded_rules(load_profile("sefton")))
    effect = send(convened, meeting(["school"], decisions=[plan()], grading=0, inquorate_action="proceed",
                                    inquorate_reason="csc_and_one_other_agency"))
    assert sorted(notice.role for notice in effect.notices) == ["assistant_director", "service_manager"]
