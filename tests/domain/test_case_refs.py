"""A case reference names a case, never a child: each authority's shape, and never a name or a date of birth.

The reference becomes a workflow id, a search attribute and a line in every log, so ``SMITH-01011985``
(a surname and a date of birth) must never start a journey, whatever an authority's case system issues.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.case_refs import (
    FORENAMES,
    GENERIC,
    SURNAMES,
    CaseReferencePattern,
    CaseRefRefused,
    check,
    identity_refusal,
)
from domain.released import canonical
from shipped.profiles import load_profile, profile_ids
from shipped.released import RELEASED

#: A reference each authority's case system could issue, and one it could not (though harmless).
SHAPES = {
    "darlington": ("DAR-0012345", "DAR-12345678"),   # at most 7 digits
    "birmingham": ("10042731", "BIRM-2026-123"),      # a bare number is Birmingham's; 3 digits are nobody's
    "staffordshire": ("STA2026-0104", "STA-1234567"),  # at most 6 digits
    "sefton": ("SEF-00012345", "SEFTN-0001"),          # at most 4 letters
    "local-guide": ("REF-2026-X-0042", "-0042-CASE"),  # the generic shape: it starts with a letter or digit
    "working-together-2023": ("0042-CASE", "CASE-00A1"),  # the generic shape: at least four digits
}


def test_every_profile_is_listed_here_with_a_reference_it_takes_and_one_it_refuses() -> None:
    assert set(SHAPES) == set(profile_ids())


@pytest.mark.parametrize("profile_id", sorted(SHAPES))
def test_each_authority_takes_what_its_case_system_issues_and_refuses_other_shapes(profile_id: str) -> None:
    profile = load_profile(profile_id)
    accepted, refused = SHAPES[profile_id]
    assert check(accepted, profile) == accepted
    assert check(profile.case_reference.example, profile) == profile.case_reference.example
    with pytest.raises(CaseRefRefused) as refusal:
        check(refused, profile)
    assert f"is not one {profile.authority}'s case system issues: {profile.case_reference.words}" in str(refusal.value)
    assert refused not in str(refusal.value)


@pytest.mark.parametrize("profile_id", sorted(SHAPES))
def test_the_references_the_tests_and_examples_use_fit_every_authority(profile_id: str) -> None:
    # Ordinary references: letters, a hyphen, digits; or with the year. 2026-0042 is not a date.
    for ordinary in ("CASE-0042", "DAR-2026-0042", "CAL-2026-0101", "PLAN-0001", "CASE-9999"):
        assert check(ordinary, load_profile(profile_id)) == ordinary


def test_an_authority_states_its_own_shape_the_baseline_keeps_the_generic_one() -> None:
    assert load_profile("working-together-2023").case_reference == GENERIC
    assert load_profile("local-guide").case_reference == GENERIC  # it names no authority
    for authority in ("darlington", "birmingham", "staffordshire", "sefton"):
        assert load_profile(authority).case_reference != GENERIC


def test_profiles_released_before_the_shape_existed_read_as_they_did() -> None:
    # The generic shape is left out of a profile's dump: old snapshots keep their digests, old inputs replay.
    old = RELEASED["darlington@2026.3"].profile
    assert old.case_reference == GENERIC and "case_reference" not in canonical(old)
    assert canonical(load_profile("darlington"))["case_reference"]["example"] == "DAR-2026-0042"


@pytest.mark.parametrize("dob", [
    "SMITH-01011985",  # the issue's own: a surname and a date of birth
    "CASE-01011985",   # DDMMYYYY
    "CASE-19850101",   # YYYYMMDD
    "CASE-010185",     # DDMMYY
    "010185",
    "19850101",
    "1985-01-01",      # ISO
    "CASE-1985-01-01",
    "01-01-1985",
    "01/01/1985",
    "1/1/85",
    "14.03.2019",
    "CASE-31-12-19",
    "DAR-2026-01-15",  # a year, a month and a day, even this year
    "CASE-290220120042",  # a date at the start of a longer number (29 Feb 2012)
    "CASE-004229022012",  # and at its end
])
def test_anything_that_looks_like_a_date_of_birth_is_refused_without_repeating_it(dob: str) -> None:
    with pytest.raises(CaseRefRefused) as refusal:
        check(dob)
    assert "looks like a date of birth" in str(refusal.value)
    assert dob not in str(refusal.value) and "1985" not in str(refusal.value)


@pytest.mark.parametrize("not_a_day", ["CASE-310285", "CASE-30021985", "CASE-19851301", "CASE-2026-0042",
                                       "CASE-0042-2026", "DAR-0101-2026", "BIR-20260042"])
def test_numbers_that_are_no_day_of_the_calendar_are_ordinary_references(not_a_day: str) -> None:
    # 31 February, 30 February, a thirteenth month; a year and a serial number.
    assert identity_refusal(not_a_day) is None


@pytest.mark.parametrize("name", [
    "JANE SMITH",       # a name as typed
    "SMITH-0042",       # a surname and digits
    "JSMITH-0042",      # an initial and a surname
    "SMITHJ-0042",      # a surname and an initial
    "JKSMITH-2026-0042",  # two initials
    "JANESMITH-0042",   # a forename and a surname run together
    "MOHAMMED-0042",
    "O'BRIEN-0042",     # an apostrophe does not hide one
    "ZOË-0042",         # nor an accent
    "KHAN-BEGUM-0042",  # nor a double-barrelled surname
    "jane-smith-0042",  # nor small letters
    "JANE",             # letters only: a name's shape
    "ABCDE",
])
def test_anything_that_looks_like_a_name_is_refused_without_repeating_it(name: str) -> None:
    with pytest.raises(CaseRefRefused) as refusal:
        check(name)
    message = str(refusal.value)
    assert "looks like a name" in message and "never a name or a date of birth" in message
    assert not any(part in message.upper() for part in ("SMITH", "JANE", "MOHAMMED", "BRIEN", "KHAN", "ABCDE"))


def test_a_reference_with_a_space_is_refused() -> None:
    with pytest.raises(CaseRefRefused, match="has a space in it"):
        check("CASE 0042")


@pytest.mark.parametrize("prefix", ["CASE", "CP", "CPP", "CIN", "DAR", "BIR", "BCC", "STA", "SCC", "SEF", "MASH",
                                    "ICPC", "RCPC", "PLAN", "REF", "CAL", "TEAM", "CSC", "CYPS", "LADO"])
def test_the_letters_case_systems_and_teams_use_are_not_names(prefix: str) -> None:
    assert identity_refusal(f"{prefix}-0042") is None


def test_the_shipped_lists_hold_a_few_hundred_forenames_and_surnames() -> None:
    assert len(FORENAMES) >= 250 and len(SURNAMES) >= 250
    assert {"JANE", "MOHAMMED", "OLIVIA", "PIOTR"} <= FORENAMES
    assert {"SMITH", "KHAN", "OBRIEN", "PATEL", "NOWAK"} <= SURNAMES


def test_every_authority_example_is_one_its_pattern_takes_and_names_no_one() -> None:
    for profile_id in profile_ids():
        shape = load_profile(profile_id).case_reference
        assert shape.fits(shape.example) and identity_refusal(shape.example) is None


def test_a_pattern_must_be_anchored_and_take_its_own_example() -> None:
    with pytest.raises(ValidationError, match="anchored"):
        CaseReferencePattern(pattern="[A-Z]{3}-[0-9]{4}", words="3 letters, a hyphen and 4 digits", example="DAR-0042")
    with pytest.raises(ValidationError, match="does not fit"):
        CaseReferencePattern(pattern="^[A-Z]{3}-[0-9]{4}$", words="3 letters, a hyphen and 4 digits",
                             example="DAR-00042")
