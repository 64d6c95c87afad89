"""An event's questions, asked the GOV.UK way, and the answers read back, from the event's model alone.

Each field's ``title`` (or its fuller ``x-label``), ``description`` (the hint), its type (a date, a
yes/no, a choice from a ``Literal`` or an enum, a staff number, lines of text) and its
``json_schema_extra`` (``x-form``, ``x-choices``, ``x-none``, ``x-default``, ``x-upper``) make a
:class:`Question`; :func:`widgets` turns the questions, the answers so far and their errors into the
parameters of GOV.UK Frontend's macros (``templates/_fields.html`` calls them). So a new event gets
its page without a line here.

Reading a form back (:func:`read_answers`) follows the GOV.UK patterns: a date is three boxes
(``{name}-day``, ``-month``, ``-year``) and is refused with "must include a month" or "must be a
real date"; a question that only one answer makes relevant (the category of a plan) is asked inside
that answer (a conditional reveal) and read only when that answer is chosen. What the model refuses
is put beside the question it is about (:func:`errors_from`), in words, never as a field's or an
enum's stored name.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from typing import Any

from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from starter.web.form_errors import CASE_REF_HELP, LIST_ITEMS, STAFF_REF_HELP
from starter.web.templating import ENV
from starter.web.labels import day_words, days_in_words

#: Fields every event has, which the form carries hidden.
HIDDEN = ("type", "event_id")
#: Choices with more options than this are a drop-down list rather than radios.
RADIOS_AT_MOST = 8
#: Free text travels in Temporal payloads, where personal data must never be in clear.
NO_NAMES_HINT = "Refer to people by their role (mother, class teacher), never by name."
#: Answers that make other questions relevant, by event type: {question: {answer: questions it reveals}}.
#: The revealed questions are read only when that answer is chosen, so "no plan" never carries a category.
REVEALS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "icpc_held": {"decision": {"plan": ("category",)}},
    "review_held": {"outcome": {"change_category": ("category",),
                                "end_plan": ("chair_endorsed_ending", "exceptional_circumstance")}},
    "plan_ended": {"reason": {"moved_to_another_authority": ("receiving_conference_confirmed",)}},
}
#: Revealed questions that must be answered once shown (their model allows "none" only for the other answers).
REQUIRED_WHEN_SHOWN = {("icpc_held", "category"), ("review_held", "category")}
MONTHS = {name: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
#: Words that stay in capitals when an enum's value is written out.
CAPITALS = {"uk": "UK", "csc": "CSC", "icpc": "ICPC"}


# -- what the model says about a field ------------------------------------------------------


def _extra(info: FieldInfo) -> dict[str, Any]:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _bare(annotation: Any) -> Any:
    """``X | None`` as ``X``, and ``Annotated[X, ...]`` as ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            annotation = rest[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _item(kind: Any) -> Any:
    args = typing.get_args(kind)
    return _bare(args[0]) if args else Any


def _is_choice(kind: Any) -> bool:
    return typing.get_origin(kind) is typing.Literal or (isinstance(kind, type) and issubclass(kind, Enum))


def _optional(info: FieldInfo) -> bool:
    """True when the field may be None (``X | None``): an empty answer then means "none given"."""
    return typing.get_origin(info.annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
        info.annotation)


def _max_length(info: FieldInfo) -> int | None:
    return next((m.max_length for m in info.metadata if getattr(m, "max_length", None) is not None), None)


def input_kind(info: FieldInfo) -> str:
    """How the model asks for a field: date, check, choice, multi, staff, paragraph, lines, commas, members, text,
    fixed, none."""
    extra = _extra(info)
    if "x-form" in extra:
        return extra["x-form"]
    kind = _bare(info.annotation)
    if typing.get_origin(kind) is list and (_is_choice(_item(kind)) or "x-choices" in extra):
        return "multi"
    if kind is date:
        return "date"
    if kind is bool:
        return "check"
    if _is_choice(kind):
        return "choice"
    if typing.get_origin(kind) is list:
        return "lines"
    if (_max_length(info) or 0) > 300:
        return "paragraph"
    return "text"


def in_words(value: Any) -> str:
    """A stored value as words: ``left_the_uk`` is "Left the UK"."""
    text = " ".join(CAPITALS.get(word, word) for word in str(getattr(value, "value", value)).split("_"))
    return text[:1].upper() + text[1:]


def label(info: FieldInfo, name: str) -> str:
    """What the form asks: the field's fuller ``x-label`` if it has one, else its title."""
    return _extra(info).get("x-label") or info.title or in_words(name)


def choices(info: FieldInfo) -> list[tuple[str, str]]:
    """A choice's options as (value, words): the model's ``x-choices``, or the enum's values in words."""
    extra = _extra(info)
    kind = _bare(info.annotation)
    if typing.get_origin(kind) is list:  # a choice of several: each option is one of the list's items
        kind = _item(kind)
    if "x-choices" in extra:
        return list(extra["x-choices"].items())
    if isinstance(kind, type) and issubclass(kind, Enum):
        return [(item.value, in_words(item.value)) for item in kind]
    return [(str(value), in_words(value)) for value in typing.get_args(kind)]


# -- questions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    """What the journey's state adds to a question: the options open now, a hint about its dates."""

    options: list[tuple[str, str]] | None = None
    hint: str | None = None


DATE_PARTS = ("day", "month", "year")


def wrong_date_parts(name: str, values: Mapping[str, Any]) -> tuple[str, ...]:
    """The boxes of a date to mark when it is refused: the missing ones when some are given, else all three."""
    missing = tuple(part for part in DATE_PARTS if not _text(values.get(f"{name}-{part}")).strip())
    return missing if 0 < len(missing) < len(DATE_PARTS) else DATE_PARTS


@dataclass(frozen=True)
class Question:
    """One question of a form. ``name`` is the form field's name and its element's id (a date's boxes add
    ``-day``, ``-month``, ``-year``).

    ``kind``: date, radios, select, checkboxes, check (one tick box), yesno (radios Yes/No), text, staff,
    number, count (a paragraph, with a character count), lines, members, commas.
    """

    name: str
    kind: str
    label: str
    hint: str = ""
    options: tuple[tuple[str, str], ...] = ()
    required: bool = True
    max_length: int | None = None
    #: The answer a new form starts with (a date as ISO, a tick as "on"), or None.
    default: Any = None
    #: The value when the question is not asked (a revealed question whose answer is not chosen).
    absent: Any = None
    #: An empty answer is None (an optional reference), not "".
    empty_is_none: bool = False
    upper: bool = False
    #: {answer: questions shown once that answer is chosen}.
    reveals: Mapping[str, tuple[Question, ...]] = field(default_factory=dict)
    #: The question in the middle of a sentence ("Select {words_as}"), where its label does not read so.
    words_as: str = ""

    @property
    def anchor(self) -> str:
        """The id an error links to: a date's day box, else the question's own (radios' first option)."""
        return f"{self.name}-day" if self.kind == "date" else self.name

    def anchor_for(self, values: Mapping[str, Any]) -> str:
        """The id an error on this answer links to: for a date, the first box that is wrong (GOV.UK's pattern)."""
        if self.kind != "date":
            return self.anchor
        return f"{self.name}-{wrong_date_parts(self.name, values)[0]}"


    def words(self) -> str:
        """The question as the middle of a sentence ("the day the conference was held")."""
        if self.words_as:
            return self.words_as
        if self.hint.startswith(("The day", "Whether")):
            return self.hint[:1].lower() + self.hint[1:]
        text = _mid(_short(self))
        if text.split(" ")[0] in ("why", "when", "who", "how", "what", "where"):
            return text
        return text if text.startswith(("the ", "a ", "whether ")) else f"the {text}"


def _question(model: type[BaseModel], name: str, info: FieldInfo, today: str, over: Override) -> Question | None:
    kind = input_kind(info)
    if name in HIDDEN or kind in ("fixed", "none"):
        return None
    extra = _extra(info)
    hint = over.hint if over.hint is not None else (info.description or "")
    if hint.startswith("a day, YYYY-MM-DD"):  # the type's own description, for the API: the date boxes say it
        hint = ""
    common = dict(name=name, label=label(info, name), hint=hint, required=info.is_required(),
                  upper=bool(extra.get("x-upper")), absent=None if info.is_required() else info.get_default(
                      call_default_factory=True))
    default = extra.get("x-default", info.default if not info.is_required() else None)
    default = getattr(default, "value", default)
    if kind == "date":
        first = extra.get("x-default", today if info.is_required() else "")
        return Question(kind="date", default=first or None, **common)
    if kind == "check":
        return Question(kind="check", default="on" if default is True else None, **{**common, "required": False})
    if kind in ("choice", "multi"):
        options = list(over.options if over.options is not None else choices(info))
        if kind == "multi":
            return Question(kind="checkboxes", options=tuple(options), **common)
        if _optional(info):
            options.insert(0, ("", extra.get("x-none", "None")))
        return Question(kind="radios" if len(options) <= RADIOS_AT_MOST else "select", options=tuple(options),
                        default=default if isinstance(default, str) else ("" if _optional(info) else None), **common)
    if kind == "staff":
        return Question(kind="staff", empty_is_none=_optional(info), **common)
    if kind == "paragraph":
        return Question(kind="count", max_length=_max_length(info), hint=_no_names(hint),
                        **{k: v for k, v in common.items() if k != "hint"})
    if kind in ("lines", "members"):
        return Question(kind=kind, hint=_no_names(hint), **{k: v for k, v in common.items() if k != "hint"})
    if kind == "commas":
        return Question(kind="commas", **common)
    return Question(kind="text", empty_is_none=_optional(info), **common)


def _no_names(hint: str) -> str:
    return hint if "name" in hint else f"{hint} {NO_NAMES_HINT}".strip()


def questions(model: type[BaseModel], today: str, overrides: Mapping[str, Override] | None = None) -> list[Question]:
    """The questions of ``model``'s form, in the model's order; a question another answer reveals is inside it."""
    overrides = overrides or {}
    kind = model.model_fields["type"].default if "type" in model.model_fields else ""
    asked = {name: q for name, info in model.model_fields.items()
             if (q := _question(model, name, info, today, overrides.get(name, Override()))) is not None}
    reveals = REVEALS.get(kind, {})
    inside = {name for by_answer in reveals.values() for names in by_answer.values() for name in names}
    shown = []
    for name, q in asked.items():
        if name in inside:
            continue
        if name in reveals:
            q = replace(q, reveals={answer: tuple(_revealed(kind, asked[n]) for n in names)
                                    for answer, names in reveals[name].items()})
        shown.append(q)
    return shown


def _revealed(kind: str, q: Question) -> Question:
    if (kind, q.name) in REQUIRED_WHEN_SHOWN:  # no "none" option: the answer that shows it needs one
        return replace(q, required=True, options=tuple(o for o in q.options if o[0]), default=None)
    return q


def every_question(qs: Iterable[Question]) -> list[Question]:
    """The questions with those revealed inside them, in the order the page shows them."""
    out = []
    for q in qs:
        out.append(q)
        for inner in q.reveals.values():
            out.extend(every_question(inner))
    return out


def first_values(qs: Sequence[Question]) -> dict[str, Any]:
    """A new form's answers: each question's default, as the form would post it."""
    values: dict[str, Any] = {}
    for q in every_question(qs):
        if q.default is None:
            continue
        if q.kind == "date":
            day = date.fromisoformat(q.default)
            values.update({f"{q.name}-day": str(day.day), f"{q.name}-month": str(day.month),
                           f"{q.name}-year": str(day.year)})
        else:
            values[q.name] = q.default
    return values


def form_values(form: Any) -> dict[str, Any]:
    """A submitted form as text, or a list for a name posted more than once (the ticks of a choice of several)."""
    values: dict[str, Any] = {}
    for key in form.keys():
        got = [str(v) for v in form.getlist(key) if isinstance(v, str)]
        values[key] = got if len(got) > 1 else (got[0] if got else "")
    return values


# -- the macros' parameters ------------------------------------------------------------------


def widgets(qs: Sequence[Question], values: Mapping[str, Any], errors: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each question as ``{"macro": "govukRadios", "params": {...}}`` for ``templates/_fields.html``."""
    return [_widget(q, values, errors) for q in qs]


def render_fields(items: Sequence[dict[str, Any]]) -> Markup:
    """The questions' HTML, from the GOV.UK macros (a conditional reveal's contents)."""
    return Markup(ENV.get_template("_fields.html").module.fields(items))


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def _widget(q: Question, values: Mapping[str, Any], errors: Mapping[str, str]) -> dict[str, Any]:
    error = {"text": errors[q.name]} if q.name in errors else None
    hint = {"text": q.hint} if q.hint else None
    legend = {"fieldset": {"legend": {"text": q.label, "classes": "govuk-fieldset__legend--s"}}}
    the_label = {"label": {"text": q.label, "classes": "govuk-label--s"}}
    value = values.get(q.name)
    if q.kind == "date":
        wrong = wrong_date_parts(q.name, values) if error else ()
        parts = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))
        return {"macro": "govukDateInput", "params": {
            "id": q.name, "namePrefix": q.name, **legend, "hint": hint, "errorMessage": error,
            "items": [{"name": part, "label": words,
                       "classes": f"govuk-input--width-{width}{' govuk-input--error' if part in wrong else ''}",
                       "value": _text(values.get(f"{q.name}-{part}"))} for part, words, width in parts]}}
    if q.kind in ("radios", "yesno"):
        options = q.options or (("yes", "Yes"), ("no", "No"))
        chosen = _text(value) if value is not None else None
        items = []
        for option, words in options:
            item: dict[str, Any] = {"value": option, "text": words, "checked": chosen == option}
            if option in q.reveals:
                item["conditional"] = {"html": render_fields(widgets(q.reveals[option], values, errors))}
            items.append(item)
        return {"macro": "govukRadios", "params": {
            "name": q.name, "idPrefix": q.name, **legend, "hint": hint, "errorMessage": error, "items": items,
            "classes": "govuk-radios--inline" if q.kind == "yesno" else ""}}
    if q.kind == "checkboxes":
        ticked = set(value if isinstance(value, list) else [value] if value else [])
        return {"macro": "govukCheckboxes", "params": {
            "name": q.name, "idPrefix": q.name, **legend, "hint": hint, "errorMessage": error,
            "items": [{"value": option, "text": words, "checked": option in ticked} for option, words in q.options]}}
    if q.kind == "check":
        return {"macro": "govukCheckboxes", "params": {
            "name": q.name, "idPrefix": q.name, "errorMessage": error, "classes": "govuk-checkboxes--small",
            "items": [{"value": "on", "text": q.label, "checked": value == "on", "hint": hint}]}}
    if q.kind == "select":
        chosen = _text(value)
        return {"macro": "govukSelect", "params": {
            "id": q.name, "name": q.name, **the_label, "hint": hint, "errorMessage": error,
            "items": [{"value": option, "text": words, "selected": chosen == option} for option, words in q.options]}}
    if q.kind == "count":
        return {"macro": "govukCharacterCount", "params": {
            "id": q.name, "name": q.name, **the_label, "hint": hint, "errorMessage": error, "value": _text(value),
            "maxlength": q.max_length or 2000, "rows": 5}}
    if q.kind in ("lines", "members"):
        return {"macro": "govukTextarea", "params": {
            "id": q.name, "name": q.name, **the_label, "hint": hint, "errorMessage": error, "value": _text(value),
            "rows": 4, "spellcheck": q.kind == "lines"}}
    width = {"staff": "govuk-input--width-10", "number": "govuk-input--width-3"}.get(q.kind, "govuk-input--width-20")
    params: dict[str, Any] = {"id": q.name, "name": q.name, **the_label, "hint": hint, "errorMessage": error,
                              "value": _text(value), "classes": width, "autocomplete": "off"}
    if q.kind in ("staff", "commas") or q.upper:
        params["spellcheck"] = False
    if q.kind == "number":
        params["inputmode"] = "numeric"
    return {"macro": "govukInput", "params": params}


# -- reading answers back --------------------------------------------------------------------


class _Refused(ValueError):
    pass


def _date(q: Question, values: Mapping[str, Any]) -> str | None:
    parts = {part: _text(values.get(f"{q.name}-{part}")).strip() for part in ("day", "month", "year")}
    what = q.words()
    if not any(parts.values()):
        if q.required:
            raise _Refused(f"Enter {what}")
        return None
    missing = [part for part, text in parts.items() if not text]
    if missing:
        raise _Refused(f"{what[:1].upper() + what[1:]} must include a {' and '.join(missing)}")
    month_text = parts["month"].lower()
    month = MONTHS.get(month_text) or (int(month_text) if month_text.isdigit() else None)
    if not (parts["day"].isdigit() and parts["year"].isdigit() and month):
        raise _Refused(f"{what[:1].upper() + what[1:]} must be a real date")
    if len(parts["year"]) != 4:
        raise _Refused(f"The year of {what} must have 4 numbers, for example {date.today().year}")
    try:
        return date(int(parts["year"]), month, int(parts["day"])).isoformat()
    except ValueError:
        raise _Refused(f"{what[:1].upper() + what[1:]} must be a real date") from None


def _lines(text: Any) -> list[str]:
    return [line.strip() for line in _text(text).splitlines() if line.strip()]


def _members(text: Any) -> list[dict[str, str]]:
    """ "role, agency" per line; the model says what is wrong with a line that is not."""
    members = []
    for line in _lines(text):
        role, _, agency = line.partition(",")
        members.append({"role": role.strip(), "agency": agency.strip()})
    return members


def _answer(q: Question, values: Mapping[str, Any]) -> Any:
    value = values.get(q.name)
    if q.kind == "date":
        return _date(q, values)
    if q.kind in ("radios", "select"):
        chosen = _text(value)
        if not chosen and q.required:
            raise _Refused(f"Select {q.words()}")
        return chosen or None
    if q.kind == "yesno":
        chosen = {"yes": True, "no": False}.get(_text(value))
        if chosen is None and q.required:
            raise _Refused(f"Select yes if {q.words().removeprefix('whether ')}, or no")
        return chosen
    if q.kind == "checkboxes":
        return [v for v in (value if isinstance(value, list) else [value] if value else []) if v]
    if q.kind == "check":
        return value == "on"
    if q.kind == "lines":
        return _lines(value)
    if q.kind == "members":
        return _members(value)
    if q.kind == "commas":
        return [part.strip() for part in _text(value).split(",") if part.strip()]
    if q.kind == "count":
        return _text(value)
    if q.kind == "number":
        text = _text(value).strip()
        return int(text) if text.isdigit() else (text or None)
    text = _text(value).strip()
    if q.kind == "staff":
        text = text.upper()
    if not text and q.required:
        raise _Refused(f"Enter {q.words()}")
    return None if (not text and q.empty_is_none) else text


def read_answers(qs: Sequence[Question], values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers as the model's fields, and what is wrong with any, by question. A revealed question is read
    only when its answer is chosen; otherwise it is what the model has when it is not given."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def read(q: Question, shown: bool) -> None:
        if not shown:
            answers[q.name] = q.absent
        else:
            try:
                value = _answer(q, values)
            except _Refused as refused:
                errors[q.name] = str(refused)
                value = None
            if value is not None and q.upper:
                value = [v.upper() for v in value] if isinstance(value, list) else value.upper()
            answers[q.name] = value
        chosen = _text(values.get(q.name))
        for answer, inner in q.reveals.items():
            for r in inner:
                read(r, shown and chosen == answer)

    for q in qs:
        read(q, True)
    return answers, errors


def event_answers(model: type[BaseModel], qs: Sequence[Question], values: Mapping[str, Any],
                  event_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The event a submitted form describes, as fields for ``model`` (which checks them), and the answers refused."""
    answers, errors = read_answers(qs, values)
    fields: dict[str, Any] = {"type": model.model_fields["type"].default, "event_id": event_id}
    for name, info in model.model_fields.items():
        if input_kind(info) == "fixed":
            [fields[name]] = typing.get_args(_bare(info.annotation))
    fields.update({name: value for name, value in answers.items() if value is not None or name not in errors})
    return fields, errors


# -- what the model refused, beside its question -----------------------------------------------


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _short(q: Question) -> str:
    """The question's label without its explanation: "Members: one ... per line" is "Members"."""
    return re.split(r" \(|: ", q.label)[0]


def _mid(text: str) -> str:
    """Words for the middle of a sentence: "Held on" is "held on", "ICPC held" stays."""
    first = text.split(" ")[0]
    return text if first.isupper() and len(first) > 1 else text[:1].lower() + text[1:]


def reworded(message: str, qs: Sequence[Question], names: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """A model's or a rule's sentence with field names and stored values in the form's words, and the question it
    names first (None: none)."""
    every = every_question(qs)
    first: tuple[int, str] | None = None
    for q in every:
        found = re.search(rf"\b{re.escape(q.name)}\b", message)
        if found is None:
            continue
        if first is None or found.start() < first[0]:
            first = (found.start(), q.name)
        if "_" in q.name:  # a stored name, never shown: the question's own words instead
            message = re.sub(rf"\b{re.escape(q.name)}\b", _mid(_short(q)), message)
    if first is None:  # a sentence that opens with the question's own words ("Held on ... is before ...")
        first = next(((0, q.name) for q in every if message.lower().startswith(q.label.lower() + " ")), None)
    for q in every:
        for option, words in q.options:
            if option and "_" in option:
                message = re.sub(rf"\b{re.escape(option)}\b", words.lower(), message)
    for key, words in (names or {}).items():
        message = re.sub(rf"\b{re.escape(key)}\b", words, message)
    message = days_in_words(message)  # "11 November 2026", not 2026-11-11
    return _capital(message.removeprefix("Value error, ")), first[1] if first else None



def _sentence(item: Mapping[str, Any], q: Question | None, rest: Sequence[Any], qs: Sequence[Question]) -> str:
    kind, ctx = item["type"], item.get("ctx") or {}
    if q is None:
        return reworded(str(item["msg"]), qs)[0]
    where = _short(q)
    before: Any = q.name
    for part in rest:
        where += f", {LIST_ITEMS.get(before, 'entry')} {part + 1}" if isinstance(part, int) else f", {part}"
        before = part if isinstance(part, str) else before
    if not rest:
        if kind == "missing" or (item.get("input") is None and kind not in ("value_error", "assertion_error")):
            return f"{'Select' if q.kind in ('radios', 'select', 'yesno', 'checkboxes') else 'Enter'} {q.words()}"
        if kind in ("literal_error", "enum"):
            return f"Select {q.words()}"
        if kind == "too_short" and isinstance(item.get("input"), list):
            return f"{where}: give at least one"
    if kind == "string_too_short":
        return f"{_capital(where)} must be {ctx.get('min_length')} characters or more"
    if kind == "string_too_long":
        return f"{_capital(where)} must be {ctx.get('max_length')} characters or fewer"
    if kind == "too_long":
        return f"{_capital(where)}: at most {ctx.get('max_length')}"
    if kind == "string_pattern_mismatch":
        if q.kind == "staff" or q.name.endswith(("staff_ref", "chair_ref")):
            return f"{_capital(where)} {STAFF_REF_HELP}"
        if q.name == "siblings":
            return f"{_capital(where)}: {CASE_REF_HELP}"
        return f"{_capital(where)} should be capital letters, digits and hyphens, for example ICPC-0042. Never a name"
    if kind in ("int_parsing", "int_type"):
        return f"{_capital(where)} must be a whole number"
    if kind == "greater_than_equal":
        return f"{_capital(where)} must be {ctx.get('ge')} or more"
    if kind == "less_than_equal":
        return f"{_capital(where)} must be {ctx.get('le')} or fewer"
    text = reworded(str(item["msg"]), qs)[0]
    return f"{_capital(where)}: {text[:1].lower()}{text[1:]}"


def errors_from(err: ValidationError, qs: Sequence[Question],
                where: Callable[[tuple], tuple[str | None, tuple]] | None = None) -> dict[str, str]:
    """The model's refusals by question (the first for each); one about no question in particular under ``""``.

    ``where`` maps an error's location to (question name, the rest of the location); by default the
    location's first part is the question.
    """
    by_name = {q.name: q for q in every_question(qs)}
    errors: dict[str, str] = {}
    for item in err.errors(include_url=False):
        loc = tuple(item["loc"])
        name, rest = where(loc) if where else ((loc[0], loc[1:]) if loc and isinstance(loc[0], str) else (None, ()))
        q = by_name.get(name or "")
        if q is None:
            text, named = reworded(str(item["msg"]), qs)
            errors.setdefault(named or "", text)
            continue
        errors.setdefault(q.name, _sentence(item, q, rest, qs))
    return errors


def refusal(message: str, qs: Sequence[Question], names: Mapping[str, str] | None = None,
            dated: str = "") -> dict[str, str]:
    """A rule's refusal (``EventRejected``): beside the question it names, or beside the event's date
    (``dated``) when it is about the day ("is dated ..., before the plan started"), else for the summary."""
    text, named = reworded(message, qs, names)
    if named is None and dated and re.search(r"\bdated\b", message):
        named = dated
    return {named or "": text}


def summary(errors: Mapping[str, str], qs: Sequence[Question],
            values: Mapping[str, Any] | None = None) -> list[dict[str, str]]:
    """The error summary's list: each error linking to its question (a date's first wrong box, given the
    ``values`` sent), in the order the page asks them."""
    every = every_question(qs)
    order = [q.name for q in every]
    anchors = {q.name: q.anchor_for(values or {}) for q in every}
    first = f"#{every[0].anchor}" if every else "#main-content"
    listed = sorted(errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else -1)
    return [{"text": text, "href": f"#{anchors[name]}" if name in anchors else first} for name, text in listed]


# -- check your answers ----------------------------------------------------------------------


def answer_in_words(q: Question, value: Any) -> str:
    """An answer as the check-your-answers page shows it."""
    if q.kind == "date":
        return day_words(value) if value else "Not given"
    if q.kind == "check":
        return "Yes" if value else "No"
    if q.kind == "yesno":
        return {True: "Yes", False: "No"}.get(value, "Not given")
    options = dict(q.options)
    if q.kind in ("radios", "select"):
        return options.get(value or "", in_words(value) if value else "Not given")
    if q.kind == "checkboxes":
        return "; ".join(options.get(v, in_words(v)) for v in value or []) or "None"
    if q.kind == "members":
        return "; ".join(f"{m['role']} ({m['agency']})" for m in value or []) or "None"
    if isinstance(value, list):
        return "; ".join(value) or "None"
    return str(value) if value not in (None, "") else "Not given"


def answer_rows(qs: Sequence[Question], answers: Mapping[str, Any], change_href: str) -> list[dict[str, Any]]:
    """The summary list's rows: each question asked, its answer in words, and a Change link back to it."""
    rows = []

    def add(q: Question, shown: bool) -> None:
        if shown:
            rows.append({"key": {"text": q.label}, "value": {"text": answer_in_words(q, answers.get(q.name))},
                         "actions": {"items": [{"href": f"{change_href}#{q.anchor}", "text": "Change",
                                                "visuallyHiddenText": _mid(_short(q))}]}})
        for answer, inner in q.reveals.items():
            for r in inner:
                add(r, shown and answers.get(q.name) == answer)

    for q in qs:
        add(q, True)
    return rows
