"""The build: gather and validate everything first, then render and write.

Everything works on one :class:`~leafletgen.translate.snapshot.Snapshot`: each leaflet source
and catalog is read once, as bytes, and the gate, the build key and the render all
use those bytes (a worker gets them with its job).

1. Gather: per leaflet x locale (a unit), validate its source, locale and catalogs and
   run the warnings gate: a unit with any needed message missing, fuzzy, outdated or
   failing a check is refused, one line per message. A broken file fails only the
   units that use it. Then the build key (keys.py): an unchanged output is skipped.
2. Render: the remaining jobs run in worker processes (one per core by default), each
   reusing its loaded fonts, templates and leaflets; every PDF is written atomically.
3. Withdraw and record: a refused or failed unit's earlier PDFs leave the output
   folder; the manifest records each new PDF (key, sha256, size, time) and each
   withdrawal with its reason. A failed write leaves the earlier PDF untouched.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from leafletgen.build.keys import build_key, content_digest, templates_digest, unit_inputs
from leafletgen.build.manifest import Entry, Manifest
from leafletgen.build.outputs import output_path, remove_stale_temporaries, withdraw
from leafletgen.content.model import Leaflet
from leafletgen.errors import LeafletError, Problem, UsageError
from leafletgen.files import atomic_write_bytes
from leafletgen.locale_codes import resolve
from leafletgen.project import Project
from leafletgen.render.html import leaflet_html
from leafletgen.render.locales import locale_info
from leafletgen.render.options import PAPER_SIZES, RenderOptions, for_locale
from leafletgen.translate.catalogs import (
    TEMPLATES_DOMAIN,
    LeafletCatalog,
    available_locales,
    offered_locales,
    po_path,
)
from leafletgen.translate.gate import document_refusals, refusal_summary
from leafletgen.translate.snapshot import Files, Snapshot, cached_leaflet, load_catalog, load_each_leaflet

if TYPE_CHECKING:
    from leafletgen.pdf.warm import WarmRenderer


#: The locale of an outcome that stands for every unit of a leaflet (its source is broken).
EVERY_LOCALE = "*"
#: The status of a unit whose leaflet has no catalog in its locale (catalogs.offered_locales).
NOT_OFFERED = "not offered"


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


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """Every unit built or current, or not offered where it was not asked for by name; and
        something to show for it (a build of only units not offered has printed nothing)."""
        printed = [o for o in self.outcomes if o.status in ("built", "skipped")]
        return all(o.status in ("built", "skipped") or (o.status == NOT_OFFERED and not o.asked)
                   for o in self.outcomes) and (bool(printed) or not self.outcomes)


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

    @property
    def content(self) -> str:
        return content_digest(self.inputs)


def build(project: Project, out_dir: Path, *, leaflet_ids: Iterable[str] | None = None,
          locales: Iterable[str] | None = None, options: RenderOptions | None = None,
          jobs: int | None = None, force: bool = False,
          progress: Callable[[Outcome], None] | None = None, renderer: WarmRenderer | None = None) -> Report:
    """Build the selected leaflets x locales into ``out_dir``; one Outcome per pair.

    ``renderer``: a warm render process (warm.py) for a build of one PDF.
    """
    options = options or RenderOptions()
    if options.paper not in PAPER_SIZES:
        raise UsageError(f"unknown paper size {options.paper!r} (choose from: {', '.join(PAPER_SIZES)})")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    started = time.perf_counter()
    report = Report()

    def done(outcome: Outcome) -> None:
        report.outcomes.append(outcome)
        if progress:
            progress(outcome)

    snapshot = Snapshot(project)
    todo = _gather(snapshot, out_dir, leaflet_ids, locales, options, force, done)
    for outcome in _render_all(todo, jobs, renderer):
        done(outcome)
    built = [(o.path, Entry(o.key, o.sha256, o.size, round(o.seconds, 3), o.content))
             for o in report.outcomes if o.status == "built" and o.path is not None]
    manifest = Manifest(out_dir)
    try:
        withdrawn = withdraw(out_dir, report.outcomes, manifest)
        manifest.record(built, withdrawn)
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else manifest.path
        raise LeafletError(Problem(project.display(where), "", f"cannot write: {exc.strerror}")) from None
    report.seconds = time.perf_counter() - started
    return report


def _gather(snapshot: Snapshot, out_dir: Path, leaflet_ids: Iterable[str] | None, locales: Iterable[str] | None,
            options: RenderOptions, force: bool, done: Callable[[Outcome], None]) -> list[Job]:
    """Validate everything and decide, per unit (leaflet x locale): refuse, fail, skip, or render.

    A broken leaflet source, catalog or locale fails only the units that use it.
    """
    project = snapshot.project
    leaflets = load_each_leaflet(snapshot, leaflet_ids)
    every = available_locales(project.locales_dir)
    # each code by its one name (locale_codes.py); one that is no locale stops the build, while
    # a broken locale folder fails alone
    asked = list(dict.fromkeys(resolve(c, every) for c in locales)) if locales else None
    if options.with_locale:
        options = replace(options, with_locale=resolve(options.with_locale, every))
    manifest = Manifest(out_dir)
    remove_stale_temporaries(out_dir)
    templates = templates_digest(project)
    todo = []
    for leaflet_id, broken in leaflets.items():
        if isinstance(broken, LeafletError):  # one report for all its units, each withdrawn
            done(Outcome(leaflet_id, EVERY_LOCALE, "failed", problems=tuple(str(p) for p in broken.problems),
                         withdraw=tuple(asked or every)))
    requested = options
    offered = {ident: offered_locales(project.locales_dir, ident) for ident in leaflets}
    for locale in asked or every:
        options = for_locale(requested, locale)
        for leaflet_id, leaflet in leaflets.items():
            if isinstance(leaflet, LeafletError):
                continue
            path = output_path(out_dir, leaflet_id, locale, options)
            codes = tuple(c for c in (locale, options.with_locale) if c)
            absent = [c for c in codes if c not in offered[leaflet_id]]
            if absent:  # its earlier PDFs (a catalog since removed) are withdrawn
                done(Outcome(leaflet_id, locale, NOT_OFFERED, problems=tuple(
                    f"{leaflet_id} {c}: not offered in this locale: there is no catalog "
                    f"{project.display(po_path(project.locales_dir, c, leaflet_id))} "
                    f"(start one with 'leafletgen init {c} --leaflet {leaflet_id}')" for c in absent),
                    withdraw=tuple(absent), asked=asked is not None and leaflet_ids is not None))
                continue
            try:  # the unit's own content: its catalogs must read and parse
                inputs = snapshot.subset(unit_inputs(project, leaflet, locale, options))
                for code in codes:
                    load_catalog(snapshot, code, leaflet_id)
                    load_catalog(snapshot, code, TEMPLATES_DOMAIN)
            except LeafletError as exc:
                done(Outcome(leaflet_id, locale, "failed", problems=tuple(str(p) for p in exc.problems),
                             withdraw=codes))
                continue
            try:
                for code in codes:
                    locale_info(code)  # validates the code and that a font stack exists
                refused = document_refusals(snapshot, leaflet, [locale, options.with_locale])
                if refused and not options.draft:
                    done(Outcome(leaflet_id, locale, "refused", problems=tuple(str(f) for f in refused),
                                 summary=refusal_summary(refused),
                                 withdraw=tuple(dict.fromkeys(f.locale for f in refused))))
                    continue
                # a draft prints anyway, marked DRAFT on every page, and reports what the gate refuses
                notes = tuple(str(f) for f in refused) if options.draft else ()
                key = build_key(snapshot, leaflet, locale, options, templates)
                if not force and manifest.is_current(path, key):
                    done(Outcome(leaflet_id, locale, "skipped", path, size=path.stat().st_size))
                    continue
            except LeafletError as exc:  # fonts or templates: the earlier PDF stays if its content is current
                done(Outcome(leaflet_id, locale, "failed", path, problems=tuple(str(p) for p in exc.problems),
                             content=content_digest(inputs)))
                continue
            todo.append(Job(project.root, leaflet_id, locale, options, path, key, inputs, notes))
    return todo


def _cost(job: Job) -> int:
    return locale_info(job.locale).render_cost


def _render_all(todo: list[Job], jobs: int | None, renderer: WarmRenderer | None = None) -> Iterable[Outcome]:
    workers = min(jobs or os.cpu_count() or 1, len(todo))
    if workers <= 1:
        render_pdf = renderer.render_pdf if renderer else None
        yield from (_run_job(job, render_pdf) for job in todo)
        return
    if renderer:
        renderer.close()  # the pool below forks its own workers, warmed up once
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    from leafletgen.pdf.engine import warm_up
    from leafletgen.workers import start_pool, stop_now

    warm_up()  # import WeasyPrint and load fontconfig once, before forking: workers inherit both

    ordered = sorted(todo, key=_cost, reverse=True)
    pool = start_pool(workers)
    try:
        futures = {pool.submit(_run_job, job): job for job in ordered}
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield future.result()
            except BrokenProcessPool:
                yield Outcome(job.leaflet, job.locale, "failed", job.path, problems=(
                    f"{job.leaflet} {job.locale}: the render worker died (out of memory or killed)",),
                    content=job.content)
    except BaseException:  # Ctrl-C, SIGTERM turned into SystemExit: nothing may be written afterwards
        stop_now(pool)
        raise
    pool.shutdown()


def _run_job(job: Job, render_pdf: PdfRenderer | None = None) -> Outcome:
    """Render and write one PDF; runs in a worker process (or in-process for one job)."""
    started = time.perf_counter()
    project = Project(job.root)
    try:
        snapshot = Snapshot(project, job.inputs, sealed=True)  # the bytes the gate passed, never the disk
        leaflet = cached_leaflet(snapshot, job.leaflet)
        catalog = load_catalog(snapshot, job.locale, leaflet.id)
        strings = load_catalog(snapshot, job.locale, TEMPLATES_DOMAIN)
        pdf = render_one(snapshot, leaflet, job.locale, job.options, catalog, strings, render_pdf)
    except LeafletError as exc:  # a render failure: see _withdraw for what happens to the earlier PDF
        return Outcome(job.leaflet, job.locale, "failed", job.path, problems=tuple(str(p) for p in exc.problems),
                       content=job.content)
    except Exception as exc:  # a defect in the engine or here: this unit fails, the others go on
        unexpected = f"{job.leaflet} {job.locale}: the render failed unexpectedly ({type(exc).__name__}: {exc})"
        return Outcome(job.leaflet, job.locale, "failed", job.path, problems=(unexpected[:300],), content=job.content)
    try:
        atomic_write_bytes(job.path, pdf)
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else job.path
        problem = Problem(project.display(where), "", f"cannot write: {exc.strerror}")
        return Outcome(job.leaflet, job.locale, "failed", job.path, problems=(str(problem),), content=job.content)
    return Outcome(job.leaflet, job.locale, "built", job.path, seconds=time.perf_counter() - started,
                   size=len(pdf), key=job.key, sha256=hashlib.sha256(pdf).hexdigest(), content=job.content,
                   problems=job.notes)
