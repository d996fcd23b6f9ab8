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

import io
import os
import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, PoFileParser, escape, unescape, write_po

from .errors import CatalogError, Problem
from .extract import leaflet_messages
from .files import atomic_write_bytes
from .model import Leaflet

TEMPLATES_DOMAIN = "templates"
PROJECT = "leafletgen"
REVIEW_HEADER = "X-Review-Status"
REVIEWER_HEADER = "X-Reviewed-By"
REVIEWED = "reviewed"
NOT_REVIEWED = "not-reviewed"
SOURCE_LOCALE = "en"
_JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}


class LeafletCatalog(Catalog):
    """A Babel catalog that keeps the ``X-`` headers Babel would drop (review state)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.extra_headers: dict[str, str] = {}
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def _get_mime_headers(self) -> list[tuple[str, str]]:
        headers = super()._get_mime_headers()
        headers[0] = ("Project-Id-Version", f"{self.project} {self.version}".strip())
        generated = headers.pop()
        return [*headers, *self.extra_headers.items(), generated]

    def _set_mime_headers(self, headers: list[tuple[str, str]]) -> None:  # type: ignore[override]
        headers = list(headers)
        for name, value in headers:
            if name.lower().startswith("x-"):
                self.extra_headers[name] = value.strip()
            if name.lower() == "project-id-version":
                project, _, version = value.strip().rpartition(" ")
                self.project, self.version = (project, version) if project else (version, "")
        super()._set_mime_headers([(n, v) for n, v in headers if n.lower() != "project-id-version"])

    mime_headers = property(_get_mime_headers, _set_mime_headers)  # type: ignore[assignment]

    @property
    def reviewed(self) -> bool:
        return self.extra_headers.get(REVIEW_HEADER, NOT_REVIEWED).strip().lower() == REVIEWED


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


def parse_locale(code: str) -> Locale:
    """A Babel Locale for a code such as ``pt_BR``; :class:`CatalogError` if unknown."""
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise CatalogError(Problem("", f"locale {code!r}", "unknown or invalid locale code")) from None


# -- reading and writing -------------------------------------------------------------------

def read_catalog(path: Path, *, display: str | None = None, shared: bool = False) -> LeafletCatalog:
    """Read a PO or POT file strictly; any defect is a :class:`CatalogError` naming file and line.

    ``shared``: for readers only (gate, status, render). The file is parsed once per
    process while its bytes are unchanged, and every caller gets the same object, so
    it must not be changed; update and review read their own copy.
    """
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(Problem(name, "", f"cannot read: {exc.strerror}")) from None
    return _shared_catalog(data, name) if shared else parse_catalog(data, name)


@lru_cache(maxsize=64)
def _shared_catalog(data: bytes, name: str) -> LeafletCatalog:
    return parse_catalog(data, name)


def parse_catalog(data: bytes, name: str) -> LeafletCatalog:
    if data.startswith(b"\xef\xbb\xbf"):
        raise CatalogError(Problem(name, "line 1", "starts with a byte order mark (BOM); save as UTF-8 without BOM"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError(Problem(name, f"line {line}", "not valid UTF-8; catalogs must be saved as UTF-8")) from None
    charset = _declared_charset(text)
    if charset is not None and charset not in ("utf-8", "utf8"):
        raise CatalogError(Problem(name, "header Content-Type", f"charset is {charset!r}; catalogs must be UTF-8"))
    _check_syntax(text, name)
    _check_plural_entries(text, name)
    catalog = LeafletCatalog(charset="utf-8")
    parser = PoFileParser(catalog, ignore_obsolete=False, abort_invalid=True)
    try:
        parser.parse(io.BytesIO(data))
    except PoFileError as exc:
        raise CatalogError(Problem(name, f"line {getattr(exc, 'lineno', '?')}", f"invalid PO syntax: {exc}")) from None
    _check_duplicates(text, name)
    _check_plural_count(catalog, text, name)
    _restore_previous_ids(catalog, text)
    return catalog


def _check_plural_count(catalog: Catalog, text: str, name: str) -> None:
    """The header's plural count must be the language's (CLDR)."""
    if catalog.locale is not None and "Plural-Forms:" in text:
        declared, expected = catalog.num_plurals, get_plural(catalog.locale).num_plurals
        if declared != expected:
            language = catalog.locale.get_display_name("en")
            raise CatalogError(Problem(name, "header Plural-Forms", f"nplurals is {declared}; {language} "
                                       f"({catalog.locale_identifier}) has {expected} plural forms"))


def _check_plural_entries(text: str, name: str) -> None:
    """Every plural entry has exactly as many msgstr[n] as the header declares (Babel pads or aborts)."""
    match = re.search(r"nplurals\s*=\s*(\d+)", text)
    declared = int(match.group(1)) if match else 2
    forms, ctxt, msgid_line = 0, "", 0
    for lineno, raw in enumerate([*text.splitlines(), ""], start=1):
        line = raw.strip()
        if line.startswith("msgctxt "):
            ctxt = unescape(line[8:])
        elif line.startswith("msgid "):
            msgid_line, forms = lineno, 0
        elif line.startswith("msgstr["):
            forms += 1
        elif not line and forms:
            if forms != declared:
                noun = "plural form" if forms == 1 else "plural forms"
                raise CatalogError(Problem(name, f"line {msgid_line}", f'message "{ctxt}" has {forms} {noun}, '
                                           f"but the Plural-Forms header declares nplurals={declared}"))
            forms, ctxt = 0, ""


def _restore_previous_ids(catalog: Catalog, text: str) -> None:
    """Babel writes ``#| msgid`` (the English before a change) but never reads it back."""
    previous: list[str] = []
    collecting = False
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#| msgid "):
            previous, collecting = [unescape(line[9:].strip())], True
        elif collecting and line.startswith('#| "'):
            previous.append(unescape(line[3:].strip()))
        elif line.startswith("#|"):
            collecting = False
        elif line.startswith("msgctxt ") and previous:
            found[unescape(line[8:].strip())] = "".join(previous)
            previous, collecting = [], False
        elif line.startswith("msgid "):
            previous, collecting = [], False
    for message in catalog:
        if message.context in found and message.fuzzy:
            message.previous_id = [found[message.context]]


