"""One page per event, the GOV.UK way: through the admin tool, against a real (time-skipping) Temporal with a worker.

Each story is what a member of staff does in a browser: open an event's page, answer its questions,
make a mistake and see it beside the question (and in the summary at the top, linking to it), check
their answers before something that cannot be taken back, and land on the case's page.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx

from domain.events import IcpcHeld, StrategyDiscussion
from starter.roles import Role
from tests.conftest import JourneyWorld, eventually, quiet
from tests.starter.signing_in import CASEWORK

CASE = "CASE-0042"


def day(name: str, on: date) -> dict[str, str]:
    """A date as the GOV.UK date input posts it: three boxes."""
    return {f"{name}-day": str(on.day), f"{name}-month": str(on.month), f"{name}-year": str(on.year)}


def event_id_on(page: str) -> str:
    found = re.search(r'name="event_id" value="([^"]+)"', page)
    assert found, "the page carries no event id"
    return found.group(1)


async def started(world: JourneyWorld) -> date:
    """A journey whose strategy discussion initiated a section 47 enquiry today; the day it was held."""
    today = await world.today()
    await world.journeys.start(CASE, "darlington",
                               StrategyDiscussion(event_id="sd-1", held_on=today, initiated_section_47=True))
    await quiet(world.env.client, f"cpj-{CASE}")
    return today


async def on_plan(world: JourneyWorld) -> date:
    """A journey whose ICPC decided on a plan a week after the strategy discussion; the plan's first day."""
    await started(world)
    await world.days_pass(7)
    today = await world.today()
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=today, decision="plan", category="neglect"))
    return today


async def test_starting_a_journey_asks_whose_procedures_in_words_and_opens_the_journey(
    signed_in_as, world: JourneyWorld
) -> None:
    web = await signed_in_as(Role.OPERATIONS_STAFF)
    page = (await web.get("/journeys/new")).text
    assert '<h1 class="govuk-heading-l">Start a journey</h1>' in page
    assert 'value="darlington"' in page and "Darlington" in page and "England (statutory baseline)" in page
    assert 'name="initiated_section_47" type="radio" value="yes"' in page

    today = await world.today()
    form = {"type": "strategy_discussion", "case_ref": "case-0042", "policy": "darlington",
            **day("strategy_discussion", today), "initiated_section_47": "yes", "event_id": event_id_on(page)}
    response = await web.post("/journeys", data=form)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/journeys/{CASE}"
    state = (await web.get(f"/api/journeys/{CASE}")).json()
    assert state["stage"] == "awaiting_icpc" and state["section_47_initiated_on"] == today.isoformat()

    resent = await web.post("/journeys", data=form)  # the same form twice: one journey, the same answer
    assert resent.status_code == 303
    again = await web.post("/journeys", data={**form, "event_id": "web-anotherform"})
    assert again.status_code == 409
    assert f'href="/journeys/{CASE}"' in again.text and "open the running journey" in again.text


async def test_a_name_for_a_case_reference_is_refused_beside_the_question_and_kept(
    signed_in_as, world: JourneyWorld
) -> None:
    web = await signed_in_as(Role.OPERATIONS_STAFF)
    response = await web.post("/journeys", data={
        "type": "strategy_discussion", "case_ref": "<b>Jane Smith</b>", "policy": "",
        **day("strategy_discussion", await world.today())})

    assert response.status_code == 422
    assert '<p id="case_ref-error" class="govuk-error-message">' in response.text
    assert "The case reference looks like a name" in response.text
    assert '<a href="#case_ref">' in response.text and '<a href="#policy">' in response.text
    assert "Select whose procedures the case follows" in response.text
    assert "Select yes if the strategy discussion initiated a section 47 enquiry, or no" in response.text
    assert "<b>Jane" not in response.text and 'value="&lt;B&gt;JANE SMITH&lt;/B&gt;"' in response.text


