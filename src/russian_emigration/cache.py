"""The cache of executed notebooks: one folder of JSON notebooks, one key, one atomic write.

An entry is used only after it is checked: it parses as a notebook, its key matches, its cells are
the notebook's own, and its HTML and Markdown outputs hold nothing this package's code would not
write (no script, no event handler, no link that runs code). A bad entry is a miss, replaced, with
one note. A cache that cannot be read or written means a build without cache, with one note; no
partial file is left behind, and builds sharing the cache never fail because of each other.
Deleting the folder is always safe.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Callable, Iterable, Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

#: Executed notebooks kept (the most recently written ones).
ENTRIES = 32
#: What outputs of this package's code hold; anything else makes an entry untrusted.
TAGS = {
    "a", "br", "code", "details", "div", "figcaption", "figure", "li", "p", "span", "summary", "table", "tbody",
    "td", "th", "thead", "tr", "ul", "svg", "g", "path", "use", "defs", "clippath", "text", "title", "rect",
}  # fmt: skip
ATTRIBUTES = {
    "class", "id", "href", "download", "title", "scope", "style", "tabindex", "role", "aria-label", "d", "x", "y",
    "transform", "clip-path", "viewbox", "xmlns", "version", "width", "height",
}  # fmt: skip


def cache_dir() -> Path:
    """$RUSSIAN_EMIGRATION_CACHE, else ``russian-emigration`` in $XDG_CACHE_HOME or ~/.cache."""
    explicit = os.environ.get("RUSSIAN_EMIGRATION_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "russian-emigration"


@functools.cache
def _code_digest() -> str:
    """This package's code and the versions that change outputs: new code never reads old entries."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    versions = [platform.python_version(), *(version(n) for n in ("pandas", "matplotlib", "numpy", "papermill"))]
    digest.update(repr(versions).encode())
    return digest.hexdigest()


def notebook_key(notebook: Path, parameters: Mapping[str, Any], data_files: Iterable[Path], data_root: Path) -> str:
    """The key of an executed notebook: its bytes, every file of the data package (by its path in the
    package), the values it receives, this package's code and the Python, pandas and matplotlib versions."""
    digest = hashlib.sha256(_code_digest().encode())
    digest.update(hashlib.sha256(notebook.read_bytes()).digest())
    for path in sorted(data_files):
        digest.update(str(path.relative_to(data_root)).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    digest.update(json.dumps(dict(parameters), sort_keys=True, default=str).encode())
    return digest.hexdigest()


def read(key: str, source: Any, note: Callable[[str], None]) -> Any | None:
    """The executed notebook stored under ``key``, checked against its ``source`` notebook; None if absent or bad."""
    import nbformat

    entry = cache_dir() / "notebooks" / f"{key}.ipynb"
    try:
        text = entry.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        ok = nb.metadata.pop("cache_key", None) == key and _matches(nb, source)
    except Exception:  # whatever a damaged entry makes nbformat raise, it is a miss
        ok = False
    if not ok:
        note(f"note: ignored a damaged or foreign cache entry ({entry.name}); running the notebook again")
        with contextlib.suppress(OSError):
            entry.unlink()
        return None
    return nb


def _matches(nb: Any, source: Any) -> bool:
    """The entry's cells are the source's (papermill's injected parameters aside), its outputs trusted."""
    cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    if [(c.cell_type, c.source) for c in cells] != [(c.cell_type, c.source) for c in source.cells]:
        return False
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "<" in data.get("text/markdown", "") or not _trusted_html(data.get("text/html", "")):
                return False
    return True


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ok = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            url = (value or "").strip().lower()
            if name not in ATTRIBUTES or (
                name == "href" and not url.startswith(("http", "#", "sources.html", "data:text/csv"))
            ):
                self.ok = False
        self.ok &= tag in TAGS


def _trusted_html(markup: str | list[str]) -> bool:
    """Whether ``markup`` holds only the elements, attributes and links this package's outputs use."""
    audit = _Audit()
    audit.feed("".join(markup))
    return audit.ok


def write(key: str, nb: Any, note: Callable[[str], None]) -> None:
    """Store an executed notebook under ``key`` (atomically) and keep the :data:`ENTRIES` newest."""
    import nbformat

    folder = cache_dir() / "notebooks"
    partial = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(prefix=f".{key}.", suffix=".partial", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            copy = nbformat.from_dict(nb)
            copy.metadata["cache_key"] = key
            handle.write(nbformat.writes(copy))
        os.replace(partial, folder / f"{key}.ipynb")
        partial = None
        for stale in sorted(folder.glob("*.ipynb"), key=_mtime, reverse=True)[ENTRIES:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        note(f"note: the notebook cache in {folder} cannot be written ({exc.strerror or exc}); building without it")
    finally:
        if partial is not None:
            with contextlib.suppress(OSError):
                os.unlink(partial)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed by another build meanwhile
        return 0.0
