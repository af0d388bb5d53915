"""Encryption at rest for stream URLs (they carry camera credentials)."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class UrlVault:
    """AES-GCM with a key derived from the server secret."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"eoc-console camera urls v1"
        ).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, url: str) -> str:
        """Encrypt a URL for storage."""
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, url.encode(), b"url")).decode()

    def open(self, sealed: str) -> str:
        """Decrypt a stored URL (server side only)."""
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], b"url").decode()
