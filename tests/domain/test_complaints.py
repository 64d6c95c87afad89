"""Complaints, appeals and disagreements about a conference: the procedures, without Temporal.

Dates are counted by hand against the bank holidays of England (25 and 28 December 2026 and
1 January 2027 are not working days), so a wrong anchor or a wrong rule fails here.
"""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

import shipped  # noqa: F401  (registers the released profiles and calendars)
from domain.complaints import (
    AppealGroundsDecided,
    AppealOutcomeSent,
    AppealSubcommitteeMet,
    ChallengeKind,
    ComplaintClosed,
    ComplaintMade,
    ComplaintProcess,
    ComplaintStage,
    ComplaintStart,
    ConferenceReconvened,
    DisagreementRaised,
    DissatisfactionNotified,
    DocumentsConsidered,
    FileReviewed,
    FinalDecisionMade,
    FormalComplaintReceived,
    InformalResolutionEnded,
    PanelConvened,
    PanelDecided,
    ReceiptAcknowledged,
    ReferredToScrutineer,
    ScrutineerResponded,
    ServiceManagerResponded,
    apply,
    begin,
    challenge_row,
    check,
    complaint_process,
)
from domain import icpc
from domain.deadlines import DeadlineStatus
from domain.events import ConferenceBooked, IcpcHeld, StrategyDiscussion
from domain.state import IcpcToBeHeld, JourneyStart, JourneyState, Stage
from domain.plan import InvalidEvent
from domain.released import RELEASED, pinned
from shipped.profiles import load_profile

CASE = "CASE-0001"


def start(policy: str, opening) -> tuple:
    profile = load_profile(policy)
    return profile, ComplaintStart(complaint_ref="CMP-0001", case_ref=CASE, opening=opening, **pinned(profile))


def complaint(received_on=date(2026, 11, 2), complainant="parent", about=("plan_decision",), **extra) -> ComplaintMade:
    return ComplaintMade(event_id="c-1", received_on=received_on, complainant=complainant, about=list(about),
                         conference_ref="ICPC-0001", conference_chair_ref="CPC-0042", **extra)


def opened(policy: str, opening):
    profile, begun = start(policy, opening)
    state, effect = begin(profile, begun)
    return profile, state, effect


def step(state, profile, event):
    check(state, profile, event)
    return apply(state, profile, event)


def due(state, kind: str) -> date:
    return state.deadline(kind).due


# -- Which procedure ---------------------------------------------------------------------------


def test_each_authority_names_its_complaints_procedure_and_one_whose_document_gives_none_runs_the_baselines() -> None:
    assert complaint_process(load_profile("darlington")) is ComplaintProcess.DARLINGTON
    assert complaint_process(load_profile("birmingham")) is ComplaintProcess.BIRMINGHAM
    # Sefton's document names an appeals procedure but gives none: the baseline's, borrowed from Birmingham.
    sefton = load_profile("sefton")
    assert complaint_process(sefton) is ComplaintProcess.BIRMINGHAM
    assert sefton.options["complaint_process"].citation.source == "001_44af8c5cc8068718.txt"
    assert sefton.rules["complaint_panel"].note.startswith("Borrowed")


def test_a_journey_pinned_before_profiles_named_the_procedure_runs_the_one_whose_timescales_it_carries() -> None:
    assert complaint_process(RELEASED["darlington@2026.2"].profile) is ComplaintProcess.DARLINGTON
    assert complaint_process(RELEASED["birmingham@2026.1"].profile) is ComplaintProcess.BIRMINGHAM
    with pytest.raises(InvalidEvent, match="names no complaints procedure"):
        complaint_process(RELEASED["sefton@2026.1"].profile)


# -- Darlington (seed 000) -----------------------------------------------------------------------


@pytest.mark.parametrize("about", ["conference_process", "category", "plan_decision"])
def test_darlington_takes_a_complaint_about_the_process_the_category_or_the_plan_decision(about: str) -> None:
    _, state, effect = opened("darlington", complaint(about=[about]))
    assert state.stage is ComplaintStage.WITH_SERVICE_MANAGER
    # 10 working days: Monday 2 November to Monday 16 November.
    assert due(state, "complaint_response") == date(2026, 11, 16)
    assert state.deadline("complaint_response").reason.endswith("(Darlington procedures, Child Protection Conference Complaints)")
    letter = next(notice for notice in effect.notices if notice.role == "complainant")
    assert letter.body.startswith("To the parent:") and "the decision made by the conference stands" in letter.body