_PO_LINE = re.compile(r'^(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"$')


def _check_syntax(text: str, name: str) -> None:
    """Babel's reader accepts broken lines silently; GNU gettext does not, and neither do we."""
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#~"):
            line = line[2:].strip()
        elif line.startswith("#"):
            continue
        if line and not _PO_LINE.match(line):
            raise CatalogError(Problem(name, f"line {lineno}", f"invalid PO syntax: {raw.strip()[:60]!r}"))


def _declared_charset(text: str) -> str | None:
    for line in text.splitlines()[:40]:
        if "Content-Type:" in line and "charset=" in line:
            return line.split("charset=", 1)[1].split("\\n", 1)[0].strip().strip('"').lower()
    return None


def _check_duplicates(text: str, name: str) -> None:
    """Babel keeps the last of two entries with the same msgctxt+msgid; gettext refuses them."""
    seen: dict[tuple[str, str], int] = {}
    ctxt, lineno_ctxt = "", 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.startswith("msgctxt "):
            ctxt, lineno_ctxt = line[8:].strip(), lineno
        elif line.startswith("msgid "):
            key = (ctxt if lineno_ctxt == lineno - 1 else "", line[6:].strip())
            ctxt, lineno_ctxt = "", 0
            if key[1] == '""' and not key[0]:
                continue
            if key in seen:
                raise CatalogError(Problem(name, f"line {lineno}",
                                           f"duplicate message {key[0] or key[1]} (first at line {seen[key]})"))
            seen[key] = lineno


