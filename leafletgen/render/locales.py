"""Locale data: text direction, language names, dates, and the font stack per script."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import pyphen
from babel import Locale
from babel.core import get_global
from babel.dates import format_date
from babel.numbers import format_decimal

from leafletgen.errors import Problem, RenderError
from leafletgen.translate.catalogs import parse_locale

#: Font families per writing system, most specific first. Chosen by the locale,
#: never left to fontconfig's fallback. "Noto Sans" covers Latin (incl. Vietnamese),
#: Cyrillic and the Latin brand names inside other scripts.
SCRIPT_FONTS: dict[str, tuple[str, ...]] = {
    "Latn": ("Noto Sans",),
    "Cyrl": ("Noto Sans",),
    "Arab": ("Noto Naskh Arabic", "Noto Sans"),
    "Deva": ("Noto Sans Devanagari", "Noto Sans"),
    "Beng": ("Noto Sans Bengali", "Noto Sans"),
    "Hans": ("Noto Sans CJK SC", "Noto Sans"),
}
#: Languages whose usual typeface differs from their script's default.
LANGUAGE_FONTS: dict[str, tuple[str, ...]] = {
    "ur": ("Noto Nastaliq Urdu", "Noto Naskh Arabic", "Noto Sans"),
}


_SLOW_SCRIPTS = frozenset({"Hans", "Hant", "Jpan", "Kore"})
_SLOW_FONTS = frozenset({"Noto Nastaliq Urdu"})


@dataclass(frozen=True)
class LocaleInfo:
    code: str          # catalog folder name, e.g. "pt_BR"
    tag: str           # BCP 47 tag for lang attributes and /Lang, e.g. "pt-BR"
    direction: str     # "ltr" or "rtl"
    script: str        # ISO 15924, e.g. "Deva"
    name: str          # the language's own name, e.g. "Español"
    english_name: str
    fonts: tuple[str, ...]
    hyphenate: bool

    @property
    def render_cost(self) -> int:
        """Rough relative render time (CJK fonts are large; Nastaliq shapes slowly), so a
        build starts its slowest PDFs first."""
        return 3 if self.script in _SLOW_SCRIPTS or any(f in _SLOW_FONTS for f in self.fonts) else 1

    @property
    def babel(self) -> Locale:
        return parse_locale(self.code)

    def format_date(self, day: date) -> str:
        return format_date(day, "long", locale=self.babel)

    def format_number(self, number: int) -> str:
        return format_decimal(number, locale=self.babel)


@cache
def locale_info(code: str) -> LocaleInfo:
    """Everything the renderer needs to know about a locale, from Babel's CLDR data."""
    loc = parse_locale(code)
    script = loc.script or _likely_script(loc)
    fonts = LANGUAGE_FONTS.get(loc.language) or SCRIPT_FONTS.get(script)
    if fonts is None:
        raise RenderError(Problem("", f"locale {code}", f"no font stack for the {script} script; "
                                  "add one to leafletgen/locales.py"))
    name = loc.get_display_name(loc) or code
    english = loc.get_display_name("en") or code
    tag = "-".join(p for p in (loc.language, loc.script, loc.territory) if p)
    return LocaleInfo(
        code=code, tag=tag, direction="rtl" if loc.character_order == "right-to-left" else "ltr",
        script=script, name=name[:1].upper() + name[1:], english_name=english, fonts=fonts,
        hyphenate=pyphen.language_fallback(str(loc)) is not None,
    )


def _likely_script(loc: Locale) -> str:
    likely = get_global("likely_subtags").get(str(loc)) or get_global("likely_subtags").get(loc.language, "")
    parts = likely.split("_")
    return parts[1] if len(parts) > 1 else "Latn"
