"""Locale data: text direction, language names and dates (CLDR, through Babel), and how the
locale's script is set (the locale record, leafletgen/scripts.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from babel import Locale
from babel.core import get_global
from babel.dates import format_date
from babel.numbers import format_decimal

from leafletgen.errors import Problem, RenderError
from leafletgen.locale_codes import canonical, parse_locale
from leafletgen.render.fonts import fonts_for_language
from leafletgen.scripts import Writing, numbering_system, write_digits, writing_for


@dataclass(frozen=True)
class LocaleInfo:
    code: str          # catalog folder name, e.g. "pt_BR"
    tag: str           # BCP 47 tag for lang attributes and /Lang, e.g. "pt-BR"
    direction: str     # "ltr" or "rtl"
    script: str        # ISO 15924, e.g. "Deva"
    name: str          # the language's own name, e.g. "Español"
    english_name: str
    fonts: tuple[str, ...]
    #: How its text is set (fonts, line height, render cost): the locale record, scripts.toml.
    writing: Writing
    #: The numbering system of every number it prints (scripts.numbering_system): "latn", "beng", ...
    digits: str = "latn"

    @property
    def render_cost(self) -> int:
        """Rough relative render time, so a build starts its slowest PDFs first (scripts.toml)."""
        return self.writing.render_cost

    @property
    def babel(self) -> Locale:
        return parse_locale(self.code)

    def format_date(self, day: date) -> str:
        text = format_date(day, "long", locale=parse_locale(self.writing.date_locale) if self.writing.date_locale
                           else self.babel)
        return write_digits(text, self.digits)

    def format_number(self, number: int) -> str:
        return write_digits(format_decimal(number, locale=self.babel), self.digits)


@cache
def locale_info(code: str) -> LocaleInfo:
    """Everything the renderer needs to know about a locale, from Babel's CLDR data."""
    loc = parse_locale(code)
    script = loc.script or _likely_script(loc)
    if canonical(code) != code:
        raise RenderError(Problem("", f"locale {code}", f"not the locale's canonical name: call its folder "
                                  f"{canonical(code)}"))
    writing = writing_for(script, loc.language)
    if writing is None:  # a script the record does not name: the fonts fontconfig has for the language
        derived = fonts_for_language(loc.language)
        if not derived:
            raise RenderError(Problem("", f"locale {code}", f"no installed font supports {loc.english_name} "
                                      f"({script} script): install one (Debian: fonts-noto-core), or name one in "
                                      "leafletgen/scripts.toml"))
        writing = Writing(fonts=tuple(dict.fromkeys((derived[0], "Noto Sans"))))
    name = loc.get_display_name(loc) or code
    english = loc.get_display_name("en") or code
    tag = "-".join(p for p in (loc.language, loc.script, loc.territory) if p)
    return LocaleInfo(
        code=code, tag=tag, direction="rtl" if loc.character_order == "right-to-left" else "ltr",
        script=script, name=name[:1].upper() + name[1:], english_name=english, fonts=writing.fonts, writing=writing,
        digits=numbering_system(code),
    )


def _likely_script(loc: Locale) -> str:
    likely = get_global("likely_subtags").get(str(loc)) or get_global("likely_subtags").get(loc.language, "")
    parts = likely.split("_")
    return parts[1] if len(parts) > 1 else "Latn"
