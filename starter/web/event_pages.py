"""One page per event: start a journey, record a journey's, a conference's or a complaint's event.

Routes::

    GET  /journeys/new                                   "Start a journey"
    POST /journeys                                       start it, then 303 to the journey's page
    GET  /journeys/{case_ref}/events/{kind}              one event's page, as the journey's stage offers it
    POST /journeys/{case_ref}/events/{kind}              record it (check your answers first when it is
                                                         consequential), then 303 to the journey's page
    GET  /journeys/{case_ref}/complaints/new?type=       start a complaint or a disagreement
    POST /journeys/{case_ref}/complaints                 start it, then 303 to its page
    GET|POST /conferences/{conference_ref}/events/{kind} a conference's event
    GET|POST /complaints/{complaint_ref}/events/{kind}   a complaint's next stage

A form with a mistake comes back (422) with each error beside its question and in the summary at
the top, what was typed kept; a refusal by the workflow's rules (409) likewise. Every form carries
the event's ``type`` (the permissions read it before the model does) and its ``event_id``: a form
sent twice records one event.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from domain.complaints import COMPLAINT_EVENT_TYPES, ENDED, EXPECTED
from domain.conference import ConferenceStage
from domain.events import CONFERENCE_REF_PATTERN, EVENT_TYPES, StrategyDiscussion
from shipped.profiles import load_profile, profile_ids
from starter.client import EventRejected, JourneyExists
from starter.identity import Actor
from starter.permissions import EVENT_ACTIONS, Action, check, require, require_event
from starter.web.api import CaseRefPath, ComplaintRefPath, ConferenceRefPath
from starter.web.audit import AuditedRoute
from starter.web.complaints import OPENING_HEADINGS, OPENINGS, REF_HINT, REFERENCE_FIELDS, complaint_href
from starter.web.conference import (
    CONFERENCE_BUTTONS,
    CONFERENCE_EVENT_LABELS,
    CONFERENCE_EVENT_TYPES,
    _forms_for,
    conference_href,
)
from starter.web.conference_questions import conference_answers, conference_questions, where
from starter.web.connection import JourneysFactory
from starter.web.errors import error_page
from starter.web.form_errors import InvalidCaseRef, valid_case_ref
from starter.web.forms import london_today, new_event_id, offered_now, state_overrides
from starter.web.govuk_forms import (
    Question,
    answer_rows,
    errors_from,
    event_answers,
    first_values,
    form_values,
    questions,
    read_answers,
    refusal,
    summary,
    widgets,
)
from starter.web.story import journey_href
from starter.web.templating import render

Reader = Annotated[Actor, require(Action.READ_CASE)]
Starter = Annotated[Actor, require_event("journey_start")]
Recorder = Annotated[Actor, require_event("journey")]
ChallengeStarter = Annotated[Actor, require_event("complaint_start")]
ChallengeRecorder = Annotated[Actor, require_event("complaint")]
ConferenceRecorder = Annotated[Actor, require_event("conference")]
Enterer = Annotated[Actor, require(Action.START_JOURNEY)]

#: Events a social worker checks before they are recorded: each ends something, or decides that nothing
#: more will happen, and cannot be taken back from the admin tool.
#: A complaint's reference: the complaints system's number, shaped like a conference's.
COMPLAINT_REF = re.compile(CONFERENCE_REF_PATTERN)
COMPLAINT_REF_HELP = ("A complaint reference is the complaints system's number: 4 to 40 capital letters, digits and "
                      "hyphens, for example CMP-0001. Never a name.")
CHECK_FIRST: dict[str, Callable[[BaseModel], bool]] = {
    "plan_ended": lambda event: True,
    "conference_not_required": lambda event: True,
    "icpc_held": lambda event: event.decision == "no_plan",
    "review_held": lambda event: event.outcome == "end_plan",
    "complaint_closed": lambda event: True,
}
#: Event types as they may appear in a rule's sentence, in words.
EVENT_WORDS = {kind: model.title for kind, model in {**EVENT_TYPES, **COMPLAINT_EVENT_TYPES}.items()}
#: Where a refused form's draft waits for a "Change" link on the check-your-answers page (the signed session cookie).
DRAFT = "cpj_draft"
DRAFT_MAX_CHARS = 2500
NOT_OFFERED = "Not available"


def start_questions(today: str) -> list[Question]:
    held = StrategyDiscussion.model_fields
    return [
        Question(name="case_ref", kind="text", label="Case reference", upper=True,
                 hint="The case system's number, for example CASE-0042. Never a name."),
        Question(name="policy", kind="radios", label="Whose procedures does the case follow?",
                 hint="The local authority whose child protection procedures set this case's deadlines",
                 options=tuple((pid, load_profile(pid).authority) for pid in profile_ids()),
                 words_as="whose procedures the case follows"),
        Question(name="strategy_discussion", kind="date", label="When was the strategy discussion held?",
                 hint=held["held_on"].description or "", default=today, words_as="the day the strategy discussion was held"),
        Question(name="initiated_section_47", kind="yesno",
                 label="Did the strategy discussion initiate a section 47 enquiry?",
                 hint="Whether the discussion decided to make enquiries under section 47 of the Children Act 1989",
                 words_as="whether the strategy discussion initiated a section 47 enquiry"),
    ]


def _complaint_ref_question() -> Question:
    return Question(name="complaint_ref", kind="text", label="Complaint reference", upper=True, hint=REF_HINT)


def _upper_references(qs: Sequence[Question]) -> list[Question]:
    return [replace(q, upper=True) if q.name in REFERENCE_FIELDS else q for q in qs]


def event_pages_router(journeys: JourneysFactory) -> APIRouter:
    """The event pages; ``journeys`` gives the app's :class:`Journeys`."""
    router = APIRouter(route_class=AuditedRoute)

    def form_page(*, status_code: int = 200, qs: Sequence[Question], values: Mapping[str, Any],
                  errors: Mapping[str, str], heading: str, caption: str, action: str, kind: str, event_id: str,
                  button: str, cancel_href: str, intro: str = "") -> HTMLResponse:
        return render("event_form.html", status_code, title=heading, heading=heading, caption=caption,
                      errors=summary(errors, qs, values), items=widgets(qs, values, errors), action=action, kind=kind,
                      event_id=event_id, button=button, cancel_href=cancel_href, intro=intro,
                      back_href=cancel_href)

    def not_offered(what: str, where_to: str, href: str) -> HTMLResponse:
        return render("not_offered.html", 404, title=NOT_OFFERED, what=what, where_to=where_to, href=href)

    # -- starting a journey ----------------------------------------------------------------

    @router.get("/journeys/new", response_class=HTMLResponse, include_in_schema=False)
    async def new_journey(actor: Enterer) -> HTMLResponse:
        qs = start_questions(london_today().isoformat())
        return start_page(qs, first_values(qs), {})

    def start_page(qs: list[Question], values: Mapping[str, Any], errors: Mapping[str, str],
                   status_code: int = 200, extra_errors: Sequence[dict[str, str]] = ()) -> HTMLResponse:
        return render("start_journey.html", status_code, title="Start a journey",
                      event_id=values.get("event_id") or new_event_id(),
                      errors=[*extra_errors, *summary(errors, qs, values)], items=widgets(qs, values, errors),
                      back_href="/", back_text="Back to the caseload")

    @router.post("/journeys", include_in_schema=False)
    async def start_journey(request: Request, actor: Starter) -> Response:
        qs = start_questions(london_today().isoformat())
        values = form_values(await request.form())
        answers, errors = read_answers(qs, values)
        case_ref = answers.get("case_ref") or ""
        values["case_ref"] = case_ref
        if answers.get("policy") and answers["policy"] not in profile_ids():
            errors["policy"] = "Select whose procedures the case follows"
        if "case_ref" not in errors:
            try:  # the chosen authority's shape (once one is chosen); never a name or a date of birth
                case_ref = valid_case_ref(case_ref, load_profile(answers["policy"])
                                          if answers.get("policy") and "policy" not in errors else None)
            except InvalidCaseRef as err:
                errors["case_ref"] = str(err)
        if not errors:
            try:
                values["event_id"] = values.get("event_id") or new_event_id()
                discussion = StrategyDiscussion(event_id=values["event_id"],
                                                held_on=answers["strategy_discussion"],
                                                initiated_section_47=answers["initiated_section_47"])
                await (await journeys()).start(case_ref, answers["policy"], discussion, by=actor.recorded_as)
            except ValidationError as err:
                errors.update({"strategy_discussion" if k == "held_on" else k: v
                               for k, v in errors_from(err, questions(StrategyDiscussion, "")).items()})
            except JourneyExists as err:
                link = {"text": f"{str(err)[:1].upper()}{str(err)[1:]}: open the running journey",
                        "href": journey_href(case_ref)}
                return start_page(qs, values, {}, 409, [link])
        if errors:
            return start_page(qs, values, errors, 422)
        return RedirectResponse(journey_href(case_ref), status_code=303)

    # -- a journey's events ------------------------------------------------------------------

    async def journey_event(case_ref: str, kind: str):
        state = await (await journeys()).state(case_ref)
        if kind not in EVENT_TYPES or kind not in offered_now(state):
            return state, None
        return state, questions(EVENT_TYPES[kind], london_today().isoformat(), state_overrides(kind, state))

    def journey_not_offered(case_ref: str, kind: str) -> HTMLResponse:
        what = EVENT_WORDS.get(kind)
        return not_offered(f"{what} is not something case {case_ref} can record now" if what
                           else "There is no such event", f"the page of case {case_ref}", journey_href(case_ref))

    @router.get("/journeys/{case_ref}/events/{kind}", response_class=HTMLResponse, include_in_schema=False)
    async def journey_event_page(case_ref: CaseRefPath, kind: str, request: Request, actor: Reader,
                                 draft: str = "") -> HTMLResponse:
        state, qs = await journey_event(case_ref, kind)
        if qs is None:
            return journey_not_offered(case_ref, kind)
        check(actor, EVENT_ACTIONS[kind], kind)
        values = _draft(request, kind, draft) or first_values(qs)
        return journey_form(case_ref, kind, qs, values, {}, values.get("event_id") or new_event_id())

    def journey_form(case_ref: str, kind: str, qs: Sequence[Question], values: Mapping[str, Any],
                     errors: Mapping[str, str], event_id: str, status_code: int = 200) -> HTMLResponse:
        model = EVENT_TYPES[kind]
        return form_page(status_code=status_code, qs=qs, values=values, errors=errors, heading=model.title,
                         caption=f"Case {case_ref}", action=f"{journey_href(case_ref)}/events/{kind}", kind=kind,
                         event_id=event_id, button=model.action, cancel_href=journey_href(case_ref))

    @router.post("/journeys/{case_ref}/events/{kind}", include_in_schema=False)
    async def record_journey_event(case_ref: CaseRefPath, kind: str, request: Request, actor: Recorder) -> Response:
        state, qs = await journey_event(case_ref, kind)
        model = EVENT_TYPES.get(kind)
        href = f"{journey_href(case_ref)}/events/{kind}"
        return await record(request, Recording(
            kind=kind, state=state, qs=qs, done_href=journey_href(case_ref),
            not_offered=lambda: journey_not_offered(case_ref, kind),
            answers=lambda values, event_id: event_answers(model, qs, values, event_id), model=model,
            form=lambda values, errors, event_id, status: journey_form(case_ref, kind, qs, values, errors, event_id,
                                                                       status),
            refused=lambda message: refusal(message, qs, EVENT_WORDS, model.date_field),
            check=lambda values, fields: check_page(request, kind, qs, values, fields, href, f"Case {case_ref}",
                                                    model.title, model.action),
            send=lambda event: journeys_send(lambda j: j.send(case_ref, event, by=actor.recorded_as))))

    async def journeys_send(send: Callable[[Any], Awaitable[Any]]) -> None:
        await send(await journeys())

    def check_page(request: Request, kind: str, qs: Sequence[Question], values: Mapping[str, Any],
                   answers: Mapping[str, Any], href: str, caption: str, title: str, button: str) -> HTMLResponse:
        event_id = str(values.get("event_id"))
        _keep_draft(request, kind, values)
        hidden = [(k, v) for k, v in values.items() if k not in ("confirmed", "type", "event_id")
                  and not k.startswith("csrf")]
        return render("check_answers.html", title=f"Check your answers: {title}", caption=caption,
                      rows=answer_rows(qs, answers, f"{href}?draft={event_id}"), action=href, kind=kind,
                      event_id=event_id, hidden=hidden, button=button, what=title, back_href=f"{href}?draft={event_id}",
                      back_text="Change your answers")

    # -- starting a complaint or disagreement ---------------------------------------------------

    def opening_questions(kind: str) -> list[Question]:
        return [_complaint_ref_question(),
                *_upper_references(questions(OPENINGS[kind], london_today().isoformat()))]

    def opening_form(case_ref: str, kind: str, qs: Sequence[Question], values: Mapping[str, Any],
                     errors: Mapping[str, str], event_id: str, status_code: int = 200) -> HTMLResponse:
        intro = "The conference's decision and the plan stand while a complaint or disagreement is considered."
        return form_page(status_code=status_code, qs=qs, values=values, errors=errors,
                         heading=OPENING_HEADINGS[kind], caption=f"Case {case_ref}",
                         action=f"{journey_href(case_ref)}/complaints", kind=kind, event_id=event_id,
                         button=OPENINGS[kind].action, cancel_href=journey_href(case_ref), intro=intro)

    @router.get("/journeys/{case_ref}/complaints/new", response_class=HTMLResponse, include_in_schema=False)
    async def new_complaint(case_ref: CaseRefPath, actor: Reader, type: str = "complaint_made") -> HTMLResponse:
        await (await journeys()).state(case_ref)  # a case that does not exist is 404
        if type not in OPENINGS:
            return not_offered("There is no such way to start a complaint", f"the page of case {case_ref}",
                               journey_href(case_ref))
        check(actor, Action.START_CHALLENGE, type)
        qs = opening_questions(type)
        return opening_form(case_ref, type, qs, first_values(qs), {}, new_event_id())

    @router.post("/journeys/{case_ref}/complaints", include_in_schema=False)
    async def start_complaint(case_ref: CaseRefPath, request: Request, actor: ChallengeStarter) -> Response:
        values = form_values(await request.form())
        kind = str(values.get("type", ""))
        if kind not in OPENINGS:
            return error_page(422, "Form not recognised", "That is not a way a complaint or disagreement starts.")
        qs = opening_questions(kind)
        event_id = values.get("event_id") or new_event_id()
        values["event_id"] = event_id
        model = OPENINGS[kind]
        fields, errors = event_answers(model, qs, values, event_id)
        complaint_ref = fields.pop("complaint_ref", None) or ""
        values["complaint_ref"] = complaint_ref
        if "complaint_ref" not in errors and not COMPLAINT_REF.fullmatch(complaint_ref):
            errors["complaint_ref"] = COMPLAINT_REF_HELP
        opening = None
        try:
            opening = model.model_validate(fields)
        except ValidationError as err:
            errors = {**errors_from(err, qs), **errors}
        if errors or opening is None:
            return opening_form(case_ref, kind, qs, values, errors, event_id, 422)
        try:
            await (await journeys()).start_complaint(complaint_ref, case_ref, opening, by=actor.recorded_as)
        except (EventRejected, JourneyExists) as err:
            return opening_form(case_ref, kind, qs, values, refusal(str(err), qs, EVENT_WORDS), event_id, 409)
        return RedirectResponse(f"{complaint_href(complaint_ref)}?recorded=started", status_code=303)

    # -- a complaint's events ----------------------------------------------------------------

    async def complaint_event(ref: str, kind: str):
        state = await (await journeys()).complaint(ref)
        offered = () if state.stage in ENDED else [m.model_fields["type"].default for m in EXPECTED[state.stage]]
        if kind not in offered:
            return state, None
        return state, _upper_references(questions(COMPLAINT_EVENT_TYPES[kind], london_today().isoformat()))

    def complaint_form(state, kind: str, qs: Sequence[Question], values: Mapping[str, Any],
                       errors: Mapping[str, str], event_id: str, status_code: int = 200) -> HTMLResponse:
        model = COMPLAINT_EVENT_TYPES[kind]
        return form_page(status_code=status_code, qs=qs, values=values, errors=errors, heading=model.title,
                         caption=f"Case {state.case_ref}, {state.complaint_ref}",
                         action=f"{complaint_href(state.complaint_ref)}/events/{kind}", kind=kind, event_id=event_id,
                         button=complaint_form_button(model), cancel_href=complaint_href(state.complaint_ref))

    def complaint_not_offered(ref: str, kind: str) -> HTMLResponse:
        what = EVENT_WORDS.get(kind)
        return not_offered(f"{what} is not the next stage of {ref}" if what else "There is no such event",
                           f"the page of {ref}", complaint_href(ref))

    @router.get("/complaints/{complaint_ref}/events/{kind}", response_class=HTMLResponse, include_in_schema=False)
    async def complaint_event_page(complaint_ref: ComplaintRefPath, kind: str, request: Request, actor: Reader,
                                   draft: str = "") -> HTMLResponse:
        state, qs = await complaint_event(complaint_ref, kind)
        if qs is None:
            return complaint_not_offered(complaint_ref, kind)
        check(actor, EVENT_ACTIONS[kind], kind)
        values = _draft(request, kind, draft) or first_values(qs)
        return complaint_form(state, kind, qs, values, {}, values.get("event_id") or new_event_id())

    @router.post("/complaints/{complaint_ref}/events/{kind}", include_in_schema=False)
    async def record_complaint_event(complaint_ref: ComplaintRefPath, kind: str, request: Request,
                                     actor: ChallengeRecorder) -> Response:
        state, qs = await complaint_event(complaint_ref, kind)
        model = COMPLAINT_EVENT_TYPES.get(kind)
        href = f"{complaint_href(complaint_ref)}/events/{kind}"
        return await record(request, Recording(
            kind=kind, state=state, qs=qs, done_href=complaint_href(complaint_ref),
            not_offered=lambda: complaint_not_offered(complaint_ref, kind),
            answers=lambda values, event_id: event_answers(model, qs, values, event_id), model=model,
            form=lambda values, errors, event_id, status: complaint_form(state, kind, qs, values, errors, event_id,
                                                                         status),
            refused=lambda message: refusal(message, qs, EVENT_WORDS),
            check=lambda values, fields: check_page(request, kind, qs, values, fields, href,
                                                    f"Case {state.case_ref}, {complaint_ref}", model.title,
                                                    complaint_form_button(model)),
            send=lambda event: journeys_send(
                lambda j: j.send_complaint_event(complaint_ref, event, by=actor.recorded_as))))

    # -- a conference's events ---------------------------------------------------------------

    async def conference_event(ref: str, kind: str):
        state = await (await journeys()).conference(ref)
        if kind not in CONFERENCE_EVENT_TYPES or kind not in _forms_for(state):
            return state, None
        return state, conference_questions(kind, state, london_today().isoformat())

    def conference_form(ref: str, kind: str, qs: Sequence[Question], values: Mapping[str, Any],
                        errors: Mapping[str, str], event_id: str, status_code: int = 200) -> HTMLResponse:
        return form_page(status_code=status_code, qs=qs, values=values, errors=errors,
                         heading=CONFERENCE_EVENT_LABELS[kind], caption=f"Conference {ref}",
                         action=f"{conference_href(ref)}/events/{kind}", kind=kind, event_id=event_id,
                         button=CONFERENCE_BUTTONS[kind], cancel_href=conference_href(ref))

    def conference_not_offered(ref: str, kind: str, state) -> HTMLResponse:
        what = CONFERENCE_EVENT_LABELS.get(kind)
        closed = state.stage is ConferenceStage.CLOSED
        return not_offered(
            f"Conference {ref} has closed: it takes no more events" if closed and what
            else f"{what} is not something conference {ref} can record now" if what else "There is no such event",
            f"the page of conference {ref}", conference_href(ref))

    @router.get("/conferences/{conference_ref}/events/{kind}", response_class=HTMLResponse, include_in_schema=False)
    async def conference_event_page(conference_ref: ConferenceRefPath, kind: str, actor: Reader) -> HTMLResponse:
        state, qs = await conference_event(conference_ref, kind)
        if qs is None:
            return conference_not_offered(conference_ref, kind, state)
        check(actor, EVENT_ACTIONS[kind], kind)
        return conference_form(conference_ref, kind, qs, first_values(qs), {}, new_event_id())

    @router.post("/conferences/{conference_ref}/events/{kind}", include_in_schema=False)
    async def record_conference_event(conference_ref: ConferenceRefPath, kind: str, request: Request,
                                      actor: ConferenceRecorder) -> Response:
        state, qs = await conference_event(conference_ref, kind)
        return await record(request, Recording(
            kind=kind, state=state, qs=qs, done_href=conference_href(conference_ref),
            not_offered=lambda: conference_not_offered(conference_ref, kind, state),
            answers=lambda values, event_id: conference_answers(kind, qs, values, event_id, state),
            model=CONFERENCE_EVENT_TYPES.get(kind), where=where,
            form=lambda values, errors, event_id, status: conference_form(conference_ref, kind, qs, values, errors,
                                                                          event_id, status),
            refused=lambda message: refusal(message, qs),
            send=lambda event: journeys_send(
                lambda j: j.send_to_conference(conference_ref, event, by=actor.recorded_as))))

    return router


