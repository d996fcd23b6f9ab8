"""The manifest of outputs (``manifest.json`` next to them): per PDF its build key, sha256,
size, build time, content digest and origin (where it was rendered), and the PDFs withdrawn
with their reason.

A PDF is rebuilt only when its key changes (build/keys.py says what the key covers).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leafletgen.files import atomic_write_bytes
from leafletgen.runtime import now

MANIFEST = "manifest.json"
_LOCK = ".manifest.lock"


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
    #: Where the PDF came from: "local" (this machine's worker processes), "cluster <worker
    #: address> (<host> pid <n>)" (a Dask worker; "after N attempts" if one was lost), or
    #: "cache: <where it was first rendered>" (the shared cache, cache.py).
    origin: str = ""


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
    return now().strftime("%Y-%m-%dT%H:%M:%SZ")
