"""A social worker who has never seen the tool takes a child from a strategy discussion to a plan, in a browser.

Sign in, open the caseload, start a journey from the strategy discussion, record the initial child
protection conference's decision (a plan, its category), a statutory visit and a core group with its
decisions and actions; read them back in the journey's timeline with the next deadlines; find the
case on the caseload. Every page on the way passes axe-core's WCAG 2.2 AA checks and logs no error in
the browser (see conftest.py).

The tool runs in real time on Temporal's dev server, so the story is told after the fact: the
strategy discussion a fortnight ago, the conference a week ago, the visit and the core group since.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from starter.web.labels import day_words
from tests.browser.conftest import Person, case_ref, screenshot
from tests.conftest import london_today

DAY_IN_WORDS = re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4}")


async def banner(me: Person) -> str:
    return (await me.page.locator(".govuk-notification-banner").inner_text()).strip()


async def test_a_child_from_strategy_discussion_to_a_plan_with_a_visit_and_a_core_group(
    social_worker: Person,
) -> None:
    me = social_worker
    case = case_ref()
    today = london_today()
    discussed, conference, visited, core_group = (today - timedelta(days=n) for n in (14, 7, 5, 2))
    assert urlsplit(me.page.url).path == "/", "signing in leads to the caseload"
    assert await me.heading() == "Caseload"

    # -- a strategy discussion a fortnight ago initiated a section 47 enquiry: start the child's journey --
    await me.follow("Start a journey")
    await me.fill("Case reference", case)
    await me.choose("Darlington")
    await me.fill_date("When was the strategy discussion held?", discussed)
    await me.choose("Yes")
    await me.press("Start the journey")
    assert urlsplit(me.page.url).path == f"/journeys/{case}"
    assert case in await me.heading()
    assert "Awaiting the initial child protection conference" in await me.text()

    # -- a week later the initial conference decided on a plan, under the category of neglect --
    await me.follow("Record the ICPC")
    await me.fill_date("Held on", conference)
    await me.choose("Child protection plan")
    await me.choose("Neglect")  # asked only once a plan is chosen (a conditional reveal)
    await me.press("Record the ICPC")
    assert urlsplit(me.page.url).path == f"/journeys/{case}"
    assert "ICPC held" in await banner(me)
    assert "On a child protection plan" in await me.text()

    # -- the lead social worker visited and saw the child alone --
    await me.follow("Record the visit")
    await me.fill_date("Visited on", visited)
    await me.choose("Child seen")
    await me.choose("The child was seen alone")
    await me.press("Record the visit")
    assert "Visit" in await banner(me)

    # -- the core group met: who came, what it decided, who does what --
    await me.follow("Record the core group")
    await me.fill_date("Held on", core_group)
    await me.fill("Attended (roles, comma-separated)", "social worker, school, health visitor")
    await me.fill("Decisions (one per line)", "Weekly school attendance check")
    await me.fill("Actions: who does what (one per line)", "School nurse: health check by Friday")
    await me.press("Record the core group")
    assert "Core group held" in await banner(me)
    await screenshot(me, "journey", at=me.page.get_by_role("heading", name="What needs doing", exact=True))
    await screenshot(me, "journey-timeline", at=me.page.get_by_role("heading", name="Timeline", exact=True))

    # -- the journey's story: everything recorded, in words, newest first --
    story = await me.text()
    timeline = story.split("\nTimeline\n", 1)[1]
    for told in ("Strategy discussion", "ICPC held", "Neglect", "Child seen", "Core group held",
                 "health visitor", "Weekly school attendance check",
                 "School nurse: health check by Friday", day_words(discussed), day_words(core_group)):
        assert told in timeline, f"the timeline does not tell {told!r}:\n{timeline}"
    assert timeline.index("Core group held") < timeline.index("ICPC held") < timeline.index("Strategy discussion")
    for stored in ("on_plan", "visit_made", "core_group_held", "neglect ", "darlington.toml"):
        assert stored not in story, f"the page shows a stored value, {stored!r}"

    # -- what is due next: the next visit and core group, each due by a day counted from the one just recorded,
    #    with the authority's document and section it comes from --
    for deadline, counted_from in (("Lead social worker visit", visited), ("Core group meeting", core_group)):
        due_now = me.page.locator("main table").first  # "What needs doing"; those met are in a table further down
        row = due_now.locator("tbody tr", has=me.page.locator("th, td").filter(has_text=re.compile(f"^{deadline}$")))
        assert await row.count() == 1, f"no {deadline!r} in what needs doing"
        cells = await row.locator("th, td").all_inner_texts()
        assert DAY_IN_WORDS.fullmatch(cells[1].strip()), f"{deadline} is due by a day in words: {cells}"
        assert day_words(counted_from) in cells[-1] and "Darlington procedures" in cells[-1], cells

    # -- back on the caseload, the child's case is there, on a plan --
    await me.follow(me.page.get_by_role("navigation", name="Menu").get_by_role("link", name="Caseload"))
    await screenshot(me, "caseload", full_page=True)
    row = me.page.locator("tbody tr", has=me.page.get_by_role("link", name=case))
    assert await row.count() == 1, "the case is on the caseload, once"
    assert "On a child protection plan" in await row.inner_text()
