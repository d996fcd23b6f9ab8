"""``leafletgen changes``: what a translator has to do in one catalog after the English changed.

After ``leafletgen update`` a catalog knows exactly what changed since it was translated:
a changed message is fuzzy and keeps the English it was translated from (``#| msgid``),
a new one is untranslated, a removed one is obsolete (``#~``). This lists them for one
leaflet in one locale, with the old and new English side by side, so a translator (or a
reviewer of machine drafts) sees the work of a revision without a PO editor.
"""

from __future__ import annotations

import argparse
import difflib
import json

from leafletgen.errors import UsageError
from leafletgen.project import Project
from leafletgen.translate.catalogs import SOURCE_LOCALE, po_path, read_catalog
from leafletgen.translate.gate import expected_messages
from leafletgen.translate.snapshot import load_leaflets


def _diff(old: str, new: str) -> str:
    """The words that changed: '[-old-]{+new+}' (wdiff's notation)."""
    a, b = old.split(), new.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out += a[i1:i2]
            continue
        if i2 > i1:
            out.append(f"[-{' '.join(a[i1:i2])}-]")
        if j2 > j1:
            out.append(f"{{+{' '.join(b[j1:j2])}+}}")
    return " ".join(out)


def changes(project: Project, locale: str, leaflet_id: str) -> list[dict[str, str]]:
    """One row per message to act on: kind ("new", "changed", "removed"), id, English (and before)."""
    leaflet = load_leaflets(project, [leaflet_id])[0]
    path = po_path(project.locales_dir, locale, leaflet_id)
    if not path.exists():
        raise UsageError(f"no catalog {project.display(path)} (start one with 'leafletgen init {locale} "
                         f"--leaflet {leaflet_id}')")
    catalog = read_catalog(path, display=project.display(path))
    index = {m.context: m for m in catalog if m.id and m.context}
    rows: list[dict[str, str]] = []
    for ctxt, english in expected_messages(leaflet).items():
        message = index.get(ctxt)
        if message is None or not message.string:
            rows.append({"kind": "new", "id": ctxt, "english": english})
        elif message.fuzzy or str(message.id) != english:
            before = str(message.previous_id[0]) if message.fuzzy and message.previous_id else str(message.id)
            rows.append({"kind": "changed", "id": ctxt, "english": english, "before": before,
                         "diff": _diff(before, english), "translation": str(message.string)})
    for message in catalog.obsolete.values():
        if message.context and message.context not in index:
            rows.append({"kind": "removed", "id": message.context, "english": str(message.id)})
    return rows


def cmd_changes(args: argparse.Namespace, project: Project) -> int:
    code = args.locale
    if code == SOURCE_LOCALE:
        raise UsageError("English is the source language: it has no catalog to change")
    rows = changes(project, code, args.leaflet)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        print(f"{row['kind']:8} {row['id']}")
        if row["kind"] == "changed":
            print(f"         English: {row['diff']}")
            print(f"         yours:   {row['translation']}")
        else:
            print(f"         English: {row['english']}")
    counts = {kind: sum(1 for r in rows if r["kind"] == kind) for kind in ("new", "changed", "removed")}
    print(f"{args.leaflet} {code}: {counts['new']} new, {counts['changed']} changed, {counts['removed']} removed")
    return 0


__all__ = ["changes", "cmd_changes"]
