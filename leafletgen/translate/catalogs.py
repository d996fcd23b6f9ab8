"""Gettext catalogs on disk: read, write, extract, init, update.

Layout::

    locales/<domain>.pot                         one template per domain
    locales/<locale>/LC_MESSAGES/<domain>.po     one catalog per locale and domain

Domains are the leaflet ids (one per leaflet) plus ``templates`` for the strings of
the HTML templates. Catalogs are read straight from the PO files at build time; no
``.mo`` files exist, so a stale compiled catalog can never put an outdated warning
on paper.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message

from leafletgen.content.model import Leaflet
from leafletgen.errors import CatalogError, Problem
from leafletgen.files import atomic_write_bytes, disk_cached
from leafletgen.project import Project
from leafletgen.runtime import digest_files, engine_fingerprint, key_of, now
from leafletgen.translate.extract import leaflet_messages
from leafletgen.translate.pofile import (
    GETTEXT_DEFAULT_PLURALS as GETTEXT_DEFAULT_PLURALS,  # PO reading lives in .pofile
)
from leafletgen.translate.pofile import NOT_REVIEWED as NOT_REVIEWED
from leafletgen.translate.pofile import REVIEW_HEADER as REVIEW_HEADER
from leafletgen.translate.pofile import REVIEWED as REVIEWED
from leafletgen.translate.pofile import LeafletCatalog as LeafletCatalog
from leafletgen.translate.pofile import babel_key, dump_catalog
from leafletgen.translate.pofile import parse_catalog as parse_catalog

TEMPLATES_DOMAIN = "templates"
PROJECT = "leafletgen"
REVIEWER_HEADER = "X-Reviewed-By"
SOURCE_LOCALE = "en"
_JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}


# -- paths ------------------------------------------------------------------------------

def pot_path(locales_dir: Path, domain: str) -> Path:
    return locales_dir / f"{domain}.pot"


def po_path(locales_dir: Path, locale: str, domain: str) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{domain}.po"


def available_locales(locales_dir: Path) -> list[str]:
    """Locale folders that hold at least one catalog, sorted; English (the source) first."""
    found = sorted(p.parent.parent.name for p in locales_dir.glob("*/LC_MESSAGES/*.po"))
    unique = sorted(set(found))
    return [SOURCE_LOCALE, *(loc for loc in unique if loc != SOURCE_LOCALE)]


def offered_locales(locales_dir: Path, leaflet_id: str) -> list[str]:
    """The locales a leaflet is offered in: English (its source) and every locale with a catalog
    for it (``<locale>/LC_MESSAGES/<leaflet>.po``), sorted. Elsewhere it is "not offered": nobody
    started a translation, which is not a failure of anything. A catalog that exists but cannot be
    read still offers the locale: its units fail, and say why."""
    return [SOURCE_LOCALE, *sorted({p.parent.parent.name for p in locales_dir.glob(f"*/LC_MESSAGES/{leaflet_id}.po")}
                                   - {SOURCE_LOCALE})]


# -- reading and writing -------------------------------------------------------------------

def read_catalog(path: Path, *, display: str | None = None) -> LeafletCatalog:
    """Read a PO or POT file strictly, as a copy of its own (update, review change it); any
    defect is a :class:`CatalogError` naming file and line. Readers that only look (the gate,
    status, the render) take theirs from the snapshot (snapshot.load_catalog), parsed once."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(Problem(name, "", f"cannot read: {exc.strerror}")) from None
    return parse_catalog(data, name)


def write_catalog(path: Path, catalog: Catalog) -> bool:
    """Write a PO/POT atomically; skip the write when only the dates would change."""
    return write_if_changed(path, dump_catalog(catalog, str(path)))


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless the file holds it already, dates aside; True if written."""
    if holds_already(path, data):
        return False
    atomic_write_bytes(path, data)
    return True


def holds_already(path: Path, data: bytes) -> bool:
    """Whether the file at ``path`` holds ``data``, dates aside (so it would not be written)."""
    return path.exists() and same_but_dates(path.read_bytes(), data)


def same_but_dates(old: bytes, new: bytes) -> bool:
    """Whether two catalogs' bytes differ in nothing but the header's dates."""
    return _strip_dates(old) == _strip_dates(new)


_DATES = (b'"POT-Creation-Date:', b'"PO-Revision-Date:', b'"Generated-By:')


def _strip_dates(data: bytes) -> bytes:
    """The bytes without the header's date lines (the header ends at the first blank line)."""
    header, blank, body = data.partition(b"\n\n")
    kept = [line for line in header.split(b"\n") if not line.startswith(_DATES)]
    return b"\n".join(kept) + blank + body


