"""The build: gather and validate everything first, then render and write.

1. Gather: load and validate the leaflets; per leaflet x locale compute the build key
   (cache.py). An output whose key is unchanged is skipped. Otherwise load the
   catalogs and run the warnings gate: a locale with any needed message missing,
   fuzzy, outdated or failing a check is refused, one line per message.
2. Render: the remaining jobs run in worker processes (one per core by default), each
   reusing its loaded fonts, templates and leaflets; every PDF is written atomically.
3. Record: the manifest next to the outputs gets each new PDF's key, sha256, size, time.
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
from .catalogs import SOURCE_LOCALE, TEMPLATES_DOMAIN, LeafletCatalog, available_locales, po_path, read_catalog
from .checks import Finding, gate
from .errors import LeafletError, Problem, UsageError
from .files import atomic_write_bytes, disk_cached
from .fonts import check_coverage, font_file
from .locales import locale_info
from .localize import TemplateStrings, translate_leaflet
from .model import Leaflet
from .project import Project
from .render import PAPER_SIZES, Part, RenderOptions, document_context, render_document, render_part
from .source import load_leaflet

if TYPE_CHECKING:
    from .warm import WarmRenderer


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


def load_leaflets(project: Project, ids: Iterable[str] | None = None) -> list[Leaflet]:
    """Load and validate the selected leaflets; every problem of every file at once."""
    paths = {p.stem: p for p in project.leaflet_paths()}
    wanted = list(ids) if ids else list(paths)
    unknown = [i for i in wanted if i not in paths]
    if unknown:
        raise UsageError(f"unknown leaflet {', '.join(map(repr, unknown))} (known: {', '.join(paths) or 'none'})")
    if not wanted:
        raise UsageError(f"no leaflet sources in {project.display(project.leaflets_dir)}")
    leaflets, problems = [], []
    for ident in wanted:
        try:
            leaflets.append(load_leaflet(paths[ident], display_name=project.display(paths[ident])))
        except LeafletError as exc:
            problems.extend(exc.problems)
    if problems:
        raise LeafletError(problems)
    return leaflets


def load_catalog(project: Project, locale: str, domain: str) -> LeafletCatalog | None:
    """The PO for locale+domain, or None when there is none (English needs none).

    Read-only and shared: parsed once per process (the gate, then the render) while unchanged.
    """
    path = po_path(project.locales_dir, locale, domain)
    if locale == SOURCE_LOCALE or not path.exists():
        return None
    return read_catalog(path, display=project.display(path), shared=True)


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


def document_refusals(project: Project, leaflet: Leaflet, locale: str, options: RenderOptions) -> list[Finding]:
    """The warnings gate for a whole document: the patient's language and any second language."""
    messages = template_messages(project)
    return [finding for code in dict.fromkeys([locale, options.with_locale]) if code
            for finding in refusals_for(leaflet, code, load_catalog(project, code, leaflet.id),
                                        load_catalog(project, code, TEMPLATES_DOMAIN), messages)]


def leaflet_html(project: Project, leaflet: Leaflet, locale: str, options: RenderOptions,
                 catalog: LeafletCatalog | None, strings: LeafletCatalog | None) -> str:
    """The HTML for one leaflet (in one or two languages), every character checked against the fonts."""
    parts = [_part(leaflet, locale, catalog, strings, options, first=True)]
    if options.with_locale:
        second = options.with_locale
        parts.append(_part(leaflet, second, load_catalog(project, second, leaflet.id),
                           load_catalog(project, second, TEMPLATES_DOMAIN), options, first=False))
    fragments = []
    for part in parts:
        fragment = render_part(project.templates_dir, part)
        check_coverage(fragment, part.locale.fonts, name=f"{leaflet.id} {part.locale.code}",
                       sources=((t.id, t.text) for t, _ in part.leaflet.texts()))
        fragments.append(fragment)
    html = render_document(project.templates_dir, document_context(parts, options), fragments, parts[0].strings)
    check_coverage(html, [f for part in parts for f in part.locale.fonts], name=f"{leaflet.id} {locale}")
    return html


def _part(leaflet: Leaflet, locale: str, catalog: LeafletCatalog | None, strings: LeafletCatalog | None,
          options: RenderOptions, *, first: bool) -> Part:
    return Part(
        leaflet=translate_leaflet(leaflet, catalog, draft=options.draft), locale=locale_info(locale),
        strings=TemplateStrings(strings), draft=options.draft, pharmacy=options.pharmacy, first=first,
        reviewed=locale == SOURCE_LOCALE or (catalog is not None and catalog.reviewed))


class PdfRenderer(Protocol):
    def __call__(self, html: str, *, base_dir: Path, name: str) -> bytes: ...


def render_one(project: Project, leaflet: Leaflet, locale: str, options: RenderOptions,
               catalog: LeafletCatalog | None, strings: LeafletCatalog | None,
               render_pdf: PdfRenderer | None = None) -> bytes:
    """HTML and PDF for one leaflet in one locale (the gate has run already).

    ``render_pdf`` defaults to pdf.render_pdf in this process; warm.py passes its own.
    """
    html = leaflet_html(project, leaflet, locale, options, catalog, strings)
    if render_pdf is None:
        from . import pdf  # WeasyPrint is imported only where something is rendered

        render_pdf = pdf.render_pdf
    return render_pdf(html, base_dir=project.templates_dir, name=f"{leaflet.id} {locale}")