@dataclass(frozen=True)
class Recording:
    """How one event page reads its form, shows it again, asks to check answers and sends the event."""

    kind: str
    state: Any
    #: The page's questions; None when the event is not offered now.
    qs: Sequence[Question] | None
    #: The page a recorded event goes back to (with ``?recorded=<kind>``).
    done_href: str
    not_offered: Callable[[], HTMLResponse]
    #: (values, event id) -> (the event's fields, the answers refused)
    answers: Callable[[dict[str, Any], str], tuple[dict[str, Any], dict[str, str]]]
    model: type[BaseModel] | None
    #: (values, errors, event id, status) -> the form again
    form: Callable[[Mapping[str, Any], Mapping[str, str], str, int], HTMLResponse]
    #: A rule's refusal -> errors by question.
    refused: Callable[[str], dict[str, str]]
    send: Callable[[Any], Awaitable[None]]
    #: (values, fields) -> the check-your-answers page, for events that ask first (``CHECK_FIRST``).
    check: Callable[[dict[str, Any], dict[str, Any]], HTMLResponse] | None = None
    #: Where a model's error about a nested field is asked (conferences' per-child questions).
    where: Callable[[tuple], tuple[str | None, tuple]] | None = None


async def record(request: Request, page: Recording) -> Response:
    """A submitted event page: refused beside its questions (422), checked first when it is consequential,
    refused by the journey's rules (409), or recorded once and answered with a 303 to ``done_href``."""
    values = form_values(await request.form())
    done = RedirectResponse(f"{page.done_href}?recorded={page.kind}", status_code=303)
    if page.qs is None or page.model is None:
        # Sent again after it was recorded (a double click, a resend after a lost answer): the same answer.
        return done if _already_recorded(page.state, values) else page.not_offered()
    if values.get("type") != page.kind:
        return error_page(422, "Form not recognised", "The form sent is not this page's: go back and try again.")
    event_id = values.get("event_id") or new_event_id()
    values["event_id"] = event_id
    fields, errors = page.answers(values, event_id)
    event = None
    if not errors:
        try:
            event = page.model.model_validate(fields)
        except ValidationError as err:
            errors = errors_from(err, page.qs, page.where)
    if event is None:
        return page.form(values, errors, event_id, 422)
    if page.check is not None and CHECK_FIRST.get(page.kind, lambda e: False)(event) and values.get("confirmed") != "yes":
        return page.check(values, fields)
    try:
        await page.send(event)
    except EventRejected as err:
        return page.form(values, page.refused(str(err)), event_id, 409)
    request.session.pop(DRAFT, None)
    return done


