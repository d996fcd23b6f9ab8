"""The glyph clusters of a laid-out line, as Pango shaped them for WeasyPrint.

WeasyPrint draws each text box from the first line of its Pango layout
(``weasyprint/draw/text.py``, ``draw_first_line``) and keeps only one Unicode string
per glyph id. The layout itself knows more: for every glyph, the cluster (the span of
text) it belongs to. After drawing, WeasyPrint frees the layout (``deactivate``); this
module rebuilds it the way drawing did (``reactivate``, single-paragraph mode) and
reads, per run of one font, each cluster's text and glyphs with their advances and
offsets, in the units and with the arithmetic ``draw_first_line`` used, so the text
layer can be rewritten without moving a glyph (textlayer.py, showtext.py).

Reading WeasyPrint's layout objects after the fact is the whole contract with
WeasyPrint here: nothing is patched.
"""

from __future__ import annotations

from weasyprint.formatting_structure import boxes
from weasyprint.text.ffi import ffi, pango

from leafletgen.pdf.showtext import Cluster, Glyph, Run


def line_runs(textbox: boxes.TextBox) -> list[Run]:
    """The runs of the line ``textbox`` shows, as drawn; [] when nothing was drawn."""
    if not textbox.text.strip() or textbox.style["font_size"] < 1e-6 or textbox.style["visibility"] != "visible":
        return []
    layout = textbox.pango_layout
    layout.reactivate(textbox.style)
    try:
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        line, _ = layout.get_first_line()
        utf8 = layout.text.encode()
        runs: list[Run] = []
        run = line.runs[0]
        while run != ffi.NULL:
            runs.append(_run(run.data, utf8))
            run = run.next
        return runs
    finally:
        layout.deactivate()


def _run(glyph_item: object, utf8: bytes) -> Run:
    item = glyph_item.item  # type: ignore[attr-defined]
    glyph_string = glyph_item.glyphs  # type: ignore[attr-defined]
    count = glyph_string.num_glyphs
    clusters = ffi.unpack(glyph_string.log_clusters, count)
    infos = glyph_string.glyphs[0:count]
    rtl = bool(item.analysis.level % 2)
    starts = sorted(set(clusters))
    ends = {start: (starts[k + 1] if k + 1 < len(starts) else item.length) for k, start in enumerate(starts)}
    groups: list[tuple[int, list[Glyph], int]] = []
    empty, unknown = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG
    for info, start in zip(infos, clusters, strict=True):
        if not groups or groups[-1][0] != start:
            groups.append((start, [], 0))
        geometry = info.geometry
        gid = info.glyph
        if gid == empty:
            key, glyphs, width = groups[-1]
            groups[-1] = (key, glyphs, width + geometry.width)
            continue
        if gid & unknown:  # WeasyPrint warns, and the render fails (engine.py)
            gid = 0
        groups[-1][1].append(Glyph(gid, geometry.width, geometry.x_offset, geometry.y_offset))
    out = []
    for start, glyphs, width in groups:
        text = utf8[item.offset + start:item.offset + ends[start]].decode()
        out.append(Cluster(text, tuple(glyphs), width, item.offset + start))
    return Run(item.analysis.font, rtl, tuple(out))

