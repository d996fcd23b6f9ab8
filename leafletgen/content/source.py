"""Load and validate a leaflet source (YAML) into a :class:`~leafletgen.content.model.Leaflet`.

Validation walks the YAML node tree (not plain dicts) so every problem can name its
field path and line, and collects every problem before failing once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

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
        raise SourceError(checker.problems)
    return leaflet


class Checker(NodeChecker):
    """Turns a leaflet's YAML nodes into model objects, recording a Problem for everything wrong."""

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
        """One block: a mapping with one key, a kind's name; its kind (content/blocks.py) reads the value."""
        allowed = ", ".join(REGISTRY)
        if not isinstance(node, MappingNode) or len(node.value) != 1 or not isinstance(node.value[0][0], ScalarNode):
            self.fail(path, f"must be a mapping with exactly one of: {allowed}")
            return None
        key_node, value = node.value[0]
        where = join(path, key_node.value)
        kind = REGISTRY.get(key_node.value)
        if kind is None:
            self.fail(where, f"unknown block kind (allowed: {allowed})")
            return None
        return kind.read(self, value, where)

    def section(self, node: Node | None, path: str, *, key_warning: bool = False) -> Section | None:
        required = ("heading", "blocks") if key_warning else ("id", "heading", "blocks")
        optional = () if key_warning else ("safety_critical",)
        f = self.mapping(node, path, required, optional)
        if f is None:
            return None
        ident = "key-warning" if key_warning else (self.ident(f["id"], join(path, "id")) if "id" in f else None)
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
        strength = self.string(f.get("strength"), join(path, "strength")) if "strength" in f else None
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
        return Leaflet(ident, self.name, meta, title, subtitle, key, tuple(sections))  # type: ignore[arg-type]


__all__ = ["Checker", "load_leaflet", "parse_leaflet"]
