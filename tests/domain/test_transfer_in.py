"""A child moving in on another authority's plan: what its receiving-in conference is counted from."""

from __future__ import annotations

from datetime import date

import pytest

from domain import icpc
from domain.events import TransferIn
from domain.plan import InvalidEvent
from domain.state import JourneyState, Stage
from shipped.profiles import load_profile


def moving_in(agreed_on: date, moved_on: date | None = None) -> TransferIn:
    return TransferIn(event_id="t-1", agreed_on=agreed_on, moved_on=moved_on,
                      originating_authority="Durham County Council", category="neglect")


def opened(policy: str, event: TransferIn) -> JourneyState:
    profile = load_profile(policy)
    icpc.check_opening(profile, event)
    state = JourneyState(case_ref="CASE-0001", policy=profile.pin, stage=Stage.AWAITING_SECTION_47)
    icpc.opening(state, profile, event)
    return state


def test_staffordshire_counts_the_receiving_in_conference_from_the_childs_move() -> None:
    # Staffordshire Part 6, 63: "within 15 working days of the child's move to Staffordshire".
    # Moved Thu 17 Dec 2026: 15 working days over Christmas and New Year is Tue 12 Jan 2027.
    state = opened("staffordshire", moving_in(agreed_on=date(2026, 12, 10), moved_on=date(2026, 12, 17)))
    assert state.deadline("icpc").due == date(2027, 1, 12)
    assert "Staffordshire procedures (Part 6)" in state.deadline("icpc").reason


def test_staffordshire_needs_the_day_of_the_move() -> None:
    with pytest.raises(InvalidEvent, match=r"moved on.*Staffordshire procedures \(Part 6\).*paragraph 63"):
        opened("staffordshire", moving_in(agreed_on=date(2026, 12, 10)))


def test_darlington_counts_from_the_authorities_agreement_even_when_the_move_is_given() -> None:
    # Darlington: "within 15 working days of the agreement between the two authorities".
    state = opened("darlington", moving_in(agreed_on=date(2026, 12, 17), moved_on=date(2026, 12, 24)))
    assert state.deadline("icpc").due == date(2027, 1, 12)
