"""HTML -> PDF/UA-1 with WeasyPrint. With clusters.py, the only module that imports WeasyPrint.

WeasyPrint may load only files inside the templates folder and ``data:`` URLs (a
leaflet's figures come inline, from the build's snapshot): the URL fetcher refuses
every other URL (``file://`` elsewhere, ``http(s)``, ...) and stops the render.
Every warning WeasyPrint logs (a missing glyph, a refused URL, a CSS error) fails the
render: a leaflet is printed exactly as designed or not at all.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from leafletgen.errors import Problem, RenderError
from leafletgen.pdf.clusters import line_runs
from leafletgen.pdf.structure import BoxInfo
from leafletgen.pdf.textlayer import Fragment, fix_text_layer


class RefusedURL(FatalURLFetchingError):
    """Raised for any URL outside the allowed folder; stops the render."""


class LocalOnlyFetcher(URLFetcher):
    """Fetch ``file://`` URLs inside ``root`` only."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"file", "data"})
        self.root = root.resolve()

    def fetch(self, url: str, headers: object = None) -> object:
        parts = urlsplit(url)
        if parts.scheme == "data":  # a leaflet's figure, inline from the snapshot (render/html.py)
            return super().fetch(url, headers)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused to load {url!r}: only the project's own files may be loaded")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root):
            raise RefusedURL(f"refused to load {url!r}: only files inside {self.root.name}/ may be loaded")
        if not path.is_file():
            raise RefusedURL(f"{self.root.name}/{path.relative_to(self.root).as_posix()}: file not found")
        return super().fetch(url, headers)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _weasyprint_warnings_as_errors(name: str):  # type: ignore[no-untyped-def]
    collector = _Collector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        yield
    finally:
        logger.removeHandler(collector)
    if collector.messages:
        raise RenderError([Problem(name, "WeasyPrint", m) for m in dict.fromkeys(collector.messages)])


@cache
def _font_config() -> FontConfiguration:
    """One font configuration per process: loaded fonts are reused across renders."""
    return FontConfiguration()


def warm_up() -> None:
    """Load what every render needs (WeasyPrint, fontconfig) so forked workers share it.

    What is loaded now lives as long as the process, so it is moved out of the garbage
    collector's sight (``gc.freeze``): renders then run ~3% faster, and forked workers
    do not copy those pages when the collector would have touched them.
    """
    _font_config()
    gc.collect()
    gc.freeze()


def render_pdf(html: str, *, base_dir: Path, name: str, exact_text: bool = True) -> bytes:
    """Render HTML to PDF/UA-1 bytes; ``base_dir`` is the only folder that may be read.

    ``exact_text`` runs textlayer.py as WeasyPrint's finisher: /ActualText so the text
    layer reads back exactly, /Lang on other-language parts, footers as artifacts.
    Turned off only to measure the difference.
    """
    fetcher = LocalOnlyFetcher(base_dir)
    options = {"pdf_variant": "pdf/ua-1", "uncompressed_pdf": False}
    try:
        with _weasyprint_warnings_as_errors(name):
            source = weasyprint.HTML(string=html, base_url=base_dir.as_uri() + "/", url_fetcher=fetcher)
            document = source.render(font_config=_font_config(), **options)

            def finisher(document: weasyprint.Document, pdf: object) -> None:
                fragments = [list(_fragments(page._page_box)) for page in document.pages]
                order = {id(e): n for n, e in enumerate(source.etree_element.iter())}
                infos = [info for page in document.pages for info in _structure_boxes(page._page_box, "", order)]
                fix_text_layer(pdf, fragments, name=name, page_boxes=infos)  # type: ignore[arg-type]

            pdf = document.write_pdf(finisher=finisher if exact_text else None, **options)
    except RefusedURL as exc:
        raise RenderError(Problem("", "", str(exc))) from None
    assert pdf is not None
    return pdf


def _fragments(box: boxes.Box) -> Iterator[Fragment]:
    """Every text fragment under ``box`` (text, direction, language, shaped runs), in tagging order.

    Mirrors the traversal of WeasyPrint's structure tree builder: line boxes are
    flattened, every other box is visited depth first, absolute boxes through their
    placeholder.
    """
    if isinstance(box, AbsolutePlaceholder):
        box = box._box
    for child in getattr(box, "children", ()):
        for kid in (child.children if isinstance(child, boxes.LineBox) else [child]):
            if isinstance(kid, boxes.TextBox):
                yield Fragment(kid.text, kid.style["direction"] == "rtl", str(kid.style["lang"] or ""),
                               line_runs(kid))
            else:
                yield from _fragments(kid)



def _structure_boxes(box: boxes.Box, parent: str, order: dict[int, int], head: bool = False) -> Iterator[BoxInfo]:
    """One BoxInfo per structure element WeasyPrint's tags.py creates, in creation order.

    Mirrors ``weasyprint/pdf/tags.py`` (``_build_box_tree``, ``_get_pdf_tag``) for what
    leafletgen's HTML uses; structure.py checks the element types match and refuses
    the render otherwise, so a change there cannot go unnoticed.
    """
    from weasyprint.pdf.tags import _get_pdf_tag

    if isinstance(box, AbsolutePlaceholder):
        box = box._box
    element_tag = None if box.element is None else box.element_tag
    tag = _get_pdf_tag(element_tag)
    if element_tag in ("html", "body") or isinstance(box, boxes.PageBox):
        if isinstance(box, boxes.ParentBox) and not isinstance(box, boxes.LineBox):
            for child in box.children:
                yield from _structure_boxes(child, parent, order, head)
            return
    elif isinstance(box, boxes.MarginBox):
        for child in box.children:
            yield from _structure_boxes(child, parent, order, head)
        return
    elif tag in ("TD", "TH") and parent in ("TD", "TH"):
        tag = "NonStruct"
    elif tag == "LI":
        no_bullet = box.element_tag == "li" and ("list-item" not in box.style["display"]
                                                  or box.style["list_style_type"] == "none")
        if parent == "LI":
            tag = "LBody"
        elif parent == "LBody":
            tag = "NonStruct"
        elif box.element_tag in ("dt", "dd") or no_bullet:
            yield _info(box, "LI", order, head)
            yield from _structure_boxes(box, "LI", order, head)
            return
    head = head or tag == "THead"
    yield _info(box, tag, order, head)
    if tag == "Table" and box.is_table_wrapper and (table := box.get_wrapped_table()):
        wrapper, box = box, table.copy_with_children([])
        for child in wrapper.children:
            box.children.extend(child.children if child is table else [child])
    for child in box.children:
        for kid in (child.children if isinstance(child, boxes.LineBox) else [child]):
            if isinstance(kid, boxes.TextBox):
                if tag != "Link":
                    yield _info(kid, "Span", order, head)
            else:
                nested = kid.element_tag in ("ul", "ol") and tag == "LI"
                yield from _structure_boxes(kid, parent if nested else tag, order, head)


def _info(box: boxes.Box, tag: str, order: dict[int, int], head: bool) -> BoxInfo:
    element = box.element
    bbox = None
    if tag == "Figure":
        x, y = box.content_box_x(), box.content_box_y()
        bbox = (x, y, x + box.width, y + box.height)
    return BoxInfo(tag, element, order.get(id(element), -1), str(box.style["lang"] or ""), head,
                   str(element.get("scope", "")) if element is not None and tag == "TH" else "", bbox)

