"""The register's rules (seed 002, 57-61) on their own: the NHS number's check digit, the UPRN, who is told."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.register import (
    DESIGNATED_MANAGER, EarlierEnquiry, InvalidIdentity, KnownCase, Outcome, Profession, decide, nhs_number, uprn,
)


def test_an_nhs_number_is_checked_by_its_modulus_11_check_digit() -> None:
    assert nhs_number("943 476 5919") == "9434765919"
    with pytest.raises(InvalidIdentity, match="check digit"):
        nhs_number("943 476 5918")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_nine_digits_have_at_most_one_check_digit(prefix: str) -> None:
    valid = []
    for digit in "0123456789":
        try:
            valid.append(nhs_number(prefix + digit))
        except InvalidIdentity:
            pass
    assert len(valid) <= 1


@pytest.mark.parametrize("text", ["", "0", "0000", "1234567890123", "12 Acacia Avenue", "١٢٣"])
def test_a_uprn_is_one_to_twelve_plain_digits(text: str) -> None:
    with pytest.raises(InvalidIdentity):
        uprn(text)


def test_a_uprn_is_kept_without_leading_zeros() -> None:
    assert uprn("100023336956") == "100023336956"
    assert uprn("0042") == "42"


def test_a_child_on_a_plan_is_answered_before_an_older_open_case_and_its_key_worker_is_told() -> None:
    child = [KnownCase("CASE-0001", "awaiting_icpc"), KnownCase("CASE-0002", "on_plan", "SW-1", "neglect")]

    found = decide(child, [], [])

    assert (found.outcome, found.case_ref, found.key_worker) == (Outcome.ON_PLAN, "CASE-0002", "SW-1")
    assert [(tell.role, tell.staff_ref) for tell in found.told] == [("lead_social_worker", "SW-1")]


def test_a_closed_case_is_not_known_and_a_second_enquiry_goes_to_the_designated_manager() -> None:
    closed = [KnownCase("CASE-0001", "closed", "SW-1")]
    earlier = [EarlierEnquiry("e-1", date(2026, 11, 2), Profession.DENTIST)]

    assert decide(closed, [], []).outcome is Outcome.NOT_KNOWN
    again = decide(closed, [], earlier)
    assert again.outcome is Outcome.NOT_KNOWN_AGAIN and [tell.role for tell in again.told] == [DESIGNATED_MANAGER]
    assert "2026-11-02 by Dentist" in again.advice


def test_a_neighbour_on_a_plan_is_told_but_never_named_to_the_enquirer() -> None:
    found = decide([], [KnownCase("CASE-0009", "on_plan", "SW-9"), KnownCase("CASE-0010", "closed", "SW-8")], [])

    assert found.outcome is Outcome.NOT_KNOWN
    assert [(tell.staff_ref, tell.case_ref) for tell in found.told] == [("SW-9", "CASE-0009")]
    assert "CASE-0009" not in found.advice and "SW-9" not in found.advice
