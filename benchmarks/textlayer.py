"""How much of each locale's warnings a PDF reader gets back exactly, before and after the fix.

For every locale: the share of safety-critical strings found exactly (after Unicode
NFC, ignoring whitespace, hyphens and bidi marks) in
  (a) the content stream, as `pdftotext` reads it (copy-paste, search), and
  (b) the tagged structure, as assistive technology reads it (honouring /ActualText),
for WeasyPrint's PDF as written ("raw") and after leafletgen's text-layer fix.

    .venv/bin/python benchmarks/textlayer.py
"""
# ruff: noqa: E402  (imports follow the sys.path set-up for running from a checkout)

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pikepdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from leafletgen.inspect.readback import structure_text
from leafletgen.pdf.engine import render_pdf
from leafletgen.project import Project
from leafletgen.render.html import leaflet_html
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, available_locales
from leafletgen.translate.localize import translate_leaflet
from leafletgen.translate.snapshot import (
    load_catalog,
    load_leaflets,
)

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u00ad\ufeff]")


def normalize(text: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text.replace("**", "")))
    return re.sub(r"[\s\-‐‑]+", "", text)


def pdftotext(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        return subprocess.run(["pdftotext", "-enc", "UTF-8", fh.name, "-"], capture_output=True, text=True,
                              check=True).stdout


def share(strings: list[str], text: str) -> float:
    text = normalize(text)
    return 100.0 * sum(1 for s in strings if normalize(s) in text) / len(strings)


def main() -> None:
    project = Project(ROOT)
    rows = []
    for leaflet in load_leaflets(project):
        for locale in available_locales(project.locales_dir):
            catalog = load_catalog(project, locale, leaflet.id)
            strings = load_catalog(project, locale, TEMPLATES_DOMAIN)
            translated = translate_leaflet(leaflet, catalog)
            critical = [t.text for t, is_critical in translated.texts() if is_critical]
            html = leaflet_html(project, leaflet, locale, RenderOptions(), catalog, strings)
            result = [leaflet.id, locale, str(len(critical))]
            for exact in (False, True):
                data = render_pdf(html, base_dir=project.templates_dir, name=locale, exact_text=exact)
                with pikepdf.open(__import__("io").BytesIO(data)) as pdf:
                    tagged = structure_text(pdf)
                result += [f"{share(critical, pdftotext(data)):.0f}%", f"{share(critical, tagged):.0f}%"]
            rows.append(result)
    header = ["leaflet", "locale", "warnings", "(a) raw", "(b) raw", "(a) fixed", "(b) fixed"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
