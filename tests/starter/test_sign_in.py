"""Who may come in: people sign in (a local account, or the council's OpenID provider), services bring a key.

Everything here goes through the real routes and commands: the accounts are made as ``cpj user add``
makes them, the OpenID provider is a real one (npm ``oidc-provider`` on this machine's Node.js), and a
service's key is one ``cpj service-key create`` printed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from activities.db import OneTimeLink, ServiceKey, make_engine
from starter.accounts import IdentityStore, digest
from starter.client import Journeys
from starter.roles import Role
from starter.web import create_app
from starter.web.sign_in import OidcSettings
from tests.conftest import JourneyWorld, quiet
from tests.starter.signing_in import BASE_URL, CASEWORK, PASSWORD, csrf_token_on, sign_in

CPJ = str(Path(sys.executable).parent / "cpj")
OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
CASE = "DAR-2026-0007"


async def no_temporal() -> Journeys:
    raise AssertionError("nothing here reaches Temporal")


@pytest.fixture
def app(cpj_app: Callable[..., FastAPI]) -> FastAPI:
    return cpj_app(no_temporal)


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        yield client


# -- nobody gets in without signing in -----------------------------------------------------------------


async def test_a_page_without_a_session_sends_the_person_to_sign_in_and_the_api_answers_401(
    browser: httpx.AsyncClient,
) -> None:
    page = await browser.get(f"/journeys/{CASE}?tab=deadlines")
    assert page.status_code == 303
    assert page.headers["location"] == f"/sign-in?next=/journeys/{CASE}?tab=deadlines"

    for method, path in (("GET", f"/api/journeys/{CASE}"), ("GET", "/api/journeys"), ("GET", "/api/policies"),
                         ("POST", "/api/journeys"), ("POST", f"/api/journeys/{CASE}/events")):
        answer = await browser.request(method, path, json={})
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "sign in" in answer.json()["detail"]

    refused = await browser.post(f"/journeys/{CASE}/events/icpc_held", data={"type": "icpc_held"})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/sign-in")


async def test_a_person_signs_in_with_a_local_account_and_signs_out(
    browser: httpx.AsyncClient, identity: IdentityStore
) -> None:
    identity.add_account("TM-0001", [Role.TEAM_MANAGER], PASSWORD)

    signed = await sign_in(browser, "TM-0001")
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    cookie = next(c for c in browser.cookies.jar if c.name == "cpj_session")
    session_token = cookie.value
    assert (await browser.get("/api/policies")).status_code == 200
    page = (await browser.get("/sign-in")).text
    assert "Signed in as TM-0001" in page

    signed_out = await browser.post("/sign-out", data={"csrf_token": csrf_token_on(page)})
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in")
    assert (await browser.get("/api/policies")).status_code == 401
    # The old cookie, kept by someone, opens nothing either: the session is gone from the database.
    browser.cookies.set("cpj_session", session_token, domain="cpj.test")
    assert (await browser.get("/api/policies")).status_code == 401
    assert identity.session(session_token) is None


async def test_a_wrong_password_an_unknown_staff_number_and_a_disabled_account_are_refused_alike(
    browser: httpx.AsyncClient, identity: IdentityStore
) -> None:
    identity.add_account("SW-0002", [Role.LEAD_SOCIAL_WORKER], PASSWORD)
    identity.add_account("SW-0003", [Role.LEAD_SOCIAL_WORKER], PASSWORD)
    identity.disable_account("SW-0003")

    answers = [await sign_in(browser, "SW-0002", "not the password at all"),
               await sign_in(browser, "SW-9999"),
               await sign_in(browser, "SW-0003")]

    assert [answer.status_code for answer in answers] == [401, 401, 401]
    assert all("do not match an account that may sign in" in answer.text for answer in answers)
    # The GOV.UK way: the error summary at the top links to the field, and the same words are beside it.
    refused = answers[0].text
    assert 'href="#staff_ref"' in refused and 'id="staff_ref-error"' in refused
    assert 'value="SW-0002"' in refused and 'type="password"' in refused and PASSWORD not in refused
    assert "cpj_session" not in browser.cookies
    assert (await sign_in(browser, "SW-0002")).status_code == 303


async def test_disabling_an_account_ends_its_open_sessions(browser: httpx.AsyncClient, identity: IdentityStore) -> None:
    identity.add_account("SW-0004", [Role.LEAD_SOCIAL_WORKER], PASSWORD)
    await sign_in(browser, "SW-0004")
    assert (await browser.get("/api/policies")).status_code == 200

    identity.disable_account("SW-0004")

    assert (await browser.get("/api/policies")).status_code == 401


async def test_the_sign_in_form_is_refused_without_the_token_its_page_set(
    browser: httpx.AsyncClient, identity: IdentityStore
) -> None:
    # Another site's page posting a sign-in form (to sign the victim in as the attacker) has no such token.
    identity.add_account("TM-0005", [Role.TEAM_MANAGER], PASSWORD)
    await browser.get("/sign-in")
    refused = await browser.post("/sign-in", data={"staff_ref": "TM-0005", "password": PASSWORD, "csrf_token": "guess"})
    assert refused.status_code == 403
    assert "cpj_session" not in browser.cookies


async def test_a_session_ends_after_half_an_hour_unused_and_after_ten_hours_however_busy(tmp_path: Path) -> None:
    now = [datetime(2026, 11, 2, 8, 0, tzinfo=UTC)]
    store = IdentityStore(make_engine(f"sqlite:///{tmp_path / 'clocked.db'}"), clock=lambda: now[0])
    store.add_account("SW-0006", [Role.LEAD_SOCIAL_WORKER], PASSWORD)
    app = create_app(no_temporal, identity=store, secure_cookies=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as browser:
        await sign_in(browser, "SW-0006")
        now[0] += timedelta(minutes=29)
        assert (await browser.get("/api/policies")).status_code == 200
        now[0] += timedelta(minutes=31)  # 31 minutes since it was last used
        assert (await browser.get("/api/policies")).status_code == 401

        await sign_in(browser, "SW-0006")
        signed_in_at, refused_after = now[0], None
        for _ in range(30):  # used every 29 minutes: never idle, but ten hours is the end
            now[0] += timedelta(minutes=29)
            if (await browser.get("/api/policies")).status_code == 401:
                refused_after = now[0] - signed_in_at
                break
        assert refused_after is not None
        assert timedelta(hours=10) <= refused_after < timedelta(hours=10, minutes=29)
    store.engine.dispose()


async def test_the_session_cookie_is_secure_http_only_and_same_site_and_every_answer_has_security_headers(
    browser: httpx.AsyncClient, identity: IdentityStore
) -> None:
    identity.add_account("TM-0007", [Role.TEAM_MANAGER], PASSWORD)
    signed = await sign_in(browser, "TM-0007")

    cookie = signed.headers["set-cookie"].lower()
    assert "cpj_session=" in cookie and "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    for answer in (signed, await browser.get("/sign-in"), await browser.get("/api/policies"),
                   await browser.get("/api/no-such-thing"), await browser.post("/api/journeys", content=b"x" * 300_000)):
        headers = answer.headers
        # Scripts from the tool itself, and the one inline line GOV.UK's template needs by this response's nonce.
        assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}';", headers["content-security-policy"]), answer.request.url
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["strict-transport-security"].startswith("max-age=")


async def test_the_embedded_default_on_http_localhost_sends_cookies_without_secure_and_no_hsts(
    identity: IdentityStore,
) -> None:
    identity.add_account("TM-0008", [Role.TEAM_MANAGER], PASSWORD)
    app = create_app(no_temporal, identity=identity, secure_cookies=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as browser:
        signed = await sign_in(browser, "TM-0008")
        assert "secure" not in signed.headers["set-cookie"].lower()
        assert "strict-transport-security" not in signed.headers
        assert (await browser.get("/api/policies")).status_code == 200


async def test_only_a_path_on_this_site_is_followed_after_signing_in(
    browser: httpx.AsyncClient, identity: IdentityStore
) -> None:
    identity.add_account("TM-0009", [Role.TEAM_MANAGER], PASSWORD)
    form = await browser.get("/sign-in?next=//evil.example/x")
    answer = await browser.post("/sign-in", data={"staff_ref": "TM-0009", "password": PASSWORD, "next": "https://evil.example",
                                                  "csrf_token": csrf_token_on(form.text)})
    assert answer.headers["location"] == "/"


# -- the first administrator --------------------------------------------------------------------------------


async def test_the_first_run_link_creates_the_first_administrator_once(
    browser: httpx.AsyncClient, identity: IdentityStore
) -> None:
    token = identity.first_run_link()
    assert token is not None
    with Session(identity.engine) as session:
        [link] = session.exec(select(OneTimeLink)).all()
        assert link.token_hash == digest(token) and token not in link.token_hash  # kept hashed

    form = await browser.get(f"/first-run/{token}")
    assert form.status_code == 200 and "Create the first administrator" in form.text
    differ = await browser.post(f"/first-run/{token}", data={
        "staff_ref": "ADM-0001", "password": PASSWORD, "password_again": PASSWORD + "!",
        "csrf_token": csrf_token_on(form.text)})
    assert differ.status_code == 422 and "differ" in differ.text
    assert 'href="#password_again"' in differ.text and 'id="password_again-error"' in differ.text
    assert 'value="ADM-0001"' in differ.text  # what was typed is kept, except the passwords

    made = await browser.post(f"/first-run/{token}", data={
        "staff_ref": "ADM-0001", "password": PASSWORD, "password_again": PASSWORD,
        "csrf_token": csrf_token_on(form.text)})
    assert made.status_code == 303
    assert "Signed in as ADM-0001" in (await browser.get("/sign-in")).text
    [account] = identity.accounts()
    assert (account.staff_ref, account.roles) == ("ADM-0001", ["administrator"])
    assert PASSWORD not in account.password_hash and account.password_hash.startswith("$argon2")

    # Used: the link opens nothing any more, and no new one is made once an account exists.
    async with httpx.AsyncClient(transport=browser._transport, base_url=BASE_URL) as someone_else:
        again = await someone_else.get(f"/first-run/{token}")
        assert again.status_code == 410
        form_token = csrf_token_on((await someone_else.get("/sign-in")).text)
        stolen = await someone_else.post(f"/first-run/{token}", data={
            "staff_ref": "ADM-0666", "password": PASSWORD, "password_again": PASSWORD, "csrf_token": form_token})
        assert stolen.status_code == 410
    assert [a.staff_ref for a in identity.accounts()] == ["ADM-0001"]
    assert identity.first_run_link() is None


async def test_a_first_run_link_expires_and_a_newer_one_replaces_it(tmp_path: Path) -> None:
    now = [datetime(2026, 11, 2, 8, 0, tzinfo=UTC)]
    store = IdentityStore(make_engine(f"sqlite:///{tmp_path / 'clocked.db'}"), clock=lambda: now[0])
    first = store.first_run_link()
    assert first and store.first_run_link_works(first)
    now[0] += timedelta(minutes=61)
    assert not store.first_run_link_works(first)

    second = store.first_run_link()
    third = store.first_run_link()  # a restart prints a new link: the one before stops working
    assert second and third and not store.first_run_link_works(second) and store.first_run_link_works(third)
    store.engine.dispose()


# -- services -----------------------------------------------------------------------------------------------


async def test_a_service_key_opens_the_api_until_it_is_revoked(
    app: FastAPI, identity: IdentityStore, service_key: Callable[..., dict[str, str]]
) -> None:
    header = service_key("school-absence-feed", may=["child_missing", "child_found"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as service:
        assert (await service.get("/api/policies", headers=header)).status_code == 200
        assert (await service.get("/api/policies", headers={"Authorization": "Bearer cpj_not-a-key"})).status_code == 401
        assert (await service.get("/api/policies", headers={"Authorization": "Basic dXNlcjpwYXNz"})).status_code == 401
        identity.revoke_service_key("school-absence-feed")
        refused = await service.get("/api/policies", headers=header)
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]

    with Session(identity.engine) as session:
        [row] = session.exec(select(ServiceKey)).all()
    assert row.key_hash == digest(header["Authorization"].removeprefix("Bearer "))
    assert row.may_send == ["child_found", "child_missing"]


async def test_a_service_is_known_by_its_key_name_and_what_it_may_send(identity: IdentityStore) -> None:
    key = identity.create_service_key("police-notifications", ["significant_event"])
    actor = identity.service_actor(key)
    assert actor is not None
    assert (actor.kind, actor.recorded_as, actor.roles, actor.may_send) == (
        "service", "service:police-notifications", frozenset(), frozenset({"significant_event"}))
    assert identity.service_actor(key + "x") is None


async def test_the_openapi_document_declares_the_bearer_key_and_the_session_cookie(app: FastAPI) -> None:
    document = app.openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {"type": "http", "scheme": "bearer",
                                     "description": "A service key from `cpj service-key create`."}
    assert schemes["APIKeyCookie"]["in"] == "cookie" and schemes["APIKeyCookie"]["name"] == "cpj_session"
    post = document["paths"]["/api/journeys/{case_ref}/events"]["post"]
    assert {"HTTPBearer": []} in post["security"] and {"APIKeyCookie": []} in post["security"]


# -- forms carry the session's CSRF token -------------------------------------------------------------------


async def test_a_form_sent_without_the_session_s_token_changes_nothing_and_one_from_the_page_is_taken(
    signed_in_as: Callable, world: JourneyWorld
) -> None:
    web = await signed_in_as(CASEWORK, staff_ref="SW-0010")
    today = (await world.today()).isoformat()
    started = await web.post("/api/journeys", json={"case_ref": CASE, "policy": "darlington", "strategy_discussion": {
        "event_id": "sd-1", "held_on": today, "initiated_section_47": True}})
    assert started.status_code == 201, started.text
    await quiet(world.env.client, f"cpj-{CASE}")
    form = f"/journeys/{CASE}/events/icpc_held"
    page = (await web.get(form)).text
    token = csrf_token_on(page)
    # Every POST form on the page (the event's, the header's sign-out) carries the session's token.
    assert page.count(f'name="csrf_token" value="{token}"') >= page.count('method="post"') > 1
    del web.headers["X-CSRF-Token"]  # a browser posting a form sends only the form
    held = {"type": "icpc_held", "event_id": "icpc-1", "held_on": today, "decision": "no_plan"}

    for forged in ({}, {"csrf_token": "from-another-site"}):
        refused = await web.post(form, data={**held, **forged})
        assert refused.status_code == 403 and "nothing was changed" in refused.text
    assert (await world.journeys.state(CASE)).stage == "awaiting_icpc"

    # With the page's token the event's own page answers it (recorded, checked first, or its fields questioned).
    taken = await web.post(form, data={**held, "csrf_token": token})
    assert taken.status_code != 403 and "nothing was changed" not in taken.text, taken.text


# -- the council's OpenID provider --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A real OpenID provider (npm oidc-provider, installed by scripts/bootstrap.sh) with test accounts and groups."""
    if shutil.which("node") is None or not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("the OpenID provider for the tests is not installed: run ./test.sh (scripts/bootstrap.sh installs it)")
    config = tmp_path_factory.mktemp("oidc") / "provider.json"
    config.write_text(json.dumps({
        "port": free_port(),
        "client": {"client_id": "cp-journeys", "client_secret": "only-for-the-tests-0123456789abcdef",
                   "redirect_uris": [f"{BASE_URL}/sign-in/oidc/callback"]},
        "accounts": {
            "tm": {"employee_id": "TM-0101", "groups": ["cpj-team-managers", "all-staff"]},
            "chair": {"employee_id": "CH-0102", "groups": ["cpj-chairs", "cpj-supervisors"]},
            "visitor": {"employee_id": "V-0103", "groups": ["all-staff"]},
            "nameless": {"groups": ["cpj-team-managers"]},
        },
    }))
    process = subprocess.Popen(["node", str(OIDC_DIR / "provider.mjs"), str(config)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, cwd=OIDC_DIR)
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.startswith("ready "), f"the OpenID provider did not start: {line!r}"
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(10)


def provider_settings(issuer: str) -> OidcSettings:
    return OidcSettings(issuer=issuer, client_id="cp-journeys", client_secret="only-for-the-tests-0123456789abcdef",
                        roles={"cpj-team-managers": Role.TEAM_MANAGER, "cpj-chairs": Role.CONFERENCE_CHAIR,
                               "cpj-supervisors": Role.SUPERVISOR},
                        staff_claim="employee_id", label="Test Council")


async def sign_in_at_the_provider(browser: httpx.AsyncClient, login: str) -> httpx.Response:
    """What a person does: the button, the provider's login page, its consent page, and back."""
    import re

    at_provider = await browser.get("/sign-in/oidc?next=/sign-in", follow_redirects=True)
    assert at_provider.status_code == 200 and 'name="login"' in at_provider.text, at_provider.text[:500]
    action = re.search(r'action="([^"]+)"', at_provider.text).group(1)
    answer = await browser.post(str(at_provider.url.join(action)),
                                data={"prompt": "login", "login": login, "password": "anything"}, follow_redirects=True)
    if 'name="prompt" value="consent"' in answer.text:
        action = re.search(r'action="([^"]+)"', answer.text).group(1)
        answer = await browser.post(str(answer.url.join(action)), data={"prompt": "consent"}, follow_redirects=True)
    return answer


@pytest.fixture
async def provider_browser(oidc_provider: str, identity: IdentityStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(no_temporal, identity=identity, oidc=provider_settings(oidc_provider), secure_cookies=True)
    # One browser for both sites: our app (in process) and the provider (a real server on this machine).
    async with httpx.AsyncClient(mounts={BASE_URL: httpx.ASGITransport(app=app)}, base_url=BASE_URL) as browser:
        yield browser


async def test_a_team_manager_signs_in_with_the_council_s_provider_and_signs_out(
    provider_browser: httpx.AsyncClient, identity: IdentityStore
) -> None:
    page = await provider_browser.get("/sign-in")
    assert "Sign in with Test Council" in page.text

    back = await sign_in_at_the_provider(provider_browser, "tm")

    assert back.url == httpx.URL(f"{BASE_URL}/sign-in") and "Signed in as TM-0101" in back.text
    session = identity.session(provider_browser.cookies["cpj_session"])
    assert session is not None and session.signed_in_with == "oidc"
    assert session.actor.ref == "TM-0101" and session.actor.roles == {Role.TEAM_MANAGER}
    assert (await provider_browser.get("/api/policies")).status_code == 200

    await provider_browser.post("/sign-out", data={"csrf_token": csrf_token_on(back.text)})
    assert (await provider_browser.get("/api/policies")).status_code == 401


async def test_every_mapped_group_gives_its_role(provider_browser: httpx.AsyncClient, identity: IdentityStore) -> None:
    await sign_in_at_the_provider(provider_browser, "chair")
    session = identity.session(provider_browser.cookies["cpj_session"])
    assert session is not None
    assert (session.actor.ref, session.actor.roles) == ("CH-0102", {Role.CONFERENCE_CHAIR, Role.SUPERVISOR})


@pytest.mark.parametrize(("login", "why"), [("visitor", "none of the groups"), ("nameless", "no staff number")])
async def test_someone_the_provider_knows_without_a_role_or_a_staff_number_is_not_let_in(
    provider_browser: httpx.AsyncClient, login: str, why: str
) -> None:
    back = await sign_in_at_the_provider(provider_browser, login)
    assert back.status_code == 403 and why in back.text
    assert "cpj_session" not in provider_browser.cookies


def test_the_role_mapping_refuses_a_role_we_do_not_have(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPJ_OIDC_ISSUER", "https://login.example/tenant/v2.0")
    monkeypatch.setenv("CPJ_OIDC_CLIENT_ID", "x")
    monkeypatch.setenv("CPJ_OIDC_CLIENT_SECRET", "y")
    monkeypatch.setenv("CPJ_OIDC_ROLES", '{"cpj-bosses": "boss"}')
    with pytest.raises(SystemExit, match="roles we do not have: boss"):
        OidcSettings.from_env()
    monkeypatch.setenv("CPJ_OIDC_ROLES", '{"0b1c-entra-group-id": "team_manager"}')
    assert OidcSettings.from_env().roles == {"0b1c-entra-group-id": Role.TEAM_MANAGER}


# -- the command line -----------------------------------------------------------------------------------------


def cpj(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([CPJ, *args], input=stdin, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "CPJ_DATA_DIR": str(data), "CPJ_LOG_LEVEL": "WARNING"})


def test_accounts_and_keys_from_the_command_line(tmp_path: Path) -> None:
    added = cpj(tmp_path, "user", "add", "TM-0201", "--role", "team_manager", "--role", "supervisor",
                "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert cpj(tmp_path, "user", "add", "TM-0202", "--role", "team_manager").returncode == 2  # no password on stdin
    weak = cpj(tmp_path, "user", "add", "TM-0203", "--role", "team_manager", "--password-stdin", stdin="short\n")
    assert weak.returncode == 2 and "at least 12 characters" in weak.stderr
    listed = json.loads(cpj(tmp_path, "user", "list", "--json").stdout)
    assert [(a["staff_ref"], a["roles"], a["disabled"]) for a in listed] == [("TM-0201", ["supervisor", "team_manager"], False)]
    assert cpj(tmp_path, "user", "disable", "TM-0201").returncode == 0
    assert json.loads(cpj(tmp_path, "user", "list", "--json").stdout)[0]["disabled"] is True

    created = cpj(tmp_path, "service-key", "create", "school-feed", "--may", "child_missing", "--may", "child_found")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("cpj_") and len(key) > 40 and "shown this once" in created.stderr
    assert cpj(tmp_path, "service-key", "create", "x", "--may", "no_such_event").returncode == 2
    store = IdentityStore(make_engine(f"sqlite:///{tmp_path / 'records.db'}"))
    assert store.service_actor(key).may_send == {"child_missing", "child_found"}
    listed_keys = cpj(tmp_path, "service-key", "list").stdout
    assert "school-feed  active  child_found, child_missing" in listed_keys and key not in listed_keys

    assert cpj(tmp_path, "service-key", "revoke", "school-feed").returncode == 0
    assert store.service_actor(key) is None
    store.engine.dispose()
