"""Load and validate a leaflet source (YAML) into a :class:`~leafletgen.model.Leaflet`.

Validation walks the YAML node tree (not plain dicts) so every problem can name its
field path and line, and collects every problem before failing once.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Problem, SourceError
from .model import (
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

MAX_SOURCE_BYTES = 1_000_000
FORMAT_VERSION = 1
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster, same nodes and marks
_BLOCK_KINDS = ("paragraph", "subheading", "bullets", "steps", "qa", "table")


def load_leaflet(path: Path, *, display_name: str | None = None) -> Leaflet:
    """Read ``path`` and return the validated leaflet, or raise :class:`SourceError`."""
    name = display_name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise SourceError(Problem(name, "", f"file too large ({size} bytes, limit {MAX_SOURCE_BYTES})"))
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(Problem(name, "", f"cannot read: {exc.strerror}")) from None
    return _parsed(data, name, path.stem)


@lru_cache(maxsize=32)
def _parsed(data: bytes, name: str, expected_id: str) -> Leaflet:
    """Parsing is keyed by the file's bytes: a process reads a leaflet again for free (render
    workers, the server) and never keeps an outdated one. Leaflets are immutable."""
    return parse_leaflet(data, name, expected_id=expected_id)


def parse_leaflet(data: bytes | str, name: str, *, expected_id: str | None = None) -> Leaflet:
    """Parse and validate leaflet YAML held in memory."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(Problem(name, f"byte {exc.start}", "not valid UTF-8")) from None
    root = compose_yaml(data, name)
    checker = Checker(name)
    leaflet = checker.leaflet(root, expected_id)
    if checker.problems or leaflet is None:
        raise SourceError(checker.problems)
    return leaflet


def compose_yaml(data: str, name: str) -> Node | None:
    """The YAML node tree (with line marks), or a one-line SourceError naming line and column."""
    try:
        return yaml.compose(data, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise SourceError(Problem(name, where, f"invalid YAML: {reason}")) from None


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
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.fail(path, f"line {key_node.start_mark.line + 1}: keys must be strings")
                continue
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

    def string(self, node: Node | None, path: str, *, allow_empty: bool = False) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag.endswith((":null", ":map", ":seq")):
            self.fail(path, f"must be a string, got {_kind(node)}")
            return None
        value = str(node.value).strip()
        if not value and not allow_empty:
            self.fail(path, "must not be empty")
            return None
        return value

    def integer(self, node: Node | None, path: str) -> int | None:
        if isinstance(node, ScalarNode) and node.tag.endswith(":int"):
            value = yaml.safe_load(node.value)
            if isinstance(value, int) and value >= 1:
                return value
        self.fail(path, f"must be a whole number of at least 1, got {_describe(node)}")
        return None

    def boolean(self, node: Node | None, path: str) -> bool:
        if isinstance(node, ScalarNode) and node.tag.endswith(":bool"):
            return bool(yaml.safe_load(node.value))
        self.fail(path, f"must be true or false, got {_describe(node)}")
        return False

    def day(self, node: Node | None, path: str) -> date | None:
        if isinstance(node, ScalarNode):
            try:
                return date.fromisoformat(str(node.value))
            except ValueError:
                pass
        self.fail(path, f"must be a date YYYY-MM-DD, got {_describe(node)}")
        return None

    def ident(self, node: Node | None, path: str) -> str | None:
        value = self.string(node, path)
        if value is not None and not _ID.match(value):
            self.fail(path, f"invalid id {value!r}: use lowercase letters, digits, '.', '-', '_'")
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
        controls = control_characters_reason(body or "")
        if controls:
            self.fail(_join(path, "text"), controls)
        if ident is not None:
            assert node is not None
            line = node.start_mark.line + 1
            if ident in self.ids:
                self.fail(_join(path, "id"), f"duplicate id {ident!r} (first at line {self.ids[ident]})")
            else:
                self.ids[ident] = line
        if ident is None or body is None:
            return None
        return Text(ident, body, note or "", node.start_mark.line + 1 if node else 0)

    def texts(self, node: Node | None, path: str) -> tuple[Text, ...]:
        items = [self.text(n, f"{path}[{i}]") for i, n in enumerate(self.sequence(node, path))]
        return tuple(t for t in items if t is not None)

    def block(self, node: Node | None, path: str) -> Block | None:
        if not isinstance(node, MappingNode) or len(node.value) != 1:
            self.fail(path, f"must be a mapping with exactly one of: {', '.join(_BLOCK_KINDS)}")
            return None
        key_node, value = node.value[0]
        kind = key_node.value
        where = _join(path, str(kind))
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
            self.fail("id", f"must match the file name ({expected_id!r}), got {ident!r}")
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
                self.fail(f"sections[{i}].id", f"duplicate section id {s.id!r}")
            section_ids.add(s.id)
            sections.append(s)
        if sections and not any(s.safety_critical for s in sections):
            self.fail("sections", "no safety-critical section: mark the warnings with safety_critical: true")
        if None in (ident, meta, title, subtitle, key):
            return None
        return Leaflet(ident, self.name, meta, title, subtitle, key, tuple(sections))  # type: ignore[arg-type]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(node: Node | None) -> str:
    if node is None:
        return "nothing"
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    return {"null": "nothing", "str": "a string", "int": "a number", "float": "a number",
            "bool": "true/false"}.get(tag, tag)


def _describe(node: Node | None) -> str:
    if isinstance(node, ScalarNode) and node.value != "":
        return repr(node.value)
    return _kind(node)


__all__ = ["MAX_SOURCE_BYTES", "load_leaflet", "parse_leaflet"]
