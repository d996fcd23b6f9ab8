"""The warnings gate: the one place that decides whether a unit may be printed, and why not.

A unit is one leaflet in one locale, with the template strings it prints; a document
is one or two units (a bilingual handout). The build, drafts' status, ``status``,
``check``, ``review`` and the server's readiness and renders all ask here. Refused:

- a needed message missing, empty, fuzzy, or translated from older English;
- any ``error`` of the per-message checks (checks.py: numbers as values, markup,
  placeholders, characters that reorder or hide text, a template string the
  renderer cannot format), and in a safety-critical message any finding at all,
  except warnings a reviewer accepted for the text as it reads now (waivers.py);
- and a catalog or template that cannot be read is an error naming it, never a traceback.

``catalog_status`` counts the same answers for ``leafletgen status``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from babel.messages.catalog import Catalog

from leafletgen.content.model import Leaflet
from leafletgen.project import Project
from leafletgen.translate.catalogs import SOURCE_LOCALE, TEMPLATES_DOMAIN, LeafletCatalog, template_messages
from leafletgen.translate.checks import Finding, by_context, check_translation
from leafletgen.translate.snapshot import Snapshot, load_catalog
from leafletgen.translate.waivers import is_accepted


def expected_messages(leaflet: Leaflet) -> dict[str, str]:
    return {text.id: text.text for text, _critical in leaflet.texts()}


def refusals_for(leaflet: Leaflet, locale: str, catalog: LeafletCatalog | None,
                 strings: LeafletCatalog | None, template_msgs: dict[str, str]) -> list[Finding]:
    """The gate for one unit (a leaflet in one locale, with the template strings it prints);
    empty means it may be printed."""
    if locale == SOURCE_LOCALE:
        return []
    if catalog is None:
        return [Finding(locale, leaflet.id, "-", f"no catalog {leaflet.id}.po for this locale", critical=True,
                        kind="missing")]
    found = catalog_refusals(catalog, locale=locale, domain=leaflet.id, expected=expected_messages(leaflet),
                             critical_ids=leaflet.safety_critical_ids())
    found += catalog_refusals(strings, locale=locale, domain=TEMPLATES_DOMAIN, expected=template_msgs,
                              critical_ids=frozenset())
    return found


def document_refusals(source: Project | Snapshot, leaflet: Leaflet, locales: Sequence[str | None]
                      ) -> list[Finding]:
    """The gate for a whole document, on the snapshot's bytes: every language it prints (the
    patient's, and a second one for a bilingual handout). A catalog or template that cannot be
    read is a :class:`LeafletError` naming it (one line each), never a traceback."""
    snapshot = Snapshot.of(source)
    messages = template_messages(snapshot.project)
    return [finding for code in dict.fromkeys(locales) if code
            for finding in refusals_for(leaflet, code, load_catalog(snapshot, code, leaflet.id),
                                        load_catalog(snapshot, code, TEMPLATES_DOMAIN), messages)]


def catalog_refusals(catalog: Catalog | None, *, locale: str, domain: str, expected: dict[str, str],
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
            refuse(f"{label}fuzzy: read the translation against the current English, then clear the fuzzy flag",
                   kind="fuzzy")
        else:
            for severity, problem in check_translation(english, str(message.string), locale=locale,
                                                       formatted=domain == TEMPLATES_DOMAIN,
                                                       critical=critical):
                if severity == "error" or (critical and not is_accepted(message)):
                    refuse(problem, severity)
    return refusals


_KIND_NAMES = {"missing": "not translated", "outdated": "outdated", "fuzzy": "fuzzy", "check": "failing a check"}


def refusal_summary(refusals: list[Finding]) -> str:
    """The gate's refusal in one line, by kind: "119 not translated (119 safety-critical), 2 fuzzy"."""
    parts = []
    for kind, name in _KIND_NAMES.items():
        found = [f for f in refusals if f.kind == kind]
        if found:
            critical = sum(1 for f in found if f.critical)
            parts.append(f"{len(found)} {name}" + (f" ({critical} safety-critical)" if critical else ""))
    return ", ".join(parts)


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
    refusals = catalog_refusals(catalog, locale=locale, domain=domain, expected=expected,
                                critical_ids=critical_ids)
    critical_bad = {f.msgctxt for f in refusals if f.critical}
    check_problems = sum(1 for f in refusals if f.kind == "check")
    return Status(locale, language, domain, len(expected), translated, fuzzy, len(expected) - translated - fuzzy,
                  len(critical_ids), len(critical_ids - critical_bad), check_problems, reviewed)
