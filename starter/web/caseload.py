"""The caseload: the admin tool's home page, one row per case.

Route::

    GET /?case_ref=&stage=&overdue=&policy=&lead_social_worker=&team=&page_token=

Overdue cases come first across the whole caseload, not only on one page: Temporal's visibility
cannot sort by our attributes, so the overdue cases are listed first (``CpjOverdue = true``) and then
the rest, and the page token says which of the two lists a page continues. Within a page, cases are
in order of their next deadline. A search by case reference matches its start (a prefix: ``DAR-2026``
finds every case whose reference begins so; a whole reference finds that case).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from temporalio.service import RPCError

from domain.deadlines import KINDS
from domain.state import Stage
from shipped import released
from shipped.profiles import profile_ids
from starter.client import InvalidFilter, JourneyError, Journeys, JourneySummary
from starter.identity import Actor
from starter.permissions import Action, require
from starter.web.audit import AuditedRoute
from starter.web.connection import JourneysFactory
from starter.web.form_errors import InvalidCaseRef, valid_case_ref
from starter.web.labels import STAGE_LABELS, day_words
from starter.web.templating import render

log = logging.getLogger("cpj.web")

#: Cases on one page of the caseload; "Next page" follows when there are more.
CASELOAD_PAGE_SIZE = 50
#: The filters a caseload page takes, in the order the page shows them.
FILTERS = ("case_ref", "stage", "overdue", "policy", "lead_social_worker", "team")
OVERDUE_OPTIONS = (("", "Overdue or not"), ("yes", "Overdue"), ("no", "Not overdue"))
#: A list's value the page did not offer (a link typed by hand): the client's sentence names values, not words.
CHOOSE_FROM_THE_LIST = {"stage": "Choose a stage from the list", "policy": "Choose an authority from the list"}
#: Which of the two lists a page token continues: the overdue cases, then the rest.
OVERDUE_LIST, REST_LIST = "o", "r"

Lister = Annotated[Actor, require(Action.LIST_CASELOAD)]


@dataclass(frozen=True)
class CaseloadPage:
    rows: list[JourneySummary]
    next_page_token: str | None


def _split_token(token: str, overdue: bool | None) -> tuple[str, str | None]:
    """The list a page token continues and Temporal's own token within it (the first page: the first list)."""
    if not token:
        return (REST_LIST if overdue is False else OVERDUE_LIST), None
    which, dot, inner = token.partition(".")
    if not dot or which not in (OVERDUE_LIST, REST_LIST) or (which == REST_LIST and overdue is True) or (
            which == OVERDUE_LIST and overdue is False):
        raise JourneyError("that page link is not one this page gave; start again from the first page")
    return which, inner or None


async def overdue_first(j: Journeys, filters: dict[str, str], page_token: str = "",
                        page_size: int | None = None) -> CaseloadPage:
    """One page of the caseload: the overdue cases first, then the others (each list as Temporal gives it)."""
    page_size = page_size or CASELOAD_PAGE_SIZE
    overdue = {"yes": True, "no": False}.get(filters.get("overdue", ""))
    which, inner = _split_token(page_token, overdue)
    given = {name: filters.get(name) or None for name in ("stage", "policy", "lead_social_worker", "team", "case_ref")}
    if which == OVERDUE_LIST:
        page = await j.list(overdue=True, page_size=page_size, page_token=inner, **given)
        if page.next_page_token:
            return CaseloadPage(page.journeys, f"{OVERDUE_LIST}.{page.next_page_token}")
        if overdue is True:
            return CaseloadPage(page.journeys, None)
        # The overdue cases end here: fill the page from the others (a full page only asks whether there are any).
        room = page_size - len(page.journeys)
        rest = await j.list(overdue=False, page_size=max(room, 1), **given)
        if room == 0:
            return CaseloadPage(page.journeys, f"{REST_LIST}." if rest.journeys else None)
        following = f"{REST_LIST}.{rest.next_page_token}" if rest.next_page_token else None
        return CaseloadPage(page.journeys + rest.journeys, following)
    page = await j.list(overdue=False, page_size=page_size, page_token=inner, **given)
    return CaseloadPage(page.journeys, f"{REST_LIST}.{page.next_page_token}" if page.next_page_token else None)


def in_order(rows: list[JourneySummary]) -> list[JourneySummary]:
    """Overdue first, then by next deadline (none last), then by case reference."""
    never = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(rows, key=lambda r: (not r.overdue, r.next_deadline is None, r.next_deadline or never, r.case_ref))


def authority_of(pin: str | None) -> str:
    """The authority whose procedure a journey follows, by name (a journey keeps ``id@version``); an unknown
    profile by its id."""
    if not pin:
        return ""
    return released.authority_of(pin) or pin.partition("@")[0]


