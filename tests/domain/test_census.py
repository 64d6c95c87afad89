"""The census's child protection modules: each DfE rule, a child who meets it and one who does not; the XML.

The 2026 census covers 1 April 2025 to 31 March 2026. A child whose enquiry began on Monday 2 June 2025,
whose initial conference on Monday 23 June made a plan for neglect that day, reviewed on 15 September and
again on 9 March, meets every rule; each failing child is that child with one thing wrong.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from xml.etree import ElementTree

import pytest

from domain.case_facts import JourneyFacts, Occurrence, PlanFacts
from domain.census import (
    RULES, Census, CensusYear, Child, Episode, Plan, Section47, abuse_code, as_at, build_census, census_xml,
    census_xml_text, check_child, children_from_facts, episode_from_facts, weekdays_only,
)
from domain.events import Category

YEAR = CensusYear(2026)
ENQUIRY = Section47(start=date(2025, 6, 2), icpc=date(2025, 6, 23))
PLAN = Plan(start=date(2025, 6, 23), initial_category="NEG", latest_category="NEG", previous_plans=0,
            reviews=(date(2025, 9, 15), date(2026, 3, 9)))


def child(*, s47s=(ENQUIRY,), plans=(PLAN,), episodes=None, ref="CP-000101") -> Child:
    return Child(case_ref=ref, episodes=episodes if episodes is not None else (Episode(tuple(s47s), tuple(plans)),))


def failed_codes(a_child: Child) -> list[str]:
    """The rules ``a_child``'s return, as given, fails (``as_at`` chooses what a return holds: tested below)."""
    return [failure.code for failure in check_child(a_child, YEAR, weekdays_only)]


def test_a_child_whose_enquiry_conference_and_plan_went_as_the_procedures_say_meets_every_rule():
    assert failed_codes(child()) == []


