"""Release the profiles: write the resolved snapshot of every profile version not yet released.

A journey's input pins ``id@version#digest`` and resolves it against these
snapshots (``shipped/profiles/released/``, read by ``shipped/released.py``). After
editing a profile (or the baseline it extends), raise its ``version`` and run:

    .venv/bin/python scripts/release_profiles.py

A snapshot already released is never overwritten: a profile whose content differs
from the snapshot of its version is refused, and needs a new version.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.released import canonical  # noqa: E402
from shipped.profiles import load_profile, profile_ids  # noqa: E402
from shipped.released import RELEASED, snapshot_path, snapshot_text  # noqa: E402


def main() -> int:
    refused = 0
    for profile_id in profile_ids():
        profile = load_profile(profile_id)
        released = RELEASED.get(profile.pin)
        if released is not None:
            if canonical(released.profile) != canonical(profile):
                print(f"refused: {profile.pin} was released with other content; raise {profile_id}'s version",
                      file=sys.stderr)
                refused += 1
            continue
        path = snapshot_path(profile)
        with path.open("x", encoding="utf-8") as handle:  # "x": a release is never overwritten
            handle.write(snapshot_text(profile))
        print(f"released {profile.pin} in {path.relative_to(ROOT)}")
    return 2 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
