"""Coordinate transforms: any EPSG code to/from WGS84, and the GCJ-02 / BD-09 map offsets.

A CRS is named by a string everywhere: "EPSG:n" (or another authority code, an OGC URN or URL,
WKT from a .prj), or one of the two Chinese web-map systems, "GCJ-02" (Amap, Tencent, DataV)
and "BD-09" (Baidu), which have no EPSG code. `resolve` turns what a user or a file wrote
into that canonical name, or raises UnknownCrs.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

FloatArray = npt.NDArray[np.float64]

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
GCJ02 = "GCJ-02"
BD09 = "BD-09"
OFFSET_CRS = frozenset({GCJ02, BD09})

# Spellings seen in the wild (dialog hints, DataV/Amap docs, Baidu's coordtype values).
_ALIASES = {
    "gcj02": GCJ02,
    "gcj": GCJ02,
    "amap": GCJ02,
    "mars": GCJ02,
    "bd09": BD09,
    "bd09ll": BD09,
    "baidu": BD09,
    "wgs84": WGS84,
    "crs84": WGS84,
    "ogccrs84": WGS84,
    "cgcs2000": CGCS2000,
}
_CODE = re.compile(r"^(EPSG|ESRI|IGNF|OGC|IAU_2015)::?[\w.]+$", re.IGNORECASE)
_URN = re.compile(r"^urn:ogc:def:crs:[\w.:-]+$", re.IGNORECASE)
_URL = re.compile(r"^https?://www\.opengis\.net/def/crs/[\w./-]+$", re.IGNORECASE)
_WKT = re.compile(r"^\s*(PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS|COMPOUNDCRS|COMPD_CS)\s*\[", re.I)


class UnknownCrs(ValueError):
    """A CRS name that is not a known coordinate reference system."""


def resolve(name: str | int) -> str:
    """Canonical name of a CRS written by a user or a file; UnknownCrs when it is not one."""
    text = str(name).strip()
    if not text:
        raise UnknownCrs("empty CRS name")
    if text.isdigit():
        text = f"EPSG:{text}"
    key = re.sub(r"[\s_\-:.]", "", text.lower())
    if key in _ALIASES:
        return _ALIASES[key]
    for urn_tail in ("urnogcdefcrsogc13crs84", "urnogcdefcrsogccrs84"):
        if key == urn_tail:
            return WGS84
    if key.endswith(("gcj02", "bd09")) and key.startswith("urn"):
        return GCJ02 if key.endswith("gcj02") else BD09
    if not (_CODE.match(text) or _URN.match(text) or _URL.match(text) or _WKT.match(text)):
        raise UnknownCrs(f"{text[:80]!r} is not a CRS name (use EPSG:n, GCJ-02 or BD-09)")
    try:
        crs = CRS.from_user_input(text)
        _transformer(text, WGS84)
    except (CRSError, ProjError) as exc:
        raise UnknownCrs(f"unknown CRS {text[:80]!r}") from exc
    if crs.is_geographic and crs.ellipsoid is None:
        raise UnknownCrs(f"{text[:80]!r} has no ellipsoid")
    code = crs.to_epsg(min_confidence=90)
    return f"EPSG:{code}" if code else text


def label(crs: str) -> str:
    """A short human name: "EPSG:4490 (China Geodetic Coordinate System 2000)", "GCJ-02"."""
    if crs in OFFSET_CRS:
        return crs
    try:
        name = CRS.from_user_input(crs).name
    except CRSError:
        return crs
    return f"{crs} ({name})" if crs.upper().startswith("EPSG:") else name


_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> Transformer:
    """A cached always_xy transformer between two CRS definitions."""
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def to_wgs84(crs: str | int, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Transform x/y (easting/longitude first, whatever the CRS axis order) into WGS84 lon/lat."""
    if crs == GCJ02:
        return gcj02_to_wgs84(x, y)
    if crs == BD09:
        return bd09_to_wgs84(x, y)
    t = _transformer(_code(crs), WGS84)
    lon, lat = t.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def from_wgs84(crs: str | int, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Transform WGS84 lon/lat into x/y (easting/longitude first) in the given CRS."""
    if crs == GCJ02:
        return wgs84_to_gcj02(lon, lat)
    if crs == BD09:
        return wgs84_to_bd09(lon, lat)
    t = _transformer(WGS84, _code(crs))
    x, y = t.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _code(crs: str | int) -> str:
    """Normalise 4547, "4547", "EPSG:4547" or a URN into something pyproj accepts."""
    if isinstance(crs, int) or str(crs).isdigit():
        return f"EPSG:{crs}"
    return str(crs)


def is_geographic(crs: str | int) -> bool:
    """Whether the CRS is in degrees (lon/lat) rather than projected metres."""
    if crs in OFFSET_CRS:
        return True
    return bool(CRS.from_user_input(_code(crs)).is_geographic)


def utm_epsg(lon: float, lat: float) -> int:
    """The WGS84 UTM zone EPSG code covering a point (used for metric analysis)."""
    zone = min(60, max(1, int((lon + 180.0) // 6.0) + 1))
    return (32600 if lat >= 0 else 32700) + zone


def metric_crs(lon: float, lat: float) -> str:
    """EPSG:4547 inside its 112.5-115.5 E zone (Guangzhou), else the local UTM zone."""
    if 112.5 <= lon <= 115.5 and 15.0 <= lat <= 45.0:
        return "EPSG:4547"
    return f"EPSG:{utm_epsg(lon, lat)}"


def out_of_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    """Points outside the rough China box, where GCJ-02 applies no offset."""
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (degrees) added to a WGS84 point."""
    x = lon - 105.0
    y = lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * math.pi) + 320.0 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * math.pi)
    return dlon, dlat