def test_darlington_refuses_a_complaint_about_an_agencys_own_service_and_says_where_it_goes() -> None:
    _, state, effect = opened("darlington", complaint(about=["plan_decision", "agency_service"]))
    assert state.stage is ComplaintStage.REFUSED and state.deadlines == []
    assert "that agency's own complaints process" in state.refused_because
    assert [notice.role for notice in effect.notices] == ["complainant"]
    assert "own complaints process" in effect.notices[0].body


def test_darlington_hears_the_child_a_parent_a_carer_a_practitioner_or_their_advocate_only() -> None:
    _, state, _ = opened("darlington", complaint(complainant="significant_person"))
    assert state.stage is ComplaintStage.REFUSED
    assert "child, a parent or carer, a practitioner, or their advocate" in state.refused_because
    _, state, _ = opened("darlington", complaint(complainant="practitioner"))
    assert state.stage is ComplaintStage.WITH_SERVICE_MANAGER


def test_darlington_the_scrutineers_three_timescales_all_run_from_its_receipt_of_the_complaint() -> None:
    profile, state, _ = opened("darlington", complaint())
    step(state, profile, ServiceManagerResponded(event_id="e-1", responded_on=date(2026, 11, 13)))
    effect = step(state, profile, ReferredToScrutineer(event_id="e-2", received_on=date(2026, 11, 23)))
    assert state.stage is ComplaintStage.WITH_INDEPENDENT_SCRUTINEER
    assert due(state, "complaint_acknowledgement") == date(2026, 11, 30)  # 5 working days
    assert due(state, "complaint_documents_considered") == date(2026, 12, 14)  # 15
    assert due(state, "complaint_written_response") == date(2027, 1, 7)  # 30, over Christmas
    assert effect.notices[0].role == "independent_scrutineer"
    step(state, profile, ReceiptAcknowledged(event_id="e-3", sent_on=date(2026, 11, 26)))
    with pytest.raises(InvalidEvent, match="already recorded"):
        check(state, profile, ReceiptAcknowledged(event_id="e-4", sent_on=date(2026, 11, 27)))
    step(state, profile, DocumentsConsidered(event_id="e-5", considered_on=date(2026, 12, 15)))
    assert state.deadline("complaint_documents_considered").status is DeadlineStatus.MET_LATE


def test_darlington_an_appeal_runs_through_the_subcommittee_to_the_ombudsman_route() -> None:
    profile, state, _ = opened("darlington", complaint())
    step(state, profile, ServiceManagerResponded(event_id="e-1", responded_on=date(2026, 11, 13)))
    step(state, profile, ReferredToScrutineer(event_id="e-2", received_on=date(2026, 11, 23)))
    effect = step(state, profile, ScrutineerResponded(event_id="e-3", responded_on=date(2027, 1, 6)))
    # A written response means receipt was confirmed and the documents considered by then.
    assert {state.deadline(kind).status for kind in ("complaint_acknowledgement", "complaint_documents_considered",
                                                     "complaint_written_response")} <= {DeadlineStatus.MET,
                                                                                         DeadlineStatus.MET_LATE}
    assert "appeal subcommittee will be convened" in effect.notices[0].body
    effect = step(state, profile, DissatisfactionNotified(event_id="e-4", notified_on=date(2027, 1, 11)))
    assert state.stage is ComplaintStage.APPEAL_GROUNDS
    assert due(state, "appeal_subcommittee") == date(2027, 2, 8)  # 20 working days of the written notification
    assert "independent person" in effect.notices[0].body
    step(state, profile, AppealGroundsDecided(event_id="e-5", decided_on=date(2027, 1, 15), grounds=True))
    step(state, profile, AppealSubcommitteeMet(event_id="e-6", met_on=date(2027, 2, 8), chaired_by_independent_person=True,
                                               members_with_no_involvement=2))
    assert due(state, "appeal_outcome") == date(2027, 2, 15)  # a further 5 working days
    effect = step(state, profile, AppealOutcomeSent(event_id="e-7", sent_on=date(2027, 2, 12), upheld=False))
    assert state.stage is ComplaintStage.CLOSED and state.ombudsman_route_given
    assert "Local Government Ombudsman" in next(n.body for n in effect.notices if n.role == "complainant")
    assert "safeguarding_partnership" in [notice.role for notice in effect.notices]  # the outcome is reported to DSP
    assert effect.for_journey is None  # Darlington's appeal never reopens the conference


