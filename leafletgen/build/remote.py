"""One unit on a cluster worker: from the snapshot's bytes and digests to a PDF, checked again first.

A :class:`Task` carries no path the worker would read: the build key, the templates digest,
the gate's verdict, and each input file by project-relative name with its sha256. The bytes
travel beside it (cluster.py sends each distinct file once per worker, by digest), and so do
the templates. Before it renders, the worker checks again:

1. every input's bytes against its digest, and that nothing the unit needs is missing;
2. that its engine (runtime.engine_fingerprint: WeasyPrint, Pango, leafletgen's own code) is the
   build machine's, naming what differs;
3. the templates it was given against the digest the key was made with;
4. the warnings gate, on those bytes: its verdict must be the build's (refused is refused here
   too; a draft's list of what is not ready must be the same);
5. the build key itself, from those bytes and its own fonts and engine: a different key would
   file a different PDF under this key in the shared cache.

Only then does it render (or take the PDF from the shared cache), with the build's
``SOURCE_DATE_EPOCH``, and store the result in the shared cache.

Templates and review records are read from files by the renderer (render/html.py,
translate/review.py), so the worker writes the bytes it was given into a folder named by
their digest (``~/.cache/leafletgen/cluster/<digest>/``), once, atomically (a temporary
folder renamed into place), and renders with that folder as the project root.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from leafletgen.build.cache import SharedCache
from leafletgen.build.jobs import render_one
from leafletgen.build.keys import build_key, content_digest, templates_digest
from leafletgen.errors import LeafletError, Problem
from leafletgen.files import cache_dir
from leafletgen.project import Project
from leafletgen.render.options import RenderOptions
from leafletgen.runtime import engine_fingerprint
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN
from leafletgen.translate.gate import document_refusals
from leafletgen.translate.review import REVIEWS_DIR
from leafletgen.translate.snapshot import Files, Snapshot, cached_leaflet, load_catalog

EPOCH = "SOURCE_DATE_EPOCH"


@dataclass(frozen=True)
class Task:
    leaflet: str
    locale: str
    options: RenderOptions
    key: str
    #: keys.templates_digest of the build machine's templates.
    templates: str
    #: Every input of the unit by project-relative name: its sha256, or None where the file is absent.
    digests: dict[str, str | None]
    #: The gate's verdict on the build machine: () passed; for a draft, what it would refuse.
    verdict: tuple[str, ...]
    engine: str
    epoch: str | None
    #: The shared cache folder (cache.py), as mounted on every machine; None: no shared cache.
    cache: str | None = None


@dataclass(frozen=True)
class Result:
    status: str                      # "built", "refused" or "failed"
    pdf: bytes = b""
    seconds: float = 0.0
    #: Where it was rendered ("cluster <address> (<host> pid <n>)"), or "cache: <that>".
    origin: str = ""
    problems: tuple[str, ...] = ()
    #: The fault may be this worker's (its engine, a defect, a damaged transfer): try another.
    retry: bool = False


def worker_name() -> str:
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):  # not in a Dask worker (a test calling run_task)
        address = "in-process"
    return f"cluster {address} ({socket.gethostname()} pid {os.getpid()})"


def run_task(task: Task, blobs: Mapping[str, bytes], templates: Files) -> Result:
    """Check the unit again, then render it (or take it from the shared cache); runs on a worker."""
    started = time.perf_counter()
    where = worker_name()
    unit = f"{task.leaflet} {task.locale}"

    def failed(problem: str, retry: bool = False) -> Result:
        return Result("failed", origin=where, problems=(f"{unit}: {problem} (on {where})",), retry=retry)

    inputs: Files = {}
    for name, digest in task.digests.items():
        data = None if digest is None else blobs.get(digest)
        if digest is not None and (data is None or hashlib.sha256(data).hexdigest() != digest):
            return failed(f"{name} did not arrive intact (its sha256 differs from the build's)", retry=True)
        inputs[name] = data
    if (mine := engine_fingerprint()) != task.engine:
        theirs = dict(p.split("=", 1) for p in task.engine.split(";"))
        differ = [f"{k} {v[:16]} (build machine: {theirs.get(k, '?')[:16]})" for k, v in
                  (p.split("=", 1) for p in mine.split(";")) if theirs.get(k) != v]
        return failed(f"this worker's engine differs from the build machine's: {', '.join(differ)}", retry=True)
    try:
        with _environment(task.epoch):
            root = _unit_root(templates, {n: d for n, d in inputs.items() if f"/{REVIEWS_DIR}/" in n})
            snapshot = Snapshot(Project(root), inputs, sealed=True)
            if templates_digest(snapshot.project) != task.templates:
                return failed("the templates changed while the build ran; build again")
            leaflet = cached_leaflet(snapshot, task.leaflet)
            verdict = tuple(str(f) for f in document_refusals(snapshot, leaflet, [task.locale,
                                                                                 task.options.with_locale]))
            if verdict and not task.options.draft:
                return Result("refused", origin=where, problems=verdict)
            if verdict != task.verdict:
                return failed("the warnings gate decides otherwise here than on the build machine", retry=True)
            if build_key(snapshot, leaflet, task.locale, task.options, task.templates) != task.key:
                return failed("the build key differs here (this worker's fonts are not the build machine's)",
                              retry=True)
            cache = SharedCache(Path(task.cache)) if task.cache else None
            hit = cache.get(task.key) if cache else None
            if hit is not None:
                return Result("built", hit.pdf, hit.seconds, f"cache: {hit.origin}")
            pdf = render_one(snapshot, leaflet, task.locale, task.options,
                             load_catalog(snapshot, task.locale, leaflet.id),
                             load_catalog(snapshot, task.locale, TEMPLATES_DOMAIN))
    except LeafletError as exc:  # the unit's own problem: the same on every worker
        return Result("failed", origin=where, problems=tuple(str(p) for p in exc.problems))
    except Exception as exc:  # a defect in the engine or here, or this worker's state: another may do it
        return failed(f"the render failed unexpectedly ({type(exc).__name__}: {exc})"[:300], retry=True)
    seconds = time.perf_counter() - started
    if cache is not None:
        cache.put(task.key, pdf, where, seconds)
    return Result("built", pdf, seconds, where)


#: One render at a time per worker process: SOURCE_DATE_EPOCH is process-wide, and WeasyPrint is
#: not known to be thread-safe. Start workers with ``--nthreads 1``, one process per core.
_ONE_AT_A_TIME = threading.Lock()


@contextlib.contextmanager
def _environment(epoch: str | None) -> Iterator[None]:
    """The build's SOURCE_DATE_EPOCH (or none) while this unit renders (runtime.now reads it)."""
    with _ONE_AT_A_TIME:
        before = os.environ.get(EPOCH)
        _set(epoch)
        try:
            yield
        finally:
            _set(before)


