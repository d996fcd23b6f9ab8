"""Load and validate a leaflet source (YAML) into a :class:`~leafletgen.content.model.Leaflet`.

Validation walks the YAML node tree (not plain dicts) so every problem can name its
field path and line, and collects every problem before failing once.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from leafletgen.content.model import (
    QA,
    Block,
    Bullets,
    Leaflet,
    Meta,
    Paragraph,
    Section,
    Source,
    Steps,
    Subheading,
    Table,
    Text,
    control_characters_reason,
)
from leafletgen.errors import LeafletError, Problem, SourceError
from leafletgen.files import read_regular_file

MAX_SOURCE_BYTES = 1_000_000
FORMAT_VERSION = 1
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster, same nodes and marks
_BLOCK_KINDS = ("paragraph", "subheading", "bullets", "steps", "qa", "table")
MAX_DEPTH = 32  # a leaflet nests 9 deep (sections > blocks > table > rows > cell); libyaml allows 1000
MAX_NODES = 100_000  # the real leaflet has ~1,500; 1 MB of '[a,a,...' would be 500,000 (1 s, 150 MB)
_MAX_DIGITS = 9  # whole numbers up to 999,999,999: int() of a long digit string is slow, then refused
#: Characters YAML 1.1 does not allow in a stream (what PyYAML's reader refuses, in a two-line message).
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DECIMAL = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_KEY = re.compile(r"[\w.-]{1,60}")
_T = "tag:yaml.org,2002:"
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def load_leaflet(path: Path, *, display_name: str | None = None) -> Leaflet:
    """Read ``path`` and return the validated leaflet, or raise :class:`SourceError`."""
    name = display_name or str(path)
    return _parsed(read_source(path, name), name, path.stem)


def read_source(path: Path, name: str, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit``, or a one-line SourceError."""
    try:
        return read_regular_file(path, name, limit)
    except LeafletError as exc:
        raise SourceError(exc.problems) from None


def decode_source(data: bytes, name: str) -> str:
    """UTF-8 text (a leading UTF-8 byte order mark is dropped), or a one-line SourceError."""
    if data.startswith(_UTF16_32_BOMS):
        raise SourceError(Problem(name, "byte 0", "UTF-16 or UTF-32 text (byte order mark): save it as UTF-8"))
    skip = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(Problem(name, f"byte {exc.start + skip}", "not valid UTF-8")) from None


@lru_cache(maxsize=32)
def _parsed(data: bytes, name: str, expected_id: str) -> Leaflet:
    """Parsing is keyed by the file's bytes: a process reads a leaflet again for free (render
    workers, the server) and never keeps an outdated one. Leaflets are immutable."""
    return parse_leaflet(data, name, expected_id=expected_id)


def parse_leaflet(data: bytes | str, name: str, *, expected_id: str | None = None) -> Leaflet:
    """Parse and validate leaflet YAML held in memory."""
    root = compose_yaml(decode_source(data, name) if isinstance(data, bytes) else data, name)
    checker = Checker(name)
    leaflet = checker.leaflet(root, expected_id)
    if checker.problems or leaflet is None:
        raise SourceError(checker.problems)
    return leaflet


