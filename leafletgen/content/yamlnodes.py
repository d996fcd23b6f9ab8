"""Reading untrusted YAML safely, and checking its nodes: the part of validation any YAML input
(a leaflet source, a pharmacy profile) shares.

A leaflet or profile has no use for anchors, aliases or tags, so they are refused from
the parser's events before any node is built: no expansion (billion laughs), no
self-reference, no RecursionError; nesting and size are bounded. Scalars are converted
without re-parsing YAML. :class:`NodeChecker` records every problem as ``file: path: reason``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from leafletgen.content.model import control_characters_reason
from leafletgen.errors import LeafletError, Problem, SourceError
from leafletgen.files import read_regular_file

MAX_SOURCE_BYTES = 1_000_000
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster, same nodes and marks
MAX_DEPTH = 32  # a leaflet nests 9 deep (sections > blocks > table > rows > cell); libyaml allows 1000
MAX_NODES = 100_000  # the real leaflet has ~1,500; 1 MB of '[a,a,...' would be 500,000 (1 s, 150 MB)
_MAX_DIGITS = 9  # whole numbers up to 999,999,999: int() of a long digit string is slow, then refused
#: Characters YAML 1.1 does not allow in a stream (what PyYAML's reader refuses, in a two-line message).
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DECIMAL = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_KEY = re.compile(r"[\w.-]{1,60}")
TAG = "tag:yaml.org,2002:"
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")



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
            reason = f"YAML tags are not allowed in {what} (found {short(event.tag.replace(TAG, '!!', 1))})"
        else:
            depth += isinstance(event, ev.CollectionStartEvent) - isinstance(event, ev.CollectionEndEvent)
            values += isinstance(event, ev.NodeEvent)
            reason = (f"too complex: nested more than {MAX_DEPTH} deep" if depth > MAX_DEPTH
                      else f"too complex: more than {MAX_NODES} values" if values > MAX_NODES else "")
        if reason:
            raise SourceError(Problem(name, _at(event.start_mark), reason))


def _at(mark: Any) -> str:  # a yaml.Mark, or libyaml's
    return f"line {mark.line + 1}, column {mark.column + 1}"


class NodeChecker:
    """Checks YAML nodes of any input, recording a Problem for everything wrong (every problem,
    then one failure); the leaflet's own parts are in source.py's Checker."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.ids: dict[str, int] = {}
        #: The line of every node visited, by its path: a problem names the line of its field, or of
        #: the nearest enclosing one (a missing key: the mapping that lacks it).
        self.lines: dict[str, int] = {}

    def fail(self, path: str, reason: str, line: int = 0) -> None:
        self.problems.append(Problem(self.name, path or "(top level)", reason, line or self.line_of(path)))

    def line_of(self, path: str) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.lines.get("", 0)

    def visit(self, node: Node | None, path: str) -> None:
        if node is not None:
            self.lines.setdefault(path, node.start_mark.line + 1)

    # -- primitive shapes -------------------------------------------------------------

    def mapping(self, node: Node | None, path: str, required: tuple[str, ...],
                optional: tuple[str, ...] = ()) -> dict[str, Node] | None:
        self.visit(node, path)
        if not isinstance(node, MappingNode):
            self.fail(path, f"must be a mapping, got {kind_of(node)}")
            return None
        out: dict[str, Node] = {}
        for key_node, value in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != TAG + "str":
                self.fail(path, f"keys must be strings, got {kind_of(key_node)}", key_node.start_mark.line + 1)
                continue
            key = key_node.value
            where = join(path, key)
            self.visit(value, where)
            if key in out:
                self.fail(where, "duplicate key")
            elif key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                self.fail(where, f"unknown key (allowed: {allowed})")
            else:
                out[key] = value
        for key in required:
            if key not in out:
                self.fail(join(path, key), "missing")
        return out

    def sequence(self, node: Node | None, path: str, *, non_empty: bool = True) -> list[Node]:
        self.visit(node, path)
        if not isinstance(node, SequenceNode):
            self.fail(path, f"must be a list, got {kind_of(node)}")
            return []
        if non_empty and not node.value:
            self.fail(path, "must not be empty")
        for i, item in enumerate(node.value):
            self.visit(item, f"{path}[{i}]")
        return list(node.value)

    def string(self, node: Node | None, path: str, *, allow_empty: bool = False, screen: bool = True
               ) -> str | None:
        """A string scalar. ``screen``: refuse control characters and characters that can reorder
        or hide text on paper (model.control_characters_reason), in every field, printed or not."""
        if not isinstance(node, ScalarNode) or node.tag == TAG + "null":
            self.fail(path, f"must be a string, got {kind_of(node)}")
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
        if isinstance(node, ScalarNode) and node.tag == TAG + "int" and _DECIMAL.fullmatch(node.value):
            if len(node.value) > _MAX_DIGITS:
                self.fail(path, f"too large a number (at most {_MAX_DIGITS} digits), got {describe(node)}")
                return None
            if int(node.value) >= 1:
                return int(node.value)
        self.fail(path, f"must be a whole number of at least 1, got {describe(node)}")
        return None

    def boolean(self, node: Node | None, path: str) -> bool:
        if isinstance(node, ScalarNode) and node.tag == TAG + "bool":  # true/false/yes/no/on/off, any case
            return node.value.lower() in ("true", "yes", "on")
        self.fail(path, f"must be true or false, got {describe(node)}")
        return False

    def day(self, node: Node | None, path: str) -> date | None:
        if isinstance(node, ScalarNode) and _DATE.fullmatch(node.value):
            try:
                return date.fromisoformat(node.value)
            except ValueError:  # 2026-13-45
                pass
        self.fail(path, f"must be a date YYYY-MM-DD, got {describe(node)}")
        return None

    def ident(self, node: Node | None, path: str) -> str | None:
        value = self.string(node, path)
        if value is not None and not ID_PATTERN.match(value):
            self.fail(path, f"invalid id {short(value)}: use lowercase letters, digits, '.', '-', '_'")
            return None
        return value


def join(path: str, key: str) -> str:
    """``path.key``; a key that is not a short plain name is quoted and cut, so it stays one line."""
    key = key if _PLAIN_KEY.fullmatch(key) else short(key)
    return f"{path}.{key}" if path else key


def short(text: str, limit: int = 60) -> str:
    """repr(text), cut to about ``limit`` characters: one line, however long or odd the text."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def kind_of(node: Node | None) -> str:
    if node is None:
        return "nothing"
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    return {"null": "nothing", "str": "a string", "int": "a number", "float": "a number",
            "bool": "true/false", "timestamp": "a date", "merge": "a merge key ('<<')"}.get(tag, f"a YAML {tag}")


def describe(node: Node | None) -> str:
    if isinstance(node, ScalarNode) and node.value != "":
        return short(node.value)
    return kind_of(node)
