"""PO files read as GNU gettext reads them, and written so that gettext and Babel read them back alike.

Babel's ``PoFileParser`` does the reading, but it accepts much that GNU gettext refuses
(``msgstr[0]`` on a singular message, forms out of order, a ``msgctxt`` without ``msgid``,
a second header, duplicates among obsolete entries) and it cannot read what gettext
writes for obsolete entries (``#~|`` previous msgids) or keep a ``#| msgid``. So the
bytes are first scanned here into entries, split into lines exactly as gettext and
Babel's byte reader split them: at "\\n" only (a trailing "\\r" is whitespace; U+2028,
U+0085, form feeds and the like are text, never line ends). Every rule is checked on
those entries, GNU ``msgfmt`` gives its own verdict on the same bytes, then Babel reads
them, and what Babel read is compared with the scan.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import shutil
import subprocess
from gettext import c2py

from babel.messages import plurals
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, PoFileParser, escape, write_po

from leafletgen.errors import CatalogError, Problem
from leafletgen.translate.poscan import Entry, scan

REVIEW_HEADER = "X-Review-Status"
REVIEWED = "reviewed"
NOT_REVIEWED = "not-reviewed"
#: What GNU gettext assumes when a catalog has no Plural-Forms header.
GETTEXT_DEFAULT_PLURALS = (2, "(n != 1)")
#: The program asked for a second opinion on every catalog read (tests point it elsewhere).
MSGFMT = "msgfmt"
MSGFMT_TIMEOUT = 10.0
MSGFMT_MISSING = "GNU gettext's msgfmt is needed to check catalogs; install the gettext package"


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


# -- the header ------------------------------------------------------------------------------

#: Values of n that exercise every branch of the usual formulas (GNU msgfmt --check
#: tests 0..1000 the same way); the big ones catch "n%1000000" style rules.
_PLURAL_PROBES = (*range(1001), 10_000, 100_000, 1_000_000, 10_000_000)


def header_fields(entries: list[Entry], name: str) -> dict[str, str]:
    """The header entry's fields, lower-cased names, read as GNU gettext reads them.

    The header is the msgstr of the first entry (msgid ""), its quoted lines joined
    before it is split into "Name: value" lines, so a field split over two lines (as
    GNU tools wrap them) is one field. A field given twice is refused: readers
    disagree on which one wins (a second Content-Type could declare another charset).
    """
    if not entries or entries[0].msgid != "":
        return {}
    fields: dict[str, str] = {}
    for row in entries[0].msgstr[0].split("\n"):
        key, sep, value = row.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key in fields and fields[key] != value:
            raise CatalogError(Problem(name, f"header {key.title()}", "given twice with different values"))
        fields[key] = value
    return fields


def check_charset(header: dict[str, str], name: str) -> None:
    match = re.search(r"charset\s*=\s*([^\s;]+)", header.get("content-type", ""), re.IGNORECASE)
    charset = match.group(1).strip("\"'").lower() if match else "utf-8"
    if charset.replace("-", "") != "utf8":
        raise CatalogError(Problem(name, "header Content-Type", f"charset is {charset[:40]!r}; catalogs must be UTF-8"))


def plural_forms(header: dict[str, str]) -> tuple[int, str] | None:
    """(nplurals, plural) as the catalog's own header declares them; None without the header."""
    if "plural-forms" not in header:
        return None
    fields = dict(part.strip().partition("=")[::2] for part in header["plural-forms"].split(";") if "=" in part)
    count = fields.get("nplurals", "").strip()
    return (int(count) if count.isdigit() else -1), fields.get("plural", "").strip()


def check_plural_header(header: dict[str, str], name: str) -> None:
    """The header's Plural-Forms must be well formed and its formula must stay within nplurals.

    Checked on its own terms, as GNU gettext's msgfmt --check does, never against a
    plural table: the translator's header is what the catalog means.
    """
    declared = plural_forms(header)
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


def check_plural_entries(entries: list[Entry], name: str, declared: int) -> None:
    """Every plural entry has exactly as many msgstr[n] as the header declares (Babel pads or aborts)."""
    for entry in entries:
        forms = len(entry.msgstr)
        if entry.msgid_plural is not None and forms != declared:
            noun = "plural form" if forms == 1 else "plural forms"
            raise CatalogError(Problem(name, f"line {entry.msgid_line}", f"message {entry.shown} has {forms} {noun}, "
                                       f"but the Plural-Forms header declares nplurals={declared}"))