def test_darlington_no_grounds_for_an_appeal_ends_the_procedure_with_the_ombudsman_route() -> None:
    profile, state, _ = opened("darlington", complaint())
    for event in (ServiceManagerResponded(event_id="e-1", responded_on=date(2026, 11, 13)),
                  ReferredToScrutineer(event_id="e-2", received_on=date(2026, 11, 23)),
                  ScrutineerResponded(event_id="e-3", responded_on=date(2027, 1, 6)),
                  DissatisfactionNotified(event_id="e-4", notified_on=date(2027, 1, 11))):
        step(state, profile, event)
    effect = step(state, profile, AppealGroundsDecided(event_id="e-5", decided_on=date(2027, 1, 15), grounds=False))
    assert state.stage is ComplaintStage.CLOSED and state.ombudsman_route_given
    assert state.deadline("appeal_subcommittee").status is DeadlineStatus.CANCELLED
    assert any("Ombudsman" in notice.body for notice in effect.notices)


def test_darlington_stages_follow_in_order_and_a_closed_complaint_takes_nothing() -> None:
    profile, state, _ = opened("darlington", complaint())
    with pytest.raises(InvalidEvent, match="stage with_service_manager, which waits for service_manager_responded"):
        check(state, profile, ReferredToScrutineer(event_id="e-1", received_on=date(2026, 11, 10)))
    with pytest.raises(InvalidEvent, match="before the complaint was received"):
        check(state, profile, ServiceManagerResponded(event_id="e-1", responded_on=date(2026, 10, 30)))
    step(state, profile, ServiceManagerResponded(event_id="e-1", responded_on=date(2026, 11, 13)))
    step(state, profile, ComplaintClosed(event_id="e-2", closed_on=date(2026, 11, 20), reason="satisfied"))
    with pytest.raises(InvalidEvent, match="closed"):
        check(state, profile, ReferredToScrutineer(event_id="e-3", received_on=date(2026, 11, 23)))


def test_darlington_an_appeal_subcommittee_has_an_independent_chair_and_two_uninvolved_members() -> None:
    with pytest.raises(ValidationError, match="two members who have not had any involvement"):
        AppealSubcommitteeMet(event_id="e-1", met_on=date(2027, 2, 8), chaired_by_independent_person=True,
                              members_with_no_involvement=1)
    with pytest.raises(ValidationError, match="in writing"):
        DissatisfactionNotified(event_id="e-1", notified_on=date(2027, 1, 11), in_writing=False)


# -- Birmingham (seed 001, 8) ---------------------------------------------------------------------


@pytest.mark.parametrize("complainant", ["parent", "child", "significant_person", "professional_acting_for_the_child"])
def test_birmingham_hears_those_8_3_names(complainant: str) -> None:
    _, state, _ = opened("birmingham", complaint(complainant=complainant))
    assert state.stage is ComplaintStage.INFORMAL_RESOLUTION


@pytest.mark.parametrize(("complainant", "about", "reason"), [
    ("invited_professional", "plan_decision", "invited to the conference is not eligible"),
    ("practitioner", "plan_decision", "raise a disagreement about the conference outcome"),
    ("parent", "agency_service", "referred to the agency concerned"),
    ("parent", "chair_not_following_procedures", "children's social care's complaints procedure"),
])
def test_birmingham_refuses_what_its_procedure_sends_elsewhere(complainant: str, about: str, reason: str) -> None:
    _, state, effect = opened("birmingham", complaint(complainant=complainant, about=[about]))
    assert state.stage is ComplaintStage.REFUSED
    assert reason in state.refused_because and "(Birmingham procedures (Section 6), " in state.refused_because
    assert reason in effect.notices[0].body


