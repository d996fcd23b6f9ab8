"""The build: gather and validate everything first, then render and write.

Everything works on one :class:`~leafletgen.snapshot.Snapshot`: each leaflet source
and catalog is read once, as bytes, and the gate, the build key and the render all
use those bytes (a worker gets them with its job).

1. Gather: per leaflet x locale (a unit), validate its source, locale and catalogs and
   run the warnings gate: a unit with any needed message missing, fuzzy, outdated or
   failing a check is refused, one line per message. A broken file fails only the
   units that use it. Then the build key (cache.py): an unchanged output is skipped.
2. Render: the remaining jobs run in worker processes (one per core by default), each
   reusing its loaded fonts, templates and leaflets; every PDF is written atomically.
3. Withdraw and record: a refused or failed unit's earlier PDFs leave the output
   folder; the manifest records each new PDF (key, sha256, size, time) and each
   withdrawal with its reason. A failed write leaves the earlier PDF untouched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .cache import Entry, Manifest, build_environment, digest_files, engine_fingerprint, key_of
from .catalogs import (
    SOURCE_LOCALE,
    TEMPLATES_DOMAIN,
    LeafletCatalog,
    available_locales,
    parse_catalog,
    parse_locale,
    po_path,
)
from .checks import Finding, gate
from .errors import LeafletError, Problem, UsageError
from .files import atomic_write_bytes, disk_cached
from .fonts import check_coverage, font_file
from .locales import locale_info
from .localize import TemplateStrings, translate_leaflet
from .model import Leaflet
from .project import Project
from .render import PAPER_SIZES, Part, RenderOptions, document_context, render_document, render_part
from .review import REVIEWS_DIR, unit_reviewed
from .snapshot import Files, Snapshot
from .source import parse_leaflet

if TYPE_CHECKING:
    from .warm import WarmRenderer


#: The locale of an outcome that stands for every unit of a leaflet (its source is broken).
EVERY_LOCALE = "*"


@dataclass(frozen=True)
class Outcome:
    leaflet: str
    locale: str
    status: str                      # "built", "skipped", "refused" or "failed"
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


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        return all(o.status in ("built", "skipped") for o in self.outcomes)


def output_path(out_dir: Path, leaflet_id: str, locale: str, options: RenderOptions) -> Path:
    """``out/<leaflet>/<leaflet>.<locale>[+<second>][.large][.letter][.draft].pdf``."""
    name = f"{leaflet_id}.{locale}"
    if options.with_locale:
        name += f"+{options.with_locale}"
    if options.large_print:
        name += ".large"
    if options.paper != "a4":
        name += f".{options.paper}"
    if options.draft:
        name += ".draft"
    return out_dir / leaflet_id / f"{name}.pdf"


def for_locale(options: RenderOptions, locale: str) -> RenderOptions:
    """The options as they apply to ``locale``: a second language equal to the first is no second language."""
    if options.with_locale == locale:
        return dataclasses.replace(options, with_locale=None)
    return options


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
    """A leaflet by id, from the snapshot's bytes (parsed once per process while they are unchanged)."""
    snapshot = Snapshot.of(source)
    path = snapshot.project.leaflets_dir / f"{leaflet_id}.yaml"
    data = snapshot.read(path)
    if data is None:
        raise UsageError(f"unknown leaflet {leaflet_id!r}")
    return _parsed_leaflet(data, snapshot.name(path), leaflet_id)


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


def unit_inputs(project: Project, leaflet_id: str, locale: str, options: RenderOptions) -> list[Path]:
    """The files one document is made of: its source, the catalogs of its language(s) and their
    review records (which decide the not-reviewed notice)."""
    codes = [c for c in dict.fromkeys([locale, options.with_locale]) if c and c != SOURCE_LOCALE]
    reviews = [p for c in codes for p in sorted((project.locales_dir / c / REVIEWS_DIR).glob("*.json"))]
    return [project.leaflets_dir / f"{leaflet_id}.yaml",
            *(po_path(project.locales_dir, c, d) for c in codes for d in (leaflet_id, TEMPLATES_DOMAIN)), *reviews]


def expected_messages(leaflet: Leaflet) -> dict[str, str]:
    return {text.id: text.text for text, _critical in leaflet.texts()}


