"""Professional review, bound to the content that was reviewed.

A review record says who reviewed one *unit* (one leaflet in one locale: the leaflet's
domain plus the ``templates`` strings it prints), when (UTC date), at which leaflet
revision, and which text they saw: per message a hash of (msgctxt, msgid, msgstr).

"Reviewed" is never a stored flag. It is computed: a message is reviewed when some
record holds the hash of its current text; a unit is reviewed when every message it
prints is. Change a translation or its English after the review and the unit is
stale until it is reviewed again.

Records live outside the PO files, so no PO tool's save can drop them::

    locales/<locale>/reviews/<leaflet-id>.json

one file per unit (one review act), JSON with sorted keys and indent, one message per
line. Reviews of different leaflets never touch the same file (no merge conflicts);
``--undo`` deletes one file. The record of leaflet A covers A's messages; template
strings are covered by the ``templates`` section of *any* record of the locale, since
the same template text is printed on every leaflet.

Reading never raises: a record that cannot be read or parsed counts as no record, and
its one-line reason is reported by ``leafletgen status``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from babel.messages.catalog import Catalog

from leafletgen.content.model import Leaflet
from leafletgen.files import atomic_write_bytes
from leafletgen.runtime import now
from leafletgen.translate.catalogs import SOURCE_LOCALE, TEMPLATES_DOMAIN
from leafletgen.translate.checks import by_context
from leafletgen.translate.gate import Status

FORMAT = 1
REVIEWS_DIR = "reviews"
MAX_NAME_LENGTH = 80
HASH_LENGTH = 16
_HASH = re.compile(rf"[0-9a-f]{{{HASH_LENGTH}}}")
_KEYS = frozenset({"format", "locale", "leaflet", "by", "date", "leaflet_revision", "leaflet_revision_date",
                   "messages"})
#: Characters a reviewer's name may not hold: controls (C0, DEL, C1), format characters
#: (bidi controls, zero-width marks), surrogates and line or paragraph separators.
_BAD_NAME_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_CONTROL_NAMES = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x85": "NEXT LINE", "\x00": "NULL"}

REVIEWED = "reviewed"
NOT_REVIEWED = "not reviewed"
STALE = "stale"
INVALID = "invalid"


def message_hash(msgctxt: str, msgid: str | tuple[str, ...], msgstr: str | tuple[str, ...]) -> str:
    """First 16 hex digits of sha256(msgctxt NUL msgid NUL msgstr); plural forms are NUL-joined too."""
    ids = [msgid] if isinstance(msgid, str) else list(msgid)
    strs = [msgstr] if isinstance(msgstr, str) else list(msgstr)
    joined = "\0".join([msgctxt, *ids, *strs])
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def current_hashes(catalog: Catalog | None, expected: Mapping[str, str]) -> dict[str, str | None]:
    """msgctxt -> hash of the text that would be printed now, or None when it would not
    be printed as reviewed (missing, empty, fuzzy, or translated from other English)."""
    index = by_context(catalog)
    out: dict[str, str | None] = {}
    for ctxt, english in expected.items():
        message = index.get(ctxt)
        if message is None or not message.string or message.fuzzy or message.id != english:
            out[ctxt] = None
        elif isinstance(message.string, str):
            out[ctxt] = message_hash(ctxt, english, message.string)
        else:
            out[ctxt] = None if not all(message.string) else message_hash(ctxt, message.id, tuple(message.string))
    return out


# -- the record -------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewRecord:
    """One review of one unit. Shared between callers (cached): never change it."""

    locale: str
    leaflet: str
    by: str
    date: str
    leaflet_revision: int
    leaflet_revision_date: str
    #: domain -> msgctxt -> message hash
    messages: Mapping[str, Mapping[str, str]]

    def to_json(self) -> bytes:
        data = {"format": FORMAT, "locale": self.locale, "leaflet": self.leaflet, "by": self.by,
                "date": self.date, "leaflet_revision": self.leaflet_revision,
                "leaflet_revision_date": self.leaflet_revision_date,
                "messages": {domain: dict(hashes) for domain, hashes in self.messages.items()}}
        return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


class RecordProblem(str):
    """Why a record file is not usable (a one-line reason)."""


def record_path(locales_dir: Path, locale: str, leaflet_id: str) -> Path:
    return locales_dir / locale / REVIEWS_DIR / f"{leaflet_id}.json"


def new_record(locale: str, leaflet: Leaflet, by: str, hashes: Mapping[str, Mapping[str, str | None]]
               ) -> ReviewRecord:
    """The record of a review happening now; ``hashes`` as from :func:`current_hashes`, all set."""
    messages = {domain: {ctxt: h for ctxt, h in domain_hashes.items() if h is not None}
                for domain, domain_hashes in hashes.items()}
    return ReviewRecord(locale, leaflet.id, by, now().date().isoformat(), leaflet.meta.revision,
                        leaflet.meta.revision_date.isoformat(), messages)


def write_record(path: Path, record: ReviewRecord) -> None:
    atomic_write_bytes(path, record.to_json())


def read_record(path: Path) -> ReviewRecord | RecordProblem | None:
    """The record at ``path``; None when there is none; a :class:`RecordProblem` when it is unusable."""
    try:
        if not path.exists():
            return None
        data = path.read_bytes()
    except OSError as exc:
        return RecordProblem(f"cannot read: {exc.strerror or exc}")
    return parse_record(data)


@lru_cache(maxsize=256)
def parse_record(data: bytes) -> ReviewRecord | RecordProblem:
    """Parse and validate a record file's bytes; cached by content, so it is read once per change."""
    if data.startswith(b"\xef\xbb\xbf"):
        return RecordProblem("starts with a byte order mark (BOM); save as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return RecordProblem(f"line {line}: not valid UTF-8")
    try:
        raw = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        return RecordProblem(f"line {exc.lineno}: not valid JSON ({exc.msg})")
    except _DuplicateKey as exc:
        return RecordProblem(f"key {str(exc)[:60]!r} given twice")
    except (ValueError, RecursionError):
        return RecordProblem("not valid JSON")
    return _validate(raw)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _validate(raw: object) -> ReviewRecord | RecordProblem:
    if not isinstance(raw, dict):
        return RecordProblem("not a review record (expected a JSON object)")
    if raw.get("format") != FORMAT or isinstance(raw.get("format"), bool):
        return RecordProblem(f"unknown record format {str(raw.get('format'))[:20]!r} (expected {FORMAT})")
    if set(raw) != _KEYS:
        missing, unknown = sorted(_KEYS - set(raw)), sorted(set(raw) - _KEYS)
        return RecordProblem("; ".join(p for p in (f"missing {', '.join(missing)}" if missing else "",
                                                     f"unknown key {', '.join(unknown)[:60]}" if unknown else "")
                                       if p))
    for key in ("locale", "leaflet", "date", "leaflet_revision_date"):
        if not isinstance(raw[key], str) or not raw[key]:
            return RecordProblem(f"{key}: must be a non-empty string")
    for key in ("date", "leaflet_revision_date"):
        try:
            date.fromisoformat(raw[key])
        except ValueError:
            return RecordProblem(f"{key}: not a date (YYYY-MM-DD): {raw[key][:30]!r}")
    by = raw["by"]
    reason = name_problem(by) if isinstance(by, str) else "must be a string"
    if reason:
        return RecordProblem(f"by: {reason}")
    revision = raw["leaflet_revision"]
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        return RecordProblem("leaflet_revision: must be a whole number of at least 1")
    messages = raw["messages"]
    if not isinstance(messages, dict):
        return RecordProblem("messages: must be an object of domains")
    frozen: dict[str, Mapping[str, str]] = {}
    for domain, hashes in messages.items():
        if not isinstance(hashes, dict):
            return RecordProblem(f"messages.{domain[:40]}: must be an object of msgctxt -> hash")
        for ctxt, value in hashes.items():
            if not isinstance(value, str) or not _HASH.fullmatch(value):
                return RecordProblem(f"messages.{domain[:40]}.{ctxt[:40]}: not a {HASH_LENGTH}-digit hex hash")
        frozen[domain] = MappingProxyType(dict(hashes))
    return ReviewRecord(raw["locale"], raw["leaflet"], by, raw["date"], revision, raw["leaflet_revision_date"],
                        MappingProxyType(frozen))


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be recorded as a reviewer's name, or None when it can."""
    if not name.strip():
        return "the reviewer's name is empty"
    if len(name.strip()) > MAX_NAME_LENGTH:
        return f"the reviewer's name is {len(name.strip())} characters long (at most {MAX_NAME_LENGTH})"
    bad = sorted({c for c in name if unicodedata.category(c) in _BAD_NAME_CATEGORIES})
    if bad:
        shown = ", ".join(f"U+{ord(c):04X} ({unicodedata.name(c, _CONTROL_NAMES.get(c, 'CONTROL'))})"
                          for c in bad[:5])
        return f"the reviewer's name contains {shown}; give the name on one line, without control characters"
    return None


def clean_name(name: str) -> str:
    """The name as recorded: NFC, surrounding spaces removed (check it with :func:`name_problem`)."""
    return unicodedata.normalize("NFC", name.strip())


# -- the computed state -------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewState:
    state: str                     # REVIEWED, NOT_REVIEWED, STALE or INVALID
    changed: int = 0               # messages printed now that no record covers at their current text
    problem: str = ""              # why a record file was unusable, "<file>: <reason>"
    by: str = ""
    date: str = ""

    @property
    def reviewed(self) -> bool:
        return self.state == REVIEWED

    @property
    def label(self) -> str:
        if self.state == STALE:
            return f"stale ({self.changed} changed)"
        return "invalid record" if self.state == INVALID else self.state


_SOURCE = ReviewState(REVIEWED, by="source language")


def _locale_records(locales_dir: Path, locale: str) -> list[tuple[Path, ReviewRecord | RecordProblem]]:
    try:
        paths = sorted((locales_dir / locale / REVIEWS_DIR).glob("*.json"))
    except OSError:
        return []
    found = [(path, read_record(path)) for path in paths]
    return [(path, record) for path, record in found if record is not None]


def _safe_name(domain: str) -> bool:
    return bool(domain) and not domain.startswith(".") and "/" not in domain and "\\" not in domain


def domain_state(locales_dir: Path, locale: str, domain: str, catalog: Catalog | None,
                 expected: Mapping[str, str]) -> ReviewState:
    """The review state of one domain of a unit: a leaflet's own messages, or the template strings."""
    if locale == SOURCE_LOCALE:
        return _SOURCE
    if domain == TEMPLATES_DOMAIN:
        found = _locale_records(locales_dir, locale)
        records = [r for _p, r in found if isinstance(r, ReviewRecord) and r.locale == locale]
        problems = [f"{_shown(locales_dir, p)}: {r}" for p, r in found if isinstance(r, RecordProblem)]
    else:
        path = record_path(locales_dir, locale, domain)
        record = read_record(path) if _safe_name(domain) else None
        if isinstance(record, ReviewRecord) and (record.locale != locale or record.leaflet != domain):
            record = RecordProblem(f"is the record of {record.leaflet[:40]!r} in {record.locale[:20]!r}")
        records = [record] if isinstance(record, ReviewRecord) else []
        problems = [f"{_shown(locales_dir, path)}: {record}"] if isinstance(record, RecordProblem) else []
    covered = {(ctxt, h) for r in records for ctxt, h in r.messages.get(domain, {}).items()}
    if not any(domain in r.messages for r in records):
        return ReviewState(INVALID if problems else NOT_REVIEWED, len(expected), "; ".join(problems))
    changed = sum(1 for ctxt, h in current_hashes(catalog, expected).items() if h is None or (ctxt, h) not in covered)
    latest = max(records, key=lambda r: r.date)
    if catalog is None or changed:
        return ReviewState(STALE, max(changed, 1), "; ".join(problems), latest.by, latest.date)
    return ReviewState(REVIEWED, 0, "; ".join(problems), latest.by, latest.date)


def unit_reviewed(locales_dir: Path, locale: str, domain: str, catalog: Catalog | None,
                  expected: dict[str, str]) -> bool:
    """Whether every message of ``domain`` the unit prints has a review record for its current text.

    ``domain`` is the leaflet id (with its catalog and ``expected_messages(leaflet)``) or
    ``templates`` (with the templates catalog and ``template_messages(project)``); a unit
    is reviewed when both are. English is the source and always reviewed. Never raises:
    anything unreadable counts as not reviewed, so the notice is printed.
    """
    try:
        return domain_state(locales_dir, locale, domain, catalog, expected).reviewed
    except Exception:  # a defect here must cost a notice on paper, never the leaflet
        return False


def unit_state(locales_dir: Path, locale: str, leaflet_id: str, catalog: Catalog | None,
               expected: dict[str, str], strings: Catalog | None, template_expected: dict[str, str]
               ) -> ReviewState:
    """The review state of a whole unit: the leaflet's messages and the template strings it prints."""
    own = domain_state(locales_dir, locale, leaflet_id, catalog, expected)
    if locale == SOURCE_LOCALE or own.state in (NOT_REVIEWED, INVALID):
        return own
    shared = domain_state(locales_dir, locale, TEMPLATES_DOMAIN, strings, template_expected)
    if own.reviewed and shared.reviewed:
        return own
    changed = own.changed + (shared.changed if shared.state in (STALE, NOT_REVIEWED) else 0)
    return ReviewState(STALE, max(changed, 1), own.problem, own.by, own.date)


@dataclass(frozen=True)
class UnitStatus(Status):
    """A status row with the computed review state (``reviewed`` is computed too)."""

    review_state: str = NOT_REVIEWED   # reviewed, not reviewed, stale or invalid
    review: str = NOT_REVIEWED         # as shown: "reviewed", "stale (3 changed)", "invalid record" ...
    review_changed: int = 0            # printed messages no record covers at their current text
    review_problem: str = ""           # why a record file is unusable
    reviewed_by: str = ""
    reviewed_on: str = ""


def with_review(status: Status, state: ReviewState) -> UnitStatus:
    base = {f.name: getattr(status, f.name) for f in fields(Status)}
    return UnitStatus(**{**base, "reviewed": state.reviewed}, review_state=state.state, review=state.label,
                      review_changed=state.changed, review_problem=state.problem, reviewed_by=state.by,
                      reviewed_on=state.date)


def _shown(locales_dir: Path, path: Path) -> str:
    try:
        return path.relative_to(locales_dir.parent).as_posix()
    except ValueError:
        return str(path)