async def test_an_icpc_with_a_plan_asks_the_category_only_once_a_plan_is_chosen(
    signed_in_as, world: JourneyWorld
) -> None:
    chair = await signed_in_as(Role.CONFERENCE_CHAIR)
    held_on = await started(world)

    page = (await chair.get(f"/journeys/{CASE}/events/icpc_held")).text
    assert '<h1 class="govuk-heading-l">ICPC held</h1>' in page
    assert f'<span class="govuk-caption-l">Case {CASE}</span>' in page
    assert 'name="type" value="icpc_held"' in page
    # Nothing chosen for the chair: no contradictory defaults. The category sits inside "a plan".
    assert " checked" not in page.split('name="decision"')[1]
    reveal = page.split('id="conditional-decision"')[1].split('value="no_plan"')[0]
    assert 'name="category"' in reveal and "Neglect" in reveal and 'value=""' not in reveal

    form = {"type": "icpc_held", "event_id": event_id_on(page), **day("held_on", held_on), "decision": "plan"}
    without = await chair.post(f"/journeys/{CASE}/events/icpc_held", data=form)
    assert without.status_code == 422
    assert '<a href="#category">Select the category of the plan</a>' in without.text
    assert '<p id="category-error" class="govuk-error-message">' in without.text
    assert 'value="plan" checked' in without.text  # the answer given is kept

    recorded = await chair.post(f"/journeys/{CASE}/events/icpc_held", data={**form, "category": "neglect"})
    assert recorded.status_code == 303
    assert recorded.headers["location"] == f"/journeys/{CASE}?recorded=icpc_held"
    state = (await chair.get(f"/api/journeys/{CASE}")).json()
    assert state["stage"] == "on_plan" and state["category"] == "neglect"


async def test_no_plan_checks_the_answers_first_and_carries_no_category(signed_in_as, world: JourneyWorld) -> None:
    chair = await signed_in_as(Role.CONFERENCE_CHAIR)
    held_on = await started(world)
    # The browser still posts a category ticked before "no plan" was chosen: it is not read.
    form = {"type": "icpc_held", "event_id": "web-00000nopln", **day("held_on", held_on), "decision": "no_plan",
            "category": "neglect"}

    check = await chair.post(f"/journeys/{CASE}/events/icpc_held", data=form)

    assert check.status_code == 200
    assert "<title>Check your answers: ICPC held" in check.text
    assert "No plan (child in need follow-up)" in check.text and "Category of the plan" not in check.text
    assert (await chair.get(f"/api/journeys/{CASE}")).json()["stage"] == "awaiting_icpc"

    recorded = await chair.post(f"/journeys/{CASE}/events/icpc_held", data={**form, "confirmed": "yes"})
    assert recorded.status_code == 303
    state = (await chair.get(f"/api/journeys/{CASE}")).json()
    assert state["stage"] == "closed" and state["icpc"]["category"] is None


async def test_a_date_with_no_month_is_refused_beside_the_field_and_the_summary_links_to_it(
    signed_in_as, world: JourneyWorld
) -> None:
    chair = await signed_in_as(Role.CONFERENCE_CHAIR)
    held_on = await started(world)

    response = await chair.post(f"/journeys/{CASE}/events/icpc_held", data={
        "type": "icpc_held", "event_id": "web-0000nomnth", "held_on-day": str(held_on.day), "held_on-month": "",
        "held_on-year": str(held_on.year), "decision": "plan", "category": "sexual_abuse"})

    assert response.status_code == 422
    message = "The day the initial conference was held must include a month"
    assert response.text.startswith("<!DOCTYPE html>") and "<title>Error: ICPC held" in response.text
    # The summary links to the box that is missing, and only that box is marked (GOV.UK's date input pattern).
    assert f'<a href="#held_on-month">{message}</a>' in response.text
    assert re.search(r'class="govuk-input govuk-date-input__input govuk-input--width-2 govuk-input--error" '
                     r'id="held_on-month"', response.text)
    assert not re.search(r'govuk-input--error" id="held_on-day"', response.text)
    assert re.search(rf'<p id="held_on-error" class="govuk-error-message">\s*<span class="govuk-visually-hidden">'
                     rf'Error:</span> {message}', response.text)
    # Values kept: what was typed, the decision and the category inside it, and the same event id.
    assert f'id="held_on-day" name="held_on-day" type="text" value="{held_on.day}"' in response.text
    assert f'id="held_on-year" name="held_on-year" type="text" value="{held_on.year}"' in response.text
    assert 'value="sexual_abuse" checked' in response.text
    assert 'name="event_id" value="web-0000nomnth"' in response.text

    impossible = await chair.post(f"/journeys/{CASE}/events/icpc_held", data={
        "type": "icpc_held", "held_on-day": "31", "held_on-month": "2", "held_on-year": str(held_on.year),
        "decision": "plan", "category": "neglect"})
    assert impossible.status_code == 422
    assert "The day the initial conference was held must be a real date" in impossible.text


