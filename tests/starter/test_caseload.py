"""The caseload, the admin tool's home page: every case in words, overdue first, searched, filtered and paged.

Listing needs Temporal's visibility, which the time-skipping test server does not have: these run on
the real dev server (one for the module), in real time. Each test's cases have references of their
own, and each test searches by their common start, so the tests do not see one another's cases.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from html.parser import HTMLParser

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.db import make_engine
from activities.notify import FileSender
from domain.state import Stage
from starter.client import Journeys, JourneySummary
from starter.codec import data_converter
from starter.roles import Role
from starter.web import caseload
from starter.web.labels import day_words
from tests.conftest import TEMPORAL_CLI, JourneyWorld, eventually, london_today
from tests.starter.signing_in import signed_in_client
from worker import build_worker
from workflows.search_attributes import dev_server_flags


@pytest.fixture(scope="module")
async def dev_journeys(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Journeys]:
    """The dev server (unlike the time-skipping one, it can list workflows) with a worker."""
    scratch = tmp_path_factory.mktemp("caseload")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI),
        dev_server_extra_args=dev_server_flags(),
        data_converter=data_converter(),
        dev_server_log_level="error",
    )
    try:
        task_queue = f"caseload-{uuid.uuid4().hex[:8]}"
        engine = make_engine(f"sqlite:///{scratch / 'records.db'}")
        async with build_worker(env.client, task_queue=task_queue, engine=engine,
                                sender=FileSender(scratch / "notifications.jsonl")):
            yield Journeys(env.client, task_queue)
    finally:
        await env.shutdown()


@pytest.fixture
async def web(dev_journeys: Journeys) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in_client(dev_journeys) as client:
        yield client


def refs(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{n:04d}" for n in range(1, count + 1)]


def prefix() -> str:
    """A start of case references no other test uses."""
    # Three capitals, as an authority's case system starts its references (each profile's case reference pattern);
    # consonants only, so that no draw spells a name (ANN, LEE), which would be refused as one.
    return "".join(random.choices("BCDFGHJKLMNPQRSTVWXZ", k=3))


async def start(web: httpx.AsyncClient, case_ref: str, held_on: date, policy: str = "darlington") -> None:
    body = {"case_ref": case_ref, "policy": policy,
            "strategy_discussion": {"event_id": "sd-1", "held_on": held_on.isoformat(), "initiated_section_47": True}}
    response = await web.post("/api/journeys", json=body)
    assert response.status_code == 201, response.text


async def overdue(web: httpx.AsyncClient, case_ref: str) -> date:
    """A journey whose strategy discussion was two months ago: its ICPC deadline has passed. Its due day."""
    await start(web, case_ref, london_today() - timedelta(days=60))

    async def escalated() -> bool:
        return any(row["status"] == "overdue" for row in (await web.get(f"/api/journeys/{case_ref}")).json()["deadlines"])
    await eventually(escalated)
    [icpc] = [row for row in (await web.get(f"/api/journeys/{case_ref}")).json()["deadlines"] if row["kind"] == "icpc"]
    return date.fromisoformat(icpc["due"])


async def on_time(web: httpx.AsyncClient, case_ref: str) -> date:
    """A journey whose strategy discussion was today: its ICPC falls due in three weeks or so. Its due day."""
    await start(web, case_ref, london_today())
    return date.fromisoformat((await web.get(f"/api/journeys/{case_ref}")).json()["deadlines"][0]["due"])


async def on_a_plan_held_by(web: httpx.AsyncClient, case_ref: str, staff_ref: str, team: str) -> None:
    await start(web, case_ref, london_today() - timedelta(days=7))
    today = london_today().isoformat()
    for event in ({"type": "icpc_held", "event_id": "icpc-1", "held_on": today, "decision": "plan",
                   "category": "neglect"},
                  {"type": "lead_social_worker_named", "event_id": "lsw-1", "named_on": today, "staff_ref": staff_ref,
                   "team": team}):
        response = await web.post(f"/api/journeys/{case_ref}/events", json=event)
        assert response.status_code == 200, response.text


class Page(HTMLParser):
    """What a person reads on a page: its text, and each row of its table as the texts of its cells."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self._in_body = self._hidden = False
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("script", "style", "title"):
            self._hidden = True
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._hidden = False
        elif tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())

    def row(self, case_ref: str) -> list[str]:
        [found] = [row for row in self.rows if row and row[0] == case_ref]
        return found

    @property
    def case_refs(self) -> list[str]:
        return [row[0] for row in self.rows]


