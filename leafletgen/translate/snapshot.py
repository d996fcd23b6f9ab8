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
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from leafletgen.content.blocks import Figure
from leafletgen.content.model import Leaflet
from leafletgen.content.source import parse_leaflet
from leafletgen.content.yamlnodes import MAX_SOURCE_BYTES
from leafletgen.errors import LeafletError, Problem, UsageError
from leafletgen.files import read_regular_file
from leafletgen.project import Project
from leafletgen.translate.catalogs import SOURCE_LOCALE, LeafletCatalog, parse_catalog, po_path

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


def load_leaflets(source: Project | Snapshot, ids: Iterable[str] | None = None) -> list[Leaflet]:
    """Load and validate the selected leaflets; every problem of every file at once."""
    loaded = load_each_leaflet(source, ids)
    problems = [p for item in loaded.values() if isinstance(item, LeafletError) for p in item.problems]
    if problems:
        raise LeafletError(problems)
    return [item for item in loaded.values() if isinstance(item, Leaflet)]


def load_each_leaflet(source: Project | Snapshot, ids: Iterable[str] | None = None
                      ) -> dict[str, Leaflet | LeafletError]:
    """The selected leaflets by id, each either loaded or the error that fails its units alone."""
    snapshot = Snapshot.of(source)
    project = snapshot.project
    paths = {p.stem: p for p in project.leaflet_paths()}
    wanted = list(ids) if ids else list(paths)
    unknown = [i for i in wanted if i not in paths]
    if unknown:
        raise UsageError(f"unknown leaflet {', '.join(map(repr, unknown))} (known: {', '.join(paths) or 'none'})")
    if not wanted:
        raise UsageError(f"no leaflet sources in {project.display(project.leaflets_dir)}")
    loaded: dict[str, Leaflet | LeafletError] = {}
    for ident in wanted:
        try:
            loaded[ident] = cached_leaflet(snapshot, ident)
        except LeafletError as exc:
            loaded[ident] = exc
    return loaded


def cached_leaflet(source: Project | Snapshot, leaflet_id: str) -> Leaflet:
    """A leaflet by id, from the snapshot's bytes (parsed once per process while they are unchanged),
    with every figure it shows present in the snapshot."""
    snapshot = Snapshot.of(source)
    path = snapshot.project.leaflets_dir / f"{leaflet_id}.yaml"
    data = snapshot.read(path)
    if data is None:
        raise UsageError(f"unknown leaflet {leaflet_id!r}")
    leaflet = _parsed_leaflet(data, snapshot.name(path), leaflet_id)
    missing = []
    for figure, figure_path in zip(figures(leaflet), figure_paths(snapshot.project, leaflet), strict=True):
        try:
            absent = snapshot.read(figure_path) is None
        except LeafletError as exc:
            missing += [replace(p, file=snapshot.name(path), line=figure.alt.line,
                                reason=f"figure {figure.image}: {p.reason}") for p in exc.problems]
            continue
        if absent:
            missing.append(Problem(snapshot.name(path), "figure", f"no such file {snapshot.name(figure_path)} "
                                   f"(figures are files in the leaflets folder)", figure.alt.line))
    if missing:
        raise LeafletError(missing)
    return leaflet


def figures(leaflet: Leaflet) -> list[Figure]:
    """The leaflet's figures, in document order."""
    return [block for section in (leaflet.key_warning, *leaflet.sections) for block in section.blocks
            if isinstance(block, Figure)]


def figure_paths(project: Project, leaflet: Leaflet) -> list[Path]:
    return [project.leaflets_dir / figure.image for figure in figures(leaflet)]


def figure_data(source: Project | Snapshot, figure: Figure) -> bytes:
    """A figure's bytes from the snapshot (cached_leaflet has checked it is there)."""
    snapshot = Snapshot.of(source)
    data = snapshot.read(snapshot.project.leaflets_dir / figure.image)
    if data is None:
        raise LeafletError(Problem(figure.image, "", "figure file not found"))
    return data


@lru_cache(maxsize=32)
def _parsed_leaflet(data: bytes, name: str, leaflet_id: str) -> Leaflet:
    return parse_leaflet(data, name, expected_id=leaflet_id)  # immutable, so safe to share


def load_catalog(source: Project | Snapshot, locale: str, domain: str) -> LeafletCatalog | None:
    """The PO for locale+domain from the snapshot, or None when there is none (English needs none).

    Read-only and shared: parsed once per process while its bytes are unchanged.
    """
    snapshot = Snapshot.of(source)
    if locale == SOURCE_LOCALE:
        return None
    path = po_path(snapshot.project.locales_dir, locale, domain)
    data = snapshot.read(path)
    return None if data is None else _parsed_catalog(data, snapshot.name(path))


@lru_cache(maxsize=64)
def _parsed_catalog(data: bytes, name: str) -> LeafletCatalog:
    return parse_catalog(data, name)
