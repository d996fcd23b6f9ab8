"""Read a tagged PDF's text the way assistive technology does: through the structure tree.

Walks the structure tree in order. An element with ``/ActualText`` contributes
that text (and its children are not read); otherwise its marked content is decoded
through each font's ``/ToUnicode`` map. This is what a screen reader gets, as
opposed to the content-stream order that ``pdftotext`` reads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf

from leafletgen.inspect.structure import walk

_HEX = re.compile(r"<([0-9A-Fa-f]+)>")


def _to_unicode_map(font: pikepdf.Dictionary) -> tuple[dict[int, str], int]:
    """A font's code -> text map from its ToUnicode CMap, and its code width in bytes."""
    mapping: dict[int, str] = {}
    width = 2 if font.get("/Subtype") == "/Type0" else 1
    cmap = font.get("/ToUnicode")
    if cmap is None:
        return mapping, width
    text = cmap.read_bytes().decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block):
            start, end = int(lo, 16), int(hi, 16)
            if dst.startswith("["):
                for offset, item in enumerate(_HEX.findall(dst)):
                    mapping[start + offset] = bytes.fromhex(item).decode("utf-16-be", "replace")
            else:
                base = bytes.fromhex(dst[1:-1]).decode("utf-16-be", "replace")
                for offset in range(end - start + 1):
                    mapping[start + offset] = base[:-1] + chr(ord(base[-1]) + offset) if base else ""
    return mapping, width


def _decode(data: bytes, cmap: tuple[dict[int, str], int]) -> str:
    mapping, width = cmap
    codes = (int.from_bytes(data[i:i + width], "big") for i in range(0, len(data) - width + 1, width))
    return "".join(mapping.get(code, "") for code in codes)


def unmapped_codes(pdf: pikepdf.Pdf) -> tuple[int, int]:
    """(codes drawn, codes drawn with no or an empty Unicode mapping), over every page."""
    drawn = unmapped = 0
    for page in pdf.pages:
        fonts = page.Resources.get("/Font", pikepdf.Dictionary())
        cmaps: dict[str, tuple[dict[int, str], int]] = {}
        current: tuple[dict[int, str], int] = ({}, 2)
        for instruction in pikepdf.parse_content_stream(page):
            operands, op = list(instruction.operands), str(instruction.operator)
            if op == "Tf":
                current = _font_map(fonts, cmaps, str(operands[0]))
            elif op in ("Tj", "TJ", "'", '"'):
                mapping, width = current
                for item in (operands[-1] if op == "TJ" else [operands[-1]]):
                    if isinstance(item, pikepdf.String):
                        data = bytes(item)
                        for i in range(0, len(data) - width + 1, width):
                            drawn += 1
                            unmapped += not mapping.get(int.from_bytes(data[i:i + width], "big"))
    return drawn, unmapped


def _font_map(fonts: pikepdf.Object, cmaps: dict[str, tuple[dict[int, str], int]], key: str
              ) -> tuple[dict[int, str], int]:
    """A page font's ToUnicode map and code width, read once per page (``cmaps`` caches it)."""
    if key not in cmaps:
        font = fonts.get(key)
        cmaps[key] = _to_unicode_map(font) if isinstance(font, pikepdf.Dictionary) else ({}, 2)
    return cmaps[key]


def marked_content_text(page: pikepdf.Page) -> dict[int, str]:
    """MCID -> text decoded through the fonts' ToUnicode maps, for one page."""
    fonts = page.Resources.get("/Font", pikepdf.Dictionary())
    cmaps: dict[str, tuple[dict[int, str], int]] = {}
    texts: dict[int, list[str]] = {}
    stack: list[int | None] = []
    current: tuple[dict[int, str], int] = ({}, 2)
    for instruction in pikepdf.parse_content_stream(page):
        operands, op = list(instruction.operands), str(instruction.operator)
        if op == "BDC":
            props = operands[1] if len(operands) > 1 else None
            mcid = int(props.MCID) if isinstance(props, pikepdf.Dictionary) and "/MCID" in props else None
            stack.append(mcid)
        elif op == "BMC":
            stack.append(None)
        elif op == "EMC" and stack:
            stack.pop()
        elif op == "Tf":
            current = _font_map(fonts, cmaps, str(operands[0]))
        elif op in ("Tj", "TJ", "'", '"'):
            mcid = next((m for m in reversed(stack) if m is not None), None)
            if mcid is None:
                continue
            items = operands[-1] if op == "TJ" else [operands[-1]]
            for item in items:
                if isinstance(item, pikepdf.String):
                    texts.setdefault(mcid, []).append(_decode(bytes(item), current))
    return {mcid: "".join(parts) for mcid, parts in texts.items()}


def structure_text(pdf: pikepdf.Pdf) -> str:
    """The document's text in structure order, honouring /ActualText, one fragment per line."""
    page_numbers = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
    content: dict[int, dict[int, str]] = {}

    def page_text(page_obj: pikepdf.Object, mcid: int) -> str:
        number = page_numbers.get(page_obj.objgen)
        if number is None:
            return ""
        if number not in content:
            content[number] = marked_content_text(pdf.pages[number])
        return content[number].get(mcid, "")

    pieces = []
    for visit in walk(pdf.Root.StructTreeRoot.K, descend=lambda e: "/ActualText" not in e and "/Alt" not in e):
        element = visit.element
        if element is None:
            if visit.page is not None and visit.mcid is not None:
                pieces.append(page_text(visit.page, visit.mcid))
        elif "/ActualText" in element:
            pieces.append(str(element.ActualText))
        elif "/Alt" in element:
            pieces.append(str(element.Alt))
    return "\n".join(pieces)


def read_structure_text(path: Path) -> str:
    with pikepdf.open(path) as pdf:
        return structure_text(pdf)
