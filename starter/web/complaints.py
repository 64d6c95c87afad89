"""The admin tool's complaint parts: the ways a complaint or disagreement opens, and what its page
(``complaint.html``, built by ``starter.web.story``) says of how it opened.

Each page that starts or moves one is ``starter.web.event_pages``'s, drawn from the event's model; the
complaint workflow and the authority's procedure (``domain.complaints``) have the last word.
"""

from __future__ import annotations

from urllib.parse import quote

from domain.complaints import ComplaintMade, ComplaintState, DisagreementRaised
from starter.web.labels import readable

#: The two ways a challenge opens, each with its own form on the journey page.
OPENINGS: dict[str, type] = {"complaint_made": ComplaintMade, "disagreement_raised": DisagreementRaised}
OPENING_HEADINGS = {"complaint_made": "Start a complaint", "disagreement_raised": "Start a disagreement"}
#: Fields that hold a reference: what is typed is read in capitals, as references are written.
REFERENCE_FIELDS = ("complaint_ref", "conference_ref", "conference_chair_ref", "chair_ref")
REF_HINT = "The complaints system's number, e.g. CMP-0001. Never a name."


def complaint_href(complaint_ref: str) -> str:
    return f"/complaints/{quote(complaint_ref, safe='')}"


def _choices(model: type, name: str) -> dict[str, str]:
    return model.model_fields[name].json_schema_extra["x-choices"]


def opening_words(state: ComplaintState) -> list[tuple[str, str]]:
    """Who raised it (by role) and what about, in the form's own words."""
    opening = state.opening
    if isinstance(opening, ComplaintMade):
        about = "; ".join(_choices(ComplaintMade, "about")[s.value].lower() for s in opening.about)
        return [("Made by", _choices(ComplaintMade, "complainant")[opening.complainant.value]), ("About", about)]
    raised_by = opening.agency or readable(opening.raised_by)
    return [("Raised by", raised_by.capitalize()),
            ("About", _choices(DisagreementRaised, "about")[opening.about].lower())]
