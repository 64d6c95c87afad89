"""Complaints and disagreements from the service API and the admin tool, on a real (time-skipping) Temporal.

A service or a member of staff starts one about a case; the authority's procedure refuses what it
does not take (an ineligible complainant, one agency's own service, a date in the future, a stage out
of order) with its reason, and a retried start or event is answered as a resend.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import date, timedelta
from html import escape

import httpx
import pytest

from domain.complaints import ComplaintStage
from starter.client import Journeys
from tests.conftest import JourneyWorld, eventually, quiet
from starter.accounts import IdentityStore
from tests.starter.signing_in import signed_in_client
from tests.starter.test_journey_story import visible_text as story_text

CASE = "CASE-0042"
REF = "CMP-0001"


def client_for(journeys: Journeys) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The app on ``journeys``, with someone who records casework signed in (tests/starter/signing_in.py)."""
    return signed_in_client(journeys)


@pytest.fixture
async def web(world: JourneyWorld) -> AsyncIterator[httpx.AsyncClient]:
    # On the records database the worker writes: a journey's page reads its timeline there.
    async with signed_in_client(world.journeys, store=IdentityStore(world.engine)) as client:
        yield client


async def journey(web: httpx.AsyncClient, world: JourneyWorld, policy: str) -> str:
    """A journey on ``policy`` whose strategy discussion was today; returns today."""
    today = (await world.today()).isoformat()
    response = await web.post("/api/journeys", json={
        "case_ref": CASE, "policy": policy,
        "strategy_discussion": {"event_id": "sd-1", "held_on": today, "initiated_section_47": True}})
    assert response.status_code == 201, response.text
    await quiet(world.env.client, f"cpj-{CASE}")
    return today


def complaint_body(on: str, complainant: str = "parent", about: tuple[str, ...] = ("plan_decision",),
                   ref: str = REF, event_id: str = "c-1") -> dict:
    return {"complaint_ref": ref, "case_ref": CASE, "opening": {
        "type": "complaint_made", "event_id": event_id, "received_on": on, "complainant": complainant,
        "about": list(about), "conference_ref": "ICPC-0001", "conference_chair_ref": "CPC-0042"}}


async def event(web: httpx.AsyncClient, world: JourneyWorld, body: dict, ref: str = REF) -> httpx.Response:
    response = await web.post(f"/api/complaints/{ref}/events", json=body)
    await quiet(world.env.client, f"cpj-complaint-{ref}")
    return response


# -- the service API ----------------------------------------------------------------------------


