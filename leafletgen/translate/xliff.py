"""XLIFF 1.2 for agencies: a catalog out as one file per leaflet and locale, and their work back in.

translate-toolkit's storage classes read and write the files (its ``po2xliff`` numbers the units
and drops the msgctxt ids; here the unit id *is* the msgctxt, so every id comes back). Notes carry
the translator notes, the safety marking and, for a fuzzy message, the English it was made for.
States map both ways: fuzzy is ``needs-review-translation``; translated is ``translated``.

Import changes a copy of the catalog in memory only; the caller runs the gate over the result and
writes it (or not). A unit whose English is not the current English comes back fuzzy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from babel.messages.catalog import Message
from lxml import etree
from translate.storage import xliff

from leafletgen.errors import CatalogError, Problem
from leafletgen.locale_codes import canonical, same_locale
from leafletgen.translate.catalogs import LeafletCatalog
from leafletgen.translate.extract import SAFETY_COMMENT

_NAMESPACE = "urn:oasis:names:tc:xliff:document:1.2"
#: What a unit's target states mean here: these need a person before the text may print.
_NEEDS_WORK = {"new", "needs-translation", "needs-adaptation", "needs-l10n", "needs-review-translation",
               "needs-review-adaptation", "needs-review-l10n"}
_PREVIOUS = "English this translation was made for: "


def export_xliff(catalog: LeafletCatalog, *, locale: str, original: str, critical_ids: Iterable[str]) -> bytes:
    """The catalog's current messages as XLIFF 1.2; ``original`` names the PO file (project-relative)."""
    critical = frozenset(critical_ids)
    skeleton = (f'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" xmlns="{_NAMESPACE}">'
                f'<file original="" source-language="en" target-language="" datatype="po"><body/></file>'
                f'</xliff>').encode()
    store = xliff.xlifffile.parsestring(skeleton)
    file_node = next(store.document.getroot().iterchildren(f"{{{_NAMESPACE}}}file"))
    file_node.set("original", original)
    file_node.set("target-language", locale.replace("_", "-"))
    for message in catalog:
        if not message.id or not message.context or not isinstance(message.id, str):
            continue  # the header; plural messages have no XLIFF 1.2 form here (none is shipped)
        unit = store.addsourceunit(message.id, filename=original)
        unit.setid(message.context)
        for comment in _notes(message):
            unit.addnote(comment, origin="developer")
        if message.context in critical:
            unit.addnote(SAFETY_COMMENT, origin="developer")
        if message.user_comments:
            unit.addnote("\n".join(message.user_comments), origin="translator")
        if isinstance(message.string, str) and message.string:
            unit.settarget(message.string)
            if message.fuzzy:
                unit.markfuzzy(True)
                unit.set_state_n(unit.S_NEEDS_REVIEW)
                if message.previous_id:
                    previous = message.previous_id[0] if isinstance(message.previous_id, (list, tuple)) \
                        else message.previous_id
                    unit.addnote(_PREVIOUS + str(previous), origin="leafletgen")
            else:
                unit.markfuzzy(False)
    etree.cleanup_namespaces(store.document)  # translate-toolkit declares its 1.1 namespace on each unit
    return bytes(store)


def _notes(message: Message) -> list[str]:
    """The translator notes (``#.``, wrapped by the PO writer) as one paragraph, without the safety line."""
    text = " ".join(message.auto_comments).replace(SAFETY_COMMENT, "").strip()
    return [text] if text else []


@dataclass
class ImportResult:
    """What an XLIFF file changes in one catalog, before anything is written."""

    domain: str
    locale: str
    changed: list[str] = field(default_factory=list)         # msgctxt whose text or state changed
    fuzzy: list[str] = field(default_factory=list)           # msgctxt that come back fuzzy
    older_english: list[str] = field(default_factory=list)   # translated from English since changed
    problems: list[Problem] = field(default_factory=list)    # nothing is written while there are any


def read_xliff(data: bytes, name: str) -> tuple[str, str, list[xliff.xliffunit]]:
    """(domain, locale, units) of an XLIFF 1.x file exported here; :class:`CatalogError` otherwise."""
    try:
        store = xliff.xlifffile.parsestring(data)
    except Exception as exc:  # lxml, or translate-toolkit refusing XLIFF 2: a bad file, not a bug
        raise CatalogError(Problem(name, "", f"not a readable XLIFF 1.2 file: {exc}")) from None
    files = list(store.document.getroot().iterchildren(f"{{{store.namespace}}}file"))
    if len(files) != 1:
        raise CatalogError(Problem(name, "", f"expected one <file> element, found {len(files)}"))
    original, target = files[0].get("original", ""), files[0].get("target-language", "")
    domain = PurePosixPath(original).stem
    if not domain or not target:
        raise CatalogError(Problem(name, "<file>", "no original or target-language: not a file exported by "
                                                   "'leafletgen xliff export'"))
    try:
        locale = canonical(target)
    except CatalogError:
        raise CatalogError(Problem(name, "<file>", f"target-language {target!r} is not a locale")) from None
    return domain, locale, [u for u in store.units if u.xmlelement.get("id")]


def apply_xliff(catalog: LeafletCatalog, units: list[xliff.xliffunit], *, domain: str, locale: str,
                name: str) -> ImportResult:
    """Change ``catalog`` in memory by the units' targets and states; every problem is collected."""
    result = ImportResult(domain, locale)
    if catalog.locale_identifier and not same_locale(str(catalog.locale_identifier), locale):
        result.problems.append(Problem(name, "<file>", f"the file is for {locale}, the catalog for "
                                                       f"{catalog.locale_identifier}"))
        return result
    index = {m.context: m for m in catalog if m.id and m.context}
    seen: set[str] = set()
    for unit in units:
        ident = str(unit.xmlelement.get("id"))
        message = index.get(ident)
        if ident in seen:
            result.problems.append(Problem(name, f"trans-unit {ident}", "appears twice"))
            continue
        seen.add(ident)
        if message is None:
            result.problems.append(Problem(name, f"trans-unit {ident}", "no message has this id in the catalog "
                                                                        "(exported from another revision?)"))
            continue
        target = unit.target
        if not target:
            continue  # nothing translated there: the catalog keeps what it has
        node = unit.getlanguageNode(lang=None, index=1)
        state = node.get("state") if node is not None else None
        needs_work = state in _NEEDS_WORK if state else unit.xmlelement.get("approved") == "no"
        older = str(unit.source) != str(message.id)
        fuzzy = needs_work or older
        if older:
            result.older_english.append(ident)
            message.previous_id = [str(unit.source)]
        if str(target) != message.string or fuzzy != message.fuzzy:
            result.changed.append(ident)
        message.string = str(target)
        if fuzzy:
            message.flags.add("fuzzy")
            result.fuzzy.append(ident)
        else:
            message.flags.discard("fuzzy")
            message.previous_id = []
    return result


__all__ = ["ImportResult", "apply_xliff", "export_xliff", "read_xliff"]
