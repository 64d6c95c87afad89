"""Released policy profiles: what a journey's input pins, ``id@version#digest``.

Each released version of a profile is shipped as its resolved snapshot, written
once by ``scripts/release_profiles.py`` and never changed (``shipped.released``
reads them when first imported and registers them here): a running journey
resolves its pin here, so its input carries a few dozen characters rather than the
whole profile, and an edited profile file cannot reach it. The digest (sha256 of
the snapshot's canonical JSON, first 16 hex) catches a snapshot changed after
release.

Pure: no workflow reads a file. A pin nobody registered is refused, with a hint
to import ``shipped`` when nothing is registered at all.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from pydantic import BaseModel, model_validator

from domain.calendars import is_shipped
from domain.policy import Profile

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


#: id@version -> its released snapshot, every version ever released, as ``shipped.released`` registers them.
RELEASED: dict[str, Released] = {}


def register(released: Released) -> None:
    """Make a release resolvable; another snapshot under a pin already registered is refused."""
    known = RELEASED.get(released.profile.pin)
    if known is not None and known.digest != released.digest:
        raise ValueError(f"{released.profile.pin} is already registered as {known.pin}, not {released.pin}: "
                         "released profiles never change")
    RELEASED[released.profile.pin] = released


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
        known = (f"released: {', '.join(sorted(RELEASED))}" if RELEASED else
                 "no release is registered: import shipped (it registers the shipped snapshots) first")
        raise PolicyPinError(f"no released profile {match['id']}@{match['version']} (pin {pin}); {known}")
    if released.digest != match["digest"]:
        raise PolicyPinError(f"policy pin {pin} does not match the released snapshot of {released.profile.pin} "
                             f"(digest {released.digest}): a released profile was changed; restore "
                             f"shipped/profiles/released/{released.profile.pin}.json")
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
