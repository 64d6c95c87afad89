"""Every event describes itself: its title, its date, its form, its help and its API example come
from its model alone, so a new event type touches its model and its rule and nothing else."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

import pytest
from markupsafe import escape
from pydantic import TypeAdapter

from domain.events import EVENT_TYPES, FEED_EVENTS, JourneyEvent, _Event
from domain.state import Stage
from starter.web.api import EVENT_EXAMPLES, FEED_EXAMPLES
from starter.web.forms import EVENTS_AT_STAGE, PLAN_HEADINGS
from starter.web.govuk_forms import event_answers, every_question, input_kind, questions, render_fields, widgets
from starter.web.labels import EVENT_LABELS

EVENTS = TypeAdapter(JourneyEvent)
KINDS = sorted(EVENT_TYPES)
TODAY = "2026-11-25"


def as_typed(model, event) -> dict[str, object]:
    """What a member of staff would type into the event's page to record ``event``."""
    values: dict[str, object] = {}
    for q in every_question(questions(model, TODAY)):
        value = getattr(event, q.name)
        if value is None or (q.kind == "check" and not value):
            continue
        if q.kind == "date":
            values.update({f"{q.name}-day": str(value.day), f"{q.name}-month": str(value.month),
                           f"{q.name}-year": str(value.year)})
        elif q.kind == "check":
            values[q.name] = "on"
        elif q.kind == "members":
            values[q.name] = "\n".join(f"{m.role}, {m.agency}" for m in value)
        elif q.kind == "commas":
            values[q.name] = ", ".join(value)
        elif q.kind == "lines":
            values[q.name] = "\n".join(value)
        elif q.kind == "checkboxes":
            values[q.name] = [str(getattr(v, "value", v)) for v in value]
        else:
            values[q.name] = str(getattr(value, "value", value))
    return values


def page_of(model) -> str:
    """The event's questions as its page draws them (GOV.UK macros), with nothing typed yet."""
    return str(render_fields(widgets(questions(model, TODAY), {}, {})))


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
def test_each_field_has_help_and_the_page_asks_for_it_by_its_label(kind: str) -> None:
    model = EVENT_TYPES[kind]
    html = page_of(model)
    for q in every_question(questions(model, TODAY)):
        info = model.model_fields[q.name]
        assert info.title and info.description, f"{kind}.{q.name} needs a title and help"
        assert f'name="{q.name}-day"' in html if q.kind == "date" else f'name="{q.name}"' in html
        assert escape(q.label) in html and escape(info.description) in html


@pytest.mark.parametrize("kind", KINDS)
def test_the_example_typed_into_its_page_is_read_back_as_the_same_event(kind: str) -> None:
    model = EVENT_TYPES[kind]
    example = model.model_validate(model.example())

    fields, refused = event_answers(model, questions(model, TODAY), as_typed(model, example), example.event_id)
    again = EVENTS.validate_python(fields)

    assert refused == {}
    asked = {name for name, info in model.model_fields.items() if input_kind(info) != "none"}
    assert again.model_dump(include=asked) == example.model_dump(include=asked)


def test_choices_are_offered_in_words_never_as_their_stored_values() -> None:
    html = page_of(EVENT_TYPES["review_held"])
    assert 'value="change_category"' in html and "The plan continues under another category" in html
    assert 'value="emotional_abuse">' in html and "Emotional abuse" in html
    assert "emotional_abuse<" not in html and "change_category<" not in html
    assert "Left the UK" in page_of(EVENT_TYPES["plan_ended"])


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
    html = page_of(LetterSent)
    assert 'class="govuk-date-input"' in html and 'type="checkbox"' in html
    fields, refused = event_answers(LetterSent, questions(LetterSent, TODAY), {
        "sent_on-day": "20", "sent_on-month": "11", "sent_on-year": "2026", "by_post": "on"}, "l-1")
    assert refused == {} and LetterSent.model_validate(fields).day == date(2026, 11, 20)


def test_the_plan_page_offers_every_plan_event_under_its_own_heading() -> None:
    """Which events the admin tool offers where comes from each model's ``offered_at`` and ``group``."""
    offered = {kind for kind, model in EVENT_TYPES.items() if Stage.ON_PLAN in model.offered_at}
    assert set(EVENTS_AT_STAGE[Stage.ON_PLAN]) == offered
    for kind in offered:
        assert EVENT_TYPES[kind].group in PLAN_HEADINGS, f"{kind} names a heading the plan page does not have"
    assert EVENTS_AT_STAGE[Stage.AWAITING_ICPC] == ("strategy_discussion", "icpc_delay_agreed", "icpc_held",
                                                    "conference_not_required")
    assert EVENTS_AT_STAGE[Stage.CLOSED] == ()
