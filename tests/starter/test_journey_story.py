"""A journey's page tells the child's story: what needs doing and why, what can be recorded now, and everything
recorded (visits, core groups, letters), read back from the records database in words."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date

import httpx
from temporalio.exceptions import ApplicationError

from domain.events import StrategyDiscussion
from starter.roles import Role
from tests.conftest import JourneyWorld, SettledJourneys, eventually
from tests.starter.signing_in import CASEWORK
from worker import build_worker

CASE = "CASE-0042"
WORKER = "SW-1042"
SignIn = Callable[..., Awaitable[httpx.AsyncClient]]


def visible_text(html: str) -> str:
    """What a member of staff reads: the page without its scripts and tags, entities as characters."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("&#39;", "'").replace("&#x27;", "'").replace("&amp;", "&").replace("&quot;", '"')
    return re.sub(r"\s+", " ", text)


def timeline_of(html: str) -> str:
    """The timeline's words: from its heading to the end of its list."""
    start = html.index('id="timeline"')
    return visible_text(html[start:html.index("</ol>", start)])


async def post(web: httpx.AsyncClient, path: str, body: dict) -> dict:
    response = await web.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def a_child_on_a_plan_seen_and_discussed(world: JourneyWorld, web: httpx.AsyncClient) -> date:
    """A Darlington journey: the ICPC puts the child on a plan, the lead social worker visits and the core group meets."""
    today = await world.today()
    await post(web, "/api/journeys", {"case_ref": CASE, "policy": "darlington", "strategy_discussion": {
        "event_id": "sd-1", "held_on": today.isoformat(), "initiated_section_47": True}})
    await world.days_pass(7)
    today = await world.today()
    events = f"/api/journeys/{CASE}/events"
    await post(web, events, {"type": "icpc_held", "event_id": "icpc-1", "held_on": today.isoformat(),
                             "decision": "plan", "category": "neglect"})
    await post(web, events, {"type": "visit_made", "event_id": "visit-1", "visited_on": today.isoformat(),
                             "outcome": "seen", "seen_alone": True, "bedroom_seen": False})
    await post(web, events, {"type": "core_group_held", "event_id": "cg-1", "held_on": today.isoformat(),
                             "attended": ["social worker", "school", "health visitor"],
                             "decisions": ["Weekly school attendance check"],
                             "actions": ["School nurse: health check by Friday"]})
    return today


async def test_a_visit_and_a_core_group_appear_in_the_timeline_with_the_decisions_and_actions(
    world: JourneyWorld, signed_in_as: SignIn
) -> None:
    web = await signed_in_as(CASEWORK, staff_ref=WORKER)
    today = await a_child_on_a_plan_seen_and_discussed(world, web)

    page = await web.get(f"/journeys/{CASE}")

    assert page.status_code == 200
    timeline = timeline_of(page.text)
    day = f"{today.day} {today:%B %Y}"
    # Newest first: the core group, then the visit, then the conference that made the plan.
    assert timeline.index("Core group held") < timeline.index("Visit") < timeline.index("ICPC held")
    assert "Decisions Weekly school attendance check" in timeline
    assert "Actions: who does what School nurse: health check by Friday" in timeline or (
        "Actions School nurse: health check by Friday" in timeline)
    assert "Attended social worker school health visitor" in timeline
    assert f"Child seen on {day}" in timeline
    assert "Outcome Child seen" in timeline and "The child was seen alone Yes" in timeline
    assert "Decision Child protection plan" in timeline and "Category of the plan Neglect" in timeline
    assert f"Recorded by {WORKER}" in timeline
    # The summary says where the journey stands, in words.
    text = visible_text(page.text)
    assert "Stage On a child protection plan" in text
    assert "Authority Darlington (procedure version" in text
    assert "Category Neglect" in text and f"Plan started {day}" in text


async def test_an_undelivered_letter_is_shown_with_who_to_tell_another_way(
    world: JourneyWorld, signed_in_as: SignIn
) -> None:
    class NoAddressForTeamManagers:
        def send(self, request) -> None:
            if request.recipient_role == "team_manager":
                raise ApplicationError("no address for role team_manager", non_retryable=True, type="NotifyConfigError")

        def already_sent(self, reference: str) -> bool:
            return False

    journeys = SettledJourneys(world.env.client, "no-address", clock=world.env.get_current_time)
    async with build_worker(world.env.client, task_queue="no-address", engine=world.engine,
                            sender=NoAddressForTeamManagers()):
        await journeys.start(CASE, "darlington", StrategyDiscussion(
            event_id="sd-1", held_on=await world.today(), initiated_section_47=True))
        await world.days_pass(30)  # the ICPC is overdue: the team manager is to be told, and cannot be

        async def undelivered() -> bool:
            return bool((await journeys.state(CASE)).undelivered)
        await eventually(undelivered)
        web = await signed_in_as(CASEWORK, staff_ref=WORKER, journeys=journeys)
        page = await web.get(f"/journeys/{CASE}")

    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Letters that could not be delivered: tell these people another way." in text
    assert "Team manager: Overdue: Initial child protection conference for case CASE-0042" in text
    timeline = timeline_of(page.text)
    assert "Initial child protection conference: overdue" in timeline
    assert "Letter not delivered To the team manager: Overdue: Initial child protection conference" in timeline
    assert "tell the team manager another way" in timeline
    assert "Initial child protection conference: overdue since" in text  # the escalation, in words
    assert "icpc-overdue" not in text and "team_manager" not in text


