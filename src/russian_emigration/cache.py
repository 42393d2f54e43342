"""The cache of executed notebooks: one folder of JSON notebooks, one key, one atomic write. An entry is used only
if its key matches, its cells are the notebook's own and its outputs hold only markup this package writes (no
script, handler or link that runs code); else it is a miss. Each problem gives one note."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import uuid
from collections.abc import Callable, Iterable, Mapping
from html.parser import HTMLParser
from importlib.metadata import version
from pathlib import Path
from typing import Any

#: Executed notebooks kept (the most recently written ones).
ENTRIES = 32
#: What outputs of this package's code hold (HTML, then SVG); anything else makes an entry untrusted.
TAGS = {"a", "br", "code", "details", "div", "strong", "figcaption", "figure", "li", "p", "span", "summary", "table"}
TAGS |= {"tbody", "td", "th", "thead", "tr", "ul"}
TAGS |= {"svg", "g", "path", "use", "defs", "clippath", "text", "title", "rect"}
ATTRIBUTES = {"class", "id", "href", "download", "title", "scope", "style", "tabindex", "role", "aria-label"}
ATTRIBUTES |= {"d", "x", "y", "transform", "clip-path", "viewbox", "xmlns", "version", "width", "height"}
LINKS = ("http", "#", "sources.html", "data:text/csv")


def cache_dir() -> Path:
    """$RUSSIAN_EMIGRATION_CACHE, else ``russian-emigration`` in $XDG_CACHE_HOME or ~/.cache."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "russian-emigration"
    return Path(os.environ.get("RUSSIAN_EMIGRATION_CACHE") or default)


def notebook_key(notebook: Path, parameters: Mapping[str, Any], data_files: Iterable[Path], data_root: Path) -> str:
    """A digest of the notebook, the data package's files (by path in it), the values, this code and versions."""
    versions = [platform.python_version(), *(version(n) for n in ("pandas", "matplotlib", "numpy", "papermill"))]
    digest = hashlib.sha256(json.dumps([versions, dict(parameters)], sort_keys=True, default=str).encode())
    for path in [notebook, *sorted(Path(__file__).parent.glob("*.py"))]:  # new code never reads old entries
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for path in sorted(data_files):
        digest.update(str(path.relative_to(data_root)).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def read(key: str, source: Any, note: Callable[[str], None]) -> Any | None:
    """The executed notebook stored under ``key``, checked against its ``source`` notebook; None if absent or bad."""
    import nbformat  # slow to import: only builds need it

    entry = cache_dir() / "notebooks" / f"{key}.ipynb"
    if not entry.is_file():
        return None
    with contextlib.suppress(Exception):  # whatever a damaged entry makes nbformat raise, it is a miss
        nb = nbformat.read(entry, as_version=4)
        nbformat.validate(nb)
        if nb.metadata.pop("cache_key", None) == key and _matches(nb, source):
            return nb
    note(f"note: ignored a damaged or foreign cache entry ({entry.name}); running the notebook again")
    with contextlib.suppress(OSError):
        entry.unlink()
    return None


def _matches(nb: Any, source: Any) -> bool:
    """The entry's cells are the source's (papermill's injected parameters aside), its outputs trusted."""
    cells = [(c.cell_type, c.source) for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    outputs = [o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])]
    trusted = all("<" not in d.get("text/markdown", "") and _Audit(d.get("text/html", "")).ok for d in outputs)
    return trusted and cells == [(c.cell_type, c.source) for c in source.cells]


class _Audit(HTMLParser):
    """Whether ``markup`` holds only the elements, attributes and links this package's outputs use."""

    def __init__(self, markup: str | list[str]) -> None:
        super().__init__()
        self.ok = True
        self.feed("".join(markup))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        links = [(value or "").strip().lower() for name, value in attrs if name == "href"]
        self.ok &= tag in TAGS and {name for name, _ in attrs} <= ATTRIBUTES and all(u.startswith(LINKS) for u in links)


def write(key: str, nb: Any, note: Callable[[str], None]) -> None:
    """Store an executed notebook under ``key`` (atomically) and keep the :data:`ENTRIES` newest."""
    import nbformat  # slow to import: only builds need it

    copy = nbformat.from_dict({**nb, "metadata": {**nb.metadata, "cache_key": key}})
    folder = cache_dir() / "notebooks"
    partial = folder / f".{key}.{uuid.uuid4().hex}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_text(nbformat.writes(copy), encoding="utf-8")
        partial.replace(folder / f"{key}.ipynb")
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        note(f"note: the notebook cache in {folder} cannot be written ({exc.strerror or exc}); building without it")
        return
    with contextlib.suppress(OSError):  # an entry another build removed meanwhile: pruned next time
        for stale in sorted(folder.glob("*.ipynb"), key=lambda p: p.stat().st_mtime, reverse=True)[ENTRIES:]:
            stale.unlink()
