"""Every page of the admin tool passes axe-core's WCAG 2.2 AA checks, with nothing refused by its security policy.

The Public Sector Bodies Accessibility Regulations 2018 hold a council's staff tools to WCAG 2.2 AA. A
:class:`Person` checks each page they reach (conftest.py): here people open every page there is, for
each role that has pages of its own, a case on a plan with every form its page offers, a conference's
page with its forms, and each form sent unanswered (the error summary and the messages beside the
questions are part of the page too). /docs is Swagger UI's, not ours, and is left out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from domain.events import ConferenceBooked, IcpcHeld, StrategyDiscussion
from starter.roles import Role
from tests.browser.conftest import Person, ServedTool, case_ref
from tests.conftest import london_today

NOT_FOUND = "No such journey"


async def a_child_on_a_plan(tool: ServedTool) -> str:
    """A journey started a week ago and a plan decided today, through the service's own client: its case."""
    case = case_ref()
    today = london_today()
    journeys = tool.journeys
    await journeys.start(case, "darlington", StrategyDiscussion(event_id="sd-1", held_on=today - timedelta(days=7),
                                                                initiated_section_47=True), by="SW-0001")
    await journeys.send_event(case, IcpcHeld(event_id="icpc-1", held_on=today, decision="plan", category="neglect"),
                              by="SW-0001")
    return case


async def links_under(me: Person, path: str) -> list[str]:
    """The addresses of the page's links that start with ``path`` (the forms a story page offers)."""
    hrefs = await me.page.locator(f"main a[href^='{path}']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    return sorted(set(hrefs))


async def open_and_send_unanswered(me: Person, form: str) -> None:
    """Open a form and send it as it comes: the page again with what is missing (or, for a form whose
    answers all have a default, the event recorded and the story page with its banner)."""
    await me.open(form)
    button = me.page.locator("main form .govuk-button[type=submit], main form button.govuk-button").last
    await me.press(button)


async def test_the_pages_a_social_worker_reaches(social_worker: Person) -> None:
    me = social_worker
    await me.open("/journeys/new")
    await me.press("Start the journey")  # nothing answered
    assert (await me.page.title()).startswith("Error: ")
    await me.open("/?stage=no-such-stage")  # a filter the caseload cannot apply
    await me.open("/journeys/CASE-9999")
    assert NOT_FOUND in await me.page.title()
    assert len(me.visited) == 6, me.visited  # sign-in, caseload, and the four above, each checked


async def test_the_pages_of_an_administrator_and_of_a_register_enquirer(
    people: Callable[[], Awaitable[Person]], tool: ServedTool
) -> None:
    enquirer = await people()
    await enquirer.sign_in(tool.add_person("GP-0001", {Role.REGISTER_ENQUIRER}))
    await enquirer.open("/register")
    assert "Not yours to do" not in await enquirer.page.title()
    await enquirer.press(enquirer.page.locator("main form button.govuk-button").last)

    administrator = await people()
    await administrator.sign_in(tool.add_person("ADMIN-0001", {Role.ADMINISTRATOR}))
    await administrator.open("/audit")
    await administrator.open("/import")
    await administrator.press("Import the cases")  # no file chosen
    assert (await administrator.page.title()).startswith("Error: ")
    on_plan_since = london_today() - timedelta(days=40)
    csv = ("case_ref,policy,on_plan_since,category,lead_social_worker\n"
           f"{case_ref()},darlington,{on_plan_since.isoformat()},neglect,SW-1042\n"
           f"Jane Smith,darlington,{on_plan_since.isoformat()},neglect,SW-1042\n")
    await administrator.page.get_by_label("CSV file of cases", exact=True).set_input_files(
        files=[{"name": "open-cases.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    await administrator.press("Import the cases")  # the progress page, then its report of the refused row
    assert administrator.path.startswith("/import/"), administrator.path
    for _ in range(100):  # a person refreshes the progress page until the import has finished
        if await administrator.heading() != "Importing the cases":
            break
        await administrator.follow("Refresh")
    assert " ".join((await administrator.page.locator(".govuk-panel").inner_text()).split()) == "Import finished 2 of 2 rows done"
    await administrator.open("/census")
    await administrator.press("Check the return")  # this year's return of the first authority in the list
    await administrator.open("/census?year=26&authority=darlington")  # a year the form cannot take
    assert (await administrator.page.title()).startswith("Error: ")


async def test_a_journey_on_a_plan_and_every_form_it_offers(social_worker: Person, tool: ServedTool) -> None:
    me = social_worker
    case = await a_child_on_a_plan(tool)
    await me.open(f"/journeys/{case}")
    forms = await links_under(me, f"/journeys/{case}/events/") + await links_under(me, f"/journeys/{case}/complaints/")
    assert len(forms) >= 10, f"the journey page on a plan offers the plan's forms: {forms}"
    for form in forms:
        await open_and_send_unanswered(me, form)


async def test_a_conference_page_and_every_form_it_offers(social_worker: Person, tool: ServedTool) -> None:
    me = social_worker
    case = await a_child_on_a_plan(tool)
    today = london_today()
    conference = f"RCPC-{case.removeprefix('CASE-')}"
    await tool.journeys.send_event(case, ConferenceBooked(
        event_id="booked-1", booked_on=today, conference_ref=conference, kind="review",
        meeting_on=today + timedelta(days=60), chair_ref="CH-3001", chair_independent_of_the_case=True), by="SW-0001")
    await me.open(f"/journeys/{case}")
    await me.follow(me.page.locator(f"main a[href='/conferences/{conference}']").first)
    forms = await links_under(me, f"/conferences/{conference}/events/")
    assert forms, "the conference page offers what can be recorded for it"
    for form in forms:
        await open_and_send_unanswered(me, form)


async def test_the_timeliness_reports_a_manager_reads(people: Callable[[], Awaitable[Person]], tool: ServedTool) -> None:
    await a_child_on_a_plan(tool)  # this year's ICPC: the charts have a bar to draw
    manager = await people()
    await manager.sign_in(tool.add_person("TM-0001", {Role.TEAM_MANAGER}))
    await manager.open("/reports")
    await manager.press("Show the figures")
    assert await manager.page.locator("main svg[role='img'] title").count() >= 7
    await manager.open("/reports?year=26&authority=nowhere")  # answers the form cannot take
    assert (await manager.page.title()).startswith("Error: ")