#: Per rule: a child who meets it (other than the one above) and one who does not.
CASES = {
    "2885": (child(plans=[replace(PLAN, start=ENQUIRY.icpc)]),
             child(plans=[replace(PLAN, start=date(2025, 6, 24))])),
    "8615": (child(s47s=[Section47(start=ENQUIRY.icpc, icpc=ENQUIRY.icpc)]),
             child(s47s=[Section47(start=date(2025, 6, 24), icpc=ENQUIRY.icpc)])),
    "8675Q": (child(s47s=[Section47(start=date(2026, 3, 16))], plans=[]),
              child(s47s=[Section47(start=date(2026, 2, 2))], plans=[])),
    "8715": (child(s47s=[Section47(start=date(2025, 3, 3), icpc=date(2025, 4, 1))],
                   plans=[replace(PLAN, start=date(2025, 4, 1), reviews=())]),
             child(s47s=[Section47(start=date(2025, 3, 3), icpc=date(2025, 3, 24))],
                   plans=[replace(PLAN, start=date(2025, 3, 24))])),
    "8720": (child(), child(plans=[replace(PLAN, start=None, reviews=())])),
    "8730": (child(plans=[replace(PLAN, previous_plans=2)]), child(plans=[replace(PLAN, previous_plans=None)])),
    "8740": (child(s47s=[Section47(start=date(2025, 4, 1))], plans=[]),
             child(s47s=[Section47(start=date(2025, 3, 31))], plans=[])),
    "8839": (child(s47s=[ENQUIRY, Section47(start=date(2026, 3, 16))]),
             child(s47s=[Section47(start=date(2026, 3, 16)), Section47(start=date(2026, 3, 17))], plans=[])),
    "8840": (child(plans=[replace(PLAN, end=date(2025, 6, 24), reviews=())]),
             child(plans=[replace(PLAN, end=PLAN.start, reviews=())])),
    "8841": (child(plans=[replace(PLAN, reviews=(date(2025, 6, 24),))]),
             child(plans=[replace(PLAN, reviews=(PLAN.start,))])),
    "8875": (child(), child(s47s=[Section47(start=ENQUIRY.start, icpc=date(2025, 6, 21))],
                            plans=[replace(PLAN, start=date(2025, 6, 21))])),
    "8890": (child(s47s=[Section47(start=date(2025, 4, 7), icpc_not_required=True), ENQUIRY]),
             child(s47s=[ENQUIRY, Section47(start=date(2025, 6, 10), icpc=date(2025, 6, 30))],
                   plans=[replace(PLAN, start=date(2025, 6, 30))])),
    "8905": (child(plans=[replace(PLAN, initial_category="MUL")]),
             child(plans=[replace(PLAN, initial_category=None)])),
    "8910": (child(plans=[replace(PLAN, latest_category="EMO")]),
             child(plans=[replace(PLAN, latest_category="ABC")])),
    "8925": (child(plans=[replace(PLAN, end=date(2026, 3, 9))]),
             child(plans=[replace(PLAN, end=date(2025, 6, 20), reviews=())])),
    "8930": (child(plans=[replace(PLAN, end=date(2026, 3, 31))]),
             child(plans=[replace(PLAN, start=date(2025, 3, 3), end=date(2025, 3, 31), reviews=())],
                   s47s=[Section47(start=date(2025, 4, 7), icpc=date(2025, 4, 14))])),
    "8935": (child(plans=[replace(PLAN, end=date(2025, 9, 15)), replace(PLAN, start=date(2026, 3, 9), reviews=())],
                   s47s=[ENQUIRY, Section47(start=date(2026, 2, 2), icpc=date(2026, 3, 9))]),
             child(plans=[PLAN, replace(PLAN, start=date(2026, 3, 9), reviews=())],
                   s47s=[ENQUIRY, Section47(start=date(2026, 2, 2), icpc=date(2026, 3, 9))])),
    "8940": (child(plans=[replace(PLAN, end=date(2025, 9, 15)), replace(PLAN, start=date(2026, 3, 9), reviews=())],
                   s47s=[ENQUIRY, Section47(start=date(2026, 2, 2), icpc=date(2026, 3, 9))]),
             child(plans=[replace(PLAN, end=date(2026, 3, 9)),
                          replace(PLAN, start=date(2026, 3, 9), end=date(2026, 3, 10), reviews=())],
                   s47s=[ENQUIRY, Section47(start=date(2026, 2, 2), icpc=date(2026, 3, 9))])),
    "CPJ1": (child(plans=[replace(PLAN, end=date(2026, 3, 9))]),
             child(plans=[replace(PLAN, end=date(2025, 9, 1))])),
}


def test_every_rule_has_a_child_who_meets_it_and_one_who_does_not():
    assert set(CASES) == {rule.code for rule in RULES}


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_rule_is_met_by_one_child_and_failed_by_the_other(code):
    meets, fails = CASES[code]
    assert code not in failed_codes(meets)
    assert code in failed_codes(fails)


def test_a_failure_names_the_child_and_says_what_is_wrong_in_words():
    late = child(ref="CP-000202", plans=[replace(PLAN, start=date(2025, 6, 24))])
    [failure] = check_child(as_at(late, YEAR), YEAR, weekdays_only)
    assert (failure.code, failure.case_ref) == ("2885", "CP-000202")
    assert failure.message == ("The plan starts on 24 June 2025, not on the day of an initial conference "
                               "(held: 23 June 2025)")


def test_a_query_is_listed_but_does_not_stop_the_return():
    census = build_census("Darlington", YEAR, [child(s47s=[Section47(start=date(2026, 2, 2))], plans=[])],
                          weekdays_only)
    assert [failure.code for failure in census.queries] == ["8675Q"]
    assert census.passes


def test_a_failed_rule_stops_the_return_and_is_listed_under_its_child():
    unsaid = child(ref="CP-2", plans=[replace(PLAN, previous_plans=None)])
    census = build_census("Darlington", YEAR, [child(ref="CP-1"), unsaid], weekdays_only)
    assert not census.passes
    assert list(census.failures_by_child()) == ["CP-2"]


