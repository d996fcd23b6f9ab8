"""Translation checks, catalog status and the warnings gate. Plain functions over catalogs.

Severity ``error``: the translation changes meaning or breaks rendering (a number,
markup or placeholder differs, the text is empty, a character could reorder or hide
text on paper). ``warning``: worth a translator's look (punctuation, text identical to
the English). In a safety-critical message, every finding of either kind keeps the
locale off paper, unless a reviewer accepted the warnings of that very text (waivers.py);
an ``error`` keeps it off paper in any message, and is never waivable.

Numbers are compared as values: the English source read with English rules, the
translation with its own locale's decimal and grouping rules and digits (CLDR via Babel).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.numbers import get_decimal_symbol, get_group_symbol

from leafletgen.content.model import control_characters_reason
from leafletgen.scripts import digit_system, numbering_system, sentence_marks, write_digits
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN
from leafletgen.translate.waivers import is_accepted, is_stale

_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")
_TRAILING_CLOSERS = "\"'”’»)]）」』"


@dataclass(frozen=True)
class Finding:
    locale: str
    domain: str
    msgctxt: str
    problem: str
    severity: str = "error"
    critical: bool = False
    #: "missing", "fuzzy" or "outdated" for incomplete messages; "check" for a failed check.
    kind: str = "check"

    def __str__(self) -> str:
        return f"{self.locale} {self.domain} {self.msgctxt}: {self.problem}"


# -- numbers, read as values with each locale's own rules -----------------------------------------
#
# A number is a run of digits (of any script: Arabic-Indic, Persian, Devanagari, Bengali, ...)
# joined by single separator characters, each with a digit on both sides; so "take 2." and
# "2, 3 and 4" never become decimals, and '-', '–', ':' and '%' are never separators (ranges
# "2-3", times "8:30" and "15%" read as their digit groups, as before). A run is read with the
# rules CLDR (through Babel) gives its locale, for the Latin digits and for the locale's default
# and native numbering systems:
#
# - at most one decimal separator, the last separator, followed by the fraction;
# - every other separator is the locale's group separator, and the groups must fit the locale's
#   grouping: a first group of 1 to 3 digits not starting with 0, then groups of exactly 3
#   ("1,000", "1.000", "1 000"). Where CLDR's pattern groups by 2 above the thousands (hi, bn:
#   "#,##,##0.###", 1,00,000) both that and the international 3-digit grouping are accepted:
#   either way every separator is a group separator, so the value cannot differ;
# - where the group separator is a space (fr U+202F, ru and pl U+00A0) the no-break, narrow
#   no-break and plain spaces are all accepted, as Babel's parse_decimal does;
# - the Arabic separators U+066B and U+066C are accepted in every locale: they mean nothing else.
#
# A run the locale's rules cannot read is read with English rules if it cannot be a thousands
# grouping (no separator followed by exactly 3 digits): "Abschnitt 2.1" and "0.5" in a German
# text are 2.1 and 0.5; "1.000" in French is not guessed at. Otherwise each digit group counts
# as a number of its own ("1.5.2024" is 1, 5, 2024 in every locale), which differs from any
# decimal or grouped source number, so a number written the wrong way for the locale is refused.
# A run two of the locale's own rules read differently (CLDR's lo, km) is ambiguous: an error.

_SPACE_GROUPS = " \u00a0\u202f"
_ARABIC_SEPARATORS = ("\u066b", "\u066c")  # ARABIC DECIMAL SEPARATOR, ARABIC THOUSANDS SEPARATOR
_WESTERN_GROUPING = (3, 3)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class _Rule:
    decimal: str
    groups: str                          # accepted group separators
    sizes: tuple[tuple[int, int], ...]   # accepted (primary, secondary) group sizes


@dataclass(frozen=True)
class _Rules:
    rules: tuple[_Rule, ...]
    token: re.Pattern[str]


@dataclass(frozen=True)
class NumberReading:
    """The numbers of a text: values ("1000", "0.5") and the runs that could not be read as one."""

    values: Counter[str] = field(default_factory=Counter)
    #: Runs read digit group by digit group (not one number with these rules).
    unreadable: tuple[str, ...] = ()
    #: Runs the locale's own rules read as different values.
    ambiguous: tuple[str, ...] = ()


@cache
def _rules(locale: str) -> _Rules:
    """The locale's number rules from CLDR; Babel's errors (unknown locale, ...) propagate."""
    loc = Locale.parse(locale.replace("-", "_"))
    systems = dict.fromkeys(ns for ns in ("latn", loc.default_numbering_system,
                                          loc.other_numbering_systems.get("native")) if ns)
    pattern = loc.decimal_formats.get(None)
    primary, secondary = pattern.grouping if pattern is not None else _WESTERN_GROUPING
    sizes = tuple(dict.fromkeys(size for size in ((primary, secondary), _WESTERN_GROUPING)
                                if all(1 <= n <= 4 for n in size)))
    pairs = dict.fromkeys([*((get_decimal_symbol(loc, numbering_system=ns), get_group_symbol(loc, numbering_system=ns))
                             for ns in systems), _ARABIC_SEPARATORS])
    rules = tuple(_Rule(decimal, _SPACE_GROUPS if group in _SPACE_GROUPS else group, sizes)
                  for decimal, group in pairs if len(decimal) == len(group) == 1 and decimal != group)
    separators = {c for rule in rules for c in rule.decimal + rule.groups} | {".", ","}  # + English, for the fallback
    return _Rules(rules, re.compile(rf"\d+(?:[{re.escape(''.join(sorted(separators)))}]\d+)*"))


def _ascii(digits: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in digits)


def _value(whole: str, fraction: str = "") -> str:
    fraction = _ascii(fraction).rstrip("0")
    return f"{int(_ascii(whole))}.{fraction}" if fraction else str(int(_ascii(whole)))


def _grouped(groups: list[str], primary: int, secondary: int) -> bool:
    head, *middle, last = groups
    return (1 <= len(head) <= secondary and unicodedata.decimal(head[0]) != 0
            and all(len(group) == secondary for group in middle) and len(last) == primary)


def _read_with(groups: list[str], separators: list[str], rule: _Rule) -> str | None:
    fraction = ""
    if separators and separators[-1] == rule.decimal:
        groups, fraction, separators = groups[:-1], groups[-1], separators[:-1]
    if any(sep not in rule.groups for sep in separators):
        return None
    if separators and not any(_grouped(groups, *size) for size in rule.sizes):
        return None
    return _value("".join(groups), fraction)


def _readings(run: str, rules: tuple[_Rule, ...]) -> set[str]:
    groups, separators = _DIGITS.findall(run), [sep for sep in _DIGITS.split(run) if sep]
    return {value for rule in rules if (value := _read_with(groups, separators, rule)) is not None}


def read_numbers(text: str, locale: str = "en") -> NumberReading:
    """The numbers in ``text`` read with ``locale``'s rules (see above). Raises for an unknown locale."""
    own, english = _rules(locale), _rules("en")
    values: Counter[str] = Counter()
    unreadable: list[str] = []
    ambiguous: list[str] = []
    for match in own.token.finditer(text):
        run = match.group()
        found = _readings(run, own.rules)
        if not found and not any(len(group) == 3 for group in _DIGITS.findall(run)[1:]):
            found = _readings(run, english.rules)
        if len(found) == 1:
            values[found.pop()] += 1
            continue
        (ambiguous if found else unreadable).append(run)
        values.update(_value(group) for group in _DIGITS.findall(run))
    return NumberReading(values, tuple(unreadable), tuple(ambiguous))