def compose_yaml(data: str, name: str, what: str = "leaflet sources") -> Node | None:
    """The YAML node tree (with line marks), or a one-line SourceError naming line and column.

    The parser's events are screened first (no recursion, nothing built): one document, at
    most MAX_DEPTH deep and MAX_NODES values, and no anchors, aliases or explicit tags. A
    source has no use for them; an alias shares a node, so a walker or converter could expand
    a "billion laughs" or loop on ``&a [*a]``, and a tag (``!!python/object``, ``!!int abc``,
    ``!custom``) asks for a conversion. Merge keys need an alias, or are a non-string key.
    """
    bad = _NOT_YAML.search(data)
    if bad:
        pos, hint = bad.start(), " (a UTF-16 file? save it as UTF-8)" if bad.group() == "\0" else ""
        where = f"line {data.count(chr(10), 0, pos) + 1}, column {pos - data.rfind(chr(10), 0, pos)}"
        raise SourceError(Problem(name, where, f"character U+{ord(bad.group()):04X} is not allowed{hint}"))
    try:
        _screen(data, name, what)
        return yaml.compose(data, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = " ".join(str(getattr(exc, "problem", None) or exc).split())[:200]  # one line
        raise SourceError(Problem(name, _at(mark) if mark else "", f"invalid YAML: {reason}")) from None


def _screen(data: str, name: str, what: str) -> None:
    depth = values = documents = 0
    for event in yaml.parse(data, Loader=_LOADER):
        if isinstance(event, ev.DocumentStartEvent):
            documents += 1
            reason = "a second YAML document ('---'): the file must hold exactly one" if documents > 1 else ""
        elif isinstance(event, ev.AliasEvent):
            reason = f"YAML aliases are not allowed in {what}"
        elif isinstance(event, ev.NodeEvent) and event.anchor is not None:
            reason = f"YAML anchors are not allowed in {what}"
        elif isinstance(event, (ev.ScalarEvent, ev.CollectionStartEvent)) and event.tag is not None:
            reason = f"YAML tags are not allowed in {what} (found {_short(event.tag.replace(_T, '!!', 1))})"
        else:
            depth += isinstance(event, ev.CollectionStartEvent) - isinstance(event, ev.CollectionEndEvent)
            values += isinstance(event, ev.NodeEvent)
            reason = (f"too complex: nested more than {MAX_DEPTH} deep" if depth > MAX_DEPTH
                      else f"too complex: more than {MAX_NODES} values" if values > MAX_NODES else "")
        if reason:
            raise SourceError(Problem(name, _at(event.start_mark), reason))


def _at(mark: Any) -> str:  # a yaml.Mark, or libyaml's
    return f"line {mark.line + 1}, column {mark.column + 1}"


class Checker:
    """Turns YAML nodes into model objects, recording a Problem for everything wrong.

    The primitive checks (mapping, string, ...) serve any YAML input (see pharmacy.py).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.ids: dict[str, int] = {}

    def fail(self, path: str, reason: str) -> None:
        self.problems.append(Problem(self.name, path or "(top level)", reason))

    # -- primitive shapes -------------------------------------------------------------

    def mapping(self, node: Node | None, path: str, required: tuple[str, ...],
                optional: tuple[str, ...] = ()) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.fail(path, f"must be a mapping, got {_kind(node)}")
            return None
        out: dict[str, Node] = {}
        for key_node, value in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != _T + "str":
                self.fail(path, f"line {key_node.start_mark.line + 1}: keys must be strings, got {_kind(key_node)}")
                continue
            key = key_node.value
            where = _join(path, key)
            if key in out:
                self.fail(where, "duplicate key")
            elif key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                self.fail(where, f"unknown key (allowed: {allowed})")
            else:
                out[key] = value
        for key in required:
            if key not in out:
                self.fail(_join(path, key), "missing")
        return out

    def sequence(self, node: Node | None, path: str, *, non_empty: bool = True) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(path, f"must be a list, got {_kind(node)}")
            return []
        if non_empty and not node.value:
            self.fail(path, "must not be empty")
        return list(node.value)

    def string(self, node: Node | None, path: str, *, allow_empty: bool = False, screen: bool = True
               ) -> str | None:
        """A string scalar. ``screen``: refuse control characters and characters that can reorder
        or hide text on paper (model.control_characters_reason), in every field, printed or not."""
        if not isinstance(node, ScalarNode) or node.tag == _T + "null":
            self.fail(path, f"must be a string, got {_kind(node)}")
            return None
        value = str(node.value).strip()
        if not value and not allow_empty:
            self.fail(path, "must not be empty")
            return None
        reason = control_characters_reason(value) if screen else None
        if reason:
            self.fail(path, reason)
            return None
        return value

    def integer(self, node: Node | None, path: str) -> int | None:
        """Plain decimal digits only (not YAML 1.1's 0x1f, 0o17, 017, 1_000, 1:30), converted
        without re-parsing: a tagged or huge scalar cannot reach a converter."""
        if isinstance(node, ScalarNode) and node.tag == _T + "int" and _DECIMAL.fullmatch(node.value):
            if len(node.value) > _MAX_DIGITS:
                self.fail(path, f"too large a number (at most {_MAX_DIGITS} digits), got {_describe(node)}")
                return None
            if int(node.value) >= 1:
                return int(node.value)
        self.fail(path, f"must be a whole number of at least 1, got {_describe(node)}")
        return None

    def boolean(self, node: Node | None, path: str) -> bool:
        if isinstance(node, ScalarNode) and node.tag == _T + "bool":  # true/false/yes/no/on/off, any case
            return node.value.lower() in ("true", "yes", "on")
        self.fail(path, f"must be true or false, got {_describe(node)}")
        return False

    def day(self, node: Node | None, path: str) -> date | None:
        if isinstance(node, ScalarNode) and _DATE.fullmatch(node.value):
            try:
                return date.fromisoformat(node.value)
            except ValueError:  # 2026-13-45
                pass
        self.fail(path, f"must be a date YYYY-MM-DD, got {_describe(node)}")
        return None

    def ident(self, node: Node | None, path: str) -> str | None:
        value = self.string(node, path)
        if value is not None and not _ID.match(value):
            self.fail(path, f"invalid id {_short(value)}: use lowercase letters, digits, '.', '-', '_'")
            return None
        return value

    # -- leaflet parts ----------------------------------------------------------------

    def text(self, node: Node | None, path: str) -> Text | None:
        fields = self.mapping(node, path, ("id", "text"), ("note",))
        if fields is None:
            return None
        ident = self.ident(fields.get("id"), _join(path, "id")) if "id" in fields else None
        body = self.string(fields.get("text"), _join(path, "text")) if "text" in fields else None
        note = self.string(fields["note"], _join(path, "note")) if "note" in fields else ""
        if body is not None and body.count("**") % 2:
            self.fail(_join(path, "text"), "unbalanced '**' (bold markup must open and close)")
        if ident is not None:
            assert node is not None
            line = node.start_mark.line + 1
            if ident in self.ids:
                self.fail(_join(path, "id"), f"duplicate id {_short(ident)} (first at line {self.ids[ident]})")
            else:
                self.ids[ident] = line
        if ident is None or body is None:
            return None
        return Text(ident, body, note or "", node.start_mark.line + 1 if node else 0)

    def texts(self, node: Node | None, path: str) -> tuple[Text, ...]:
        items = [self.text(n, f"{path}[{i}]") for i, n in enumerate(self.sequence(node, path))]
        return tuple(t for t in items if t is not None)

    def block(self, node: Node | None, path: str) -> Block | None:
        if not isinstance(node, MappingNode) or len(node.value) != 1 or not isinstance(node.value[0][0], ScalarNode):
            self.fail(path, f"must be a mapping with exactly one of: {', '.join(_BLOCK_KINDS)}")
            return None
        key_node, value = node.value[0]
        kind = key_node.value
        where = _join(path, kind)
        if kind == "paragraph":
            t = self.text(value, where)
            return Paragraph(t) if t else None
        if kind == "subheading":
            t = self.text(value, where)
            return Subheading(t) if t else None
        if kind == "bullets":
            return Bullets(self.texts(value, where))
        if kind == "steps":
            return Steps(self.texts(value, where))
        if kind == "qa":
            f = self.mapping(value, where, ("question", "answer"))
            if f is None:
                return None
            q = self.text(f.get("question"), _join(where, "question")) if "question" in f else None
            a = self.text(f.get("answer"), _join(where, "answer")) if "answer" in f else None
            return QA(q, a) if q and a else None
        if kind == "table":
            return self.table(value, where)
        self.fail(where, f"unknown block kind (allowed: {', '.join(_BLOCK_KINDS)})")
        return None

    def table(self, node: Node, path: str) -> Table | None:
        f = self.mapping(node, path, ("caption", "header", "rows"))
        if f is None:
            return None
        caption = self.text(f.get("caption"), _join(path, "caption")) if "caption" in f else None
        header = self.texts(f.get("header"), _join(path, "header")) if "header" in f else ()
        rows: list[tuple[Text, ...]] = []
        for i, row_node in enumerate(self.sequence(f.get("rows"), _join(path, "rows")) if "rows" in f else []):
            where = f"{_join(path, 'rows')}[{i}]"
            row = self.texts(row_node, where)
            if header and isinstance(row_node, SequenceNode) and len(row_node.value) != len(header):
                self.fail(where, f"has {len(row_node.value)} cells, the header has {len(header)}")
            rows.append(row)
        if caption is None or not header:
            return None
        return Table(caption, header, tuple(rows))

    def section(self, node: Node | None, path: str, *, key_warning: bool = False) -> Section | None:
        required = ("heading", "blocks") if key_warning else ("id", "heading", "blocks")
        optional = () if key_warning else ("safety_critical",)
        f = self.mapping(node, path, required, optional)
        if f is None:
            return None
        ident = "key-warning" if key_warning else (self.ident(f["id"], _join(path, "id")) if "id" in f else None)
        heading = self.text(f.get("heading"), _join(path, "heading")) if "heading" in f else None
        critical = key_warning or (
            self.boolean(f["safety_critical"], _join(path, "safety_critical")) if "safety_critical" in f else False
        )
        block_nodes = self.sequence(f.get("blocks"), _join(path, "blocks")) if "blocks" in f else []
        blocks = [self.block(n, f"{_join(path, 'blocks')}[{i}]") for i, n in enumerate(block_nodes)]
        if ident is None or heading is None:
            return None
        return Section(ident, heading, tuple(b for b in blocks if b is not None), critical)

    def meta(self, node: Node | None, path: str) -> Meta | None:
        f = self.mapping(node, path, ("inn", "strength", "dosage_form", "brands", "revision", "revision_date"),
                         ("sources",))
        if f is None:
            return None
        inn = self.text(f.get("inn"), _join(path, "inn")) if "inn" in f else None
        strength = self.string(f.get("strength"), _join(path, "strength")) if "strength" in f else None
        form = self.text(f.get("dosage_form"), _join(path, "dosage_form")) if "dosage_form" in f else None
        brands: list[str] = []
        if "brands" in f:
            for i, n in enumerate(self.sequence(f["brands"], _join(path, "brands"), non_empty=False)):
                b = self.string(n, f"{_join(path, 'brands')}[{i}]")
                if b:
                    brands.append(b)
        revision = self.integer(f.get("revision"), _join(path, "revision")) if "revision" in f else None
        when = self.day(f.get("revision_date"), _join(path, "revision_date")) if "revision_date" in f else None
        sources: list[Source] = []
        if "sources" in f:
            for i, n in enumerate(self.sequence(f["sources"], _join(path, "sources"))):
                where = f"{_join(path, 'sources')}[{i}]"
                sf = self.mapping(n, where, ("name",), ("note",))
                if sf is None:
                    continue
                src_name = self.string(sf.get("name"), _join(where, "name")) if "name" in sf else None
                note = self.string(sf["note"], _join(where, "note")) if "note" in sf else ""
                if src_name:
                    sources.append(Source(src_name, note or ""))
        if None in (inn, strength, form, revision, when):
            return None
        return Meta(inn, strength, form, tuple(brands), revision, when, tuple(sources))  # type: ignore[arg-type]

    def leaflet(self, root: Node | None, expected_id: str | None) -> Leaflet | None:
        if root is None:
            self.fail("", "the file is empty")
            return None
        f = self.mapping(root, "", ("format", "id", "meta", "title", "subtitle", "key_warning", "sections"))
        if f is None:
            return None
        if "format" in f:
            version = self.integer(f["format"], "format")
            if version is not None and version != FORMAT_VERSION:
                self.fail("format", f"unsupported format {version} (this version reads {FORMAT_VERSION})")
        ident = self.ident(f["id"], "id") if "id" in f else None
        if ident and expected_id and ident != expected_id:
            self.fail("id", f"must match the file name ({expected_id!r}), got {_short(ident)}")
        meta = self.meta(f.get("meta"), "meta") if "meta" in f else None
        title = self.text(f.get("title"), "title") if "title" in f else None
        subtitle = self.text(f.get("subtitle"), "subtitle") if "subtitle" in f else None
        key = self.section(f.get("key_warning"), "key_warning", key_warning=True) if "key_warning" in f else None
        sections: list[Section] = []
        section_ids: set[str] = set()
        for i, n in enumerate(self.sequence(f.get("sections"), "sections") if "sections" in f else []):
            s = self.section(n, f"sections[{i}]")
            if s is None:
                continue
            if s.id in section_ids:
                self.fail(f"sections[{i}].id", f"duplicate section id {_short(s.id)}")
            section_ids.add(s.id)
            sections.append(s)
        if sections and not any(s.safety_critical for s in sections):
            self.fail("sections", "no safety-critical section: mark the warnings with safety_critical: true")
        if None in (ident, meta, title, subtitle, key):
            return None
        return Leaflet(ident, self.name, meta, title, subtitle, key, tuple(sections))  # type: ignore[arg-type]


def _join(path: str, key: str) -> str:
    """``path.key``; a key that is not a short plain name is quoted and cut, so it stays one line."""
    key = key if _PLAIN_KEY.fullmatch(key) else _short(key)
    return f"{path}.{key}" if path else key


def _short(text: str, limit: int = 60) -> str:
    """repr(text), cut to about ``limit`` characters: one line, however long or odd the text."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def _kind(node: Node | None) -> str:
    if node is None:
        return "nothing"
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    return {"null": "nothing", "str": "a string", "int": "a number", "float": "a number",
            "bool": "true/false", "timestamp": "a date", "merge": "a merge key ('<<')"}.get(tag, f"a YAML {tag}")


def _describe(node: Node | None) -> str:
    if isinstance(node, ScalarNode) and node.value != "":
        return _short(node.value)
    return _kind(node)


__all__ = ["MAX_SOURCE_BYTES", "compose_yaml", "decode_source", "load_leaflet", "parse_leaflet", "read_source"]
