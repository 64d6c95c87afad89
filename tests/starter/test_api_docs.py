"""The API's documentation: /docs works with no internet, and the OpenAPI document says every answer a route gives.

A service's developer reads /docs on a council network that may reach nothing outside: the page and
everything it loads come from the tool itself. What they read there is what the API does: each route
lists every status code it can answer with, each with an example of the body.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import TypeAdapter

from starter.web import create_app
from starter.web.api_answers import ApiError
from tests.starter.signing_in import BASE_URL

PAGE_ASSET = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"')
#: What each route answers when it does what it was asked (the rest of its answers are refusals).
SUCCESSES = {
    ("post", "/api/journeys"): {"201", "200", "202"},
    ("post", "/api/complaints"): {"201", "200", "202"},
    ("post", "/api/journeys/{case_ref}/events"): {"200", "202"},
    ("post", "/api/complaints/{complaint_ref}/events"): {"200", "202"},
    ("post", "/api/conferences/{conference_ref}/events"): {"200", "202"},
    ("post", "/api/journeys/{case_ref}/feed"): {"202"},
}
#: Routes that answer from the profiles or the records database alone, never asking Temporal.
WITHOUT_TEMPORAL = {("get", "/api/policies"), ("get", "/api/policies/{policy_id}"), ("get", "/api/deadlines"),
                    ("get", "/api/audit")}


async def nothing_here_reaches_temporal():
    raise AssertionError("the documentation never reaches Temporal")


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(nothing_here_reaches_temporal, secure_cookies=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        yield client


async def test_the_docs_page_loads_everything_from_the_tool_itself(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/docs")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "//" not in re.sub(r"<!--.*?-->", "", page.text), "the page names another host"
    policy = page.headers["content-security-policy"]
    assert "http" not in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "<script>" not in page.text, "an inline script, which the policy would refuse"

    assets = PAGE_ASSET.findall(page.text)
    wanted = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    assert {asset.rsplit(".", 1)[-1] for asset in assets} == {"js", "css", "png"}
    for asset in assets:
        loaded = await browser.get(asset)
        assert loaded.status_code == 200, asset
        assert loaded.headers["content-type"].startswith(wanted["." + asset.rsplit(".", 1)[-1]]), asset
    swagger = next(asset for asset in assets if asset.endswith("swagger-ui-bundle.js"))
    assert "SwaggerUIBundle" in (await browser.get(swagger)).text
    openapi_url = re.search(r'data-openapi-url="([^"]+)"', page.text).group(1)
    assert (await browser.get(openapi_url)).json()["openapi"].startswith("3.1")


async def test_only_the_offline_docs_are_served(browser: httpx.AsyncClient) -> None:
    # FastAPI's own pages load Swagger UI and ReDoc from a CDN: they are not there to be opened by mistake.
    for path in ("/redoc", "/docs/oauth2-redirect"):
        assert (await browser.get(path)).status_code == 404, path


def api_operations() -> list[tuple[str, str, dict]]:
    document = create_app().openapi()
    return [(method, path, operation) for path, operations in document["paths"].items() if path.startswith("/api/")
            for method, operation in operations.items()]


def test_the_api_routes_are_all_walked() -> None:
    walked = {(method, path) for method, path, _ in api_operations()}
    assert set(SUCCESSES) | WITHOUT_TEMPORAL <= walked
    assert {("get", "/api/journeys"), ("post", "/api/register/enquiries"), ("post", "/api/register/links")} <= walked


@pytest.mark.parametrize(("method", "path", "operation"), api_operations(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_api_route_declares_every_answer_it_can_give(method: str, path: str, operation: dict) -> None:
    declared = set(operation["responses"])
    expected = set(SUCCESSES.get((method, path), {"200"}))
    expected |= {"401", "403"}  # behind sign-in and the roles table, every one
    if method == "post":
        expected |= {"400", "413", "422"}  # a body that is not JSON, too large, or does not fit its model
    if "{" in path:
        expected |= {"404", "422"}  # no such journey, conference, complaint or policy; a reference of the wrong shape
    if (method, path) not in WITHOUT_TEMPORAL:
        expected |= {"503"}  # Temporal not reachable, or not answering yet
    if method == "post" and "register" not in path:
        expected |= {"404", "409"}  # no such journey (or policy); refused where it is
    if (method, path) == ("get", "/api/journeys"):
        expected |= {"400"}  # a page token this service did not give
    assert expected <= declared, f"{method.upper()} {path} does not declare {sorted(expected - declared)}"


@pytest.mark.parametrize(("method", "path", "operation"), api_operations(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_answer_has_an_example_and_every_refusal_s_is_the_api_s_own_shape(
    method: str, path: str, operation: dict
) -> None:
    refusal = TypeAdapter(ApiError)
    for status, answer in operation["responses"].items():
        assert answer["description"] and answer["description"] != "Successful Response", (method, path, status)
        content = answer["content"]["application/json"]
        examples = [content["example"]] if "example" in content else [e["value"] for e in content["examples"].values()]
        assert examples, (method, path, status)
        if int(status) >= 400:
            for example in examples:
                refusal.validate_python(example)
                assert set(example) == {"detail"}, (method, path, status)
            sentences = [example["detail"] for example in examples if isinstance(example["detail"], str)]
            assert sentences, f"{method.upper()} {path} {status}: no sentence, as the API sends"
            assert content["schema"] == {"$ref": "#/components/schemas/ApiError"}
