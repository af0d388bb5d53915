"""Zip uploads: limits hold on the bytes actually inflated and the number of entries,
whatever the headers declare (layer import and shelter occupancy import)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Any

import httpx
import pytest

from tests.conftest import login


def lying_zip(real_size: int, declared: int, name: str = "big.shp") -> bytes:
    """One deflated member of `real_size` zero bytes whose headers declare `declared`."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(real_size >> 20)) + comp.flush()
    crc = 0
    for _ in range(real_size >> 20):
        crc = zlib.crc32(chunk, crc)
    fname = name.encode()
    local = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), declared, len(fname), 0
    )
    cd = struct.pack(
        "<4s6H3L5H2L",
        b"PK\x01\x02",
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(data),
        declared,
        len(fname),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    end = struct.pack(
        "<4s4H2LH",
        b"PK\x05\x06",
        0,
        0,
        1,
        1,
        len(cd) + len(fname),
        len(local) + len(fname) + len(data),
        0,
    )
    return local + fname + data + cd + fname + end


def honest_bomb(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("big.shp", "w") as f:
        chunk = b"\0" * (1 << 20)
        for _ in range(size >> 20):
            f.write(chunk)
    return buf.getvalue()


def many_entries(n: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(n):
            zf.writestr(f"f{i}.csv", b"x")
    return buf.getvalue()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: lying_zip(300 << 20, 1000), "bad_zip"),
        (lambda: lying_zip(300 << 20, 300 << 20), "zip_bomb"),
        (lambda: honest_bomb(300 << 20), "zip_bomb"),
        (lambda: many_entries(5000), "zip_bomb"),
    ],
)
async def test_zip_limits_on_real_bytes(
    client: httpx.AsyncClient, app: Any, make: Any, code: str
) -> None:
    await login(client, "admin")
    body = make()
    assert len(body) < 2 << 20  # small on the wire
    r = await client.post("/api/gis/layers/shelters/import", params={"format": "zip"}, content=body)
    assert r.status_code == 422, r.text
    assert code in r.text
    r = await client.post("/api/gis/shelters/occupancy/import", content=body)
    assert r.status_code == 422, r.text
    assert code in r.text
