"""Encryption of provider API keys at rest with AES-256-GCM.

The key lives in a local file under the data folder, created on first use with
owner-only permissions. Each ciphertext is bound to its tenant (associated
data), so a row copied to another tenant does not decrypt.
"""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from zhike.core.settings import get_settings

KEY_FILE = Path("keys") / "llm-provider.key"
_PREFIX = "v1:"


def key_path() -> Path:
    return get_settings().data_dir / KEY_FILE


def _load_key() -> bytes:
    path = key_path()
    if path.exists():
        key = path.read_bytes()
        if len(key) != 32:
            raise ValueError(f"{path} holds {len(key)} bytes; an AES-256 key has 32")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


def encrypt_secret(plain: str, tenant_id: uuid.UUID) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_load_key()).encrypt(nonce, plain.encode("utf-8"), tenant_id.bytes)
    return _PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt_secret(token: str, tenant_id: uuid.UUID) -> str:
    raw = base64.b64decode(token.removeprefix(_PREFIX))
    return AESGCM(_load_key()).decrypt(raw[:12], raw[12:], tenant_id.bytes).decode("utf-8")


def mask_secret(plain: str) -> str:
    """What an administrator sees of a key: enough to recognise it, not to use it."""
    return "****" + plain[-4:] if len(plain) > 8 else "****"