def _arr(v: float | FloatArray) -> FloatArray:
    """A float array view of a scalar or array."""
    return np.asarray(v, dtype=float)


def wgs84_to_gcj02(
    lon: float | FloatArray, lat: float | FloatArray
) -> tuple[FloatArray, FloatArray]:
    """WGS84 to GCJ-02 (Amap, Tencent); points outside China are returned unchanged."""
    lo, la = _arr(lon), _arr(lat)
    dlon, dlat = _delta(lo, la)
    outside = out_of_china(lo, la)
    return np.where(outside, lo, lo + dlon), np.where(outside, la, la + dlat)


def gcj02_to_wgs84_once(
    lon: float | FloatArray, lat: float | FloatArray
) -> tuple[FloatArray, FloatArray]:
    """One-step GCJ-02 inverse (subtract the offset at the GCJ point): off by metres."""
    lo, la = _arr(lon), _arr(lat)
    dlon, dlat = _delta(lo, la)
    outside = out_of_china(lo, la)
    return np.where(outside, lo, lo - dlon), np.where(outside, la, la - dlat)


def gcj02_to_wgs84(
    lon: float | FloatArray, lat: float | FloatArray, tol_deg: float = 1e-9, max_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 to WGS84 by fixed-point iteration until the forward error is under ~1 mm."""
    glo, gla = _arr(lon), _arr(lat)
    wlo, wla = gcj02_to_wgs84_once(glo, gla)
    for _ in range(max_iter):
        flo, fla = wgs84_to_gcj02(wlo, wla)
        elo, ela = flo - glo, fla - gla
        wlo, wla = wlo - elo, wla - ela
        if (
            float(np.max(np.abs(elo), initial=0.0)) < tol_deg
            and float(np.max(np.abs(ela), initial=0.0)) < tol_deg
        ):
            break
    return wlo, wla


def gcj02_to_bd09(
    lon: float | FloatArray, lat: float | FloatArray
) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 to BD-09 (Baidu)."""
    x, y = _arr(lon), _arr(lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(
    lon: float | FloatArray, lat: float | FloatArray
) -> tuple[FloatArray, FloatArray]:
    """BD-09 (Baidu) to GCJ-02, iterated so the round trip is sub-centimetre."""
    blo, bla = _arr(lon), _arr(lat)
    x, y = blo - 0.0065, bla - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    glo, gla = z * np.cos(theta), z * np.sin(theta)
    for _ in range(10):
        flo, fla = gcj02_to_bd09(glo, gla)
        glo, gla = glo - (flo - blo), gla - (fla - bla)
    return glo, gla


def wgs84_to_bd09(
    lon: float | FloatArray, lat: float | FloatArray
) -> tuple[FloatArray, FloatArray]:
    """WGS84 to BD-09 through GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(
    lon: float | FloatArray, lat: float | FloatArray
) -> tuple[FloatArray, FloatArray]:
    """BD-09 to WGS84 through GCJ-02 (both inverses iterated)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))
