"""The timeliness reports in the admin tool: a year's figures per month, as charts with their numbers, and as CSV.

Routes::

    GET  /reports?year=&authority=&team=        the filter, a chart per measure (SVG drawn here) beside its figures
    GET  /reports.csv?year=&authority=&team=    the same figures per authority, team, month and measure

Both only read the journeys' facts in the records database (``starter.reports``), never Temporal. Team
managers, service managers, supervisors and administrators (``Action.READ_REPORTS``): the figures count
cases and name no child.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.reports import MEASURES, MONTHS
from starter.identity import Actor
from starter.permissions import Action, require
from starter.reports import FIRST_YEAR, LAST_YEAR, Timeliness, authorities, csv_text, teams_of, timeliness
from starter.web.audit import AuditedRoute
from starter.web.templating import render

Reader = Annotated[Actor, require(Action.READ_REPORTS)]


def reports_router() -> APIRouter:
    router = APIRouter(route_class=AuditedRoute)

    def choose(request: Request, year: str, authority: str, team: str) -> tuple[dict, dict[str, str], Timeliness | None]:
        """The form's answers checked, and the figures they ask for (none when an answer is wrong)."""
        engine = request.app.state.identity().engine
        known = authorities()
        teams = teams_of(engine, authority or None)
        chosen_year = year.strip() or str(datetime.now(UTC).year)
        context = {"title": "Timeliness reports", "year": chosen_year, "authority": authority, "team": team,
                   "authorities": known, "teams": teams, "first_year": FIRST_YEAR, "last_year": LAST_YEAR}
        errors: dict[str, str] = {}
        if not (chosen_year.isdigit() and FIRST_YEAR <= int(chosen_year) <= LAST_YEAR):
            errors["year"] = f"Enter the year as 4 digits, between {FIRST_YEAR} and {LAST_YEAR}"
        if authority and authority not in dict(known):
            errors["authority"] = "Choose an authority from the list, or all authorities"
        if team and team not in teams:
            errors["team"] = "Choose a team from the list, or all teams"
        if errors:
            return context, errors, None
        return context, errors, timeliness(engine, int(chosen_year), authority or None, team or None)

    def refused(context: dict, errors: dict[str, str]) -> HTMLResponse:
        summary = [{"text": text, "href": f"#{field}"} for field, text in errors.items()]
        return render("reports.html", status_code=422, errors=summary, field_errors=errors, **context)

    @router.get("/reports", response_class=HTMLResponse, include_in_schema=False)
    async def reports_page(request: Request, actor: Reader, year: str = "", authority: str = "",
                           team: str = "") -> HTMLResponse:
        context, errors, report = await run_in_threadpool(choose, request, year, authority, team)
        if report is None:
            return refused(context, errors)
        query = request.url.query
        return render("reports.html", report=report, measures=MEASURES, months=MONTHS,
                      csv_href="/reports.csv" + (f"?{query}" if query else f"?year={report.year}"), **context)

    @router.get("/reports.csv", include_in_schema=False)
    async def reports_csv(request: Request, actor: Reader, year: str = "", authority: str = "",
                          team: str = "") -> Response:
        context, errors, report = await run_in_threadpool(choose, request, year, authority, team)
        if report is None:
            return refused(context, errors)
        name = "-".join(part for part in ("timeliness", str(report.year), report.authority) if part)
        return Response(csv_text(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

    return router