def _set(epoch: str | None) -> None:
    if epoch is None:
        os.environ.pop(EPOCH, None)
    else:
        os.environ[EPOCH] = epoch


def _unit_root(templates: Files, reviews: Files) -> Path:
    """A project folder holding exactly these files, named by their digest; written once, atomically."""
    files = {**templates, **reviews}
    for name in files:  # project-relative names only: nothing is written outside the folder
        parts = Path(name).parts
        if not parts or parts[0] not in ("templates", "locales") or ".." in parts or Path(name).is_absolute():
            raise LeafletError(Problem(name, "", "not a project file name; refused on the worker"))
    folder = cache_dir() / "cluster" / content_digest(files)[:32]
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".unit-", dir=folder.parent))
    try:
        for name, data in files.items():
            if data is not None:
                path = scratch / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        (scratch / "leaflets").mkdir(exist_ok=True)
        os.rename(scratch, folder)
    except OSError:
        if not folder.is_dir():  # another task of this worker won the race: use its folder
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def dask_setup(worker: object) -> None:
    """``dask worker ... --preload leafletgen.build.remote``: import WeasyPrint and load the fonts as the
    worker starts, not with its first unit; and fingerprint the engine now, as this worker imported it."""
    from leafletgen.pdf.engine import warm_up

    engine_fingerprint()
    warm_up()
