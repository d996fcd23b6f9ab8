"""Make the PDF's text layer say exactly what the translator wrote.

WeasyPrint gives each glyph one Unicode mapping per font. Text shaped into
multi-glyph clusters (Devanagari and Bengali vowel signs and conjuncts, Arabic
marks, Nastaliq ligatures) therefore reads back wrong from the content stream:
"दवा" comes back as "दव". The glyphs are right; only the text layer is wrong.

WeasyPrint marks every text fragment (one line of one element) as its own
marked-content sequence with an MCID and its own ``/Span`` structure element.
Running as WeasyPrint's *finisher* (on its pydyf objects, before the PDF is
serialized), this module adds ``/ActualText`` with the exact text to both:

- the ``/Span`` structure elements, which assistive technology reads (exact), and
- the ``/Span <</MCID n>> BDC`` marked content in the page content stream, which
  text extraction (poppler's pdftotext, copy-paste) honours. Only for left-to-right
  fragments: poppler treats ActualText as glyph-order text and reverses it again in
  right-to-left lines, which would make Arabic and Urdu read back backwards.

It also sets ``/Lang`` on fragments in another language than the document (a
bilingual handout's second part), and turns the page-margin text (footer: page X of
Y, revision, language) into pagination artifacts: WeasyPrint tags it with structure
elements that hang outside the structure tree, which PDF/UA forbids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pydyf

from leafletgen.errors import Problem, RenderError

#: (text, right-to-left, language) of each text fragment on a page, in tagging order.
Fragments = Sequence[tuple[str, bool, str]]


def fix_text_layer(pdf: pydyf.PDF, page_fragments: Sequence[Fragments], *, name: str) -> None:
    """Add /ActualText, /Lang and footer artifacts to a PDF WeasyPrint is about to write."""
    objects = pdf.objects

    def deref(value: Any) -> Any:
        """pydyf references are b"12 0 R" (or str); follow them to the object."""
        if isinstance(value, bytes):
            value = value.decode("ascii")
        if isinstance(value, str) and value.endswith(" R"):
            return objects[int(value.split()[0])]
        return value

    root = deref(pdf.catalog["StructTreeRoot"])
    lang = pdf.catalog.get("Lang")
    document_lang = str(getattr(lang, "string", "") or "").lower()
    reachable = _reachable(deref(root["K"]), deref)
    nums = deref(root["ParentTree"])["Nums"]
    per_page = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2) if isinstance(nums[i + 1], list)}
    pages = [objects[number] for number in pdf.pages["Kids"][::3]]
    if len(pages) != len(page_fragments):
        raise RenderError(Problem(name, "text layer", "page count differs from the layout"))
    for number, (page, fragments) in enumerate(zip(pages, page_fragments, strict=True)):
        stream = deref(page["Contents"])
        positions = {item["MCID"]: index for index, item in enumerate(stream.stream)
                     if isinstance(item, pydyf.Dictionary) and "MCID" in item}
        refs = per_page.get(number, [])
        spans = [(mcid, deref(ref)) for mcid, ref in enumerate(refs) if deref(ref).get("S") == "/Span"]
        spans.sort(key=lambda pair: pair[1].number)  # creation order = document tree order
        if len(spans) != len(fragments):
            raise RenderError(Problem(name, f"page {number + 1}", f"text layer: {len(spans)} tagged fragments "
                                      f"but {len(fragments)} in the layout"))
        for (mcid, element), (text, rtl, fragment_lang) in zip(spans, fragments, strict=True):
            index = positions[mcid]
            if id(element) not in reachable:  # margin box: pagination artifact, not content
                stream.stream[index - 1] = "/Artifact"
                stream.stream[index] = pydyf.Dictionary({"Type": "/Pagination", "Subtype": "/Footer"})
                refs[mcid] = "null"
                continue
            element["ActualText"] = pydyf.String(text)
            if fragment_lang and fragment_lang.lower() != document_lang:
                element["Lang"] = pydyf.String(fragment_lang)
            if not rtl:
                stream.stream[index]["ActualText"] = pydyf.String(text)


def _reachable(top: Any, deref: Any) -> set[int]:
    """ids of the structure element dictionaries reachable from the structure tree root."""
    seen: set[int] = set()
    stack = [top]
    while stack:
        node = deref(stack.pop())
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict) and "S" in node and id(node) not in seen:
            seen.add(id(node))
            if "K" in node:
                stack.append(node["K"])
    return seen