@dataclass(frozen=True)
class Job:
    """One PDF to render; picklable, so it can go to a worker process."""

    root: Path
    leaflet: str
    locale: str
    options: RenderOptions
    path: Path
    key: str


def templates_digest(project: Project) -> str:
    """Digest of the templates, styles and images a PDF uses (the web page's folder is not one)."""
    return digest_files(sorted(p for p in project.templates_dir.rglob("*")
                               if p.is_file() and "web" not in p.relative_to(project.templates_dir).parts))


def build_key(project: Project, leaflet: Leaflet, locale: str, options: RenderOptions, templates: str) -> str:
    """The key of everything that shapes this PDF (see cache.py)."""
    fonts = []
    for family in locale_info(locale).fonts:
        path, index = font_file(family)
        stat = os.stat(path)
        fonts.append(f"{family}:{path}:{index}:{stat.st_size}:{stat.st_mtime_ns}")
    codes = [c for c in (locale, options.with_locale) if c and c != SOURCE_LOCALE]
    catalogs = [po_path(project.locales_dir, c, d) for c in codes for d in (leaflet.id, TEMPLATES_DOMAIN)]
    if options.with_locale:
        fonts += [f"with:{f}" for f in locale_info(options.with_locale).fonts]
    return key_of({
        "source": digest_files([project.leaflets_dir / f"{leaflet.id}.yaml"]),
        "catalogs": digest_files(catalogs),
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

    todo = _gather(project, out_dir, leaflet_ids, locales, options, force, done)
    built: list[tuple[Path, Entry]] = []
    for outcome in _render_all(todo, jobs, renderer):
        if outcome.status == "built" and outcome.path is not None:
            built.append((outcome.path, Entry(outcome.key, outcome.sha256, outcome.size, round(outcome.seconds, 3))))
        done(outcome)
    manifest = Manifest(out_dir)
    try:
        manifest.record(built)
    except OSError as exc:
        raise LeafletError(Problem(project.display(manifest.path), "", f"cannot write: {exc.strerror}")) from None
    report.seconds = time.perf_counter() - started
    return report


def _gather(project: Project, out_dir: Path, leaflet_ids: Iterable[str] | None, locales: Iterable[str] | None,
            options: RenderOptions, force: bool, done: Callable[[Outcome], None]) -> list[Job]:
    """Validate everything and decide, per leaflet x locale: skip, refuse, or render."""
    leaflets = load_leaflets(project, leaflet_ids)
    wanted = list(dict.fromkeys(locales)) if locales else available_locales(project.locales_dir)
    for code in [*wanted, *([options.with_locale] if options.with_locale else [])]:
        locale_info(code)  # validates the code and that a font stack exists
    manifest = Manifest(out_dir)
    _remove_stale_temporaries(out_dir)
    templates = templates_digest(project)
    todo = []
    requested = options
    for locale in wanted:
        options = for_locale(requested, locale)
        for leaflet in leaflets:
            path = output_path(out_dir, leaflet.id, locale, options)
            try:
                key = build_key(project, leaflet, locale, options, templates)
                if not force and manifest.is_current(path, key):
                    done(Outcome(leaflet.id, locale, "skipped", path, size=path.stat().st_size))
                    continue
                if not options.draft:
                    refused = document_refusals(project, leaflet, locale, options)
                    if refused:
                        done(Outcome(leaflet.id, locale, "refused", problems=tuple(str(f) for f in refused)))
                        continue
            except LeafletError as exc:
                done(Outcome(leaflet.id, locale, "failed", problems=tuple(str(p) for p in exc.problems)))
                continue
            todo.append(Job(project.root, leaflet.id, locale, options, path, key))
    return todo


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
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from .pdf import warm_up

    warm_up()  # import WeasyPrint and load fontconfig once, before forking: workers inherit both

    ordered = sorted(todo, key=_cost, reverse=True)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(_run_job, job): job for job in ordered}
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield future.result()
            except BrokenProcessPool:
                yield Outcome(job.leaflet, job.locale, "failed", problems=(
                    f"{job.leaflet} {job.locale}: the render worker died (out of memory or killed)",))


def cached_leaflet(project: Project, leaflet_id: str) -> Leaflet:
    """A leaflet by id (parsed once per process while its bytes are unchanged, see source.py)."""
    source = project.leaflets_dir / f"{leaflet_id}.yaml"
    return load_leaflet(source, display_name=project.display(source))


def _run_job(job: Job, render_pdf: PdfRenderer | None = None) -> Outcome:
    """Render and write one PDF; runs in a worker process (or in-process for one job)."""
    started = time.perf_counter()
    project = Project(job.root)
    try:
        leaflet = cached_leaflet(project, job.leaflet)
        catalog = load_catalog(project, job.locale, leaflet.id)
        strings = load_catalog(project, job.locale, TEMPLATES_DOMAIN)
        pdf = render_one(project, leaflet, job.locale, job.options, catalog, strings, render_pdf)
        atomic_write_bytes(job.path, pdf)
    except LeafletError as exc:
        return Outcome(job.leaflet, job.locale, "failed", problems=tuple(str(p) for p in exc.problems))
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else job.path
        problem = Problem(project.display(where), "", f"cannot write: {exc.strerror}")
        return Outcome(job.leaflet, job.locale, "failed", problems=(str(problem),))
    return Outcome(job.leaflet, job.locale, "built", job.path, seconds=time.perf_counter() - started,
                   size=len(pdf), key=job.key, sha256=hashlib.sha256(pdf).hexdigest())
