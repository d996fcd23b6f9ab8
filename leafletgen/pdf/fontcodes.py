"""One code per (glyph, text) in each embedded font, so every drawn code maps to its own text.

WeasyPrint uses glyph ids as codes (Identity-H, ``CIDToGIDMap /Identity``) and so can
give a glyph only one Unicode string per font: the first cluster it was seen in wins,
and the other glyphs of a multi-glyph cluster map to nothing. Here each font gets new
codes (CIDs), one per distinct (glyph, text) pair, with its own ``/ToUnicode`` entry,
``/W`` width and ``/CIDToGIDMap`` entry. A cluster of several glyphs (a Devanagari
conjunct with its vowel sign, an Arabic letter with its marks, a Nastaliq letter with
its dots, cascading off the baseline) becomes one TrueType composite glyph, added to
the embedded subset with fontTools, whose components sit exactly where the shaper put
them: one code, drawn on the baseline, that maps to the cluster's text. A reader then
gets each cluster's text once, in order, on its line.

CFF-flavoured fonts (``CIDFontType0``, Noto Sans CJK) cannot be given new CIDs without
rewriting the CFF, and have no composites: their codes stay glyph ids, and only a
glyph's first text is kept (WeasyPrint's behaviour; CJK clusters are single glyphs).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from math import ceil
from typing import Any

import pydyf
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph as TTGlyph
from fontTools.ttLib.tables._g_l_y_f import GlyphComponent

#: One component of a composite glyph: (glyph id, x, y) in thousandths of the em.
Component = tuple[int, float, float]
#: Tables whose per-glyph records would not cover the composite glyphs added here; all optional.
_STALE_TABLES = ("hdmx", "LTSH", "VDMX", "HVAR", "VORG", "kern", "DSIG")


@dataclass
class FontProgram:
    """An embedded TrueType subset (one FontFile2 stream), to which composite glyphs are added."""

    stream: pydyf.Stream
    _font: TTFont | None = None
    _composites: dict[tuple[tuple[int, int, int], ...], int] = field(default_factory=dict)

    def _ttfont(self) -> TTFont:
        if self._font is None:
            font = TTFont(io.BytesIO(b"".join(_bytes(part) for part in self.stream.stream)))
            for tag in ("head", "maxp", "loca", "glyf", "hmtx", "post", "vmtx", "gvar"):
                if tag in font:
                    font[tag]
            self._font = font
        return self._font

    @property
    def upem(self) -> int:
        return int(self._ttfont()["head"].unitsPerEm)

    def composite(self, components: tuple[Component, ...], advance: float) -> int:
        """The glyph id of a composite of ``components`` (offsets in thousandths of the em)."""
        scale = self.upem / 1000
        key = tuple((gid, round(x * scale), round(y * scale)) for gid, x, y in components)
        if key not in self._composites:
            font = self._ttfont()
            order = list(font.getGlyphOrder())
            name = f"cluster{len(self._composites) + 1}"
            glyph = TTGlyph()
            glyph.numberOfContours = -1
            glyph.components = []
            for gid, x, y in key:
                component = GlyphComponent()
                component.glyphName, component.x, component.y, component.flags = order[gid], x, y, 0
                glyph.components.append(component)
            font.setGlyphOrder([*order, name])
            font["glyf"].glyphs[name] = glyph
            font["glyf"].glyphOrder = font.getGlyphOrder()
            font["hmtx"].metrics[name] = (max(0, round(advance * scale)), 0)
            self._composites[key] = len(order)
        return self._composites[key]

    def finish(self) -> None:
        if self._font is None or not self._composites:
            return
        font = self._font
        for tag in _STALE_TABLES:
            if tag in font:
                del font[tag]
        if "post" in font:  # glyph names are not needed in an embedded font (and format 2 would list them)
            font["post"].formatType = 3.0
        out = io.BytesIO()
        font.save(out, reorderTables=False)
        data = out.getvalue()
        self.stream.stream = [data]
        self.stream.extra["Length1"] = len(data)


@dataclass
class FontCodes:
    """New codes for one Type0 font dictionary."""

    font: pydyf.Dictionary
    descendant: pydyf.Dictionary
    to_unicode: pydyf.Stream
    program: FontProgram | None  # None for CFF fonts: codes stay glyph ids
    widths: dict[int, float]  # glyph id -> width, from WeasyPrint's /W
    _codes: dict[tuple[Any, str], int] = field(default_factory=dict)
    _entries: list[tuple[int, str, float]] = field(default_factory=list)  # per CID - 1: (gid, text, width)
    _kept: dict[int, str] = field(default_factory=dict)  # CFF fonts: glyph id -> text

    @property
    def composes(self) -> bool:
        return self.program is not None

    def glyph_code(self, gid: int, text: str) -> int:
        """The code that draws glyph ``gid`` and reads as ``text``."""
        if self.program is None:
            self._kept.setdefault(gid, text)
            return gid
        key = (gid, text)
        if key not in self._codes:
            self._entries.append((gid, text, self.widths.get(gid, 0)))
            self._codes[key] = len(self._entries)
        return self._codes[key]

    def cluster_code(self, components: tuple[Component, ...], advance: float, text: str) -> tuple[int, float]:
        """The code of one composite glyph drawing ``components``, and its /W width."""
        assert self.program is not None
        width = float(round(advance))
        gid = self.program.composite(components, width)
        key = (("composite", gid), text)
        if key not in self._codes:
            self._entries.append((gid, text, width))
            self._codes[key] = len(self._entries)
        return self._codes[key], width

    def width(self, code: int) -> float:
        return self._entries[code - 1][2] if self.program is not None else self.widths.get(code, 0)

    def finish(self, compress: bool) -> None:
        if self.program is None:
            mapping = dict(sorted(self._kept.items()))
            _write_to_unicode(self.to_unicode, mapping)
            return
        mapping = {cid: text for cid, (_, text, _) in enumerate(self._entries, start=1)}
        _write_to_unicode(self.to_unicode, mapping)
        widths = pydyf.Array()
        if self._entries:
            widths.extend([1, pydyf.Array([_number(w) for _, _, w in self._entries])])
        self.descendant["W"] = widths
        gids = b"\x00\x00" + b"".join(gid.to_bytes(2, "big") for gid, _, _ in self._entries)
        cid_to_gid = pydyf.Stream([gids], compress=compress)
        self.descendant["CIDToGIDMap"] = cid_to_gid  # replaced by a reference in textlayer.py
        self.font["Encoding"] = "/Identity-H"


def _write_to_unicode(stream: pydyf.Stream, mapping: dict[int, str]) -> None:
    """Replace the bfchar blocks of WeasyPrint's ToUnicode CMap with ``mapping``."""
    head = [line for line in stream.stream if _bytes(line) not in (b"endcmap",)]
    cut = next(i for i, line in enumerate(head) if _bytes(line) == b"endcodespacerange") + 1
    body: list[bytes] = []
    items = [(code, text) for code, text in mapping.items() if text]
    for i in range(ceil(len(items) / 100)):
        batch = items[i * 100:(i + 1) * 100]
        body.append(f"{len(batch)} beginbfchar".encode())
        body += [f"<{code:04x}> <{text.encode('utf-16-be').hex()}>".encode() for code, text in batch]
        body.append(b"endbfchar")
    stream.stream = [*head[:cut], *body, b"endcmap", b"CMapName currentdict /CMap defineresource pop",
                     b"end", b"end"]


def _bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 3)


def read_widths(array: Any, deref: Any) -> dict[int, float]:
    """A CIDFont's /W array (``c [w1 w2 ...]`` groups, as WeasyPrint writes it) as a dict."""
    widths: dict[int, float] = {}
    items = list(deref(array) or [])
    i = 0
    while i < len(items):
        start, values = int(items[i]), deref(items[i + 1])
        if isinstance(values, list):
            for offset, width in enumerate(values):
                widths[start + offset] = float(width)
            i += 2
        else:  # c_first c_last w
            for cid in range(start, int(values) + 1):
                widths[cid] = float(items[i + 2])
            i += 3
    return widths
