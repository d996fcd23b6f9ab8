"""``leafletgen xliff export|import``: catalogs for translation agencies (translate/xliff.py).

Import reads every file and checks it completely before anything is written: an unknown id,
a file for another locale or an unreadable file stops the import with one line each. What
the warnings gate would refuse after the import is reported first; it is written all the
same (a translation in progress is a normal state), unless ``--dry-run``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from leafletgen.errors import CatalogError, LeafletError, Problem
from leafletgen.locale_codes import resolve
from leafletgen.project import Project
from leafletgen.translate.catalogs import (
    TEMPLATES_DOMAIN,
    LeafletCatalog,
    available_locales,
    dump_catalog,
    parse_catalog,
    po_path,
    read_catalog,
    template_messages,
    write_if_changed,
)
from leafletgen.translate.gate import catalog_refusals, expected_messages, refusal_summary
from leafletgen.translate.snapshot import load_leaflets
from leafletgen.translate.xliff import ImportResult, apply_xliff, export_xliff, read_xliff


def _expected(project: Project, domain: str) -> tuple[dict[str, str], frozenset[str]]:
    if domain == TEMPLATES_DOMAIN:
        return template_messages(project), frozenset()
    leaflet = load_leaflets(project, [domain])[0]
    return expected_messages(leaflet), leaflet.safety_critical_ids()


def cmd_xliff(args: argparse.Namespace, project: Project) -> int:
    return _export(args, project) if args.xliff_command == "export" else _import(args, project)


def _export(args: argparse.Namespace, project: Project) -> int:
    path = po_path(project.locales_dir, args.locale, args.leaflet)
    if not path.exists():
        raise CatalogError(Problem(project.display(path), "", f"no catalog: start it with 'leafletgen init "
                                                              f"{args.locale} --leaflet {args.leaflet}'"))
    catalog = read_catalog(path, display=project.display(path))
    _, critical = _expected(project, args.leaflet)
    data = export_xliff(catalog, locale=args.locale, original=project.display(path), critical_ids=critical)
    out = args.output or Path(f"{args.leaflet}.{args.locale}.xlf")
    if str(out) == "-":
        sys.stdout.buffer.write(data)
        return 0
    try:
        write_if_changed(out, data)
    except OSError as exc:
        raise LeafletError(Problem(str(out), "", f"cannot write: {exc.strerror}")) from None
    units = sum(1 for m in catalog if m.id)
    print(f"wrote {out} ({units} units, {args.locale}, from {project.display(path)})")
    return 0


def _import(args: argparse.Namespace, project: Project) -> int:
    known = available_locales(project.locales_dir)
    planned: list[tuple[Path, LeafletCatalog, ImportResult, bytes]] = []
    problems: list[Problem] = []
    for file in args.file:
        try:
            data = file.read_bytes()
        except OSError as exc:
            problems.append(Problem(str(file), "", f"cannot read: {exc.strerror}"))
            continue
        try:
            domain, locale, units = read_xliff(data, str(file))
            locale = resolve(locale, known)
            path = po_path(project.locales_dir, locale, domain)
            if not path.exists():
                raise CatalogError(Problem(str(file), "<file>", f"no catalog {project.display(path)} to import into"))
            catalog = read_catalog(path, display=project.display(path))
            result = apply_xliff(catalog, units, domain=domain, locale=locale, name=str(file))
            problems += result.problems
            shown = project.display(path)
            out = dump_catalog(catalog, shown)
            parse_catalog(out, shown)  # never write a catalog that cannot be read back
        except LeafletError as exc:
            problems += exc.problems
            continue
        planned.append((path, catalog, result, out))
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"nothing imported: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    for path, catalog, result, out in planned:
        expected, critical = _expected(project, result.domain)
        refused = catalog_refusals(catalog, locale=result.locale, domain=result.domain, expected=expected,
                                   critical_ids=critical)
        shown = project.display(path)
        print(f"{shown}: {len(result.changed)} message(s) changed, {len(result.fuzzy)} fuzzy"
              + (f" ({len(result.older_english)} translated from older English)" if result.older_english else ""))
        if refused:
            print(f"  the gate would refuse {result.domain} {result.locale}: {refusal_summary(refused)}")
            for finding in refused:
                print(f"    {finding}")
        else:
            print(f"  the gate passes {result.domain} {result.locale}")
        if not args.dry_run:
            write_if_changed(path, out)
    if args.dry_run:
        print("dry run: nothing written")
    return 0
