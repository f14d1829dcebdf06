"""Encryption at rest of highly sensitive values with AES-256-GCM.

A stored value reads ``enc:v1:<key id>:<base64 of nonce + ciphertext + tag>``;
the key id lets rotation re-encrypt old rows in the background while every
key stays readable. The associated data binds a ciphertext to its column, so
a value copied into another column does not decrypt.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String, TypeDecorator
from sqlalchemy.engine import Dialect

from zhike.core.settings import get_settings

logger = logging.getLogger(__name__)

PREFIX = "enc:v1:"
NONCE_BYTES = 12


class KeyProvider(Protocol):
    """Where data keys come from: a local file by default, a KMS or HSM in larger setups."""

    def current(self) -> tuple[str, bytes]: ...

    def get(self, key_id: str) -> bytes: ...

    def rotate(self) -> str: ...


class DecryptionError(RuntimeError):
    """A stored ciphertext could not be decrypted: wrong key, unknown key id or tampering."""


class LocalKeyFile:
    """Keys in a JSON file readable by the service account only (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, Any] | None = None
        self._loaded_mtime: int | None = None

    def _load(self) -> dict[str, Any]:
        # Re-read when the file changed, so a rotation by `zhike keys rotate` in another
        # process reaches running servers without a restart.
        mtime = self.path.stat().st_mtime_ns if self.path.exists() else None
        if self._data is None or mtime != self._loaded_mtime:
            with self._lock:
                if self.path.exists():
                    self._data = json.loads(self.path.read_text("utf-8"))
                    self._loaded_mtime = self.path.stat().st_mtime_ns
                else:
                    self._data = {"current": "", "keys": {}}
                    self._add_key(self._data)
        return self._data

    def _add_key(self, data: dict[str, Any]) -> str:
        key_id = f"k{len(data['keys']) + 1}-{secrets.token_hex(3)}"
        data["keys"][key_id] = base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
        data["current"] = key_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        temporary.replace(self.path)
        self._loaded_mtime = self.path.stat().st_mtime_ns
        logger.info("field encryption key created", extra={"key_id": key_id})
        return key_id

    def current(self) -> tuple[str, bytes]:
        data = self._load()
        key_id = str(data["current"])
        return key_id, base64.b64decode(data["keys"][key_id])

    def get(self, key_id: str) -> bytes:
        keys = self._load()["keys"]
        if key_id not in keys:
            raise DecryptionError(f"unknown encryption key {key_id!r}; restore the key file")
        return base64.b64decode(keys[key_id])

    def rotate(self) -> str:
        data = self._load()
        with self._lock:
            return self._add_key(data)


_provider: KeyProvider | None = None


def get_key_provider() -> KeyProvider:
    global _provider
    if _provider is None:
        _provider = LocalKeyFile(Path(get_settings().data_dir) / "keys" / "field-keys.json")
    return _provider


def set_key_provider(provider: KeyProvider | None) -> None:
    global _provider
    _provider = provider


def encrypt(plaintext: str, context: str, provider: KeyProvider | None = None) -> str:
    provider = provider or get_key_provider()
    key_id, key = provider.current()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{PREFIX}{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(stored: str, context: str, provider: KeyProvider | None = None) -> str:
    if not stored.startswith(PREFIX):
        # Written before encryption was enabled for this column.
        return stored
    provider = provider or get_key_provider()
    key_id, _, payload = stored.removeprefix(PREFIX).partition(":")
    try:
        raw = base64.b64decode(payload, validate=True)
        opened = AESGCM(provider.get(key_id)).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8")
        )
    except (InvalidTag, ValueError) as error:
        raise DecryptionError(f"value under key {key_id!r} failed authentication") from error
    return opened.decode("utf-8")


def key_id_of(stored: str) -> str | None:
    if not stored.startswith(PREFIX):
        return None
    return stored.removeprefix(PREFIX).partition(":")[0]


class EncryptedString(TypeDecorator[str]):
    """A text column whose values are encrypted on write and decrypted on read."""

    impl = String(255)
    cache_ok = True

    def __init__(self, context: str, length: int = 255) -> None:
        super().__init__(length)
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value.startswith(PREFIX):
            return value
        return encrypt(value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value, self.context)
