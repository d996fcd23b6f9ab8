"""No tofu: every character a locale prints must be in the fonts that locale uses.

Fonts are resolved by fontconfig (the same resolution WeasyPrint's Pango uses) and
read with fontTools. A locale with an uncovered character is refused before
rendering, naming the characters, where they come from, and the fonts tried.
"""

from __future__ import annotations

import html
import subprocess
import unicodedata
from collections.abc import Iterable
from functools import cache

from fontTools.ttLib import TTFont

from .errors import Problem, RenderError

#: Characters that are never drawn: whitespace, controls, format marks (ZWJ, ZWNJ, bidi, soft hyphen).
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


@cache
def font_file(family: str) -> tuple[str, int]:
    """The regular face of ``family`` as fontconfig resolves it: (path, index in a collection)."""
    try:
        result = subprocess.run(["fc-list", "-f", "%{file}|%{index}\n", f"{family}:style=Regular"],
                                capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RenderError(Problem("", f"font {family!r}", f"fontconfig is not usable: {exc}")) from None
    lines = sorted(line for line in result.stdout.splitlines() if "|" in line)
    if not lines:
        raise RenderError(Problem("", f"font {family!r}", "not installed (run `make setup`)"))
    path, _, index = lines[0].partition("|")
    return path, int(index or 0)


@cache
def coverage(family: str) -> frozenset[int]:
    """The code points the family's regular face maps to glyphs."""
    path, index = font_file(family)
    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def visible_characters(text: str) -> set[str]:
    return {c for c in text if unicodedata.category(c) not in _INVISIBLE_CATEGORIES}


def check_coverage(document: str, fonts: Iterable[str], *, name: str,
                   sources: Iterable[tuple[str, str]] = ()) -> None:
    """Refuse ``document`` (HTML) if any visible character is missing from every font.

    ``sources`` are (id, text) pairs used to say where a missing character comes from.
    """
    fonts = tuple(fonts)
    covered: set[int] = set()
    for family in fonts:
        covered |= coverage(family)
    missing = sorted(c for c in visible_characters(html.unescape(document)) if ord(c) not in covered)
    if not missing:
        return
    source_list = list(sources)
    problems = []
    for char in missing:
        where = next((ident for ident, text in source_list if char in text), "template")
        problems.append(Problem(name, where, f"character U+{ord(char):04X} {unicodedata.name(char, '?')} "
                                             f"({char!r}) is in no font of this locale ({', '.join(fonts)})"))
    raise RenderError(problems)