def test_birmingham_a_complaint_goes_to_the_chair_for_14_days_then_formally_to_the_assistant_director() -> None:
    profile, state, effect = opened("birmingham", complaint())
    assert [notice.role for notice in effect.notices] == ["conference_chair", "complainant"]
    assert "plan continues to operate" in effect.notices[1].body
    assert due(state, "complaint_informal_resolution") == date(2026, 11, 16)  # 14 calendar days
    with pytest.raises(InvalidEvent, match="the chair first attempts to resolve the complaint informally"):
        check(state, profile, FormalComplaintReceived(event_id="e-1", received_on=date(2026, 11, 10)))
    effect = step(state, profile, InformalResolutionEnded(event_id="e-1", ended_on=date(2026, 11, 12), resolved=False))
    assert state.stage is ComplaintStage.FORMAL_COMPLAINT_INVITED
    assert "formal written complaint" in effect.notices[0].body
    effect = step(state, profile, FormalComplaintReceived(event_id="e-2", received_on=date(2026, 11, 18)))
    assert effect.notices[0].role == "assistant_director"  # sent at once (8.7)
    assert due(state, "complaint_panel_decision") == date(2026, 12, 16)  # 28 days of the formal complaint
    with pytest.raises(InvalidEvent, match="panel of three first"):
        check(state, profile, PanelDecided(event_id="e-3", letter_sent_on=date(2026, 12, 1), upheld=True))
    with pytest.raises(ValidationError, match="three senior representatives"):
        PanelConvened(event_id="e-3", convened_on=date(2026, 11, 25), members=2, members_with_previous_involvement=0,
                      members_know_procedures=True)
    with pytest.raises(ValidationError, match="previous involvement"):
        PanelConvened(event_id="e-3", convened_on=date(2026, 11, 25), members=3, members_with_previous_involvement=1,
                      members_know_procedures=True)


def test_birmingham_a_formal_complaint_may_follow_an_informal_stage_that_ran_out() -> None:
    profile, state, _ = opened("birmingham", complaint())
    effect = step(state, profile, FormalComplaintReceived(event_id="e-1", received_on=date(2026, 11, 20)))
    assert state.deadline("complaint_informal_resolution").status is DeadlineStatus.MET_LATE
    assert effect.details["informal_stage_late"]


def _to_the_panel(policy: str = "birmingham"):
    profile, state, _ = opened(policy, complaint())
    step(state, profile, InformalResolutionEnded(event_id="e-1", ended_on=date(2026, 11, 12), resolved=False))
    step(state, profile, FormalComplaintReceived(event_id="e-2", received_on=date(2026, 11, 18)))
    step(state, profile, PanelConvened(event_id="e-3", convened_on=date(2026, 11, 25), members=3,
                                       members_with_previous_involvement=0, members_know_procedures=True))
    return profile, state


def test_birmingham_an_upheld_complaint_has_the_conference_reconvened_under_a_different_chair() -> None:
    profile, state = _to_the_panel()
    effect = step(state, profile, PanelDecided(event_id="e-4", letter_sent_on=date(2026, 12, 10), upheld=True,
                                               recommendations=["Reconsider the category"]))
    assert state.stage is ComplaintStage.TO_BE_RECONVENED
    assert {notice.role for notice in effect.notices} == {"complainant", "conference_chair", "team_manager"}
    # The panel cannot change the decision, the plan or the category: it hands the journey a conference to hold.
    assert effect.details["plan_unchanged_by_the_panel"]
    assert effect.for_journey.outcome == "reconvene_under_another_chair"
    assert effect.for_journey.not_chaired_by == "CPC-0042" and effect.for_journey.conference_ref == "ICPC-0001"
    with pytest.raises(InvalidEvent, match="different chair than CPC-0042"):
        check(state, profile, ConferenceReconvened(event_id="e-5", held_on=date(2026, 12, 17),
                                                   conference_ref="ICPC-0002", chair_ref="CPC-0042"))
    step(state, profile, ConferenceReconvened(event_id="e-5", held_on=date(2026, 12, 17), conference_ref="ICPC-0002",
                                              chair_ref="CPC-0077"))
    assert state.stage is ComplaintStage.CLOSED and state.reconvened_conference_ref == "ICPC-0002"


def test_birmingham_a_complaint_not_upheld_leaves_the_original_decision_in_place() -> None:
    profile, state = _to_the_panel()
    effect = step(state, profile, PanelDecided(event_id="e-4", letter_sent_on=date(2026, 12, 20), upheld=False))
    assert state.stage is ComplaintStage.CLOSED and effect.for_journey is None
    assert state.deadline("complaint_panel_decision").status is DeadlineStatus.MET_LATE  # due 16 December
    assert "decision of the original conference will remain" in effect.notices[-1].body


def test_birmingham_a_complaint_needs_the_chair_it_goes_to() -> None:
    opening = ComplaintMade(event_id="c-1", received_on=date(2026, 11, 2), complainant="parent", about=["category"])
    _, state, _ = opened("birmingham", opening)
    assert "passed to the chair of the conference" in state.refused_because


# -- Disagreements (seed 001, 7) ------------------------------------------------------------------