async def test_a_refusal_by_the_journey_is_shown_beside_the_date_it_is_about(
    signed_in_as, world: JourneyWorld
) -> None:
    chair = await signed_in_as(Role.CONFERENCE_CHAIR)
    held_on = await started(world)
    day_before = held_on - timedelta(days=1)

    response = await chair.post(f"/journeys/{CASE}/events/icpc_held", data={
        "type": "icpc_held", **day("held_on", day_before), "decision": "plan", "category": "neglect"})

    assert response.status_code == 409
    assert re.search(r'<a href="#held_on-day">Held on \d{1,2} [A-Z][a-z]+ \d{4} is before', response.text)
    assert '<p id="held_on-error" class="govuk-error-message">' in response.text
    assert (await chair.get(f"/api/journeys/{CASE}")).json()["stage"] == "awaiting_icpc"


async def test_ending_a_plan_asks_to_check_answers_first_then_records_once(
    signed_in_as, world: JourneyWorld
) -> None:
    manager = await signed_in_as(Role.TEAM_MANAGER)
    first_day = await on_plan(world)
    page = (await manager.get(f"/journeys/{CASE}/events/plan_ended")).text
    event_id = event_id_on(page)
    form = {"type": "plan_ended", "event_id": event_id, **day("ended_on", first_day), "reason": "turned_18"}

    check = await manager.post(f"/journeys/{CASE}/events/plan_ended", data=form)

    assert check.status_code == 200
    assert f"Case {CASE}: Plan ended" in check.text and ">Check your answers</h1>" in check.text
    assert "Turned 18" in check.text and first_day.strftime("%B") in check.text
    change = f"/journeys/{CASE}/events/plan_ended?draft={event_id}"
    assert f'href="{change}#reason"' in check.text and f'href="{change}#ended_on-day"' in check.text
    assert (await manager.get(f"/api/journeys/{CASE}")).json()["stage"] == "on_plan"

    # "Change" goes back to the form with the answers kept.
    again = (await manager.get(change)).text
    assert 'value="turned_18" checked' in again and f'name="event_id" value="{event_id}"' in again

    confirmed = {**form, "confirmed": "yes"}
    recorded = await manager.post(f"/journeys/{CASE}/events/plan_ended", data=confirmed)
    assert recorded.status_code == 303
    assert recorded.headers["location"] == f"/journeys/{CASE}?recorded=plan_ended"
    state = (await manager.get(f"/api/journeys/{CASE}")).json()
    assert state["stage"] == "closed" and state["event_ids"].count(event_id) == 1

    # Sent again (a double click): answered as the first time, recorded once; another ending is not offered.
    resent = await manager.post(f"/journeys/{CASE}/events/plan_ended", data=confirmed)
    assert resent.status_code == 303
    assert (await manager.get(f"/api/journeys/{CASE}")).json()["event_ids"].count(event_id) == 1
    another = await manager.post(f"/journeys/{CASE}/events/plan_ended", data={**confirmed, "event_id": "web-other"})
    assert another.status_code == 404 and "Plan ended is not something case" in another.text


async def test_the_same_form_sent_twice_records_one_event(signed_in_as, world: JourneyWorld) -> None:
    worker = await signed_in_as(Role.LEAD_SOCIAL_WORKER)
    first_day = await on_plan(world)
    form = {"type": "visit_made", "event_id": "web-00000visit", **day("visited_on", first_day), "outcome": "seen",
            "seen_alone": "on"}

    first = await worker.post(f"/journeys/{CASE}/events/visit_made", data=form)
    second = await worker.post(f"/journeys/{CASE}/events/visit_made", data=form)

    assert (first.status_code, second.status_code) == (303, 303)
    state = (await worker.get(f"/api/journeys/{CASE}")).json()
    assert state["event_ids"].count("web-00000visit") == 1
    assert [row["status"] for row in state["deadlines"] if row["kind"] == "visit"] == ["met", "open"]