def write_catalog(path: Path, catalog: Catalog) -> bool:
    """Write a PO/POT atomically; skip the write when only the dates would change."""
    buf = io.BytesIO()
    # Unwrapped lines (valid PO, clean diffs). Babel wraps "#| msgid" comments mid-string,
    # which GNU gettext and Poedit misread, so previous msgids are written here instead.
    write_po(buf, catalog, width=0, include_previous=False, sort_output=False)
    data = _with_previous_ids(buf.getvalue(), catalog)
    if path.exists() and _strip_dates(path.read_bytes()) == _strip_dates(data):
        return False
    atomic_write_bytes(path, data)
    return True


def _with_previous_ids(data: bytes, catalog: Catalog) -> bytes:
    previous = {m.context: m.previous_id[0] for m in catalog
                if m.id and m.fuzzy and m.previous_id and m.context}
    if not previous:
        return data
    out = []
    for line in data.decode("utf-8").split("\n"):
        if line.startswith("msgctxt ") and unescape(line[8:]) in previous:
            out.append(f"#| msgid {escape(previous[unescape(line[8:])])}")
        out.append(line)
    return "\n".join(out).encode("utf-8")


def _strip_dates(data: bytes) -> bytes:
    return b"\n".join(
        line for line in data.splitlines()
        if not line.startswith((b'"POT-Creation-Date:', b'"PO-Revision-Date:', b'"Generated-By:'))
    )


def now() -> datetime:
    """The build time: ``SOURCE_DATE_EPOCH`` when set, for reproducible output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


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
PYTHON_STRING_SOURCES = (Path(__file__).with_name("render.py"),)


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
        except ValueError:
            rel = f"leafletgen/{path.name}"
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

def new_catalog(pot: Catalog, locale: str) -> LeafletCatalog:
    """A fresh PO for ``locale`` from a template: plural forms from CLDR, marked not reviewed."""
    po = LeafletCatalog(locale=locale, domain=pot.domain, project=pot.project, version=pot.version,
                        creation_date=pot.creation_date, revision_date=now(), msgid_bugs_address="",
                        last_translator="", language_team="", charset="utf-8", fuzzy=False)
    po.extra_headers[REVIEW_HEADER] = NOT_REVIEWED
    for message in pot:
        if message.id:
            po.add(message.id, "", context=message.context, locations=message.locations,
                   auto_comments=message.auto_comments)
    return po


def merge(po: LeafletCatalog, pot: Catalog) -> LeafletCatalog:
    """Merge a template into a catalog, matching by msgctxt (the stable string id).

    A message whose English text changed keeps its old translation, marked fuzzy,
    with the previous English kept as ``#| msgid`` so the translator sees what changed.
    Messages gone from the source become obsolete (``#~``).
    """
    old = {m.context: m for m in po if m.id}
    old_obsolete = {m.context: m for m in po.obsolete.values()}
    merged = LeafletCatalog(locale=po.locale_identifier, domain=pot.domain, project=pot.project, version=pot.version,
                            creation_date=pot.creation_date, revision_date=po.revision_date,
                            msgid_bugs_address="", last_translator=po.last_translator,
                            language_team=po.language_team, charset="utf-8", fuzzy=False,
                            header_comment=po.header_comment)
    merged.extra_headers = dict(po.extra_headers)
    if po.locale is not None:
        merged._num_plurals, merged._plural_expr = po.num_plurals, po.plural_expr  # type: ignore[assignment]
    for message in pot:
        if not message.id:
            continue
        prev = old.pop(message.context, None) or old_obsolete.pop(message.context, None)
        new = Message(message.id, "", locations=message.locations, auto_comments=message.auto_comments,
                      context=message.context)
        if prev is not None:
            new.string = prev.string
            new.user_comments = prev.user_comments
            new.flags = set(prev.flags) - {"fuzzy"}
            if prev.id != message.id and prev.string:
                new.flags.add("fuzzy")
                new.previous_id = [prev.id] if isinstance(prev.id, str) else list(prev.id)
            elif "fuzzy" in prev.flags:
                new.flags.add("fuzzy")
                new.previous_id = list(prev.previous_id)
        merged[message.id] = new
    for prev in old.values():
        merged.obsolete[(str(prev.id), str(prev.context))] = prev
    return merged

