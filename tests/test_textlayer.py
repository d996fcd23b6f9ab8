"""The text-layer fix: Indic text reads back exactly, and only because of the fix."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest

from leafletgen.inspect.readback import marked_content_text, structure_text
from leafletgen.project import Project

from conftest import normalize, pdf_text

pytestmark = pytest.mark.pdf

HINDI = "गर्भावस्था के दौरान यह दवा न लें"
HTML = f"""<!DOCTYPE html><html lang="hi"><head><meta charset="utf-8"><title>t</title></head>
<body style="font-family: 'Noto Sans Devanagari'"><p>{HINDI}</p><ul><li>यह दवा न लें</li></ul></body></html>"""


def render_pdf(html: str, **kwargs: object) -> bytes:
    from leafletgen.pdf.engine import render_pdf as engine  # WeasyPrint: imported by the pdf tier only

    return engine(html, **kwargs)  # type: ignore[arg-type]


def tagged_text(exact: bool, project: Project) -> str:
    data = render_pdf(HTML, base_dir=project.templates_dir, name="hi", exact_text=exact)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return normalize(structure_text(pdf))


def test_weasyprint_alone_loses_hindi_vowel_signs(project: Project) -> None:
    assert normalize(HINDI) not in tagged_text(False, project)


def test_fixed_pdf_reads_back_hindi_exactly_from_structure(project: Project) -> None:
    text = tagged_text(True, project)
    assert normalize(HINDI) in text
    assert normalize("यह दवा न लें") in text


def test_fixed_pdf_reads_back_hindi_from_its_glyphs_and_actual_text_from_its_structure(project: Project) -> None:
    """Each (glyph, text) pair has its own code: the content stream alone reads exactly, with no
    /ActualText in it; the structure element keeps /ActualText for assistive technology."""
    data = render_pdf(HTML, base_dir=project.templates_dir, name="hi")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        spans = [e for e in pdf.Root.StructTreeRoot.ParentTree.Nums[1] if e.S == "/Span"]
        assert next(str(e.ActualText) for e in spans) == HINDI
        marked = [ops[1] for ops, op in pikepdf.parse_content_stream(pdf.pages[0])
                  if str(op) == "BDC" and isinstance(ops[1], pikepdf.Dictionary) and "/ActualText" in ops[1]]
        assert marked == []
        assert marked_content_text(pdf.pages[0])[0] == HINDI


ARABIC = "لا تتناولي هذا الدواء إذا كنتِ حاملًا"
URDU = "حمل کے دوران یہ دوا نہ لیں"


@pytest.mark.parametrize(("lang", "font", "text"), [("ar", "Noto Naskh Arabic", ARABIC),
                                                    ("ur", "Noto Nastaliq Urdu", URDU)])
def test_right_to_left_text_reads_back_exactly_in_pdftotext(project: Project, tmp_path: Path, lang: str,
                                                            font: str, text: str) -> None:
    html = (f'<!DOCTYPE html><html lang="{lang}" dir="rtl"><head><meta charset="utf-8"><title>t</title></head>'
            f"<body style=\"font-family: '{font}'\"><p>{text}</p></body></html>")
    path = tmp_path / "rtl.pdf"
    path.write_bytes(render_pdf(html, base_dir=project.templates_dir, name=lang))
    assert normalize(pdf_text(path)) == normalize(text)
