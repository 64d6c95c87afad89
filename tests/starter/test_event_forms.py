"""Every event describes itself: its title, its date, its form, its help and its API example come
from its model alone, so a new event type touches its model and its rule and nothing else."""

from __future__ import annotations

from datetime import date
from html import escape as html_escape
from typing import ClassVar, Literal

import pytest
from pydantic import TypeAdapter

from domain.events import EVENT_TYPES, FEED_EVENTS, JourneyEvent, _Event
from starter.web.api import EVENT_EXAMPLES, FEED_EXAMPLES
from starter.web.event_fields import event_fields
from domain.state import Stage
from starter.web.forms import EVENTS_AT_STAGE, PLAN_HEADINGS, event_form
from starter.web.labels import EVENT_LABELS
from starter.web.model_forms import form_fields, input_kind, label, read, render

EVENTS = TypeAdapter(JourneyEvent)
KINDS = sorted(EVENT_TYPES)


def as_typed(model, event) -> dict[str, str]:
    """What a member of staff would type into the event's form to record ``event``."""
    values: dict[str, str] = {}
    for name, info in form_fields(model):
        value = getattr(event, name)
        kind = input_kind(info)
        if value is None or (kind == "check" and not value):
            continue
        if kind == "check":
            values[name] = "on"
        elif kind == "members":
            values[name] = "\n".join(f"{m.role}, {m.agency}" for m in value)
        elif kind == "commas":
            values[name] = ", ".join(value)
        elif kind == "lines":
            values[name] = "\n".join(value)
        else:
            values[name] = str(getattr(value, "value", value))
    return values


@pytest.mark.parametrize("kind", KINDS)
def test_each_event_has_a_title_a_date_and_an_example_of_its_own(kind: str) -> None:
    model = EVENT_TYPES[kind]
    assert model.__dict__.get("title"), f"{kind} has no title in staff's words"
    assert "_" not in model.title and model.action
    assert EVENT_LABELS[kind] == model.title

    example = EVENTS.validate_python(model.example())
    assert type(example) is model
    assert isinstance(example.day, date) and example.day == getattr(example, model.date_field)
    assert EVENT_EXAMPLES[kind]["value"] == model.example()


@pytest.mark.parametrize("kind", KINDS)
def test_each_field_has_help_and_the_form_asks_for_it_by_its_label(kind: str) -> None:
    model = EVENT_TYPES[kind]
    html = render(model, {}, "2026-11-25", kind)
    for name, info in form_fields(model):
        assert info.title and info.description, f"{kind}.{name} needs a title and help"
        assert f'name="{name}"' in html
        assert html_escape(label(info, name)) in html and html_escape(info.description) in html


@pytest.mark.parametrize("kind", KINDS)
def test_the_example_typed_into_its_form_is_read_back_as_the_same_event(kind: str) -> None:
    model = EVENT_TYPES[kind]
    example = model.model_validate(model.example())

    typed = as_typed(model, example)
    again = EVENTS.validate_python(event_fields(kind, typed, example.event_id))

    asked = {name for name, info in model.model_fields.items() if input_kind(info) != "none"}
    assert again.model_dump(include=asked) == example.model_dump(include=asked)


def test_choices_are_offered_in_words_never_as_their_stored_values() -> None:
    html = event_form("review_held", {}, "2026-11-25", "/journeys/CASE-0001/events")
    assert '<option value="change_category">The plan continues under another category</option>' in html
    assert '<option value="emotional_abuse">Emotional abuse</option>' in html
    assert ">emotional_abuse<" not in html and ">change_category<" not in html


def test_feeds_have_their_examples_too() -> None:
    assert set(FEED_EXAMPLES) == {model.model_fields["type"].default for model in FEED_EVENTS}


def test_a_new_event_needs_nothing_but_its_model() -> None:
    # A made-up event: nothing in the web modules names it, yet it has a form and is read back.
    class LetterSent(_Event):
        """A letter to the family about the plan."""

        title: ClassVar[str] = "Letter sent to the family"
        type: Literal["letter_sent"] = "letter_sent"
        sent_on: date
        by_post: bool = False

    assert LetterSent.date_field == "sent_on"
    html = render(LetterSent, {}, "2026-11-25", "letter_sent")
    assert 'type="date"' in html and 'type="checkbox"' in html
    fields = read(LetterSent, {"sent_on": "2026-11-20", "by_post": "on"}, "l-1")
    assert LetterSent.model_validate(fields).day == date(2026, 11, 20)


def test_the_plan_page_offers_every_plan_event_under_its_own_heading() -> None:
    """Which events the admin tool offers where comes from each model's ``offered_at`` and ``group``."""
    offered = {kind for kind, model in EVENT_TYPES.items() if Stage.ON_PLAN in model.offered_at}
    assert set(EVENTS_AT_STAGE[Stage.ON_PLAN]) == offered
    for kind in offered:
        assert EVENT_TYPES[kind].group in PLAN_HEADINGS, f"{kind} names a heading the plan page does not have"
    assert EVENTS_AT_STAGE[Stage.AWAITING_ICPC] == ("strategy_discussion", "icpc_delay_agreed", "icpc_held",
                                                    "conference_not_required")
    assert EVENTS_AT_STAGE[Stage.CLOSED] == ()
