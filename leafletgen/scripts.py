"""The locale record: per writing system (and the languages that differ), the facts the
renderer and the translation checks need: fonts, line height, render cost, sentence marks.

The facts are data, in ``scripts.toml`` beside this module; this module reads and checks
them once. The render layer asks :func:`writing_for` (render/locales.py), the checks ask
:data:`SENTENCE_MARKS` (translate/checks.py). CLDR (through Babel) has the rest of what
there is to know about a locale, and is asked directly.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib.resources import files
from typing import Any

from leafletgen.locale_codes import maximized, parse_locale

#: The Latin sentence marks, which every script's text may use too (and the English source does).
_LATIN_MARKS = {"full_stop": ".", "question_mark": "?", "exclamation_mark": "!", "colon": ":"}
_MARK_NAMES = {"full_stop": "full stop", "question_mark": "question mark",
               "exclamation_mark": "exclamation mark", "colon": "colon"}


@dataclass(frozen=True)
class Writing:
    """How text in one script (or one language) is set and checked."""

    fonts: tuple[str, ...]
    line_height: float | None = None
    heading_line_height: float | None = None
    cell_line_height: float | None = None
    render_cost: int = 1
    #: Body text size relative to the stylesheet's (Nastaliq reads smaller than Latin at one size).
    font_scale: float | None = None
    #: The list bullet, where the usual dot could be taken for the script's full stop.
    bullet: str | None = None
    #: The CLDR locale whose date format this language's leaflets use ("en_GB" for the English source).
    date_locale: str | None = None
    #: The numbering system its numbers are written in ("latn", "beng"), where it is not CLDR's default.
    digits: str | None = None
    #: Sentence marks of this script beyond the Latin ones, by kind ("full_stop": ("।",)).
    marks: dict[str, tuple[str, ...]] = field(default_factory=dict)


#: The decimal numbering systems (CLDR's names, numberingSystems.xml) by their digit zero; the
#: other nine follow it in Unicode. A locale writes every number in one of them (numbering_system).
DIGIT_ZERO = {"latn": "0", "arab": "\u0660", "arabext": "\u06f0", "beng": "\u09e6", "deva": "\u0966",
              "gujr": "\u0ae6", "guru": "\u0a66", "knda": "\u0ce6", "mlym": "\u0d66", "orya": "\u0b66",
              "tamldec": "\u0be6", "telu": "\u0c66", "thai": "\u0e50", "laoo": "\u0ed0", "tibt": "\u0f20",
              "mymr": "\u1040", "khmr": "\u17e0", "mong": "\u1810", "sinh": "\u0de6", "fullwide": "\uff10"}
_SYSTEM_OF_ZERO = {ord(zero): name for name, zero in DIGIT_ZERO.items()}


@cache  # asked for every message a check reads
def numbering_system(locale: str) -> str:
    """The digits a locale writes its numbers in, in translations, dates, page numbers and lists
    alike: its record's ``digits`` (the language's, else its script's), else CLDR's default
    numbering system (Bengali, Marathi and Persian their own digits, Hindi and Arabic the Latin
    ones), else Latin."""
    loc = parse_locale(locale)
    writing = writing_for(maximized(locale)[1], loc.language)  # a language's digits over its script's
    if writing is not None and writing.digits:
        return writing.digits
    system = loc.default_numbering_system
    return system if system in DIGIT_ZERO else "latn"


def digit_system(char: str) -> str | None:
    """The numbering system a decimal digit belongs to; None for anything else."""
    value = unicodedata.decimal(char, None)
    return None if value is None else _SYSTEM_OF_ZERO.get(ord(char) - value, "other")


def write_digits(text: str, system: str) -> str:
    """``text`` with its Latin digits in ``system``'s: dates and numbers the code formats."""
    zero = ord(DIGIT_ZERO[system])
    return text if system == "latn" else "".join(chr(zero + ord(c) - 48) if "0" <= c <= "9" else c for c in text)


class LocaleDataError(ValueError):
    """scripts.toml is malformed: a defect of the package, reported at start."""


def _writing(where: str, table: dict[str, Any], base: Writing | None) -> Writing:
    known = {f.name for f in fields(Writing)} - {"marks"} | set(_MARK_NAMES)
    unknown = sorted(set(table) - known)
    if unknown:
        raise LocaleDataError(f"scripts.toml [{where}]: unknown key(s) {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "fonts" or key in _MARK_NAMES:
            if not (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
                raise LocaleDataError(f"scripts.toml [{where}] {key}: must be a list of non-empty strings")
            values[key] = tuple(value)
        elif key == "digits":
            if value not in DIGIT_ZERO:
                raise LocaleDataError(f"scripts.toml [{where}] digits: must be one of {', '.join(sorted(DIGIT_ZERO))}")
            values[key] = value
        elif key in ("date_locale", "bullet"):
            if not (isinstance(value, str) and value and value.isprintable() and len(value) <= 16):
                raise LocaleDataError(f"scripts.toml [{where}] {key}: must be a short string")
            values[key] = value
        elif key == "render_cost":
            if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10):
                raise LocaleDataError(f"scripts.toml [{where}] render_cost: must be a whole number from 1 to 10")
            values[key] = value
        else:
            if not (isinstance(value, int | float) and not isinstance(value, bool) and 0.8 <= value <= 4):
                raise LocaleDataError(f"scripts.toml [{where}] {key}: must be a number from 0.8 to 4")
            values[key] = float(value)
    marks = {k: values.pop(k) for k in list(values) if k in _MARK_NAMES}
    if base is None:
        if "fonts" not in values:
            raise LocaleDataError(f"scripts.toml [{where}]: fonts is required")
        return Writing(**values, marks=marks)
    return replace(base, **values, marks={**base.marks, **marks})


@cache
def _record() -> tuple[dict[str, Writing], dict[str, dict[str, Any]]]:
    data = tomllib.loads(files("leafletgen").joinpath("scripts.toml").read_text(encoding="utf-8"))
    unknown = sorted(set(data) - {"script", "language"})
    if unknown:
        raise LocaleDataError(f"scripts.toml: unknown table(s) {', '.join(unknown)} (known: script, language)")
    scripts = {code: _writing(f"script.{code}", table, None) for code, table in data.get("script", {}).items()}
    languages = dict(data.get("language", {}))
    for code, table in languages.items():  # checked now, merged over a script when asked
        _writing(f"language.{code}", table, Writing(()))
    return scripts, languages


def writing_for(script: str, language: str) -> Writing | None:
    """The record for text in ``language`` written in ``script``: the script's, with the language's
    own keys over it; None when neither is known (the locale cannot be set)."""
    scripts, languages = _record()
    base = scripts.get(script)
    own = languages.get(language)
    if own is None:
        return base
    if base is None and "fonts" not in own:
        return None
    return _writing(f"language.{language}", own, base)


@cache
def sentence_marks() -> dict[str, str]:
    """Every sentence-ending mark of every script -> its kind's name ("।" -> "full stop")."""
    scripts, languages = _record()
    out = {mark: _MARK_NAMES[kind] for kind, mark in _LATIN_MARKS.items()}
    own = [_writing(f"language.{code}", table, Writing(())) for code, table in languages.items()]
    for writing in [*scripts.values(), *own]:
        for kind, marks in writing.marks.items():
            out.update(dict.fromkeys(marks, _MARK_NAMES[kind]))
    return out


__all__ = ["DIGIT_ZERO", "LocaleDataError", "Writing", "digit_system", "numbering_system", "sentence_marks",
           "write_digits", "writing_for"]