async def test_an_event_the_stage_does_not_offer_is_a_404_page_in_words(signed_in_as, world: JourneyWorld) -> None:
    manager = await signed_in_as(Role.TEAM_MANAGER)
    await started(world)

    not_now = await manager.get(f"/journeys/{CASE}/events/plan_ended")
    assert not_now.status_code == 404
    assert f"Plan ended is not something case {CASE} can record now." in not_now.text
    assert f'<a class="govuk-link" href="/journeys/{CASE}">the page of case {CASE}</a>' in not_now.text
    assert "plan_ended" not in not_now.text.split("<main")[1]

    unknown = await manager.get(f"/journeys/{CASE}/events/made_up")
    assert unknown.status_code == 404 and "There is no such event." in unknown.text


async def test_an_event_page_is_refused_to_someone_who_may_not_record_it(signed_in_as, world: JourneyWorld) -> None:
    worker = await signed_in_as(Role.LEAD_SOCIAL_WORKER)
    await started(world)

    refused = await worker.get(f"/journeys/{CASE}/events/conference_not_required")

    assert refused.status_code == 403
    assert (await worker.get(f"/journeys/{CASE}/events/strategy_discussion")).status_code == 200


async def test_the_plan_forms_say_what_the_journey_knows(signed_in_as, world: JourneyWorld) -> None:
    worker = await signed_in_as(Role.LEAD_SOCIAL_WORKER)
    await on_plan(world)
    state = (await worker.get(f"/api/journeys/{CASE}")).json()
    [visit] = [row for row in state["deadlines"] if row["kind"] == "visit" and row["status"] == "open"]

    page = (await worker.get(f"/journeys/{CASE}/events/visit_made")).text

    due = date.fromisoformat(visit["due"])
    assert f"The next visit is due by {due.day} {due:%B %Y}." in page
    assert '<h1 class="govuk-heading-l">Visit</h1>' in page and re.search(r">\s*Record the visit\s*<", page)
    # A choice in words, never its stored value.
    assert "Child seen" in page and ">seen<" not in page


# -- the plan's pages ------------------------------------------------------------------------


def live(state: dict, kind: str) -> dict:
    [row] = [row for row in state["deadlines"] if row["kind"] == kind and row["status"] in ("open", "overdue")]
    return row


async def test_a_visit_is_recorded_and_the_next_visit_falls_due(signed_in_as, world: JourneyWorld) -> None:
    worker = await signed_in_as(Role.LEAD_SOCIAL_WORKER)
    await on_plan(world)
    await world.days_pass(2)
    today = await world.today()

    response = await worker.post(f"/journeys/{CASE}/events/visit_made", data={
        "type": "visit_made", "event_id": "web-00000000v1", **day("visited_on", today), "outcome": "seen",
        "seen_alone": "on", "bedroom_seen": "on"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/journeys/{CASE}?recorded=visit_made"
    state = (await worker.get(f"/api/journeys/{CASE}")).json()
    assert live(state, "visit")["due"] > today.isoformat()
    assert [row["status"] for row in state["deadlines"] if row["kind"] == "visit"] == ["met", "open"]


async def test_a_task_is_chosen_only_from_those_with_an_open_deadline(signed_in_as, world: JourneyWorld) -> None:
    worker = await signed_in_as(Role.LEAD_SOCIAL_WORKER)
    await world.journeys.start(CASE, "staffordshire", StrategyDiscussion(
        event_id="sd-1", held_on=await world.today(), initiated_section_47=True))
    await world.days_pass(7)
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan",
                                             category="neglect"))
    state = (await worker.get(f"/api/journeys/{CASE}")).json()
    open_kinds = {row["kind"] for row in state["deadlines"] if row["status"] in ("open", "overdue")}

    page = (await worker.get(f"/journeys/{CASE}/events/task_completed")).text

    offered = set(re.findall(r'name="task" type="radio" value="([a-z_]+)"', page))
    assert offered and offered <= open_kinds
    assert "(due " in page and "Only tasks with a deadline still open." in page


