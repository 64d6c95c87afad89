"""A case's story as the records database tells it: everything recorded, newest first, in words.

The journey, its conferences and its complaints write one ``journey_record`` row per effect (what
happened, on which day, its details) and one ``notification`` row per letter; this module reads
them back for the admin tool. It reads the records database, never Temporal's history: the records
are what the service keeps, and reading them needs no worker and no decryption.

A record's details are the event's own fields and what the journey made of them; each is shown with
the title the event's model gives it, and its value in words (a choice by the form's words, a day
as "9 December 2026", yes or no), never as a stored value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Literal, get_args, get_origin

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.db import JourneyRecord, NotificationLog
from domain.complaints import COMPLAINT_EVENT_TYPES, ComplaintMade, DisagreementRaised
from domain.conference import (
    AmendmentsReceived,
    ConferenceHeld,
    ConferenceTaskDone,
    ExclusionDecided,
    ExclusionRequested,
    InvitationsSent,
    SplitArranged,
)
from domain.deadlines import KINDS, LONDON
from domain.events import EVENT_TYPES, TransferIn
from domain.state import IcpcToBeHeld
from starter.web.labels import (
    CHALLENGE_KIND_LABELS, COMPLAINT_STAGE_LABELS, PROCESS_LABELS, day_words, days_in_words, readable, words,
)

#: Every event a case's records can name, by its type: journey, conference and complaint events alike.
MODELS: dict[str, type] = {
    **EVENT_TYPES,
    **{model.model_fields["type"].default: model for model in (
        TransferIn, IcpcToBeHeld, ComplaintMade, DisagreementRaised, InvitationsSent, ConferenceTaskDone,
        ExclusionRequested, ExclusionDecided, SplitArranged, ConferenceHeld, AmendmentsReceived)},
    **COMPLAINT_EVENT_TYPES,
}

#: Records that are not an event someone recorded: what the service itself did or could not do.
SERVICE_RECORDS = {
    "notification_undelivered": "Letter not delivered",
    "feed_event_refused": "Report from another service refused",
    "effect_failed": "Not done",
    "conference_decision_refused": "Conference decision not applied",
    "challenge_decided": "Complaint or disagreement decided",
    "calendar_updated": "Bank holidays updated",
    "conference_held_not_applied": "Conference not applied to the complaint",
}
#: Records that say something went wrong: shown as a warning on the timeline.
WARNINGS = {"notification_undelivered", "feed_event_refused", "effect_failed", "conference_decision_refused",
            "conference_held_not_applied"}

#: Details the journey adds to an event's own fields, in words.
DETAIL_WORDS = {
    "late": "Done late",
    "next_meeting_after": "The next meeting is after the date the core group was due",
    "after_limit": "Booked after the review limit of",
    "statutory_due": "The conference was due by",
    "review_number": "Review number",
    "from_category": "Category before",
    "cause": "Why it could not be delivered",
    "reason": "Why",
    "consider_practice_review": "Consider a practice review",
    "chair_told_by": "The chair is to be told by",
    "follow_up": "Follow-up",
    "conference_ref": "Conference",
    "complaint_ref": "Complaint or disagreement",
    "case_refs": "Children (case references)",
    "chair": "Chair's staff number",
    "siblings": "Brothers and sisters (case references)",
    "effect": "What could not be done",
    "type": "What was reported",
    "due": "Was due by",
    "not_chaired_by": "Not to be chaired by",
    "challenge": "Kind",
    "stage": "Where it stands after this",
    "process": "Procedure",
}
#: Details a complaint's records carry as stored values, each read in the words staff use for it.
DETAIL_VALUES = {"challenge": CHALLENGE_KIND_LABELS, "stage": COMPLAINT_STAGE_LABELS, "process": PROCESS_LABELS}
#: Details nobody reads on a timeline: the policy is on the page already, who recorded it has its own line.
HIDDEN_DETAILS = {"policy", "recorded_by"}
EFFECT_WORDS = {"record": "writing the record", "notice": "sending a letter", "signal": "telling another workflow",
                "start_child": "starting a conference"}
_ENUM_VALUE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
_ONE_WORD = re.compile(r"^[a-z0-9]+$")
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: Details the journey adds that hold a stored value (a category, a kind), shown in words.
CHOICE_DETAILS = {"from_category", "category", "follow_up", "outcome", "kind", "brought_forward_because"}


@dataclass(frozen=True)
class Letter:
    """A letter the case's workflows sent (or tried to): to a role, never a name."""

    reference: str
    to: str
    subject: str
    #: "Sent", "Being sent" or "Not delivered".
    status: str
    sent_on: date | None = None
    #: Why it could not be delivered, where it could not.
    why_not: str | None = None

    @property
    def undelivered(self) -> bool:
        return self.status == "Not delivered"