def _already_recorded(state: Any, values: Mapping[str, Any]) -> bool:
    """Whether the form's event was recorded already (a double click, a resend after a lost answer), so that a
    page no longer offered answers it as the first time did, not as a mistake."""
    event_id = values.get("event_id")
    return bool(event_id) and event_id in getattr(state, "event_ids", ()) and bool(values.get("type"))


def complaint_form_button(model: type[BaseModel]) -> str:
    action = getattr(model, "action", "Record it")
    return action if action != "Record it" else f"Record: {model.title.lower()}"


def _keep_draft(request: Request, kind: str, values: Mapping[str, Any]) -> None:
    """Keep the answers for the check page's "Change" links (GET pages), in the signed session cookie; answers too
    long for a cookie are not kept (the form then starts afresh)."""
    draft = {k: v for k, v in values.items() if not k.startswith("csrf") and k != "confirmed"}
    if sum(len(str(v)) for v in draft.values()) <= DRAFT_MAX_CHARS:
        request.session[DRAFT] = {"kind": kind, "values": draft}
    else:
        request.session.pop(DRAFT, None)


def _draft(request: Request, kind: str, event_id: str) -> dict[str, Any] | None:
    """The answers kept for ``kind``'s form with ``event_id``, if any."""
    kept = request.session.get(DRAFT) if event_id else None
    if not kept or kept.get("kind") != kind or kept.get("values", {}).get("event_id") != event_id:
        return None
    return dict(kept["values"])