def disagreement(about: str, raised_by: str, **extra) -> DisagreementRaised:
    return DisagreementRaised(event_id="d-1", received_on=date(2026, 11, 2), about=about, raised_by=raised_by, **extra)


def test_an_agency_disputing_no_icpc_gets_a_final_decision_in_10_working_days_and_an_icpc_if_it_is_to_be_held() -> None:
    profile, state, effect = opened("birmingham", disagreement("icpc_not_held", "agency", agency="school"))
    assert state.kind is ChallengeKind.ICPC_NOT_HELD and state.stage is ComplaintStage.AWAITING_FINAL_DECISION
    assert due(state, "icpc_disagreement_decision") == date(2026, 11, 16)
    assert effect.notices[0].role == "assistant_head_child_protection"
    effect = step(state, profile, FinalDecisionMade(event_id="e-1", decided_on=date(2026, 11, 12), hold_icpc=True))
    assert state.stage is ComplaintStage.CLOSED
    assert effect.for_journey.outcome == "hold_icpc"
    assert effect.notices[0].role == "disagreeing_professional" and effect.notices[0].body.startswith("To the school:")


def test_only_an_agency_disputes_a_decision_not_to_hold_an_icpc() -> None:
    _, state, _ = opened("birmingham", disagreement("icpc_not_held", "professional"))
    assert "referred by an agency" in state.refused_because


def test_the_chair_may_raise_an_outcome_disagreement_and_another_conference_is_held_within_15_working_days() -> None:
    profile, state, _ = opened("darlington", disagreement("conference_outcome", "conference_chair"))
    assert state.stage is ComplaintStage.FILE_REVIEW and state.deadlines == []  # no timescale for the review itself
    effect = step(state, profile, FileReviewed(event_id="e-1", reviewed_on=date(2026, 11, 9), another_conference=True))
    assert due(state, "further_conference") == date(2026, 11, 30)  # 15 working days
    assert effect.for_journey.outcome == "another_conference" and effect.for_journey.hold_by == date(2026, 11, 30)
    assert effect.notices[0].role == "conference_chair"  # the chair raised it
    step(state, profile, ConferenceReconvened(event_id="e-2", held_on=date(2026, 11, 27), conference_ref="RCPC-0002",
                                              chair_ref="CPC-0042"))
    assert state.deadline("further_conference").status is DeadlineStatus.MET and state.stage is ComplaintStage.CLOSED


def test_a_file_review_finding_no_further_conference_closes_the_disagreement() -> None:
    profile, state, _ = opened("sefton", disagreement("conference_outcome", "professional", agency="health visitor"))
    effect = step(state, profile, FileReviewed(event_id="e-1", reviewed_on=date(2026, 11, 9), another_conference=False))
    assert state.stage is ComplaintStage.CLOSED and effect.for_journey is None


def test_parents_disagreeing_with_an_outcome_complain_and_an_agency_does_not_raise_an_outcome_disagreement() -> None:
    _, state, _ = opened("birmingham", disagreement("conference_outcome", "agency"))
    assert "parents and the child complain instead" in state.refused_because
    with pytest.raises(ValidationError, match="in writing"):
        disagreement("icpc_not_held", "agency", in_writing=False)


def test_every_challenge_event_describes_itself_with_a_valid_example_for_the_forms_and_the_api() -> None:
    from domain.complaints import COMPLAINT_EVENTS

    for model in (*COMPLAINT_EVENTS, ComplaintMade, DisagreementRaised):
        event = model.model_validate(model.example())
        assert event.day == getattr(event, model.date_field), model.__name__


# -- What the child's journey makes of a challenge ------------------------------------------------


def test_the_journey_lists_a_challenge_in_words_from_its_opening_to_its_end() -> None:
    profile, state, _ = opened("birmingham", complaint(about=("plan_decision", "category")))
    row = challenge_row(state)
    assert row.about == ("Complaint by the parent about the decision to make, continue or not make a plan and the "
                         "category of concern (conference ICPC-0001)")
    # 14 calendar days from Monday 2 November.
    assert row.stage == "with the conference chair, for informal resolution; chair's informal resolution of the " \
                        "complaint due by 2026-11-16"
    assert row.open and row.outcome is None and row.opened_on == date(2026, 11, 2)
    step(state, profile, ComplaintClosed(event_id="e-1", closed_on=date(2026, 11, 5), reason="withdrawn"))
    row = challenge_row(state)
    assert (row.closed_on, row.outcome, row.stage) == (date(2026, 11, 5), "withdrawn", "closed")


