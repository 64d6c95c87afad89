"""The codec server: the Temporal UI sends a history's encrypted payloads here and shows what comes back.

``POST /codec/decode`` and ``POST /codec/encode`` speak Temporal's remote codec protocol: a
``Payloads`` message as protobuf JSON in, the same out. ``cpj up`` starts the dev server with
``--ui-codec-endpoint http://localhost:<web port>/codec``; without a codec endpoint the UI shows the
ciphertext.

Only a person signed in to the admin tool, in the same browser, whose roles may
``decode_payloads`` (``starter.permissions``), gets plaintext. The UI's request carries the session
cookie (the UI must include credentials: ``TEMPORAL_CODEC_INCLUDE_CREDENTIALS``, or "include
cross-origin credentials" in its codec settings) but cannot carry the admin tool's CSRF token, so
these two routes take the session without one: decoding changes nothing, and only the Temporal UI's
origin (``CPJ_TEMPORAL_UI_URL``) may read an answer (CORS). Every decode is an audit-log row per
workflow (who, which journey, conference or complaint; never a payload's content), and a log line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads

from activities.log import get_logger
from starter.codec import ENCODING, CodecKeyError, EncryptionCodec, KeyRing, workflow_of
from starter.identity import Actor
from starter.permissions import Action, NotAllowed, check, require
from starter.web.identity import SESSION_COOKIE, NotSignedIn, identity_store, signed_in

log = get_logger("cpj.web.codec")

CODEC_PATH = "/codec"
LOOPBACK_TWINS = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}


class CodecRefused(Exception):
    """A codec request answered with a status and a sentence (JSON, with the UI's CORS headers)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def add_codec_server(app: FastAPI, codec: Callable[[], EncryptionCodec] | None = None) -> None:
    """The codec routes, their refusals as JSON, and CORS for the Temporal UI's origin."""
    app.include_router(codec_router(codec or _configured_codec()))
    app.add_exception_handler(CodecRefused, _refused)
    app.add_middleware(CodecCors)


def _configured_codec() -> Callable[[], EncryptionCodec]:
    """The configured keys, read on the first request (the admin tool's client needs the same ones)."""
    made: list[EncryptionCodec] = []

    def codec() -> EncryptionCodec:
        if not made:
            try:
                made.append(EncryptionCodec(KeyRing.from_env()))
            except CodecKeyError as err:
                raise CodecRefused(503, f"the codec server has no keys: {err}") from None
        return made[0]

    return codec


async def _refused(request: Request, err: CodecRefused) -> Response:
    return JSONResponse({"detail": str(err)}, status_code=err.status,
                        headers={"WWW-Authenticate": "Bearer"} if err.status == 401 else None)


def ui_origins() -> set[str]:
    """The origins whose pages may read the codec's answers: the Temporal UI's (and its loopback twin)."""
    url = (os.environ.get("CPJ_TEMPORAL_UI_URL") or "").strip()
    if not url:
        return set()
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    found = {origin}
    host = parts.hostname or ""
    if host in LOOPBACK_TWINS:
        found.add(origin.replace(host, LOOPBACK_TWINS[host], 1))
    return found


class CodecCors:
    """CORS for the codec routes only: the Temporal UI's origin, with credentials (its session cookie)."""

    ALLOW_HEADERS = "content-type, x-namespace, authorization"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == CODEC_PATH or path.startswith(CODEC_PATH + "/")):
            await self.app(scope, receive, send)
            return
        origin = dict(scope["headers"]).get(b"origin", b"").decode(errors="replace")
        allowed = origin in ui_origins()
        if scope["method"] == "OPTIONS":
            # A preflight carries no cookie: answered here, before sign-in.
            headers = [(b"vary", b"Origin"), (b"cache-control", b"no-store")]
            if allowed:
                headers += [(b"access-control-allow-origin", origin.encode()),
                            (b"access-control-allow-credentials", b"true"),
                            (b"access-control-allow-methods", b"POST, OPTIONS"),
                            (b"access-control-allow-headers", self.ALLOW_HEADERS.encode()),
                            (b"access-control-max-age", b"600")]
            await send({"type": "http.response.start", "status": 204 if allowed else 403, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("Vary", "Origin")
                if allowed:
                    headers["Access-Control-Allow-Origin"] = origin
                    headers["Access-Control-Allow-Credentials"] = "true"
            await send(message)

        await self.app(scope, receive, with_cors)


async def codec_reader(request: Request) -> Actor:
    """The signed-in person (or key) behind a codec request, if the table lets them decode; else 401 or 403."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if token and not request.headers.get("authorization"):
        # The session without its CSRF token (see the module's docstring): signed_in then takes it as known.
        session = await run_in_threadpool(identity_store(request).session, token)
        if session is not None:
            request.state.actor = session.actor
            request.state.session = session
    try:
        actor = await signed_in(request, None, None)
    except NotSignedIn:
        raise CodecRefused(401, "sign in to the admin tool first, in this browser, then reload the Temporal UI: "
                                "payloads are decrypted for a person signed in") from None
    try:
        check(actor, Action.DECODE_PAYLOADS)
    except NotAllowed as refused:
        await _audit(request, actor, None, outcome="refused", status=403)
        raise CodecRefused(403, str(refused)) from None
    return actor


def refs_of(workflow_id: str) -> tuple[str | None, str | None]:
    """(case reference, conference or complaint reference) of a workflow id, for the audit log."""
    for prefix in ("cpj-conf-", "cpj-complaint-"):
        if workflow_id.startswith(prefix):
            return None, workflow_id.removeprefix(prefix)
    if workflow_id.startswith("cpj-"):
        return workflow_id.removeprefix("cpj-"), None
    return None, workflow_id


async def _audit(request: Request, actor: Actor, workflow_id: str | None, *, outcome: str = "done",
                 status: int = 200) -> None:
    from starter.web.audit import audit_log_of  # the audit pages import the app's other routers

    case_ref, subject_ref = refs_of(workflow_id) if workflow_id else (None, None)
    what = f"decode {workflow_id}" if workflow_id else "decode"
    await run_in_threadpool(
        audit_log_of(request.app).write, actor, Action.DECODE_PAYLOADS, what, via="codec", case_ref=case_ref,
        subject_ref=subject_ref, outcome=outcome, status=status,
        client_address=request.client.host if request.client else None)


async def _payloads(request: Request) -> Payloads:
    try:
        return json_format.Parse(await request.body() or b"{}", Payloads(), ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError):
        raise CodecRefused(400, "send a Payloads message as protobuf JSON: {\"payloads\": [...]}") from None


def codec_router(codec: Callable[[], EncryptionCodec]) -> APIRouter:
    router = APIRouter(dependencies=[Depends(codec_reader)], include_in_schema=False)

    @router.post(f"{CODEC_PATH}/decode", dependencies=[require(Action.DECODE_PAYLOADS)])
    async def decode(request: Request) -> Response:
        given = await _payloads(request)
        try:
            decoded = await codec().decode(given.payloads)
        except CodecKeyError as err:  # names the key, never the data
            log.warning("payloads not decoded", actor=request.state.actor.recorded_as, reason=str(err))
            raise CodecRefused(422, str(err)) from None
        encrypted = [payload for payload in given.payloads if payload.metadata.get("encoding") == ENCODING]
        workflows = sorted({workflow_of(payload) or "" for payload in encrypted})
        for workflow_id in workflows:
            await _audit(request, request.state.actor, workflow_id or None)
        if encrypted:
            log.info("payloads decoded", actor=request.state.actor.recorded_as, workflows=workflows,
                     payloads=len(encrypted))
        return Response(json_format.MessageToJson(Payloads(payloads=decoded)), media_type="application/json")

    @router.post(f"{CODEC_PATH}/encode", dependencies=[require(Action.DECODE_PAYLOADS)])
    async def encode(request: Request) -> Response:
        given = await _payloads(request)
        encoded = await codec().encode(given.payloads)
        return Response(json_format.MessageToJson(Payloads(payloads=encoded)), media_type="application/json")

    return router
