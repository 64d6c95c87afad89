"""An event's form, and reading it back, from the event's model alone.

Each field's ``title`` (or ``x-label`` where the form asks more fully), ``description``
(the hint under it), its type (a date, a tick box, a choice from a ``Literal`` or an enum,
a staff number, lines of text) and its ``json_schema_extra`` (``x-form``, ``x-choices``,
``x-none``, ``x-default``, ``x-upper``) say how it is shown and read. So a new event gets
its form without a line here.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from starter.web.markup import (
    REASONS_HINT,
    checkbox,
    date_input,
    e,
    field,
    select,
    staff_ref_input,
    text_input,
    textarea,
)

#: Fields every event has, which the form carries hidden.
HIDDEN = ("type", "event_id")


def _extra(info: FieldInfo) -> dict[str, Any]:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _bare(annotation: Any) -> Any:
    """``X | None`` as ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _item(kind: Any) -> Any:
    """A list's item type (``list[X]`` gives ``X``)."""
    args = typing.get_args(kind)
    return args[0] if args else Any


def _is_choice(kind: Any) -> bool:
    return typing.get_origin(kind) is typing.Literal or (isinstance(kind, type) and issubclass(kind, Enum))


def _optional(info: FieldInfo) -> bool:
    """True when the field may be None (``X | None``): an empty box then means "none given"."""
    return typing.get_origin(info.annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
        info.annotation)


def _max_length(info: FieldInfo) -> int | None:
    return next((m.max_length for m in info.metadata if getattr(m, "max_length", None) is not None), None)


def input_kind(info: FieldInfo) -> str:
    """How a field is asked for: date, check, choice, multi, staff, paragraph, lines, commas, members, text, fixed,
    none."""
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
    if typing.get_origin(kind) is typing.Literal or (isinstance(kind, type) and issubclass(kind, Enum)):
        return "choice"
    if typing.get_origin(kind) is list:
        return "lines"
    if (_max_length(info) or 0) > 300:
        return "paragraph"
    return "text"


def label(info: FieldInfo, name: str) -> str:
    """What the form asks: the field's fuller ``x-label`` if it has one, else its title."""
    text = _extra(info).get("x-label") or info.title or name.replace("_", " ").capitalize()
    if input_kind(info) == "date" and not info.is_required() and "optional" not in text:
        text += " (optional)"
    return text


def choices(info: FieldInfo) -> list[tuple[str, str]]:
    """A choice's options as (value, words): the model's ``x-choices``, or the enum's values in words."""
    extra = _extra(info)
    kind = _bare(info.annotation)
    if typing.get_origin(kind) is list:  # a choice of several: each option is one of the list's items
        kind = _item(kind)
    if "x-choices" in extra:
        options = list(extra["x-choices"].items())
    elif isinstance(kind, type) and issubclass(kind, Enum):
        options = [(item.value, item.value.replace("_", " ").capitalize()) for item in kind]
    else:
        options = [(value, str(value).replace("_", " ").capitalize()) for value in typing.get_args(kind)]
    if not info.is_required() and input_kind(info) != "multi":
        options.insert(0, ("", extra.get("x-none", "None")))
    return options


def form_fields(model: type[BaseModel]) -> list[tuple[str, FieldInfo]]:
    """The fields a person fills in, in the model's order."""
    return [(name, info) for name, info in model.model_fields.items()
            if name not in HIDDEN and input_kind(info) not in ("fixed", "none")]


@dataclass(frozen=True)
class Override:
    """What the journey's state adds to a field: the options open now, a hint about its dates."""

    options: list[tuple[str, str]] | None = None
    hint: str | None = None


