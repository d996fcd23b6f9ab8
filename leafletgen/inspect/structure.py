"""The one walk over a tagged PDF's structure tree, in reading order (pikepdf objects).

Each structure element is visited with its effective language (its own ``/Lang`` or the
nearest ancestor's) and page (``/Pg``, inherited the same way), and each marked-content
reference (an MCID, bare or as an ``/MCR`` dictionary) with the page its content is on.
``descend`` decides whether to go below an element: reading text stops at an element
with ``/ActualText`` or ``/Alt``, which stands for everything below it. (The text-layer
fix in pdf/textlayer.py works on WeasyPrint's pydyf objects while the PDF is written,
before pikepdf could read it, so it has its own small walk.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pikepdf


@dataclass(frozen=True)
class Visit:
    element: pikepdf.Dictionary | None  # the structure element; None for a marked-content reference
    lang: str | None
    page: pikepdf.Object | None
    mcid: int | None = None


def _always(element: pikepdf.Dictionary) -> bool:
    return True


def walk(node: object, *, lang: str | None = None, page: pikepdf.Object | None = None,
         descend: Callable[[pikepdf.Dictionary], bool] = _always) -> Iterator[Visit]:
    """Every element and marked-content reference under ``node``, in reading order."""
    if isinstance(node, int):
        yield Visit(None, lang, page, node)
    elif isinstance(node, pikepdf.Array):
        for kid in node:
            yield from walk(kid, lang=lang, page=page, descend=descend)
    elif isinstance(node, pikepdf.Dictionary):
        page = node.get("/Pg", page)
        if node.get("/Type") == "/MCR":
            yield Visit(None, lang, page, int(node.MCID))
        elif "/S" in node:
            lang = str(node.Lang) if "/Lang" in node else lang
            yield Visit(node, lang, page)
            if "/K" in node and descend(node):
                yield from walk(node.K, lang=lang, page=page, descend=descend)


