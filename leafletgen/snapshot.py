"""A snapshot of a project's inputs: each file read once, as bytes, with limits.

A build, a status run and each server request work on one snapshot. Validation, the
warnings gate, the build key, the render and the manifest all see the same bytes, so
a file saved in the middle (a translator's editor, a ``git pull``) is either wholly
in this run or wholly in the next, never checked in one version and printed in
another. A worker process gets the bytes it needs with its job (``Snapshot.sealed``),
and never reads those files again.

Reading refuses what a project file cannot be: anything but a regular file (a FIFO
would block, a device never ends; see files.read_regular_file), a file over the size
limit, and a link that leads outside the project. Errors name the file and the
reason, never its contents.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .errors import LeafletError, Problem
from .files import read_regular_file
from .project import Project
from .source import MAX_SOURCE_BYTES

#: Catalogs and other inputs: far larger than any real one (the biggest PO today is ~60 KB).
#: Leaflet sources have their own, smaller limit (source.MAX_SOURCE_BYTES).
MAX_INPUT_BYTES = 4 * 1024 * 1024

Files = dict[str, bytes | None]


class Snapshot:
    """Project files by project-relative path; ``None`` records that a file is absent."""

    def __init__(self, project: Project, files: Files | None = None, *, sealed: bool = False) -> None:
        self.project = project
        self._files: Files = dict(files or {})
        self._errors: dict[str, LeafletError] = {}
        self._root = project.root.resolve()
        self.sealed = sealed

    @classmethod
    def of(cls, source: Project | Snapshot) -> Snapshot:
        return source if isinstance(source, Snapshot) else cls(source)

    def name(self, path: Path) -> str:
        """The project-relative name of ``path`` (the key of everything here)."""
        try:
            return path.relative_to(self.project.root).as_posix()
        except ValueError:
            return self.project.display(path)

    def read(self, path: Path) -> bytes | None:
        """The file's bytes as first read in this snapshot; ``None`` if it does not exist."""
        name = self.name(path)
        if name in self._files:
            return self._files[name]
        if name in self._errors:
            raise self._errors[name]
        if self.sealed:
            raise LeafletError(Problem(name, "", "not part of this render's snapshot"))
        limit = MAX_SOURCE_BYTES if path.suffix == ".yaml" else MAX_INPUT_BYTES
        try:
            data = _read_input(path, self._root, name, limit)
        except LeafletError as exc:
            self._errors[name] = exc
            raise
        self._files[name] = data
        return data

    def digest(self, path: Path) -> str:
        data = self.read(path)
        return "absent" if data is None else hashlib.sha256(data).hexdigest()

    def subset(self, paths: Iterable[Path]) -> Files:
        """The bytes of ``paths`` as read here, to send to a worker with its job."""
        return {self.name(p): self.read(p) for p in paths}


def _read_input(path: Path, root: Path, name: str, limit: int) -> bytes | None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LeafletError(Problem(name, "", f"cannot read: {exc.strerror}")) from None
    if stat.S_ISLNK(info.st_mode):
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise LeafletError(Problem(name, "", "is a broken or looping link")) from None
        if not target.is_relative_to(root):
            raise LeafletError(Problem(name, "", "is a link to a file outside the project")) from None
    return read_regular_file(path, name, limit)
