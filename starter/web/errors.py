"""How errors are answered: JSON under /api, an HTML page elsewhere.

API errors are ``{"detail": "a sentence"}`` (422 keeps pydantic's list). The
admin tool shows errors in an alert on the page they came from, never a trace.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from domain.policy import PolicyNotFound
from starter.client import EventRejected, JourneyError, JourneyExists, JourneyNotFound
from starter.web.connection import TemporalUnavailable
from starter.web.markup import alert, e, page

log = logging.getLogger("cpj.web")


def _is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def error_page(status_code: int, title: str, message: str) -> HTMLResponse:
    body = f'<h1>{e(title)}</h1>{alert(message)}<p><a href="/">Back to all journeys</a></p>'
    return page(title, body, status_code)


def respond(request: Request, status_code: int, message: str, title: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status_code)
    return error_page(status_code, title, message)


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error the routes raise, in the caller's language (JSON or a page)."""

    @app.exception_handler(JourneyNotFound)
    async def _not_found(request: Request, err: JourneyNotFound) -> Response:
        return respond(request, 404, str(err), "No such journey")

    @app.exception_handler(PolicyNotFound)
    async def _no_policy(request: Request, err: PolicyNotFound) -> Response:
        return respond(request, 404, str(err), "No such policy")

    @app.exception_handler(JourneyExists)
    async def _exists(request: Request, err: JourneyExists) -> Response:
        return respond(request, 409, str(err), "Journey already running")

    @app.exception_handler(EventRejected)
    async def _rejected(request: Request, err: EventRejected) -> Response:
        return respond(request, 409, str(err), "Event rejected")

    @app.exception_handler(JourneyError)
    async def _journey_error(request: Request, err: JourneyError) -> Response:
        return respond(request, 400, str(err), "Cannot do that")

    @app.exception_handler(TemporalUnavailable)
    async def _unavailable(request: Request, err: TemporalUnavailable) -> Response:
        return respond(request, 503, str(err), "Temporal is not reachable")

    @app.exception_handler(RPCError)
    async def _rpc(request: Request, err: RPCError) -> Response:
        log.warning("Temporal refused %s %s: %s", request.method, request.url.path, err)
        return respond(request, 503, f"Temporal could not answer: {err.message}", "Temporal could not answer")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> Response:
        detail = [{k: v for k, v in item.items() if k not in ("ctx", "url")} for item in err.errors()]
        for item in detail:
            item["msg"] = str(item.get("msg", "")).removeprefix("Value error, ")
        if _is_api(request):
            return JSONResponse({"detail": jsonable_encoder(detail)}, status_code=422)
        return error_page(422, "Invalid request", "; ".join(item["msg"] for item in detail))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": err.detail}, status_code=err.status_code, headers=err.headers)
        return error_page(err.status_code, str(err.detail), "There is no such page here.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return respond(request, 500, "Something went wrong on our side; the error was logged.", "Something went wrong")
