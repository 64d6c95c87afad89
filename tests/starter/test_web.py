"""The service API and the admin tool, against a real (time-skipping) Temporal with a worker."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import date, timedelta

import httpx
import pytest

from domain.deadlines import icpc_deadline
from domain.events import IcpcHeld
from domain.state import JourneyState, Stage
from shipped.profiles import load_profile
from starter.client import Journeys
from starter.web import create_app
from starter.web.story import journey_page
from starter.web.timeline import Story
from tests.conftest import JourneyWorld, eventually, quiet
from starter.accounts import IdentityStore
from tests.starter.signing_in import signed_in_client
from tests.starter.test_journey_story import visible_text

CASE = "CASE-0042"


def client_for(journeys: Journeys) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The app on ``journeys``, with someone who records casework signed in (tests/starter/signing_in.py)."""
    return signed_in_client(journeys)


@pytest.fixture
async def web(world: JourneyWorld) -> AsyncIterator[httpx.AsyncClient]:
    # On the records database the worker writes: a journey's page reads its timeline there.
    async with signed_in_client(world.journeys, store=IdentityStore(world.engine)) as client:
        yield client


def day_parts(name: str, on: date) -> dict[str, str]:
    """A date as the admin tool's date input posts it: day, month and year boxes."""
    return {f"{name}-day": str(on.day), f"{name}-month": str(on.month), f"{name}-year": str(on.year)}


def start_body(held_on: date, case_ref: str = CASE, policy: str = "darlington", initiated: bool = True,
               event_id: str = "sd-1") -> dict:
    return {
        "case_ref": case_ref,
        "policy": policy,
        "strategy_discussion": {"event_id": event_id, "held_on": held_on.isoformat(), "initiated_section_47": initiated},
    }


async def start(web: httpx.AsyncClient, world: JourneyWorld, **kwargs) -> dict:
    body = start_body(await world.today(), **kwargs)
    response = await web.post("/api/journeys", json=body)
    assert response.status_code == 201, response.text
    # The opening record follows the start: wait for it, so "unchanged" below compares like with like.
    await quiet(world.env.client, f"cpj-{body['case_ref']}")
    return response.json()


# -- service API -----------------------------------------------------------------------


