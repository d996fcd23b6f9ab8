"""Make the PDF's text layer say exactly what the translator wrote.

WeasyPrint gives each glyph one Unicode mapping per font. Text shaped into
multi-glyph clusters (Devanagari and Bengali vowel signs and conjuncts, Arabic
marks, Nastaliq ligatures) therefore reads back wrong from the content stream:
"दवा" comes back as "दव". The glyphs are right; only the text layer is wrong.

WeasyPrint marks every text fragment (one line of one element) as its own
marked-content sequence with an MCID and its own ``/Span`` structure element. This
module, given the exact text of each fragment in structure order, adds
``/ActualText`` to both:

- the ``/Span`` structure elements, which assistive technology reads (exact), and
- the ``/Span <</MCID n>> BDC`` marked content in the page content stream, which
  text extraction (poppler's pdftotext, copy-paste) honours. Only for left-to-right
  fragments: poppler treats ActualText as glyph-order text and reverses it again in
  right-to-left lines, which would make Arabic and Urdu read back backwards.

It also turns the page-margin text (footer: page X of Y, revision, language) into
pagination artifacts: WeasyPrint tags it with structure elements that hang outside
the structure tree, which PDF/UA forbids.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf

from .errors import Problem, RenderError


def _page_spans(pdf: pikepdf.Pdf) -> list[dict[int, pikepdf.Dictionary]]:
    """Per page: MCID -> its /Span structure element (from the structure parent tree)."""
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    by_page: dict[int, dict[int, pikepdf.Dictionary]] = {}
    for i in range(0, len(nums), 2):
        key, value = int(nums[i]), nums[i + 1]
        if isinstance(value, pikepdf.Array):
            by_page[key] = {mcid: elem for mcid, elem in enumerate(value)
                            if isinstance(elem, pikepdf.Dictionary) and elem.get("/S") == "/Span"}
    return [by_page.get(n, {}) for n in range(len(pdf.pages))]


def add_actual_text(data: bytes, page_texts: Sequence[Sequence[tuple[str, bool, str]]], *, name: str) -> bytes:
    """Return the PDF with ``/ActualText`` on every text fragment.

    ``page_texts[p]`` lists ``(text, rtl, lang)`` for each fragment on page ``p`` in
    the order WeasyPrint created their structure elements (document tree order).
    A fragment in another language than the document's also gets ``/Lang`` (a
    bilingual handout's second part), which WeasyPrint does not write itself.
    """
    with pikepdf.open(io.BytesIO(data)) as pdf:
        document_lang = str(pdf.Root.get("/Lang", "")).lower()
        if len(page_texts) != len(pdf.pages):
            raise RenderError(Problem(name, "text layer", "page count differs from the layout"))
        reachable = _reachable(pdf.Root.StructTreeRoot)
        for number, (page, spans, texts) in enumerate(zip(pdf.pages, _page_spans(pdf), page_texts, strict=True)):
            # Structure elements were created in tree order: object numbers give that order.
            ordered = sorted(spans.items(), key=lambda item: item[1].objgen[0])
            if len(ordered) != len(texts):
                raise RenderError(Problem(name, f"page {number + 1}", f"text layer: {len(ordered)} tagged "
                                          f"fragments but {len(texts)} in the layout"))
            actual: dict[int, str] = {}
            artifacts: set[int] = set()
            for (mcid, element), (text, rtl, lang) in zip(ordered, texts, strict=True):
                if element.objgen not in reachable:
                    artifacts.add(mcid)
                    continue
                element.ActualText = pikepdf.String(text)
                if lang and lang.lower() != document_lang:
                    element.Lang = pikepdf.String(lang)
                if not rtl:
                    actual[mcid] = text
            _mark_content(pdf, page, actual, artifacts)
            if artifacts:
                _drop_from_parent_tree(pdf, number, artifacts)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def _reachable(root: pikepdf.Object) -> set[tuple[int, int]]:
    """Object ids of the structure elements reachable from the structure tree root."""
    seen: set[tuple[int, int]] = set()
    stack = [root.K]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node and node.objgen not in seen:
            seen.add(node.objgen)
            if "/K" in node:
                stack.append(node.K)
    return seen


def _drop_from_parent_tree(pdf: pikepdf.Pdf, page_number: int, mcids: set[int]) -> None:
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    for i in range(0, len(nums), 2):
        if int(nums[i]) == page_number and isinstance(nums[i + 1], pikepdf.Array):
            for mcid in mcids:
                nums[i + 1][mcid] = None


def _mark_content(pdf: pikepdf.Pdf, page: pikepdf.Page, actual: dict[int, str], artifacts: set[int]) -> None:
    instructions = pikepdf.parse_content_stream(page)
    changed = []
    for instruction in instructions:
        operands, operator = list(instruction.operands), instruction.operator
        if (str(operator) == "BDC" and len(operands) == 2 and operands[0] == "/Span"
                and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]):
            mcid = int(operands[1].MCID)
            if mcid in artifacts:
                operands = [pikepdf.Name.Artifact,
                            pikepdf.Dictionary(Type=pikepdf.Name.Pagination, Subtype=pikepdf.Name.Footer)]
            elif mcid in actual:
                props = pikepdf.Dictionary(MCID=mcid, ActualText=pikepdf.String(actual[mcid]))
                operands = [operands[0], props]
        changed.append(pikepdf.ContentStreamInstruction(operands, operator))
    page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(changed))
