"""The policy profiles we ship: one TOML file per authority, read and resolved on demand.

What a new journey starts on (``load_profile``: the newest version of a profile,
counting with the newest calendar); a running journey never reads these, it pins a
release (``shipped.released``). The schema they are validated against is the pure
``domain.policy``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import shipped.calendars  # noqa: F401  (a loaded profile counts with the newest calendar: register them first)
from domain.calendars import latest_version
from domain.policy import Profile

__all__ = ["PROFILES_DIR", "PolicyNotFound", "load_profile", "own_option_keys", "own_rule_keys", "profile_ids"]

#: Where the profile files live: beside this module, one TOML file per authority.
PROFILES_DIR = Path(__file__).resolve().parent


class PolicyNotFound(LookupError):
    pass


def _read(profile_id: str) -> dict:
    path = PROFILES_DIR / f"{profile_id}.toml"
    if not path.is_file():
        raise PolicyNotFound(f"no policy profile {profile_id!r}; known: {', '.join(profile_ids())}")
    with path.open("rb") as handle:
        return tomllib.load(handle)


def profile_ids() -> list[str]:
    return sorted(path.stem for path in PROFILES_DIR.glob("*.toml"))


def load_profile(profile_id: str) -> Profile:
    """Load a profile, resolved, counting with the newest shipped calendar (what a new journey starts on)."""
    return _resolved(profile_id).model_copy(update={"calendar_version": latest_version()})


@cache
def _resolved(profile_id: str) -> Profile:
    """A profile with what it inherits from the profile it extends."""
    raw = _read(profile_id)
    if "calendar_version" in raw:
        raise ValueError(f"profile {profile_id!r} names a calendar_version: the calendar is not policy, "
                         "journeys take the newest shipped one")
    parent_id = raw.get("extends")
    if parent_id:
        parent = _resolved(parent_id)
        raw["rules"] = {**parent.model_dump(mode="json")["rules"], **raw.get("rules", {})}
        raw["options"] = {**parent.model_dump(mode="json")["options"], **raw.get("options", {})}
    return Profile.model_validate(raw)


def own_rule_keys(profile_id: str) -> set[str]:
    """Rules a profile states itself, as opposed to those it inherits."""
    return set(_read(profile_id).get("rules", {}))


def own_option_keys(profile_id: str) -> set[str]:
    """Options a profile states itself, as opposed to those it inherits."""
    return set(_read(profile_id).get("options", {}))