# -- GNU msgfmt's verdict ------------------------------------------------------------------------

_MSGFMT_LINE = re.compile(r"(?:msgfmt: )?<stdin>:(\d+):(?:\d+:)? (.*)")
_verdicts: dict[str, tuple[str, str] | None] = {}


def msgfmt_verdict(data: bytes, *, has_header: bool) -> tuple[str, str] | None:
    """GNU msgfmt's first error on ``data`` as (where, reason), None when it accepts; cached per content.

    ``--check-header`` only for a file with a header: a bare fragment (tests, tools) is not a
    defect, and the header fields that matter are checked here in Python anyway. Not
    ``--check-format``: Babel flags plain text such as "50% of patients" as python-format
    (it reads "% o" as a conversion), and msgfmt would then refuse a correct translation
    and with it the whole catalog; placeholders are checked per message (checks.py).
    """
    digest = hashlib.sha256(data + (b"\0h" if has_header else b"\0")).hexdigest()
    if digest in _verdicts:
        return _verdicts[digest]
    program = shutil.which(MSGFMT)
    if program is None:
        return "", MSGFMT_MISSING  # not cached: installing gettext fixes it for this process too
    command = [program, *(["--check-header"] if has_header else []), "-o", os.devnull, "-"]
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    env.pop("LANGUAGE", None)
    try:
        result = subprocess.run(command, input=data, capture_output=True, timeout=MSGFMT_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return "", f"GNU msgfmt did not answer within {MSGFMT_TIMEOUT:g} s"
    except OSError as exc:
        return "", f"cannot run GNU msgfmt: {exc.strerror}"
    verdict = None if result.returncode == 0 else _first_error(result.stderr.decode("utf-8", "replace"))
    if len(_verdicts) > 512:
        _verdicts.clear()
    _verdicts[digest] = verdict
    return verdict


def _first_error(stderr: str) -> tuple[str, str]:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if (match := _MSGFMT_LINE.fullmatch(line)) and not match.group(2).startswith("warning:"):
            return f"line {match.group(1)}", f"{match.group(2)} (GNU msgfmt)"
    fatal = [line for line in lines if "warning:" not in line and not re.match(r"msgfmt: found \d+ fatal", line)]
    reason = (fatal or lines or ["refused, without saying why"])[0].removeprefix("msgfmt: ").removeprefix("<stdin>: ")
    return "", f"{reason} (GNU msgfmt)"


# -- reading ------------------------------------------------------------------------------------

def parse_catalog(data: bytes, name: str) -> LeafletCatalog:
    """Read a PO or POT strictly; any defect is a :class:`CatalogError` naming the file and line.

    A catalog read before in this process comes from a memo of its bytes: the server's
    render workers read a unit's catalogs for each order, a script using the library
    runs a status, a check and a build, and each reads every catalog. A strict read (the
    scan, the checks, GNU msgfmt's verdict, Babel's parser) takes about 19 ms, a pickled
    copy under 1 ms (``benchmarks/catalogs.py``). Each call gets its own catalog to change.
    The memo holds only catalogs that passed, so a defect is reported, with this ``name``,
    every time.
    """
    key = hashlib.sha256(data).digest() + id(plurals.PLURALS).to_bytes(8, "little")  # Babel's table, if patched
    memo = _parsed.get(key)
    if memo is not None:
        return pickle.loads(memo)  # bytes this process pickled itself, never bytes from outside
    catalog = _parse_catalog(data, name)
    if len(_parsed) >= _PARSED_MAX:
        _parsed.pop(next(iter(_parsed)))
    _parsed[key] = pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL)
    return catalog


#: Parsed catalogs by content, pickled (about 120 KB each for a leaflet of 300 messages).
_parsed: dict[bytes, bytes] = {}
_PARSED_MAX = 256