def numbers(text: str, locale: str = "en") -> Counter[str]:
    """The numeric values in ``text`` ("1000", "0.5"), read with ``locale``'s decimal and grouping
    rules and digits of any script (Arabic-Indic, Devanagari, ...). English by default."""
    return read_numbers(text, locale).values


def _number_problems(source: str, translation: str, locale: str) -> list[tuple[str, str]]:
    """The source read with English rules, the translation with its locale's; never raises."""
    try:
        want, got = read_numbers(source), read_numbers(translation, locale)
    except Exception as exc:  # an unknown locale, bad CLDR data: a finding, never a traceback
        return [("error", f"cannot read numbers with the rules of locale {locale!r} ({type(exc).__name__}: {exc})")]
    found: list[tuple[str, str]] = []
    if got.ambiguous:
        found.append(("error", f"cannot tell decimal from thousands separator in {locale} for "
                               f"{', '.join(map(repr, got.ambiguous))}"))
    if want.values != got.values:
        missing = sorted((want.values - got.values).elements())
        extra = sorted((got.values - want.values).elements())
        unreadable = ", ".join(map(repr, got.unreadable))
        detail = "; ".join(p for p in (
            f"missing {', '.join(missing)}" if missing else "",
            f"unexpected {', '.join(extra)}" if extra else "",
            f"not one number in {locale} notation: {unreadable}" if unreadable else "") if p)
        found.append(("error", f"numbers differ from the source ({detail})"))
    return found


LATIN_CODE = re.compile(r"(?<![^\W\d_])[A-Za-z]{1,3}[0-9]+\b")


