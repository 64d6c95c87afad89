"""The admin tool (HTML, for operations staff) and the service API (JSON, for other services).

Both go through :class:`starter.client.Journeys`, the one place that talks to
Temporal; nothing here decides whether an event fits a journey (the workflow's
validators do) or what a deadline is (``domain.deadlines`` does).
"""

from __future__ import annotations

from fastapi import FastAPI

from starter.web.admin import admin_router
from starter.web.api import api_router
from starter.web.connection import JourneysFactory, shared_journeys
from starter.web.errors import BodyLimit, add_error_handlers


def create_app(journeys_factory: JourneysFactory | None = None) -> FastAPI:
    """The admin tool and the service API; ``journeys_factory`` defaults to connecting to Temporal."""
    journeys = shared_journeys(journeys_factory)
    app = FastAPI(
        title="cp-journeys",
        description="Child protection case journeys: the service API (/api) and the admin tool (/).",
        version="0.1.0",
    )
    add_error_handlers(app)
    # Around every route, so an oversized body is refused before anything reads or parses it.
    app.add_middleware(BodyLimit)
    app.include_router(api_router(journeys))
    app.include_router(admin_router(journeys))
    return app
