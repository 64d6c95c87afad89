"""The released profiles we ship: ``profiles/released/<id>@<version>.json``, one per release.

Read once, when this module is first imported, and registered with the pure
``domain.released``, where a journey's pin is resolved (``shipped`` is passed
through the workflow sandbox, so no workflow reads a file). A snapshot is written
once by ``scripts/release_profiles.py`` (``snapshot_path``, ``snapshot_text``) and
never changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import shipped.calendars  # noqa: F401  (a pin resolves with a calendar version: register them first)
from domain.policy import Profile
from domain.released import RELEASED, Released, canonical, digest, pinned, register, release_of, resolve

__all__ = ["RELEASED", "RELEASED_DIR", "authority_of", "load", "pinned", "release_of", "resolve", "snapshot_path",
           "snapshot_text"]

RELEASED_DIR = Path(__file__).parent / "profiles" / "released"


def snapshot_text(profile: Profile) -> str:
    """The file a release writes (``scripts/release_profiles.py``)."""
    snapshot = canonical(profile)
    document = {"pin": f"{profile.pin}#{digest(snapshot)}", "profile": snapshot}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def snapshot_path(profile: Profile) -> Path:
    return RELEASED_DIR / f"{profile.pin}.json"


def load(path: Path) -> Released:
    """One release's snapshot, refused if it was changed after its release."""
    document = json.loads(path.read_text(encoding="utf-8"))
    # The digest is of the file's own data, so a later field with a default cannot change it.
    released = Released(Profile.model_validate(document["profile"]), digest(document["profile"]))
    if path.stem != released.profile.pin:
        raise ValueError(f"{path.name} holds {released.profile.pin}; a snapshot is named after its id@version")
    if document["pin"] != released.pin:
        raise ValueError(f"{path.name} was changed after its release (its digest is now {released.digest}, "
                         f"it was released as {document['pin']}); restore it: released profiles never change")
    return released


for _path in sorted(RELEASED_DIR.glob("*@*.json")):
    register(load(_path))


def authority_of(pin: str) -> str | None:
    """The authority a policy pin (``darlington@2026.1``, perhaps with its ``#digest``) belongs to, as its
    profile names it; None for a profile we never shipped, shown then by its id, never a failure."""
    released = RELEASED.get(pin.split("#", 1)[0])
    if released is not None:
        return released.profile.authority
    try:  # a profile from before releases, or one not released yet: its shipped file names the authority
        from shipped.profiles import load_profile

        return load_profile(pin.split("@", 1)[0]).authority
    except Exception:  # noqa: BLE001 - an unknown or unreadable profile is named by its id instead
        return None
