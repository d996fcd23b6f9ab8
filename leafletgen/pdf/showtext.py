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
    out: list[object] = [body[0]]
    for (tf, size, codes), clusters in zip(segments, grouped, strict=True):
        shown = [g.gid for _, cluster in clusters for g in cluster.glyphs]
        if shown != codes:
            raise Mismatch("the glyphs shown differ from the layout's")
        name = _TF.match(tf)[1].decode()  # type: ignore[index]
        out.append(tf)
        out += _show(fonts(name), size, clusters)
    return [*tokens[:begin + 1], *out, *tokens[end:]]


def _by_font(runs: Sequence[Run]) -> list[list[tuple[bool, Cluster]]]:
    """Clusters in drawing order, one list per font change (draw_first_line emits Tf per change)."""
    grouped: list[list[tuple[bool, Cluster]]] = []
    previous = None
    for run in runs:
        if not grouped or run.pango_font != previous:
            grouped.append([])
            previous = run.pango_font
        grouped[-1] += [(run.rtl, cluster) for cluster in _carry_empty(run)]
    return grouped


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
    carried = [Cluster(t, c.glyphs, c.empty_width) for t, c in zip(texts, order, strict=True)]
    return carried[::-1] if run.rtl else carried


def _show(font: FontCodes, size: float, clusters: list[tuple[bool, Cluster]]) -> list[bytes]:
    """Tokens (TJ, and Ts where a glyph must be raised) that draw ``clusters`` in ``font``."""
    tokens: list[bytes] = []
    items: list[int | float] = []  # codes (int) and shifts (float) of the TJ being built

    def flush() -> None:
        if items:
            tokens.append(b"[" + _tj(items) + b"] TJ")
            items.clear()

    for rtl, cluster in clusters:
        glyphs = cluster.glyphs
        if glyphs and font.composes and (len(glyphs) > 1 or any(g.y_offset for g in glyphs)):
            pen, components = 0.0, []
            for g in glyphs:
                components.append((g.gid, pen + g.x_offset / size, -g.y_offset / size))
                pen += g.width * 1000 * FROM_UNITS / size
            code, width = font.cluster_code(tuple(components), pen, cluster.text)
            items.append(code)
            if width - pen:
                items.append(float(width - pen))
        else:
            for g, text in zip(glyphs, _pieces(cluster.text, len(glyphs), rtl), strict=True):
                code = font.glyph_code(g.gid, text)
                offset = g.x_offset / size
                rise = -g.y_offset / 1000
                if rise:  # only where composites are impossible (CFF): as draw_first_line does
                    flush()
                    tokens.append(_num(-rise) + b" Ts")
                if offset:
                    items.append(-offset)
                items.append(code)
                if rise:
                    flush()
                    tokens.append(b"0 Ts")
                kerning = font.width(code) + offset - g.width * 1000 * FROM_UNITS / size
                if int(kerning):
                    items.append(float(int(kerning)))
        if cluster.empty_width:
            items.append(-cluster.empty_width / size)
    flush()
    return tokens


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
