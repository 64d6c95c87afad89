"""``GET /metrics``: the admin tool's own metrics (events accepted and refused) for Prometheus.

Counts carry no case, but how busy a council's service is, and when, is still not for anyone on the
network: Prometheus presents the scrape token (``Authorization: Bearer``, its ``credentials_file``),
the one in the file ``CPJ_METRICS_TOKEN_FILE`` names; without that setting no token is taken. An
administrator signed in may read the page too (``Action.READ_METRICS``), which is what the table says.
"""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from starter.permissions import Action, check
from starter.web.audit import AuditedRoute
from starter.web.identity import signed_in


def scrape_token() -> str | None:
    """The token Prometheus scrapes with, read from the file ``CPJ_METRICS_TOKEN_FILE`` names (None when unset)."""
    path = os.environ.get("CPJ_METRICS_TOKEN_FILE", "").strip()
    if not path:
        return None
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as err:
        raise RuntimeError(f"CPJ_METRICS_TOKEN_FILE names {path}, which cannot be read ({err.strerror})") from None
    if len(token) < 32:
        raise RuntimeError(f"the metrics token in {path} is shorter than 32 characters: make a long random one")
    return token


async def metrics_reader(request: Request) -> None:
    """Prometheus with the scrape token, or an administrator signed in; anyone else is refused."""
    token = scrape_token()
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return
    request.state.action = Action.READ_METRICS
    check(await signed_in(request), Action.READ_METRICS)


metrics_reader.cpj_actions = frozenset({Action.READ_METRICS})  # type: ignore[attr-defined]  (the route walk)


def metrics_router() -> APIRouter:
    router = APIRouter(route_class=AuditedRoute, include_in_schema=False)

    @router.get("/metrics", dependencies=[Depends(metrics_reader)])
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router
