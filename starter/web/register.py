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

from typing import Annotated

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
from starter.web.audit import AuditedRoute
from starter.web.connection import JourneysFactory
from starter.web.markup import alert, e, field, page, select, text_input

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
        return page("Ask the register", _enquiry_form({}))

    @router.post("/register", response_class=HTMLResponse, include_in_schema=False)
    async def ask(request: Request, actor: Enquirer) -> HTMLResponse:
        form = {key: str(value) for key, value in (await request.form()).items()}
        register = await the_register(request)
        try:
            answer = await register.enquire(actor, form.get("nhs_number", ""), form.get("uprn") or None,
                                            form.get("profession", ""))
        except RegisterError as refused:
            return page("Ask the register", _enquiry_form(form, str(refused)), status_code=422)
        request.state.audit_case_ref = answer.case_ref
        return page("The register's answer", _answer_html(answer))

    @router.post("/api/register/enquiries", tags=["register"])
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
        rows = register.told_of(actor, designated_manager=bool(actor.roles & MANAGERS))
        body = ["<h1>Register enquiries you were told of</h1>",
                '<p class="muted">Each enquiry about a child on your caseload or at the same address as one '
                "(Staffordshire procedures, Part 6, 59-60), and, for managers, second enquiries about a child "
                "not known, to consider whether the child is in need (61).</p>"]
        if not rows:
            body.append("<p>None yet.</p>")
        else:
            body.append("<table><thead><tr><th>Asked on</th><th>By</th><th>Profession</th><th>NHS number</th>"
                        "<th>Case</th><th>Answer</th><th>Why you were told</th></tr></thead><tbody>")
            for row in rows:
                enquiry, notice = row.enquiry, row.notice
                profession = PROFESSION_WORDS.get(Profession(enquiry.profession), enquiry.profession)
                body.append(
                    f'<tr><td class="date">{e(enquiry.asked_at.date())}</td><td>{e(enquiry.enquirer)}</td>'
                    f"<td>{e(profession)}</td><td>{e(enquiry.nhs_number)}</td><td>{e(notice.case_ref or '')}</td>"
                    f"<td>{e(rules.OUTCOME_WORDS[rules.Outcome(enquiry.outcome)])}</td><td>{e(notice.why)}</td></tr>")
            body.append("</tbody></table>")
        return page("Register enquiries", "".join(body))

    @router.get("/register/link", response_class=HTMLResponse, include_in_schema=False)
    async def link_form(request: Request, actor: Linker, case_ref: str = "") -> HTMLResponse:
        return page("Link a case to its child", _link_form({"case_ref": case_ref}))

    @router.post("/register/link", response_class=HTMLResponse, include_in_schema=False)
    async def link(request: Request, actor: Linker) -> HTMLResponse:
        form = {key: str(value) for key, value in (await request.form()).items()}
        register = await the_register(request)
        try:
            row = await register.link(form.get("case_ref", ""), form.get("nhs_number", ""), form.get("uprn") or None,
                                      actor)
        except RegisterError as refused:
            return page("Link a case to its child", _link_form(form, str(refused)), status_code=422)
        request.state.audit_case_ref = row.case_ref
        done = (f'<div class="notice" role="status"><p>Case {e(row.case_ref)} is linked to its child\'s NHS number'
                f"{' and address' if row.uprn else ''} (by {e(row.linked_by)}).</p></div>")
        return page("Link a case to its child", done + _link_form({}))

    @router.post("/api/register/links", tags=["register"])
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


def _enquiry_form(values: dict[str, str], refusal: str | None = None) -> str:
    professions = [("", "Choose the profession you ask as"),
                   *((item.value, words) for item, words in PROFESSION_WORDS.items())]
    return (
        "<h1>Is this child subject to a child protection plan?</h1>"
        f'<p class="muted">Answered to the professions listed in {e(rules.SOURCE)}, paragraph 58. Anyone else with '
        "a concern for a child's welfare should contact Children's Social Care. Every enquiry is recorded with "
        "your staff number and profession, and the child's key worker is told of it.</p>"
        + alert(refusal)
        + '<form class="start" method="post" action="/register">'
        + field("profession", "Your profession", select("profession", "profession", professions,
                                                         values.get("profession", "")))
        + field("nhs_number", "The child's NHS number",
                text_input("nhs_number", "nhs_number", values.get("nhs_number", ""), hint=True,
                           extra=' inputmode="numeric" maxlength="20"'), hint=NHS_HINT)
        + field("uprn", "The child's address as a UPRN (optional)",
                text_input("uprn", "uprn", values.get("uprn", ""), required=False, hint=True,
                           extra=' inputmode="numeric" maxlength="12"'), hint=UPRN_HINT)
        + "<button type=\"submit\">Ask the register</button></form>"
    )


def _answer_html(answer: EnquiryAnswer) -> str:
    facts = [("Answer", rules.OUTCOME_WORDS[answer.outcome])]
    if answer.case_ref:
        facts.append(("Case", answer.case_ref))
    if answer.outcome in (rules.Outcome.ON_PLAN, rules.Outcome.OPEN_CASE):
        facts.append(("Key worker", f"staff number {answer.key_worker}" if answer.key_worker else "not named yet"))
    if answer.category:
        facts.append(("Category", answer.category.replace("_", " ")))
    if answer.plan_started_on:
        facts.append(("Plan since", answer.plan_started_on.isoformat()))
    for earlier in answer.earlier:
        facts.append(("Asked before", f"{earlier.asked_on.isoformat()} by {PROFESSION_WORDS[earlier.profession]}"))
    facts.append(("Enquiry", f"{answer.enquiry_id} on {answer.asked_on.isoformat()}"))
    rows = "".join(f"<dt>{e(term)}</dt><dd>{e(value)}</dd>" for term, value in facts)
    late = alert("Not everyone could be told at once; the letters are kept and will be looked into: "
                 + ", ".join(answer.undelivered)) if answer.undelivered else ""
    return (f"<h1>The register's answer</h1><p>{e(answer.advice)}</p><dl>{rows}</dl>{late}"
            '<p><a href="/register">Ask about another child</a></p>')


def _link_form(values: dict[str, str], refusal: str | None = None) -> str:
    return (
        "<h1>Link a case to its child</h1>"
        '<p class="muted">The NHS number and the address (as a UPRN) let the register match enquiries to this '
        "case. They are kept in the records database only, never in a journey.</p>"
        + alert(refusal)
        + '<form class="start" method="post" action="/register/link">'
        + field("case_ref", "Case reference", text_input("case_ref", "case_ref", values.get("case_ref", "")))
        + field("nhs_number", "The child's NHS number",
                text_input("nhs_number", "nhs_number", values.get("nhs_number", ""), hint=True,
                           extra=' inputmode="numeric" maxlength="20"'), hint=NHS_HINT)
        + field("uprn", "The child's home address as a UPRN (optional)",
                text_input("uprn", "uprn", values.get("uprn", ""), required=False, hint=True,
                           extra=' inputmode="numeric" maxlength="12"'), hint=UPRN_HINT)
        + "<button type=\"submit\">Link</button></form>"
    )
