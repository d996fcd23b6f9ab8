"""Per-string status: for a team or an agency, one row per message of a catalog: what it is
(missing, fuzzy, failing a check, translated, reviewed), why, and the English it translates.

The states are the gate's own answers (gate.catalog_refusals), with the checks' warnings
that do not block and the review records' per-message hashes (review.py); nothing here
decides anything the gate does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from babel.messages.catalog import Catalog

from leafletgen.translate.checks import by_context, check_translation
from leafletgen.translate.gate import catalog_refusals
from leafletgen.translate.glossary import Term
from leafletgen.translate.review import ReviewRecord, current_hashes, read_record, record_path

MISSING, FUZZY, OUTDATED, FAILING, TRANSLATED, REVIEWED = (
    "missing", "fuzzy", "outdated", "failing", "translated", "reviewed")
#: The columns of ``status --strings``, in order.
COLUMNS = ("leaflet", "locale", "id", "safety_critical", "state", "findings", "english", "translation")


@dataclass(frozen=True)
class StringRow:
    leaflet: str            # the domain: a leaflet id, or "templates"
    locale: str
    id: str                 # the msgctxt
    safety_critical: bool
    state: str              # missing, fuzzy, outdated, failing, translated or reviewed
    findings: tuple[str, ...]
    english: str
    translation: str

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "findings": list(self.findings)}


def string_rows(locales_dir: Path, catalog: Catalog | None, *, locale: str, domain: str,
                expected: Mapping[str, str], critical_ids: frozenset[str], terms: Sequence[Term] = ()
                ) -> list[StringRow]:
    """One row per message ``expected`` (msgctxt -> current English), in the template's order;
    ``terms``: the locale's glossary, whose misses are findings too (never a state)."""
    index = by_context(catalog)
    refused: dict[str, list[tuple[str, str]]] = {}
    for finding in catalog_refusals(catalog, locale=locale, domain=domain, expected=dict(expected),
                                    critical_ids=critical_ids):
        refused.setdefault(finding.msgctxt, []).append((finding.kind, finding.problem))
    reviewed = _reviewed_hashes(locales_dir, locale, domain)
    hashes = current_hashes(catalog, expected)
    rows = []
    for ctxt, english in expected.items():
        message = index.get(ctxt)
        translation = "" if message is None or not isinstance(message.string, str) else message.string
        blocking = refused.get(ctxt, [])
        kinds = {kind for kind, _ in blocking}
        if "missing" in kinds:
            state = MISSING
        elif "outdated" in kinds:
            state = OUTDATED
        elif "fuzzy" in kinds:
            state = FUZZY
        elif blocking:
            state = FAILING
        elif hashes.get(ctxt) is not None and reviewed.get(ctxt) == hashes[ctxt]:
            state = REVIEWED
        else:
            state = TRANSLATED
        findings = [problem for _, problem in blocking]
        if state in (TRANSLATED, REVIEWED, FAILING):  # the warnings that do not block, too
            findings += [f"{severity}: {problem}" for severity, problem in
                         check_translation(english, translation, locale=locale, critical=ctxt in critical_ids,
                                           formatted=domain == "templates")
                         if problem not in findings]
            findings += [f"warning: glossary: {term.english!r} is {' or '.join(map(repr, term.forms))}"
                         for term in terms if term.expected_in(english) and not term.found_in(translation)]
        rows.append(StringRow(domain, locale, ctxt, ctxt in critical_ids, state, tuple(findings), english,
                              translation))
    return rows


def _reviewed_hashes(locales_dir: Path, locale: str, domain: str) -> dict[str, str]:
    """msgctxt -> the hash a review record holds for it: from the leaflet's own record, or for the
    template strings from any record (each review covers the template strings its leaflet prints)."""
    paths = [record_path(locales_dir, locale, domain)] if domain != "templates" else \
        sorted((locales_dir / locale / "reviews").glob("*.json"))
    out: dict[str, str] = {}
    for path in paths:
        record = read_record(path)
        if isinstance(record, ReviewRecord):
            out.update(record.messages.get(domain, {}))
    return out


__all__ = ["COLUMNS", "StringRow", "string_rows"]
