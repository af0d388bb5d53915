"""Argon2id password hashing, run off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults
# Verifying against this keeps failed logins for unknown users as slow as for known ones.
_DUMMY = _hasher.hash("not-a-real-password")


def _lower_priority() -> None:
    # argon2 hashes in parallel lanes (threads its C library starts, which inherit this
    # thread's niceness): at normal priority a burst of bad logins takes the CPU from the
    # event loop and every reader stalls. Linux sets niceness per thread.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# Hashing has threads of its own: a burst of (bad) logins queues here, not in the default
# pool that snapshots, imports and file work share.
_POOL = ThreadPoolExecutor(2, thread_name_prefix="argon2", initializer=_lower_priority)


def hash_password(password: str) -> str:
    """Hash a password with argon2id (blocking)."""
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Check a password against a stored hash (blocking); unknown users take as long."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    """Hash a password in a worker thread."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, hash_password, password)


async def verify_password_async(stored: str | None, password: str) -> bool:
    """Verify a password in a worker thread."""
    return await asyncio.get_running_loop().run_in_executor(
        _POOL, verify_password, stored, password
    )