def test_categories_map_to_the_census_codes_and_more_than_one_is_mul():
    assert abuse_code([Category.NEGLECT]) == "NEG"
    assert abuse_code([Category.PHYSICAL_ABUSE]) == "PHY"
    assert abuse_code([Category.SEXUAL_ABUSE]) == "SAB"
    assert abuse_code([Category.EMOTIONAL_ABUSE]) == "EMO"
    assert abuse_code([Category.NEGLECT, Category.EMOTIONAL_ABUSE]) == "MUL"
    assert abuse_code([]) is None


def test_the_census_sees_the_records_as_they_stood_on_31_march():
    later = child(s47s=[Section47(start=date(2026, 3, 16), icpc=date(2026, 4, 2))],
                  plans=[replace(PLAN, start=date(2025, 6, 23), end=date(2026, 5, 1),
                                 reviews=(date(2025, 3, 10), date(2025, 9, 15), date(2026, 4, 20)))])
    seen = as_at(later, YEAR)
    [s47], [plan] = seen.section47s, seen.plans
    assert s47.icpc is None  # the conference in April is next year's
    assert plan.end is None  # the plan was still in place on 31 March
    assert plan.reviews == (date(2025, 9, 15),)  # only the year's reviews


def test_a_conference_or_plan_end_of_another_year_never_reaches_the_return():
    """What 8715 and 8930 guard against: the return holds only the year's conferences and ends."""
    straddling = child(s47s=[Section47(start=date(2025, 3, 3), icpc=date(2025, 3, 24)),
                             Section47(start=date(2026, 3, 16), icpc=date(2026, 4, 2))],
                       plans=[replace(PLAN, start=date(2025, 3, 24), end=date(2026, 5, 1), reviews=())])
    census = build_census("Sefton", YEAR, [straddling], weekdays_only)
    assert not {"8715", "8930"} & {failure.code for failure in census.failures}


def test_a_child_with_nothing_in_the_year_is_not_in_the_return():
    over = child(s47s=[Section47(start=date(2024, 5, 1), icpc=date(2024, 5, 20))],
                 plans=[replace(PLAN, start=date(2024, 5, 20), end=date(2025, 2, 3), reviews=())])
    assert as_at(over, YEAR) is None
    assert build_census("Sefton", YEAR, [over], weekdays_only).children == ()


def test_the_xml_holds_each_child_s_section_47_and_plan_with_the_census_element_names():
    census = build_census("Darlington", YEAR, [child(plans=[replace(PLAN, end=date(2026, 3, 9))])], weekdays_only)
    message = census_xml(census, la_number="841", generated_at="2026-05-20T10:15:00")
    assert message.findtext("Header/CollectionDetails/Collection") == "CIN"
    assert message.findtext("Header/CollectionDetails/Year") == "2026"
    assert message.findtext("Header/CollectionDetails/ReferenceDate") == "2026-03-31"
    assert message.findtext("Header/Source/LEA") == "841"
    [child_element] = message.findall("Children/Child")
    assert child_element.findtext("ChildIdentifiers/LAchildID") == "CP-000101"
    section = child_element.find("CINdetails/Section47")
    assert [(element.tag, element.text) for element in section] == [
        ("S47ActualStartDate", "2025-06-02"), ("DateOfInitialCPC", "2025-06-23"), ("ICPCnotRequired", "false")]
    plan = child_element.find("CINdetails/ChildProtectionPlans")
    assert [(element.tag, element.text) for element in plan if element.tag != "Reviews"] == [
        ("CPPstartDate", "2025-06-23"), ("CPPendDate", "2026-03-09"), ("InitialCategoryOfAbuse", "NEG"),
        ("LatestCategoryOfAbuse", "NEG"), ("NumberOfPreviousCPP", "0")]
    assert [review.findtext("CPPreviewDate") for review in plan.findall("Reviews")] == ["2025-09-15", "2026-03-09"]


