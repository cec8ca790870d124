"""Snapshots of the catalog's arrays on disk, keyed by catalog version, so a new process loads a
big catalog's index in a fraction of a second instead of reading every row from the database.

One ``.npz`` file (ids, points, artist codes; no pickles) per version in ``VAR_DIR/catalog-index``.
A new version is a new file name, so a changed catalog can never be served from an old snapshot;
writing a new snapshot removes the others. Files are written to a temporary name and renamed, so a
reader never sees half a file. Small catalogs are not snapshotted: reading them is already fast.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)

MIN_SONGS = 20_000  # below this, reading the rows takes less than loading a file would save
_VERSION = re.compile(r"^[0-9a-f]{32}$")  # CatalogState tokens (uuid4 hex); not the empty catalog's "0"

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


def folder() -> Path:
    return Path(settings.VAR_DIR) / "catalog-index"


def _path(version: str) -> Path | None:
    return folder() / f"{version}.npz" if _VERSION.match(version) else None


def load(version: str) -> Arrays | None:
    """The arrays of catalog ``version`` (ids, points, artist codes), or None when there is no usable snapshot."""
    path = _path(version)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["version"]) != version:
                return None
            ids, points, artists = data["ids"], data["points"], data["artists"]
    except (OSError, ValueError, KeyError):  # removed meanwhile, truncated, or not ours: read the database
        logger.warning("ignoring an unreadable catalog snapshot", extra={"catalog_version": version})
        return None
    if not (len(ids) == len(points) == len(artists)) or points.shape[1:] != (2,):
        return None
    return ids, points, artists


def save(version: str, ids: np.ndarray, points: np.ndarray, artists: np.ndarray) -> Path | None:
    """Write the snapshot of ``version`` (when the catalog is big enough) and remove the other versions'."""
    path = _path(version)
    if path is None or len(ids) < MIN_SONGS:
        return None
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", suffix=".npz", delete=False) as handle:
            temporary = Path(handle.name)
            np.savez(handle, version=np.array(version), ids=ids, points=points, artists=artists)
        os.replace(temporary, path)
        for other in path.parent.glob("*.npz"):  # other versions' (a concurrent writer's temporary file starts with ".")
            if other != path and not other.name.startswith("."):
                other.unlink(missing_ok=True)
    except OSError:  # a read-only or full disk costs only the next process's start-up time
        logger.warning("could not write the catalog snapshot", exc_info=True, extra={"catalog_version": version})
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        return None
    return path