@dataclass(frozen=True)
class Happening:
    """One thing on the timeline: what happened, when, its details in words, who recorded it, its letters."""

    occurred_on: date | None
    kind: str
    title: str
    sentence: str
    details: tuple[tuple[str, str | tuple[str, ...]], ...] = ()
    recorded_by: str | None = None
    letters: tuple[Letter, ...] = ()
    warning: bool = False
    workflow_id: str = ""
    #: For ordering events of one day: the order they were written in.
    order: float = 0.0

    @property
    def day(self) -> str:
        return day_words(self.occurred_on) if self.occurred_on else "Date not known yet"


@dataclass
class Story:
    """A case's timeline, newest first, and every letter in it."""

    happenings: list[Happening] = field(default_factory=list)
    #: False when the records database could not be read just now (the page says so instead of "nothing").
    read: bool = True

    @property
    def letters(self) -> list[Letter]:
        return [letter for happening in self.happenings for letter in happening.letters]

    @property
    def undelivered(self) -> list[Letter]:
        return [letter for letter in self.letters if letter.undelivered]


def read_story(engine: Engine, case_ref: str, workflow_ids: Iterable[str] | None = None) -> Story:
    """Everything recorded about ``case_ref`` (only ``workflow_ids``' records and letters, if given), newest first."""
    wanted = set(workflow_ids) if workflow_ids is not None else None
    with Session(engine) as session:
        records = session.exec(select(JourneyRecord).where(JourneyRecord.case_ref == case_ref)).all()
        letters = session.exec(select(NotificationLog).where(NotificationLog.case_ref == case_ref)).all()
    if wanted is not None:
        records = [row for row in records if row.workflow_id in wanted]
        letters = [row for row in letters if row.workflow_id in wanted]
    return story_of(records, letters)


def story_of(records: Iterable[JourneyRecord], letters: Iterable[NotificationLog]) -> Story:
    """The timeline the rows tell: each letter beside the record of what it was about."""
    records = sorted(records, key=lambda row: row.written_at)
    undelivered = {row.key.removesuffix("/notification_undelivered"): row for row in records
                   if row.kind == "notification_undelivered"}
    # A letter's reference and its record's key share the workflow, run and event: ".../<event id>/<what>".
    by_event: dict[str, list[Letter]] = {}
    loose: list[Letter] = []
    for row in letters:
        letter = _letter(row, undelivered.get(row.reference))
        by_event.setdefault(_event_part(row.reference), []).append(letter)
    shown_letters: set[str] = set()
    happenings: list[Happening] = []
    seen_events: set[tuple[str, str]] = set()
    for order, row in enumerate(records):
        if row.kind == "notification_undelivered" and _letter_known(row, letters):
            continue  # shown on its letter, beside what it was about
        event = (_event_part(row.key).rsplit("/", 1)[-1], row.kind)
        if event in seen_events:
            continue  # a booking recorded by the journey and again by the conference it started
        seen_events.add(event)
        own = () if row.kind == "notification_undelivered" else tuple(by_event.get(_event_part(row.key), ()))
        shown_letters.update(letter.reference for letter in own)
        happenings.append(_happening(row, own, order))
    for references in by_event.values():
        loose.extend(letter for letter in references if letter.reference not in shown_letters)
    for letter in loose:  # a reminder: a letter with no record of its own
        happenings.append(Happening(
            occurred_on=letter.sent_on, kind="letter", title=f"Letter to the {letter.to}", sentence=letter.subject,
            letters=(letter,), warning=letter.undelivered, order=float("inf") if letter.sent_on is None else -1))
    happenings.sort(key=lambda h: (h.occurred_on or date.max, h.order), reverse=True)
    return Story(happenings)


def _event_part(key: str) -> str:
    """A record's key or a letter's reference without its last part: the workflow, run and event it belongs to."""
    return key.rsplit("/", 1)[0]


