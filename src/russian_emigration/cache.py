"""The cache folder the report runner and the loader share, and the loader's cache of validated tables.

Everything here is an optimisation that may fail: an entry that is missing, unreadable, truncated
or corrupt (its checksum does not match) is ignored and rebuilt, and a cache folder that cannot be
written only means nothing is cached. Entries are written to a temporary file and renamed into
place, so a reader never sees half an entry.

The cache holds pickles, which run code when read: it lives in the user's own cache folder (or
``$RUSSIAN_EMIGRATION_CACHE``), which only the user should be able to write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import sys
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

#: Bumped when the layout of a cached dataset changes, so old entries are never read.
DATASET_FORMAT = b"russian-emigration-dataset-1\n"
#: Validated datasets kept in the cache (the most recently used ones).
DATASET_ENTRIES = 16
_DIGEST_SIZE = hashlib.sha256().digest_size


def cache_dir() -> Path:
    """The cache folder: $RUSSIAN_EMIGRATION_CACHE, else ``russian-emigration`` in $XDG_CACHE_HOME or ~/.cache.

    It holds ``notebooks/`` (executed notebooks), ``sites/`` (rendered sites), ``datasets/``
    (validated data packages) and ``parameters/`` (the parameters each notebook declares).
    """
    explicit = os.environ.get("RUSSIAN_EMIGRATION_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "russian-emigration"


def datasets_dir() -> Path:
    """Where validated datasets are cached: ``datasets/`` inside :func:`cache_dir`."""
    return cache_dir() / "datasets"


_CODE_DIGEST: list[str] = []


def _code_digest() -> str:
    """A digest of this package's modules and schemas (its version included): new code never reads old entries."""
    if not _CODE_DIGEST:
        digest = hashlib.sha256()
        for path in sorted([*Path(__file__).parent.glob("*.py"), *Path(__file__).parent.glob("*.json")]):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        _CODE_DIGEST.append(digest.hexdigest())
    return _CODE_DIGEST[0]


def text_key(*texts: str) -> str:
    """A cache key of some texts and this package's code."""
    digest = hashlib.sha256(_code_digest().encode())
    for text in texts:
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()


def dataset_key(descriptor: dict[str, Any], resources: Sequence[tuple[str, Path]], newest: date) -> str | None:
    """The cache key of a data package: the parsed descriptor (the one the tables are validated
    against), every resource file's bytes, the date bound, this package's code and the versions of
    pandas, numpy and Python.

    None when a resource file is not a regular file or cannot be read: the loader then reports it.
    """
    import numpy as np
    import pandas as pd

    digest = hashlib.sha256(DATASET_FORMAT)
    versions = (_code_digest(), pd.__version__, np.__version__, sys.version, newest.isoformat())
    digest.update(repr(versions).encode() + b"\0")
    try:
        digest.update(hashlib.sha256(json.dumps(descriptor, sort_keys=True, default=repr).encode()).digest())
        for name, path in resources:
            if not path.is_file():  # a folder, a pipe (reading it could block) or a missing file
                return None
            digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def read_dataset(key: str, names: Sequence[str]) -> dict[str, Any] | None:
    """The cached tables of ``key`` (a dict of DataFrames named ``names``, in order), or None.

    An entry whose checksum, key or content does not match is removed, and None returned.
    """
    entry = datasets_dir() / f"{key}.pickle"
    try:
        data = entry.read_bytes()
    except OSError:
        return None
    tables = _unpack(data, key)
    if tables is None or list(tables) != list(names):
        with contextlib.suppress(OSError):
            entry.unlink(missing_ok=True)
        return None
    with contextlib.suppress(OSError):
        os.utime(entry)  # recently used: kept when the cache is pruned
    return tables


def _unpack(data: bytes, key: str) -> dict[str, Any] | None:
    """The tables in an entry's bytes, or None when the entry is corrupt or belongs to another key."""
    import pandas as pd

    head = len(DATASET_FORMAT) + _DIGEST_SIZE
    checksum, payload = data[len(DATASET_FORMAT) : head], data[head:]
    if not data.startswith(DATASET_FORMAT) or hashlib.sha256(payload).digest() != checksum:
        return None
    try:
        stored_key, tables = pickle.loads(payload)  # the user's own cache folder, checksummed
    except Exception:  # a corrupt entry is rebuilt, whatever unpickling raised
        return None
    if stored_key != key or not isinstance(tables, dict):
        return None
    if not all(isinstance(name, str) and isinstance(frame, pd.DataFrame) for name, frame in tables.items()):
        return None
    return tables


def write_dataset(key: str, tables: dict[str, Any]) -> None:
    """Store validated tables under ``key`` (atomically) and keep only the newest entries."""
    folder = datasets_dir()
    payload = pickle.dumps((key, tables), protocol=pickle.HIGHEST_PROTOCOL)
    partial = folder / f".{key}.{uuid.uuid4().hex}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(DATASET_FORMAT + hashlib.sha256(payload).digest() + payload)
        partial.replace(folder / f"{key}.pickle")
        entries = sorted(folder.glob("*.pickle"), key=_mtime, reverse=True)
        for stale in entries[DATASET_ENTRIES:]:
            stale.unlink(missing_ok=True)
    except OSError:  # not writable: nothing cached
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed by another process meanwhile
        return 0.0


def read_json(kind: str, key: str) -> Any:
    """The JSON value stored under ``kind/key``, or None when missing or unreadable."""
    try:
        return json.loads((cache_dir() / kind / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(kind: str, key: str, value: Any, keep: int = 64) -> None:
    """Store a JSON value under ``kind/key`` (atomically), keeping the ``keep`` newest entries of ``kind``.

    A cache that cannot be written is no error: nothing is stored.
    """
    folder = cache_dir() / kind
    partial = folder / f".{key}.{uuid.uuid4().hex}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(value), encoding="utf-8")
        partial.replace(folder / f"{key}.json")
        for stale in sorted(folder.glob("*.json"), key=_mtime, reverse=True)[keep:]:
            stale.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