def _digit_problems(translation: str, locale: str) -> list[tuple[str, str]]:
    """Every number in the locale's own digits (one policy per locale: scripts.numbering_system),
    so the translations, the dates and the page numbers of one leaflet never mix two systems."""
    try:
        want = numbering_system(locale)
    except Exception:  # an unknown locale is reported by the number check already
        return []
    # a code of Latin letters and digits (E124, Q10) is written as on the pack, in any locale
    prose = LATIN_CODE.sub(" ", translation)
    other = sorted({s for c in set(prose) if c.isdecimal() and (s := digit_system(c)) and s != want})
    if not other:
        return []
    return [("error", f"numbers written in {', '.join(other)} digits; this locale writes them in {want} digits "
                      f"({write_digits('0123456789', want)})")]


def _end_class(text: str) -> str | None:
    stripped = text.rstrip().rstrip(_TRAILING_CLOSERS)
    return sentence_marks().get(stripped[-1:]) if stripped else None  # every script's: scripts.toml


def _words(text: str) -> bool:
    """Whether ``text`` has anything to translate: a word of 4 letters or more. "0.5 mg", "INR", "No"
    can rightly stay as they are; a sentence left in English is flagged."""
    return bool(re.search(r"[^\W\d_]{4,}", text))


def _same_text(source: str, translation: str) -> bool:
    """Equal but for spacing: a no-break space or a doubled space does not make a translation."""
    return " ".join(translation.split()) == " ".join(source.split())


def check_translation(source: str, translation: str, *, locale: str, critical: bool = False,
                      formatted: bool = False) -> list[tuple[str, str]]:
    """Problems of one translation as ``(severity, text)`` pairs; empty when it is fine.

    ``formatted``: the renderer %-formats this string (the templates' strings: Jinja's
    newstyle gettext formats every one), so it must format with the source's names.
    """
    return list(_checked(source, translation, locale, critical, formatted))


@lru_cache(maxsize=32768)  # status, check, the gate and a build each check every message: one answer per text
def _checked(source: str, translation: str, locale: str, critical: bool, formatted: bool
             ) -> tuple[tuple[str, str], ...]:
    return tuple(_check_translation(source, translation, locale=locale, critical=critical, formatted=formatted))


def _check_translation(source: str, translation: str, *, locale: str, critical: bool,
                       formatted: bool) -> list[tuple[str, str]]:
    if not translation.strip():
        return [("error", "empty translation")]
    found: list[tuple[str, str]] = []
    if formatted:
        names = dict.fromkeys(re.findall(r"%\((\w+)\)", source), "")
        try:
            translation % names  # the renderer's own operation
        except (ValueError, TypeError, KeyError):
            found.append(("error", "the renderer cannot format this translation: write a percent sign as '%%' "
                                   "and keep placeholders like %(name)s as they are"))
    controls = control_characters_reason(translation)
    if controls:
        found.append(("error", controls))
    found.extend(_number_problems(source, translation, locale))
    found.extend(_digit_problems(translation, locale))
    if source.count("**") != translation.count("**"):
        found.append(("error", f"bold markup '**' differs: source has {source.count('**') // 2}, "
                               f"translation {translation.count('**') // 2}"))
    if translation.count("**") % 2:
        found.append(("error", "unbalanced bold markup '**'"))
    if sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(translation)):
        found.append(("error", f"placeholders differ: source {sorted(set(_PLACEHOLDER.findall(source)))}, "
                               f"translation {sorted(set(_PLACEHOLDER.findall(translation)))}"))
    if _end_class(source) != _end_class(translation):
        found.append(("warning", f"ends with {_end_class(translation) or 'no punctuation'}, "
                                 f"the source with {_end_class(source) or 'no punctuation'}"))
    if critical and not locale.startswith("en") and _words(source) and _same_text(source, translation):
        found.append(("warning", "safety-critical text is identical to the English source"))
    return found


def check_catalog(catalog: Catalog, *, locale: str, domain: str, critical_ids: frozenset[str] = frozenset()
                  ) -> list[Finding]:
    """Check every translated message (fuzzy ones included) of a catalog."""
    findings = []
    for message in (m for m in catalog if m.id):
        if not message.string:
            continue
        critical = message.context in critical_ids
        source, translation = str(message.id), str(message.string)
        accepted = is_accepted(message)
        for severity, problem in check_translation(source, translation, locale=locale, critical=critical,
                                                   formatted=domain == TEMPLATES_DOMAIN):
            if severity == "error" or not accepted:
                findings.append(Finding(locale, domain, message.context or source, problem, severity, critical))
        if is_stale(message):
            findings.append(Finding(locale, domain, message.context or source,
                                    "the accepted warnings are stale: the text changed since it was accepted "
                                    "(read it again, then 'leafletgen accept')", "warning", critical))
    return findings


def by_context(catalog: Catalog | None) -> dict[str, Message]:
    """The catalog's current (non-obsolete) messages by msgctxt."""
    if catalog is None:
        return {}
    return {m.context: m for m in catalog if m.id and m.context}