async def listed(web: httpx.AsyncClient, wanted: set[str], **params: str) -> Page:
    """The caseload page for ``params`` once visibility has caught up with every case in ``wanted``."""
    found: dict[str, Page] = {}

    async def caught_up() -> bool:
        response = await web.get("/", params=params)
        assert response.status_code == 200, response.text
        found["page"] = Page(response.text)
        return set(found["page"].case_refs) == wanted
    try:
        await eventually(caught_up, seconds=30)
    except AssertionError:
        raise AssertionError(f"listed {found['page'].case_refs} for {params}, not {sorted(wanted)}") from None
    return found["page"]


async def test_an_overdue_case_is_listed_first_with_its_due_date_and_an_overdue_tag(web: httpx.AsyncClient) -> None:
    late, fresh = refs(prefix(), 2)
    late_due = await overdue(web, late)  # started first: Temporal lists the newest first, so it would come last
    fresh_due = await on_time(web, fresh)

    page = await listed(web, {late, fresh}, case_ref=late[:-5])

    assert page.case_refs == [late, fresh]
    assert page.row(late)[1:] == ["Awaiting the initial child protection conference", "Darlington", "Not named",
                                  "Not named", "Initial child protection conference", f"{day_words(late_due)} Overdue"]
    assert page.row(fresh)[5:] == ["Initial child protection conference", day_words(fresh_due)]
    assert "None open" not in " ".join(page.row(late))
    html = (await web.get("/", params={"case_ref": late[:-5]})).text
    assert f'<a class="govuk-link" href="/journeys/{late}">{late}</a>' in html
    assert re.search(r'<strong class="govuk-tag govuk-tag--red">\s*Overdue\s*</strong>', html)


async def test_filter_by_team_and_by_lead_social_worker(web: httpx.AsyncClient) -> None:
    north, south, unnamed = refs(prefix(), 3)
    await on_a_plan_held_by(web, north, "SW-1042", "Locality North")
    await on_a_plan_held_by(web, south, "SW-2077", "St Helen's")
    await on_time(web, unnamed)
    start_of = north[:-5]

    everyone = await listed(web, {north, south, unnamed}, case_ref=start_of)
    assert everyone.row(north)[1:5] == ["On a child protection plan", "Darlington", "SW-1042", "Locality North"]
    assert everyone.row(unnamed)[3:5] == ["Not named", "Not named"]

    by_team = await listed(web, {north}, case_ref=start_of, team="Locality  North ")
    assert 'value="Locality North"' in (await web.get("/", params={"case_ref": start_of, "team": "Locality North"})).text
    assert by_team.row(north)[4] == "Locality North"
    await listed(web, {south}, case_ref=start_of, team="St Helen's")
    await listed(web, {south}, case_ref=start_of, lead_social_worker="sw-2077")  # typed in small letters
    await listed(web, {north}, case_ref=start_of, lead_social_worker="SW-1042", team="Locality North",
                 stage=Stage.ON_PLAN.value, policy="darlington")
    # The same filters through the API a service uses.
    api = (await web.get("/api/journeys", params={"case_ref": start_of, "team": "Locality North"})).json()
    assert [row["case_ref"] for row in api["journeys"]] == [north] and api["journeys"][0]["team"] == "Locality North"
    api = (await web.get("/api/journeys", params={"case_ref": start_of, "lead_social_worker": "SW-2077"})).json()
    assert [row["case_ref"] for row in api["journeys"]] == [south]
    assert (await web.get("/api/journeys", params={"lead_social_worker": "Jane Smith"})).status_code == 400
    nobody = await web.get("/", params={"case_ref": start_of, "team": "Locality East"})
    assert Page(nobody.text).case_refs == [] and "No cases match your search and filters." in nobody.text

    refused = await web.get("/", params={"lead_social_worker": "Jane Smith"})
    assert refused.status_code == 400
    assert "There is a problem" in refused.text and 'href="#lead_social_worker"' in refused.text
    assert "Enter the lead social worker&#39;s staff number, like SW-1042" in refused.text
    assert 'value="JANE SMITH"' in refused.text  # what was typed is kept
    # Temporal's visibility cannot match a double quotation mark: no team's name holds one.
    quoted = await web.get("/", params={"team": 'The "South" team'})
    assert quoted.status_code == 400 and 'href="#team"' in quoted.text
    named = await web.post(f"/api/journeys/{north}/events", json={
        "type": "lead_social_worker_named", "event_id": "lsw-2", "named_on": london_today().isoformat(),
        "staff_ref": "SW-1042", "team": 'The "North" team'})
    assert named.status_code == 422 and "double quotation marks" in named.text


