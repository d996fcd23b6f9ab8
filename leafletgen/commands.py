"""One function per CLI subcommand: parse nothing, print results, return the exit code."""

from __future__ import annotations

import argparse
import json
import sys

from .build import Outcome, build, expected_messages, load_catalog, load_leaflets, template_messages
from .catalogs import (
    NOT_REVIEWED,
    REVIEW_HEADER,
    REVIEWED,
    REVIEWER_HEADER,
    SOURCE_LOCALE,
    TEMPLATES_DOMAIN,
    LeafletCatalog,
    available_locales,
    leaflet_template,
    merge,
    new_catalog,
    parse_locale,
    po_path,
    pot_path,
    read_catalog,
    templates_template,
    write_catalog,
)
from .checks import Finding, Status, catalog_status, check_catalog
from .errors import UsageError
from .locales import locale_info
from .pharmacy import load_pharmacy
from .project import Project
from .render import RenderOptions
from .warm import WarmRenderer


def _print_outcome(outcome: Outcome) -> None:
    if outcome.status in ("built", "skipped"):
        print(f"{outcome.status:8} {outcome.path}  ({outcome.size // 1024} KB"
              + (f", {outcome.seconds:.2f} s)" if outcome.status == "built" else ")"))
    else:
        _print_problems(outcome)


def _print_problems(outcome: Outcome) -> None:
    print(f"{outcome.status:8} {outcome.leaflet} {outcome.locale}", file=sys.stderr)
    for problem in outcome.problems:
        print(f"  {problem}", file=sys.stderr)


