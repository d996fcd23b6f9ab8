"""Translation checks, catalog status and the warnings gate. Plain functions over catalogs.

Severity ``error``: the translation changes meaning or breaks rendering (a number,
markup or placeholder differs, the text is empty). ``warning``: worth a translator's
look (punctuation, text identical to the English). In a safety-critical message,
every finding of either kind keeps the locale off paper.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass

from babel.messages.catalog import Catalog, Message

from .model import control_characters_reason

_NUMBER = re.compile(r"\d+(?:[.,٫]\d+)?")
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")
_TRAILING_CLOSERS = "\"'”’»)]）」』"
_END_CLASSES = {
    ".": "full stop", "。": "full stop", "।": "full stop", "۔": "full stop", "．": "full stop",
    "?": "question mark", "？": "question mark", "؟": "question mark",
    "!": "exclamation mark", "！": "exclamation mark",
    ":": "colon", "：": "colon",
}


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


def numbers(text: str) -> Counter[str]:
    """The numeric values in ``text``, whatever the digits' script (Arabic-Indic, Devanagari, ...)."""
    values: Counter[str] = Counter()
    for match in _NUMBER.finditer(text):
        token = "".join(str(unicodedata.decimal(c)) if c.isdigit() else "." for c in match.group())
        whole, _, frac = token.partition(".")
        frac = frac.rstrip("0")
        values[f"{int(whole)}.{frac}" if frac else str(int(whole))] += 1
    return values


def _end_class(text: str) -> str | None:
    stripped = text.rstrip().rstrip(_TRAILING_CLOSERS)
    return _END_CLASSES.get(stripped[-1:]) if stripped else None


def check_translation(source: str, translation: str, *, locale: str, critical: bool = False) -> list[tuple[str, str]]:
    """Problems of one translation as ``(severity, text)`` pairs; empty when it is fine."""
    if not translation.strip():
        return [("error", "empty translation")]
    found: list[tuple[str, str]] = []
    controls = control_characters_reason(translation)
    if controls:
        found.append(("error", controls))
    want, got = numbers(source), numbers(translation)
    if want != got:
        missing = sorted((want - got).elements())
        extra = sorted((got - want).elements())
        detail = "; ".join(p for p in (
            f"missing {', '.join(missing)}" if missing else "",
            f"unexpected {', '.join(extra)}" if extra else "") if p)
        found.append(("error", f"numbers differ from the source ({detail})"))
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
    if critical and not locale.startswith("en") and translation.strip() == source.strip():
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
        for severity, problem in check_translation(source, translation, locale=locale, critical=critical):
            findings.append(Finding(locale, domain, message.context or source, problem, severity, critical))
    return findings


def gate(catalog: Catalog | None, *, locale: str, domain: str, expected: dict[str, str],
         critical_ids: frozenset[str]) -> list[Finding]:
    """Why this catalog may not go on paper; empty when it may.

    ``expected`` maps every msgctxt the document needs to its current English text.
    Refused: any needed message missing, empty, fuzzy or translated from older English;
    any ``error`` finding; any finding at all on a safety-critical message.
    """
    index = by_context(catalog)
    refusals: list[Finding] = []
    for ctxt, english in expected.items():
        critical = ctxt in critical_ids
        message = index.get(ctxt)
        label = "safety-critical message " if critical else ""

        def refuse(problem: str, severity: str = "error", kind: str = "check",
                   ctxt: str = ctxt, critical: bool = critical) -> None:
            refusals.append(Finding(locale, domain, ctxt, problem, severity, critical, kind))

        if message is None or not message.string:
            refuse(f"{label}not translated", kind="missing")
        elif message.id != english:
            refuse(f"{label}outdated: translated from older English (run 'leafletgen update')", kind="outdated")
        elif message.fuzzy:
            refuse(f"{label}fuzzy: the English changed, review the translation", kind="fuzzy")
        else:
            for severity, problem in check_translation(english, str(message.string), locale=locale,
                                                       critical=critical):
                if severity == "error" or critical:
                    refuse(problem, severity)
    return refusals


@dataclass(frozen=True)
class Status:
    locale: str
    language: str
    domain: str
    total: int
    translated: int
    fuzzy: int
    untranslated: int
    critical_total: int
    critical_ok: int
    problems: int
    reviewed: bool

    @property
    def complete(self) -> bool:
        return self.translated == self.total and self.critical_ok == self.critical_total and not self.problems

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "complete": self.complete}


def catalog_status(catalog: Catalog | None, *, locale: str, language: str, domain: str,
                   expected: dict[str, str], critical_ids: frozenset[str], reviewed: bool) -> Status:
    index = by_context(catalog)
    translated = fuzzy = 0
    for ctxt, english in expected.items():
        message = index.get(ctxt)
        if message is None or not message.string:
            continue
        if message.fuzzy or message.id != english:
            fuzzy += 1
        else:
            translated += 1
    refusals = gate(catalog, locale=locale, domain=domain, expected=expected, critical_ids=critical_ids)
    critical_bad = {f.msgctxt for f in refusals if f.critical}
    check_problems = sum(1 for f in refusals if f.kind == "check")
    return Status(locale, language, domain, len(expected), translated, fuzzy, len(expected) - translated - fuzzy,
                  len(critical_ids), len(critical_ids - critical_bad), check_problems, reviewed)


def by_context(catalog: Catalog | None) -> dict[str, Message]:
    """The catalog's current (non-obsolete) messages by msgctxt."""
    if catalog is None:
        return {}
    return {m.context: m for m in catalog if m.id and m.context}
