"""Case references that cannot carry identity: the authority's shape, and never a name or a date of birth.

A case reference becomes a workflow id (``cpj-<ref>``), a search attribute and a line in every log,
so it must say nothing about the child. Each profile states the shape its authority's case system
issues (:class:`CaseReferencePattern`: a regular expression, the same in words for staff, and an
example); whatever the shape, a reference that reads like a date of birth (``SMITH-01011985``,
``1985-01-01``, ``010185``) or a personal name (``JSMITH-0042``, ``JANE-SMITH``) is refused, and the
sentence that says so never repeats what was typed.

Checked at the edges, before anything reaches Temporal: the API, the admin tool's forms, the command
line, the import and ``starter.client``. The ``CaseRef`` type inside workflow inputs keeps its
generic shape, so journeys recorded before stay readable.

Pure: the lists of forenames and surnames are data we ship (``shipped/names``), registered here when
``shipped`` is first imported, as the calendars and released profiles are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from functools import cache

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

if TYPE_CHECKING:
    from domain.policy import Profile

#: The generic shape of a case reference (``domain.events.CaseRef`` adds: at least four digits). Here, not
#: in ``domain.events``, because profiles (``domain.policy``, which events depend on) state patterns beside it.
CASE_REF_PATTERN = r"^[A-Z0-9][A-Z0-9-]{3,31}$"
NEVER = "never a name or a date of birth"


class CaseRefRefused(ValueError):
    """A case reference refused at an edge; the message says why in words, never what was typed."""


class CaseReferencePattern(BaseModel):
    """What an authority's case system issues: the expression we check, in words for staff, and an example."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str = Field(min_length=3, description="a regular expression, anchored with ^ and $")
    words: str = Field(min_length=10, description="the same in words, as staff are told it")
    example: str = Field(min_length=4, description="a reference the case system could issue")

    @model_validator(mode="after")
    def _anchored_and_its_example_fits(self) -> CaseReferencePattern:
        if not (self.pattern.startswith("^") and self.pattern.endswith("$")):
            raise ValueError("a case reference pattern is anchored: it starts with ^ and ends with $")
        try:
            compiled = re.compile(self.pattern)
        except re.error as err:
            raise ValueError(f"the case reference pattern is not a regular expression ({err})") from None
        if not compiled.fullmatch(self.example):
            raise ValueError(f"the example {self.example!r} does not fit the case reference pattern")
        return self

    def fits(self, value: str) -> bool:
        return re.fullmatch(self.pattern, value) is not None


#: The shape every case system can meet (``domain.events.CASE_REF_PATTERN``, plus its four digits): the
#: baseline's, and any profile's that does not state its own. Left out of a profile's dump, so profiles
#: released before the field existed read as they did.
GENERIC = CaseReferencePattern(
    pattern=CASE_REF_PATTERN,
    words="4 to 32 capital letters, digits and hyphens, starting with a letter or digit, with at least four digits",
    example="CASE-0042",
)



@cache
def _case_ref() -> TypeAdapter:
    from domain.events import CaseRef  # here: domain.events imports this module

    return TypeAdapter(CaseRef)

# -- Names: registered from shipped/names ---------------------------------------------------------

#: Common UK forenames and surnames, capitals only, as ``shipped.names`` registers them.
FORENAMES: set[str] = set()
SURNAMES: set[str] = set()
#: A name shorter than this is not looked for: two letters (``LI``, ``JO``) are as often an office's code.
SHORTEST_NAME = 3
#: A surname behind one or two initials (``JSMITH``) counts only when it is at least this long.
SHORTEST_BESIDE_INITIALS = 4


class NoNamesRegistered(LookupError):
    pass


