"""The Children in Need census in the admin tool: choose the year and authority, read what fails, download the XML.

Routes::

    GET  /census?year=&authority=       the form; with a year, the return's failures per child (or that it passes)
    GET  /census.xml?year=&authority=   the return as the census's XML, only when it passes the DfE's rules

Both only read: the journeys' facts in the records database (``starter.census``), never Temporal. Service
managers and administrators (``Action.EXPORT_CENSUS``): the return lists every child on a plan.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from domain.census import RULES
from starter.census import FIRST_YEAR, LAST_YEAR, CensusRefused, Extract, census_authorities, make_extract
from starter.identity import Actor
from starter.permissions import Action, require
from starter.web.audit import AuditedRoute
from starter.web.story import journey_href
from starter.web.templating import render

Exporter = Annotated[Actor, require(Action.EXPORT_CENSUS)]


def latest_census_year(today: date) -> int:
    """The newest year whose 31 March has passed: the return being made now."""
    return today.year if today >= date(today.year, 4, 1) else today.year - 1


def census_router() -> APIRouter:
    router = APIRouter(route_class=AuditedRoute)

    def page(request: Request, year: str, authority: str) -> tuple[HTMLResponse, Extract | None]:
        """The page for the form's answers, and the extract when they make one."""
        authorities = census_authorities()
        chosen_year = year.strip() or str(latest_census_year(datetime.now(UTC).date()))
        context = {"title": "The Children in Need census", "authorities": authorities, "year": chosen_year,
                   "authority": authority or (authorities[0][0] if authorities else ""), "rules": RULES}
        if not year and not authority:
            return render("census.html", **context), None
        errors: dict[str, str] = {}
        if not (chosen_year.isdigit() and FIRST_YEAR <= int(chosen_year) <= LAST_YEAR):
            errors["year"] = (f"Enter the census year as 4 digits, the year its 31 March falls in "
                              f"(between {FIRST_YEAR} and {LAST_YEAR})")
        if authority not in dict(authorities):
            errors["authority"] = "Choose the authority whose return this is"
        extract = None
        if not errors:
            try:
                extract = make_extract(request.app.state.identity().engine, int(chosen_year), authority)
            except CensusRefused as err:
                errors["authority"] = str(err)
        if errors:
            summary = [{"text": text, "href": f"#{field}"} for field, text in errors.items()]
            return render("census.html", status_code=422, errors=summary, field_errors=errors, **context), None
        return render("census.html", extract=extract, census=extract.census,
                      journey_href=journey_href, **context), extract

    @router.get("/census", response_class=HTMLResponse, include_in_schema=False)
    async def census_page(request: Request, actor: Exporter, year: str = "", authority: str = "") -> HTMLResponse:
        response, _ = page(request, year, authority)
        return response

    @router.get("/census.xml", include_in_schema=False)
    async def census_file(request: Request, actor: Exporter, year: str = "", authority: str = "") -> Response:
        response, extract = page(request, year, authority)
        if extract is None or not extract.census.passes:
            # Not the file: the page, saying why (the return's failures, or what the form lacks).
            response.status_code = 409 if extract is not None else 422
            return response
        return Response(extract.xml(), media_type="application/xml",
                        headers={"Content-Disposition": f'attachment; filename="{extract.file_name}"'})

    return router