async def test_the_deadlines_say_which_document_and_section_set_them(
    world: JourneyWorld, signed_in_as: SignIn
) -> None:
    web = await signed_in_as(CASEWORK, staff_ref=WORKER)
    held_on = await world.today()
    await post(web, "/api/journeys", {"case_ref": CASE, "policy": "darlington", "strategy_discussion": {
        "event_id": "sd-1", "held_on": held_on.isoformat(), "initiated_section_47": True}})
    [icpc] = (await web.get(f"/api/journeys/{CASE}")).json()["deadlines"]
    due = date.fromisoformat(icpc["due"])

    page = await web.get(f"/journeys/{CASE}")

    needs_doing = visible_text(page.text[page.text.index('id="what-needs-doing"'):page.text.index('id="record-now"')])
    assert (f"Initial child protection conference {due.day} {due:%B %Y} Due Team manager "
            f"15 working days after {held_on.day} {held_on:%B %Y} "
            "(Darlington procedures, Initial Child Protection Conference)") in needs_doing
    assert 'class="govuk-tag"' in page.text  # the status is a tag
    assert ".txt" not in page.text and "000_" not in page.text


async def test_a_supervisor_sees_no_links_to_record_anything(world: JourneyWorld, signed_in_as: SignIn) -> None:
    web = await signed_in_as(CASEWORK, staff_ref=WORKER)
    await a_child_on_a_plan_seen_and_discussed(world, web)
    supervisor = await signed_in_as(Role.SUPERVISOR, staff_ref="SUP-0001")

    seen = await supervisor.get(f"/journeys/{CASE}")
    worked = await web.get(f"/journeys/{CASE}")

    assert seen.status_code == 200
    assert f"/journeys/{CASE}/events/" not in seen.text and "/complaints/new" not in seen.text
    assert "Nothing you may record on this journey now." in visible_text(seen.text)
    assert "Temporal history of case CASE-0042" in seen.text  # supervisors read the history in the Temporal UI
    # Those who may record are offered one page per event, under the plan's headings.
    for href in (f"/journeys/{CASE}/events/visit_made", f"/journeys/{CASE}/events/core_group_held",
                 f"/journeys/{CASE}/events/review_scheduled", f"/journeys/{CASE}/events/conference_booked",
                 f"/journeys/{CASE}/complaints/new?type=complaint_made"):
        assert f'href="{href}"' in worked.text
    assert f'/journeys/{CASE}/events/child_found"' not in worked.text  # the child is not missing
    assert f'/journeys/{CASE}/events/icpc_held"' not in worked.text  # not at this stage
    for heading in ("Visits and meetings", "Reviews", "Ending the plan", "Concerns", "People"):
        assert f'<h3 class="govuk-heading-s">{heading}</h3>' in worked.text
    assert "Temporal history" not in worked.text


async def test_a_recorded_event_shows_a_success_banner(world: JourneyWorld, signed_in_as: SignIn) -> None:
    web = await signed_in_as(CASEWORK, staff_ref=WORKER)
    await a_child_on_a_plan_seen_and_discussed(world, web)

    after_a_visit = await web.get(f"/journeys/{CASE}?recorded=visit_made")
    after_a_booking = await web.get(f"/journeys/{CASE}?recorded=conference_booked")
    after_nonsense = await web.get(f"/journeys/{CASE}?recorded=<b>nonsense</b>")

    assert "govuk-notification-banner--success" in after_a_visit.text
    assert '<p class="govuk-notification-banner__heading">Visit recorded</p>' in after_a_visit.text
    assert '<p class="govuk-notification-banner__heading">Conference booked</p>' in after_a_booking.text
    assert after_nonsense.status_code == 200
    assert "govuk-notification-banner" not in after_nonsense.text and "<b>nonsense" not in after_nonsense.text


async def test_no_enum_value_or_event_id_on_the_page(world: JourneyWorld, signed_in_as: SignIn) -> None:
    web = await signed_in_as(CASEWORK, staff_ref=WORKER)
    await a_child_on_a_plan_seen_and_discussed(world, web)
    await world.days_pass(40)  # visits and the core group fall overdue: escalations in words

    page = await web.get(f"/journeys/{CASE}")

    text = visible_text(page.text)
    assert "overdue since" in text
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text), "a stored value on the page"
    for event_id in ("sd-1", "icpc-1", "visit-1", "cg-1", "-overdue-"):
        assert event_id not in text
    assert "darlington@" not in text and "on_plan" not in page.text
