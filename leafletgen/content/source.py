"""Load and validate a leaflet source (YAML) into a :class:`~leafletgen.content.model.Leaflet`.

Validation walks the YAML node tree (not plain dicts) so every problem can name its
field path and line, and collects every problem before failing once.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from leafletgen.content.blocks import REGISTRY
from leafletgen.content.model import Block, Leaflet, Meta, Section, Source, Text
from leafletgen.content.yamlnodes import (
    NodeChecker,
    compose_yaml,
    decode_source,
    join,
    read_source,
    short,
)
from leafletgen.errors import SourceError

FORMAT_VERSION = 1

#: A leaflet id: the file name, the gettext domain and the output folder. Lowercase letters and digits
#: in words joined by single hyphens, starting with a letter, at most 64 characters ("warfarin",
#: "isotretinoin-20mg"): the same on every file system, in a URL and in a PO header.
LEAFLET_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_LEAFLET_ID = 64
#: Ids a leaflet may not take, with the reason: gettext domains and folders the project already uses.
RESERVED_LEAFLET_IDS = {
    "templates": "the gettext domain of the templates' own strings (locales/templates.pot)",
}
#: Section ids the templates use for their own anchors (a section's anchor is '<id>-<locale>').
RESERVED_SECTION_IDS = {
    "key-warning": "the boxed key warning's anchor",
    "pharmacy": "the pharmacy details' anchor",
}


def leaflet_id_problem(ident: str) -> str | None:
    """Why ``ident`` cannot be a leaflet id (see LEAFLET_ID), or None."""
    if len(ident) > MAX_LEAFLET_ID:
        return f"too long a leaflet id ({len(ident)} characters, at most {MAX_LEAFLET_ID})"
    if not LEAFLET_ID.fullmatch(ident):
        return (f"invalid leaflet id {short(ident)}: lowercase letters and digits in words joined by "
                f"single hyphens, starting with a letter (like 'warfarin' or 'isotretinoin-20mg')")
    if ident in RESERVED_LEAFLET_IDS:
        return f"{short(ident)} is reserved: {RESERVED_LEAFLET_IDS[ident]}"
    return None


def load_leaflet(path: Path, *, display_name: str | None = None) -> Leaflet:
    """Read ``path`` and return the validated leaflet, or raise :class:`SourceError`."""
    name = display_name or str(path)
    return _parsed(read_source(path, name), name, path.stem)


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
        raise SourceError([replace(p, where=checker.shown(p.where)) for p in checker.problems])
    return leaflet


class Checker(NodeChecker):
    """Turns a leaflet's YAML nodes into model objects, recording a Problem for everything wrong."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        #: 'sections[2]' -> its id, so that a problem is shown as 'sections[2] (before).blocks[0]...'.
        self.section_ids: dict[str, str] = {}

    def shown(self, where: str) -> str:
        """A problem's path as the author finds it: a section's index with its id."""
        head, dot, rest = where.partition(".")
        ident = self.section_ids.get(head)
        return f"{head} ({ident}){dot}{rest}" if ident else where

    # -- leaflet parts ----------------------------------------------------------------

    def text(self, node: Node | None, path: str) -> Text | None:
        fields = self.mapping(node, path, ("id", "text"), ("note",))
        if fields is None:
            return None
        ident = self.ident(fields.get("id"), join(path, "id")) if "id" in fields else None
        body = self.string(fields.get("text"), join(path, "text")) if "text" in fields else None
        note = self.string(fields["note"], join(path, "note")) if "note" in fields else ""
        if body is not None and body.count("**") % 2:
            self.fail(join(path, "text"), "unbalanced '**' (bold markup must open and close)")
        if ident is not None:
            assert node is not None
            line = node.start_mark.line + 1
            if ident in self.ids:
                self.fail(join(path, "id"), f"duplicate id {short(ident)} (first at line {self.ids[ident]})")
            else:
                self.ids[ident] = line
        if ident is None or body is None:
            return None
        return Text(ident, body, note or "", node.start_mark.line + 1 if node else 0)

    def texts(self, node: Node | None, path: str) -> tuple[Text, ...]:
        items = [self.text(n, f"{path}[{i}]") for i, n in enumerate(self.sequence(node, path))]
        return tuple(t for t in items if t is not None)

    def block(self, node: Node | None, path: str) -> Block | None:
        """One block: a mapping with one key, a kind's name, whose kind (content/blocks.py) reads the
        value; and optionally ``safety_critical: true`` beside it."""
        allowed = ", ".join(REGISTRY)
        pairs = [(k, v) for k, v in node.value] if isinstance(node, MappingNode) else []
        flag = [(k, v) for k, v in pairs if isinstance(k, ScalarNode) and k.value == "safety_critical"]
        kinds = [(k, v) for k, v in pairs if (k, v) not in flag]
        if not isinstance(node, MappingNode) or len(kinds) != 1 or len(flag) > 1 \
                or not isinstance(kinds[0][0], ScalarNode):
            self.fail(path, f"must be a mapping with exactly one of: {allowed} (and optionally safety_critical)")
            return None
        key_node, value = kinds[0]
        where = join(path, key_node.value)
        self.visit(value, where)
        kind = REGISTRY.get(key_node.value)
        if kind is None:
            self.fail(where, f"unknown block kind (allowed: {allowed})")
            return None
        critical = self.boolean(flag[0][1], join(path, "safety_critical")) if flag else False
        block = kind.read(self, value, where)
        return replace(block, safety_critical=True) if block is not None and critical else block

    def section(self, node: Node | None, path: str, *, key_warning: bool = False) -> Section | None:
        required = ("heading", "blocks") if key_warning else ("id", "heading", "blocks")
        optional = () if key_warning else ("safety_critical",)
        f = self.mapping(node, path, required, optional)
        if f is None:
            return None
        ident = "key-warning" if key_warning else (self.ident(f["id"], join(path, "id")) if "id" in f else None)
        if not key_warning and ident in RESERVED_SECTION_IDS:
            self.fail(join(path, "id"), f"{short(ident)} is reserved: {RESERVED_SECTION_IDS[ident]}")
            ident = None
        elif ident and not key_warning:
            self.section_ids[path] = ident
        heading = self.text(f.get("heading"), join(path, "heading")) if "heading" in f else None
        critical = key_warning or (
            self.boolean(f["safety_critical"], join(path, "safety_critical")) if "safety_critical" in f else False
        )
        block_nodes = self.sequence(f.get("blocks"), join(path, "blocks")) if "blocks" in f else []
        blocks = [self.block(n, f"{join(path, 'blocks')}[{i}]") for i, n in enumerate(block_nodes)]
        if ident is None or heading is None:
            return None
        return Section(ident, heading, tuple(b for b in blocks if b is not None), critical)

    def meta(self, node: Node | None, path: str) -> Meta | None:
        f = self.mapping(node, path, ("inn", "strength", "dosage_form", "brands", "revision", "revision_date"),
                         ("sources",))
        if f is None:
            return None
        inn = self.text(f.get("inn"), join(path, "inn")) if "inn" in f else None
        strengths = self.strengths(f.get("strength"), join(path, "strength")) if "strength" in f else None
        form = self.text(f.get("dosage_form"), join(path, "dosage_form")) if "dosage_form" in f else None
        brands: list[str] = []
        if "brands" in f:
            for i, n in enumerate(self.sequence(f["brands"], join(path, "brands"), non_empty=False)):
                b = self.string(n, f"{join(path, 'brands')}[{i}]")
                if b:
                    brands.append(b)
        revision = self.integer(f.get("revision"), join(path, "revision")) if "revision" in f else None
        when = self.day(f.get("revision_date"), join(path, "revision_date")) if "revision_date" in f else None
        sources: list[Source] = []
        if "sources" in f:
            for i, n in enumerate(self.sequence(f["sources"], join(path, "sources"))):
                where = f"{join(path, 'sources')}[{i}]"
                sf = self.mapping(n, where, ("name",), ("note",))
                if sf is None:
                    continue
                src_name = self.string(sf.get("name"), join(where, "name")) if "name" in sf else None
                note = self.string(sf["note"], join(where, "note")) if "note" in sf else ""
                if src_name:
                    sources.append(Source(src_name, note or ""))
        if None in (inn, strengths, form, revision, when):
            return None
        return Meta(inn, strengths, form, tuple(brands), revision, when, tuple(sources))  # type: ignore[arg-type]

    def strengths(self, node: Node | None, path: str) -> tuple[str, ...] | None:
        """``20 mg``, or a list of them (``[0.5 mg, 1 mg]``) for a leaflet that covers several."""
        nodes = self.sequence(node, path) if isinstance(node, SequenceNode) else [node]
        where = (lambda i: f"{path}[{i}]") if isinstance(node, SequenceNode) else (lambda i: path)
        values = [self.string(n, where(i)) for i, n in enumerate(nodes)]
        for i, value in enumerate(values):
            if value and not _STRENGTH.fullmatch(value):
                self.fail(where(i), f"{short(value)} is not a strength: a number and its unit, "
                                    "like '20 mg' or '0.5 mg'")
                values[i] = None
        return tuple(v for v in values if v) if values and all(values) else None

    def consistent_title(self, title: Text, meta: Meta) -> None:
        """The title names the medicine and every strength the leaflet covers (it is what a
        pharmacist picks the leaflet by; meta is what the masthead prints under it)."""
        plain = " ".join(title.text.split()).casefold()
        if meta.inn.text.casefold() not in plain:
            self.fail("title.text", f"does not name the medicine: meta.inn is {short(meta.inn.text)}")
        for strength in meta.strengths:
            if not re.search(rf"(?<![\d.,]){re.escape(' '.join(strength.split()).casefold())}(?![\d])", plain):
                self.fail("title.text", f"does not give the strength {short(strength)} of meta.strength")

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
        ident = self.string(f["id"], "id") if "id" in f else None
        reason = leaflet_id_problem(ident) if ident else None
        if reason:
            self.fail("id", reason)
            ident = None
        if ident and expected_id and ident != expected_id:
            self.fail("id", f"must match the file name ({expected_id!r}), got {short(ident)}")
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
                self.fail(f"sections[{i}].id", f"duplicate section id {short(s.id)}")
            section_ids.add(s.id)
            sections.append(s)
        if sections and not any(s.safety_critical for s in sections):
            self.fail("sections", "no safety-critical section: mark the warnings with safety_critical: true")
        if None in (ident, meta, title, subtitle, key):
            return None
        self.consistent_title(title, meta)  # type: ignore[arg-type]
        return Leaflet(ident, self.name, meta, title, subtitle, key, tuple(sections))  # type: ignore[arg-type]


_STRENGTH = re.compile(r"\d+(?:\.\d+)?(?: ?[a-zA-Zµ%/]+)+")

__all__ = ["LEAFLET_ID", "RESERVED_LEAFLET_IDS", "RESERVED_SECTION_IDS", "Checker", "leaflet_id_problem",
           "load_leaflet", "parse_leaflet"]