async def test_a_parents_complaint_in_birmingham_goes_to_the_chair_and_a_retried_start_is_a_resend(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await journey(web, world, "birmingham")

    started = await web.post("/api/complaints", json=complaint_body(today))

    assert started.status_code == 201, started.text
    answer = started.json()
    assert answer["workflow_id"] == f"cpj-complaint-{REF}" and answer["resend"] is False
    state = answer["state"]
    assert state["stage"] == ComplaintStage.INFORMAL_RESOLUTION.value and state["process"] == "birmingham"
    [informal] = state["deadlines"]
    assert informal["kind"] == "complaint_informal_resolution" and informal["status"] == "open"
    assert informal["reason"] == f"14 days after {today} (Birmingham procedures (Section 6), 8.6)"

    retried = await web.post("/api/complaints", json=complaint_body(today))
    assert retried.status_code == 200, retried.text
    assert retried.json()["resend"] is True

    other = await web.post("/api/complaints", json=complaint_body(today, complainant="child"))
    assert other.status_code == 409
    assert other.json()["detail"] == (f"complaint reference {REF} is already used; it opened with event c-1, which "
                                      "said something else; give this one a reference of its own")
    assert (await web.get(f"/api/complaints/{REF}")).json()["stage"] == "informal_resolution"


async def test_the_procedure_refuses_an_invited_professional_and_a_complaint_dated_tomorrow_at_once(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await journey(web, world, "birmingham")

    invited = await web.post("/api/complaints", json=complaint_body(today, complainant="invited_professional"))
    assert invited.status_code == 409
    assert invited.json()["detail"] == (
        "this complaint cannot be taken under Birmingham's procedure: a professional who was invited to the "
        "conference is not eligible to use this procedure (Birmingham procedures (Section 6), 8.3)")

    tomorrow = (await world.today() + timedelta(days=1)).isoformat()
    future = await web.post("/api/complaints", json=complaint_body(tomorrow))
    assert future.status_code == 409
    assert future.json()["detail"] == f"the complaint is dated {tomorrow}, in the future (today is {today})"

    # Refused before anything started: the reference is still free.
    assert (await web.get(f"/api/complaints/{REF}")).status_code == 404


async def test_darlington_sends_a_complaint_about_an_agencys_own_service_to_that_agency(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await journey(web, world, "darlington")

    refused = await web.post("/api/complaints", json=complaint_body(today, about=("agency_service",)))

    assert refused.status_code == 409
    assert "goes to that agency's own complaints process" in refused.json()["detail"]
    assert (await web.get(f"/api/complaints/{REF}")).status_code == 404


async def test_a_stage_out_of_order_is_refused_with_the_reason_and_an_event_sent_twice_is_a_resend(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await journey(web, world, "birmingham")
    assert (await web.post("/api/complaints", json=complaint_body(today))).status_code == 201

    early = await event(web, world, {"type": "panel_decided", "event_id": "p-1", "letter_sent_on": today,
                                     "upheld": True})
    assert early.status_code == 409
    assert early.json()["detail"] == ("panel_decided does not follow now: the complaint is at stage informal_resolution, "
                                      "which waits for informal_resolution_ended, formal_complaint_received, "
                                      "complaint_closed")

    tomorrow = (await world.today() + timedelta(days=1)).isoformat()
    future = await event(web, world, {"type": "informal_resolution_ended", "event_id": "i-1", "ended_on": tomorrow,
                                      "resolved": False})
    assert future.status_code == 409 and "in the future" in future.json()["detail"]

    ended = {"type": "informal_resolution_ended", "event_id": "i-1", "ended_on": today, "resolved": False}
    first = await event(web, world, ended)
    assert first.status_code == 200, first.text
    assert first.json()["receipt"] == {"event_id": "i-1", "type": "informal_resolution_ended", "resend": False,
                                       "stage": "formal_complaint_invited"}
    again = await event(web, world, ended)
    assert again.status_code == 200 and again.json()["receipt"]["resend"] is True

    malformed = await event(web, world, {"type": "panel_convened", "event_id": "p-0", "convened_on": today,
                                         "members": 2, "members_with_previous_involvement": 0,
                                         "members_know_procedures": True})
    assert malformed.status_code == 422
    assert "three senior representatives" in malformed.json()["detail"][0]["msg"]
    assert (await web.get("/api/complaints/CMP-9999")).status_code == 404
    assert (await web.get("/api/complaints/cpj-complaint-CMP-0001")).status_code == 422


async def test_a_complaint_on_a_case_with_no_journey_is_404(web: httpx.AsyncClient, world: JourneyWorld) -> None:
    response = await web.post("/api/complaints", json=complaint_body((await world.today()).isoformat()))
    assert response.status_code == 404
    assert response.json() == {"detail": f"no journey for case {CASE}"}


# -- the admin tool -----------------------------------------------------------------------------


def day_parts(name: str, on: date) -> dict[str, str]:
    """A date as the admin tool's date input posts it: day, month and year boxes."""
    return {f"{name}-day": str(on.day), f"{name}-month": str(on.month), f"{name}-year": str(on.year)}


def visible_text(html: str) -> str:
    """What a member of staff reads: the page without its scripts and tags (so without form values and ids)."""
    return story_text(html)


async def test_staff_start_a_parents_complaint_from_the_journey_page_and_see_its_deadline_and_letters(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await journey(web, world, "birmingham")
    page = (await web.get(f"/journeys/{CASE}")).text
    assert "Complaints and disagreements No complaints or disagreements." in visible_text(page)
    assert f'href="/journeys/{CASE}/complaints/new?type=complaint_made">Start a complaint</a>' in page
    assert f'href="/journeys/{CASE}/complaints/new?type=disagreement_raised">Start a disagreement</a>' in page
    start = (await web.get(f"/journeys/{CASE}/complaints/new?type=complaint_made")).text
    assert '<h1 class="govuk-heading-l">Start a complaint</h1>' in start
    assert re.search(r'value="parent">\s*<label[^>]*>\s*A parent, or a person with parental responsibility', start)
    assert re.search(r'name="about" type="checkbox" value="plan_decision">\s*<label[^>]*>\s*'
                     r'The decision to make, continue or not make a plan', start)

    form = {"type": "complaint_made", "event_id": "web-00000cmp01", "complaint_ref": "cmp-0001",
            **day_parts("received_on", date.fromisoformat(today)), "complainant": "invited_professional",
            "about": ["plan_decision", "category"], "conference_ref": "icpc-0001", "conference_chair_ref": "cpc-0042"}
    refused = await web.post(f"/journeys/{CASE}/complaints", data=form)
    assert refused.status_code == 409
    assert "govuk-error-summary" in refused.text
    assert escape("This complaint cannot be taken under Birmingham's procedure: a "
                  "professional who was invited to the conference is not eligible to use this procedure",
                  quote=False) in refused.text.replace("&#39;", "'")
    assert 'value="invited_professional" checked' in refused.text  # what was chosen is kept
    assert 'value="category" checked' in refused.text and 'value="CMP-0001"' in refused.text

    response = await web.post(f"/journeys/{CASE}/complaints", data={**form, "complainant": "parent"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/complaints/{REF}?recorded=started"
    await quiet(world.env.client, f"cpj-complaint-{REF}")

    page = (await web.get(response.headers["location"])).text
    state = (await web.get(f"/api/complaints/{REF}")).json()
    [informal] = state["deadlines"]
    text = visible_text(page)
    received, due = date.fromisoformat(today), date.fromisoformat(informal["due"])
    assert '<h1 class="govuk-heading-l">Complaint CMP-0001</h1>' in page
    assert '<p class="govuk-notification-banner__heading">Complaint started</p>' in page
    assert "Stage With the conference chair, to resolve informally" in text
    assert "Made by A parent, or a person with parental responsibility" in text
    assert f"{informal['label']} {due.day} {due:%B %Y} Due" in text
    assert f"14 days after {received.day} {received:%B %Y} (Birmingham procedures (Section 6), 8.6)" in text
    assert "Letter sent To the complainant: Your complaint about case CASE-0042" in text
    assert "Letter sent To the conference chair: Complaint about a conference on case CASE-0042" in text
    for kind in ("informal_resolution_ended", "formal_complaint_received", "complaint_closed"):
        assert f'href="/complaints/{REF}/events/{kind}"' in page
    assert "/events/panel_decided" not in page
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", visible_text(page))  # no enum values, only words

    # Staff see the complaint on the child's journey, where it stands, in words.
    async def listed() -> bool:
        return f'href="/complaints/{REF}">{REF}</a>' in (await web.get(f"/journeys/{CASE}")).text
    await eventually(listed)
    assert "No complaints or disagreements." not in (await web.get(f"/journeys/{CASE}")).text


async def test_a_stage_out_of_order_and_a_date_in_the_future_are_refused_on_the_complaint_page(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await journey(web, world, "birmingham")
    assert (await web.post("/api/complaints", json=complaint_body(today))).status_code == 201
    await quiet(world.env.client, f"cpj-complaint-{REF}")

    on_day = date.fromisoformat(today)
    early = await web.post(f"/complaints/{REF}/events/formal_complaint_received", data={
        "type": "formal_complaint_received", "event_id": "web-0000formal", **day_parts("received_on", on_day)})
    assert early.status_code == 409
    assert "The chair first attempts to resolve the complaint informally, until" in early.text
    assert f'id="received_on-day" name="received_on-day" type="text" value="{on_day.day}"' in early.text

    tomorrow = (await world.today() + timedelta(days=1)).isoformat()
    future = await web.post(f"/complaints/{REF}/events/informal_resolution_ended", data={
        "type": "informal_resolution_ended", "event_id": "web-00000ended",
        **day_parts("ended_on", date.fromisoformat(tomorrow))})
    assert future.status_code == 409
    assert f"is in the future (today is {on_day.day} {on_day:%B %Y})" in future.text  # dates in words on a page
    assert (await web.get(f"/api/complaints/{REF}")).json()["stage"] == "informal_resolution"

    ended = await web.post(f"/complaints/{REF}/events/informal_resolution_ended", data={
        "type": "informal_resolution_ended", "event_id": "web-00000ended", **day_parts("ended_on", on_day)})
    assert f'value="{date.fromisoformat(tomorrow).day}"' in future.text  # what was typed is kept
    assert ended.status_code == 303
    page = (await web.get(ended.headers["location"])).text
    assert '<p class="govuk-notification-banner__heading">Informal resolution ended</p>' in page
    assert "Not resolved informally: a formal written complaint may follow" in page
    assert f'href="/complaints/{REF}/events/formal_complaint_received"' in page
    assert "/events/informal_resolution_ended" not in page

    malformed = await web.post(f"/complaints/{REF}/events/complaint_closed", data={
        "type": "complaint_closed", "event_id": "web-0000closed", **day_parts("closed_on", on_day), "reason": "bored"})
    assert malformed.status_code == 422
    assert '<a href="#reason">Select why</a>' in malformed.text

    closing = {"type": "complaint_closed", "event_id": "web-0000closed", **day_parts("closed_on", on_day),
               "reason": "satisfied"}
    check = await web.post(f"/complaints/{REF}/events/complaint_closed", data=closing)
    assert check.status_code == 200 and "Check your answers" in check.text  # closing is checked first
    closed = await web.post(f"/complaints/{REF}/events/complaint_closed", data={**closing, "confirmed": "yes"})
    assert closed.status_code == 303
    page = (await web.get(closed.headers["location"])).text
    assert "Stage Closed" in visible_text(page) and "This complaint has ended: it takes no more events." in page
    await quiet(world.env.client, f"cpj-complaint-{REF}")  # its workflow has finished
    # Sent again after it ended (the answer was lost): a resend, not an error.
    again = await web.post(f"/api/complaints/{REF}/events", json={
        "type": "complaint_closed", "event_id": "web-0000closed", "closed_on": today, "reason": "satisfied"})
    assert again.status_code == 200 and again.json()["receipt"]["resend"] is True
    other = await web.post(f"/api/complaints/{REF}/events", json={
        "type": "complaint_closed", "event_id": "web-0000again", "closed_on": today, "reason": "withdrawn"})
    assert other.status_code == 409
    assert other.json()["detail"] == (f"complaint {REF} has ended (the complainant is satisfied): it takes no more "
                                      "events")


async def test_a_disagreement_and_a_name_for_a_reference_from_the_journey_page(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await journey(web, world, "sefton")
    form = {"type": "disagreement_raised", "event_id": "web-000000dis1", "complaint_ref": "Jane Smith",
            **day_parts("received_on", date.fromisoformat(today)), "about": "conference_outcome",
            "raised_by": "professional", "agency": "school",
            "in_writing": "on", "conference_ref": "", "conference_chair_ref": ""}

    named = await web.post(f"/journeys/{CASE}/complaints", data=form)
    assert named.status_code == 422
    assert "A complaint reference is the complaints system&#39;s number" in named.text
    assert '<a href="#complaint_ref">' in named.text
    assert "Jane Smith" not in visible_text(named.text)

    started = await web.post(f"/journeys/{CASE}/complaints", data={**form, "complaint_ref": "DIS-0001"})
    assert started.status_code == 303, started.text
    page = (await web.get(started.headers["location"])).text
    text = visible_text(page)
    assert '<h1 class="govuk-heading-l">Disagreement with a conference&#39;s outcome DIS-0001</h1>' in page
    assert "Raised by School" in text
    assert "Stage The file and the decision are being reviewed" in text
    assert 'href="/complaints/DIS-0001/events/file_reviewed"' in page


# -- whole procedures -----------------------------------------------------------------------------


async def test_a_darlington_complaint_through_the_appeal_subcommittee_to_the_ombudsman_route_by_api(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await journey(web, world, "darlington")
    assert (await web.post("/api/complaints", json=complaint_body(today))).status_code == 201
    steps = [
        ({"type": "service_manager_responded", "responded_on": today}, "service_manager_responded"),
        ({"type": "referred_to_scrutineer", "received_on": today}, "with_independent_scrutineer"),
        ({"type": "receipt_acknowledged", "sent_on": today}, "with_independent_scrutineer"),
        ({"type": "documents_considered", "considered_on": today}, "with_independent_scrutineer"),
        ({"type": "scrutineer_responded", "responded_on": today}, "scrutineer_responded"),
        ({"type": "dissatisfaction_notified", "notified_on": today}, "appeal_grounds"),
        ({"type": "appeal_grounds_decided", "decided_on": today, "grounds": True}, "appeal_subcommittee"),
        ({"type": "appeal_subcommittee_met", "met_on": today, "chaired_by_independent_person": True,
          "members_with_no_involvement": 2}, "appeal_outcome"),
        ({"type": "appeal_outcome_sent", "sent_on": today, "upheld": False}, "closed"),
    ]
    for number, (step, stage) in enumerate(steps):
        response = await event(web, world, {**step, "event_id": f"d-{number}"})
        assert response.status_code == 200, (step["type"], response.text)
        assert response.json()["stage"] == stage, step["type"]

    state = (await web.get(f"/api/complaints/{REF}")).json()
    assert state["ombudsman_route_given"] is True
    assert state["closed_because"] == "the appeal procedure has ended; the Local Government Ombudsman route given"
    assert all(row["status"] == "met" for row in state["deadlines"])

    async def listed_closed() -> bool:
        rows = (await web.get(f"/api/journeys/{CASE}/complaints")).json()["complaints"]
        return [(row["complaint_ref"], row["open"]) for row in rows] == [(REF, False)]
    await eventually(listed_closed)
    journey_state = (await web.get(f"/api/journeys/{CASE}")).json()
    assert [row["ref"] for row in journey_state["challenges"]] == [REF]
    assert journey_state["stage"] == "awaiting_icpc"  # the journey went on untouched


async def test_an_upheld_birmingham_complaint_from_the_admin_tool_asks_the_journey_to_reconvene_under_another_chair(
    web: httpx.AsyncClient, world: JourneyWorld
) -> None:
    today = await journey(web, world, "birmingham")
    assert (await web.post("/api/complaints", json=complaint_body(today))).status_code == 201
    await quiet(world.env.client, f"cpj-complaint-{REF}")

    async def record(**form: str) -> str:
        for name in [name for name in form if name.endswith("_on")]:  # dates as the date input posts them
            form.update(day_parts(name, date.fromisoformat(form.pop(name))))
        response = await web.post(f"/complaints/{REF}/events/{form['type']}", data=form)
        assert response.status_code == 303, response.text
        await quiet(world.env.client, f"cpj-complaint-{REF}")
        return (await web.get(response.headers["location"])).text

    await record(type="informal_resolution_ended", ended_on=today)  # "resolved" left unticked
    await record(type="formal_complaint_received", received_on=today)
    page = await record(type="panel_convened", convened_on=today, members="3", members_with_previous_involvement="0",
                        members_know_procedures="on")
    assert f'href="/complaints/{REF}/events/panel_decided"' in page
    page = await record(type="panel_decided", letter_sent_on=today, upheld="on",
                        recommendations="Reconvene the conference under another chair")

    text = visible_text(page)
    assert "Stage Upheld: the conference is to be reconvened under a different chair" in text
    assert "To the assistant director: Formal complaint about a conference on case CASE-0042" in text
    assert "To the team manager: Reconvene the conference on case CASE-0042" in text
    assert f'href="/complaints/{REF}/events/conference_reconvened"' in page

    same_chair = await web.post(f"/complaints/{REF}/events/conference_reconvened", data={
        "type": "conference_reconvened", **day_parts("held_on", date.fromisoformat(today)),
        "conference_ref": "ICPC-0002", "chair_ref": "cpc-0042"})
    assert same_chair.status_code == 409
    assert "The conference is reconvened under a different chair than CPC-0042" in same_chair.text

    async def owed() -> bool:
        return "Conference owed" in visible_text((await web.get(f"/journeys/{CASE}")).text)
    await eventually(owed)
    assert "under a chair other than CPC-0042" in (await web.get(f"/journeys/{CASE}")).text
