"""A conference's events as questions (``starter.web.govuk_forms.Question``), and what the model refuses, by question.

The conference's models carry no words of their own (``domain.conference``), so its questions are
written here; ``starter.web.conference.conference_fields`` reads the answers into the model's fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.conference import ConferenceState, ExclusionGround, InquorateReason
from domain.events import Category
from starter.web.conference import _open_tasks, conference_fields
from starter.web.govuk_forms import NO_NAMES_HINT, Question, every_question, in_words, read_answers

YES_NO = (("yes", "Yes"), ("no", "No"))


def _day(name: str, label: str, hint: str, today: str) -> Question:
    return Question(name=name, kind="date", label=label, hint=hint, default=today)


def _tick(name: str, label: str, default: bool = False, hint: str = "") -> Question:
    return Question(name=name, kind="check", label=label, hint=hint, required=False, default="on" if default else None)


def _lines(name: str, label: str, hint: str = "", required: bool = False) -> Question:
    return Question(name=name, kind="lines", label=label, hint=f"{hint} {NO_NAMES_HINT}".strip(), required=required)


def _number(name: str, label: str, hint: str = "", default: str | None = None, required: bool = True) -> Question:
    return Question(name=name, kind="number", label=label, hint=hint, default=default, required=required)


def _decision(i: int, case_ref: str) -> list[Question]:
    """One child's decision: a plan or not (the category asked only with a plan), and the agencies' views."""
    p = f"child-{i}-"
    category = Question(name=p + "category", kind="radios", label=f"Category of the plan for case {case_ref}",
                        options=tuple((c.value, in_words(c.value)) for c in Category))
    return [
        Question(name=p + "plan", kind="yesno", label=f"A child protection plan for case {case_ref}",
                 hint="Whether the conference decided the child needs a plan", reveals={"yes": (category,)}),
        _number(p + "agencies_for_plan", f"Agencies for a plan (case {case_ref})", default="0"),
        _number(p + "agencies_against_plan", f"Agencies against a plan (case {case_ref})", default="0"),
        Question(name=p + "chair_casting_vote", kind="radios", label=f"The chair's casting vote (case {case_ref})",
                 hint="Only if the agencies were evenly split", required=False, default="",
                 options=(("", "Not needed"), ("yes", "For a plan"), ("no", "Against a plan"))),
        _lines(p + "dissent", f"Agencies that disagreed (case {case_ref}): one per line"),
    ]


def conference_questions(kind: str, state: ConferenceState, today: str) -> list[Question]:
    """The questions of a conference event's page, as its stage asks them."""
    if kind == "invitations_sent":
        return [_day("sent_on", "Sent on", "The day the invitations were sent", today),
                _lines("invitees", "Invitees: one role per line",
                       "Add \u201c, interpreter\u201d to a role that needs one, for example: mother, interpreter.",
                       required=True),
                _tick("child_over_8", "The child is over 8"),
                _tick("advocacy_offered", "Advocacy was offered to the child (the \u2018child\u2019 invitee)")]
    if kind == "conference_task_done":
        return [Question(name="task", kind="radios", label="Task", hint="Only tasks with a deadline still open",
                         options=tuple(_open_tasks(state))),
                _day("done_on", "Done on", "The day the task was done", today)]
    if kind == "exclusion_requested":
        return [_day("requested_on", "Requested on", "The day the exclusion was asked for", today),
                Question(name="parent_role", kind="text", label="Parent to exclude (their role)",
                         hint="For example: father. " + NO_NAMES_HINT),
                Question(name="grounds", kind="checkboxes", label="Grounds", hint="Select all that apply",
                         options=tuple((g.value, in_words(g.value)) for g in ExclusionGround))]
    if kind == "exclusion_decided":
        return [_day("decided_on", "Decided on", "The day the chair decided", today),
                _tick("excluded", "The chair excluded the parent"),
                _tick("communicated_in_writing", "The decision was confirmed to the parent in writing")]
    if kind == "split_arranged":
        return [_day("arranged_on", "Arranged on", "The day the split conference was arranged", today),
                _number("gap_minutes", "Minutes between the parts", "At least 30 minutes", default="30")]
    if kind == "conference_held":
        reason = Question(name="inquorate_reason", kind="radios", label="Reason for going on although not quorate",
                          options=tuple((r.value, in_words(r.value)) for r in InquorateReason))
        asked = [_day("held_on", "Held on", "The day the conference was held", today),
                 _tick("childrens_social_care_present", "Children's social care was present", True),
                 _lines("other_agencies_present", "Other agencies present: one per line",
                        "Only agencies with direct contact with the child."),
                 _tick("parents_present", "The parents were present", True),
                 Question(name="inquorate_action", kind="radios", label="Was the conference quorate?",
                          required=False, default="",
                          options=(("", "Yes, it was quorate"), ("proceed", "No: the chair went on"),
                                   ("adjourn", "No: the chair adjourned it")),
                          reveals={"proceed": (reason,)})]
        for i, case_ref in enumerate(state.case_refs):
            asked += _decision(i, case_ref)
        asked.append(_number("grading", "Overall grading (0 to 10, optional)", required=False))
        return asked
    return [_day("received_on", "Received on", "The day the amendments were received", today)]


def conference_answers(kind: str, qs: list[Question], values: Mapping[str, Any], event_id: str,
                       state: ConferenceState) -> tuple[dict[str, Any], dict[str, str]]:
    """The event a conference form describes, as fields for its model, and the answers refused."""
    answers, errors = read_answers(qs, values)
    merged = dict(values)
    for q in every_question(qs):  # dates as ISO; a question not shown (or left empty) as not given
        if q.kind == "checkboxes":  # each option ticked, even when only one was
            merged[q.name] = answers.get(q.name) or []
        elif q.kind == "date" or answers.get(q.name) is None:
            merged[q.name] = answers.get(q.name) or ""
    return conference_fields(kind, merged, event_id, state), errors


def where(loc: tuple) -> tuple[str | None, tuple]:
    """An error's location on the conference's form: one child's decision is that child's questions."""
    if len(loc) >= 2 and loc[0] == "decisions" and isinstance(loc[1], int):
        p = f"child-{loc[1]}-"
        return (p + loc[2], loc[3:]) if len(loc) > 2 else (p + "plan", ())
    if loc and isinstance(loc[0], str):
        return loc[0], loc[1:]
    return None, ()
