"""How much of each locale's text a PDF reader gets back exactly, and what it costs to render.

For every locale (both leaflets together): the share of translated strings found exactly
(after Unicode NFC, ignoring whitespace, hyphens and bidi marks, as the tests compare) in
  poppler    the content stream as `pdftotext` reads it (layout order, or -raw order:
             either counts, as in tests/test_warnings.py), the page footers cropped off;
  mupdf      the content stream as PyMuPDF reads it (left-to-right scripts only: it does
             not reorder right-to-left text). pdfminer, which the issue names, is not in
             the lock; PyMuPDF is (it comes with outloud);
  structure  the tagged structure, as assistive technology reads it (/ActualText, /Alt);
and the errors the third-party PDF/UA-1 checker outloud reports (all rules), and the
render time per PDF (WeasyPrint plus leafletgen's finisher; mean of the leaflets).

    .venv/bin/python benchmarks/textlayer.py [--locale CODE ...]
"""
# ruff: noqa: E402  (imports follow the sys.path set-up for running from a checkout)

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

import pikepdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from leafletgen.inspect.readback import structure_text
from leafletgen.pdf.engine import render_pdf
from leafletgen.project import Project
from leafletgen.render.html import leaflet_html
from leafletgen.render.locales import locale_info
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, offered_locales
from leafletgen.translate.localize import translate_leaflet
from leafletgen.translate.snapshot import figures, load_catalog, load_leaflets

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u00ad\ufeff]")
FOOTER = 24 * 72 / 25.4  # the bottom margin with the page footer, in points


def normalize(text: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text.replace("**", "")))
    return re.sub(r"[\s\-‐‑]+", "", text)


def pdftotext(path: Path, *args: str) -> str:
    with pikepdf.open(path) as pdf:
        width, height = (float(v) for v in pdf.pages[0].MediaBox[2:])
    crop = ["-x", "0", "-y", "0", "-W", str(int(width)), "-H", str(int(height - FOOTER))]
    return subprocess.run(["pdftotext", *args, "-enc", "UTF-8", *crop, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def mupdf_text(path: Path) -> str:
    import pymupdf

    with pymupdf.open(path) as doc:
        return "".join(page.get_text() for page in doc)


def outloud_errors(path: Path) -> int:
    import outloud

    return outloud.check(str(path)).errors


def found(strings: list[str], *texts: str) -> int:
    normalized = [normalize(t) for t in texts]
    return sum(1 for s in strings if any(normalize(s) in t for t in normalized))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locale", action="append", help="only these locales")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1764028800")
    project = Project(ROOT)
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0.0, 0, 0])
    with tempfile.TemporaryDirectory() as tmp:
        for leaflet in load_leaflets(project):
            alt_ids = {figure.alt.id for figure in figures(leaflet)}
            for locale in offered_locales(project.locales_dir, leaflet.id):
                if args.locale and locale not in args.locale:
                    continue
                catalog = load_catalog(project, locale, leaflet.id)
                strings = load_catalog(project, locale, TEMPLATES_DOMAIN)
                translated = translate_leaflet(leaflet, catalog)
                printed = [t.text for t, _ in translated.texts() if t.id not in alt_ids]
                every = [t.text for t, _ in translated.texts()]
                html = leaflet_html(project, leaflet, locale, RenderOptions(), catalog, strings)
                start = time.perf_counter()
                data = render_pdf(html, base_dir=project.templates_dir, name=locale)
                seconds = time.perf_counter() - start
                path = Path(tmp) / f"{leaflet.id}.{locale}.pdf"
                path.write_bytes(data)
                with pikepdf.open(io.BytesIO(data)) as pdf:
                    tagged = structure_text(pdf)
                row = totals[locale]
                row[0] += len(printed)
                row[1] += found(printed, pdftotext(path), pdftotext(path, "-raw"))
                rtl = locale_info(locale).direction == "rtl"
                row[2] += 0 if rtl else found(printed, mupdf_text(path))
                row[3] += len(every)
                row[4] += found(every, tagged)
                row[5] += outloud_errors(path)
                row[6] += seconds
                row[7] += 1
                row[8] = rtl
    header = ["locale", "strings", "poppler", "mupdf (LTR)", "structure", "outloud errors", "ms/PDF"]
    rows = []
    for locale, (n, poppler, mupdf, n_all, tagged, errors, seconds, pdfs, rtl) in sorted(totals.items()):
        rows.append([locale, f"{int(n)}", f"{100 * poppler / n:.0f}% ({int(poppler)})",
                     "-" if rtl else f"{100 * mupdf / n:.0f}%", f"{100 * tagged / n_all:.0f}%",
                     f"{int(errors)}", f"{1000 * seconds / pdfs:.0f}"])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