def template_messages(project: Project) -> dict[str, str]:
    """msgctxt -> English of every template string, extracted from the templates as they are now.

    Extraction (Babel's and Jinja's extractors) costs ~40 ms and two imports, so its
    answer is kept: in memory per process, and on disk keyed by the templates' content
    and leafletgen's code. A broken template is never cached: it fails every time.
    """
    from .catalogs import PYTHON_STRING_SOURCES

    sources = [*sorted(project.templates_dir.glob("**/*.j2")), *PYTHON_STRING_SOURCES]
    digest = key_of({"sources": digest_files(sources), "engine": engine_fingerprint()})
    return dict(_extracted_template_messages(project.templates_dir, project.root, digest))


@lru_cache(maxsize=4)
def _extracted_template_messages(templates_dir: Path, root: Path, digest: str) -> tuple[tuple[str, str], ...]:
    def extract() -> tuple[tuple[str, str], ...]:
        from .catalogs import templates_template  # extraction only when the templates changed

        return tuple((str(m.context), str(m.id)) for m in templates_template(templates_dir, root)
                     if m.id and m.context)

    return disk_cached(f"template-messages-{digest[:32]}.json", extract,
                       lambda messages: json.dumps(messages, ensure_ascii=False).encode("utf-8"),
                       lambda data: tuple((str(ctxt), str(msgid)) for ctxt, msgid in json.loads(data)))


def refusals_for(leaflet: Leaflet, locale: str, catalog: LeafletCatalog | None,
                 strings: LeafletCatalog | None, template_msgs: dict[str, str]) -> list[Finding]:
    """The warnings gate for one leaflet in one locale; empty means it may be printed."""
    if locale == SOURCE_LOCALE:
        return []
    if catalog is None:
        return [Finding(locale, leaflet.id, "-", f"no catalog {leaflet.id}.po for this locale", critical=True,
                        kind="missing")]
    found = gate(catalog, locale=locale, domain=leaflet.id, expected=expected_messages(leaflet),
                 critical_ids=leaflet.safety_critical_ids())
    found += gate(strings, locale=locale, domain=TEMPLATES_DOMAIN, expected=template_msgs,
                  critical_ids=frozenset())
    return found


def document_refusals(source: Project | Snapshot, leaflet: Leaflet, locale: str, options: RenderOptions
                      ) -> list[Finding]:
    """The warnings gate for a whole document: the patient's language and any second language."""
    snapshot = Snapshot.of(source)
    messages = template_messages(snapshot.project)
    return [finding for code in dict.fromkeys([locale, options.with_locale]) if code
            for finding in refusals_for(leaflet, code, load_catalog(snapshot, code, leaflet.id),
                                        load_catalog(snapshot, code, TEMPLATES_DOMAIN), messages)]


def leaflet_html(source: Project | Snapshot, leaflet: Leaflet, locale: str, options: RenderOptions,
                 catalog: LeafletCatalog | None, strings: LeafletCatalog | None) -> str:
    """The HTML for one leaflet (in one or two languages), every character checked against the fonts."""
    snapshot = Snapshot.of(source)
    project = snapshot.project
    parts = [_part(project, leaflet, locale, catalog, strings, options, first=True)]
    if options.with_locale:
        second = options.with_locale
        parts.append(_part(project, leaflet, second, load_catalog(snapshot, second, leaflet.id),
                           load_catalog(snapshot, second, TEMPLATES_DOMAIN), options, first=False))
    fragments = []
    for part in parts:
        fragment = render_part(project.templates_dir, part)
        check_coverage(fragment, part.locale.fonts, name=f"{leaflet.id} {part.locale.code}",
                       sources=((t.id, t.text) for t, _ in part.leaflet.texts()))
        fragments.append(fragment)
    html = render_document(project.templates_dir, document_context(parts, options), fragments, parts[0].strings)
    check_coverage(html, [f for part in parts for f in part.locale.fonts], name=f"{leaflet.id} {locale}")
    return html