def test_an_open_plan_has_no_end_date_and_an_enquiry_needing_no_conference_says_so():
    census = build_census("Darlington", YEAR, [child(s47s=[Section47(start=date(2025, 6, 2), icpc_not_required=True)],
                                                     plans=[])], weekdays_only)
    text = census_xml_text(census, la_number="841", generated_at="2026-05-20T10:15:00")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    section = ElementTree.fromstring(text.split("\n", 1)[1]).find("Children/Child/CINdetails/Section47")
    assert section.findtext("ICPCnotRequired") == "true"
    assert section.find("DateOfInitialCPC") is None
    assert isinstance(census, Census)


# -- From the journeys' facts ------------------------------------------------------------------------------


def facts(case_ref: str = "DAR-0001", **fields) -> JourneyFacts:
    base = dict(journey=f"cpj-{case_ref}", case_ref=case_ref, workflow_id=f"cpj-{case_ref}", profile_id="darlington",
                authority="Darlington", policy="darlington@2026.1", calendar_version=None, team=None,
                lead_social_worker=None, opened_by="strategy_discussion", opened_on=date(2025, 6, 2))
    return JourneyFacts(**{**base, **fields})


def test_a_journey_s_enquiry_conference_and_plan_become_its_census_modules():
    plan = PlanFacts(started_on=date(2025, 6, 23), started_by="icpc", initial_category="neglect",
                     latest_category="emotional_abuse", previous_plans=1, ended_on=date(2026, 1, 12),
                     reviews=(Occurrence(done=date(2025, 9, 15), due=None, on_time=True),
                              Occurrence(done=None, due=date(2025, 12, 15), on_time=False)))
    episode = episode_from_facts(facts(section_47_started_on=date(2025, 6, 2), icpc_on=date(2025, 6, 23), plan=plan))
    assert episode.section47s == (Section47(start=date(2025, 6, 2), icpc=date(2025, 6, 23)),)
    assert episode.icpc is None
    assert episode.plans == (Plan(start=date(2025, 6, 23), end=date(2026, 1, 12), initial_category="NEG",
                                  latest_category="EMO", previous_plans=1, reviews=(date(2025, 9, 15),)),)


def test_an_enquiry_that_needed_no_conference_says_so():
    episode = episode_from_facts(facts(section_47_started_on=date(2025, 6, 2), icpc_not_required_on=date(2025, 6, 20)))
    assert episode.section47s == (Section47(start=date(2025, 6, 2), icpc_not_required=True),)


def test_a_transfer_in_conference_and_an_imported_plan_are_the_episode_s_own_conference():
    moved_in = episode_from_facts(facts(opened_by="transfer_in", icpc_on=date(2025, 7, 7), plan=PlanFacts(
        started_on=date(2025, 7, 7), started_by="transfer_in", initial_category="physical_abuse",
        latest_category="physical_abuse")))
    imported = episode_from_facts(facts(opened_by="import", plan=PlanFacts(
        started_on=date(2025, 5, 12), started_by="import", initial_category="sexual_abuse",
        latest_category="sexual_abuse")))
    assert (moved_in.section47s, moved_in.icpc) == ((), date(2025, 7, 7))
    assert (imported.section47s, imported.icpc) == ((), date(2025, 5, 12))
    for episode in (moved_in, imported):
        assert check_child(Child("DAR-0001", (episode,)), YEAR, weekdays_only) == []


def test_a_child_s_journeys_are_one_child_with_an_episode_each_and_a_strategy_discussion_alone_is_nothing():
    children = children_from_facts([
        facts("DAR-0002", journey="cpj-DAR-0002/b", opened_on=date(2025, 9, 1), section_47_started_on=date(2025, 9, 1)),
        facts("DAR-0002", journey="cpj-DAR-0002/a", section_47_started_on=date(2025, 6, 2), icpc_on=date(2025, 6, 23)),
        facts("DAR-0003"),  # a strategy discussion that started no enquiry
    ])
    [child_] = children
    assert child_.case_ref == "DAR-0002"
    assert [episode.section47s[0].start for episode in child_.episodes] == [date(2025, 6, 2), date(2025, 9, 1)]