class _ProgressBar:
    """A progress bar on a terminal; problems are still printed in full above it."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(unit="pdf", desc="building", leave=False, file=sys.stderr)

    def __call__(self, outcome: Outcome) -> None:
        if outcome.status in ("refused", "failed"):
            self.bar.clear()
            _print_problems(outcome)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def build_options(args: argparse.Namespace, project: Project) -> RenderOptions:
    """Render options from the command line, defaults from the pharmacy profile."""
    pharmacy = load_pharmacy(args.pharmacy, display=project.display(args.pharmacy)) if args.pharmacy else None
    with_locale = args.with_locale or (pharmacy.second_language if pharmacy else None)
    if with_locale and with_locale.lower() == "none":
        with_locale = None
    if with_locale:
        parse_locale(with_locale)
    return RenderOptions(paper=args.paper or (pharmacy.paper if pharmacy and pharmacy.paper else "a4"),
                         draft=args.draft, large_print=args.large_print, with_locale=with_locale,
                         pharmacy=pharmacy)


def cmd_build(args: argparse.Namespace, project: Project, renderer: WarmRenderer | None = None) -> int:
    options = build_options(args, project)
    bar = _ProgressBar() if sys.stderr.isatty() else None
    try:
        report = build(project, args.out, leaflet_ids=args.leaflet, locales=args.locale, options=options,
                       jobs=args.jobs, force=args.force, progress=bar or _print_outcome, renderer=renderer)
    finally:
        if bar:
            bar.close()
    print(f"{report.count('built')} built, {report.count('skipped')} skipped (unchanged), "
          f"{report.count('refused')} refused, {report.count('failed')} failed in {report.seconds:.1f} s")
    return 0 if report.ok else 1


def cmd_validate(args: argparse.Namespace, project: Project) -> int:
    leaflets = load_leaflets(project)
    for leaflet in leaflets:
        critical = len(leaflet.safety_critical_ids())
        total = sum(1 for _ in leaflet.texts())
        print(f"ok  {leaflet.path}: {total} strings, {critical} safety-critical")
    return 0


def cmd_a11y(args: argparse.Namespace, project: Project) -> int:
    import pikepdf

    from .a11y import check_file, format_report

    failed = False
    for path in args.pdf:
        try:
            checks = check_file(path)
        except (OSError, pikepdf.PdfError) as exc:
            raise UsageError(f"{path}: cannot open as PDF: {exc}") from None
        print(format_report(str(path), checks))
        failed |= not all(c.ok for c in checks)
    return 1 if failed else 0


def cmd_serve(args: argparse.Namespace, project: Project) -> int:
    try:
        from .server import serve
    except ImportError as exc:
        raise UsageError(f"the server needs the 'serve' extra ({exc.name} is not installed): "
                         "pip install 'leafletgen[serve]'") from None

    serve(project, args.host, args.port, args.workers, args.queue, args.timeout)
    return 0


COMMANDS = {
    "a11y": cmd_a11y,
    "serve": cmd_serve,
    "build": cmd_build,
    "validate": cmd_validate,
}


# -- translator workflow -----------------------------------------------------------------

def _templates(project: Project) -> dict[str, LeafletCatalog]:
    """Every POT as extracted now from the sources, by domain."""
    pots = {leaflet.id: leaflet_template(leaflet, leaflet.path) for leaflet in load_leaflets(project)}
    pots[TEMPLATES_DOMAIN] = templates_template(project.templates_dir, project.root)
    return pots


def cmd_extract(args: argparse.Namespace, project: Project) -> int:
    for domain, pot in _templates(project).items():
        path = pot_path(project.locales_dir, domain)
        changed = write_catalog(path, pot)
        print(f"{'wrote' if changed else 'unchanged'} {project.display(path)} ({len(pot)} messages)")
    return 0


def cmd_init(args: argparse.Namespace, project: Project) -> int:
    code = args.locale.replace("-", "_")
    parse_locale(code)  # validates; the folder and Language header keep the code as given
    if code == SOURCE_LOCALE:
        raise UsageError("English is the source language and needs no catalog")
    created = 0
    for domain, pot in _templates(project).items():
        path = po_path(project.locales_dir, code, domain)
        if path.exists():
            print(f"exists   {project.display(path)} (use 'leafletgen update' to merge changes)")
            continue
        catalog = new_catalog(pot, code)
        write_catalog(path, catalog)
        created += 1
        print(f"created  {project.display(path)} ({len(pot)} messages, {catalog.plural_forms})")
    print(f"{locale_info(code).name} ({code}): {created} catalog(s) created, marked not reviewed")
    return 0


def cmd_update(args: argparse.Namespace, project: Project) -> int:
    pots = _templates(project)
    for domain, pot in pots.items():
        write_catalog(pot_path(project.locales_dir, domain), pot)
    for code in available_locales(project.locales_dir)[1:]:
        for domain, pot in pots.items():
            path = po_path(project.locales_dir, code, domain)
            old = read_catalog(path, display=project.display(path)) if path.exists() else new_catalog(pot, code)
            merged = merge(old, pot)
            fuzzy = sum(1 for m in merged if m.id and m.fuzzy)
            missing = sum(1 for m in merged if m.id and not m.string)
            changed = write_catalog(path, merged)
            print(f"{'updated ' if changed else 'current '} {project.display(path)}: "
                  f"{fuzzy} fuzzy, {missing} untranslated, {len(merged.obsolete)} obsolete")
    return 0


def _statuses(project: Project, locales: list[str] | None) -> list[Status]:
    leaflets = load_leaflets(project)
    template_msgs = template_messages(project)
    out = []
    for code in locales or available_locales(project.locales_dir):
        info = locale_info(code)
        strings = load_catalog(project, code, TEMPLATES_DOMAIN)
        for leaflet in leaflets:
            catalog = load_catalog(project, code, leaflet.id)
            if code == SOURCE_LOCALE:
                total = len(expected_messages(leaflet))
                critical = len(leaflet.safety_critical_ids())
                out.append(Status(code, info.name, leaflet.id, total, total, 0, 0, critical, critical, 0, True))
                continue
            status = catalog_status(catalog, locale=code, language=info.name, domain=leaflet.id,
                                    expected=expected_messages(leaflet),
                                    critical_ids=leaflet.safety_critical_ids(),
                                    reviewed=catalog is not None and catalog.reviewed)
            out.append(status)
        if code != SOURCE_LOCALE:
            out.append(catalog_status(strings, locale=code, language=info.name, domain=TEMPLATES_DOMAIN,
                                      expected=template_msgs, critical_ids=frozenset(),
                                      reviewed=strings is not None and strings.reviewed))
    return out


def cmd_status(args: argparse.Namespace, project: Project) -> int:
    statuses = _statuses(project, args.locale)
    if args.json:
        print(json.dumps([s.as_dict() for s in statuses], ensure_ascii=False, indent=2))
    else:
        header = f"{'locale':7} {'language':20} {'domain':18} {'done':>9} {'fuzzy':>5} {'todo':>5} " \
                 f"{'warnings':>9} {'checks':>6}  {'review':12} ships"
        print(header)
        print("-" * len(header))
        for s in statuses:
            print(f"{s.locale:7} {s.language[:20]:20} {s.domain[:18]:18} {s.translated:>4}/{s.total:<4} "
                  f"{s.fuzzy:>5} {s.untranslated:>5} {s.critical_ok:>4}/{s.critical_total:<4} {s.problems:>6}  "
                  f"{'reviewed' if s.reviewed else 'not reviewed':12} {'yes' if s.complete else 'NO'}")
    return 0 if all(s.complete for s in statuses) else 1


def cmd_check(args: argparse.Namespace, project: Project) -> int:
    leaflets = load_leaflets(project)
    critical = {leaflet.id: leaflet.safety_critical_ids() for leaflet in leaflets}
    findings: list[Finding] = []
    for code in args.locale or available_locales(project.locales_dir)[1:]:
        parse_locale(code)
        for domain in [*critical, TEMPLATES_DOMAIN]:
            catalog = load_catalog(project, code, domain)
            if catalog is not None:
                findings += check_catalog(catalog, locale=code, domain=domain,
                                          critical_ids=critical.get(domain, frozenset()))
    for f in findings:
        flag = " [safety-critical]" if f.critical else ""
        print(f"{f.locale} {f.domain} {f.msgctxt}: {f.severity}: {f.problem}{flag}")
    errors = sum(1 for f in findings if f.severity == "error" or f.critical)
    print(f"{len(findings)} problem(s), {errors} blocking", file=sys.stderr)
    return 1 if errors else 0


def cmd_review(args: argparse.Namespace, project: Project) -> int:
    code = str(parse_locale(args.locale))
    paths = sorted((project.locales_dir / code / "LC_MESSAGES").glob("*.po"))
    if not paths:
        raise UsageError(f"no catalogs for locale {code!r} in {project.display(project.locales_dir)}")
    for path in paths:
        catalog = read_catalog(path, display=project.display(path))
        if args.undo:
            catalog.extra_headers[REVIEW_HEADER] = NOT_REVIEWED
            catalog.extra_headers.pop(REVIEWER_HEADER, None)
        else:
            catalog.extra_headers[REVIEW_HEADER] = REVIEWED
            catalog.extra_headers[REVIEWER_HEADER] = args.by
        write_catalog(path, catalog)
        print(f"{'not reviewed' if args.undo else 'reviewed by ' + args.by}: {project.display(path)}")
    return 0


COMMANDS.update({
    "extract": cmd_extract,
    "init": cmd_init,
    "update": cmd_update,
    "status": cmd_status,
    "check": cmd_check,
    "review": cmd_review,
})
