"""The admin tool's pages: Jinja2 templates (autoescaped) built from the GOV.UK Frontend macros.

Every page extends ``layout.html``. :func:`render` fills in what every page carries (the session's
CSRF token, who is signed in, the nonce the Content-Security-Policy allows for the one inline
script) from the request's context, so a route passes only what its page shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape

from starter.permissions import EVENT_ACTIONS, Action, allowed
from starter.web.identity import CSRF_FIELD, CURRENT_ACTOR, CURRENT_CSRF, CURRENT_PATH, CURRENT_STAFF_REF
from starter.web.security import CURRENT_NONCE

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
#: The GOV.UK Frontend build (``scripts/build_govuk_frontend.sh``) and our own few additions, served at /assets.
STATIC = HERE / "static"
SERVICE_NAME = "Child protection journeys"

ENV = Environment(
    loader=ChoiceLoader([
        FileSystemLoader(TEMPLATES),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ]),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals.update(service_name=SERVICE_NAME, csrf_field=CSRF_FIELD)


#: The service's sections, each shown to those who may use it: (path, words, what it needs).
SECTIONS: tuple[tuple[str, str, Action], ...] = (
    ("/", "Caseload", Action.LIST_CASELOAD),
    ("/import", "Import cases", Action.IMPORT_CASES),
    ("/register", "Register enquiries", Action.ENQUIRE_REGISTER),
    ("/reports", "Reports", Action.READ_REPORTS),
    ("/census", "Census", Action.EXPORT_CENSUS),
    ("/audit", "Audit log", Action.READ_AUDIT_LOG),
)


def may(action: Action | str, event_type: str | None = None) -> bool:
    """Whether the person signed in may do ``action`` (the routes check again; this only hides what they may not)."""
    actor = CURRENT_ACTOR.get()
    return actor is not None and allowed(actor, Action(action), event_type)


def may_record(event_type: str) -> bool:
    """Whether the person signed in may record an event of ``event_type`` (a journey's, conference's or complaint's)."""
    action = EVENT_ACTIONS.get(event_type)
    return action is not None and may(action, event_type)


def navigation() -> list[dict[str, Any]]:
    """The service navigation's items for the person signed in, the one they are in marked."""
    path = CURRENT_PATH.get()
    here = max((p for p, _, _ in SECTIONS if path == p or (p != "/" and path.startswith(p + "/"))),
               key=len, default="/")
    return [{"href": p, "text": words, "active": p == here} for p, words, action in SECTIONS if may(action)]


def page_context() -> dict[str, Any]:
    """What every page needs from the request it answers."""
    return {
        "csrf_token": CURRENT_CSRF.get() or "",
        "signed_in_as": CURRENT_STAFF_REF.get() or "",
        "cspNonce": CURRENT_NONCE.get() or "",
        "navigation": navigation(),
    }


def render_html(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**page_context(), **context)


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` filled in with ``context``, as a page."""
    return HTMLResponse(render_html(template, **context), status_code=status_code)


ENV.globals.update(may=may, may_record=may_record)

__all__ = ["ENV", "STATIC", "may", "may_record", "render", "render_html"]
