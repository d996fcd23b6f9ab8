"""The shared PDF cache: a folder (on shared storage) of PDFs by build key, written atomically.

A unit rendered once anywhere (a build on this machine, a cluster worker, the server's
renders through the cluster) is served everywhere that sees the folder. The build key
(keys.py) covers everything that shapes the PDF and names files project-relative, so
two clones, two machines and the server agree on it.

Layout: ``<folder>/<key[:2]>/<key>.pdf`` and, next to it, ``<key>.json`` (sha256, size,
where and how long it was rendered). Each is written atomically (files.atomic_write_bytes:
temporary file, fsync, rename); the record is written last and is what makes the entry
count, and a read checks the PDF's size and sha256 against it. So a writer killed half way,
two writers racing on one key (they write the same bytes) or a damaged file on the share
cost a render, never a wrong PDF.

Why a folder and not fsspec: an NFS or SMB share is what a pharmacy chain's IT runs, an
object store can be mounted as one (s3fs, gcsfuse, rclone), and the atomic rename is then
the storage's own. fsspec's local and network file systems write in place (no atomic
rename), and it is not one of our own dependencies (only dask's).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from leafletgen.files import atomic_write_bytes


@dataclass(frozen=True)
class Cached:
    pdf: bytes
    sha256: str
    #: Where it was rendered first ("local", "cluster tcp://10.0.0.7:38215 (host pid 4242)").
    origin: str
    seconds: float


class SharedCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, key: str) -> tuple[Path, Path]:
        if len(key) < 16 or not all(c in "0123456789abcdef" for c in key):  # a build key: sha256 hex
            raise ValueError(f"not a build key: {key[:80]!r}")
        base = self.folder / key[:2] / key
        return base.with_suffix(".pdf"), base.with_suffix(".json")

    def get(self, key: str) -> Cached | None:
        """The PDF of ``key``, if an intact entry is there; None otherwise (never raises for the cache's state)."""
        pdf_path, record_path = self._paths(key)
        try:
            record = json.loads(record_path.read_bytes())
            data = pdf_path.read_bytes()
            if len(data) != record["size"] or hashlib.sha256(data).hexdigest() != record["sha256"]:
                return None  # damaged, or replaced half way by a writer of another version: render again
            return Cached(data, record["sha256"], str(record.get("origin", "")), float(record.get("seconds", 0)))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, pdf: bytes, origin: str, seconds: float) -> bool:
        """Store the PDF of ``key``; False if the folder cannot be written (a cache only ever costs time)."""
        pdf_path, record_path = self._paths(key)
        record = {"sha256": hashlib.sha256(pdf).hexdigest(), "size": len(pdf), "origin": origin,
                  "seconds": round(seconds, 3)}
        with contextlib.suppress(OSError):
            atomic_write_bytes(pdf_path, pdf)
            atomic_write_bytes(record_path, json.dumps(record, sort_keys=True).encode() + b"\n")
            return True
        return False
