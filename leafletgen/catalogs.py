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
from gettext import c2py
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
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
#: What GNU gettext assumes when a catalog has no Plural-Forms header.
GETTEXT_DEFAULT_PLURALS = (2, "(n != 1)")
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

    # The catalog's own Plural-Forms header is authoritative, as in GNU gettext; a
    # catalog without one gets gettext's default. Babel would fall back to its CLDR
    # table, which changes between releases (2.19 gave French 3 forms, gettext 2).
    @property
    def num_plurals(self) -> int:  # type: ignore[override]
        return self._num_plurals if self._num_plurals is not None else GETTEXT_DEFAULT_PLURALS[0]

    @property
    def plural_expr(self) -> str:  # type: ignore[override]
        return self._plural_expr if self._plural_expr is not None else GETTEXT_DEFAULT_PLURALS[1]

    def set_plural_forms(self, num_plurals: int, expr: str) -> None:
        self._num_plurals, self._plural_expr = num_plurals, expr  # type: ignore[assignment]

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
    _check_syntax(text, name)
    header = _header_fields(text, name)
    _check_charset(header, name)
    _check_plural_header(header, name)
    _check_plural_entries(text, name, header)
    catalog = LeafletCatalog(charset="utf-8")
    parser = PoFileParser(catalog, ignore_obsolete=False, abort_invalid=True)
    try:
        parser.parse(io.BytesIO(data))
    except PoFileError as exc:
        raise CatalogError(Problem(name, f"line {getattr(exc, 'lineno', '?')}", f"invalid PO syntax: {exc}")) from None
    if catalog.charset.replace("-", "").lower() != "utf8":  # Babel's own reading of the header agrees
        raise CatalogError(Problem(name, "header Content-Type", f"charset is {catalog.charset!r}; "
                                   "catalogs must be UTF-8"))
    _check_duplicates(text, name)
    _restore_previous_ids(catalog, text)
    return catalog


#: Values of n that exercise every branch of the usual formulas (GNU msgfmt --check
#: tests 0..1000 the same way); the big ones catch "n%1000000" style rules.
_PLURAL_PROBES = (*range(1001), 10_000, 100_000, 1_000_000, 10_000_000)


def _header_fields(text: str, name: str) -> dict[str, str]:
    """The header entry's fields, lower-cased names, read as GNU gettext reads them.

    The header is the msgstr of the first entry (msgid ""), its quoted lines joined
    before it is split into "Name: value" lines, so a field split over two lines (as
    GNU tools wrap them) is one field. A field given twice is refused: readers
    disagree on which one wins (a second Content-Type could declare another charset).
    """
    pieces: list[str] = []
    state = "before"
    for raw in text.splitlines():
        line = raw.strip()
        if state == "before":
            if not line or line.startswith("#"):
                continue
            if line != 'msgid ""':
                return {}  # the first entry is a message: no header
            state = "msgid"
        elif state == "msgid":
            if line.startswith("msgstr "):
                pieces.append(line[7:])
                state = "msgstr"
            elif line != '""':
                return {}
        elif line.startswith('"'):
            pieces.append(line)
        else:
            break
    fields: dict[str, str] = {}
    for row in "".join(unescape(p) for p in pieces).split("\n"):
        key, sep, value = row.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key in fields and fields[key] != value:
            raise CatalogError(Problem(name, f"header {key.title()}", "given twice with different values"))
        fields[key] = value
    return fields


def _check_charset(header: dict[str, str], name: str) -> None:
    match = re.search(r"charset\s*=\s*([^\s;]+)", header.get("content-type", ""), re.IGNORECASE)
    charset = match.group(1).strip("\"'").lower() if match else "utf-8"
    if charset.replace("-", "") != "utf8":
        raise CatalogError(Problem(name, "header Content-Type", f"charset is {charset[:40]!r}; catalogs must be UTF-8"))


def _plural_forms(header: dict[str, str]) -> tuple[int, str] | None:
    """(nplurals, plural) as the catalog's own header declares them; None without the header."""
    if "plural-forms" not in header:
        return None
    fields = dict(part.strip().partition("=")[::2] for part in header["plural-forms"].split(";") if "=" in part)
    count = fields.get("nplurals", "").strip()
    return (int(count) if count.isdigit() else -1), fields.get("plural", "").strip()


def _check_plural_header(header: dict[str, str], name: str) -> None:
    """The header's Plural-Forms must be well formed and its formula must stay within nplurals.

    Checked on its own terms, as GNU gettext's msgfmt --check does, never against a
    plural table: the translator's header is what the catalog means.
    """
    declared = _plural_forms(header)
    if declared is None:
        return
    count, expr = declared
    where = "header Plural-Forms"
    if count < 1:
        raise CatalogError(Problem(name, where, "nplurals must be a whole number of at least 1"))
    if not expr:
        raise CatalogError(Problem(name, where, "has no plural= formula"))
    try:
        choose = c2py(expr)
        outside = next(((n, form) for n in _PLURAL_PROBES if not 0 <= (form := choose(n)) < count), None)
    except (ValueError, SyntaxError, ZeroDivisionError, RecursionError, TypeError, OverflowError):
        raise CatalogError(Problem(name, where, f"plural formula is not valid: {expr[:80]!r}")) from None
    if outside is not None:
        n, form = outside
        raise CatalogError(Problem(name, where, f"the plural formula gives form {form} for n={n}, but "
                                   f"nplurals={count} allows forms 0 to {count - 1}"))


def _check_plural_entries(text: str, name: str, header: dict[str, str]) -> None:
    """Every plural entry has exactly as many msgstr[n] as the header declares (Babel pads or aborts)."""
    declared = (_plural_forms(header) or GETTEXT_DEFAULT_PLURALS)[0]
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
    merged.set_plural_forms(po.num_plurals, po.plural_expr)
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

