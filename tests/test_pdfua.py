"""A third-party PDF/UA-1 checker (outloud) finds no error in one PDF per script, for every option.

One locale per writing (a script and its fonts: Urdu's Nastaliq apart from Arabic's Naskh), in
every leaflet: normal, large print, US Letter and bilingual (``--with en``). What outloud reports
as an error fails the test, apart from the short list below, each judged a false positive with the
evidence in its comment, and each allowed only in the shape that evidence covers.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from leafletgen.build.runner import Report
from leafletgen.render.options import RenderOptions

from conftest import SessionPdfs, every_unit, one_locale_per_writing, unit_pdf

pytestmark = pytest.mark.pdf


WRITINGS = one_locale_per_writing()


def _header_words(path: Path) -> set[str]:
    """Every word of the PDF's table header cells (their /ActualText)."""
    words: set[str] = set()
    with pikepdf.open(path) as pdf:
        stack: list[object] = [pdf.Root.StructTreeRoot.K]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Array):
                stack.extend(node)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                if node.S == "/TH":
                    inner: list[object] = [node]
                    while inner:
                        cell = inner.pop()
                        if isinstance(cell, pikepdf.Array):
                            inner.extend(cell)
                        elif isinstance(cell, pikepdf.Dictionary):
                            if "/ActualText" in cell:
                                words.update(str(cell.ActualText).split())
                            if "/K" in cell:
                                inner.append(cell.K)
                elif "/K" in node:
                    stack.append(node.K)
    return words


def _false_positive(finding: object, path: Path) -> bool:
    rule, message = finding.rule, finding.message  # type: ignore[attr-defined]
    if rule == "TBL-010":
        # "Header cells look shredded" is a heuristic that fires when a table has more TH than TD.
        # Ours are key/value tables (templates/blocks/table.html.j2): one header row of <th scope="col">
        # and a <th scope="row"> opening every body row, so a two-column table always has more header
        # cells than data cells (isotretinoin: 2 + 4 TH, 4 TD; warfarin's myth/truth table 2 + 14, 14).
        # Nothing is shredded: each TH is one whole cell with /Scope. Allowed only for that reason
        # alone, never for "N header rows" or "header rows of single words".
        return message.startswith("header cells look shredded: ") and "header rows" not in message
    if rule == "TAG-002":
        # "Prose marked /Artifact": the header row of a long table, repeated by WeasyPrint at the top
        # of the next page, is an artifact on purpose (PDF/UA: the repeated row is not content; the
        # first row's TH stay in the structure and every data cell's /Headers points at them, see
        # leafletgen/pdf/structure.py). Allowed only when every word shown is a header cell's word.
        evidence = str(finding.evidence or "")  # type: ignore[attr-defined]
        return bool(evidence) and set(evidence.replace("…", " ").split()) <= _header_words(path)
    return False


def _errors(path: Path) -> list[str]:
    import outloud

    result = outloud.check(str(path))
    return [f"{f.rule} p.{f.page}: {f.message}" for f in result.findings
            if f.severity == "error" and not _false_positive(f, path)]


def _units(locales: list[str]) -> list[object]:
    return [pytest.param(ident, code, id=f"{ident}-{code}") for ident, code in every_unit() if code in locales]


@pytest.mark.parametrize(("leaflet_id", "locale"), _units(WRITINGS))
def test_outloud_finds_no_error_in_any_writing(built: tuple[Path, Report], leaflet_id: str, locale: str) -> None:
    assert _errors(unit_pdf(built[0], leaflet_id, locale)) == []


@pytest.mark.parametrize(("leaflet_id", "locale"), _units(WRITINGS))
def test_outloud_finds_no_error_in_large_print(built_large: tuple[Path, Report], leaflet_id: str,
                                               locale: str) -> None:
    assert _errors(unit_pdf(built_large[0], leaflet_id, locale, ".large")) == []


@pytest.mark.parametrize(("leaflet_id", "locale"), _units(WRITINGS))
def test_outloud_finds_no_error_on_letter_paper(built_letter: tuple[Path, Report], leaflet_id: str,
                                                locale: str) -> None:
    out, _ = built_letter
    assert _errors(unit_pdf(out, leaflet_id, locale, ".letter")) == []


@pytest.mark.parametrize(("leaflet_id", "locale"), _units([c for c in WRITINGS if c != "en"]))
def test_outloud_finds_no_error_in_a_bilingual_handout(session_pdfs: SessionPdfs, leaflet_id: str,
                                                       locale: str) -> None:
    out, _ = session_pdfs(RenderOptions(with_locale="en"), tuple(c for c in WRITINGS if c != "en"))
    assert _errors(unit_pdf(out, leaflet_id, locale, "+en")) == []
