"""The build: gather and validate everything first, then render and write.

Everything works on one :class:`~leafletgen.translate.snapshot.Snapshot`: each leaflet source
and catalog is read once, as bytes, and the gate, the build key and the render all
use those bytes (a worker gets them with its job).

1. Gather: per leaflet x locale (a unit), validate its source, locale and catalogs and
   run the warnings gate: a unit with any needed message missing, fuzzy, outdated or
   failing a check is refused, one line per message. A broken file fails only the
   units that use it. Then the build key (keys.py): an unchanged output is skipped.
2. Render: a PDF already in the shared cache (``cache``, cache.py) is taken from there; the
   remaining jobs go to an executor (executors.py): worker processes on this machine (one per
   core by default), each reusing its loaded fonts, templates and leaflets, or the workers of a
   Dask cluster (``scheduler``, cluster.py). Every PDF is written atomically.
3. Withdraw and record: a refused or failed unit's earlier PDFs leave the output
   folder; the manifest records each new PDF (key, sha256, size, time) and each
   withdrawal with its reason. A failed write leaves the earlier PDF untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from leafletgen.build.cache import SharedCache
from leafletgen.build.executors import choose
from leafletgen.build.jobs import Job, Outcome, deliver
from leafletgen.build.jobs import PdfRenderer as PdfRenderer  # re-exported: the seams' names
from leafletgen.build.jobs import render_one as render_one
from leafletgen.build.keys import build_key, content_digest, templates_digest, unit_inputs
from leafletgen.build.manifest import Entry, Manifest
from leafletgen.build.outputs import output_path, remove_stale_temporaries, withdraw
from leafletgen.errors import LeafletError, Problem, UsageError
from leafletgen.locale_codes import resolve
from leafletgen.render.locales import locale_info
from leafletgen.render.options import PAPER_SIZES, RenderOptions, for_locale
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, available_locales, offered_locales, po_path
from leafletgen.translate.gate import document_refusals, refusal_summary
from leafletgen.translate.snapshot import Snapshot, load_catalog, load_each_leaflet

if TYPE_CHECKING:
    from leafletgen.pdf.warm import WarmRenderer
    from leafletgen.project import Project


#: The locale of an outcome that stands for every unit of a leaflet (its source is broken).
EVERY_LOCALE = "*"
#: The status of a unit whose leaflet has no catalog in its locale (catalogs.offered_locales).
NOT_OFFERED = "not offered"


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


def build(project: Project, out_dir: Path, *, leaflet_ids: Iterable[str] | None = None,
          locales: Iterable[str] | None = None, options: RenderOptions | None = None,
          jobs: int | None = None, force: bool = False,
          progress: Callable[[Outcome], None] | None = None, renderer: WarmRenderer | None = None,
          scheduler: str | None = None, cache: Path | None = None) -> Report:
    """Build the selected leaflets x locales into ``out_dir``; one Outcome per pair.

    ``renderer``: a warm render process (warm.py) for a build of one PDF. ``scheduler``: the
    address of a Dask scheduler whose workers render (cluster.py). ``cache``: the shared cache
    folder (cache.py), read before rendering and written after.
    """
    options = options or RenderOptions()
    if options.paper not in PAPER_SIZES:
        raise UsageError(f"unknown paper size {options.paper!r} (choose from: {', '.join(PAPER_SIZES)})")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    if jobs is not None and scheduler:
        raise UsageError("--jobs and --scheduler exclude each other (the cluster's workers are its own)")
    cache = cache.resolve() if cache is not None else None  # the same path on every machine
    started = time.perf_counter()
    report = Report()

    def done(outcome: Outcome) -> None:
        report.outcomes.append(outcome)
        if progress:
            progress(outcome)

    snapshot = Snapshot(project)
    todo = [replace(job, cache=cache) for job in _gather(snapshot, out_dir, leaflet_ids, locales, options, force,
                                                         done)]
    todo = _from_cache(todo, SharedCache(cache), done) if cache is not None else todo
    if todo:
        executor = choose(len(todo), jobs, renderer, scheduler)
        try:
            for outcome in executor.run(todo):
                done(outcome)
        finally:
            executor.close()
    built = [(o.path, Entry(o.key, o.sha256, o.size, round(o.seconds, 3), o.content, o.origin))
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
            todo.append(Job(project.root, leaflet_id, locale, options, path, key, inputs, notes, templates))
    return todo


def _from_cache(todo: list[Job], cache: SharedCache, done: Callable[[Outcome], None]) -> list[Job]:
    """Deliver each job whose PDF is in the shared cache; the others, to render."""
    rest = []
    for job in todo:
        hit = cache.get(job.key)
        if hit is None:
            rest.append(job)
        else:
            done(deliver(job, hit.pdf, 0.0, f"cache: {hit.origin}"))
    return rest
