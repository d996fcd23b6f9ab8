"""The translators' subcommands: extract, init, update, status, check, review, accept."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from leafletgen.cli.table import pad
from leafletgen.content.model import Leaflet
from leafletgen.errors import CatalogError, LeafletError, Problem, UsageError
from leafletgen.locale_codes import collision, same_locale
from leafletgen.project import Project
from leafletgen.render.locales import locale_info
from leafletgen.translate.catalogs import (
    SOURCE_LOCALE,
    TEMPLATES_DOMAIN,
    LeafletCatalog,
    available_locales,
    dump_catalog,
    holds_already,
    leaflet_template,
    merge,
    new_catalog,
    offered_locales,
    parse_catalog,
    po_path,
    pot_path,
    read_catalog,
    template_messages,
    templates_template,
    write_catalog,
    write_if_changed,
)
from leafletgen.translate.checks import Finding, by_context, check_translation
from leafletgen.translate.gate import Status, catalog_refusals, catalog_status, expected_messages
from leafletgen.translate.memory import build_memory, suggest
from leafletgen.translate.review import (
    UnitStatus,
    clean_name,
    current_hashes,
    domain_state,
    name_problem,
    new_record,
    record_path,
    unit_state,
    with_review,
    write_record,
)
from leafletgen.translate.snapshot import Snapshot, load_catalog, load_each_leaflet, load_leaflets
from leafletgen.translate.waivers import accept


@dataclass(frozen=True)
class BrokenRow:
    """A status row that could not be computed: its file or locale is broken, and why."""

    locale: str
    language: str
    domain: str
    reason: str
    complete: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"locale": self.locale, "language": self.language, "domain": self.domain,
                "complete": False, "error": self.reason}


def _templates(project: Project, leaflet_ids: list[str] | None = None) -> dict[str, LeafletCatalog]:
    """Every POT (or those of ``leaflet_ids`` and the templates') as extracted now from the sources, by domain."""
    pots = {leaflet.id: leaflet_template(leaflet, leaflet.path) for leaflet in load_leaflets(project, leaflet_ids)}
    pots[TEMPLATES_DOMAIN] = templates_template(project.templates_dir, project.root)
    return pots


def cmd_extract(args: argparse.Namespace, project: Project) -> int:
    for domain, pot in _templates(project).items():
        path = pot_path(project.locales_dir, domain)
        changed = write_catalog(path, pot)
        print(f"{'wrote' if changed else 'unchanged'} {project.display(path)} ({len(pot)} messages)")
    return 0


def cmd_init(args: argparse.Namespace, project: Project) -> int:
    code = args.locale  # its canonical name (cli/main.py): the folder's and the Language header's
    if same_locale(code, SOURCE_LOCALE):
        raise UsageError("English is the source language and needs no catalog")
    other = collision(code, available_locales(project.locales_dir))
    if other:
        raise UsageError(f"{code} names the same locale as the existing {other}: "
                         f"use 'leafletgen init {other}' (one folder per locale)")
    try:
        name = locale_info(code).name
    except LeafletError as exc:  # translators may start before the fonts are installed
        name = code
        print(f"warning: {exc.problems[0]}; its PDFs fail until then", file=sys.stderr)
    created = 0
    for domain, pot in _templates(project, args.leaflet and list(dict.fromkeys(args.leaflet))).items():
        path = po_path(project.locales_dir, code, domain)
        if path.exists():
            print(f"exists   {project.display(path)} (use 'leafletgen update' to merge changes)")
            continue
        catalog = new_catalog(pot, code)
        write_catalog(path, catalog)
        created += 1
        print(f"created  {project.display(path)} ({len(pot)} messages, {catalog.plural_forms})")
    print(f"{name} ({code}): {created} catalog(s) created, marked not reviewed")
    return 0


def cmd_update(args: argparse.Namespace, project: Project) -> int:
    """Extract, merge into every catalog, then write; a broken catalog is reported and left as it is.

    Everything is merged and checked in memory first (each result must read back as a
    valid catalog), then written, each file atomically: the tree is never half updated,
    and one unreadable catalog keeps neither the others nor the templates from updating.
    """
    pots = _templates(project)
    writes: list[tuple[Path, bytes, str]] = []
    for domain, pot in pots.items():
        path = pot_path(project.locales_dir, domain)
        writes.append((path, dump_catalog(pot, project.display(path)), ""))
    problems: list[Problem] = []
    for code in available_locales(project.locales_dir)[1:]:
        merged: list[tuple[str, Path, LeafletCatalog]] = []
        for domain, pot in pots.items():
            path = po_path(project.locales_dir, code, domain)
            if not path.exists() and domain != TEMPLATES_DOMAIN:
                continue  # not offered in this locale: 'init LOCALE --leaflet ID' starts it
            try:
                old = read_catalog(path, display=project.display(path)) if path.exists() else new_catalog(pot, code)
                merged.append((domain, path, merge(old, pot)))
            except CatalogError as exc:
                problems += exc.problems[:1]
        # the locale's own translations of the same English, this catalog's first (memory.py)
        for domain, path, catalog in merged:
            shown = project.display(path)
            suggested = suggest(catalog, build_memory(sorted(((d, c) for d, _, c in merged),
                                                            key=lambda pair: pair[0] != domain)))
            try:
                data = dump_catalog(catalog, shown)
                if not holds_already(path, data):
                    parse_catalog(data, shown)  # never write a catalog that cannot be read back
            except CatalogError as exc:
                problems += exc.problems[:1]
                continue
            fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
            missing = sum(1 for m in catalog if m.id and not any([m.string] if isinstance(m.string, str)
                                                                  else m.string or ()))
            writes.append((path, data, f"{fuzzy} fuzzy" + (f" ({suggested} suggested by memory)" if suggested else "")
                           + f", {missing} untranslated, {len(catalog.obsolete)} obsolete"))
    for path, data, summary in writes:
        try:
            changed = write_if_changed(path, data)
        except OSError as exc:
            problems.append(Problem(project.display(path), "", f"cannot write: {exc.strerror}"))
            continue
        if summary:
            print(f"{'updated ' if changed else 'current '} {project.display(path)}: {summary}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _statuses(project: Project, locales: list[str] | None) -> list[UnitStatus | BrokenRow]:
    """One row per locale and leaflet (the unit's computed review state), plus the templates row.

    A broken leaflet source, catalog or locale gives a row with its reason; every other
    row is still computed. All rows come from one snapshot of the files.
    """
    snapshot = Snapshot(project)
    leaflets = load_each_leaflet(snapshot)
    out: list[UnitStatus | BrokenRow] = [BrokenRow("*", "(every locale)", ident, "; ".join(map(str, item.problems)))
                                         for ident, item in leaflets.items() if isinstance(item, LeafletError)]
    try:
        template_msgs: dict[str, str] | LeafletError = template_messages(project)
    except LeafletError as exc:
        template_msgs = exc
    offered = {ident: offered_locales(project.locales_dir, ident) for ident in leaflets}
    for code in locales or available_locales(project.locales_dir):
        try:
            language = locale_info(code).name
        except LeafletError as exc:
            out.append(BrokenRow(code, code, "*", "; ".join(map(str, exc.problems))))
            continue
        for leaflet in (item for item in leaflets.values() if isinstance(item, Leaflet) and code in offered[item.id]):
            out.append(_row(partial(_leaflet_status, snapshot, code, language, leaflet, template_msgs),
                            code, language, leaflet.id))
        if code != SOURCE_LOCALE:
            out.append(_row(partial(_templates_status, snapshot, code, language, template_msgs),
                            code, language, TEMPLATES_DOMAIN))
    return out


def _row(compute: Callable[[], UnitStatus], code: str, language: str, domain: str) -> UnitStatus | BrokenRow:
    try:
        return compute()
    except LeafletError as exc:
        return BrokenRow(code, language, domain, "; ".join(map(str, exc.problems)))


def _leaflet_status(snapshot: Snapshot, code: str, language: str, leaflet: Leaflet,
                    template_msgs: dict[str, str] | LeafletError) -> UnitStatus:
    if isinstance(template_msgs, LeafletError):
        raise template_msgs
    project = snapshot.project
    strings = load_catalog(snapshot, code, TEMPLATES_DOMAIN)
    catalog = load_catalog(snapshot, code, leaflet.id)
    expected = expected_messages(leaflet)
    state = unit_state(project.locales_dir, code, leaflet.id, catalog, expected, strings, template_msgs)
    if code == SOURCE_LOCALE:
        total, critical = len(expected), len(leaflet.safety_critical_ids())
        return with_review(Status(code, language, leaflet.id, total, total, 0, 0, critical, critical, 0, True), state)
    status = catalog_status(catalog, locale=code, language=language, domain=leaflet.id, expected=expected,
                            critical_ids=leaflet.safety_critical_ids(), reviewed=state.reviewed)
    return with_review(status, state)


def _templates_status(snapshot: Snapshot, code: str, language: str,
                      template_msgs: dict[str, str] | LeafletError) -> UnitStatus:
    if isinstance(template_msgs, LeafletError):
        raise template_msgs
    strings = load_catalog(snapshot, code, TEMPLATES_DOMAIN)
    state = domain_state(snapshot.project.locales_dir, code, TEMPLATES_DOMAIN, strings, template_msgs)
    return with_review(catalog_status(strings, locale=code, language=language, domain=TEMPLATES_DOMAIN,
                                      expected=template_msgs, critical_ids=frozenset(), reviewed=state.reviewed),
                       state)


def cmd_status(args: argparse.Namespace, project: Project) -> int:
    if args.strings:
        from leafletgen.cli.strings import cmd_status_strings

        return cmd_status_strings(args, project)
    if args.format:
        raise UsageError("--format goes with --strings (the table of catalogs has --json)")
    statuses = _statuses(project, args.locale)
    if args.json:
        print(json.dumps([s.as_dict() for s in statuses], ensure_ascii=False, indent=2))
    else:
        header = f"{'locale':7} {'language':20} {'domain':18} {'done':>9} {'fuzzy':>5} {'todo':>5} " \
                 f"{'warnings':>9} {'checks':>6}  {'review':18} ships"
        print(header)
        print("-" * len(header))
        for s in statuses:
            if isinstance(s, BrokenRow):
                print(f"{s.locale:7} {pad(s.language, 20)} {s.domain[:18]:18} NO: {s.reason}")
                continue
            print(f"{s.locale:7} {pad(s.language, 20)} {s.domain[:18]:18} {s.translated:>4}/{s.total:<4} "
                  f"{s.fuzzy:>5} {s.untranslated:>5} {s.critical_ok:>4}/{s.critical_total:<4} {s.problems:>6}  "
                  f"{s.review[:18]:18} {'yes' if s.complete else 'NO'}")
    for problem in dict.fromkeys(s.review_problem for s in statuses
                                 if isinstance(s, UnitStatus) and s.review_problem):
        print(f"warning: review record {problem} (counts as not reviewed)", file=sys.stderr)
    return 0 if all(s.complete for s in statuses) else 1


def cmd_review(args: argparse.Namespace, project: Project) -> int:
    """Record (or with --undo remove) a professional review of leaflets in one locale.

    A review covers one leaflet's messages and the template strings it prints, as they
    are now (a hash per message, in locales/<locale>/reviews/<leaflet>.json); it is
    refused while anything the warnings gate refuses is left, or a message is fuzzy.
    """
    code = args.locale
    if code == SOURCE_LOCALE:
        raise UsageError("English is the source language and needs no review")
    if not args.leaflet:
        known = ", ".join(p.stem for p in project.leaflet_paths()) or "none"
        raise UsageError(f"leafletgen review: say which leaflet was reviewed: leafletgen review {code} "
                         f"--leaflet ID --by NAME (--leaflet is repeatable; leaflets: {known})")
    leaflets = load_leaflets(project, list(dict.fromkeys(args.leaflet)))
    if args.undo:
        return _undo_review(project, code, [leaflet.id for leaflet in leaflets])
    reason = name_problem(args.by)
    if reason:
        raise LeafletError(Problem("", "--by", reason))
    name = clean_name(args.by)
    if not (project.locales_dir / code / "LC_MESSAGES").is_dir():
        raise UsageError(f"no catalogs for locale {code!r} in {project.display(project.locales_dir)} "
                         f"(start them with 'leafletgen init {code}')")
    template_msgs = template_messages(project)
    strings = load_catalog(project, code, TEMPLATES_DOMAIN)
    refused: dict[str, None] = {}
    records = []
    for leaflet in leaflets:
        catalog = load_catalog(project, code, leaflet.id)
        expected = expected_messages(leaflet)
        findings = [*_review_refusals(code, leaflet.id, catalog, expected, leaflet.safety_critical_ids()),
                    *_review_refusals(code, TEMPLATES_DOMAIN, strings, template_msgs, frozenset())]
        refused.update(dict.fromkeys(f"cannot record the review: {f}" for f in findings))
        if not findings:
            records.append(new_record(code, leaflet, name, {leaflet.id: current_hashes(catalog, expected),
                                                            TEMPLATES_DOMAIN: current_hashes(strings, template_msgs)}))
    if refused:
        raise LeafletError([Problem("", "", line) for line in refused])
    for record in records:
        path = record_path(project.locales_dir, code, record.leaflet)
        try:
            write_record(path, record)
        except OSError as exc:
            raise LeafletError(Problem(project.display(path), "", f"cannot write: {exc.strerror}")) from None
        counts = " + ".join(str(len(m)) for m in record.messages.values())
        print(f"reviewed by {name}: {record.leaflet} {code} (revision {record.leaflet_revision}, {counts} messages) "
              f"-> {project.display(path)}")
    return 0


def _review_refusals(code: str, domain: str, catalog: LeafletCatalog | None, expected: dict[str, str],
                     critical_ids: frozenset[str]) -> list[Finding]:
    """What the gate refuses, plus any other fuzzy message: a review must see a finished catalog."""
    if catalog is None:
        return [Finding(code, domain, "-", f"no catalog {domain}.po for this locale", kind="missing")]
    found = catalog_refusals(catalog, locale=code, domain=domain, expected=expected, critical_ids=critical_ids)
    other_fuzzy = [ctxt for ctxt, m in by_context(catalog).items() if m.fuzzy and ctxt not in expected]
    return found + [Finding(code, domain, ctxt, "fuzzy: review the translation and remove the fuzzy flag",
                            kind="fuzzy") for ctxt in other_fuzzy]


def _undo_review(project: Project, code: str, leaflet_ids: list[str]) -> int:
    for leaflet_id in leaflet_ids:
        path = record_path(project.locales_dir, code, leaflet_id)
        try:
            existed = path.is_file()
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise LeafletError(Problem(project.display(path), "", f"cannot remove: {exc.strerror}")) from None
        print(f"not reviewed: {leaflet_id} {code} "
              + (f"(removed {project.display(path)})" if existed else "(there was no review record)"))
    return 0


def cmd_accept(args: argparse.Namespace, project: Project) -> int:
    """Accept the warnings of messages as they read now (waivers.py); errors are refused."""
    code = args.locale
    reason = name_problem(args.by)
    if reason:
        raise LeafletError(Problem("", "--by", reason))
    critical = frozenset() if args.domain == TEMPLATES_DOMAIN else \
        load_leaflets(project, [args.domain])[0].safety_critical_ids()
    path = po_path(project.locales_dir, code, args.domain)
    shown = project.display(path)
    if not path.exists():
        raise UsageError(f"no catalog {shown}")
    catalog = read_catalog(path, display=shown)
    index = by_context(catalog)
    problems, accepted = [], []
    for ctxt in dict.fromkeys(args.msgctxt):
        message = index.get(ctxt)
        if message is None or not message.string or message.fuzzy:
            problems.append(Problem(shown, ctxt, "no message with this id (see 'leafletgen check')" if message is None
                                    else "not translated" if not message.string
                                    else "fuzzy: review it and remove the fuzzy flag first"))
            continue
        found = check_translation(str(message.id), str(message.string), locale=code, critical=ctxt in critical,
                                  formatted=args.domain == TEMPLATES_DOMAIN)
        errors = [p for severity, p in found if severity == "error"]
        if errors:
            problems += [Problem(shown, ctxt, f"cannot be accepted, fix it: {p}") for p in errors]
        elif not found:
            problems.append(Problem(shown, ctxt, "has no warning to accept"))
        else:
            accept(message, [p for _, p in found], clean_name(args.by))
            accepted.append(ctxt)
    if problems:
        raise LeafletError(problems)
    data = dump_catalog(catalog, shown)
    parse_catalog(data, shown)  # never write a catalog that cannot be read back
    write_if_changed(path, data)
    for ctxt in accepted:
        print(f"accepted {code} {args.domain} {ctxt} by {clean_name(args.by)} (until its text changes)")
    return 0


TRANSLATOR_COMMANDS = {
    "extract": cmd_extract,
    "init": cmd_init,
    "update": cmd_update,
    "status": cmd_status,
    "review": cmd_review,
    "accept": cmd_accept,
}
