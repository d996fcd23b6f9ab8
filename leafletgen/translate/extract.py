"""Gettext message extraction from leaflet sources (a Babel extractor).

Registered under the ``babel.extractors`` entry point as ``leaflet``, so plain
``pybabel extract -F locales/babel.cfg`` and ``leafletgen extract`` give the same POT.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from leafletgen.content.model import Leaflet
from leafletgen.content.source import parse_leaflet

SAFETY_COMMENT = "SAFETY-CRITICAL: must be translated, not fuzzy, and pass 'check' before printing."

ExtractionResult = tuple[int, str, tuple[str, str], list[str]]


def leaflet_messages(leaflet: Leaflet) -> Iterator[ExtractionResult]:
    """(line, 'pgettext', (msgctxt, msgid), comments) for every text, in document order."""
    for text, critical in leaflet.texts():
        comments = []
        if critical:
            comments.append(SAFETY_COMMENT)
        if text.note:
            comments.append(text.note)
        yield text.line, "pgettext", (text.id, text.text), comments


def extract_leaflet(fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str],
                    options: Mapping[str, Any]) -> Iterator[ExtractionResult]:
    """Babel extractor entry point: ``(fileobj, keywords, comment_tags, options)``."""
    name = getattr(fileobj, "name", "<leaflet>")
    yield from leaflet_messages(parse_leaflet(fileobj.read(), str(name)))