def _part(project: Project, leaflet: Leaflet, locale: str, catalog: LeafletCatalog | None,
          strings: LeafletCatalog | None, options: RenderOptions, *, first: bool) -> Part:
    return Part(
        leaflet=translate_leaflet(leaflet, catalog, draft=options.draft), locale=locale_info(locale),
        strings=TemplateStrings(strings), draft=options.draft, pharmacy=options.pharmacy, first=first,
        reviewed=reviewed(project, leaflet, locale, catalog, strings))


def reviewed(project: Project, leaflet: Leaflet, locale: str, catalog: LeafletCatalog | None,
             strings: LeafletCatalog | None) -> bool:
    """Whether a professional review covers every message this unit prints, as it reads now (review.py)."""
    return (unit_reviewed(project.locales_dir, locale, leaflet.id, catalog, expected_messages(leaflet))
            and unit_reviewed(project.locales_dir, locale, TEMPLATES_DOMAIN, strings, template_messages(project)))


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
        from . import pdf  # WeasyPrint is imported only where something is rendered

        render_pdf = pdf.render_pdf
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

    @property
    def content(self) -> str:
        return content_digest(self.inputs)


def content_digest(inputs: Files) -> str:
    """One digest over a unit's input files (names and bytes), as a snapshot holds them."""
    h = hashlib.sha256()
    for name, data in sorted(inputs.items()):
        h.update(name.encode() + b"\0" + (hashlib.sha256(data).digest() if data is not None else b"absent"))
    return h.hexdigest()


def templates_digest(project: Project) -> str:
    """Digest of the templates, styles and images a PDF uses (the web page's folder is not one)."""
    return digest_files(sorted(p for p in project.templates_dir.rglob("*")
                               if p.is_file() and "web" not in p.relative_to(project.templates_dir).parts),
                        root=project.root)


def build_key(source: Project | Snapshot, leaflet: Leaflet, locale: str, options: RenderOptions,
              templates: str) -> str:
    """The key of everything that shapes this PDF (see cache.py); project-relative, so equal in any clone."""
    snapshot = Snapshot.of(source)
    fonts = []
    for family in locale_info(locale).fonts:
        path, index = font_file(family)
        stat = os.stat(path)
        fonts.append(f"{family}:{path}:{index}:{stat.st_size}:{stat.st_mtime_ns}")
    if options.with_locale:
        fonts += [f"with:{f}" for f in locale_info(options.with_locale).fonts]
    inputs = unit_inputs(snapshot.project, leaflet.id, locale, options)
    return key_of({
        "inputs": ";".join(f"{snapshot.name(p)}={snapshot.digest(p)}" for p in inputs),
        "templates": templates,
        "options": repr(options),
        "locale": locale,
        "engine": engine_fingerprint(),
        "fonts": "|".join(fonts),
        "environment": build_environment(),
    })


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
        withdrawn = _withdraw(out_dir, report.outcomes, manifest)
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
    wanted = list(dict.fromkeys(locales)) if locales else available_locales(project.locales_dir)
    for code in [*(locales or ()), *([options.with_locale] if options.with_locale else [])]:
        parse_locale(code)  # a code the user typed wrong stops the build; a broken locale folder fails alone
    manifest = Manifest(out_dir)
    _remove_stale_temporaries(out_dir)
    templates = templates_digest(project)
    todo = []
    for leaflet_id, broken in leaflets.items():
        if isinstance(broken, LeafletError):  # one report for all its units, each withdrawn
            done(Outcome(leaflet_id, EVERY_LOCALE, "failed", problems=tuple(str(p) for p in broken.problems),
                         withdraw=tuple(wanted)))
    requested = options
    for locale in wanted:
        options = for_locale(requested, locale)
        for leaflet_id, leaflet in leaflets.items():
            if isinstance(leaflet, LeafletError):
                continue
            path = output_path(out_dir, leaflet_id, locale, options)
            codes = tuple(c for c in (locale, options.with_locale) if c)
            try:  # the unit's own content: its catalogs must read and parse
                inputs = snapshot.subset(unit_inputs(project, leaflet_id, locale, options))
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
                if not options.draft:
                    refused = document_refusals(snapshot, leaflet, locale, options)
                    if refused:
                        done(Outcome(leaflet_id, locale, "refused", problems=tuple(str(f) for f in refused),
                                     withdraw=tuple(dict.fromkeys(f.locale for f in refused))))
                        continue
                key = build_key(snapshot, leaflet, locale, options, templates)
                if not force and manifest.is_current(path, key):
                    done(Outcome(leaflet_id, locale, "skipped", path, size=path.stat().st_size))
                    continue
            except LeafletError as exc:  # fonts or templates: the earlier PDF stays if its content is current
                done(Outcome(leaflet_id, locale, "failed", path, problems=tuple(str(p) for p in exc.problems),
                             content=content_digest(inputs)))
                continue
            todo.append(Job(project.root, leaflet_id, locale, options, path, key, inputs))
    return todo