async def test_a_service_starts_a_journey_and_an_icpc_with_a_plan_puts_the_child_on_a_plan(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    started = await start(web, world)
    assert started["workflow_id"] == f"cpj-{CASE}"
    assert started["state"]["stage"] == "awaiting_icpc"
    assert started["state"]["deadlines"][0]["kind"] == "icpc"

    await world.days_pass(5)
    response = await web.post(
        f"/api/journeys/{CASE}/events",
        json={"type": "icpc_held", "event_id": "icpc-1", "held_on": (await world.today()).isoformat(),
              "decision": "plan", "category": "neglect"},
    )

    assert response.status_code == 200, response.text
    state = response.json()
    assert state.pop("receipt") == {"event_id": "icpc-1", "type": "icpc_held", "resend": False, "stage": "on_plan"}
    assert state["stage"] == "on_plan"
    assert state["icpc"]["category"] == "neglect"
    assert (await web.get(f"/api/journeys/{CASE}")).json() == state


async def test_a_plan_without_its_category_is_refused_and_the_journey_is_unchanged(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await start(web, world)
    before = (await web.get(f"/api/journeys/{CASE}")).json()

    response = await web.post(
        f"/api/journeys/{CASE}/events",
        json={"type": "icpc_held", "event_id": "icpc-1", "held_on": (await world.today()).isoformat(), "decision": "plan"},
    )

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert "a plan decision needs its category" in error["msg"]
    assert (await web.get(f"/api/journeys/{CASE}")).json() == before


async def test_an_icpc_held_before_the_strategy_discussion_is_refused_with_the_journeys_reason(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await start(web, world)
    before = (await web.get(f"/api/journeys/{CASE}")).json()
    day_before = await world.today() - timedelta(days=1)

    response = await web.post(
        f"/api/journeys/{CASE}/events",
        json={"type": "icpc_held", "event_id": "icpc-1", "held_on": day_before.isoformat(), "decision": "no_plan"},
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Held on {day_before} is before the strategy discussion that initiated the section 47 enquiry "
                  f"({await world.today()})"
    }
    assert (await web.get(f"/api/journeys/{CASE}")).json() == before


async def test_a_case_with_no_journey_is_404(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    response = await web.get("/api/journeys/CASE-9999")
    assert response.status_code == 404
    assert response.json() == {"detail": "no journey for case CASE-9999"}

    response = await web.post(
        "/api/journeys/CASE-9999/events",
        json={"type": "icpc_held", "event_id": "icpc-1", "held_on": (await world.today()).isoformat(), "decision": "no_plan"},
    )
    assert response.status_code == 404


async def test_a_running_journey_cannot_be_started_twice(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    first = await start(web, world)
    assert first["resend"] is False

    # The service did not hear the answer and sends the same start again: it is told the journey runs.
    retried = await web.post("/api/journeys", json=start_body(await world.today()))
    assert retried.status_code == 200, retried.text
    assert retried.json()["resend"] is True
    assert retried.json()["workflow_id"] == first["workflow_id"]
    assert retried.json()["state"]["strategy_discussions"] == first["state"]["strategy_discussions"]

    # A different strategy discussion for a case whose journey runs is another start: refused.
    response = await web.post("/api/journeys", json=start_body(await world.today(), event_id="sd-2"))
    assert response.status_code == 409
    assert response.json() == {"detail": f"a journey for case {CASE} is already running"}
    response = await web.post("/api/journeys", json=start_body(await world.today(), initiated=False))
    assert response.status_code == 409
    assert "it opened with event sd-1, which said something else" in response.json()["detail"]


async def test_a_start_with_a_name_for_a_case_ref_or_an_unknown_policy_is_refused(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    response = await web.post("/api/journeys", json=start_body(await world.today(), case_ref="JANE-SMITH"))
    assert response.status_code == 422
    assert "case_ref" in response.json()["detail"][0]["loc"]

    response = await web.post("/api/journeys", json=start_body(await world.today(), policy="nowhere"))
    assert response.status_code == 404
    assert "no policy profile 'nowhere'" in response.json()["detail"]


async def test_policies_and_the_icpc_deadline_they_give(web: httpx.AsyncClient) -> None:
    policies = (await web.get("/api/policies")).json()
    assert {"id": "darlington", "version": load_profile("darlington").version,
            "authority": load_profile("darlington").authority} in policies
    assert (await web.get("/api/policies/darlington")).json()["rules"]["icpc_within"]["unit"] == "working_days"
    assert (await web.get("/api/policies/nowhere")).status_code == 404

    response = await web.get("/api/deadlines", params={"policy": "darlington", "strategy_discussion": "2026-03-02"})
    expected = icpc_deadline(load_profile("darlington"), date(2026, 3, 2))
    assert response.json() == {"kind": "icpc", "rule": "icpc_within", "due": expected.due.isoformat(),
                               "reason": expected.reason, "policy": load_profile("darlington").pin}
    assert (await web.get("/api/deadlines", params={"policy": "darlington", "strategy_discussion": "soon"})).status_code == 422


# -- admin tool --------------------------------------------------------------------------


async def test_the_start_form_opens_the_journey_page_with_its_icpc_deadline(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await world.today()
    response = await web.post(
        "/journeys",
        data={"type": "strategy_discussion", "case_ref": CASE, "policy": "darlington",
              **day_parts("strategy_discussion", today), "initiated_section_47": "yes"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/journeys/{CASE}"

    page = (await web.get(response.headers["location"])).text
    due = icpc_deadline(load_profile("darlington"), today)
    assert (f"Initial child protection conference {due.due.day} {due.due:%B %Y} Due Team manager 15 working days "
            f"after {today.day} {today:%B %Y}") in visible_text(page)
    assert "(Darlington procedures, Initial Child Protection Conference)" in page
    for kind in ("strategy_discussion", "icpc_delay_agreed", "icpc_held", "conference_not_required"):
        assert f'href="/journeys/{CASE}/events/{kind}"' in page  # one page per event


async def test_a_journey_page_for_an_unknown_case_is_404_and_a_bad_reference_422_escaped(web: httpx.AsyncClient) -> None:
    response = await web.get("/journeys/%3Cscript%3Ealert(1)")
    assert response.status_code == 422
    assert "<script>" not in response.text
    unknown = await web.get("/journeys/CASE-9999")
    assert unknown.status_code == 404
    assert "no journey for case CASE-9999" in unknown.text


# -- the plan ----------------------------------------------------------------------------


async def on_plan(web: httpx.AsyncClient, world: JourneyWorld, policy: str = "darlington") -> dict:
    """A journey whose ICPC decided on a plan a week after the strategy discussion."""
    await start(web, world, policy=policy)
    await world.days_pass(7)
    await world.journeys.send(
        CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan", category="neglect")
    )
    return (await web.get(f"/api/journeys/{CASE}")).json()


def live(state: dict, kind: str) -> dict:
    [row] = [row for row in state["deadlines"] if row["kind"] == kind and row["status"] in ("open", "overdue")]
    return row


async def test_the_journey_page_on_a_plan_shows_who_a_missed_visit_goes_to_and_the_plan_forms(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    state = await on_plan(web, world)
    visit = live(state, "visit")

    page = (await web.get(f"/journeys/{CASE}")).text

    due, started = date.fromisoformat(visit["due"]), await world.today()
    text = visible_text(page)
    assert f"First lead social worker visit {due.day} {due:%B %Y} Due Line manager" in text
    assert "Category Neglect" in text and f"Plan started {started.day} {started:%B %Y}" in text
    assert "Lead social worker's staff number Not named yet" in text
    assert "Core group members None recorded yet." in text
    for heading in ("Visits and meetings", "Reviews", "Ending the plan", "Concerns", "People"):
        assert f'<h3 class="govuk-heading-s">{heading}</h3>' in page
    for kind in ("visit_made", "core_group_held", "review_scheduled", "review_held", "plan_ended", "child_missing",
                 "significant_event", "lead_social_worker_named", "lead_social_worker_cover",
                 "core_group_members_recorded"):
        assert f'href="/journeys/{CASE}/events/{kind}"' in page
    assert "/events/child_found" not in page  # the child is not missing
    assert "/events/icpc_held" not in page


async def test_a_visit_from_the_form_is_recorded_and_the_next_visit_falls_due(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await on_plan(web, world)
    await world.days_pass(2)
    today = (await world.today()).isoformat()

    response = await web.post(f"/journeys/{CASE}/events/visit_made", data={
        "type": "visit_made", "event_id": "web-00000000v1", **day_parts("visited_on", date.fromisoformat(today)),
        "outcome": "seen", "seen_alone": "on", "bedroom_seen": "on",
    })

    assert response.status_code == 303
    assert response.headers["location"] == f"/journeys/{CASE}?recorded=visit_made"
    page = (await web.get(response.headers["location"])).text
    assert '<p class="govuk-notification-banner__heading">Visit recorded</p>' in page
    state = (await web.get(f"/api/journeys/{CASE}")).json()
    next_visit = live(state, "visit")
    assert next_visit["due"] > today
    due = date.fromisoformat(next_visit["due"])
    text = visible_text(page)
    assert f"Lead social worker visit {due.day} {due:%B %Y} Due Line manager" in text
    assert "First lead social worker visit" in text.split("Deadlines met or no longer needed")[-1]  # met, folded away


async def test_ending_the_plan_from_the_form_closes_the_journey(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    await on_plan(web, world)

    response = await web.post(f"/journeys/{CASE}/events/plan_ended", data={
        "type": "plan_ended", "event_id": "web-000000000end", **day_parts("ended_on", await world.today()),
        "reason": "turned_18", "confirmed": "yes",  # answers checked (tests/starter/test_event_pages.py)
    })

    assert response.status_code == 303
    page = (await web.get(response.headers["location"])).text
    text = visible_text(page)
    assert "Stage Closed" in text and "plan ended: turned 18" in text
    assert "The journey has closed: it takes no more events." in text
    # Only a complaint or disagreement may still start: about the decision to end the plan, say.
    assert f"/journeys/{CASE}/events/" not in page
    assert set(re.findall(r'/complaints/new\?type=([a-z_]+)"', page)) == {"complaint_made", "disagreement_raised"}


async def test_a_missing_child_is_shown_and_only_the_found_form_is_offered(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await on_plan(web, world)
    today = (await world.today()).isoformat()

    response = await web.post(f"/journeys/{CASE}/events/child_missing",
                              data={"type": "child_missing", "event_id": "web-0000missing",
                                    **day_parts("reported_on", date.fromisoformat(today))})

    assert response.status_code == 303
    page = (await web.get(response.headers["location"])).text
    reported = date.fromisoformat(today)
    text = visible_text(page)
    assert f"The child has been missing since {reported.day} {reported:%B %Y}." in text
    assert f'href="/journeys/{CASE}/events/child_found"' in page
    assert "/events/child_missing" not in page
    assert "Missing child traced" in text and "Senior child protection manager" in text


async def test_a_service_records_a_visit_on_a_plan(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    await on_plan(web, world)

    response = await web.post(f"/api/journeys/{CASE}/events", json={
        "type": "visit_made", "event_id": "visit-1", "visited_on": (await world.today()).isoformat(),
        "outcome": "seen", "seen_alone": True,
    })

    assert response.status_code == 200, response.text
    state = response.json()
    assert "visit-1" in state["event_ids"]
    assert [row["status"] for row in state["deadlines"] if row["kind"] == "visit"] == ["met", "open"]


def test_undelivered_notices_are_shown_as_a_warning_and_escaped() -> None:
    state = JourneyState(case_ref=CASE, policy="darlington", stage=Stage.ON_PLAN, plan_started_on=date(2026, 3, 2),
                         category="neglect", missing_since=date(2026, 3, 9),
                         undelivered=["line_manager: Overdue <visit> (no address for line_manager)"])
    page = journey_page(state, Story()).body.decode()
    assert "Letters that could not be delivered: tell these people another way." in page
    assert "Line manager: Overdue &lt;visit&gt; (no address for line manager)" in page
    assert "The child has been missing since 9 March 2026." in visible_text(page)


async def test_a_feed_posts_a_significant_event_and_is_answered_at_once(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await start(web, world, policy="local-guide")
    await world.days_pass(7)
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(),
                                             decision="plan", category="neglect"))
    today = (await world.today()).isoformat()
    accepted = await web.post(f"/api/journeys/{CASE}/feed", json={
        "type": "significant_event", "event_id": "police-77", "occurred_on": today, "kind": "police_involvement"})
    assert accepted.status_code == 202 and accepted.json() == {"accepted": "police-77"}

    async def applied() -> bool:
        return "significant_event" in [row.kind for row in world.records(CASE)]
    await eventually(applied)
    not_a_feed = await web.post(f"/api/journeys/{CASE}/feed", json={
        "type": "visit_made", "event_id": "v-1", "visited_on": today, "outcome": "seen"})
    assert not_a_feed.status_code == 422


async def book_a_conference_today(web: httpx.AsyncClient, world: JourneyWorld) -> str:
    """A Birmingham journey books initial conference ICPC-0100 for today; returns today (ISO)."""
    await start(web, world, policy="birmingham")
    today = (await world.today()).isoformat()
    booked = await web.post(f"/api/journeys/{CASE}/events", json={
        "type": "conference_booked", "event_id": "book-1", "booked_on": today, "conference_ref": "ICPC-0100",
        "kind": "initial", "meeting_on": today, "chair_ref": "CPC-0042", "chair_independent_of_the_case": True})
    assert booked.status_code == 200, booked.text
    return today


async def test_a_service_books_a_conference_and_sends_it_the_meeting(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    today = await book_a_conference_today(web, world)
    shown = await web.get("/api/conferences/ICPC-0100")
    assert shown.status_code == 200 and shown.json()["stage"] == "convening"

    tie = {"case_ref": CASE, "plan": True, "category": "neglect", "agencies_for_plan": 2, "agencies_against_plan": 2}
    meeting = {"type": "conference_held", "event_id": "held-1", "held_on": today, "parents_present": True,
               "childrens_social_care_present": True, "other_agencies_present": ["school", "GP"], "decisions": [tie]}
    refused = await web.post("/api/conferences/ICPC-0100/events", json=meeting)
    assert refused.status_code == 409 and "evenly split" in refused.json()["detail"]
    held = await web.post("/api/conferences/ICPC-0100/events",
                          json={**meeting, "decisions": [{**tie, "chair_casting_vote": True}]})
    assert held.status_code == 200 and held.json()["stage"] == "held"
    assert (await web.get("/api/conferences/NOPE-0000")).status_code == 404


# -- conferences ---------------------------------------------------------------------------


async def book_from_the_form(web: httpx.AsyncClient, world: JourneyWorld, days_ahead: int, ref: str = "ICPC-0200",
                             policy: str = "darlington") -> str:
    await start(web, world, policy=policy)
    today = await world.today()
    page = (await web.get(f"/journeys/{CASE}")).text
    assert f'href="/journeys/{CASE}/events/conference_booked"' in page  # booking is one page of its own
    response = await web.post(f"/journeys/{CASE}/events/conference_booked", data={
        "type": "conference_booked", "event_id": f"web-book-{ref}", "kind": "initial", "conference_ref": ref.lower(),
        **day_parts("booked_on", today), **day_parts("meeting_on", today + timedelta(days=days_ahead)),
        "chair_ref": "cpc-0042", "chair_independent_of_the_case": "on", "siblings": ""})
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_booking_from_the_journey_page_starts_a_conference_and_links_to_it(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    location = await book_from_the_form(web, world, days_ahead=14)

    page = (await web.get(location)).text
    assert '<p class="govuk-notification-banner__heading">Conference booked</p>' in page
    assert 'href="/conferences/ICPC-0200">Conference ICPC-0200</a> (booked now)' in page
    assert "/events/conference_booked" not in page  # one conference at a time
    assert (await web.get("/api/conferences/ICPC-0200")).json()["stage"] == "convening"


async def test_the_conference_page_shows_the_report_to_chair_deadline_and_its_forms(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await book_from_the_form(web, world, days_ahead=14)
    state = (await web.get("/api/conferences/ICPC-0200")).json()
    report = next(row for row in state["deadlines"] if row["kind"] == "report_to_chair")

    response = await web.get("/conferences/ICPC-0200")

    assert response.status_code == 200
    page = response.text
    assert '<h1 class="govuk-heading-l">Conference ICPC-0200</h1>' in page
    due = date.fromisoformat(report["due"])
    text = visible_text(page)
    assert f"Social worker's report to the chair {due.day} {due:%B %Y} Due Team manager" in text
    assert "(Darlington procedures," in text and report["due"] not in text  # dates in words, the document named
    for kind in ("invitations_sent", "conference_task_done", "exclusion_requested", "split_arranged",
                 "conference_held"):
        assert f'href="/conferences/ICPC-0200/events/{kind}"' in page
    assert "/events/exclusion_decided" not in page  # nothing to decide yet
    assert f'href="/journeys/{CASE}">Case {CASE}</a>' in page
    assert "Conference booked" in text  # its timeline, from the records
    assert (await web.get("/conferences/NOPE-0000")).status_code == 404


# -- input that must never reach a journey's history ----------------------------------------


async def no_journey(web: httpx.AsyncClient, case_ref: str = CASE) -> bool:
    return (await web.get(f"/api/journeys/{case_ref}")).status_code == 404


@pytest.mark.parametrize("held_on", ["0001-01-01", "1899-12-31", "9999-12-31", 0])
async def test_a_strategy_discussion_dated_outside_the_calendar_starts_no_journey(
    web: httpx.AsyncClient, world: JourneyWorld, held_on: str | int
) -> None:
    body = start_body(await world.today())
    body["strategy_discussion"]["held_on"] = held_on

    response = await web.post("/api/journeys", json=body)

    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "strategy_discussion", "held_on"]
    assert error["msg"] in (f"{held_on} is outside the days the calendar can count from (2001-01-01 to 2099-12-31)",
                            "a date is written YYYY-MM-DD")
    assert await no_journey(web)


async def test_a_delay_to_the_end_of_time_is_refused_and_the_journey_goes_on(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await start(web, world)
    before = (await web.get(f"/api/journeys/{CASE}")).json()["deadlines"]

    response = await web.post(f"/api/journeys/{CASE}/events", json={
        "type": "icpc_delay_agreed", "event_id": "delay-1", "agreed_on": (await world.today()).isoformat(),
        "agreed_by": "team_manager", "reasons": "Police interviews come first.", "new_target": "9999-12-31"})

    assert response.status_code == 422
    assert "9999-12-31 is outside the days the calendar can count from" in response.json()["detail"][0]["msg"]
    assert (await web.get(f"/api/journeys/{CASE}")).json()["deadlines"] == before


@pytest.mark.parametrize("day", ["0001-01-01", "2101-01-01", "9999-12-31", "2100-12-31"])
async def test_the_deadline_calculator_refuses_a_day_it_cannot_count_from(web: httpx.AsyncClient, day: str) -> None:
    response = await web.get("/api/deadlines", params={"policy": "darlington", "strategy_discussion": day})

    assert response.status_code == 422
    assert "outside the days the calendar can count from" in response.json()["detail"][0]["msg"]


async def test_nan_in_a_start_is_refused_and_starts_nothing(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    # Python's JSON reader accepts NaN; quoting it back in the error must not turn a 422 into a 500.
    body = (f'{{"case_ref": "{CASE}", "policy": "darlington", "strategy_discussion": {{"event_id": "sd-1", '
            f'"held_on": "{await world.today()}", "initiated_section_47": NaN}}}}')

    response = await web.post("/api/journeys", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "strategy_discussion", "initiated_section_47"] and error["input"] == "nan"
    assert await no_journey(web)


async def test_a_nul_in_the_originating_authority_is_refused_and_starts_nothing(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    # On PostgreSQL a NUL cannot be stored: the journey's record would have failed for ever.
    response = await web.post("/api/journeys", json={
        "case_ref": CASE, "policy": "darlington",
        "transfer_in": {"event_id": "ti-1", "agreed_on": (await world.today()).isoformat(),
                        "originating_authority": "Leeds\u0000City Council", "category": "neglect"}})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "transfer_in", "originating_authority"]
    assert error["msg"] == "control characters are not allowed (found U+0000)"
    assert await no_journey(web)


async def test_a_conferences_id_in_a_journeys_path_never_reaches_the_conference(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await book_a_conference_today(web, world)

    async def convening() -> bool:
        return (await web.get("/api/conferences/ICPC-0100")).status_code == 200
    await eventually(convening)
    missing = {"type": "child_missing", "event_id": "missing-1", "reported_on": today}

    # The conference's workflow id is cpj-conf-ICPC-0100: the journey routes must not address it.
    for response in (await web.get("/api/journeys/conf-ICPC-0100"),
                     await web.post("/api/journeys/conf-ICPC-0100/feed", json=missing),
                     await web.post("/api/journeys/conf-ICPC-0100/events", json=missing)):
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["path", "case_ref"]
    assert (await web.get("/api/conferences/cpj-conf-ICPC-0100")).status_code == 422
    assert (await web.post("/api/conferences/icpc 0100/events", json=missing)).status_code == 422
    # Nor may the admin tool's pages and forms.
    for response in (await web.get("/journeys/conf-ICPC-0100"),
                     await web.post("/journeys/conf-ICPC-0100/events/child_missing", data={"type": "child_missing"}),
                     await web.get("/conferences/cpj-conf-ICPC-0100")):
        assert response.status_code == 422, response.text

    history = await world.env.client.get_workflow_handle("cpj-conf-ICPC-0100").fetch_history()
    assert not [event for event in history.events if event.HasField("workflow_execution_signaled_event_attributes")]
    assert (await web.get("/api/conferences/ICPC-0100")).json()["stage"] == "convening"


async def test_a_body_of_a_mebibyte_is_refused_before_it_is_read(web: httpx.AsyncClient) -> None:
    huge = b'{"case_ref": "CASE-0042", "policy": "' + b"x" * (1 << 20) + b'"}'

    declared = await web.post("/api/journeys", content=huge, headers={"content-type": "application/json"})

    async def chunks():
        for start_at in range(0, len(huge), 16 * 1024):
            yield huge[start_at:start_at + 16 * 1024]

    streamed = await web.post("/api/journeys", content=chunks(), headers={"content-type": "application/json"})
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json() == {"detail": "the request body is larger than 256 KiB, more than any event needs"}
    form = await web.post("/journeys", content=b"case_ref=" + b"x" * (1 << 20),
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 413 and "larger than 256 KiB" in form.text


def test_the_largest_event_the_models_allow_fits_under_the_body_limit() -> None:
    import json

    from domain.events import CoreGroupHeld
    from starter.web.errors import MAX_BODY_BYTES

    # Every list full, every text at its longest, every character sent as a \uXXXX escape.
    def most(name: str) -> int:
        return next(m.max_length for m in CoreGroupHeld.model_fields[name].metadata if hasattr(m, "max_length"))

    largest = {"type": "core_group_held", "event_id": "c" * 64, "held_on": "2026-01-05",
               "next_meeting_on": "2026-01-19", "attended": ["\u00e9" * 60] * most("attended"),
               "decisions": ["\u00e9" * 300] * most("decisions"), "actions": ["\u00e9" * 300] * most("actions")}
    CoreGroupHeld.model_validate(largest)

    assert len(json.dumps(largest, ensure_ascii=True).encode()) < MAX_BODY_BYTES


async def test_a_value_error_from_deep_inside_a_route_is_a_422_with_its_sentence_not_a_500() -> None:
    async def no_temporal() -> Journeys:
        raise AssertionError("nothing here reaches Temporal")

    app = create_app(no_temporal)

    @app.get("/api/counting")
    async def counting() -> dict:
        raise ValueError("2101-01-03 is outside the calendar's years 2000-2100")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cpj.test") as client:
        response = await client.get("/api/counting")

    assert response.status_code == 422
    assert response.json() == {"detail": "2101-01-03 is outside the calendar's years 2000-2100"}
