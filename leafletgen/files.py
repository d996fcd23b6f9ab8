"""Atomic file output (a file appears at its final path only when complete) and the cache folder."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from leafletgen.errors import LeafletError, Problem

T = TypeVar("T")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a unique temporary file in the same folder.

    The temporary file is flushed and fsynced, then renamed over ``path``; on any
    error it is removed and ``path`` keeps its previous content.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path.parent)) from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # name the file the user asked for, not our temporary
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def read_regular_file(path: Path, name: str, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit``, or a one-line LeafletError.

    A FIFO would block, a device may never end (or act on open), a directory cannot be read:
    the path is checked before opening, and the open file again (fstat) in case the path was
    swapped meanwhile; O_NONBLOCK keeps even a swapped-in FIFO from hanging ``open``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        _regular(os.stat(path), name, limit)
        with open(os.open(path, flags), "rb") as stream:
            _regular(os.fstat(stream.fileno()), name, limit)
            data = stream.read(limit + 1)
    except OSError as exc:
        raise LeafletError(Problem(name, "", f"cannot read: {exc.strerror or exc}")) from None
    if len(data) > limit:  # it grew since fstat
        raise LeafletError(Problem(name, "", f"file too large (over {limit} bytes, limit {limit})"))
    return data


def _regular(info: os.stat_result, name: str, limit: int) -> None:
    mode = info.st_mode
    if not stat.S_ISREG(mode):
        kind = ("a directory" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "a device")
        raise LeafletError(Problem(name, "", f"not a regular file (it is {kind})"))
    if info.st_size > limit:
        raise LeafletError(Problem(name, "", f"file too large ({info.st_size} bytes, limit {limit})"))


def cache_dir() -> Path:
    """Per-user cache of answers that are slow to compute and keyed by their inputs
    (fonts, template messages, compiled templates)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leafletgen"


def disk_cached(name: str, compute: Callable[[], T], encode: Callable[[T], bytes],
                decode: Callable[[bytes], T]) -> T:
    """``compute()``, kept in the cache folder as ``name``; the name must carry every input.

    A missing or unreadable file, or one ``decode`` refuses (any exception), is computed
    anew and rewritten; a read-only cache folder only costs the computation next time.
    """
    path = cache_dir() / name
    try:
        return decode(path.read_bytes())
    except Exception:  # a damaged cache entry is never the user's problem
        pass
    value = compute()
    with contextlib.suppress(OSError):
        atomic_write_bytes(path, encode(value))
    return value