def _withdraw(out_dir: Path, outcomes: Iterable[Outcome], manifest: Manifest) -> dict[str, str]:
    """Remove the earlier PDFs of every unit that no longer passes; output name -> reason.

    A unit is a leaflet in one locale. When the gate refuses it or one of its inputs is
    broken, every PDF of that leaflet with that locale as its first or second language
    goes (any paper, large print, bilingual), drafts excepted: they say DRAFT on every
    page and are not for patients. When only the render or the write failed (a template
    error, a full disk), the earlier PDF stays if it was made from the same source and
    catalogs, and goes if they have changed since: its warnings would be outdated.
    """
    reasons: dict[tuple[str, str], str] = {}
    withdrawn: dict[str, str] = {}
    for outcome in outcomes:
        reason = f"{outcome.status}: {outcome.problems[0] if outcome.problems else ''}" + (
            f" (and {len(outcome.problems) - 1} more)" if len(outcome.problems) > 1 else "")
        for code in outcome.withdraw:
            reasons.setdefault((outcome.leaflet, code), reason)
        if outcome.status == "failed" and outcome.content and outcome.path is not None and outcome.path.is_file():
            entry = manifest.entries.get(outcome.path.relative_to(out_dir).as_posix())
            if entry is None or entry.content != outcome.content:
                outcome.path.unlink(missing_ok=True)
                withdrawn[outcome.path.relative_to(out_dir).as_posix()] = reason + " (its earlier PDF was made " \
                    "from other sources or catalogs)"
    for leaflet_id in {leaflet for leaflet, _ in reasons}:
        for pdf in sorted((out_dir / leaflet_id).glob(f"{leaflet_id}.*.pdf")):
            codes, draft = _output_locales(pdf.name, leaflet_id)
            hit = next((reasons[(leaflet_id, c)] for c in codes if (leaflet_id, c) in reasons), None)
            if hit is not None and not draft and pdf.is_file():
                pdf.unlink(missing_ok=True)
                withdrawn[pdf.relative_to(out_dir).as_posix()] = hit
    return withdrawn


def _output_locales(name: str, leaflet_id: str) -> tuple[list[str], bool]:
    """The locales and draft flag of an output named by :func:`output_path`."""
    parts = name[len(leaflet_id) + 1: -len(".pdf")].split(".")
    return parts[0].split("+"), "draft" in parts[1:]


STALE_TEMPORARY_SECONDS = 600


def _remove_stale_temporaries(out_dir: Path) -> None:
    """Temporary files left by a killed build (never a final PDF); recent ones may belong to a running build."""
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    for tmp in out_dir.glob("**/.*.tmp"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except OSError:
            pass


def _cost(job: Job) -> int:
    """Rough relative render cost, so the slowest jobs start first."""
    script = locale_info(job.locale)
    return 3 if script.script == "Hans" or "Noto Nastaliq Urdu" in script.fonts else 1


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

    from .pdf import warm_up
    from .workers import start_pool, stop_now

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
        problem = f"{job.leaflet} {job.locale}: the render failed unexpectedly ({type(exc).__name__}: {exc})"
        return Outcome(job.leaflet, job.locale, "failed", job.path, problems=(problem[:300],), content=job.content)
    try:
        atomic_write_bytes(job.path, pdf)
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else job.path
        problem = Problem(project.display(where), "", f"cannot write: {exc.strerror}")
        return Outcome(job.leaflet, job.locale, "failed", job.path, problems=(str(problem),), content=job.content)
    return Outcome(job.leaflet, job.locale, "built", job.path, seconds=time.perf_counter() - started,
                   size=len(pdf), key=job.key, sha256=hashlib.sha256(pdf).hexdigest(), content=job.content)
