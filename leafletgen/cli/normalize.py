"""``leafletgen normalize``: every catalog rewritten in the project's one PO form.

Poedit, Weblate, GNU msgcat and pybabel each wrap and order a little differently; the project's
writer (translate/pofile.py: Babel's, unwrapped, with msgmerge's ``#|`` and obsolete flags, one
newline at the end) is the form ``update`` writes. Run after saving with another tool, and a diff
shows only what the translator changed. ``--check`` writes nothing and exits 1 if a file would change.
"""

from __future__ import annotations

import argparse
import sys

from leafletgen.errors import CatalogError
from leafletgen.project import Project
from leafletgen.translate.catalogs import dump_catalog, parse_catalog, same_but_dates, write_if_changed


def cmd_normalize(args: argparse.Namespace, project: Project) -> int:
    locales = set(args.locale or ())
    paths = sorted(p for p in project.locales_dir.glob("*/LC_MESSAGES/*.po")
                   if not locales or p.parent.parent.name in locales)
    if not locales:
        paths += sorted(project.locales_dir.glob("*.pot"))
    changed, broken = [], 0
    for path in paths:
        shown = project.display(path)
        try:
            data = path.read_bytes()
            out = dump_catalog(parse_catalog(data, shown), shown)
            parse_catalog(out, shown)  # never write a catalog that cannot be read back
        except OSError as exc:
            print(f"error: {shown}: cannot read: {exc.strerror}", file=sys.stderr)
            broken += 1
            continue
        except CatalogError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            broken += 1
            continue
        if not same_but_dates(data, out):  # as write_if_changed decides: the header's dates aside
            changed.append(shown)
            if not args.check:
                write_if_changed(path, out)
            print(f"{'would rewrite' if args.check else 'rewrote'} {shown}")
    print(f"{len(paths)} catalog(s): {len(changed)} {'not normalized' if args.check else 'rewritten'}"
          + (f", {broken} unreadable (left as they are)" if broken else ""), file=sys.stderr)
    return 1 if broken or (args.check and changed) else 0
