"""Incremental builds: a key for everything that shapes a PDF, and the manifest of outputs.

A PDF is rebuilt only when its key changes. The key covers the leaflet source, the
catalogs it uses, the templates and styles, the render options, the engine (WeasyPrint,
Pango, pydyf, pikepdf, fontTools, Babel, Jinja2 and leafletgen's own code), the font
files of the locale and ``SOURCE_DATE_EPOCH``. The manifest (``manifest.json`` next
to the outputs) records per PDF its key, sha256, size and build time.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .files import atomic_write_bytes

MANIFEST = "manifest.json"
_LOCK = ".manifest.lock"
_PACKAGE_DIR = Path(__file__).parent


@cache
def engine_fingerprint() -> str:
    """Versions of everything that renders, and a digest of leafletgen's own code."""
    installed = _installed_versions()
    parts = [f"{dist}={installed.get(dist, '?')}" for dist in
             ("weasyprint", "pydyf", "tinycss2", "tinyhtml5", "pikepdf", "fonttools", "babel", "jinja2", "pyphen")]
    parts.append(f"pango={_pango_version()}")
    code = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.glob("*.py")):
        code.update(path.name.encode() + b"\0" + path.read_bytes())
    parts.append(f"leafletgen={code.hexdigest()}")
    return ";".join(parts)


def _installed_versions() -> dict[str, str]:
    """Distribution versions from the *.dist-info folder names on sys.path.

    Much cheaper than importlib.metadata (whose import alone costs ~30 ms per run).
    """
    versions: dict[str, str] = {}
    for entry in sys.path:
        for info in Path(entry or ".").glob("*.dist-info") if Path(entry or ".").is_dir() else ():
            name, _, version = info.name[: -len(".dist-info")].partition("-")
            versions.setdefault(name.lower().replace("_", "-"), version)
    return versions


def _pango_version() -> str:
    try:
        pango = ctypes.CDLL("libpango-1.0.so.0")
        pango.pango_version_string.restype = ctypes.c_char_p
        return pango.pango_version_string().decode()
    except (OSError, AttributeError):
        return "unknown"


def digest_files(paths: Iterable[Path], *, root: Path | None = None) -> str:
    """One digest over the names and contents of files (a missing file counts as absent).

    Names are taken relative to ``root`` when given, so two clones in different
    folders agree.
    """
    h = hashlib.sha256()
    for path in paths:
        name = path.relative_to(root).as_posix() if root is not None and path.is_relative_to(root) else str(path)
        h.update(name.encode() + b"\0")
        with contextlib.suppress(FileNotFoundError):
            h.update(path.read_bytes())
        h.update(b"\1")
    return h.hexdigest()


def key_of(parts: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True)
class Entry:
    key: str
    sha256: str
    size: int
    seconds: float
    #: Digest of the leaflet source and catalogs the PDF was made from (the unit's content).
    content: str = ""


class Manifest:
    """``manifest.json`` in the output folder: output path (relative) -> Entry."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.entries: dict[str, Entry] = self._read()

    @property
    def path(self) -> Path:
        return self.out_dir / MANIFEST

    def _read(self) -> dict[str, Entry]:
        return {name: Entry(**value) for name, value in self._raw().get("outputs", {}).items()}

    def _raw(self) -> dict[str, dict[str, Any]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            for value in raw.get("outputs", {}).values():
                Entry(**value)  # shape check: a damaged manifest is rebuilt, never trusted
            return {"outputs": dict(raw.get("outputs", {})), "withdrawn": dict(raw.get("withdrawn", {}))}
        except (OSError, ValueError, TypeError, AttributeError):
            return {"outputs": {}, "withdrawn": {}}

    def is_current(self, output: Path, key: str) -> bool:
        """True when ``output`` exists, was built from ``key`` and is intact."""
        entry = self.entries.get(self._name(output))
        if entry is None or entry.key != key:
            return False
        try:
            if output.stat().st_size != entry.size:
                return False
        except OSError:
            return False
        return sha256_file(output) == entry.sha256

    def _name(self, output: Path) -> str:
        return output.relative_to(self.out_dir).as_posix()

    def record(self, built: Iterable[tuple[Path, Entry]], withdrawn: dict[str, str] | None = None) -> None:
        """Merge new entries and withdrawals (output name -> reason) into the manifest, under a lock.

        A withdrawn output leaves "outputs" and is listed under "withdrawn" with its
        reason and time, until it is built again.
        """
        updates = {self._name(path): entry for path, entry in built}
        withdrawn = withdrawn or {}
        if not updates and not withdrawn:
            return
        with self._locked():
            raw = self._raw()
            outputs, gone = raw["outputs"], raw["withdrawn"]
            for name, reason in withdrawn.items():
                outputs.pop(name, None)
                gone[name] = {"reason": reason, "time": _now()}
            for name, entry in updates.items():
                outputs[name] = vars(entry)
                gone.pop(name, None)
            data = {"outputs": dict(sorted(outputs.items())), "withdrawn": dict(sorted(gone.items()))}
            atomic_write_bytes(self.path, json.dumps(data, indent=2, ensure_ascii=False).encode() + b"\n")
            self.entries = {name: Entry(**value) for name, value in data["outputs"].items()}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with open(self.out_dir / _LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _now() -> str:
    from .catalogs import now

    return now().strftime("%Y-%m-%dT%H:%M:%SZ")


def build_environment() -> str:
    """Environment that changes output: SOURCE_DATE_EPOCH (dates in the PDF)."""
    return os.environ.get("SOURCE_DATE_EPOCH", "")
