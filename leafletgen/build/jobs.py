"""A unit's job and its outcome: what the build hands an executor, and what comes back.

A :class:`Job` is one PDF to render, with the bytes of its inputs as the build's snapshot
read them; :func:`run_job` renders and writes it in a local worker process, :func:`deliver`
writes a PDF made elsewhere (a cluster worker, the shared cache). Either way the PDF
appears at its final path only when complete (files.atomic_write_bytes).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from leafletgen.build.cache import SharedCache
from leafletgen.build.keys import content_digest
from leafletgen.content.model import Leaflet
from leafletgen.errors import LeafletError, Problem
from leafletgen.files import atomic_write_bytes
from leafletgen.project import Project
from leafletgen.render.html import leaflet_html
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, LeafletCatalog
from leafletgen.translate.snapshot import Files, Snapshot, cached_leaflet, load_catalog

#: Where a PDF rendered by this machine's own worker processes came from (Outcome.origin).
LOCAL = "local"


@dataclass(frozen=True)
class Outcome:
    leaflet: str
    locale: str
    status: str                      # "built", "skipped", "refused", "failed" or "not offered"
    path: Path | None = None
    problems: tuple[str, ...] = ()
    seconds: float = 0.0
    size: int = 0
    key: str = ""
    sha256: str = ""
    #: Locales whose earlier PDFs of this leaflet must leave the output folder (refused or failed).
    withdraw: tuple[str, ...] = ()
    #: Digest of the unit's source and catalogs as rendered (see Entry.content).
    content: str = ""
    #: The unit was asked for by name (``--leaflet`` and ``--locale``): "not offered" is then a
    #: failure; for every leaflet in a named locale it is a note ("-L de": the German leaflets).
    asked: bool = False
    #: A refusal in one line, by kind: "119 not translated (119 safety-critical), 2 fuzzy".
    summary: str = ""
    #: Where a built PDF came from: "local", "cluster <worker> (<host> pid <n>)", "cache: <first origin>".
    origin: str = ""


class PdfRenderer(Protocol):
    def __call__(self, html: str, *, base_dir: Path, name: str) -> bytes: ...


def render_one(source: Project | Snapshot, leaflet: Leaflet, locale: str, options: RenderOptions,
               catalog: LeafletCatalog | None, strings: LeafletCatalog | None,
               render_pdf: PdfRenderer | None = None) -> bytes:
    """HTML and PDF for one leaflet in one locale (the gate has run already).

    ``render_pdf`` defaults to pdf.render_pdf in this process; warm.py passes its own.
    """
    project = Snapshot.of(source).project
    html = leaflet_html(source, leaflet, locale, options, catalog, strings)
    if render_pdf is None:
        from leafletgen.pdf.engine import render_pdf as engine  # WeasyPrint only where something is rendered

        render_pdf = engine
    return render_pdf(html, base_dir=project.templates_dir, name=f"{leaflet.id} {locale}")


@dataclass(frozen=True)
class Job:
    """One PDF to render; picklable, so it can go to a worker process with the bytes it needs."""

    root: Path
    leaflet: str
    locale: str
    options: RenderOptions
    path: Path
    key: str
    inputs: Files = field(default_factory=dict)
    #: For a draft: what the gate would refuse (reported with the built PDF).
    notes: tuple[str, ...] = ()
    #: The templates digest the key was made with (keys.templates_digest), checked again by a cluster worker.
    templates: str = ""
    #: The shared cache folder a PDF rendered here is stored in (cache.py), if any.
    cache: Path | None = None

    @property
    def content(self) -> str:
        return content_digest(self.inputs)

    def failed(self, *problems: str) -> Outcome:
        return Outcome(self.leaflet, self.locale, "failed", self.path, problems=problems, content=self.content)


def run_job(job: Job, render_pdf: PdfRenderer | None = None) -> Outcome:
    """Render and write one PDF; runs in a local worker process (or in-process for one job)."""
    started = time.perf_counter()
    project = Project(job.root)
    try:
        snapshot = Snapshot(project, job.inputs, sealed=True)  # the bytes the gate passed, never the disk
        leaflet = cached_leaflet(snapshot, job.leaflet)
        catalog = load_catalog(snapshot, job.locale, leaflet.id)
        strings = load_catalog(snapshot, job.locale, TEMPLATES_DOMAIN)
        pdf = render_one(snapshot, leaflet, job.locale, job.options, catalog, strings, render_pdf)
    except LeafletError as exc:  # a render failure: see outputs.withdraw for what happens to the earlier PDF
        return job.failed(*(str(p) for p in exc.problems))
    except Exception as exc:  # a defect in the engine or here: this unit fails, the others go on
        return job.failed(f"{job.leaflet} {job.locale}: the render failed unexpectedly "
                          f"({type(exc).__name__}: {exc})"[:300])
    seconds = time.perf_counter() - started
    if job.cache is not None:
        SharedCache(job.cache).put(job.key, pdf, LOCAL, seconds)
    return deliver(job, pdf, seconds, LOCAL)


def deliver(job: Job, pdf: bytes, seconds: float, origin: str) -> Outcome:
    """Write a rendered PDF to the job's output path (atomically) and say so."""
    try:
        atomic_write_bytes(job.path, pdf)
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else job.path
        return job.failed(str(Problem(Project(job.root).display(where), "", f"cannot write: {exc.strerror}")))
    return Outcome(job.leaflet, job.locale, "built", job.path, seconds=seconds, size=len(pdf), key=job.key,
                   sha256=hashlib.sha256(pdf).hexdigest(), content=job.content, problems=job.notes, origin=origin)
