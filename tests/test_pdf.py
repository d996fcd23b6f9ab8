"""Real PDFs rendered by WeasyPrint and read back: warnings text, PDF/UA-1 markers, bookmarks, paper,
reproducible bytes. Every PDF read here is one of the session's (conftest.session_pdfs)."""

from __future__ import annotations

import os
from pathlib import Path

import pikepdf
import pytest

from leafletgen.build.runner import Report, build
from leafletgen.content.model import Leaflet
from leafletgen.project import Project
from leafletgen.render.options import RenderOptions

from conftest import EPOCH, LEAFLET_ID, pdf_text

pytestmark = pytest.mark.pdf


@pytest.fixture(scope="module")
def english_pdf(built: tuple[Path, Report]) -> Path:
    out, _ = built
    return out / LEAFLET_ID / f"{LEAFLET_ID}.en.pdf"


def test_pdf_declares_pdf_ua_1_and_is_tagged(english_pdf: Path) -> None:
    with pikepdf.open(english_pdf) as pdf:
        assert pdf.open_metadata().get("pdfuaid:part") == "1"
        assert pdf.Root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in pdf.Root
        assert len(pdf.Root.StructTreeRoot.K) > 0


def test_pdf_has_language_and_a_title_shown_as_window_title(english_pdf: Path) -> None:
    with pikepdf.open(english_pdf) as pdf:
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        assert str(pdf.docinfo.Title) == "Isotretinoin 20 mg capsules"


def test_pdf_has_a_bookmark_for_every_section(english_pdf: Path, leaflet: Leaflet) -> None:
    with pikepdf.open(english_pdf) as pdf, pdf.open_outline() as outline:
        titles: list[str] = []
        stack = list(outline.root)
        while stack:
            item = stack.pop()
            titles.append(str(item.title))
            stack.extend(item.children)
    for section in (leaflet.key_warning, *leaflet.sections):
        assert section.heading.text.replace("**", "") in titles


def test_every_page_has_a_footer_with_page_count_revision_and_language(english_pdf: Path, leaflet: Leaflet) -> None:
    pages = pdf_text(english_pdf).split("\f")[:-1]
    assert len(pages) >= 2
    when = leaflet.meta.revision_date
    british = f"{when.day} {when:%B} {when.year}"  # the English leaflet is British English: "1 December 2026"
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert f"English · Revision {leaflet.meta.revision}, {british}" in page
    assert f"This leaflet was last revised on {british} (revision {leaflet.meta.revision})." in " ".join(
        pages[-1].split())  # in the tagged text too, not only in the footer


def _page_size(path: Path) -> list[float]:
    with pikepdf.open(path) as pdf:
        return [float(v) for v in pdf.pages[0].MediaBox][2:]


def test_paper_sizes_are_a4_by_default_and_us_letter_when_asked(english_pdf: Path,
                                                                built_letter: tuple[Path, Report]) -> None:
    assert _page_size(english_pdf) == pytest.approx([595.3, 841.9], abs=0.5)
    letter = built_letter[0] / LEAFLET_ID / f"{LEAFLET_ID}.en.letter.pdf"
    assert _page_size(letter) == pytest.approx([612, 792], abs=0.5)


def test_same_inputs_give_the_same_pdf_bytes_serial_or_parallel(
        project: Project, built: tuple[Path, Report], built_letter: tuple[Path, Report], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendered again in this process, one at a time (jobs=1): the bytes of the session's builds, which
    worker processes rendered in parallel (A4 and US Letter)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    for (out, _), options in ((built, RenderOptions()), (built_letter, RenderOptions(paper="letter"))):
        report = build(project, tmp_path / options.paper, leaflet_ids=[LEAFLET_ID], locales=["en"],
                       options=options, jobs=1)
        assert [o.status for o in report.outcomes] == ["built"]
        path = report.outcomes[0].path
        assert path is not None
        assert path.read_bytes() == (out / LEAFLET_ID / path.name).read_bytes(), options
    assert os.environ["SOURCE_DATE_EPOCH"] == EPOCH
