"""How errors are answered: JSON under /api, an HTML page elsewhere.

API errors are ``{"detail": "a sentence"}`` (422 keeps pydantic's list). The
admin tool shows errors in an alert on the page they came from, never a trace.
A caller's mistake is a 4xx with a sentence, never a 500: a body over
:data:`MAX_BODY_BYTES` is 413, and a value no event can carry (a date the calendar
cannot count from, NaN, a control character) is 422.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.service import RPCError

from shipped.profiles import PolicyNotFound
from starter.client import EventPending, EventRejected, JourneyError, JourneyExists, JourneyNotFound, NotAnswered
from starter.permissions import NotAllowed
from starter.web.connection import TemporalUnavailable
from starter.web.templating import render

log = logging.getLogger("cpj.web")


def _is_api(request: Request) -> bool:
    return _is_api_path(request.url.path)


def _is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _json_safe(value: Any) -> Any:
    # An error may quote what the caller sent: NaN or Infinity (which Python's JSON reader
    # accepts) cannot be written back as JSON, so they are quoted as text.
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


class ApiJSONResponse(JSONResponse):
    """JSON that can always be written: ASCII only (a lone surrogate is escaped), no NaN."""

    def render(self, content: Any) -> bytes:
        return json.dumps(_json_safe(content), ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


def error_page(status_code: int, title: str, message: str) -> HTMLResponse:
    return render("error.html", status_code, title=title, message=message)


def respond(request: Request, status_code: int, message: str, title: str) -> Response:
    if _is_api(request):
        return ApiJSONResponse({"detail": message}, status_code=status_code)
    return error_page(status_code, title, message)


def _error_list(errors: list[dict]) -> list[dict]:
    """Pydantic's errors without links or internals, each quoting what was sent when that can be shown."""
    detail = []
    for error in errors:
        item = {k: v for k, v in error.items() if k not in ("ctx", "url", "input")}
        item["msg"] = str(item.get("msg", "")).removeprefix("Value error, ")
        try:
            item["input"] = jsonable_encoder(error["input"])
        except (KeyError, ValueError, TypeError):
            pass  # nothing sent, or something (undecodable bytes) that cannot be quoted back
        detail.append(item)
    return detail


def _invalid_response(request: Request, errors: list[dict]) -> Response:
    detail = _error_list(errors)
    if _is_api(request):
        return ApiJSONResponse({"detail": detail}, status_code=422)
    return error_page(422, "Invalid request", "; ".join(item["msg"] for item in detail))


#: Larger than any event the models allow (the largest, a core group with every list full, is
#: about 32,000 characters, under 200 KB even if every character is sent as a \uXXXX escape).
MAX_BODY_BYTES = 256 * 1024
#: Routes that take a file rather than an event: a council's open cases (about 130 bytes a row, so some
#: 120,000 rows) in one upload.
LARGER_BODIES = {"/import": 16 * 1024 * 1024}


class BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413, before anything reads or parses it.

    A declared Content-Length is checked at once; a body sent without one (chunked) is counted
    as it arrives, so the cap holds either way. The body is at most ``limit`` bytes in memory.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = LARGER_BODIES.get(scope.get("path", ""), self.limit)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send)
            return
        received: list[Message] = []
        size = 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if path in LARGER_BODIES:
            message = (f"the file is larger than {LARGER_BODIES[path] // (1024 * 1024)} MiB: import it in parts, "
                       "or with the command line (cpj import)")
        else:
            message = f"the request body is larger than {self.limit // 1024} KiB, more than any event needs"
        if _is_api_path(scope.get("path", "")):
            response: Response = ApiJSONResponse({"detail": message}, status_code=413)
        else:
            response = error_page(413, "Too large", message)
        await response(scope, receive, send)


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error the routes raise, in the caller's language (JSON or a page)."""

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, err: NotAllowed) -> Response:
        # The permissions table refused the actor: 403 with who may, and nothing changed.
        return respond(request, 403, str(err), "Not yours to do")

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

    @app.exception_handler(EventPending)
    async def _pending(request: Request, err: EventPending) -> Response:
        # Temporal holds the event for the journey: it may yet be applied; resending it tells (never twice).
        response = respond(request, 202, str(err), "Sent, not yet answered")
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(NotAnswered)
    async def _not_answered(request: Request, err: NotAnswered) -> Response:
        # Temporal keeps the journey; the caller may ask again, and the same event id makes a resend harmless.
        response = respond(request, 503, str(err), "No answer yet")
        response.headers["Retry-After"] = "5"
        return response

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
        return _invalid_response(request, list(err.errors()))

    @app.exception_handler(ValidationError)
    async def _invalid_inside(request: Request, err: ValidationError) -> Response:
        # A model built inside a route (the journey's start, say) refused what the caller sent.
        return _invalid_response(request, err.errors(include_url=False))

    @app.exception_handler(ValueError)
    async def _value(request: Request, err: ValueError) -> Response:
        # The calendar and the conversions raise ValueError with a sentence about the caller's value.
        log.info("refused %s %s: %s", request.method, request.url.path, type(err).__name__)
        return respond(request, 422, str(err), "Invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> Response:
        if _is_api(request):
            return ApiJSONResponse({"detail": err.detail}, status_code=err.status_code, headers=err.headers)
        return error_page(err.status_code, str(err.detail), "There is no such page here.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return respond(request, 500, "Something went wrong on our side; the error was logged.", "Something went wrong")
