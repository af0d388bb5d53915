"""Encoded operations-view bodies kept until what they were built from changes.

Every console of the centre loads the same 3,000 community outlines, 5,000 shelters and
20,000 cameras; each body is rebuilt only when a cheap stamp of its source rows (row count,
version sum, last change) differs from the one it was built at. The cache itself is the
app's common view cache (`console.viewcache`), shared with the list endpoints.
"""

from __future__ import annotations

from console.viewcache import SIZE, ViewCache, cache_of

__all__ = ["SIZE", "ViewCache", "cache_of"]
