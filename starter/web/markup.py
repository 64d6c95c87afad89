"""Small HTML helpers for the admin tool: escaping, the page shell and its CSS, alerts and form controls."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from fastapi.responses import HTMLResponse

from starter.web.identity import CSRF_FIELD, CURRENT_CSRF, CURRENT_STAFF_REF


def e(value: Any) -> str:
    """HTML-escape anything shown to a user (dates are ISO through ``str``)."""
    return html.escape("" if value is None else str(value), quote=True)


CSS = """
:root { color-scheme: light; --ink:#1b1b1b; --muted:#505a5f; --line:#b1b4b6; --red:#b10e1e; --link:#1d4f91; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Arial, sans-serif; color: var(--ink); margin: 0; }
header { background: #0b0c0c; color: #fff; padding: .6rem 1.5rem; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
header { display: flex; justify-content: space-between; align-items: center; gap: 1rem; }
form.signout { margin: 0; } form.signout button { padding: .1rem .6rem; margin-left: .5rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.8rem; margin: .5rem 0 1rem; } h2 { font-size: 1.3rem; margin-top: 2rem; }
a { color: var(--link); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f3f2f1; }
.overdue { color: var(--red); font-weight: 700; }
.date { white-space: nowrap; }
.alert { border: 3px solid var(--red); color: var(--red); padding: .6rem 1rem; margin: 1rem 0; font-weight: 600; }
.notice { border-left: 6px solid #00703c; background: #f3f2f1; padding: .6rem 1rem; margin: 1rem 0; }
.muted { color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.2rem; margin: 0; }
dt { font-weight: 600; } dd { margin: 0; }
form.event, form.start { border: 1px solid var(--line); padding: .8rem 1rem 1rem; margin: 1rem 0; max-width: 40rem; }
form.event h3, form.event h4, form.start h3 { margin: 0 0 .6rem; font-size: 1.1rem; }
h3.group { font-size: 1.2rem; margin: 1.5rem 0 0; border-bottom: 2px solid var(--ink); }
dd.missing { color: var(--red); font-weight: 700; }
.field { margin: .6rem 0; }
.field label { display: block; font-weight: 600; }
.field.check label { display: inline; font-weight: 400; }
input[type=text], input[type=password], input[type=date], select, textarea { font: inherit; padding: .3rem .4rem; border: 2px solid var(--ink); min-width: 16rem; }
textarea { width: 100%; min-height: 4rem; }
button { font: inherit; font-weight: 600; padding: .4rem 1rem; background: #00703c; color: #fff; border: 0; cursor: pointer; }
:focus-visible { outline: 3px solid #fd0; outline-offset: 0; }
.forms { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 0 1.5rem; }
"""


_POST_FORM = re.compile(r"""(<form\b[^>]*\bmethod=["']?post["']?[^>]*>)""", re.IGNORECASE)


def with_csrf(body: str) -> str:
    """Every POST form on the page carries the session's CSRF token (``starter.web.identity`` checks it)."""
    token = CURRENT_CSRF.get()
    if not token:
        return body
    hidden = f'<input type="hidden" name="{CSRF_FIELD}" value="{e(token)}">'
    return _POST_FORM.sub(lambda found: found.group(1) + hidden, body)


def _signed_in_as() -> str:
    ref = CURRENT_STAFF_REF.get()
    if not ref:
        return ""
    return (f'<form class="signout" method="post" action="/sign-out"><span>Signed in as {e(ref)}</span> '
            '<button type="submit">Sign out</button></form>')


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    body = with_csrf(body)
    signed_in_as = with_csrf(_signed_in_as())
    doc = f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} · cp-journeys</title>
<style>{CSS}</style>
</head>
<body>
<header><a href="/">cp-journeys · child protection journeys</a>{signed_in_as}</header>
<main>
{body}
</main>
</body>
</html>"""
    return HTMLResponse(doc, status_code=status_code)


def alert(message: str | None, extra_html: str = "") -> str:
    if not message:
        return ""
    return f'<div class="alert" role="alert"><p>{e(message)}</p>{extra_html}</div>'


def field(name: str, label: str, control: str, hint: str = "") -> str:
    hint_html = f'<div class="muted" id="{name}-hint">{e(hint)}</div>' if hint else ""
    return f'<div class="field"><label for="{name}">{e(label)}</label>{hint_html}{control}</div>'


REASONS_HINT = "No names, dates of birth or addresses: refer to people by role (mother, school nurse)."


def reasons_field(id_: str, label: str, value: Any) -> str:
    # Reasons travel in Temporal payloads, where personal data must never be in clear.
    textarea = (f'<textarea id="{id_}" name="reasons" required minlength="10" maxlength="2000" '
                f'aria-describedby="{id_}-hint">{e(value)}</textarea>')
    return field(id_, label, textarea, hint=REASONS_HINT)


def date_input(id_: str, name: str, value: Any, required: bool = True) -> str:
    req = " required" if required else ""
    return f'<input type="date" id="{id_}" name="{name}" value="{e(value)}"{req}>'


def select(id_: str, name: str, options: Iterable[tuple[str, str]], chosen: Any) -> str:
    opts = "".join(
        f'<option value="{e(value)}"{" selected" if str(value) == str(chosen) else ""}>{e(text)}</option>'
        for value, text in options
    )
    return f'<select id="{id_}" name="{name}">{opts}</select>'


def text_input(id_: str, name: str, value: Any, required: bool = True, hint: bool = False, extra: str = "") -> str:
    req = " required" if required else ""
    described = f' aria-describedby="{id_}-hint"' if hint else ""
    return (f'<input type="text" id="{id_}" name="{name}" value="{e(value)}" autocomplete="off" '
            f'spellcheck="false"{described}{req}{extra}>')


def textarea(id_: str, name: str, value: Any, required: bool = False) -> str:
    """A free-text box; every one carries :data:`REASONS_HINT` (the caller passes it to :func:`field`)."""
    req = " required" if required else ""
    return f'<textarea id="{id_}" name="{name}" aria-describedby="{id_}-hint"{req}>{e(value)}</textarea>'


def staff_ref_input(id_: str, name: str, value: Any) -> str:
    return text_input(id_, name, value, hint=True, extra=' pattern="[A-Z]{1,4}-?[0-9]{3,10}"')


STAFF_REF_HINT = "The staff number, e.g. SW-1042. Never a name."


def checkbox(id_: str, name: str, label: str, checked: bool) -> str:
    return (
        f'<div class="field check"><input type="checkbox" id="{id_}" name="{name}" value="on"'
        f'{" checked" if checked else ""}> <label for="{id_}">{e(label)}</label></div>'
    )