def stage_words(row: JourneySummary) -> str:
    stage = STAGE_LABELS.get(Stage(row.stage), "") if row.stage in Stage._value2member_map_ else ""
    if row.status not in ("running", "completed", "continued_as_new"):
        # Stopped by hand in Temporal (terminated, failed): the stage it reached is not where it stands.
        return f"{stage or 'Not started'} (stopped: {row.status.replace('_', ' ')})"
    return stage or "Not known yet"


def next_deadline_words(row: JourneySummary) -> str:
    """What the case must do next, in words; an overdue case always says it is overdue."""
    if row.next_deadline_kind:
        kind = KINDS.get(row.next_deadline_kind)
        return kind.label if kind else row.next_deadline_kind.replace("_", " ").capitalize()
    if row.overdue:
        # A journey that has not run since the "caseload-attributes" patch drops a passed deadline from its index.
        return "A deadline has passed: open the case to see which"
    return "None open"


def row_view(row: JourneySummary) -> dict[str, object]:
    return {
        "case_ref": row.case_ref,
        "href": f"/journeys/{quote(row.case_ref, safe='')}",
        "stage": stage_words(row),
        "authority": authority_of(row.policy),
        "lead_social_worker": row.lead_social_worker or "Not named",
        "team": row.team or "Not named",
        "next_deadline": next_deadline_words(row),
        "due": day_words(row.next_due),
        "overdue": row.overdue,
    }


def whole_case_href(case_ref: str) -> str | None:
    """The case's own page when ``case_ref`` is a whole case reference (a way in while the list is unavailable)."""
    try:
        return f"/journeys/{quote(valid_case_ref(case_ref), safe='')}" if case_ref else None
    except InvalidCaseRef:
        return None


def caseload_href(filters: dict[str, str], page_token: str | None = None) -> str:
    params = {name: filters[name] for name in FILTERS if filters.get(name)}
    if page_token:
        params["page_token"] = page_token
    return "/?" + urlencode(params) if params else "/"


def policy_options() -> list[tuple[str, str]]:
    """Each procedure a journey can follow, by its authority's name."""
    return sorted(((pid, authority_of(pid)) for pid in profile_ids()), key=lambda option: option[1])


def options(choices, chosen: str) -> list[dict[str, object]]:
    return [{"value": value, "text": text, "selected": value == chosen} for value, text in choices]


def cleaned(case_ref: str, stage: str, overdue: str, policy: str, lead_social_worker: str, team: str) -> dict[str, str]:
    """The filters as typed, tidied: references and staff numbers in capitals, no stray spaces."""
    return {
        "case_ref": case_ref.strip().upper(),
        "stage": stage.strip(),
        "overdue": overdue.strip(),
        "policy": policy.strip(),
        "lead_social_worker": lead_social_worker.strip().upper(),
        "team": " ".join(team.split()),
    }


def caseload_router(journeys: JourneysFactory) -> APIRouter:
    router = APIRouter(route_class=AuditedRoute)

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def caseload(actor: Lister, case_ref: str = "", stage: str = "", overdue: str = "", policy: str = "",
                       lead_social_worker: str = "", team: str = "", page_token: str = "") -> HTMLResponse:
        filters = cleaned(case_ref, stage, overdue, policy, lead_social_worker, team)
        page: CaseloadPage | None = None
        unavailable = ""
        errors: list[dict[str, str]] = []
        field_errors: dict[str, str] = {}
        status = 200
        try:
            page = await overdue_first(await journeys(), filters, page_token)
        except InvalidFilter as err:
            sentence = CHOOSE_FROM_THE_LIST.get(err.field, err.sentence)
            field_errors[err.field] = sentence
            errors.append({"text": sentence, "href": f"#{err.field}"})
            status = 400
        except JourneyError as err:  # a page token not ours, or Temporal not answering in time
            unavailable = f"{str(err)[:1].upper()}{str(err)[1:]}."
        except RPCError as err:
            log.warning("cannot list the caseload: %s", err.status)
            unavailable = "The caseload cannot be listed just now: Temporal did not list the cases. Try again in a minute."
        rows = [row_view(row) for row in in_order(page.rows)] if page else []
        return render(
            "caseload.html", status_code=status, title="Caseload", errors=errors, field_errors=field_errors,
            filters=filters, filtered=any(filters.get(name) for name in FILTERS),
            rows=rows, listed=page is not None, later_page=bool(page_token),
            unavailable=unavailable, open_href=whole_case_href(filters["case_ref"]) if unavailable else None,
            stage_options=options([("", "Any stage")] + [(s.value, words) for s, words in STAGE_LABELS.items()],
                                  filters["stage"]),
            overdue_options=options(OVERDUE_OPTIONS, filters["overdue"]),
            policy_options=options([("", "Any authority")] + policy_options(), filters["policy"]),
            first_href=caseload_href(filters) if page_token else None,
            next_href=caseload_href(filters, page.next_page_token) if page and page.next_page_token else None,
            clear_href="/",
        )

    return router
