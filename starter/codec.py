"""Payloads encrypted before they reach Temporal: the codec, its keys, and the project's one data converter.

Everything the journeys put in Temporal's history (workflow and activity inputs and results, signals,
updates, queries, memos, and failures: their messages and stack traces too) is encrypted here with
AES-256-GCM, so the text staff type (a delay's reasons, a core group's decisions) is unreadable to
anyone who can read Temporal's database or open its UI without the codec server
(``starter.web.codec``). Search attributes and workflow ids are not payloads and stay readable: they
hold references and dates, never a name (README, "Encrypted histories").

Keys (``CPJ_CODEC_KEYS``): a JSON object of key id -> base64 of 32 random bytes, given inline or as the
path of a file holding it; ``CPJ_CODEC_KEY_ID`` names the one that encrypts (needed only when there
are several). Unset, the data folder's ``codec-keys.json`` is used: ``cpj up`` makes it once (0600).
Every key listed decrypts, so a new key is added, made current, and the old one kept for as long as
any history encrypted with it may be read or replayed.

Each payload carries its key id, and the workflow it belongs to where the SDK says, in plain metadata
(neither identifies anyone); both are bound to the ciphertext, so neither can be altered unnoticed.
A payload without our encoding (a history recorded before encryption) is passed on as it is.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import os
import re
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
WORKFLOW_ID = "cpj-workflow-id"
#: Where ``cpj up`` keeps the embedded default's key when none is configured.
KEY_FILE_NAME = "codec-keys.json"
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NONCE_BYTES = 12
#: Bound into every ciphertext with the key id and workflow id: a payload cannot be passed off as
#: another scheme's, key's or workflow's.
AAD_PREFIX = b"cp-journeys/codec/1"


class CodecKeyError(ValueError):
    """The keys are missing or malformed, or a payload cannot be decrypted; says which key, never the data."""


class NoCodecKeys(CodecKeyError):
    pass


class UnknownKey(CodecKeyError):
    """A payload encrypted with a key that is not configured (dropped too early in a rotation)."""

    def __init__(self, key_id: str, known: Sequence[str]) -> None:
        super().__init__(
            f"a payload was encrypted with the codec key {key_id!r}, which is not among the configured keys "
            f"({', '.join(known) or 'none'}): add {key_id!r} back to CPJ_CODEC_KEYS (it can stay listed without "
            "being the current one) to read or replay this history")
        self.key_id = key_id


@dataclass(frozen=True)
class KeyRing:
    """Every key that decrypts, by id, and the one that encrypts."""

    keys: Mapping[str, bytes]
    current: str

    def __post_init__(self) -> None:
        if not self.keys:
            raise NoCodecKeys("no codec keys are configured")
        for key_id, key in self.keys.items():
            if not KEY_ID_PATTERN.fullmatch(key_id):
                raise CodecKeyError(f"codec key id {key_id!r} is not allowed: letters, digits, '.', '_' and '-', "
                                    "up to 64, starting with a letter or digit")
            if len(key) != 32:
                raise CodecKeyError(f"codec key {key_id!r} is {len(key)} bytes; AES-256 takes 32 "
                                    "(make one with: python -m starter.codec new-key)")
        if self.current not in self.keys:
            raise CodecKeyError(f"CPJ_CODEC_KEY_ID names {self.current!r}, which is not among the codec keys "
                                f"({', '.join(self.keys)})")

    @classmethod
    def parse(cls, text: str, current: str | None = None, *, source: str = "CPJ_CODEC_KEYS") -> KeyRing:
        """Keys from JSON (``{"id": "base64 of 32 bytes", ...}``); ``current`` may be left out when there is one."""
        try:
            given = json.loads(text)
        except ValueError:
            raise CodecKeyError(f"{source} is not JSON: it should be an object of key id -> base64 key") from None
        if not isinstance(given, dict) or not all(isinstance(value, str) for value in given.values()):
            raise CodecKeyError(f"{source} should be a JSON object of key id -> base64 key")
        keys = {}
        for key_id, encoded in given.items():
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise CodecKeyError(f"codec key {key_id!r} in {source} is not base64") from None
        if not keys:
            raise NoCodecKeys(f"{source} lists no keys")
        if not current:
            if len(keys) > 1:
                raise CodecKeyError(f"{source} lists {len(keys)} keys ({', '.join(keys)}): set CPJ_CODEC_KEY_ID "
                                    "to the one that encrypts")
            [current] = keys
        return cls(keys, current)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeyRing:
        """The configured keys: ``CPJ_CODEC_KEYS`` (JSON or a file), else the data folder's ``codec-keys.json``."""
        env = os.environ if environ is None else environ
        given = (env.get("CPJ_CODEC_KEYS") or "").strip()
        current = (env.get("CPJ_CODEC_KEY_ID") or "").strip() or None
        if given.startswith("{"):
            return cls.parse(given, current)
        path = Path(given) if given else local_key_file(env)
        try:
            text = path.read_text()
        except FileNotFoundError:
            if given:
                raise NoCodecKeys(f"CPJ_CODEC_KEYS names {path}, which does not exist") from None
            raise NoCodecKeys(
                f"no codec keys: set CPJ_CODEC_KEYS (README, \"Encrypted histories\"), or run cpj up once with this "
                f"data folder (it makes {path})") from None
        except OSError as err:
            raise NoCodecKeys(f"the codec keys in {path} cannot be read ({err.strerror})") from None
        return cls.parse(text, current, source=str(path))


