"""Render options: what a reader can choose about a PDF, declared once.

The CLI, the API (GET, POST) and the order page take their choices from here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from leafletgen.content.pharmacy import Pharmacy

#: Paper names as the user types them -> CSS page size.
PAPER_SIZES = {"a4": "A4", "letter": "letter"}


@dataclass(frozen=True)
class RenderOptions:
    """Everything about a PDF that is not its content; part of the build key."""

    paper: str = "a4"
    draft: bool = False
    large_print: bool = False
    with_locale: str | None = None          # second language of a bilingual handout
    pharmacy: Pharmacy | None = None


def for_locale(options: RenderOptions, locale: str) -> RenderOptions:
    """The options as they apply to ``locale``: a second language equal to the first is no second language."""
    if options.with_locale == locale:
        return dataclasses.replace(options, with_locale=None)
    return options
