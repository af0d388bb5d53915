"""Moves credentials out of stream URLs stored before they had fields of their own."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.cameras.models import Camera
from console.cameras.secrets import UrlVault
from streams.credentials import CredentialError, display, split_credentials
from streams.urls import mask_url

log = logging.getLogger(__name__)


async def split_stored_urls(db: AsyncSession, vault: UrlVault) -> int:
    """Split every camera not yet split (idempotent); returns how many rows changed."""
    rows = list(await db.scalars(select(Camera).where(Camera.credentials_split.is_(False))))
    moved = 0
    for cam in rows:
        try:
            main = split_credentials(vault.open(cam.main_url_enc))
            sub = split_credentials(vault.open(cam.sub_url_enc)) if cam.sub_url_enc else None
        except (CredentialError, ValueError):
            # Left as it was (and re-tried next start); never logged with its URL.
            log.warning("camera %s: credentials in its URL could not be told apart", cam.id)
            continue
        user = main.username or (sub.username if sub else None)
        password = main.password or (sub.password if sub else None)
        cam.main_url_enc = vault.seal(main.template)
        cam.main_url_masked = mask_url(display(main.template))
        if sub is not None:
            cam.sub_url_enc = vault.seal(sub.template)
            cam.sub_url_masked = mask_url(display(sub.template))
        if user or password:
            cam.username_enc = vault.seal(user) if user else None
            cam.password_enc = vault.seal(password) if password else None
            moved += 1
        cam.credentials_split = True
    await db.commit()
    if moved:
        log.info("moved the credentials of %d camera(s) out of their stream URLs", moved)
    return moved