async def test_search_by_case_reference(web: httpx.AsyncClient) -> None:
    start_of = prefix()
    first, second = f"{start_of}-2026-0001", f"{start_of}-2026-0002"
    other = f"{start_of}-2027-0003"
    for case_ref in (first, second, other):
        await on_time(web, case_ref)

    await listed(web, {first, second, other}, case_ref=start_of.lower())  # the start of a reference, in any case
    await listed(web, {first, second}, case_ref=f"{start_of}-2026")
    exact = await listed(web, {second}, case_ref=second)
    assert exact.row(second)[0] == second

    refused = await web.get("/", params={"case_ref": "<b>Jane</b>"})
    assert refused.status_code == 400 and 'href="#case_ref"' in refused.text
    assert "<b>Jane" not in refused.text and "&lt;B&gt;JANE&lt;/B&gt;" in refused.text


async def test_paging(web: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    late, *others = refs(prefix(), 5)
    await overdue(web, late)
    for case_ref in others:
        await on_time(web, case_ref)
    start_of = late[:-5]
    await listed(web, {late, *others}, case_ref=start_of)  # every case is visible before paging starts

    monkeypatch.setattr(caseload, "CASELOAD_PAGE_SIZE", 2)
    seen: list[str] = []
    href = f"/?case_ref={start_of}"
    pages = []
    while href:
        html = (await web.get(href)).text
        page = Page(html)
        pages.append(page)
        seen += page.case_refs
        nxt = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next"', html)
        if len(pages) > 1:
            assert "First page" in page.words
            assert f'href="/?case_ref={start_of}" rel="prev"' in html
        href = nxt.group(1).replace("&amp;", "&") if nxt else ""
        assert len(pages) <= 5, "the pages never end"
    assert pages[0].case_refs[0] == late  # overdue first, across the whole caseload
    assert sorted(seen) == sorted([late, *others])  # each case once
    assert all(len(page.case_refs) <= 2 for page in pages)
    assert "First page" not in pages[0].words
    if not pages[-1].case_refs:
        assert "There are no more cases." in pages[-1].words

    lost = await web.get("/", params={"page_token": "not-ours"})
    assert lost.status_code == 200 and "start again from the first page" in lost.text


async def test_no_enum_values_or_iso_timestamps_on_the_page(web: httpx.AsyncClient) -> None:
    late, planned, fresh = refs(prefix(), 3)
    await overdue(web, late)
    await on_a_plan_held_by(web, planned, "SW-3001", "Locality West")
    await on_time(web, fresh)
    page = await listed(web, {late, planned, fresh}, case_ref=late[:-5])

    text = page.words
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), text  # no ISO day or timestamp
    for raw in [*(stage.value for stage in Stage), "icpc", "darlington", "@", "true", "false", "none open", "None"]:
        assert not re.search(rf"(?<![\w-]){re.escape(raw)}(?![\w-])", text), (raw, text)
    assert "Start a journey" in text


