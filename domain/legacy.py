"""What journeys that began before rules came from profiles applied to every authority.

Some rules used to be written into the code and applied whatever the authority
(who must be invited, who is told of a death, escalating a low grading). They now
live in the profile of the authority whose document states them. A workflow that
began before that change (``workflow.patched("rules-from-profile")`` is false on
replay) runs on its profile *with these filled in*, so its history replays with
the same letters, records and timers; a new run uses its profile alone.
"""

from __future__ import annotations

from domain.policy import Citation, Option, Profile

_DARLINGTON = "000_7f04eaf80fcc0ebe.txt"
_STAFFORDSHIRE = "002_a2ea61cae8fecd8a.txt"


def _was(value: bool | int | str, source: str, section: str, quote: str) -> Option:
    return Option(value=value, citation=Citation(source=source, section=section, quote=quote))


#: The plan's rules the code applied to every authority (domain/plan.py and the event models).
_PLAN: dict[str, Option] = {
    "parents_told_of_lead_social_worker_cover": _was(
        True, _DARLINGTON, "Absence of the Lead Social Worker",
        "Parents and child must be informed of planned absences of the Lead Social Worker, who will be covering "
        "the role and what contacts will be made."),
    "plan_ends_on_move_once_receiving_conference_confirmed": _was(
        True, _STAFFORDSHIRE, "Discontinuing the Child Protection Plan, paragraph 41",
        "Only upon confirmation of this decision can the local child protection plan be discontinued."),
    "plan_end_notifies_agencies_health_education": _was(
        True, _STAFFORDSHIRE, "Following Discontinuing the Child Protection Plan, paragraph 47",
        "All agencies that were represented in the original child protection conference, which led to the plan, "
        "are notified of this change."),
    "child_death_notified_to": _was(
        "senior_child_protection_manager", _DARLINGTON,
        "Death of a Child Subject to a Child Protection Plan – CDOP Procedures",
        "When a child who is subject to a Child Protection Plan dies, from whatever cause, the lead Social Worker "
        "must inform the senior child protection manager, who will notify Darlington Safeguarding Partnership."),
    "practice_review_considered_on_death": _was(
        True, _DARLINGTON, "Death of a Child Subject to a Child Protection Plan – CDOP Procedures",
        "Consideration will need to be given to the need for a Child Safeguarding Practice Review (CSPR)."),
    "no_access_told_to_line_manager": _was(
        True, _DARLINGTON, "Seeing the Child",
        "if the Lead Social Worker has difficulty obtaining direct access to the child at home, the Children's "
        "Social Care line manager must be informed, as well as other Core Group members"),
    "unborn_core_group_before_birth": _was(
        True, _DARLINGTON, "Unborn Child Protection Conference",
        "The Core Group must be established and is expected to meet prior to the birth"),
    "review_never_postponed_past_limit": _was(
        True, _STAFFORDSHIRE, "Process, paragraph 36",
        "child protection reviews cannot be postponed beyond the absolute timescales as identified above."),
    "transfer_out_register_notified": _was(
        True, _STAFFORDSHIRE, "A Child who is Subject to a Child Protection Plan in Staffordshire who moves to "
        "another Local Authority, paragraph 67",
        "Staffordshire's Register Custodian is notified, including individual details about addresses, dates etc"),
    "transfer_out_receiving_authority_contacted": _was(
        True, _STAFFORDSHIRE, "A Child who is Subject to a Child Protection Plan in Staffordshire who moves to "
        "another Local Authority, paragraph 68",
        "Contact is made with the operational counterpart in the other local authority area to discuss the "
        "circumstances of the move"),
}

_BIRMINGHAM = "001_44af8c5cc8068718.txt"
_LOCAL_GUIDE = "004_080d30539bddd87c.txt"

#: The conference's rules with effects (a notice, a record's detail, a timer) the code applied to every
#: authority (domain/conference.py). Refusals it applied need no entry: validators are not replayed.
_CONFERENCE: dict[str, Option] = {
    "exclusion_decided_before_conference": _was(
        True, _DARLINGTON, "Exclusion of Family Members from a Conference",
        "If the chair has decided, prior to the conference, to exclude a parent, this must be communicated to the "
        "parent prior to conference, ideally in writing."),
    "quorum_other_agencies": _was(
        2, _DARLINGTON, "Child Protection Review Conference (CPRC)",
        "Normally, minimum representation is Children's Social Care and at least two other agencies or key "
        "disciplines that have had direct contact with the child and family."),
    "inquorate_proceeding_notified_to": _was(
        "assistant_director", _BIRMINGHAM, "3.12",
        "The chair will notify the Assistant Director/Safeguarding of any conference which proceeded although "
        "inquorate."),
    "early_review_considered_when_inquorate": _was(
        True, _DARLINGTON, "Child Protection Review Conference (CPRC)",
        "In these circumstances, consideration should be given to arranging an early Review Conference."),
    "parents_copy_marked": _was(
        True, _DARLINGTON, "Conference Record",
        "The parents' copy of the conference record should be clearly 'marked ' on all pages that it is a "
        "parent's copy."),
    "low_grading_escalated_at_most": _was(
        2, _LOCAL_GUIDE, "What happens during and after a Child Protection Conference?",
        "The CPC is responsible for escalating to the Service Manager any children whereby the overall grading is "
        "between 0-2."),
    # Old runs opened the amendments deadline when the amendments arrived, not from the record's receipt.
    "legacy_amendments_counted_from_their_arrival": _was(
        True, _DARLINGTON, "Conference Record",
        "Any amendment to accuracy of record should be sent, in writing, within 10 working days of the receipt of "
        "that record to the chair."),
}

#: option key -> the option (value and citation) the code used to apply to every profile.
HARD_CODED: dict[str, Option] = {**_PLAN, **_CONFERENCE}

#: The patch id the workflows check; recorded in every history started after the change.
RULES_FROM_PROFILE_PATCH = "rules-from-profile"


def with_hard_coded_rules(profile: Profile) -> Profile:
    """``profile`` with every formerly hard-coded option it lacks, as old runs applied them."""
    missing = {key: option for key, option in HARD_CODED.items() if key not in profile.options}
    if not missing:
        return profile
    return profile.model_copy(update={"options": {**profile.options, **missing}})
