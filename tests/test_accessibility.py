"""PDF/UA-1 machine checks on every locale, large print, bilingual handouts, paper, pharmacy profile.

The PDFs read here are the session's (conftest.session_pdfs); the build decisions and the profile's
validation are in the fast tier."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest

from leafletgen.build.runner import Report
from leafletgen.cli.main import main
from leafletgen.content.pharmacy import parse_pharmacy
from leafletgen.errors import SourceError
from leafletgen.inspect.a11y import check_file
from leafletgen.inspect.readback import read_structure_text
from leafletgen.inspect.structure import walk
from leafletgen.project import Project
from leafletgen.render.html import leaflet_html
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN
from leafletgen.translate.localize import translate_leaflet
from leafletgen.translate.snapshot import figures, load_catalog, load_leaflets

from conftest import (
    LEAFLET_ID,
    NEW_LOCALE,
    ROOT,
    SessionPdfs,
    fake_build,
    normalize,
    pdf_text,
    unit_params,
    unit_pdf,
    unlined,
)

MM = 72 / 25.4
PHARMACY = """name: Riverside <b>Pharmacy</b> & Co
address: 12 High Street, Springfield
phone: +44 20 7946 0000
hours: Mon-Fri 8:30-18:00
"""


def pdf_path(out: Path, locale: str, suffix: str = "") -> Path:
    return out / LEAFLET_ID / f"{LEAFLET_ID}.{locale}{suffix}.pdf"


@pytest.mark.pdf
@pytest.mark.parametrize(("leaflet_id", "locale"), unit_params())
def test_every_offered_unit_passes_the_accessibility_checks(built: tuple[Path, Report], leaflet_id: str,
                                                            locale: str) -> None:
    failed = [f"{c.name}: {c.detail}" for c in check_file(unit_pdf(built[0], leaflet_id, locale)) if not c.ok]
    assert failed == []


@pytest.mark.pdf
@pytest.mark.parametrize(("leaflet_id", "locale"), unit_params())
def test_every_offered_unit_in_large_print_passes_the_accessibility_checks(built_large: tuple[Path, Report],
                                                                           leaflet_id: str, locale: str) -> None:
    path = unit_pdf(built_large[0], leaflet_id, locale, ".large")
    failed = [f"{c.name}: {c.detail}" for c in check_file(path) if not c.ok]
    assert failed == []


@pytest.mark.pdf
def test_a11y_check_fails_on_an_untagged_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain.pdf"
    import weasyprint

    weasyprint.HTML(string="<p>Hello</p>").write_pdf(plain)
    assert main(["a11y", str(plain)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  marked as tagged" in out and "FAIL  document language" in out


@pytest.mark.pdf
def test_a11y_check_fails_weasyprint_alone_on_maps_structure_scope_and_bbox(project: Project,
                                                                           tmp_path: Path) -> None:
    """What `leafletgen a11y` passed before the text-layer fix: unmapped and wrong glyph maps (Bengali),
    one part per page, header cells without /Scope, a figure /BBox in CSS pixels."""
    from leafletgen.pdf.engine import render_pdf  # WeasyPrint: the pdf tier only

    leaflet = load_leaflets(project, [LEAFLET_ID])[0]
    catalog = load_catalog(project, "bn", LEAFLET_ID)
    html = leaflet_html(project, leaflet, "bn", RenderOptions(), catalog, load_catalog(project, "bn", TEMPLATES_DOMAIN))
    path = tmp_path / "raw.pdf"
    path.write_bytes(render_pdf(html, base_dir=project.templates_dir, name="bn", exact_text=False))
    failed = {c.name for c in check_file(path) if not c.ok}
    assert {"every drawn code maps to Unicode",
            "one element per part, section, list and table", "header cells have a scope",
            "figure bounding boxes on the page"} <= failed


@pytest.mark.pdf
@pytest.mark.parametrize(("leaflet_id", "locale"), unit_params())
def test_a_unit_shows_exactly_its_own_figures_with_alt_text_in_its_language(
        project: Project, built: tuple[Path, Report], leaflet_id: str, locale: str) -> None:
    """No leaflet shows another's pictogram, and a screen reader reads each figure in the patient's language."""
    leaflet = load_leaflets(project, [leaflet_id])[0]
    translated = translate_leaflet(leaflet, load_catalog(project, locale, leaflet_id))
    expected = [figure.alt.text for figure in figures(translated)]
    with pikepdf.open(unit_pdf(built[0], leaflet_id, locale)) as pdf:
        alts = [str(e.Alt) for e in _elements(pdf.Root.StructTreeRoot.K) if e.S == "/Figure"]
    assert alts == expected
    assert locale == "en" or all(a != f.alt.text for a, f in zip(alts, figures(leaflet), strict=True))


def _elements(node: object) -> list[pikepdf.Dictionary]:
    out: list[pikepdf.Dictionary] = []
    if isinstance(node, pikepdf.Array):
        for kid in node:
            out += _elements(kid)
    elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
        out.append(node)
        if "/K" in node:
            out += _elements(node.K)
    return out


@pytest.mark.pdf
def test_boxed_warning_is_read_before_section_1(built: tuple[Path, Report]) -> None:
    text = normalize(read_structure_text(pdf_path(built[0], "en")))
    assert text.index(normalize("Warning: this medicine can seriously harm an unborn baby")) < text.index(
        normalize("1. What isotretinoin is and what it is used for"))


def _body_font_sizes(path: Path) -> list[float]:
    """Point sizes of tagged (non-artifact) text: Tf size x WeasyPrint's 0.75 px-to-pt scale."""
    sizes: list[float] = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            stack: list[str] = []
            size = 0.0
            for instruction in pikepdf.parse_content_stream(page):
                op = str(instruction.operator)
                if op in ("BDC", "BMC"):
                    stack.append(str(instruction.operands[0]))
                elif op == "EMC" and stack:
                    stack.pop()
                elif op == "Tf":
                    size = float(instruction.operands[1]) * 0.75
                elif op in ("Tj", "TJ") and stack and "/Artifact" not in stack:
                    sizes.append(round(size, 2))
    return sizes