async def test_a_supervisor_sees_no_start_a_journey_button(dev_journeys: Journeys) -> None:
    async with signed_in_client(dev_journeys, roles=Role.SUPERVISOR, staff_ref="SUP-0001") as supervisor:
        page = await supervisor.get("/")
    assert page.status_code == 200
    assert "<h1" in page.text and "Caseload" in page.text
    assert "Start a journey" not in page.text and 'href="/journeys/new"' not in page.text
    async with signed_in_client(dev_journeys) as casework:
        assert 'href="/journeys/new"' in (await casework.get("/")).text


async def test_a_started_journey_is_listed_in_words_and_the_service_api_lists_it_the_same(
    web: httpx.AsyncClient,
) -> None:
    [case_ref] = refs(prefix(), 1)
    due = await on_time(web, case_ref)
    start_of = case_ref[:-5]

    page = await listed(web, {case_ref}, case_ref=start_of)
    assert page.row(case_ref) == [case_ref, "Awaiting the initial child protection conference", "Darlington",
                                  "Not named", "Not named", "Initial child protection conference", day_words(due)]
    listing = (await web.get("/api/journeys", params={"page_size": 1000})).json()
    [summary] = [row for row in listing["journeys"] if row["case_ref"] == case_ref]
    assert summary["next_due"] == due.isoformat() and summary["overdue"] is False
    assert summary["lead_social_worker"] is None and summary["team"] is None

    filtered = (await web.get("/", params={"case_ref": start_of, "policy": "sefton", "overdue": "no"})).text
    assert Page(filtered).case_refs == [] and "No cases match your search and filters." in filtered
    assert re.search(r'<option value="sefton" selected>\s*Sefton\s*</option>', filtered)
    assert re.search(r'<option value="no" selected>\s*Not overdue\s*</option>', filtered)
    await listed(web, {case_ref}, case_ref=start_of, policy="darlington", stage="awaiting_icpc", overdue="no")
    await listed(web, set(), case_ref=start_of, overdue="yes")


async def test_when_temporal_cannot_list_the_caseload_says_so_and_still_offers_to_start_a_journey(
    world: JourneyWorld,
) -> None:
    async with signed_in_client(world.journeys) as web:  # the time-skipping server cannot list
        response = await web.get("/", params={"case_ref": "dar-2026-0042"})
    assert response.status_code == 200
    assert "The caseload cannot be listed just now" in response.text
    assert '<a class="govuk-link" href="/journeys/DAR-2026-0042">Open case DAR-2026-0042</a>' in response.text
    assert 'href="/journeys/new"' in response.text


def row(**given) -> JourneySummary:
    fields = dict(case_ref="CASE-0042", workflow_id="cpj-CASE-0042", status="running", stage="awaiting_icpc",
                  policy="darlington@2026.3", next_deadline=None, next_deadline_kind=None, overdue=False)
    return JourneySummary(**{**fields, **given})


def test_an_overdue_journey_that_has_not_run_since_the_change_still_says_it_is_overdue() -> None:
    # Journeys indexed before the "caseload-attributes" patch drop a passed deadline from their index.
    assert caseload.next_deadline_words(row(overdue=True)) == "A deadline has passed: open the case to see which"
    assert caseload.next_deadline_words(row()) == "None open"
    assert caseload.next_deadline_words(row(next_deadline_kind="core_group")) == "Core group meeting"


def test_the_next_page_link_keeps_the_search_and_filters() -> None:
    filters = {"case_ref": "DAR-2026", "stage": "on_plan", "overdue": "yes", "policy": "", "lead_social_worker": "",
               "team": "Locality North"}
    assert (caseload.caseload_href(filters, "o.tok-_2")
            == "/?case_ref=DAR-2026&stage=on_plan&overdue=yes&team=Locality+North&page_token=o.tok-_2")
    assert caseload.caseload_href(filters) == "/?case_ref=DAR-2026&stage=on_plan&overdue=yes&team=Locality+North"
    assert caseload.caseload_href({}) == "/"