# -- extraction --------------------------------------------------------------------------

def new_template(domain: str) -> LeafletCatalog:
    return LeafletCatalog(project=PROJECT, version=domain, domain=domain, creation_date=now(),
                          msgid_bugs_address="", charset="utf-8", fuzzy=False)


def leaflet_template(leaflet: Leaflet, source_name: str) -> LeafletCatalog:
    """The POT for one leaflet: msgctxt = string id, notes as extracted comments."""
    pot = new_template(leaflet.id)
    for line, _func, (ctxt, msgid), comments in leaflet_messages(leaflet):
        pot.add(msgid, context=ctxt, locations=[(source_name, line)], auto_comments=comments)
    return pot


#: Python modules whose pgettext() calls belong to the templates domain (footer strings).
PYTHON_STRING_SOURCES = (Path(__file__).parent.parent / "render" / "html.py",)


def templates_template(templates_dir: Path, root: Path) -> LeafletCatalog:
    """The POT for the HTML templates (Jinja2's extractor) and the render module's strings."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

    pot = new_template(TEMPLATES_DOMAIN)
    templates = sorted(templates_dir.glob("**/*.j2"))
    _check_template_syntax(templates, root)  # Jinja's extractor skips a broken template silently
    sources = [("jinja2", p, _JINJA_OPTIONS) for p in templates]
    sources += [("python", p, {}) for p in PYTHON_STRING_SOURCES]
    for method, path, options in sources:
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:  # the package's own module, wherever it is installed
            rel = "leafletgen/" + path.relative_to(Path(__file__).parent.parent).as_posix()
        for line, msg, comments, ctxt in extract_from_file(method, str(path), keywords=DEFAULT_KEYWORDS,
                                                           options=options):
            existing = pot.get(msg, context=ctxt)
            if existing is not None:
                existing.locations.append((rel, line))
            else:
                pot.add(msg, context=ctxt, locations=[(rel, line)], auto_comments=comments)
    return pot


def _check_template_syntax(paths: list[Path], root: Path) -> None:
    import jinja2

    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    for path in paths:
        try:
            env.parse(path.read_text(encoding="utf-8"))
        except jinja2.TemplateSyntaxError as exc:
            shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
            raise CatalogError(Problem(shown, f"line {exc.lineno}", f"template syntax error: {exc.message}")) from None


# -- init and update -------------------------------------------------------------------

def gettext_plural_forms(locale: str) -> tuple[int, str]:
    """GNU gettext's Plural-Forms for a language, as (nplurals, formula), for new catalogs.

    From translate-toolkit's table, which follows GNU gettext and keeps CLDR's order
    of forms (Arabic: zero, one, two, 3-10, 11-99, 100-102). Babel's CLDR-derived
    formulas differ from gettext for some languages and between releases, and its
    Arabic formula swaps the last two forms. A language the table lacks gets gettext's
    default, which a translator then corrects in the header.
    """
    from translate.lang.data import languages

    code = locale.replace("-", "_")
    for candidate in (code, code.split("_")[0]):
        if candidate in languages:
            _name, count, formula = languages[candidate]
            return count, formula if formula.startswith("(") else f"({formula})"
    return GETTEXT_DEFAULT_PLURALS


def new_catalog(pot: Catalog, locale: str) -> LeafletCatalog:
    """A fresh PO for ``locale`` from a template: GNU gettext's plural forms, marked not reviewed."""
    po = LeafletCatalog(locale=locale, domain=pot.domain, project=pot.project, version=pot.version,
                        creation_date=pot.creation_date, revision_date=now(), msgid_bugs_address="",
                        last_translator="", language_team="", charset="utf-8", fuzzy=False)
    po.set_plural_forms(*gettext_plural_forms(locale))
    po.extra_headers[REVIEW_HEADER] = NOT_REVIEWED
    for message in pot:
        if message.id:
            po.add(message.id, "", context=message.context, locations=message.locations,
                   auto_comments=message.auto_comments)
    return po


