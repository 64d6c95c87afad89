"""The admin tool in a real browser: Debian's Chromium driven by Playwright, every page checked by axe-core.

The tool is served by uvicorn on a free port of 127.0.0.1, in the tests' own event loop, over
Temporal's dev server (real time: the caseload lists journeys, which the time-skipping server cannot)
with a worker and a records database of the test's own; a person signs in through the real
/sign-in page with a local account, as ``cpj user add`` makes it. ``scripts/bootstrap.sh --tests``
installs Chromium (apt) and axe-core (npm, tests/browser/package-lock.json); Playwright never
downloads a browser of its own.

Every page a :class:`Person` reaches is checked before they go on: axe-core's WCAG 2.2 AA rules
(a serious or critical violation fails the test, naming the rule and the elements) and the browser's
console (an error there, such as a script or style the Content-Security-Policy refused, fails it too).
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, async_playwright
from temporalio.testing import WorkflowEnvironment

from activities.db import make_engine
from activities.notify import FileSender
from domain.case_refs import identity_refusal
from domain.events import workflow_id_for
from starter.accounts import IdentityStore
from starter.client import Journeys
from starter.codec import data_converter
from starter.web import create_app
from tests.conftest import TEMPORAL_CLI, SettledJourneys, quiet
from tests.starter.signing_in import CASEWORK, PASSWORD
from worker import build_worker
from workflows.search_attributes import dev_server_flags

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, and nothing of Chromium's own on the network (this machine's closed network refuses it,
#: and a test should not depend on it anyway).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
#: What the Public Sector Bodies Accessibility Regulations ask for: WCAG 2.2 at AA (and the levels below it).
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = ("serious", "critical")
#: The one finding let through: GOV.UK Frontend marks a radio or checkbox that reveals a question with
#: aria-expanded, which ARIA does not list for those roles. GOV.UK keeps it on purpose, because screen
#: readers announce it (its known issue, alphagov/govuk-frontend#979), so it is allowed there and nowhere else.
GOVUK_CONDITIONAL_REVEAL = {"rule": "aria-allowed-attr",
                            "selector": ".govuk-radios__input[aria-controls], .govuk-checkboxes__input[aria-controls]"}
VIEWPORT = {"width": 1280, "height": 900}
#: The browser asks every site for one; the tool has none and says so with a 404, which is no fault of a page.
FAVICON = "/favicon.ico"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """One Chromium for the whole run; each test has its own context (cookies, pages)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/bootstrap.sh --tests installs it (apt-get install chromium)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: scripts/bootstrap.sh --tests installs it (npm ci in tests/browser)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_temporal(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's dev server, in real time, for the whole run: unlike the time-skipping test server it
    lists workflows, which the caseload needs. Each test has its own task queue, worker and records."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI), dev_server_extra_args=dev_server_flags(),
        data_converter=data_converter(), dev_server_log_level="error")
    try:
        yield env
    finally:
        await env.shutdown()


@dataclass
class ServedTool:
    """The admin tool at ``url``, on the dev server, with its accounts and records in the test's records database."""

    url: str
    journeys: Journeys
    identity: IdentityStore

    def add_person(self, staff_ref: str, roles=CASEWORK) -> str:
        """An account, as ``cpj user add`` makes it; returns the staff number."""
        self.identity.add_account(staff_ref, roles, PASSWORD)
        return staff_ref


