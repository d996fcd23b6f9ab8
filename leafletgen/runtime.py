"""Facts of this run that shape output: the time, the engine, digests of inputs.

- ``now()``: the build time, ``SOURCE_DATE_EPOCH`` when set (reproducible PDFs).
- ``engine_fingerprint()``: the versions of everything that renders and a digest of
  leafletgen's own code, part of every build key.
- ``digest_files`` and ``key_of``: digests with project-relative names, so two clones
  in different folders agree.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).parent


def now() -> datetime:
    """The build time: ``SOURCE_DATE_EPOCH`` when set, for reproducible output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


@cache
def engine_fingerprint() -> str:
    """Versions of everything that renders, and a digest of leafletgen's own code."""
    installed = _installed_versions()
    parts = [f"{dist}={installed.get(dist, '?')}" for dist in
             ("weasyprint", "pydyf", "tinycss2", "tinyhtml5", "pikepdf", "fonttools", "babel", "jinja2", "pyphen")]
    parts.append(f"pango={_pango_version()}")
    code = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        code.update(path.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
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


def build_environment() -> str:
    """Environment that changes output: SOURCE_DATE_EPOCH (dates in the PDF)."""
    return os.environ.get("SOURCE_DATE_EPOCH", "")