def local_key_file(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("CPJ_DATA_DIR") or "data").resolve() / KEY_FILE_NAME


def new_key() -> str:
    """A new key, as base64 (32 random bytes)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def ensure_local_key(data: Path) -> Path:
    """The embedded default's key file in ``data``, made once (readable by its owner only) if missing."""
    path = data / KEY_FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w") as out:
        json.dump({"local-1": new_key()}, out)
        out.write("\n")
    return path


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """AES-256-GCM over each whole payload (its metadata and data), under the ring's current key."""

    def __init__(self, ring: KeyRing, workflow_id: str | None = None) -> None:
        self.ring = ring
        self.workflow_id = workflow_id
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys.items()}

    def with_context(self, context: SerializationContext) -> EncryptionCodec:
        workflow_id = None
        if isinstance(context, WorkflowSerializationContext | ActivitySerializationContext):
            workflow_id = context.workflow_id
        if workflow_id == self.workflow_id:
            return self
        clone = EncryptionCodec.__new__(EncryptionCodec)
        clone.ring, clone._ciphers, clone.workflow_id = self.ring, self._ciphers, workflow_id
        return clone

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.ring.current
        metadata = {"encoding": ENCODING, KEY_ID: key_id.encode()}
        if self.workflow_id:
            metadata[WORKFLOW_ID] = self.workflow_id.encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), _aad(metadata))
        return Payload(metadata=metadata, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption: read as it is
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownKey(key_id, list(self.ring.keys))
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], _aad(payload.metadata))
        except InvalidTag:
            raise CodecKeyError(
                f"a payload encrypted with the codec key {key_id!r} does not decrypt with the key configured under "
                "that id: the key was changed without a new id, or the payload was altered") from None
        return Payload.FromString(plain)


def _aad(metadata: Mapping[str, bytes]) -> bytes:
    return b"\x00".join([AAD_PREFIX, metadata.get(KEY_ID, b""), metadata.get(WORKFLOW_ID, b"")])


def workflow_of(payload: Payload) -> str | None:
    """The workflow an encrypted payload says it belongs to (plain metadata, bound to its ciphertext)."""
    found = payload.metadata.get(WORKFLOW_ID)
    return found.decode(errors="replace") if found else None


@dataclass(frozen=True)
class ProjectDataConverter(DataConverter):
    """The SDK's data converter, with a cheaper copy for each payload's context.

    The codec binds each payload to its workflow, so the worker asks for this converter "with the context" of
    every command it encodes (an activity's input, a timer's summary). The SDK's own copy runs the dataclass's
    ``__post_init__`` again, building a new pydantic payload converter and failure converter each time only to
    replace them (about a twentieth of a worker's busy time starting journeys). This copy keeps the parts that
    do not change.
    """

    def with_context(self, context: SerializationContext) -> ProjectDataConverter:
        changed = {}
        for part in ("payload_converter", "payload_codec", "failure_converter", "external_storage"):
            current = getattr(self, part)
            if isinstance(current, WithSerializationContext):
                fresh = current.with_context(context)
                if fresh is not current:
                    changed[part] = fresh
        if not changed:
            return self
        clone = copy.copy(self)  # the same fields, without __post_init__
        for part, fresh in changed.items():
            object.__setattr__(clone, part, fresh)
        return clone


def data_converter(ring: KeyRing | None = None) -> DataConverter:
    """The project's data converter: pydantic models, encrypted payloads, failures encrypted with them.

    Client, worker, replayer and tests all use this one; ``ring`` defaults to the configured keys.
    """
    return ProjectDataConverter(
        payload_converter_class=pydantic_data_converter.payload_converter_class,
        payload_codec=EncryptionCodec(ring or KeyRing.from_env()),
        # A failure's message and stack trace go into a payload, which the codec encrypts.
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["new-key"]:
        print(new_key())
    else:
        raise SystemExit("usage: python -m starter.codec new-key   (prints a new base64 key for CPJ_CODEC_KEYS)")
