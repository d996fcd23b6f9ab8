"""The agreed terms of a locale: ``locales/<locale>/glossary.csv``, checked by ``leafletgen check``.

A spreadsheet-friendly CSV (UTF-8, a header row ``english,term,note``): where a message's English
contains ``english`` (a whole word or phrase, any case), its translation must contain ``term``.
``term`` may list forms separated by ``|`` (inflected languages: ``izotretynoin`` matches every
case ending as a stem; ``izotretinoin|İzotretinoin`` for a capital that case-folding changes).
A miss is a warning in ``check``: a translator's or reviewer's look, not a gate on printing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog

from leafletgen.errors import CatalogError, Problem
from leafletgen.translate.checks import Finding

GLOSSARY_FILE = "glossary.csv"
COLUMNS = ("english", "term", "note")


@dataclass(frozen=True)
class Term:
    english: str
    forms: tuple[str, ...]
    note: str = ""

    def expected_in(self, source: str) -> bool:
        return re.search(rf"(?<!\w){re.escape(self.english)}(?!\w)", source, re.IGNORECASE) is not None

    def found_in(self, translation: str) -> bool:
        folded = translation.casefold()
        return any(form in translation or form.casefold() in folded for form in self.forms)


def glossary_path(locales_dir: Path, locale: str) -> Path:
    return locales_dir / locale / GLOSSARY_FILE


def read_glossary(path: Path, *, display: str | None = None) -> list[Term]:
    """The terms of one locale; none when it has no glossary; :class:`CatalogError` naming file
    and line for a file that cannot be used."""
    name = display or str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a BOM
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(Problem(name, "", f"cannot read: {getattr(exc, 'strerror', None) or exc}")) from None
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or [h.strip().lower() for h in header[:2]] != ["english", "term"]:
        raise CatalogError(Problem(name, "", "the first row must be the header: english,term,note", line=1))
    terms, problems = [], []
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        english = row[0].strip() if row else ""
        forms = tuple(f.strip() for f in (row[1] if len(row) > 1 else "").split("|") if f.strip())
        if not english or not forms:
            problems.append(Problem(name, "", "needs both an English term and the agreed local term", line=line))
            continue
        terms.append(Term(english, forms, row[2].strip() if len(row) > 2 else ""))
    if problems:
        raise CatalogError(problems)
    return terms


def glossary_findings(catalog: Catalog, terms: list[Term], *, locale: str, domain: str) -> list[Finding]:
    """A warning per translated message whose English has a term and whose translation lacks it."""
    findings = []
    for message in catalog:
        if not message.id or not isinstance(message.string, str) or not message.string:
            continue
        for term in terms:
            if term.expected_in(str(message.id)) and not term.found_in(message.string):
                agreed = " or ".join(repr(f) for f in term.forms)
                findings.append(Finding(locale, domain, message.context or str(message.id),
                                        f"glossary: {term.english!r} is {agreed} in this locale", "warning",
                                        kind="glossary"))
    return findings


__all__ = ["COLUMNS", "GLOSSARY_FILE", "Term", "glossary_findings", "glossary_path", "read_glossary"]