def merge(po: LeafletCatalog, pot: Catalog) -> LeafletCatalog:
    """Merge a template into a catalog as GNU msgmerge does, matching by msgctxt (the stable string id).

    A message whose English text changed keeps its old translation, marked fuzzy, with
    the English it was translated from kept as ``#| msgid`` so the translator sees what
    changed. Translated messages gone from the source become obsolete (``#~``) with their
    flags and previous msgid, and stay so; untranslated ones are dropped. A message that
    comes back from obsolete always comes back fuzzy: its translation was made for a source
    that then disappeared. Format flags (``python-format``) come from the template, as they
    describe the English.
    """
    active = {_match_key(m): m for m in po if m.id}
    obsolete = list(po.obsolete.values())
    revivable = {_match_key(m): m for m in obsolete}  # of two with one id, the later (more recent) one
    merged = LeafletCatalog(locale=po.locale_identifier, domain=pot.domain, project=pot.project, version=pot.version,
                            creation_date=pot.creation_date, revision_date=po.revision_date,
                            msgid_bugs_address="", last_translator=po.last_translator,
                            language_team=po.language_team, charset="utf-8", fuzzy=False,
                            header_comment=po.header_comment)
    merged.extra_headers = dict(po.extra_headers)
    merged.set_plural_forms(po.num_plurals, po.plural_expr)
    for message in pot:
        if not message.id:
            continue
        key = _match_key(message)
        prev = active.pop(key, None)
        revived = prev is None and key in revivable
        if revived:
            prev = revivable.pop(key)
            obsolete = [m for m in obsolete if m is not prev]
        merged[message.id] = _merged_message(message, prev, revived=revived, forms=merged.num_plurals)
    for prev in [*obsolete, *active.values()]:  # still obsolete first, then the newly obsolete
        if any(_ids(prev.string)):  # as msgmerge: an untranslated message leaves nothing to keep
            merged.obsolete[babel_key(prev.id, prev.context)] = prev
    return merged


def _match_key(message: Message) -> tuple[str, str]:
    if message.context is not None:
        return "msgctxt", message.context
    return "msgid", message.id if isinstance(message.id, str) else message.id[0]


def _ids(msgid: str | tuple[str, ...] | list[str] | None) -> list[str]:
    return [msgid] if isinstance(msgid, str) else list(msgid or ())


def _merged_message(template: Message, prev: Message | None, *, revived: bool, forms: int) -> Message:
    new = Message(template.id, "", locations=template.locations, auto_comments=template.auto_comments,
                  context=template.context, flags=[f for f in template.flags if f != "fuzzy"])
    if prev is None:
        return new
    plural, was_plural = not isinstance(template.id, str), not isinstance(prev.id, str)
    strings = _ids(prev.string)
    if plural:
        new.string = tuple((strings + [""] * forms)[:forms]) if was_plural else (strings[0], *[""] * (forms - 1))
    else:
        new.string = strings[0] if strings else ""
    new.user_comments = list(prev.user_comments)
    new.flags |= {f for f in prev.flags if f != "fuzzy" and not f.endswith("-format")}
    translated = any(strings)
    # the English the translation was made for: a fuzzy entry's previous msgid, else its msgid
    made_for = list(prev.previous_id) if prev.fuzzy and prev.previous_id else _ids(prev.id)
    if prev.fuzzy or (translated and (revived or made_for != _ids(template.id) or plural != was_plural)):
        new.flags.add("fuzzy")
        if made_for != _ids(template.id):
            new.previous_id = made_for
    return new


def template_messages(project: Project) -> dict[str, str]:
    """msgctxt -> English of every template string, extracted from the templates as they are now.

    Extraction (Babel's and Jinja's extractors) costs ~40 ms and two imports, so its
    answer is kept: in memory per process, and on disk keyed by the templates' content
    and leafletgen's code. A broken template is never cached: it fails every time.
    """
    from leafletgen.translate.catalogs import PYTHON_STRING_SOURCES

    sources = [*sorted(project.templates_dir.glob("**/*.j2")), *PYTHON_STRING_SOURCES]
    digest = key_of({"sources": digest_files(sources, root=project.root), "engine": engine_fingerprint()})
    return dict(_extracted_template_messages(project.templates_dir, project.root, digest))


@lru_cache(maxsize=4)
def _extracted_template_messages(templates_dir: Path, root: Path, digest: str) -> tuple[tuple[str, str], ...]:
    def extract() -> tuple[tuple[str, str], ...]:
        from leafletgen.translate.catalogs import templates_template  # extraction only when the templates changed

        return tuple((str(m.context), str(m.id)) for m in templates_template(templates_dir, root)
                     if m.id and m.context)

    return disk_cached(f"template-messages-{digest[:32]}.json", extract,
                       lambda messages: json.dumps(messages, ensure_ascii=False).encode("utf-8"),
                       lambda data: tuple((str(ctxt), str(msgid)) for ctxt, msgid in json.loads(data)))
