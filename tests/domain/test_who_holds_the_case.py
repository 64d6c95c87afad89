"""Who holds a case: the lead social worker named by the chair, and the team, which the caseload filters by."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from domain import plan
from domain.effects import fingerprint
from domain.events import IcpcHeld, LeadSocialWorkerNamed
from domain.state import JourneyState, Stage
from shipped.profiles import load_profile

ICPC_DAY = date(2027, 1, 12)


def on_plan() -> tuple[JourneyState, object]:
    profile = load_profile("darlington")
    state = JourneyState(case_ref="CASE-0001", policy=profile.pin, stage=Stage.AWAITING_ICPC)
    plan.start_plan(state, profile, IcpcHeld(event_id="i", held_on=ICPC_DAY, decision="plan", category="neglect"))
    return state, profile


def named(event_id: str, staff_ref: str, team: str | None = None) -> LeadSocialWorkerNamed:
    return LeadSocialWorkerNamed(event_id=event_id, named_on=ICPC_DAY, staff_ref=staff_ref, team=team)


def test_naming_the_lead_social_worker_with_a_team_says_which_team_holds_the_case() -> None:
    state, profile = on_plan()
    effect = plan.apply(state, profile, named("lsw-1", "SW-1042", "Locality North"))
    assert (state.lead_social_worker, state.team) == ("SW-1042", "Locality North")
    assert effect.summary == "Lead social worker named: SW-1042 (Locality North)"
    assert effect.details == {"staff_ref": "SW-1042", "team": "Locality North"}


def test_a_new_lead_social_worker_named_without_a_team_leaves_the_case_with_its_team() -> None:
    state, profile = on_plan()
    plan.apply(state, profile, named("lsw-1", "SW-1042", "Locality North"))
    effect = plan.apply(state, profile, named("lsw-2", "SW-2077"))
    assert (state.lead_social_worker, state.team) == ("SW-2077", "Locality North")
    assert effect.details == {"staff_ref": "SW-2077"}


def test_an_event_without_a_team_is_the_same_event_it_was_before_teams_were_asked() -> None:
    # Its digest, kept by running journeys, must still match a resend of it.
    event = named("lsw-1", "SW-1042")
    assert "team" not in event.model_dump() and "team" not in event.model_dump_json()
    assert fingerprint(event) == fingerprint(LeadSocialWorkerNamed.model_validate(
        {"type": "lead_social_worker_named", "event_id": "lsw-1", "named_on": "2027-01-12", "staff_ref": "SW-1042"}))
    assert named("lsw-1", "SW-1042", "Locality North").model_dump()["team"] == "Locality North"


@pytest.mark.parametrize("team", ['The "North" team', "North\\South", "North\nSouth", "N"])
def test_a_team_name_the_caseload_could_not_search_by_is_refused(team: str) -> None:
    with pytest.raises(ValidationError):
        named("lsw-1", "SW-1042", team)
