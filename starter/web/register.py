"""The register's pages and API: an enquiry, the answer, the staff told of enquiries, and linking a case.

Routes::

    GET  /register                      the enquiry form (register enquirers)
    POST /register                      ask: the answer, on a page
    GET  /register/told                 the enquiries the signed-in person was told of (key workers, managers)
    GET  /register/link?case_ref=       link a case to its child's NHS number and UPRN (operations staff)
    POST /register/link                 link, then the same page with what is linked
    POST /api/register/enquiries        ask, as JSON
    POST /api/register/links            link, as JSON

The NHS number and UPRN are read from the body (never the URL, which proxies log) and kept in the
records database only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from activities.notify import sender_from_config
from domain import register as rules
from domain.register import PROFESSION_WORDS, Profession
from starter.identity import Actor
from starter.permissions import Action, require
from starter.register import EnquiryAnswer, Register, RegisterError
from starter.roles import Role
from starter.web.api_answers import answers, success
from starter.web.audit import AuditedRoute
from starter.web.connection import JourneysFactory
from starter.web.templating import render
from starter.web.labels import day_words

NHS_HINT = "10 digits, as on the child's health record; spaces are fine. Checked by its check digit."
UPRN_HINT = ("The address's Unique Property Reference Number (1 to 12 digits), if known: an enquiry about a child "
             "at the same address as a child on a plan is passed to that child's key worker.")
#: Managers who see second enquiries about a child not known (the designated manager's part, paragraph 61).
MANAGERS = {Role.TEAM_MANAGER, Role.SERVICE_MANAGER}


class EnquiryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nhs_number: str = Field(description="the child's NHS number (10 digits)", examples=["943 476 5919"])
    uprn: str | None = Field(None, description="the child's address as a UPRN, if known", examples=["100023336956"])
    profession: Profession = Field(description="the enquirer's profession (Staffordshire procedures, paragraph 58)",
                                   examples=["health_visitor"])


class LinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_ref: str = Field(description="the case to link", examples=["CASE-0042"], max_length=40)
    nhs_number: str = Field(description="the child's NHS number", examples=["943 476 5919"])
    uprn: str | None = Field(None, description="the child's home address as a UPRN", examples=["100023336956"])


Enquirer = Annotated[Actor, require(Action.ENQUIRE_REGISTER)]
Linker = Annotated[Actor, require(Action.LINK_CHILD_IDENTITY)]
Reader = Annotated[Actor, require(Action.READ_REGISTER_NOTICES)]


def register_router(journeys: JourneysFactory) -> APIRouter:
    # Every answer is a row in the audit log; an enquiry's row names the case it found, a link's the case linked.
    router = APIRouter(route_class=AuditedRoute)

    async def the_register(request: Request) -> Register:
        # The records database sign-in already uses; letters through the sender the activities use.
        return Register(request.app.state.identity().engine, await journeys(), sender_from_config())

    @router.get("/register", response_class=HTMLResponse, include_in_schema=False)
    async def enquiry_form(actor: Enquirer) -> HTMLResponse:
        return _enquiry_page({})

    @router.post("/register", response_class=HTMLResponse, include_in_schema=False)
    async def ask(request: Request, actor: Enquirer) -> HTMLResponse:
        form = {key: str(value) for key, value in (await request.form()).items()}
        if form.get("profession") not in {item.value for item in Profession}:
            return _enquiry_page(form, "Choose the profession you ask as", 422)
        register = await the_register(request)
        try:
            answer = await register.enquire(actor, form.get("nhs_number", ""), form.get("uprn") or None,
                                            form.get("profession", ""))
        except RegisterError as refused:
            return _enquiry_page(form, str(refused), 422)
        request.state.audit_case_ref = answer.case_ref
        return _answer_page(answer)

    @router.post("/api/register/enquiries", tags=["register"], responses=answers(503, body=True, ok={200: success(
        "the answer, with the key worker; the key worker (or the designated manager) is told of the enquiry",
        {"enquiry_id": "enq-2026-000123", "asked_on": "2026-11-24", "outcome": "on_plan", "on_plan": True,
         "advice": "Case CASE-0042: subject of a child protection plan (category: neglect) since 2026-11-20. The key "
                   "worker is staff number SW-1042, who has been told of this enquiry and will follow it up.",
         "case_ref": "CASE-0042", "key_worker": "SW-1042", "category": "neglect", "plan_started_on": "2026-11-20",
         "earlier_enquiries": [], "told": ["lead_social_worker"], "undelivered": []})},
        saying={422: "that NHS number's check digit is wrong: check it was typed correctly"}))
    async def ask_json(request: Request, body: EnquiryBody, actor: Enquirer) -> JSONResponse:
        """Is this child subject to a child protection plan? Answered to register enquirers, with the key
        worker; the key worker (or the designated manager) is told of the enquiry."""
        register = await the_register(request)
        try:
            answer = await register.enquire(actor, body.nhs_number, body.uprn, body.profession.value)
        except RegisterError as refused:
            return JSONResponse({"detail": str(refused)}, status_code=422)
        request.state.audit_case_ref = answer.case_ref
        return JSONResponse(answer.as_json())

    @router.get("/register/told", response_class=HTMLResponse, include_in_schema=False)
    async def told(request: Request, actor: Reader) -> HTMLResponse:
        register = await the_register(request)
        return _told_page(register.told_of(actor, designated_manager=bool(actor.roles & MANAGERS)))

    @router.get("/register/link", response_class=HTMLResponse, include_in_schema=False)
    async def link_form(request: Request, actor: Linker, case_ref: str = "") -> HTMLResponse:
        return _link_page({"case_ref": case_ref})

    @router.post("/register/link", response_class=HTMLResponse, include_in_schema=False)
    async def link(request: Request, actor: Linker) -> HTMLResponse:
        form = {key: str(value) for key, value in (await request.form()).items()}
        register = await the_register(request)
        try:
            row = await register.link(form.get("case_ref", ""), form.get("nhs_number", ""), form.get("uprn") or None,
                                      actor)
        except RegisterError as refused:
            return _link_page(form, str(refused), 422)
        request.state.audit_case_ref = row.case_ref
        return _link_page({}, banner={
            "heading": f"Case {row.case_ref} is linked to its child's NHS number{' and address' if row.uprn else ''}",
            "body": f"Linked by {row.linked_by}."})

    @router.post("/api/register/links", tags=["register"], responses=answers(503, body=True, ok={200: success(
        "linked (a link made before is replaced)",
        {"case_ref": "CASE-0042", "linked": True, "with_uprn": True, "linked_by": "OPS-0001"})},
        saying={422: "that NHS number's check digit is wrong: check it was typed correctly"}))
    async def link_json(request: Request, body: LinkBody, actor: Linker) -> JSONResponse:
        """Link a case to its child's NHS number and home address (UPRN), kept in the records database only;
        linking again replaces the link (the child moved)."""
        register = await the_register(request)
        try:
            row = await register.link(body.case_ref, body.nhs_number, body.uprn, actor)
        except RegisterError as refused:
            return JSONResponse({"detail": str(refused)}, status_code=422)
        request.state.audit_case_ref = row.case_ref
        return JSONResponse({"case_ref": row.case_ref, "linked": True, "with_uprn": row.uprn is not None,
                             "linked_by": row.linked_by})

    return router


def _page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(template, status_code, source=rules.SOURCE, nhs_hint=NHS_HINT, uprn_hint=UPRN_HINT, **context)


def _problem(refusal: str | None, fields: tuple[str, ...]) -> dict[str, Any]:
    """A refusal's words at the top and beside the field it is about (the NHS number, the UPRN, the case)."""
    if not refusal:
        return {"errors": [], "field_errors": {}}
    about = {"nhs_number": "NHS number", "uprn": "UPRN", "case_ref": "case reference", "profession": "profession"}
    field = next((name for name in fields if about[name] in refusal), None)
    text = refusal[:1].upper() + refusal[1:]
    return {"errors": [{"text": text, **({"href": f"#{field}"} if field else {})}],
            "field_errors": {field: text} if field else {}}


