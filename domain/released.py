"""Released policy profiles: what a journey's input pins, ``id@version#digest``.

Each released version of a profile is shipped as its resolved snapshot,
``domain/profiles/released/<id>@<version>.json``, written once by
``scripts/release_profiles.py`` and never changed: a running journey resolves its
pin here, so its input carries a few dozen characters rather than the whole
profile, and an edited profile file cannot reach it. The digest (sha256 of the
snapshot's canonical JSON, first 16 hex) catches a snapshot changed after release.

The snapshots are read once, when this module is first imported; the module is
passed through the workflow sandbox, so no workflow reads a file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, model_validator

from domain.calendars import is_shipped
from domain.policy import PROFILES_DIR, Profile

RELEASED_DIR = PROFILES_DIR / "released"
_PIN = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]*)@(?P<version>[^#@\s]+)#(?P<digest>[0-9a-f]{16})$")


class PolicyPinError(ValueError):
    """A pin that names no released profile, or one whose snapshot no longer matches it."""


@dataclass(frozen=True)
class Released:
    profile: Profile
    digest: str

    @property
    def pin(self) -> str:
        return f"{self.profile.pin}#{self.digest}"


def canonical(profile: Profile) -> dict:
    """What is released of a profile: everything but the calendar version (not policy)."""
    return profile.model_dump(mode="json", exclude={"calendar_version"})


def digest(snapshot: dict) -> str:
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def snapshot_text(profile: Profile) -> str:
    """The file a release writes (``scripts/release_profiles.py``)."""
    snapshot = canonical(profile)
    document = {"pin": f"{profile.pin}#{digest(snapshot)}", "profile": snapshot}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def snapshot_path(profile: Profile) -> Path:
    return RELEASED_DIR / f"{profile.pin}.json"


def _load(path: Path) -> Released:
    document = json.loads(path.read_text(encoding="utf-8"))
    # The digest is of the file's own data, so a later field with a default cannot change it.
    released = Released(Profile.model_validate(document["profile"]), digest(document["profile"]))
    if path.stem != released.profile.pin:
        raise ValueError(f"{path.name} holds {released.profile.pin}; a snapshot is named after its id@version")
    if document["pin"] != released.pin:
        raise ValueError(f"{path.name} was changed after its release (its digest is now {released.digest}, "
                         f"it was released as {document['pin']}); restore it: released profiles never change")
    return released


#: id@version -> its released snapshot, every version ever released.
RELEASED: dict[str, Released] = {
    released.profile.pin: released for released in map(_load, sorted(RELEASED_DIR.glob("*@*.json")))
}


def release_of(profile: Profile) -> Released | None:
    """The released snapshot ``profile`` is (whatever its calendar version), if it is one."""
    released = RELEASED.get(profile.pin)
    if released is None or canonical(released.profile) != canonical(profile):
        return None
    return released


def resolve(pin: str, calendar_version: str | None = None) -> Profile:
    """The released profile a pin names, counting with ``calendar_version`` (the first one if None)."""
    match = _PIN.match(pin)
    if not match:
        raise PolicyPinError(f"policy pin {pin!r} is not of the form id@version#digest")
    released = RELEASED.get(f"{match['id']}@{match['version']}")
    if released is None:
        raise PolicyPinError(f"no released profile {match['id']}@{match['version']} (pin {pin}); released: "
                             f"{', '.join(sorted(RELEASED))}")
    if released.digest != match["digest"]:
        raise PolicyPinError(f"policy pin {pin} does not match the released snapshot of {released.profile.pin} "
                             f"(digest {released.digest}): a released profile was changed; restore "
                             f"{RELEASED_DIR.name}/{released.profile.pin}.json")
    if calendar_version is None:
        return released.profile
    if not is_shipped(calendar_version):
        raise PolicyPinError(f"no calendar version {calendar_version!r} is shipped")
    return released.profile.model_copy(update={"calendar_version": calendar_version})


def pinned(profile: Profile) -> dict:
    """How a workflow passes ``profile`` on (continuing as new, starting a conference).

    A released profile goes as its pin and calendar version; one that is not (a recorded
    input from before pins, whose content a later release may differ from) goes whole, so a
    running journey never changes policy by passing it on.
    """
    released = release_of(profile)
    if released is None:
        return {"profile": profile}
    return {"policy": released.pin, "calendar_version": profile.calendar_version}


class PinnedPolicy(BaseModel):
    """A workflow input's policy: a pin to a released profile, or (recorded inputs only) the whole profile."""

    #: The released profile the workflow runs on, ``id@version#digest``.
    policy: str | None = None
    #: The calendar version it counts working days with; None: the first (inputs from before versions).
    calendar_version: str | None = None
    #: The whole resolved profile: only in inputs recorded before pins, kept so their histories still parse.
    profile: Profile | None = None

    @model_validator(mode="after")
    def _one_policy(self):
        if (self.policy is None) == (self.profile is None):
            raise ValueError("a workflow input names its policy by a pin (policy) or, if recorded before pins, "
                             "carries the profile: exactly one")
        self.resolve_profile()  # a pin that resolves to nothing is refused where the input is made
        return self

    def resolve_profile(self) -> Profile:
        """The profile the workflow runs on, counting with its calendar version."""
        if self.profile is None:
            return resolve(self.policy, self.calendar_version)
        if self.calendar_version is None:
            return self.profile
        if not is_shipped(self.calendar_version):
            raise PolicyPinError(f"no calendar version {self.calendar_version!r} is shipped")
        return self.profile.model_copy(update={"calendar_version": self.calendar_version})
