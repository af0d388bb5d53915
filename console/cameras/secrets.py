"""Encryption at rest for credentials: stream URLs, notification channel secrets."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Vault:
    """AES-GCM with a key derived from the server secret; one key per purpose."""

    def __init__(self, secret: bytes, info: bytes, aad: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)
        self._aead = AESGCM(key)
        self._aad = aad

    def seal(self, plain: str) -> str:
        """Encrypt a value for storage."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plain.encode(), self._aad)
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str) -> str:
        """Decrypt a stored value (server side only)."""
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], self._aad).decode()


class UrlVault(Vault):
    """The vault for camera stream URLs (they carry camera credentials)."""

    def __init__(self, secret: bytes) -> None:
        super().__init__(secret, b"eoc-console camera urls v1", b"url")
