"""TEST-ONLY codec keys. Never configure these anywhere real: they are public, in this repository.

The tests' worker and clients encrypt with ``TEST_KEY_ID`` (tests/conftest.py puts it in
``CPJ_CODEC_KEYS`` for every test and every process a test starts), and the histories recorded with
encryption (tests/histories/*.codec.json, scripts/record_histories.py) were encrypted with it, so the
replay test reads them with the same key. ``ROTATED_KEY_ID`` is the key a rotation test moves to.
"""

from __future__ import annotations

import json

from starter.codec import KeyRing

TEST_KEY_ID = "test-only-1"
ROTATED_KEY_ID = "test-only-2"
TEST_KEYS = {
    TEST_KEY_ID: "C6rDz8Uxbb8inEVfl4UmehuZj4wxds4D6hI+pFx0ouY=",
    ROTATED_KEY_ID: "0tY6cPCWG+UIjokseu4n7NsiobvNivjp0LXjUcTaBtc=",
}
#: What the tests set as ``CPJ_CODEC_KEYS``: the first key only, current.
TEST_KEYS_JSON = json.dumps({TEST_KEY_ID: TEST_KEYS[TEST_KEY_ID]})


def ring_of(*key_ids: str, current: str | None = None) -> KeyRing:
    """A ring of the named test keys (default: the first), encrypting with ``current`` (default: the last named)."""
    key_ids = key_ids or (TEST_KEY_ID,)
    return KeyRing.parse(json.dumps({key_id: TEST_KEYS[key_id] for key_id in key_ids}), current or key_ids[-1])
