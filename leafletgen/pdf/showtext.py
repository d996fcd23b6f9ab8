"""Rewrite the text-showing operators of one text fragment with per-(glyph, text) codes.

WeasyPrint draws a text box as ``BT  Tm  (Tf  [..glyph ids and shifts..] TJ  [Ts .. TJ Ts])*  ET``
inside the fragment's marked-content sequence (``draw_first_line``). This module reads
those operators, checks that the glyph ids shown are exactly the glyphs of the Pango
line (clusters.py), and writes them again cluster by cluster with the codes of
fontcodes.py, with the same positions: a single glyph keeps WeasyPrint's arithmetic
(so Latin, Cyrillic and CJK text is drawn exactly as before), a cluster of several
glyphs, or a glyph raised off the baseline, becomes one composite glyph drawn on the
baseline where its font allows it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from leafletgen.pdf.fontcodes import FontCodes

FROM_UNITS = 1 / 1024  # Pango units to CSS pixels (weasyprint.text.ffi.FROM_UNITS)
_HEX = re.compile(rb"<([0-9a-fA-F]*)>")
_TF = re.compile(rb"^/(\S+) (\S+) Tf$")
RLM = "\u200f"
_STRONG_RTL = {"R", "AL"}


@dataclass(frozen=True)
class Glyph:
    gid: int
    width: int  # Pango's geometry, in Pango units: pen advance,
    x_offset: int  # drawn this far right of the pen,
    y_offset: int  # and this far below the baseline


@dataclass(frozen=True)
class Cluster:
    text: str
    glyphs: tuple[Glyph, ...]  # in drawing (visual, left-to-right) order
    empty_width: int = 0  # advance of zero-ink glyphs (PANGO_GLYPH_EMPTY), drawn as a TJ shift
    offset: int = 0  # where the cluster starts in the line's text (UTF-8 bytes): its logical order


@dataclass(frozen=True)
class Run:
    pango_font: object  # identity only: a new font means a new Tf in the stream
    rtl: bool
    clusters: tuple[Cluster, ...]  # in drawing order


class Mismatch(Exception):
    """The stream does not show the glyphs of the layout: leave nothing half rewritten."""


def rewrite_text(tokens: Sequence[object], runs: Sequence[Run], fonts: Callable[[str], FontCodes]) -> list[object]:
    """``tokens`` (one fragment's content) with its text objects shown through the new codes."""
    begin = next((i for i, t in enumerate(tokens) if t == b"BT"), None)
    if begin is None:
        if runs:
            raise Mismatch("text drawn outside a text object")
        return list(tokens)
    end = tokens.index(b"ET", begin)
    body = [_bytes(t) for t in tokens[begin + 1:end]]
    if not body and not runs:  # an empty text object (an empty inline box): nothing to map
        return list(tokens)
    if not body or not body[0].endswith(b" Tm"):
        raise Mismatch("a text object that does not start with Tm")
    segments: list[tuple[bytes, float, list[int]]] = []
    for token in body[1:]:
        if token.endswith(b" Tf"):
            match = _TF.match(token)
            if match is None:
                raise Mismatch(f"unexpected font operator {token[:40]!r}")
            segments.append((token, float(match[2]), []))
        elif token.endswith(b" TJ"):
            if not segments:
                raise Mismatch("glyphs shown before a font is set")
            for hexes in _HEX.findall(token):
                if len(hexes) % 4:
                    raise Mismatch("a font with one-byte codes")
                segments[-1][2].extend(int(hexes[i:i + 4], 16) for i in range(0, len(hexes), 4))
        elif not token.endswith(b" Ts"):
            raise Mismatch(f"unexpected operator in a text object: {token[:40]!r}")
    grouped = _by_font(runs)
    if len(grouped) != len(segments):
        raise Mismatch(f"{len(segments)} fonts shown, {len(grouped)} in the layout")
    shown_in: list[tuple[bytes, float, FontCodes]] = []
    for (tf, size, codes), clusters in zip(segments, grouped, strict=True):
        shown = [g.gid for _, cluster in clusters for g in cluster.glyphs]
        if shown != codes:
            raise Mismatch("the glyphs shown differ from the layout's")
        shown_in.append((tf, size, fonts(_TF.match(tf)[1].decode())))  # type: ignore[index]
    out: list[object] = [body[0]]
    logical = _show_logically(shown_in, grouped) if any(run.rtl for run in runs) else None
    if logical is not None:
        out += logical
    else:
        for (tf, size, font), clusters in zip(shown_in, grouped, strict=True):
            out.append(tf)
            out += _show(font, size, clusters)
    return [*tokens[:begin + 1], *out, *tokens[end:]]


def _by_font(runs: Sequence[Run]) -> list[list[tuple[bool, Cluster]]]:
    """Clusters in drawing order, one list per font change (draw_first_line emits Tf per change)."""
    grouped: list[list[tuple[bool, Cluster]]] = []
    previous = None
    for run in runs:
        if not grouped or run.pango_font != previous:
            grouped.append([])
            previous = run.pango_font
        grouped[-1] += [(run.rtl, cluster) for cluster in _with_their_letters(_carry_empty(run), run.rtl)]
    return grouped


def _with_their_letters(clusters: list[Cluster], rtl: bool) -> list[Cluster]:
    """``clusters`` with each one that has no advance (an Arabic mark Pango shaped on its own, the
    alef of a lam-alef) joined to the cluster it sits on: the one to its right in a right-to-left
    run, to its left otherwise. Alone, it would share its position with that cluster, and a
    reader could read it on either side; joined, it is part of one composite glyph."""
    out = list(clusters)
    i = 0
    while i < len(out):
        cluster = out[i]
        if not cluster.glyphs or any(g.width for g in cluster.glyphs) or len(out) == 1:
            i += 1
            continue
        j = i + 1 if (rtl and i + 1 < len(out)) or i == 0 else i - 1
        left, right = (cluster, out[j]) if j > i else (out[j], cluster)
        if left.empty_width:  # a shift between the two: they cannot be one glyph
            i += 1
            continue
        first, then = (right, left) if rtl else (left, right)  # logical order of the two texts
        out[min(i, j)] = Cluster(first.text + then.text, left.glyphs + right.glyphs,
                                 left.empty_width + right.empty_width, min(left.offset, right.offset))
        del out[max(i, j)]
        i = min(i, j)
    return out


def _carry_empty(run: Run) -> list[Cluster]:
    """The run's clusters, the text of glyph-less ones (ZWNJ, ZWJ) given to the logically previous one."""
    order = list(run.clusters[::-1] if run.rtl else run.clusters)
    texts = [c.text for c in order]
    for i, cluster in enumerate(order):
        if not cluster.glyphs and cluster.text:
            target = next((j for j in range(i - 1, -1, -1) if order[j].glyphs), None)
            if target is None:
                target = next((j for j in range(i + 1, len(order)) if order[j].glyphs), None)
            if target is not None:
                texts[target] = texts[target] + texts[i] if target < i else texts[i] + texts[target]
                texts[i] = ""
    carried = [Cluster(t, c.glyphs, c.empty_width, c.offset) for t, c in zip(texts, order, strict=True)]
    return carried[::-1] if run.rtl else carried


#: What draws one cluster: codes (int) and TJ shifts (float, thousandths of the em), and raw
#: operators (bytes: a Ts rise, between TJ arrays) where a glyph is raised without a composite.
Item = int | float | bytes


def _show(font: FontCodes, size: float, clusters: list[tuple[bool, Cluster]]) -> list[bytes]:
    """Tokens (TJ, and Ts where a glyph must be raised) that draw ``clusters`` in ``font``."""
    return _tokens([item for rtl, cluster in clusters for item in _items(font, size, rtl, cluster)])


def _items(font: FontCodes, size: float, rtl: bool, cluster: Cluster) -> list[Item]:
    """The codes and shifts that draw one cluster where the layout put it, from the pen."""
    items: list[Item] = []
    glyphs = cluster.glyphs
    composite = bool(glyphs) and font.composes and (len(glyphs) > 1 or any(g.y_offset for g in glyphs))
    text = _reading_text(cluster.text, rtl) if composite or len(glyphs) == 1 else cluster.text
    if composite:
        pen, components = 0.0, []
        for g in glyphs:
            components.append((g.gid, pen + g.x_offset / size, -g.y_offset / size))
            pen += g.width * 1000 * FROM_UNITS / size
        code, width = font.cluster_code(tuple(components), pen, text)
        items.append(code)
        if width - pen:
            items.append(float(width - pen))
    else:
        for g, piece in zip(glyphs, _pieces(text, len(glyphs), rtl), strict=True):
            code = font.glyph_code(g.gid, piece)
            offset = g.x_offset / size
            rise = -g.y_offset / 1000
            if rise:  # only where composites are impossible (CFF): as draw_first_line does
                items.append(_num(-rise) + b" Ts")
            if offset:
                items.append(-offset)
            items.append(code)
            if rise:
                items.append(b"0 Ts")
            kerning = font.width(code) + offset - g.width * 1000 * FROM_UNITS / size
            if int(kerning):
                items.append(float(int(kerning)))
    if cluster.empty_width:
        items.append(-cluster.empty_width / size)
    return items


def _tokens(items: Sequence[Item]) -> list[bytes]:
    tokens: list[bytes] = []
    shown: list[int | float] = []
    for item in [*items, b""]:
        if isinstance(item, bytes):
            if shown:
                tokens.append(b"[" + _tj(shown) + b"] TJ")
                shown = []
            if item:
                tokens.append(item)
        else:
            shown.append(item)
    return tokens


@dataclass
class _Piece:
    """One cluster of a line with what draws it, where it starts and ends (text space, from Tm)."""

    segment: int
    offset: int  # the cluster's place in the text: its reading order
    items: list[Item]
    start: float
    end: float


def _show_logically(segments: Sequence[tuple[bytes, float, FontCodes]],
                    grouped: Sequence[list[tuple[bool, Cluster]]]) -> list[bytes] | None:
    """Tokens that draw a line holding right-to-left text cluster by cluster in reading order.

    WeasyPrint draws a line left to right, so a right-to-left line comes in the content
    stream backwards, and a reader that follows the stream (``pdftotext -raw``, copy and paste
    in many viewers, and poppler in a table whose multi-line cells it cannot tell apart) reads
    it backwards. Here each cluster is drawn where the layout put it, but in the logical order
    of the text (PDF 32000-1, 14.8.2.3.3: Tagged PDF shows text in logical order); clusters
    that follow each other left to right (a number, a Latin word) share one show string.
    None where a glyph must be raised with Ts (fonts without composites): those lines stay in
    drawing order.
    """
    pieces: list[_Piece] = []
    pen = 0.0
    for index, ((_, size, font), clusters) in enumerate(zip(segments, grouped, strict=True)):
        for rtl, cluster in clusters:
            drawn = _items(font, size, rtl, cluster)
            advance = 0.0
            for item in drawn:
                if isinstance(item, bytes):
                    return None
                advance += font.width(item) if isinstance(item, int) else -item
            advance *= size / 1000
            if any(isinstance(item, int) for item in drawn):  # not a mere shift (a glyph-less cluster)
                pieces.append(_Piece(index, cluster.offset, drawn, pen, pen + advance))
            pen += advance
    words: list[list[_Piece]] = []
    for piece in sorted(pieces, key=lambda p: p.offset):
        last = words[-1][-1] if words else None
        if last is not None and last.segment == piece.segment and abs(piece.start - last.end) < 1e-6:
            words[-1].append(piece)  # left to right in reading order: one show string
        else:
            words.append([piece])
    out: list[bytes] = []
    current, pen = -1, 0.0
    for word in words:
        segment = word[0].segment
        tf, size, _ = segments[segment]
        if segment != current:
            out.append(tf)
            current = segment
        shift = -(word[0].start - pen) * 1000 / size
        items: list[Item] = [shift] if abs(shift) > 1e-6 else []
        out += _tokens(items + [item for piece in word for item in piece.items])
        pen = word[-1].end
    return out


def _reading_text(text: str, rtl: bool) -> str:
    """What one glyph showing ``text`` maps to, so that readers that reorder by character type read it right.

    Such readers (poppler's ``pdftotext``) spread a many-character map over the glyph from
    left to right and then read a right-to-left section from right to left: a right-to-left
    cluster is mapped in visual order, and reads back in logical order (``أُ``, not ``ُأ``).
    They also take a line's sections from character types alone: right to left are the
    characters that are not L or a number, left to right those that are not R (and their
    tables count U+060C ARABIC COMMA as a number, Arabic marks as not R). The bidi algorithm
    gives a neutral character (punctuation, a sign) the direction of its surroundings, and a
    combining mark that of its letter: in ``القسم 2،`` the comma is right to left, drawn left
    of the 2, and such a reader takes it with the number (``،2``). A RIGHT-TO-LEFT MARK at an
    end of a right-to-left cluster where its character is not strongly right to left states
    the direction the layout gave it. Spaces are left alone: readers take them as word gaps.
    """
    if not rtl or not text.strip():
        return text
    visual = text[::-1]
    head = "" if unicodedata.bidirectional(visual[0]) in _STRONG_RTL else RLM
    tail = "" if unicodedata.bidirectional(visual[-1]) in _STRONG_RTL else RLM
    return head + visual + tail


def _pieces(text: str, count: int, rtl: bool) -> list[str]:
    """``text`` cut into ``count`` non-empty pieces for glyphs in drawing order (one font glyph each).

    Used where a cluster cannot become one composite glyph (CFF fonts): the reading order
    of the glyphs is their drawing order, reversed right to left. Short of characters, a
    zero-width joiner (U+200D, no meaning of its own) fills in.
    """
    if count <= 1:
        return [text] * count
    chars = list(text if len(text) >= count else unicodedata.normalize("NFD", text))
    chars += ["\u200d"] * (count - len(chars))
    head = len(chars) - count + 1
    pieces = ["".join(chars[:head]), *chars[head:]]
    return pieces[::-1] if rtl else pieces


def _tj(items: list[int | float]) -> bytes:
    out: list[bytes] = []
    codes: list[str] = []
    for item in items:
        if isinstance(item, int):
            codes.append(f"{item:04x}")
            continue
        if codes:
            out.append(b"<" + "".join(codes).encode() + b">")
            codes = []
        out.append(_num(item))
    if codes:
        out.append(b"<" + "".join(codes).encode() + b">")
    return b" ".join(out)


def _num(value: float) -> bytes:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return (text if text not in ("-0", "") else "0").encode()


def _bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()
