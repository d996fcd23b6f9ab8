"""The text-layer fix: Indic text reads back exactly, and only because of the fix."""

from __future__ import annotations

import io

import pikepdf
import pytest

from leafletgen.inspect.readback import structure_text
from leafletgen.project import Project

from conftest import normalize

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


def test_fixed_pdf_carries_actual_text_in_content_and_structure(project: Project) -> None:
    data = render_pdf(HTML, base_dir=project.templates_dir, name="hi")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        spans = [e for e in pdf.Root.StructTreeRoot.ParentTree.Nums[1] if e.S == "/Span"]
        assert next(str(e.ActualText) for e in spans) == HINDI
        marked = [ops[1] for ops, op in pikepdf.parse_content_stream(pdf.pages[0])
                  if str(op) == "BDC" and isinstance(ops[1], pikepdf.Dictionary) and "/ActualText" in ops[1]]
        assert str(marked[0].ActualText) == HINDI
