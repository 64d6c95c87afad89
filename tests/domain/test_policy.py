"""Policy profiles: one per authority, every rule cited to the words of its source."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.policy import (
    BASELINE_ID,
    KNOWN_RULES,
    STATUTORY_GUIDANCE,
    Profile,
    Unit,
)
from shipped.profiles import PolicyNotFound, load_profile, own_rule_keys, profile_ids

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
AUTHORITIES = {
    "darlington": "000_7f04eaf80fcc0ebe.txt",
    "birmingham": "001_44af8c5cc8068718.txt",
    "staffordshire": "002_a2ea61cae8fecd8a.txt",
    "sefton": "003_c63ac49730346b0c.txt",
    "local-guide": "004_080d30539bddd87c.txt",
}


def flat(text: str) -> str:
    return " ".join(text.split())


def test_there_is_a_profile_per_seed_authority_and_a_baseline() -> None:
    assert set(profile_ids()) == {*AUTHORITIES, BASELINE_ID}


@pytest.mark.parametrize("profile_id", sorted(AUTHORITIES))
def test_every_rule_an_authority_states_is_quoted_from_its_own_seed(profile_id: str) -> None:
    profile = load_profile(profile_id)
    seed = flat((SEEDS / AUTHORITIES[profile_id]).read_text(encoding="utf-8"))
    own = own_rule_keys(profile_id)
    assert own, "an authority profile states at least its own ICPC rule"
    for key in own:
        citation = profile.rules[key].citation
        assert citation.source == AUTHORITIES[profile_id], key
        assert flat(citation.quote) in seed, f"{profile_id}.{key}: quote not found verbatim in {citation.source}"
    for key, option in profile.options.items():
        if option.citation.source != STATUTORY_GUIDANCE:
            assert flat(option.citation.quote) in flat((SEEDS / option.citation.source).read_text()), key


@pytest.mark.parametrize("profile_id", sorted(AUTHORITIES))
def test_rules_an_authority_is_silent_on_come_from_the_statutory_baseline(profile_id: str) -> None:
    profile = load_profile(profile_id)
    assert profile.extends == BASELINE_ID
    for key in set(profile.rules) - own_rule_keys(profile_id):
        rule = profile.rules[key]
        # Where Working Together is silent the baseline borrows a seed's rule, and says so.
        assert rule.citation.source == STATUTORY_GUIDANCE or rule.note.startswith("Borrowed"), key


def test_every_profile_has_the_15_working_day_icpc_rule() -> None:
    for profile_id in profile_ids():
        icpc = load_profile(profile_id).rule("icpc_within")
        assert (icpc.amount, icpc.unit, icpc.direction) == (15, Unit.WORKING_DAYS, "after")


def test_every_seed_timescale_family_is_covered_somewhere() -> None:
    covered = set().union(*(own_rule_keys(pid) for pid in AUTHORITIES))
    families = ["icpc_within", "first_core_group", "core_group_interval", "visit_interval", "first_review",
                "review_interval", "review_invitation_notice", "decision_circulated", "record_shared",
                "complaint_stage_1", "complaint_panel", "transfer_in_conference_within"]
    assert [family for family in families if family not in covered] == []


def test_a_profile_is_versioned_and_pins_as_id_at_version() -> None:
    profile = load_profile("darlington")
    assert profile.pin == f"darlington@{profile.version}"
    # What a journey carries in its input survives the trip through JSON unchanged.
    assert Profile.model_validate_json(profile.model_dump_json()) == profile


def test_unknown_profiles_and_rules_are_refused_clearly() -> None:
    with pytest.raises(PolicyNotFound, match="no policy profile 'atlantis'"):
        load_profile("atlantis")
    with pytest.raises(KeyError, match="no such rule"):
        load_profile("darlington").rule("icpc_whenever")
    raw = load_profile(BASELINE_ID).model_dump(mode="json")
    raw["rules"]["icpc_whenever"] = raw["rules"]["icpc_within"]
    with pytest.raises(ValidationError, match="unknown rule"):
        Profile.model_validate(raw)


def test_a_citation_must_name_a_seed_file_or_the_statutory_guidance() -> None:
    raw = load_profile(BASELINE_ID).model_dump(mode="json")
    raw["rules"]["icpc_within"]["citation"]["source"] = "somewhere on the internet"
    with pytest.raises(ValidationError, match="names a seed file"):
        Profile.model_validate(raw)


def test_the_rule_registry_describes_every_key() -> None:
    assert all(description for description in KNOWN_RULES.values())
