"""No tofu: every character a locale prints must be in the fonts that locale uses.

Fonts are resolved by fontconfig (the same resolution WeasyPrint's Pango uses) and
read with fontTools. A locale with an uncovered character is refused before
rendering, naming the characters, where they come from, and the fonts tried.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import subprocess
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from leafletgen.errors import Problem, RenderError
from leafletgen.files import disk_cached

#: Characters that are never drawn: whitespace, controls, format marks (ZWJ, ZWNJ, bidi, soft hyphen).
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


_FONTCONFIG_STATE = ("/etc/fonts", "/etc/fonts/conf.d", "/var/cache/fontconfig", "/usr/share/fonts",
                     "/usr/local/share/fonts")


@cache
def installed_fonts() -> dict[str, tuple[str, int]]:
    """Every regular face fontconfig knows, by family name: (path, index in a collection).

    The fc-list answer is cached on disk until fontconfig's configuration, caches or
    font folders change (installing fonts updates them).
    """
    state = ":".join(f"{os.stat(p).st_mtime_ns}" if os.path.exists(p) else "-" for p in _FONTCONFIG_STATE)
    listing = disk_cached(f"fc-list-{hashlib.sha256(state.encode()).hexdigest()[:16]}.txt", _fc_list,
                          str.encode, bytes.decode)
    found: dict[str, tuple[str, int]] = {}
    for line in sorted(listing.splitlines()):
        family, _, rest = line.partition("|")
        path, _, index = rest.rpartition("|")
        if family and path:
            found.setdefault(family, (path, int(index or 0)))
    return found


def _fc_list() -> str:
    try:
        return subprocess.run(["fc-list", "-f", "%{family[0]}|%{file}|%{index}\n", ":style=Regular"],
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RenderError(Problem("", "fontconfig", f"fc-list is not usable: {exc}")) from None


@cache
def fonts_for_language(language: str) -> tuple[str, ...]:
    """Installed families fontconfig says support ``language`` (an ISO 639 code), best first:
    a "Noto Sans" face before other sans faces, before serif ones; for a script the locale
    record (scripts.toml) does not name, so a new script's language needs no code."""
    try:
        out = subprocess.run(["fc-list", f":lang={language}:style=Regular", "family"],
                             capture_output=True, text=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    families = {line.split(",")[0].strip() for line in out.splitlines() if line.strip()}

    def rank(family: str) -> tuple[int, int, str]:
        style = 3 if "Mono" in family else 2 if "Serif" in family else 0 if family.startswith("Noto Sans") else 1
        return style, len(family), family

    return tuple(sorted(families, key=rank))


def font_file(family: str) -> tuple[str, int]:
    """The regular face of ``family`` as fontconfig resolves it: (path, index in a collection)."""
    try:
        return installed_fonts()[family]
    except KeyError:
        raise RenderError(Problem("", f"font {family!r}", "not installed (run `make setup`)")) from None


@cache
def coverage(family: str) -> frozenset[int]:
    """The code points the family's regular face maps to glyphs (cached on disk per font file)."""
    path, index = font_file(family)
    stat = os.stat(path)
    return disk_cached(f"cmap-{Path(path).name}-{index}-{stat.st_size}-{stat.st_mtime_ns}.json",
                       lambda: _cmap(path, index), lambda points: json.dumps(_ranges(points)).encode(),
                       lambda data: frozenset(c for start, end in json.loads(data) for c in range(start, end + 1)))


def _cmap(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # only on a cache miss

    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def _ranges(points: frozenset[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for point in sorted(points):
        if out and out[-1][1] == point - 1:
            out[-1] = (out[-1][0], point)
        else:
            out.append((point, point))
    return out


def visible_characters(text: str) -> set[str]:
    return {c for c in set(text) if unicodedata.category(c) not in _INVISIBLE_CATEGORIES}


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
    if len(missing) > 3:  # a script no font of the locale has: one line, not one per character
        shown = "".join(missing[:8])
        raise RenderError(Problem(name, "fonts", f"{len(missing)} characters ({shown}...) are in no font of this "
                                                 f"locale ({', '.join(fonts)}): install a font for its script "
                                                 "(Debian: fonts-noto-core) or name one in leafletgen/scripts.toml"))
    problems = []
    for char in missing:
        where = next((ident for ident, text in source_list if char in text), "template")
        problems.append(Problem(name, where, f"character U+{ord(char):04X} {unicodedata.name(char, '?')} "
                                             f"({char!r}) is in no font of this locale ({', '.join(fonts)})"))
    raise RenderError(problems)