@pytest.mark.pdf
def test_large_print_body_text_is_at_least_16_pt(built: tuple[Path, Report],
                                                 built_large: tuple[Path, Report]) -> None:
    normal = _body_font_sizes(pdf_path(built[0], "en"))
    large = _body_font_sizes(pdf_path(built_large[0], "en", ".large"))
    assert min(normal) >= 11 and min(normal) < 16
    assert min(large) >= 16
    assert max(large) > 20  # headings larger still
    assert normalize(pdf_text(pdf_path(built_large[0], "en", ".large"))).count(normalize("Condoms alone")) == 1


def _word_boxes(path: Path) -> list[tuple[float, float, float, float, float, float]]:
    """(xMin, yMin, xMax, yMax, page width, page height) of every word, from pdftotext -bbox."""
    import re

    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    boxes = []
    width = height = 0.0
    for line in html.splitlines():
        if m := re.search(r'<page width="([\d.]+)" height="([\d.]+)"', line):
            width, height = float(m[1]), float(m[2])
        elif m := re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', line):
            boxes.append((float(m[1]), float(m[2]), float(m[3]), float(m[4]), width, height))
    return boxes


@pytest.mark.pdf
@pytest.mark.parametrize(("locale", "suffix", "session_build"), [
    ("en", "", "built"),
    ("en", ".letter", "built_letter"),
    ("ar", ".large", "built_large"),
    ("zh_CN", ".letter", "built_letter"),
])
def test_no_text_within_10_mm_of_the_paper_edge(request: pytest.FixtureRequest, locale: str, suffix: str,
                                                session_build: str) -> None:
    out, _ = request.getfixturevalue(session_build)
    boxes = _word_boxes(pdf_path(out, locale, suffix))
    assert boxes
    too_close = [b for b in boxes if min(b[0], b[1], b[4] - b[2], b[5] - b[3]) < 10 * MM]
    assert too_close == []


