"""The product's promise: every locale carries the full warnings section, in the PDF itself."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pikepdf
import pytest

from leafletgen.build.runner import Report
from leafletgen.content.model import Leaflet
from leafletgen.inspect.readback import read_structure_text
from leafletgen.project import Project
from leafletgen.render.locales import locale_info
from leafletgen.scripts import digit_system, numbering_system
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, template_messages
from leafletgen.translate.checks import LATIN_CODE
from leafletgen.translate.gate import refusals_for
from leafletgen.translate.localize import translate_leaflet
from leafletgen.translate.snapshot import figures, load_catalog, load_leaflets

from conftest import normalize, pdf_text, unit_params, unit_pdf


def _leaflet(project: Project, leaflet_id: str) -> Leaflet:
    return load_leaflets(project, [leaflet_id])[0]


@pytest.mark.parametrize(("leaflet_id", "locale"), unit_params())
def test_every_offered_unit_has_its_warnings_translated_current_and_checked(project: Project, leaflet_id: str,
                                                                           locale: str) -> None:
    leaflet = _leaflet(project, leaflet_id)
    catalog = load_catalog(project, locale, leaflet.id)
    strings = load_catalog(project, locale, TEMPLATES_DOMAIN)
    assert [str(f) for f in refusals_for(leaflet, locale, catalog, strings,
                                         template_messages(project))] == []


@pytest.mark.pdf
@pytest.mark.parametrize(("leaflet_id", "locale"), unit_params())
def test_every_offered_unit_builds_with_its_language_and_direction(project: Project, built: tuple[Path, Report],
                                                                   leaflet_id: str, locale: str) -> None:
    out, report = built
    outcome = next(o for o in report.outcomes if o.locale == locale and o.leaflet == leaflet_id)
    assert outcome.status == "built", outcome.problems
    info = locale_info(locale)
    with pikepdf.open(unit_pdf(out, leaflet_id, locale)) as pdf:
        assert str(pdf.Root.Lang) == info.tag
    title = translate_leaflet(_leaflet(project, leaflet_id), load_catalog(project, locale, leaflet_id)).title.text
    first_letter = next(c for c in title if c.isalpha())
    assert (info.direction == "rtl") == (unicodedata.bidirectional(first_letter) in ("R", "AL"))


@pytest.mark.pdf
@pytest.mark.parametrize(("leaflet_id", "locale"), unit_params())
def test_every_number_in_the_unit_pdf_is_in_the_locales_own_digits(built: tuple[Path, Report], leaflet_id: str,
                                                                   locale: str) -> None:
    # the translations, the dates, the page numbers in the footer and the numbered steps alike
    out, _ = built
    text = LATIN_CODE.sub(" ", pdf_text(unit_pdf(out, leaflet_id, locale)))  # E124 is printed as on the pack
    assert {digit_system(c) for c in text} - {None} == {numbering_system(locale)}


@pytest.mark.pdf
@pytest.mark.parametrize(("leaflet_id", "locale"), unit_params())
def test_every_warning_is_in_the_unit_pdf_text(project: Project, built: tuple[Path, Report], leaflet_id: str,
                                               locale: str) -> None:
    out, _ = built
    leaflet = _leaflet(project, leaflet_id)
    translated = translate_leaflet(leaflet, load_catalog(project, locale, leaflet.id))
    # Poppler's layout order can move the end of a tall table cell after the next row's first cell
    # (Malayalam's myth/truth table); its content-stream order puts a new page's list bullets before
    # a paragraph continued from the page before. Each warning must read exactly in one of them.
    pdf = unit_pdf(out, leaflet_id, locale)
    texts = [normalize(pdf_text(pdf, body=True)), normalize(pdf_text(pdf, body=True, raw=True))]
    alt_texts = {figure.alt.id for figure in figures(leaflet)}  # read out, not printed: see test_accessibility
    missing = [t.id for t, critical in translated.texts()
               if critical and t.id not in alt_texts and all(normalize(t.text) not in text for text in texts)]
    assert missing == []


@pytest.mark.pdf
@pytest.mark.parametrize(("leaflet_id", "locale"), unit_params())
def test_every_warning_reads_back_exactly_from_the_tagged_structure(
        project: Project, built: tuple[Path, Report], leaflet_id: str, locale: str) -> None:
    """What a screen reader hears is what the translator wrote, in every script."""
    out, _ = built
    leaflet = _leaflet(project, leaflet_id)
    translated = translate_leaflet(leaflet, load_catalog(project, locale, leaflet.id))
    text = normalize(read_structure_text(unit_pdf(out, leaflet_id, locale)))
    missing = [t.id for t, critical in translated.texts() if critical and normalize(t.text) not in text]
    assert missing == []
