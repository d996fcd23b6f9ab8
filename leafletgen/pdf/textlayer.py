"""Make the PDF's text layer say exactly what the translator wrote, in every reader.

Runs as WeasyPrint's *finisher*, on its pydyf objects before the PDF is serialized.
WeasyPrint marks every text fragment (one line of one element) as its own
marked-content sequence with an MCID and its own ``/Span`` structure element. Here:

- each fragment's text operators are written again with one code per (glyph, text)
  pair in its font (showtext.py, fontcodes.py): every drawn code maps to the text it
  shows, clusters included, so copy-paste, search, ``pdftotext`` and PDF/UA checkers
  read the content stream exactly, left to right and right to left;
- the ``/Span`` elements get ``/ActualText`` with the fragment's text (what assistive
  technology reads), a fragment that ends inside a word (an explicit hyphen at the line
  end) reads as one word with the next;
- the page-margin text (footer: page X of Y, revision, language) becomes pagination
  artifacts: WeasyPrint tags it with structure elements that hang outside the tree;
- then structure.py merges WeasyPrint's per-page structure into one element per
  section, list and table (and /Scope, /BBox, /Lang).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pydyf

from leafletgen.errors import Problem, RenderError
from leafletgen.pdf.fontcodes import FontCodes, FontProgram, read_widths
from leafletgen.pdf.showtext import Mismatch, Run, rewrite_text
from leafletgen.pdf.structure import BoxInfo, fix_structure


@dataclass(frozen=True)
class Fragment:
    """One text box, in tagging order: its text, direction, language and shaped runs."""

    text: str
    rtl: bool
    lang: str
    runs: Sequence[Run] = ()


class _Fonts:
    """FontCodes per font dictionary, FontProgram per embedded TrueType file."""

    def __init__(self, deref: Any) -> None:
        self.deref = deref
        self.codes: dict[int, FontCodes] = {}
        self.programs: dict[int, FontProgram] = {}

    def get(self, font: pydyf.Dictionary) -> FontCodes:
        if id(font) not in self.codes:
            deref = self.deref
            descendant = deref(font["DescendantFonts"][0])
            descriptor = deref(descendant["FontDescriptor"])
            program = None
            if descendant["Subtype"] == "/CIDFontType2" and "FontFile2" in descriptor:
                stream = deref(descriptor["FontFile2"])
                program = self.programs.setdefault(id(stream), FontProgram(stream))
            self.codes[id(font)] = FontCodes(font, descendant, deref(font["ToUnicode"]), program,
                                             read_widths(descendant["W"], deref))
        return self.codes[id(font)]

    def finish(self, pdf: pydyf.PDF, compress: bool) -> None:
        for program in self.programs.values():
            program.finish()
        for codes in self.codes.values():
            codes.finish(compress)
            cid_to_gid = codes.descendant.get("CIDToGIDMap")
            if isinstance(cid_to_gid, pydyf.Stream):
                pdf.add_object(cid_to_gid)
                codes.descendant["CIDToGIDMap"] = cid_to_gid.reference


def fix_text_layer(pdf: pydyf.PDF, page_fragments: Sequence[Sequence[Fragment]], *, name: str,
                   page_boxes: Sequence[BoxInfo] = (), compress: bool = True) -> None:
    """Exact text codes, /ActualText, footer artifacts and one structure, in a PDF about to be written."""
    objects = pdf.objects

    def deref(value: Any) -> Any:
        """pydyf references are b"12 0 R" (or str); follow them to the object."""
        if isinstance(value, bytes):
            value = value.decode("ascii")
        if isinstance(value, str) and value.endswith(" R"):
            return objects[int(value.split()[0])]
        return value

    root = deref(pdf.catalog["StructTreeRoot"])
    reachable = _reachable(deref(root["K"]), deref)
    nums = deref(root["ParentTree"])["Nums"]
    per_page = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2) if isinstance(nums[i + 1], list)}
    pages = [objects[number] for number in pdf.pages["Kids"][::3]]
    if len(pages) != len(page_fragments):
        raise RenderError(Problem(name, "text layer", "page count differs from the layout"))
    fonts = _Fonts(deref)
    for number, (page, fragments) in enumerate(zip(pages, page_fragments, strict=True)):
        stream = deref(page["Contents"])
        page_fonts = deref(deref(page["Resources"])["Font"])
        positions = {item["MCID"]: index for index, item in enumerate(stream.stream)
                     if isinstance(item, pydyf.Dictionary) and "MCID" in item}
        refs = per_page.get(number, [])
        spans = [(mcid, deref(ref)) for mcid, ref in enumerate(refs) if deref(ref).get("S") == "/Span"]
        spans.sort(key=lambda pair: pair[1].number)  # creation order = document tree order
        if len(spans) != len(fragments):
            raise RenderError(Problem(name, f"page {number + 1}", f"text layer: {len(spans)} tagged fragments "
                                      f"but {len(fragments)} in the layout"))
        replaced: dict[int, tuple[int, list[object]]] = {}

        def font_codes(font_name: str, page_fonts: Any = page_fonts) -> FontCodes:
            return fonts.get(deref(page_fonts[font_name]))

        for (mcid, element), fragment in zip(spans, fragments, strict=True):
            index = positions[mcid]
            end = _marked_content_end(stream.stream, index + 2)
            try:
                replaced[index + 2] = end, rewrite_text(stream.stream[index + 2:end], fragment.runs, font_codes)
            except Mismatch as exc:
                raise RenderError(Problem(name, f"page {number + 1}", f"text layer: {exc}")) from None
            if id(element) not in reachable:  # margin box: pagination artifact, not content
                stream.stream[index - 1] = "/Artifact"
                stream.stream[index] = pydyf.Dictionary({"Type": "/Pagination", "Subtype": "/Footer"})
                refs[mcid] = "null"
                continue
            element["ActualText"] = pydyf.String(fragment.text)
        stream.stream[:] = _apply(stream.stream, replaced)
        if _shows_text_outside(stream.stream, replaced):
            raise RenderError(Problem(name, f"page {number + 1}", "text layer: text drawn outside a text box"))
    fonts.finish(pdf, compress)
    fix_structure(pdf, deref, pages, page_boxes, name=name)


def _marked_content_end(tokens: list[object], start: int) -> int:
    """Index of the EMC closing the marked-content sequence whose content starts at ``start``."""
    depth = 0
    for i in range(start, len(tokens)):
        token = tokens[i]
        if token in (b"BDC", b"BMC", "BDC", "BMC"):
            depth += 1
        elif token in (b"EMC", "EMC"):
            if depth == 0:
                return i
            depth -= 1
    raise RenderError(Problem("", "text layer", "a marked-content sequence is not closed"))


def _apply(tokens: list[object], replaced: dict[int, tuple[int, list[object]]]) -> list[object]:
    out: list[object] = []
    i = 0
    for start in sorted(replaced):
        end, new = replaced[start]
        out += tokens[i:start]
        out += new
        i = end
    out += tokens[i:]
    return out


def _shows_text_outside(tokens: list[object], replaced: dict[int, tuple[int, list[object]]]) -> bool:
    """Does the page show text outside the fragments rewritten (which would keep glyph-id codes)?"""
    del replaced  # the rewritten tokens are in place now: look for any text object outside marked content
    depth = 0
    for token in tokens:
        if token in (b"BDC", b"BMC", "BDC", "BMC"):
            depth += 1
        elif token in (b"EMC", "EMC"):
            depth -= 1
        elif depth == 0 and isinstance(token, bytes) and token.endswith((b" TJ", b" Tj")):
            return True
    return False


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
