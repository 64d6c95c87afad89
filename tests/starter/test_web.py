"""The service API and the admin tool, against a real (time-skipping) Temporal with a worker."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import date, timedelta
from html import escape
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from starter.codec import data_converter
from activities.db import make_engine
from activities.notify import FileSender
from domain.deadlines import icpc_deadline
from domain.events import IcpcHeld
from domain.state import JourneyState, Stage
from shipped.profiles import load_profile
from starter.client import Journeys, JourneySummary
from starter.web import create_app
from starter.web.markup import REASONS_HINT
from starter.web.pages import home_page, journey_page
from tests.conftest import TEMPORAL_CLI, JourneyWorld, eventually, london_today, quiet
from tests.starter.signing_in import signed_in_client
from worker import build_worker
from workflows.search_attributes import dev_server_flags

CASE = "CASE-0042"


def client_for(journeys: Journeys) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The app on ``journeys``, with someone who records casework signed in (tests/starter/signing_in.py)."""
    return signed_in_client(journeys)


@pytest.fixture
async def web(world: JourneyWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(world.journeys) as client:
        yield client


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


@pytest.fixture
async def dev_journeys(tmp_path: Path) -> AsyncIterator[Journeys]:
    """The dev server: unlike the time-skipping one, it can list workflows (the home page needs that)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI),
        dev_server_extra_args=dev_server_flags(),
        data_converter=data_converter(),
    )
    try:
        task_queue = f"test-{uuid.uuid4().hex[:8]}"
        engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
        sender = FileSender(tmp_path / "notifications.jsonl")
        async with build_worker(env.client, task_queue=task_queue, engine=engine, sender=sender):
            yield Journeys(env.client, task_queue)
    finally:
        await env.shutdown()


async def test_the_admin_home_page_lists_a_started_journey(dev_journeys: Journeys) -> None:
    async with client_for(dev_journeys) as web:
        today = london_today()  # the dev server's journeys refuse a date after London's today
        assert (await web.post("/api/journeys", json=start_body(today))).status_code == 201
        due = (await web.get(f"/api/journeys/{CASE}")).json()["deadlines"][0]["due"]

        async def listed() -> bool:  # visibility catches up with the journey's first upsert
            return f'ICPC <span class="date">{due}</span>' in (await web.get("/")).text
        await eventually(listed)

        page = (await web.get("/")).text
        assert f'<a href="/journeys/{CASE}">{CASE}</a>' in page
        assert f"/namespaces/default/workflows/cpj-{CASE}" in page
        assert "awaiting the initial child protection conference" in page.lower()
        assert f'ICPC <span class="date">{due}</span>' in page
        assert "Start a journey" in page
        listed = (await web.get("/api/journeys")).json()
        [summary] = listed["journeys"]
        assert summary["case_ref"] == CASE and summary["next_due"] == due and summary["overdue"] is False
        assert listed["next_page_token"] is None

        filtered = (await web.get("/", params={"policy": "sefton", "overdue": "no"})).text
        assert f'href="/journeys/{CASE}"' not in filtered and "No journeys match these filters." in filtered
        assert '<option value="sefton" selected>' in filtered and '<option value="no" selected>' in filtered
        assert f'href="/journeys/{CASE}"' in (await web.get("/", params={"policy": "darlington", "stage": "awaiting_icpc"})).text


def test_the_next_page_link_keeps_the_filters_and_a_later_page_links_back_to_the_first() -> None:
    row = JourneySummary(case_ref=CASE, workflow_id=f"cpj-{CASE}", status="running", stage="on_plan",
                         policy="darlington@1", next_deadline=None, next_deadline_kind=None, overdue=True)
    filters = {"stage": "on_plan", "overdue": "yes", "policy": ""}

    first = home_page([row], "http://ui.test", "default", filters=filters, next_page_token="tok-_2").body.decode()
    assert '<a href="/?stage=on_plan&amp;overdue=yes&amp;page_token=tok-_2" rel="next">Next page</a>' in first
    assert "First page" not in first

    last = home_page([], "http://ui.test", "default", filters=filters, page_token="tok-_2").body.decode()
    assert "No more journeys." in last and "Next page" not in last
    assert '<a href="/?stage=on_plan&amp;overdue=yes">First page</a>' in last


async def test_the_home_page_still_offers_the_start_form_when_temporal_cannot_list(web: httpx.AsyncClient) -> None:
    response = await web.get("/")
    assert response.status_code == 200
    assert "The journey list is not available" in response.text
    assert '<label for="case_ref">Case reference</label>' in response.text
    assert re.search(r'id="initiated_section_47" name="initiated_section_47" value="on" checked', response.text)


async def test_the_start_form_opens_the_journey_page_with_its_icpc_deadline(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await world.today()
    response = await web.post(
        "/journeys",
        data={"case_ref": CASE, "policy": "darlington", "strategy_discussion": today.isoformat(),
              "initiated_section_47": "on"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/journeys/{CASE}"

    page = (await web.get(response.headers["location"])).text
    due = icpc_deadline(load_profile("darlington"), today)
    assert f'<td>Initial child protection conference</td><td class="date">{due.due.isoformat()}</td><td>open</td>' in page
    assert escape(due.reason) in page
    for form in ("strategy_discussion", "icpc_delay_agreed", "icpc_held", "conference_not_required"):
        assert f'name="type" value="{form}"' in page
    assert re.search(r'name="event_id" value="web-[0-9a-f]{12}"', page)


async def test_the_start_form_refuses_a_name_for_a_case_reference(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    response = await web.post(
        "/journeys", data={"case_ref": "<b>Jane Smith</b>", "policy": "darlington",
                           "strategy_discussion": (await world.today()).isoformat()},
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert "at least four digits" in response.text
    assert "<b>Jane" not in response.text and "&lt;B&gt;JANE SMITH&lt;/B&gt;" in response.text


async def test_starting_a_running_journey_from_the_form_says_so(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    await start(web, world)
    response = await web.post(
        "/journeys", data={"case_ref": CASE, "policy": "darlington", "strategy_discussion": (await world.today()).isoformat()},
    )
    assert response.status_code == 409
    assert f"a journey for case {CASE} is already running" in response.text


async def test_a_form_event_the_journey_rejects_is_shown_on_the_journey_page(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await start(web, world)
    day_before = await world.today() - timedelta(days=1)

    response = await web.post(
        f"/journeys/{CASE}/events",
        data={"type": "icpc_held", "event_id": "web-0123456789ab", "held_on": day_before.isoformat(),
              "decision": "no_plan", "category": ""},
    )

    assert response.status_code == 409
    assert 'role="alert"' in response.text
    assert f"Held on {day_before} is before the strategy discussion that initiated the section 47 enquiry" in response.text
    assert f'value="{day_before.isoformat()}"' in response.text  # what was typed is kept
    assert "Traceback" not in response.text
    assert (await web.get(f"/api/journeys/{CASE}")).json()["stage"] == "awaiting_icpc"


async def test_a_malformed_form_event_is_shown_and_a_good_one_is_recorded(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await start(web, world)
    today = (await world.today()).isoformat()

    response = await web.post(f"/journeys/{CASE}/events",
                              data={"type": "icpc_held", "held_on": today, "decision": "plan", "category": ""})
    assert response.status_code == 422
    assert "A plan decision needs its category: physical_abuse" in response.text

    response = await web.post(f"/journeys/{CASE}/events",
                              data={"type": "icpc_held", "held_on": today, "decision": "plan", "category": "neglect"})
    assert response.status_code == 303
    page = (await web.get(response.headers["location"])).text
    assert "Recorded: ICPC held" in page
    assert "On a child protection plan" in page
    [event_id] = [i for i in (await web.get(f"/api/journeys/{CASE}")).json()["event_ids"] if i != "sd-1"]
    assert re.fullmatch(r"web-[0-9a-f]{12}", event_id)


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

    assert (f'<td>First lead social worker visit</td><td class="date">{visit["due"]}</td><td>open</td>'
            "<td>line manager</td>") in page
    assert "<dt>Category</dt><dd>Neglect</dd>" in page
    assert f"<dt>Plan started</dt><dd>{await world.today()}</dd>" in page
    assert "<dt>Lead social worker</dt><dd>not named yet</dd>" in page
    assert "<h2>Core group members</h2>" in page
    for heading in ("Visits and meetings", "Reviews", "Ending the plan", "Concerns", "People"):
        assert f'<h3 class="group">{heading}</h3>' in page
    assert 'name="type" value="visit_made"' in page
    assert '<label for="visit_made-visited_on">Visited on</label>' in page
    assert 'id="visit_made-outcome" name="outcome"' in page
    for kind in ("core_group_held", "review_scheduled", "review_held", "plan_ended", "child_missing",
                 "significant_event", "lead_social_worker_named", "lead_social_worker_cover",
                 "core_group_members_recorded"):
        assert f'name="type" value="{kind}"' in page
    assert 'name="type" value="child_found"' not in page  # the child is not missing
    assert 'name="type" value="task_completed"' not in page  # Darlington's plan opens no task deadlines
    assert page.count(escape(REASONS_HINT)) >= 3  # decisions, actions and the free-text role fields
    assert 'name="type" value="icpc_held"' not in page


async def test_the_task_form_offers_only_tasks_with_an_open_deadline(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    state = await on_plan(web, world, policy="staffordshire")
    assessment = live(state, "core_assessment")

    page = (await web.get(f"/journeys/{CASE}")).text

    assert 'name="type" value="task_completed"' in page
    assert f'<option value="core_assessment" selected>Core assessment (due {assessment["due"]})</option>' in page
    assert '<option value="plan_lodged_with_chair"' in page
    assert '<option value="review_reports"' not in page and '<option value="core_group_minutes"' not in page


async def test_a_visit_from_the_form_is_recorded_and_the_next_visit_falls_due(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await on_plan(web, world)
    await world.days_pass(2)
    today = (await world.today()).isoformat()

    response = await web.post(f"/journeys/{CASE}/events", data={
        "type": "visit_made", "event_id": "web-00000000v1", "visited_on": today, "outcome": "seen",
        "seen_alone": "on", "bedroom_seen": "on",
    })

    assert response.status_code == 303
    assert response.headers["location"] == f"/journeys/{CASE}?recorded=visit_made"
    page = (await web.get(response.headers["location"])).text
    assert "Recorded: Visit." in page
    state = (await web.get(f"/api/journeys/{CASE}")).json()
    next_visit = live(state, "visit")
    assert next_visit["due"] > today
    assert (f'<td>Lead social worker visit</td><td class="date">{next_visit["due"]}</td><td>open</td>'
            "<td>line manager</td>") in page
    assert '<td>First lead social worker visit</td>' in page and "<td>met</td><td></td>" in page


async def test_a_review_booked_past_its_limit_is_refused_on_the_page(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    state = await on_plan(web, world)
    limit = date.fromisoformat(live(state, "review")["due"])
    late = (limit + timedelta(days=1)).isoformat()

    response = await web.post(f"/journeys/{CASE}/events", data={
        "type": "review_scheduled", "event_id": "web-0000000book", "scheduled_on": (await world.today()).isoformat(),
        "review_date": late, "brought_forward_because": "",
    })

    assert response.status_code == 409
    assert 'role="alert"' in response.text
    assert f"Review booked was not recorded: the review cannot be postponed past {limit}" in response.text
    assert f'id="review_scheduled-review_date" name="review_date" value="{late}"' in response.text
    assert (await web.get(f"/api/journeys/{CASE}")).json()["review_date"] is None


async def test_a_malformed_plan_form_says_what_to_fix(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    await on_plan(web, world)
    today = (await world.today()).isoformat()

    response = await web.post(f"/journeys/{CASE}/events", data={
        "type": "core_group_members_recorded", "recorded_on": today, "members": "class teacher, school\nhealth visitor",
    })
    assert response.status_code == 422
    assert "Core group members, line 2, agency: String should have at least 2 characters" in response.text

    response = await web.post(f"/journeys/{CASE}/events", data={
        "type": "lead_social_worker_named", "named_on": today, "staff_ref": "Jane Smith",
    })
    assert response.status_code == 422
    assert "Lead social worker&#x27;s staff number: should be a staff number such as SW-1042 (never a name)" in response.text

    response = await web.post(f"/journeys/{CASE}/events", data={
        "type": "core_group_members_recorded", "recorded_on": today, "members": "class teacher, school\nhealth visitor, NHS",
    })
    assert response.status_code == 303
    page = (await web.get(response.headers["location"])).text
    assert "<tr><td>class teacher</td><td>school</td></tr><tr><td>health visitor</td><td>NHS</td></tr>" in page


async def test_ending_the_plan_from_the_form_closes_the_journey(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    await on_plan(web, world)

    response = await web.post(f"/journeys/{CASE}/events", data={
        "type": "plan_ended", "event_id": "web-000000000end", "ended_on": (await world.today()).isoformat(),
        "reason": "turned_18",
    })

    assert response.status_code == 303
    page = (await web.get(response.headers["location"])).text
    assert "<dt>Stage</dt><dd>Closed</dd>" in page
    assert "plan ended: turned 18" in page
    assert "The journey has closed: it takes no more events." in page
    # Only a complaint or disagreement may still start: about the decision to end the plan, say.
    assert set(re.findall(r'name="type" value="([a-z_]+)"', page)) == {"complaint_made", "disagreement_raised"}
    assert page.split("<main>")[1].count("<form") == 2  # beside the header's sign-out


async def test_a_missing_child_is_shown_and_only_the_found_form_is_offered(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await on_plan(web, world)
    today = (await world.today()).isoformat()

    response = await web.post(f"/journeys/{CASE}/events",
                              data={"type": "child_missing", "event_id": "web-0000missing", "reported_on": today})

    assert response.status_code == 303
    page = (await web.get(response.headers["location"])).text
    assert f'<dt>Missing since</dt><dd class="missing">{today}' in page
    assert 'name="type" value="child_found"' in page
    assert 'name="type" value="child_missing"' not in page
    assert "<td>Missing child traced</td>" in page and "<td>senior child protection manager</td>" in page


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


def test_undelivered_notices_are_shown_in_an_alert_and_escaped() -> None:
    state = JourneyState(case_ref=CASE, policy="darlington", stage=Stage.ON_PLAN, plan_started_on=date(2026, 3, 2),
                         category="neglect", missing_since=date(2026, 3, 9),
                         undelivered=["line_manager: Overdue <visit> (no address for line_manager)"])
    page = journey_page(state, "http://ui.test", "default").body.decode()
    assert '<div class="alert" role="alert"><p>Notices that could not be delivered' in page
    assert "Overdue &lt;visit&gt; (no address for line_manager)" in page
    assert '<dt>Missing since</dt><dd class="missing">2026-03-09' in page


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
    assert "Book a conference" in page and '<option value="initial" selected>' in page
    assert '<option value="review"' not in page
    response = await web.post(f"/journeys/{CASE}/events", data={
        "type": "conference_booked", "event_id": f"web-book-{ref}", "kind": "initial", "conference_ref": ref.lower(),
        "booked_on": today.isoformat(), "meeting_on": (today + timedelta(days=days_ahead)).isoformat(),
        "chair_ref": "cpc-0042", "chair_independent_of_the_case": "on", "siblings": ""})
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_booking_from_the_journey_page_starts_a_conference_and_links_to_it(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    location = await book_from_the_form(web, world, days_ahead=14)

    page = (await web.get(location)).text
    assert "Recorded: Conference booked." in page
    assert '<a href="/conferences/ICPC-0200">open conference ICPC-0200</a>' in page
    assert "Book a conference" not in page
    assert (await web.get("/api/conferences/ICPC-0200")).json()["stage"] == "convening"


async def test_booking_without_an_independent_chair_is_refused_on_the_journey_page(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await start(web, world)
    today = (await world.today()).isoformat()
    response = await web.post(f"/journeys/{CASE}/events", data={
        "type": "conference_booked", "kind": "initial", "conference_ref": "ICPC-0201", "booked_on": today,
        "meeting_on": today, "chair_ref": "CPC-0042"})
    assert response.status_code == 409  # the authority's procedure refuses it, in the journey
    assert "independent of the case" in response.text
    assert 'value="ICPC-0201"' in response.text  # what was typed is kept


async def test_the_conference_page_shows_the_report_to_chair_deadline_and_its_forms(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await book_from_the_form(web, world, days_ahead=14)
    state = (await web.get("/api/conferences/ICPC-0200")).json()
    report = next(row for row in state["deadlines"] if row["kind"] == "report_to_chair")

    response = await web.get("/conferences/ICPC-0200")

    assert response.status_code == 200
    page = response.text
    assert "<h1>Conference ICPC-0200</h1>" in page
    assert (f"<td>Social worker&#x27;s report to the chair</td><td class=\"date\">{report['due']}</td><td>open</td>"
            "<td>team manager</td>") in page
    assert escape(report["reason"]) in page
    for kind in ("invitations_sent", "conference_task_done", "exclusion_requested", "split_arranged",
                 "conference_held"):
        assert f'name="type" value="{kind}"' in page
    assert 'name="type" value="exclusion_decided"' not in page  # nothing to decide yet
    assert '<option value="report_to_chair"' in page
    assert f'<legend>Decision for case {CASE}</legend>' in page
    assert (await web.get("/conferences/NOPE-0000")).status_code == 404


async def test_an_exclusion_request_posted_too_late_is_refused_on_the_conference_page(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await world.today()
    days = 1 if today.weekday() < 4 else 7 - today.weekday()  # the next working day
    await book_from_the_form(web, world, days_ahead=days)

    response = await web.post("/conferences/ICPC-0200/events", data={
        "type": "exclusion_requested", "event_id": "web-0000000ex1", "requested_on": today.isoformat(),
        "parent_role": "father", "grounds": ["likely_to_interfere_seriously_with_the_conference"]})

    assert response.status_code == 409
    assert 'role="alert"' in response.text
    assert "Exclusion requested was not recorded: an exclusion request must reach the chair by" in response.text
    assert 'value="likely_to_interfere_seriously_with_the_conference" selected' in response.text
    assert (await web.get("/api/conferences/ICPC-0200")).json()["exclusions"] == []


async def test_a_conference_held_from_the_form_puts_the_child_on_a_plan(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    await book_from_the_form(web, world, days_ahead=7)
    await world.days_pass(7)
    meeting = {"type": "conference_held", "event_id": "web-00000held1", "held_on": (await world.today()).isoformat(),
               "childrens_social_care_present": "on", "other_agencies_present": "school\nhealth visitor",
               "parents_present": "on", "inquorate_action": "", "inquorate_reason": "",
               "child-0-plan": "yes", "child-0-category": "", "child-0-agencies_for_plan": "3",
               "child-0-agencies_against_plan": "1", "child-0-chair_casting_vote": "", "child-0-dissent": ""}

    invalid = await web.post("/conferences/ICPC-0200/events", data=meeting)
    assert invalid.status_code == 422
    assert "a plan has exactly one category" in invalid.text

    response = await web.post("/conferences/ICPC-0200/events", data={**meeting, "child-0-category": "neglect"})
    assert response.status_code == 303
    assert response.headers["location"] == "/conferences/ICPC-0200?recorded=conference_held"
    page = (await web.get(response.headers["location"])).text
    assert "Recorded: Conference held." in page
    assert "<dt>Stage</dt><dd>Held</dd>" in page

    async def on_a_plan() -> bool:
        return (await web.get(f"/api/journeys/{CASE}")).json()["stage"] == "on_plan"
    await eventually(on_a_plan)
    assert "On a child protection plan" in (await web.get(f"/journeys/{CASE}")).text


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
                     await web.post("/journeys/conf-ICPC-0100/events", data={"type": "child_missing"}),
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
