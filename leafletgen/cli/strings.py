"""Per message: ``leafletgen check`` (the checks' findings, and what is not translated) and
``leafletgen status --strings`` (every message's state, for a team or an agency: translate/strings.py)."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from leafletgen.content.model import Leaflet
from leafletgen.errors import LeafletError
from leafletgen.project import Project
from leafletgen.translate.catalogs import (
    SOURCE_LOCALE,
    TEMPLATES_DOMAIN,
    available_locales,
    offered_locales,
    template_messages,
)
from leafletgen.translate.checks import Finding, by_context, check_catalog
from leafletgen.translate.gate import expected_messages
from leafletgen.translate.glossary import Term, glossary_findings, glossary_path, read_glossary
from leafletgen.translate.snapshot import Snapshot, load_catalog, load_each_leaflet
from leafletgen.translate.strings import COLUMNS, MISSING, REVIEWED, TRANSLATED, StringRow, string_rows


def string_status(project: Project, locales: list[str] | None) -> tuple[list[StringRow], list[str]]:
    """Every message of every offered catalog (or of ``locales``), and the files that could not be read."""
    snapshot = Snapshot(project)
    leaflets = [item for item in load_each_leaflet(snapshot).values() if isinstance(item, Leaflet)]
    rows: list[StringRow] = []
    broken: list[str] = []
    try:
        template_msgs = template_messages(project)
    except LeafletError as exc:
        return [], [str(p) for p in exc.problems]
    # each leaflet's messages and where it is offered, once for every locale
    offered = {leaflet.id: offered_locales(project.locales_dir, leaflet.id) for leaflet in leaflets}
    every = [(leaflet.id, expected_messages(leaflet), leaflet.safety_critical_ids()) for leaflet in leaflets]
    for code in locales or available_locales(project.locales_dir)[1:]:
        if code == SOURCE_LOCALE:
            continue
        domains = [domain for domain in every if code in offered[domain[0]]]
        terms = _glossary(project, code, broken)
        for domain, expected, critical in [*domains, (TEMPLATES_DOMAIN, template_msgs, frozenset())]:
            try:
                catalog = load_catalog(snapshot, code, domain)
            except LeafletError as exc:
                broken += [str(p) for p in exc.problems]
                continue
            rows += string_rows(project.locales_dir, catalog, locale=code, domain=domain, expected=expected,
                                critical_ids=critical, terms=terms)
    return rows, broken


def cmd_status_strings(args: argparse.Namespace, project: Project) -> int:
    rows, broken = string_status(project, args.locale)
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\r\n")  # RFC 4180, as spreadsheets read it
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow([r.leaflet, r.locale, r.id, "yes" if r.safety_critical else "no", r.state,
                             " | ".join(r.findings), r.english, r.translation])
    else:
        for r in rows:
            flag = " [safety-critical]" if r.safety_critical else ""
            detail = f": {'; '.join(r.findings)}" if r.findings else ""
            print(f"{r.locale} {r.leaflet} {r.id}: {r.state}{flag}{detail}")
    for problem in broken:
        print(f"error: {problem}", file=sys.stderr)
    counts = {state: sum(1 for r in rows if r.state == state) for state in dict.fromkeys(r.state for r in rows)}
    print(", ".join(f"{n} {state}" for state, n in counts.items()) or "no messages", file=sys.stderr)
    done = all(r.state in (TRANSLATED, REVIEWED) for r in rows) and not broken
    return 0 if done and not any(r.state == MISSING for r in rows) else 1


def _glossary(project: Project, code: str, broken: list[str]) -> list[Term]:
    """The locale's agreed terms; a glossary that cannot be read is reported in ``broken``, and none used."""
    path = glossary_path(project.locales_dir, code)
    try:
        return read_glossary(path, display=project.display(path))
    except LeafletError as exc:
        broken += [str(p) for p in exc.problems]
        return []


def cmd_check(args: argparse.Namespace, project: Project) -> int:
    snapshot = Snapshot(project)
    loaded = load_each_leaflet(snapshot)
    broken = [str(p) for item in loaded.values() if isinstance(item, LeafletError) for p in item.problems]
    critical = {ident: item.safety_critical_ids() for ident, item in loaded.items() if isinstance(item, Leaflet)}
    expected = {ident: expected_messages(item) for ident, item in loaded.items() if isinstance(item, Leaflet)}
    expected[TEMPLATES_DOMAIN] = template_messages(project)
    findings: list[Finding] = []
    missing: dict[tuple[str, str], int] = {}  # (locale, domain) -> messages not translated
    for code in args.locale or available_locales(project.locales_dir)[1:]:
        terms = _glossary(project, code, broken)
        for domain in [*critical, TEMPLATES_DOMAIN]:
            try:
                catalog = load_catalog(snapshot, code, domain)
            except LeafletError as exc:  # one broken catalog: report it, check the others
                broken += [str(p) for p in exc.problems]
                continue
            if catalog is not None:
                findings += check_catalog(catalog, locale=code, domain=domain,
                                          critical_ids=critical.get(domain, frozenset()))
                findings += glossary_findings(catalog, terms, locale=code, domain=domain)
                index = by_context(catalog)
                untranslated = sum(1 for ctxt in expected[domain] if not (index.get(ctxt) and index[ctxt].string))
                if untranslated:
                    missing[code, domain] = untranslated
    for f in findings:
        flag = " [safety-critical]" if f.critical else ""
        print(f"{f.locale} {f.domain} {f.msgctxt}: {f.severity}: {f.problem}{flag}")
    for problem in broken:
        print(f"error: {problem}", file=sys.stderr)
    errors = sum(1 for f in findings if f.severity == "error" or f.critical) + len(broken)
    for (code, domain), count in missing.items():  # not a check finding, but nothing to print either
        print(f"{code} {domain}: {count} of {len(expected[domain])} messages not translated "
              f"(leafletgen status --strings -L {code})", file=sys.stderr)
    print(f"{len(findings)} problem(s), {errors} blocking, {sum(missing.values())} message(s) not translated",
          file=sys.stderr)
    return 1 if errors or missing else 0