async def test_a_review_booked_past_its_limit_is_refused_beside_the_date(signed_in_as, world: JourneyWorld) -> None:
    chair = await signed_in_as([Role.CONFERENCE_CHAIR, Role.OPERATIONS_STAFF])
    await on_plan(world)
    state = (await chair.get(f"/api/journeys/{CASE}")).json()
    limit = date.fromisoformat(live(state, "review")["due"])
    page = (await chair.get(f"/journeys/{CASE}/events/review_scheduled")).text
    assert f"The review limit is {limit.day} {limit:%B %Y}" in page

    late = limit + timedelta(days=1)
    response = await chair.post(f"/journeys/{CASE}/events/review_scheduled", data={
        "type": "review_scheduled", "event_id": "web-0000000book", **day("scheduled_on", await world.today()),
        **day("review_date", late), "brought_forward_because": ""})

    assert response.status_code == 409
    assert f"The review cannot be postponed past {limit.day} {limit:%B %Y}" in response.text
    assert f'id="review_date-day" name="review_date-day" type="text" value="{late.day}"' in response.text
    assert (await chair.get(f"/api/journeys/{CASE}")).json()["review_date"] is None


async def test_a_malformed_plan_form_says_what_to_fix_beside_each_question(signed_in_as, world: JourneyWorld) -> None:
    people = await signed_in_as(CASEWORK)
    today = await on_plan(world)

    response = await people.post(f"/journeys/{CASE}/events/core_group_members_recorded", data={
        "type": "core_group_members_recorded", **day("recorded_on", today),
        "members": "class teacher, school\nhealth visitor"})
    assert response.status_code == 422
    assert '<a href="#members">Members, line 2, agency must be 2 characters or more</a>' in response.text
    assert "class teacher, school\nhealth visitor</textarea>" in response.text

    response = await people.post(f"/journeys/{CASE}/events/lead_social_worker_named", data={
        "type": "lead_social_worker_named", **day("named_on", today), "staff_ref": "Jane Smith"})
    assert response.status_code == 422
    assert ("Lead social worker&#39;s staff number should be a staff number such as SW-1042 (never a name)"
            in response.text.replace("&#x27;", "&#39;"))
    assert '<p id="staff_ref-error" class="govuk-error-message">' in response.text

    response = await people.post(f"/journeys/{CASE}/events/core_group_members_recorded", data={
        "type": "core_group_members_recorded", **day("recorded_on", today),
        "members": "class teacher, school\nhealth visitor, NHS"})
    assert response.status_code == 303
    members = (await people.get(f"/api/journeys/{CASE}")).json()["core_group_members"]
    assert members == [{"role": "class teacher", "agency": "school"}, {"role": "health visitor", "agency": "NHS"}]


async def test_a_missing_child_can_then_only_be_found(signed_in_as, world: JourneyWorld) -> None:
    worker = await signed_in_as(Role.LEAD_SOCIAL_WORKER)
    today = await on_plan(world)
    assert (await worker.get(f"/journeys/{CASE}/events/child_found")).status_code == 404

    response = await worker.post(f"/journeys/{CASE}/events/child_missing", data={
        "type": "child_missing", "event_id": "web-0000missing", **day("reported_on", today)})

    assert response.status_code == 303
    assert (await worker.get(f"/api/journeys/{CASE}")).json()["missing_since"] == today.isoformat()
    assert (await worker.get(f"/journeys/{CASE}/events/child_found")).status_code == 200
    assert (await worker.get(f"/journeys/{CASE}/events/child_missing")).status_code == 404


async def test_a_form_whose_type_is_not_its_page_records_nothing(signed_in_as, world: JourneyWorld) -> None:
    worker = await signed_in_as(Role.LEAD_SOCIAL_WORKER)
    today = await on_plan(world)

    response = await worker.post(f"/journeys/{CASE}/events/visit_made", data={
        "type": "child_missing", **day("visited_on", today), "outcome": "seen"})

    assert response.status_code == 422
    assert (await worker.get(f"/api/journeys/{CASE}")).json()["missing_since"] is None


# -- conferences -----------------------------------------------------------------------------