def _letter_known(row: JourneyRecord, letters: Iterable[NotificationLog]) -> bool:
    reference = row.key.removesuffix("/notification_undelivered")
    return any(letter.reference == reference for letter in letters)


def _letter(row: NotificationLog, undelivered: JourneyRecord | None) -> Letter:
    sent_on = row.sent_at.astimezone(LONDON).date() if row.sent_at else None
    if row.status == "sent":
        status, why = "Sent", None
    elif undelivered is not None:
        status, why = "Not delivered", readable((undelivered.details or {}).get("cause") or "") or None
        sent_on = undelivered.occurred_on
    else:
        status, why = "Being sent", None
    return Letter(reference=row.reference, to=readable(row.recipient_role), subject=days_in_words(row.subject),
                  status=status, sent_on=sent_on, why_not=why)


def title_of(kind: str) -> str:
    """What a record is, in words: the event's title, or what the service did."""
    if kind in MODELS:
        return MODELS[kind].title
    if kind in SERVICE_RECORDS:
        return SERVICE_RECORDS[kind]
    overdue = kind.removesuffix("_overdue")
    if overdue != kind and overdue in KINDS:
        return f"{KINDS[overdue].label}: overdue"
    return readable(kind).capitalize()


def _happening(row: JourneyRecord, letters: tuple[Letter, ...], order: int) -> Happening:
    details = dict(row.details or {})
    return Happening(
        occurred_on=row.occurred_on, kind=row.kind, title=title_of(row.kind),
        sentence=days_in_words(row.summary.replace("_", " ")),
        details=tuple(detail for name, value in details.items() if (detail := _detail(row.kind, name, value))),
        recorded_by=details.get("recorded_by"), letters=letters,
        warning=row.kind in WARNINGS or row.kind.endswith("_overdue"), workflow_id=row.workflow_id, order=order,
    )


def _detail(kind: str, name: str, value: Any) -> tuple[str, str | tuple[str, ...]] | None:
    """One detail as a line people read, or None for one that says nothing (empty, or not for people)."""
    if name in HIDDEN_DETAILS or value is None or value == [] or value == "":
        return None
    model = MODELS.get(kind)
    info = model.model_fields.get(name) if model is not None else None
    if info is None and (value is False or name == "late" and not value):
        return None  # "not late", "no practice review": only what did happen is worth a line
    label = (info.title if info is not None and info.title else None) or DETAIL_WORDS.get(name) \
        or readable(name).capitalize()
    choices = ((info.json_schema_extra or {}).get("x-choices") if info is not None
               and isinstance(info.json_schema_extra, dict) else None) or {}
    if info is None and name in DETAIL_VALUES:
        return label, words(DETAIL_VALUES[name], value)
    choice = name in CHOICE_DETAILS or (info is not None and _is_choice(info.annotation))
    if isinstance(value, list):
        return label, tuple(_value(name, item, choices, choice) for item in value)
    return label, _value(name, value, choices, choice)


def _is_choice(annotation: Any) -> bool:
    """Whether a field holds one of a set of values (an enum or a literal), perhaps optional or in a list."""
    if get_origin(annotation) is Literal:
        return True
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return True
    return any(_is_choice(arg) for arg in get_args(annotation))


def _value(name: str, value: Any, choices: dict, choice: bool = False) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        if set(value) >= {"role", "agency"}:
            return f"{value['role']}, {value['agency']}"
        if "case_ref" in value and "plan" in value:
            category = f" ({readable(value.get('category'))})" if value.get("category") else ""
            return f"{value['case_ref']}: {'a plan' + category if value['plan'] else 'no plan'}"
        return "; ".join(f"{readable(k)}: {_value(k, v, {})}" for k, v in value.items() if v not in (None, [], ""))
    text = str(value)
    if text in choices:
        return choices[text]
    if name == "task" and text in KINDS:
        return KINDS[text].label
    if name == "type" and text in MODELS:
        return MODELS[text].title
    if name == "effect" and text in EFFECT_WORDS:
        return EFFECT_WORDS[text]
    if _ISO_DAY.match(text):
        return day_words(text)
    if _ENUM_VALUE.match(text) or (choice and _ONE_WORD.match(text)):
        return readable(text).capitalize()
    return days_in_words(text)