def letters_of(name: str) -> str:
    """A name as the check compares it: capitals A-Z only (accents folded, apostrophes and hyphens gone)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z]", "", folded.upper())


def register_names(forenames: Iterable[str], surnames: Iterable[str]) -> None:
    """Add names to look for (``shipped.names`` does, when ``shipped`` is first imported)."""
    FORENAMES.update(n for n in map(letters_of, forenames) if len(n) >= SHORTEST_NAME)
    SURNAMES.update(n for n in map(letters_of, surnames) if len(n) >= SHORTEST_NAME)


def _names() -> set[str]:
    if not FORENAMES or not SURNAMES:
        raise NoNamesRegistered("no names are registered to refuse case references by: import shipped "
                                "(it registers the shipped lists) first")
    return FORENAMES | SURNAMES


def _is_name(token: str, names: set[str]) -> bool:
    """A run of letters that is a name, a surname beside initials, or a forename and a surname run together."""
    if token in names:
        return True
    for initials in (1, 2):
        for rest in (token[initials:], token[:-initials]):
            if len(rest) >= SHORTEST_BESIDE_INITIALS and rest in SURNAMES:
                return True
    return any(token[:cut] in names and token[cut:] in names
               for cut in range(SHORTEST_NAME, len(token) - SHORTEST_NAME + 1))


# -- Dates ------------------------------------------------------------------------------------------

#: Four-digit years a date of birth (a child's, a parent's, a grandparent's) is read in.
YEARS = range(1900, 2100)
#: Day, month and year with separators, either way round: 01-01-1985, 1/1/85, 1985.01.01.
_SEPARATED = re.compile(r"(?=(?<!\d)(\d{1,4})[-/._ ](\d{1,2})[-/._ ](\d{1,4})(?!\d))")


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _two_digit_year(year: int) -> int:
    return 2000 + year if year < 100 else year


def _has_date(value: str) -> bool:
    for first, middle, last in (match.groups() for match in _SEPARATED.finditer(value)):
        if len(first) <= 2 and len(last) in (2, 4):
            year = int(last) if len(last) == 4 else _two_digit_year(int(last))
            if (len(last) == 2 or year in YEARS) and _is_day(year, int(middle), int(first)):
                return True
        if len(first) == 4 and len(last) <= 2 and int(first) in YEARS and _is_day(int(first), int(middle), int(last)):
            return True
    for run in re.findall(r"\d+", value):
        # Eight digits (DDMMYYYY or YYYYMMDD), alone or at either end of a longer number; six (DDMMYY) alone.
        eights = {run[:8], run[-8:]} if len(run) >= 8 else set()
        for eight in eights:
            if int(eight[4:]) in YEARS and _is_day(int(eight[4:]), int(eight[2:4]), int(eight[:2])):
                return True
            if int(eight[:4]) in YEARS and _is_day(int(eight[:4]), int(eight[4:6]), int(eight[6:])):
                return True
        if len(run) == 6 and _is_day(_two_digit_year(int(run[4:])), int(run[2:4]), int(run[:2])):
            return True
    return False


# -- The check --------------------------------------------------------------------------------------


def identity_refusal(value: str) -> str | None:
    """Why ``value`` may be a person rather than a case (a date of birth, a name, a space), or None.

    The reason is in words and never repeats ``value``.
    """
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().upper()
    if _has_date(folded):
        return f"the case reference looks like a date of birth: a case reference is the case system's number, {NEVER}"
    names = _names()
    tokens = re.findall(r"[A-Z]+", re.sub(r"['’`]", "", folded))
    if any(_is_name(token, names) for token in tokens) or (tokens and not re.search(r"\d", folded)):
        return f"the case reference looks like a name: a case reference is the case system's number, {NEVER}"
    if re.search(r"\s", value):
        return "the case reference has a space in it: a case system writes its numbers without spaces"
    return None


def shape_refusal(authority: str, pattern: CaseReferencePattern) -> str:
    whose = f"{authority}'s case system" if authority else "the case system"
    return f"the case reference is not one {whose} issues: {pattern.words}, for example {pattern.example}"


def pattern_of(profile: Profile | None) -> CaseReferencePattern:
    return profile.case_reference if profile is not None else GENERIC


def check(value: str, profile: Profile | None = None) -> str:
    """``value`` as a case reference a journey may start under ``profile`` (any authority's, if None).

    Refused (:class:`CaseRefRefused`, the reason in words) if it looks like a name or a date of birth,
    is not of the generic shape every journey's reference has, or not of the profile's own shape.
    """
    refusal = identity_refusal(value)
    if refusal:
        raise CaseRefRefused(refusal)
    authority = profile.authority if profile is not None else ""
    try:
        _case_ref().validate_python(value)
    except ValidationError:
        raise CaseRefRefused(shape_refusal(authority, GENERIC)) from None
    pattern = pattern_of(profile)
    if not pattern.fits(value):
        raise CaseRefRefused(shape_refusal(authority, pattern))
    return value
