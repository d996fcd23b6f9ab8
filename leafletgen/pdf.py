"""HTML -> PDF/UA-1 with WeasyPrint. The only module that imports WeasyPrint.

WeasyPrint may load only files inside the templates folder: the URL fetcher refuses
every other URL (``file://`` elsewhere, ``http(s)``, ``data:`` ...) and stops the
render. Every warning WeasyPrint logs (a missing glyph, a refused URL, a CSS error)
fails the render: a leaflet is printed exactly as designed or not at all.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from .errors import Problem, RenderError


class RefusedURL(FatalURLFetchingError):
    """Raised for any URL outside the allowed folder; stops the render."""


class LocalOnlyFetcher(URLFetcher):
    """Fetch ``file://`` URLs inside ``root`` only."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"file"})
        self.root = root.resolve()

    def fetch(self, url: str, headers: object = None) -> object:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused to load {url!r}: only the project's own files may be loaded")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise RefusedURL(f"refused to load {url!r}: only files inside {self.root} may be loaded")
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


def render_pdf(html: str, *, base_dir: Path, name: str) -> bytes:
    """Render HTML to PDF/UA-1 bytes; ``base_dir`` is the only folder that may be read."""
    fetcher = LocalOnlyFetcher(base_dir)
    try:
        with _weasyprint_warnings_as_errors(name):
            document = weasyprint.HTML(string=html, base_url=base_dir.as_uri() + "/", url_fetcher=fetcher)
            pdf = document.write_pdf(pdf_variant="pdf/ua-1", font_config=_font_config(),
                                     uncompressed_pdf=False)
    except RefusedURL as exc:
        raise RenderError(Problem(name, "", str(exc))) from None
    assert pdf is not None
    return pdf


def engine_version() -> str:
    return f"weasyprint {weasyprint.__version__}"