def _parse_catalog(data: bytes, name: str) -> LeafletCatalog:
    if data.startswith(b"\xef\xbb\xbf"):
        raise CatalogError(Problem(name, "line 1", "starts with a byte order mark (BOM); save as UTF-8 without BOM"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError(Problem(name, f"line {line}", "not valid UTF-8; catalogs must be saved as UTF-8")) from None
    scanned = scan(text, name)
    header = header_fields(scanned.entries, name)
    check_charset(header, name)
    check_plural_header(header, name)
    declared = plural_forms(header)
    check_plural_entries(scanned.entries, name, (declared or GETTEXT_DEFAULT_PLURALS)[0])
    verdict = msgfmt_verdict(data, has_header=bool(scanned.entries) and scanned.entries[0].msgid == "")
    if verdict is not None:
        raise CatalogError(Problem(name, *verdict))
    catalog = LeafletCatalog(charset="utf-8")
    parser = PoFileParser(catalog, ignore_obsolete=False, abort_invalid=True)
    try:
        parser.parse(io.BytesIO(scanned.for_babel.encode("utf-8")))
    except PoFileError as exc:
        reason = str(exc).rsplit(" on ", 1)[0]  # Babel appends its 0-based line number
        raise CatalogError(Problem(name, f"line {exc.lineno + 1}", f"invalid PO syntax: {reason}")) from None
    if catalog.charset.replace("-", "").lower() != "utf8":  # Babel's own reading of the header agrees
        raise CatalogError(Problem(name, "header Content-Type", f"charset is {catalog.charset!r}; "
                                   "catalogs must be UTF-8"))
    if declared is not None and declared != (catalog.num_plurals, catalog.plural_expr):
        raise CatalogError(Problem(name, "header Plural-Forms", "Babel reads the header differently from GNU "
                                   "gettext; write each header field on its own line, ended by \\n"))
    _agree(catalog, scanned.entries, name)
    return catalog


def babel_key(msgid: str | tuple[str, ...] | list[str], context: str | None) -> str | tuple[str, str]:
    """How Babel keys a message in a catalog and in its ``obsolete`` dict."""
    first = msgid if isinstance(msgid, str) else msgid[0]
    return (first, context) if context is not None else first


def _agree(catalog: Catalog, entries: list[Entry], name: str) -> None:
    """Babel read every entry as scanned (else refuse: a reader would print something else); add previous msgids."""
    for entry in entries:
        if entry.msgid == "":
            continue
        key = babel_key(entry.msgid or "", entry.msgctxt)
        message = catalog.obsolete.get(key) if entry.obsolete else catalog.get(entry.msgid or "", entry.msgctxt)
        msgid = entry.msgid if entry.msgid_plural is None else (entry.msgid, entry.msgid_plural)
        strings = tuple(entry.msgstr) if entry.indexed else entry.msgstr[0]
        if message is None or message.id != msgid or message.string != strings:
            raise CatalogError(Problem(name, f"line {entry.line}", f"message {entry.shown} is read differently by "
                                       "Babel and by GNU gettext"))
        message.previous_id = [text for text in (entry.previous.get("msgid"), entry.previous.get("msgid_plural"))
                               if text is not None]


# -- writing -------------------------------------------------------------------------------------

def dump_catalog(catalog: Catalog, name: str = "catalog") -> bytes:
    """The PO text of a catalog: Babel's, unwrapped, plus what Babel leaves out.

    Babel wraps ``#| msgid`` comments mid-string (GNU gettext and Poedit misread them)
    and writes obsolete entries without their flags or previous msgid, so a fuzzy entry
    gone obsolete would come back looking current. Both are added here, as GNU
    msgmerge writes them: ``#| msgid`` on fuzzy entries; ``#, fuzzy`` and ``#~| msgid``
    on obsolete ones.
    """
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, include_previous=False, sort_output=False)
    text = buf.getvalue().decode("utf-8")
    inserts: dict[int, list[str]] = {}
    added = any(m.fuzzy and m.previous_id for m in catalog) or any(
        m.flags or (m.fuzzy and m.previous_id) for m in catalog.obsolete.values())
    for entry in scan(text, name).entries if added else ():  # most catalogs: nothing to add, no scan
        key = babel_key(entry.msgid or "", entry.msgctxt)
        message = catalog.obsolete.get(key) if entry.obsolete else catalog.get(entry.msgid or "", entry.msgctxt)
        if message is None:
            continue
        lines = []
        if entry.obsolete and message.flags:
            lines.append("#" + ", ".join(["", *sorted(message.flags)]))
        if message.fuzzy and message.previous_id:
            prefix = "#~|" if entry.obsolete else "#|"
            lines += [f"{prefix} {word} {escape(text)}" for word, text in zip(("msgid", "msgid_plural"),
                                                                                message.previous_id, strict=False)]
        if lines:
            inserts[entry.line] = lines
    out = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        out += inserts.get(lineno, [])
        out.append(line)
    # one newline at the end, as GNU msgmerge and Poedit write it (Babel adds a blank line)
    return ("\n".join(out).rstrip("\n") + "\n").encode("utf-8")