@pytest.mark.pdf
def test_bilingual_handout_has_both_languages_tagged_patient_language_first(project: Project,
                                                                            session_pdfs: SessionPdfs) -> None:
    out, _ = session_pdfs(RenderOptions(with_locale="en"), ("ar",))
    path = pdf_path(out, "ar", "+en")
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "ar"
        # /Lang where the language changes (the English part), inherited below it
        spans = [v for v in walk(pdf.Root.StructTreeRoot.K, lang="ar")
                 if v.element is not None and v.element.S == "/Span" and "/ActualText" in v.element]
        english = [v for v in spans if v.lang == "en"]
        assert english and all(v.lang == "ar" for v in spans[: len(spans) // 3])
        assert any("Condoms alone are not enough." in str(v.element.ActualText) for v in english)
        assert all("/Lang" not in v.element for v in english)  # said once, on the part
    text = read_structure_text(path)
    arabic_title = str(load_catalog(project, "ar", LEAFLET_ID).get(  # type: ignore[union-attr]
        "Isotretinoin 20 mg capsules", context="title").string)
    assert text.index(arabic_title) < text.index("Isotretinoin 20 mg capsules")
    assert all(c.ok for c in check_file(path))


def test_bilingual_handout_is_refused_when_the_second_language_fails_the_gate(scratch: Project,
                                                                              tmp_path: Path) -> None:
    assert main(["--project", str(scratch.root), "init", NEW_LOCALE]) == 0
    report = fake_build(scratch, tmp_path, locales=["en"], options=RenderOptions(with_locale=NEW_LOCALE))
    assert report.outcomes[0].status == "refused"
    assert any(p.startswith(f"{NEW_LOCALE} isotretinoin-20mg key.birth-defects: safety-critical message not translated")
               for p in report.outcomes[0].problems)


@pytest.mark.pdf
def test_pharmacy_details_appear_escaped_on_every_leaflet(scratch: Project, tmp_path: Path) -> None:
    profile = scratch.root / "pharmacy.yaml"
    profile.write_text(PHARMACY + "paper: letter\n")
    assert main(["--project", str(scratch.root), "build", "-L", "en", "-L", "de", "--pharmacy", str(profile),
                 "-o", str(tmp_path)]) == 0
    for locale in ("en", "de"):
        path = pdf_path(tmp_path, locale, ".letter")  # the profile's default paper
        text = normalize(pdf_text(path))
        assert normalize("Riverside <b>Pharmacy</b> & Co") in text
        assert normalize("+44 20 7946 0000") in text
    heading = load_catalog(scratch, "de", TEMPLATES_DOMAIN).get(  # type: ignore[union-attr]
        "Your pharmacy", context="pharmacy.heading").string
    assert normalize(str(heading)) in normalize(pdf_text(pdf_path(tmp_path, "de", ".letter")))


def test_paper_on_the_command_line_overrides_the_profile(scratch: Project, tmp_path: Path, fake_engine: None) -> None:
    profile = scratch.root / "pharmacy.yaml"
    profile.write_text(PHARMACY + "paper: letter\n")
    assert main(["--project", str(scratch.root), "build", "-L", "en", "--pharmacy", str(profile),
                 "--paper", "a4", "-o", str(tmp_path)]) == 0
    assert [p.name for p in (tmp_path / LEAFLET_ID).glob("*.pdf")] == [f"{LEAFLET_ID}.en.pdf"]
    html = pdf_path(tmp_path, "en").read_text(encoding="utf-8")  # the stand-in engine writes the HTML
    assert "size: A4" in html and "size: letter" not in html  # A4 pages in the PDF: test_pdf.py


@pytest.mark.parametrize(("text", "expected"), [
    (PHARMACY.replace("Riverside", "R" * 70), ["p.yaml: name: too long (91 characters, at most 60)"]),
    (PHARMACY.replace("phone: +44 20 7946 0000\n", ""), ["p.yaml: phone: missing"]),
    (PHARMACY + "paper: a3\n", ["p.yaml: paper: must be one of: a4, letter"]),
    (PHARMACY.replace("hours: Mon-Fri 8:30-18:00", 'hours: "Mon-Fri\\x0b8:30"'),
     ["p.yaml: hours: must be one line without control characters"]),
    (PHARMACY.replace("hours: Mon-Fri 8:30-18:00", 'hours: "Mon-Fri\\x85 8:30"'),  # C1 (NEL), not only C0
     ["p.yaml: hours: must be one line without control characters"]),
    (PHARMACY + "fax: 123\n", ["p.yaml: fax: unknown key (allowed: name, address, phone, hours, paper, "
                                "second_language)"]),
])
def test_pharmacy_profile_is_validated(text: str, expected: list[str]) -> None:
    with pytest.raises(SourceError) as info:
        parse_pharmacy(text, "p.yaml")
    assert unlined(info.value.problems) == expected


def test_example_pharmacy_profile_is_valid() -> None:
    profile = parse_pharmacy((ROOT / "docs" / "pharmacy.example.yaml").read_text(), "example")
    assert profile.second_language == "en" and profile.paper == "a4"


@pytest.mark.pdf
@pytest.mark.parametrize(("leaflet_id", "locale"), unit_params())
def test_no_word_is_split_at_a_line_end(built: tuple[Path, Report], leaflet_id: str, locale: str) -> None:
    """Words stay words: no line ends in a hyphen inside a word (no automatic hyphenation, and no
    break after an explicit hyphen), so search finds every word and a screen reader says it whole."""
    lines = pdf_text(unit_pdf(built[0], leaflet_id, locale)).splitlines()
    assert [line for line in lines if line.rstrip().endswith(("-", "\u2010", "\u00ad"))
            and len(line.rstrip()) > 1 and line.rstrip()[-2].isalpha()] == []
