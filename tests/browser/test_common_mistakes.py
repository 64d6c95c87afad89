"""The mistakes people make on the forms, and how the tool helps them put each right (the GOV.UK way).

A date missing its month, a case reference that is really a child's name, a plan decided without its
category: each is refused with the message beside the question it is about, the error summary at the
top links to that question (following the link puts the cursor there), and everything else typed is
kept. Every page on the way passes the accessibility check (conftest.py), its errors included.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from tests.browser.conftest import Person, case_ref, screenshot
from tests.conftest import london_today


async def focused_id(me: Person) -> str:
    return await me.page.evaluate("() => document.activeElement && document.activeElement.id")


async def follow_summary_link(me: Person, text: str) -> str:
    """Follow the error summary's link with ``text`` (a link within the page): the id of what has the focus after."""
    await me.page.locator(".govuk-error-summary").get_by_role("link", name=text).click()
    return await focused_id(me)


async def test_a_date_missing_its_month_and_a_name_for_a_case_reference_are_refused_beside_each(
    social_worker: Person,
) -> None:
    me = social_worker
    discussed = london_today() - timedelta(days=3)
    await me.follow("Start a journey")
    await me.fill("Case reference", "Jane Smith")
    await me.choose("Sefton")
    await me.fill_date("When was the strategy discussion held?", Day=str(discussed.day), Month="",
                       Year=str(discussed.year))
    await me.choose("Yes")
    await me.press("Start the journey")
    await screenshot(me, "form-with-errors")

    assert urlsplit(me.page.url).path == "/journeys", "the journey was not started"
    assert (await me.page.title()).startswith("Error: ")
    summary = await me.error_summary()
    assert len(summary) == 2, summary
    [name_refused] = [text for text in summary if "case reference" in text.lower()]
    [month_missing] = [text for text in summary if "month" in text.lower()]
    assert "never a name" in name_refused.lower() or "letters, digits" in name_refused.lower()
    assert await me.error_beside("case_ref") == f"Error: {name_refused}"
    assert await me.error_beside("strategy_discussion") == f"Error: {month_missing}"

    # Each summary link takes the person to the question: the box to put right has the focus.
    assert await follow_summary_link(me, name_refused) == "case_ref"
    assert await follow_summary_link(me, month_missing) == "strategy_discussion-month"

    # What was typed is kept: only the mistakes need putting right.
    # (a case reference is kept in capitals, as the case system writes them)
    assert (await me.page.get_by_label("Case reference", exact=True).input_value()).upper() == "JANE SMITH"
    date_boxes = me.page.get_by_role("group", name="When was the strategy discussion held?")
    assert await date_boxes.get_by_label("Day", exact=True).input_value() == str(discussed.day)
    assert await date_boxes.get_by_label("Year", exact=True).input_value() == str(discussed.year)
    assert await me.page.get_by_label("Sefton", exact=True).is_checked()
    assert await me.page.get_by_label("Yes", exact=True).is_checked()

    case = case_ref()
    await me.fill("Case reference", case)
    await me.fill_date("When was the strategy discussion held?", Month=str(discussed.month))
    await me.press("Start the journey")
    assert urlsplit(me.page.url).path == f"/journeys/{case}"


async def test_a_plan_decided_without_its_category_is_asked_for_it(social_worker: Person) -> None:
    me = social_worker
    case = case_ref()
    today = london_today()
    await me.follow("Start a journey")
    await me.fill("Case reference", case)
    await me.choose("Darlington")
    await me.fill_date("When was the strategy discussion held?", today - timedelta(days=10))
    await me.choose("Yes")
    await me.press("Start the journey")

    await me.follow("Record the ICPC")
    await me.fill_date("Held on", today)
    await me.choose("Child protection plan")
    await me.press("Record the ICPC")
    [missing] = await me.error_summary()
    assert "category" in missing.lower()
    assert await me.page.get_by_label("Child protection plan", exact=True).is_checked(), "the decision is kept"
    assert await me.page.get_by_label("Neglect", exact=True).is_visible(), "the category's question is shown"
    assert missing in (await me.page.locator(".govuk-radios__conditional .govuk-error-message").inner_text())

    await me.choose("Neglect")
    await me.press("Record the ICPC")
    assert urlsplit(me.page.url).path == f"/journeys/{case}"
    assert "On a child protection plan" in await me.text()


async def test_deciding_that_no_conference_is_needed_is_checked_before_it_is_recorded(
    social_worker: Person,
) -> None:
    me = social_worker
    case = case_ref()
    today = london_today()
    await me.follow("Start a journey")
    await me.fill("Case reference", case)
    await me.choose("Staffordshire")
    await me.fill_date("When was the strategy discussion held?", today - timedelta(days=6))
    await me.choose("Yes")
    await me.press("Start the journey")

    await me.follow("Record the decision")
    await me.fill_date("Decided on", today)
    await me.fill("The team manager's reasons", "The enquiry found no continuing risk of significant harm.")
    await me.press("Record the decision")
    assert await me.heading() == "Check your answers"
    answers = await me.text()
    assert "The enquiry found no continuing risk of significant harm." in answers
    await screenshot(me, "check-answers")
    await me.press("Record the decision")
    assert urlsplit(me.page.url).path == f"/journeys/{case}"
    assert "Conference not required" in await me.page.locator(".govuk-notification-banner").inner_text()
