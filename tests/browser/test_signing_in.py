"""Signing in to the admin tool in a browser: the page a person meets first."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.browser.conftest import Person, ServedTool


async def test_a_person_is_sent_to_sign_in_and_then_reaches_their_caseload(visitor: Person, tool: ServedTool):
    staff_ref = tool.add_person("SW-0001")
    await visitor.open("/")
    assert urlsplit(visitor.page.url).path == "/sign-in"
    assert await visitor.heading() == "Sign in"

    await visitor.fill("Staff number", staff_ref)
    await visitor.fill("Password", "not the password at all")
    await visitor.press("Sign in")
    assert "do not match" in await visitor.text()
    assert await visitor.page.get_by_label("Staff number", exact=True).input_value() == staff_ref, "the staff number is kept"

    await visitor.sign_in(staff_ref)
    assert urlsplit(visitor.page.url).path == "/"
    assert f"Signed in as {staff_ref}" in await visitor.page.locator("header").inner_text()