async def book(web: httpx.AsyncClient, world: JourneyWorld, days_ahead: int, ref: str = "ICPC-0200") -> str:
    """Book the initial conference from its page; where the page sends the browser."""
    await started(world)
    today = await world.today()
    page = (await web.get(f"/journeys/{CASE}/events/conference_booked")).text
    assert 'name="kind" type="radio" value="initial"' in page and 'value="review"' not in page
    response = await web.post(f"/journeys/{CASE}/events/conference_booked", data={
        "type": "conference_booked", "event_id": f"web-book-{ref}", "kind": "initial", "conference_ref": ref.lower(),
        **day("booked_on", today), **day("meeting_on", today + timedelta(days=days_ahead)),
        "chair_ref": "cpc-0042", "chair_independent_of_the_case": "on", "siblings": ""})
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_booking_a_conference_starts_it_and_is_then_no_longer_offered(signed_in_as, world: JourneyWorld) -> None:
    staff = await signed_in_as(Role.OPERATIONS_STAFF)

    location = await book(staff, world, days_ahead=14)

    assert location == f"/journeys/{CASE}?recorded=conference_booked"
    assert (await staff.get("/api/conferences/ICPC-0200")).json()["stage"] == "convening"
    assert (await staff.get(f"/journeys/{CASE}/events/conference_booked")).status_code == 404


async def test_booking_without_an_independent_chair_is_refused_and_what_was_typed_kept(
    signed_in_as, world: JourneyWorld
) -> None:
    staff = await signed_in_as(Role.OPERATIONS_STAFF)
    today = await started(world)

    response = await staff.post(f"/journeys/{CASE}/events/conference_booked", data={
        "type": "conference_booked", "kind": "initial", "conference_ref": "ICPC-0201", **day("booked_on", today),
        **day("meeting_on", today), "chair_ref": "CPC-0042"})

    assert response.status_code == 409  # the authority's procedure refuses it, in the journey
    assert "independent of the case" in response.text and "govuk-error-summary" in response.text
    assert 'value="ICPC-0201"' in response.text


async def test_an_exclusion_request_posted_too_late_is_refused_with_the_grounds_kept(
    signed_in_as, world: JourneyWorld
) -> None:
    staff = await signed_in_as(Role.OPERATIONS_STAFF)
    today = await world.today()
    await book(staff, world, days_ahead=1 if today.weekday() < 4 else 7 - today.weekday())  # the next working day

    response = await staff.post("/conferences/ICPC-0200/events/exclusion_requested", data={
        "type": "exclusion_requested", "event_id": "web-0000000ex1", **day("requested_on", today),
        "parent_role": "father", "grounds": ["likely_to_interfere_seriously_with_the_conference"]})

    assert response.status_code == 409
    assert "An exclusion request must reach the chair by" in response.text
    assert 'value="likely_to_interfere_seriously_with_the_conference" checked' in response.text
    assert (await staff.get("/api/conferences/ICPC-0200")).json()["exclusions"] == []


async def test_a_conference_held_asks_each_childs_category_only_with_a_plan_and_puts_the_child_on_it(
    signed_in_as, world: JourneyWorld
) -> None:
    people = await signed_in_as([Role.OPERATIONS_STAFF, Role.CONFERENCE_CHAIR])
    await book(people, world, days_ahead=7)
    await world.days_pass(7)
    page = (await people.get("/conferences/ICPC-0200/events/conference_held")).text
    assert '<span class="govuk-caption-l">Conference ICPC-0200</span>' in page
    reveal = page.split('id="conditional-child-0-plan"')[1].split('value="no"')[0]
    assert 'name="child-0-category"' in reveal
    meeting = {"type": "conference_held", "event_id": "web-00000held1", **day("held_on", await world.today()),
               "childrens_social_care_present": "on", "other_agencies_present": "school\nhealth visitor",
               "parents_present": "on", "inquorate_action": "", "child-0-plan": "yes",
               "child-0-agencies_for_plan": "3", "child-0-agencies_against_plan": "1", "child-0-chair_casting_vote": ""}

    invalid = await people.post("/conferences/ICPC-0200/events/conference_held", data=meeting)
    assert invalid.status_code == 422
    assert f'<a href="#child-0-category">Select the category of the plan for case {CASE}</a>' in invalid.text

    response = await people.post("/conferences/ICPC-0200/events/conference_held",
                                 data={**meeting, "child-0-category": "neglect"})
    assert response.status_code == 303
    assert response.headers["location"] == "/conferences/ICPC-0200?recorded=conference_held"
    assert (await people.get("/api/conferences/ICPC-0200")).json()["stage"] == "held"

    async def on_a_plan() -> bool:
        return (await people.get(f"/api/journeys/{CASE}")).json()["stage"] == "on_plan"
    await eventually(on_a_plan)
    assert (await people.get("/conferences/ICPC-0200/events/conference_held")).status_code == 404
