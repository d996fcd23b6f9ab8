"""Locale codes: what a user, a clinic system or a folder may call a locale, and the one name it has.

Codes come in as BCP 47 (``pt-BR``, ``zh-Hans``) or as gettext names (``pt_BR``), in any case.
Each has one canonical name, Babel's (``pt_BR``, ``zh_Hans``), which is the catalog folder's.
Two codes name the same locale when CLDR's likely subtags expand them alike (``zh-Hans``,
``zh-CN`` and ``zh_CN`` are all ``zh_Hans_CN``); ``pt-PT`` is not ``pt_BR``, so a request is
never served in a neighbouring language: a locale without its own folder is "not offered".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global

from leafletgen.errors import CatalogError, Problem

#: Language, then up to three subtags (script, territory, variant); "-" or "_" between them.
_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}")


def parse_locale(code: str) -> Locale:
    """A Babel Locale for a code such as ``pt_BR`` or ``pt-BR``; :class:`CatalogError` if unknown."""
    return _parse(canonical(code))


def canonical(code: str) -> str:
    """The one name of a locale, as its catalog folder is called: ``pt-br`` -> ``pt_BR``,
    ``zh-hans`` -> ``zh_Hans``; :class:`CatalogError` for a code that is not a locale."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise CatalogError(Problem("", f"locale {code!r}", "unknown or invalid locale code"))
    language, *rest = code.replace("-", "_").split("_")
    # each subtag in its own case: a 4-letter script in title case, a territory or variant upper
    name = "_".join([language.lower(), *(p.title() if len(p) == 4 and p.isalpha() else p.upper() for p in rest)])
    _parse(name)
    return name


@cache
def _parse(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        raise CatalogError(Problem("", f"locale {name!r}", "unknown or invalid locale code")) from None


def _subtags(name: str) -> tuple[str, str, str]:
    language, *rest = name.split("_")
    script = next((p for p in rest if len(p) == 4 and p.isalpha()), "")
    territory = next((p for p in rest if (p.isupper() and len(p) == 2) or (p.isdigit() and len(p) == 3)), "")
    return language, script, territory


def bcp47(code: str) -> str:
    """The BCP 47 tag, for lang attributes, /Lang and the API: ``pt_BR`` -> ``pt-BR``."""
    return canonical(code).replace("_", "-")


@cache
def maximized(code: str) -> tuple[str, str, str]:
    """(language, script, territory) with CLDR's likely subtags filled in (UTS #35's "add likely
    subtags"); Babel has the table but not the lookup."""
    language, script, territory = _subtags(canonical(code))
    likely = get_global("likely_subtags")
    keys = [f"{language}_{script}_{territory}", f"{language}_{territory}", f"{language}_{script}", language]
    for key in (k for k in keys if "__" not in k and not k.endswith("_")):
        if key in likely:
            _, found_script, found_territory = _subtags(likely[key])
            return language, script or found_script, territory or found_territory
    return language, script, territory


def same_locale(a: str, b: str) -> bool:
    return maximized(a) == maximized(b)


def resolve(code: str, known: Iterable[str]) -> str:
    """The known locale (a catalog folder) that ``code`` names, else the code's canonical name;
    :class:`CatalogError` for a code that is not a locale at all."""
    name = canonical(code)
    candidates = list(known)
    if name in candidates:
        return name
    return next((k for k in candidates if _parses(k) and same_locale(k, name)), name)


def collision(code: str, known: Iterable[str]) -> str | None:
    """A known locale that names the same locale as ``code`` under another name (``init zh-Hans``
    beside ``zh_CN``); None when there is none."""
    name = canonical(code)
    return next((k for k in known if k != name and _parses(k) and same_locale(k, name)), None)


def _parses(code: str) -> bool:
    try:
        parse_locale(code)
    except CatalogError:
        return False
    return True


__all__ = ["bcp47", "canonical", "collision", "maximized", "parse_locale", "resolve", "same_locale"]