def _enquiry_page(values: dict[str, str], refusal: str | None = None, status_code: int = 200) -> HTMLResponse:
    professions = [{"value": "", "text": "Choose the profession you ask as"},
                   *({"value": item.value, "text": words} for item, words in PROFESSION_WORDS.items())]
    return _page("register_enquiry.html", status_code, title="Ask the register", professions=professions,
                 values=values, uprn_label="The child's address as a UPRN (optional)",
                 **_problem(refusal, ("nhs_number", "uprn", "profession")))


def _answer_page(answer: EnquiryAnswer) -> HTMLResponse:
    facts = [("Answer", rules.OUTCOME_WORDS[answer.outcome])]
    if answer.case_ref:
        facts.append(("Case", answer.case_ref))
    if answer.outcome in (rules.Outcome.ON_PLAN, rules.Outcome.OPEN_CASE):
        facts.append(("Key worker", f"staff number {answer.key_worker}" if answer.key_worker else "not named yet"))
    if answer.category:
        facts.append(("Category", answer.category.replace("_", " ")))
    if answer.plan_started_on:
        facts.append(("Plan since", day_words(answer.plan_started_on)))
    for earlier in answer.earlier:
        facts.append(("Asked before", f"{day_words(earlier.asked_on)} by {PROFESSION_WORDS[earlier.profession]}"))
    facts.append(("Enquiry", f"{answer.enquiry_id} on {day_words(answer.asked_on)}"))
    rows = [{"key": {"text": term}, "value": {"text": value}} for term, value in facts]
    return _page("register_answer.html", title="The register's answer", advice=answer.advice, facts=rows,
                 undelivered=list(answer.undelivered))


def _told_page(rows: list) -> HTMLResponse:
    table = []
    for row in rows:
        enquiry, notice = row.enquiry, row.notice
        profession = PROFESSION_WORDS.get(Profession(enquiry.profession), enquiry.profession)
        table.append([{"text": day_words(enquiry.asked_at.date())}, {"text": enquiry.enquirer}, {"text": profession},
                      {"text": enquiry.nhs_number}, {"text": notice.case_ref or ""},
                      {"text": rules.OUTCOME_WORDS[rules.Outcome(enquiry.outcome)]}, {"text": notice.why}])
    return _page("register_told.html", title="Register enquiries", rows=table)


def _link_page(values: dict[str, str], refusal: str | None = None, status_code: int = 200,
               banner: dict[str, str] | None = None) -> HTMLResponse:
    return _page("register_link.html", status_code, title="Link a case to its child", values=values, banner=banner,
                 uprn_label="The child's home address as a UPRN (optional)",
                 **_problem(refusal, ("nhs_number", "uprn", "case_ref")))