def test_an_upheld_complaint_is_owed_a_conference_under_another_chair_and_the_old_chair_is_refused() -> None:
    profile, state, _ = opened("birmingham", complaint())
    for event in (FormalComplaintReceived(event_id="e-1", received_on=date(2026, 11, 17)),
                  PanelConvened(event_id="e-2", convened_on=date(2026, 11, 20), members=3,
                                members_with_previous_involvement=0, members_know_procedures=True)):
        step(state, profile, event)
    decided = step(state, profile, PanelDecided(event_id="e-3", letter_sent_on=date(2026, 12, 1), upheld=True)).for_journey
    journey = on_plan(profile)
    effect = icpc.challenge_decided(journey, profile, decided)
    assert effect.summary.startswith("The conference to be reconvened under a chair other than CPC-0042")
    assert icpc.challenge_decided(journey, profile, decided) is None  # heard once
    old_chair = booking("CPC-0042")
    with pytest.raises(InvalidEvent, match=r"different chair, not CPC-0042.*\(Birmingham procedures \(Section 6\), 8.13\)"):
        icpc.check(journey, profile, old_chair)
    new_chair = booking("CPC-0077")
    icpc.check(journey, profile, new_chair)
    icpc.apply(journey, profile, new_chair)
    assert journey.conference_owed.words.endswith("booked: conference RCPC-0002 under chair CPC-0077")
    assert icpc.conference_owed_met(journey, "ICPC-0009") is None and journey.conference_owed is not None
    assert icpc.conference_owed_met(journey, "RCPC-0002").booked_chair_ref == "CPC-0077"
    assert journey.conference_owed is None


def test_another_conference_agreed_on_a_disagreement_is_owed_by_its_date_and_any_chair_may_hold_it() -> None:
    profile, state, _ = opened("birmingham", DisagreementRaised(
        event_id="d-1", received_on=date(2026, 12, 14), about="conference_outcome", raised_by="professional",
        agency="school"))
    decided = step(state, profile, FileReviewed(event_id="e-1", reviewed_on=date(2026, 12, 14),
                                                another_conference=True)).for_journey
    journey = on_plan(profile)
    icpc.challenge_decided(journey, profile, decided)
    # 15 working days from Monday 14 December, skipping 25 and 28 December and 1 January.
    assert journey.conference_owed.words == "another conference to be held by 2027-01-07 (disagreement CMP-0001)"
    icpc.check(journey, profile, booking("CPC-0042"))


def test_a_journey_opened_again_to_hold_an_icpc_counts_it_from_the_final_decision() -> None:
    profile = load_profile("birmingham")
    journey = JourneyState(case_ref=CASE, policy=profile.pin, stage=Stage.AWAITING_SECTION_47)
    opening = IcpcToBeHeld(event_id="CMP-0001-hold-icpc", decided_on=date(2026, 12, 17), complaint_ref="CMP-0001")
    effect = icpc.opening(journey, profile, opening)
    # 15 working days from Thursday 17 December, skipping 25 and 28 December and 1 January.
    assert journey.stage is Stage.AWAITING_ICPC and journey.deadline("icpc").due == date(2027, 1, 12)
    assert journey.icpc_clock_from == date(2026, 12, 17)
    assert effect.summary.endswith("ICPC due by 2027-01-12")
    with pytest.raises(ValidationError, match="exactly one"):
        JourneyStart(case_ref=CASE, **pinned(profile), icpc_to_be_held=opening,
                     strategy_discussion=StrategyDiscussion(event_id="sd-1", held_on=date(2026, 12, 1),
                                                            initiated_section_47=True))


def on_plan(profile) -> JourneyState:
    journey = JourneyState(case_ref=CASE, policy=profile.pin, stage=Stage.AWAITING_ICPC)
    icpc.opening(journey, profile, StrategyDiscussion(event_id="sd-1", held_on=date(2026, 10, 1),
                                                      initiated_section_47=True))
    icpc.apply(journey, profile, IcpcHeld(event_id="icpc-1", held_on=date(2026, 10, 20), decision="plan",
                                          category="neglect"))
    return journey


def booking(chair: str) -> ConferenceBooked:
    return ConferenceBooked(event_id="book-1", booked_on=date(2026, 12, 14), conference_ref="RCPC-0002", kind="review",
                            meeting_on=date(2026, 12, 15), chair_ref=chair, chair_independent_of_the_case=True)
