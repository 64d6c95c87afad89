"""The API's interactive documentation at /docs, served by the tool itself: it works with no internet.

Swagger UI's script and stylesheet come from the ``fastapi-offline`` package (Swagger UI 5, which
reads the OpenAPI 3.1 document FastAPI writes), mounted at /docs/assets; the page that starts it is
our own template and ``/assets/api-docs.js``, so the page's Content-Security-Policy allows scripts
and styles from this site only. FastAPI's own /docs (a CDN) and /redoc are turned off in ``create_app``.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from starter.web.templating import ENV

#: Swagger UI's built files, as the package ships them.
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"
DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs/assets"


def add_api_docs(app: FastAPI) -> None:
    """/docs (public, like the OpenAPI document it shows: it describes the API, never a case)."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=SWAGGER_UI), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        page = ENV.get_template("api_docs.html").render(
            title=f"{app.title}: API documentation", openapi_url=app.openapi_url, assets=DOCS_ASSETS)
        return HTMLResponse(page)
