"""The text-layer fix: Indic text reads back exactly, and only because of the fix."""

from __future__ import annotations

import io
import subprocess
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


def _rtl_pdf(project: Project, path: Path, lang: str, font: str, body: str, *, exact: bool = True) -> Path:
    html = (f'<!DOCTYPE html><html lang="{lang}" dir="rtl"><head><meta charset="utf-8"><title>t</title></head>'
            f"<body style=\"font-family: '{font}', 'Noto Sans'\">{body}</body></html>")
    path.write_bytes(render_pdf(html, base_dir=project.templates_dir, name=lang, exact_text=exact))
    return path


# A number with punctuation after it, numbers around a sign, Latin in parentheses, a word-final
# mark and a lam-alef: what poppler's type-only reordering read wrong ("،2", ".1", "3 × 1").
NUMBERS = {"ar": ("Noto Naskh Arabic", ["انظر القسم 2، فقرة «الحمل».", "1. ما هو الدواء",
                                         "1 × 3 ملغ (أزرق) + 1 × 0.5 ملغ", "مضادات الالتهاب (NSAIDs)، مثل",
                                         "لا تتناوله إذا أُصبت بنزيف فورًا."]),
           "fa": ("Noto Naskh Arabic", ["بخش ۲، بند «بارداری» را ببینید.", "۱. این دارو چیست"]),
           "ur": ("Noto Nastaliq Urdu", ["ہر ہفتے تقریباً ایک جیسی مقدار، 2 بار۔", "سیکشن 4 دیکھیں۔"])}


@pytest.mark.parametrize("lang", sorted(NUMBERS))
def test_right_to_left_numbers_punctuation_and_marks_read_back_in_both_pdftotext_orders(
        project: Project, tmp_path: Path, lang: str) -> None:
    font, lines = NUMBERS[lang]
    pdf = _rtl_pdf(project, tmp_path / "rtl.pdf", lang, font, "".join(f"<p>{line}</p>" for line in lines))
    for raw in (False, True):
        text = normalize(pdf_text(pdf, raw=raw))
        assert [line for line in lines if normalize(line) not in text] == [], "raw" if raw else "layout"


def test_a_table_of_multi_line_urdu_cells_reads_cell_by_cell_in_content_order(project: Project,
                                                                              tmp_path: Path) -> None:
    # Nastaliq's line height (2.2 in cells) is beyond poppler's 1.5 em for lines of one block: its
    # layout order reads such a table line by line across the row. Drawn in logical order, the
    # content stream (-raw) reads each cell whole.
    cells = ["اگر میری کوئی خوراک چھوٹ جائے تو میں اگلے دن دگنی خوراک لے لیتا ہوں۔",
             "کمی پوری کرنے کے لیے کبھی بھی 2 خوراکیں نہ لیں۔ اگر آپ کو اسی دن یاد آ جائے تو اسی وقت لے لیں۔"]
    body = ('<table style="width: 12cm; line-height: 2.2"><tr>'
            + "".join(f'<td style="width: 50%; vertical-align: top">{c}</td>' for c in cells) + "</tr></table>")
    pdf = _rtl_pdf(project, tmp_path / "table.pdf", "ur", "Noto Nastaliq Urdu", body)
    raw = normalize(pdf_text(pdf, raw=True))
    assert [c for c in cells if normalize(c) not in raw] == []


def test_drawing_right_to_left_text_in_reading_order_moves_no_glyph(project: Project, tmp_path: Path) -> None:
    from PIL import Image, ImageChops, ImageFilter

    font, lines = NUMBERS["ar"]
    body = "".join(f"<p>{line}</p>" for line in lines)
    pages = []
    for exact in (False, True):
        pdf = _rtl_pdf(project, tmp_path / f"{exact}.pdf", "ar", font, body, exact=exact)
        subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf), str(tmp_path / f"{exact}")],
                       check=True)
        # a glyph moved by a pixel or more leaves a dark difference; anti-aliasing of a composite does not
        pages.append(Image.open(tmp_path / f"{exact}.png").convert("L").filter(ImageFilter.BoxBlur(1)))
    difference = ImageChops.difference(*pages)
    assert max(i for i, count in enumerate(difference.histogram()) if count) < 96
