"""Upload tokens: random, stored as hashes, compared in constant time.

A token reads ``<key id>.<secret>``: the key id (48 random bits) finds the stored record
without comparing secrets in SQL, the secret (256 random bits) is checked against its
SHA-256 with ``hmac.compare_digest``. The database holds only the hash, so a copy of it
cannot publish. A slow password hash is not needed: the secret is random, not chosen by a
person, so it cannot be guessed from its hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

KEY_ID_BYTES: Final = 6
SECRET_BYTES: Final = 32
"""Random bytes of a token's secret: 256 bits (the issue asks for at least 128)."""


def new_token() -> tuple[str, str, str]:
    """A fresh token: (token to hand out, key id, hash of the secret to store)."""
    key_id = secrets.token_hex(KEY_ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return f"{key_id}.{secret}", key_id, secret_hash(secret)


def secret_hash(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token; None for anything else."""
    key_id, dot, secret = token.strip().partition(".")
    if not dot or len(key_id) != 2 * KEY_ID_BYTES or not secret:
        return None
    return key_id, secret


def matches(secret: str, stored_hash: str) -> bool:
    """Whether a secret has the stored hash, in time independent of where they differ."""
    return hmac.compare_digest(secret_hash(secret).encode(), stored_hash.encode())
