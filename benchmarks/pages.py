"""Pages per leaflet and locale, on A4 and in large print: what a patient is handed.

    make bench            (or: .venv/bin/python benchmarks/pages.py [--leaflet ID])

Prints a table (leaflets x locales, pages for A4 and A4 large print, and the longest text
line in characters). Page counts are reported here, never asserted by a test: they follow
the content and the translations.
"""
# ruff: noqa: E402  (imports follow the sys.path set-up for running from a checkout)

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pikepdf

from leafletgen.build.runner import build
from leafletgen.project import Project
from leafletgen.render.options import RenderOptions


def _longest_lines(path: Path) -> int:
    """The 95th percentile of text line lengths (characters): the measure of a line."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    lengths = sorted(len(line) for line in text.splitlines() if len(line.strip()) > 20)
    return lengths[int(len(lengths) * 0.95)] if lengths else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaflet", action="append")
    args = parser.parse_args()
    project = Project(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        rows: dict[tuple[str, str], list[object]] = {}
        for label, options in (("a4", RenderOptions()), ("large", RenderOptions(large_print=True))):
            report = build(project, Path(tmp) / label, leaflet_ids=args.leaflet, options=options)
            for outcome in report.outcomes:
                if outcome.status != "built" or outcome.path is None:
                    continue
                with pikepdf.open(outcome.path) as pdf:
                    pages = len(pdf.pages)
                row = rows.setdefault((outcome.leaflet, outcome.locale), [])
                row.append(pages)
                if label == "a4":
                    row.append(_longest_lines(outcome.path))
    print(f"{'leaflet':20} {'locale':7} {'A4 pages':>8} {'line chars':>10} {'large print':>11}")
    for (leaflet, locale), values in sorted(rows.items()):
        a4, chars, large = [*values, None, None, None][:3]
        print(f"{leaflet:20} {locale:7} {a4!s:>8} {chars!s:>10} {large!s:>11}")


if __name__ == "__main__":
    main()