@pytest.fixture
async def tool(dev_temporal: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[ServedTool]:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    identity = IdentityStore(engine)
    task_queue = f"browser-{uuid.uuid4().hex[:8]}"
    # A form is answered once the journey has carried out what it queued (its records written): the
    # page it leads to shows them, with no waiting in the test.
    journeys = SettledFromTheStart(dev_temporal.client, task_queue, timeout=45)

    async def factory() -> Journeys:
        return journeys

    # Secure cookies, as in production: Chromium keeps them for http://127.0.0.1, a secure context.
    app = create_app(factory, identity=identity, secure_cookies=True)
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    async with build_worker(dev_temporal.client, task_queue=task_queue, engine=engine,
                            sender=FileSender(tmp_path / "notifications.jsonl")):
        serving = asyncio.create_task(server.serve(sockets=[listening]))
        try:
            while not server.started:
                if serving.done():
                    serving.result()  # raises what stopped it
                    raise AssertionError("the tool stopped before it started serving")
                await asyncio.sleep(0.01)
            yield ServedTool(f"http://127.0.0.1:{port}", journeys, identity)
        finally:
            server.should_exit = True
            await serving
            listening.close()
    engine.dispose()


class SettledFromTheStart(SettledJourneys):
    """Journeys answered once settled, a journey's start too (its strategy discussion's record written)."""

    async def start(self, case_ref: str, *args, **kwargs):
        started = await super().start(case_ref, *args, **kwargs)
        await quiet(self.client, workflow_id_for(case_ref))
        return started


def case_ref(start: str = "CASE") -> str:
    """A case reference no other test's journey has (they share the dev server, and so the caseload).

    Never one whose six digits read as a date (about 1 in 30, e.g. CASE-031039): every edge refuses it as
    a date of birth, rightly, and the test would fail by chance."""
    while True:
        ref = f"{start}-{uuid.uuid4().int % 10**6:06d}"
        if identity_refusal(ref) is None:
            return ref


class PageProblem(AssertionError):
    """A page a person reached fails the accessibility check or logs an error in the browser."""


@dataclass
class Person:
    """Someone using the tool in a browser; every page they reach is checked before they go on.

    ``visited`` lists each page checked (its path and title), for the tests that claim a page was.
    """

    page: Page
    base_url: str
    visited: list[tuple[str, str]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "") if message.location else ""
        # A form sent with mistakes is answered 400 or 422 with the page again: Chromium logs the status of
        # the page itself as a failed load. Not a fault; anything the page then loads that fails is.
        if message.text.startswith("Failed to load resource") and (
                where == self.page.url or urlsplit(where).path == FAVICON):
            return
        self.console_errors.append(f"{message.text} ({where})" if where else message.text)

    @property
    def path(self) -> str:
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    # -- moving about: each waits for the next page and checks it ----------------------------------

    async def open(self, path: str) -> None:
        """Type an address (``/journeys/new``) into the browser."""
        await self.page.goto(self.base_url + path, wait_until="load")
        await self.arrived()

    async def follow(self, link: str | Locator) -> None:
        """Follow a link, named by its words (exactly) or as a locator."""
        if isinstance(link, str):
            # GOV.UK's button-styled links ("Start a journey") are links with the role of a button.
            link = self.page.get_by_role("link", name=link, exact=True).or_(
                self.page.locator("a[role=button]").get_by_text(link, exact=True))
        await self._navigate_by(link)

    async def press(self, button: str | Locator) -> None:
        """Press a form's button, named by its words (exactly) or as a locator, and wait for the answer."""
        target = self.page.get_by_role("button", name=button, exact=True) if isinstance(button, str) else button
        await self._navigate_by(target)

    async def _navigate_by(self, target: Locator) -> None:
        async with self.page.expect_navigation(wait_until="load"):
            await target.click()
        await self.arrived()

    # -- what a person reads --------------------------------------------------------------------------

    async def heading(self) -> str:
        return (await self.page.locator("h1").first.inner_text()).strip()

    async def text(self) -> str:
        return await self.page.locator("main").inner_text()

    # -- answering a form's questions, found by their words --------------------------------------------

    async def fill(self, label: str, text: str) -> None:
        await self.page.get_by_label(label, exact=True).fill(text)

    async def choose(self, answer: str) -> None:
        """Pick a radio button or tick a box, by the words beside it."""
        await self.page.get_by_label(answer, exact=True).check()

    async def fill_date(self, question: str, day: date | None = None, **boxes: str) -> None:
        """Type a date into a GOV.UK date input (its question is the fieldset's legend): ``day``, or the
        boxes one by one (``Day="3", Month=""``) to make a mistake."""
        group = self.page.get_by_role("group", name=question, exact=True)
        typed = dated(day) if day is not None else {}
        typed.update({name.capitalize(): value for name, value in boxes.items()})
        for box, value in typed.items():
            await group.get_by_label(box, exact=True).fill(value)

    async def error_beside(self, question_id: str) -> str:
        """The message GOV.UK puts beside a question (``govuk-error-message``) in the question's form group."""
        group = self.page.locator(f".govuk-form-group:has(#{question_id}), .govuk-form-group:has([id^='{question_id}-'])")
        return " ".join((await group.locator(".govuk-error-message").first.inner_text()).split())

    async def error_summary(self) -> list[str]:
        return [" ".join(text.split()) for text in
                await self.page.locator(".govuk-error-summary__list a").all_inner_texts()]

    # -- the checks on every page ---------------------------------------------------------------------

    async def arrived(self) -> None:
        """The page has loaded: check it with axe-core and the console before going on."""
        title = await self.page.title()
        self.visited.append((self.path, title))
        violations = await self.accessibility_violations()
        problems = []
        if violations:
            problems.append(describe_violations(violations))
        if self.console_errors:
            problems.append("the browser's console has errors:\n  " + "\n  ".join(self.console_errors))
            self.console_errors.clear()
        if problems:
            raise PageProblem(f"{self.path} ({title!r}):\n" + "\n".join(problems))

    async def accessibility_violations(self) -> list[dict]:
        """axe-core's serious and critical violations of WCAG 2.2 AA on the page as it is now.

        axe is put in the page through the browser's debugging protocol (``evaluate``), which the
        page's Content-Security-Policy does not govern: the policy stays on for everything else.
        """
        if not await self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            await self.page.evaluate(AXE.read_text())
        results = await self.page.evaluate(
            r"""async ([tags, known]) => {
                const results = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                         resultTypes: ["violations"]});
                const isKnown = (v, n) => v.id === known.rule && n.target.length === 1
                    && document.querySelector(n.target[0])?.matches(known.selector)
                    && /^Fix all of the following:\s*ARIA attribute is not allowed: aria-expanded="(true|false)"$/
                        .test(n.failureSummary.trim());
                return results.violations.map(v => {
                    const nodes = v.nodes.filter(n => !isKnown(v, n));
                    return {id: v.id, impact: v.impact, help: v.help,
                            targets: nodes.map(n => n.target.join(" ")),
                            summaries: nodes.map(n => n.failureSummary)};
                }).filter(v => v.targets.length);
            }""",
            [WCAG_22_AA, GOVUK_CONDITIONAL_REVEAL],
        )
        return [violation for violation in results if violation["impact"] in FAILING_IMPACTS]

    # -- signing in -----------------------------------------------------------------------------------

    async def sign_in(self, staff_ref: str, password: str = PASSWORD) -> None:
        """Through the real sign-in page: the tool sends a person there first."""
        await self.open("/")
        assert urlsplit(self.page.url).path == "/sign-in", f"not sent to sign in first: {self.page.url}"
        await self.fill("Staff number", staff_ref)
        await self.fill("Password", password)
        await self.press("Sign in")


def describe_violations(violations: list[dict]) -> str:
    lines = ["axe-core (WCAG 2.2 AA) finds:"]
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
        for target, summary in zip(violation["targets"], violation["summaries"]):
            lines.append(f"    at {target}: {' '.join((summary or '').split())}")
    return "\n".join(lines)


@pytest.fixture
async def people(chromium: Browser, tool: ServedTool) -> AsyncIterator[Callable[[], Awaitable[Person]]]:
    """``await people()``: someone new at the tool's address, in a browser context of their own, not signed in."""
    contexts: list[BrowserContext] = []

    async def arrive() -> Person:
        context = await chromium.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London")
        contexts.append(context)
        context.set_default_timeout(10_000)  # finding an element on a page already loaded
        context.set_default_navigation_timeout(45_000)  # a form answered once the journey has taken the event
        return Person(await context.new_page(), tool.url)

    try:
        yield arrive
    finally:
        for context in contexts:
            await context.close()


@pytest.fixture
async def visitor(people: Callable[[], Awaitable[Person]]) -> Person:
    """Someone at the tool's address, not signed in."""
    return await people()


@pytest.fixture
async def social_worker(visitor: Person, tool: ServedTool) -> Person:
    """Someone who records casework (operations, lead social worker, team manager, chair), signed in."""
    await visitor.sign_in(tool.add_person("SW-0001"))
    return visitor


def dated(day: date) -> dict[str, str]:
    """A date as a person types it into GOV.UK's day, month and year boxes."""
    return {"Day": str(day.day), "Month": str(day.month), "Year": str(day.year)}



#: Set (to a folder) by scripts/screenshots.py: the story tests then save the pages they check there.
SCREENSHOTS = os.environ.get("CPJ_SCREENSHOTS")


async def screenshot(person: Person, name: str, *, at: Locator | None = None, full_page: bool = False) -> None:
    """The window as the person sees it (scrolled to ``at``, or the whole page), saved as ``<name>.png`` for the
    README; only when scripts/screenshots.py asks for them."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    if at is not None:
        await at.evaluate("element => element.scrollIntoView({block: 'start'})")
    await person.page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page, animations="disabled",
                                 caret="hide")
    await person.page.evaluate("() => window.scrollTo(0, 0)")