def render(model: type[BaseModel], values: Mapping[str, Any], today: str, prefix: str,
           overrides: Mapping[str, Override] | None = None) -> str:
    """The form's controls for ``model``: each labelled, with its help under the label."""
    overrides = overrides or {}
    html = []
    for name, info in form_fields(model):
        fid, kind, over = f"{prefix}-{name}", input_kind(info), overrides.get(name, Override())
        hint = over.hint if over.hint is not None else (info.description or "")
        value = values.get(name)
        words = label(info, name)
        if kind == "date":
            default = _extra(info).get("x-default", today if info.is_required() else "")
            html.append(field(fid, words, date_input(fid, name, default if value is None else value,
                                                     info.is_required()), hint))
        elif kind == "check":
            ticked = (value == "on") if value is not None else _extra(info).get("x-default", info.default) is True
            box = checkbox(fid, name, words, ticked)
            if hint:  # under the box's own label, as a field's hint is under its label
                box = box.removesuffix("</div>") + f'<div class="muted" id="{fid}-hint">{e(hint)}</div></div>'
            html.append(box)
        elif kind == "choice":
            options = over.options if over.options is not None else choices(info)
            default = _extra(info).get("x-default", info.default)
            default = default.value if isinstance(default, Enum) else default
            chosen = value if value is not None else (default if isinstance(default, str) else options[0][0])
            html.append(field(fid, words, select(fid, name, options, chosen), hint))
        elif kind == "multi":
            html.append(_multi(fid, name, words, over.options if over.options is not None else choices(info),
                               value, hint))
        elif kind == "staff":
            html.append(field(fid, words, staff_ref_input(fid, name, value or ""), hint))
        elif kind in ("paragraph", "lines", "members"):
            required = info.is_required() or kind == "paragraph"
            box = textarea(fid, name, value or "", required=required)
            if kind == "paragraph":
                box = box.replace("<textarea ", f'<textarea minlength="10" maxlength="{_max_length(info)}" ', 1)
            html.append(field(fid, words, box, _no_names(hint)))
        else:  # text, commas
            html.append(field(fid, words, text_input(fid, name, value or "", required=info.is_required(), hint=True),
                              _no_names(hint) if kind == "commas" else hint))
    return "".join(html)


def _multi(fid: str, name: str, words: str, options: list[tuple[str, str]], value: Any, hint: str) -> str:
    """A choice of one or more: a tick box per option, under one legend."""
    chosen = set(value if isinstance(value, list) else [value] if value else [])
    boxes = "".join(
        f'<div class="field check"><input type="checkbox" id="{fid}-{e(option)}" name="{e(name)}" value="{e(option)}"'
        f'{" checked" if option in chosen else ""}> <label for="{fid}-{e(option)}">{e(text)}</label></div>'
        for option, text in options)
    hint_html = f'<div class="muted" id="{fid}-hint">{e(hint)}</div>' if hint else ""
    return f'<fieldset id="{fid}"><legend>{e(words)}</legend>{hint_html}{boxes}</fieldset>'


def _no_names(hint: str) -> str:
    # Free text travels in Temporal payloads, where personal data must never be in clear.
    return hint if REASONS_HINT in hint else f"{hint} {REASONS_HINT}".strip()


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _members(text: str | None) -> list[dict[str, str]]:
    """ "role, agency" per line; the model says what is wrong with a line that is not."""
    members = []
    for line in _lines(text):
        role, _, agency = line.partition(",")
        members.append({"role": role.strip(), "agency": agency.strip()})
    return members


def _several(value: Any) -> list[str]:
    """The options ticked: a form posts each as its own value (``getlist``)."""
    return [v for v in (value if isinstance(value, list) else [value] if value else []) if v]


_READ: dict[str, Callable[[Any], Any]] = {
    "multi": _several,
    "date": lambda v: v or None,
    "check": lambda v: v == "on",
    "choice": lambda v: v or None,
    "staff": lambda v: (v or "").strip().upper(),
    "lines": _lines,
    "commas": lambda v: [part.strip() for part in (v or "").split(",") if part.strip()],
    "members": _members,
    "paragraph": lambda v: v or "",
    "text": lambda v: (v or "").strip(),
}


def read(model: type[BaseModel], values: Mapping[str, Any], event_id: str) -> dict[str, Any]:
    """The event a submitted form describes, as fields for ``model`` (which checks them).

    ``values`` holds each field's text, or for a choice of several (``multi_fields``) the list ticked.
    """
    fields: dict[str, Any] = {"type": model.model_fields["type"].default, "event_id": event_id}
    for name, info in model.model_fields.items():
        kind = input_kind(info)
        if name in HIDDEN or kind == "none":
            continue
        if kind == "fixed":
            [fields[name]] = typing.get_args(_bare(info.annotation))
            continue
        value = _READ[kind](values.get(name))
        if value == "" and kind in ("text", "staff") and _optional(info):
            value = None  # an optional reference left empty: none given, not an empty one
        if value is not None and _extra(info).get("x-upper"):
            value = [v.upper() for v in value] if isinstance(value, list) else value.upper()
        fields[name] = value
    return fields


def multi_fields(model: type[BaseModel]) -> list[str]:
    """The fields a form posts several values for (read them with ``getlist``)."""
    return [name for name, info in model.model_fields.items() if input_kind(info) == "multi"]
