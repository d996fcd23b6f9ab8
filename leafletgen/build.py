"""The build: gather and validate everything first, then render and write.

For each leaflet x locale: load the catalogs, run the warnings gate (refuse the
locale if any needed message is missing, fuzzy, outdated or fails a check), translate
the model, render HTML, render the PDF, write it atomically.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .catalogs import SOURCE_LOCALE, TEMPLATES_DOMAIN, LeafletCatalog, available_locales, po_path, read_catalog
from .checks import Finding, gate
from .errors import LeafletError, Problem, UsageError
from .files import atomic_write_bytes
from .fonts import check_coverage
from .locales import locale_info
from .localize import TemplateStrings, translate_leaflet
from .model import Leaflet
from .pdf import render_pdf
from .project import Project
from .render import PAPER_SIZES, RenderOptions, page_context, render_html
from .source import leaflet_paths, load_leaflet


@dataclass(frozen=True)
class Outcome:
    leaflet: str
    locale: str
    status: str                      # "built", "refused" or "failed"
    path: Path | None = None
    problems: tuple[str, ...] = ()
    seconds: float = 0.0
    size: int = 0


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
    suffix = ".draft" if options.draft else ""
    return out_dir / leaflet_id / f"{leaflet_id}.{locale}{suffix}.pdf"


def load_leaflets(project: Project, ids: Iterable[str] | None = None) -> list[Leaflet]:
    """Load and validate the selected leaflets; every problem of every file at once."""
    paths = {p.stem: p for p in leaflet_paths(project.leaflets_dir)}
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
    """The PO for locale+domain, or None when there is none (English needs none)."""
    path = po_path(project.locales_dir, locale, domain)
    if locale == SOURCE_LOCALE or not path.exists():
        return None
    return read_catalog(path, display=project.display(path))


def expected_messages(leaflet: Leaflet) -> dict[str, str]:
    return {text.id: text.text for text, _critical in leaflet.texts()}


def template_messages(project: Project) -> dict[str, str]:
    from .catalogs import templates_template  # extraction only when checking templates

    pot = templates_template(project.templates_dir, project.root)
    return {m.context: str(m.id) for m in pot if m.id and m.context}


def refusals_for(project: Project, leaflet: Leaflet, locale: str, catalog: LeafletCatalog | None,
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


def leaflet_html(project: Project, leaflet: Leaflet, locale: str, options: RenderOptions,
                 catalog: LeafletCatalog | None, strings: LeafletCatalog | None) -> str:
    """The HTML for one leaflet in one locale, its characters checked against the locale's fonts."""
    info = locale_info(locale)
    translated = translate_leaflet(leaflet, catalog, draft=options.draft)
    template_strings = TemplateStrings(strings)
    reviewed = locale == SOURCE_LOCALE or (catalog is not None and catalog.reviewed)
    context = page_context(translated, info, template_strings, reviewed=reviewed, options=options)
    html = render_html(project.templates_dir, context, template_strings)
    check_coverage(html, info.fonts, name=f"{leaflet.id} {locale}",
                   sources=((t.id, t.text) for t, _ in translated.texts()))
    return html


def render_one(project: Project, leaflet: Leaflet, locale: str, options: RenderOptions,
               catalog: LeafletCatalog | None, strings: LeafletCatalog | None) -> bytes:
    """HTML and PDF for one leaflet in one locale (the gate has run already)."""
    html = leaflet_html(project, leaflet, locale, options, catalog, strings)
    return render_pdf(html, base_dir=project.templates_dir, name=f"{leaflet.id} {locale}")


def build(project: Project, out_dir: Path, *, leaflet_ids: Iterable[str] | None = None,
          locales: Iterable[str] | None = None, options: RenderOptions | None = None,
          progress: Callable[[Outcome], None] | None = None) -> Report:
    """Build the selected leaflets x locales into ``out_dir``; one Outcome per pair."""
    options = options or RenderOptions()
    if options.paper not in PAPER_SIZES:
        raise UsageError(f"unknown paper size {options.paper!r} (choose from: {', '.join(PAPER_SIZES)})")
    started = time.perf_counter()
    leaflets = load_leaflets(project, leaflet_ids)
    known = available_locales(project.locales_dir)
    wanted = list(locales) if locales else known
    for code in wanted:
        locale_info(code)  # validates the code and that a font stack exists
    report = Report()
    template_msgs = template_messages(project)
    for locale in wanted:
        for leaflet in leaflets:
            outcome = _build_pair(project, out_dir, leaflet, locale, options, template_msgs)
            report.outcomes.append(outcome)
            if progress:
                progress(outcome)
    report.seconds = time.perf_counter() - started
    return report


def _build_pair(project: Project, out_dir: Path, leaflet: Leaflet, locale: str, options: RenderOptions,
                template_msgs: dict[str, str]) -> Outcome:
    started = time.perf_counter()
    try:
        catalog = load_catalog(project, locale, leaflet.id)
        strings = load_catalog(project, locale, TEMPLATES_DOMAIN)
        if not options.draft:
            refused = refusals_for(project, leaflet, locale, catalog, strings, template_msgs)
            if refused:
                return Outcome(leaflet.id, locale, "refused", problems=tuple(str(f) for f in refused))
        pdf = render_one(project, leaflet, locale, options, catalog, strings)
        path = output_path(out_dir, leaflet.id, locale, options)
        atomic_write_bytes(path, pdf)
    except LeafletError as exc:
        return Outcome(leaflet.id, locale, "failed", problems=tuple(str(p) for p in exc.problems))
    except OSError as exc:
        where = project.display(Path(exc.filename)) if exc.filename else project.display(out_dir)
        problem = Problem(where, "", f"cannot write: {exc.strerror}")
        return Outcome(leaflet.id, locale, "failed", problems=(str(problem),))
    return Outcome(leaflet.id, locale, "built", path, seconds=time.perf_counter() - started, size=len(pdf))
