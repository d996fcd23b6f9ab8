"""The block kinds a section is made of: the registry.

Each kind is one :class:`BlockKind` in :data:`REGISTRY`, which says all there is to know
about it apart from its look:

- ``name``: its key in the YAML (``- paragraph: {...}``) and its template,
  ``templates/blocks/<name>.html.j2`` (render/html.py refuses to start without it);
- ``model``: its frozen dataclass, a :class:`~leafletgen.content.model.Block`;
- ``read``: its reader, YAML node -> block, recording every problem with its field path
  (through the :class:`Reader`, which is source.py's Checker);
- ``texts``: the fields that hold its texts, in reading order. Extraction, translation and
  the gate walk a block's texts through this (model.iter_texts, model.map_texts), so a new
  kind's texts are extracted, translated and gated with no other change.

The registry's order is the order of the "exactly one of: ..." and "allowed: ..." messages.
Adding a kind is one entry here and one template (see docs/contributing.md).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from yaml.nodes import Node, SequenceNode

from leafletgen.content.model import Block, Text
from leafletgen.content.yamlnodes import join

B = TypeVar("B", bound=Block)
_NAME = re.compile(r"[a-z][a-z0-9_]*")


class Reader(Protocol):
    """What a block's reader may use: source.py's Checker (every problem recorded, then one failure)."""

    def fail(self, path: str, reason: str, line: int = 0) -> None: ...

    def mapping(self, node: Node | None, path: str, required: tuple[str, ...],
                optional: tuple[str, ...] = ()) -> dict[str, Node] | None: ...

    def sequence(self, node: Node | None, path: str, *, non_empty: bool = True) -> list[Node]: ...

    def string(self, node: Node | None, path: str, *, allow_empty: bool = False, screen: bool = True
               ) -> str | None: ...

    def integer(self, node: Node | None, path: str) -> int | None: ...

    def boolean(self, node: Node | None, path: str) -> bool: ...

    def text(self, node: Node | None, path: str) -> Text | None: ...

    def texts(self, node: Node | None, path: str) -> tuple[Text, ...]: ...


@dataclass(frozen=True)
class BlockKind(Generic[B]):
    """One block kind: its name (YAML key and template), dataclass, reader and text fields.

    Checked when it is made (so at import for the kinds below): a frozen Block dataclass, and
    ``texts`` names exactly the fields that hold a Text, each a Text, a tuple of them (nested
    tuples too) or None, so no text of a kind can miss extraction or translation.
    """

    name: str
    model: type[B]
    #: (reader, the kind's YAML value, its path) -> the block, or None after recording why.
    read: Callable[[Reader, Node | None, str], B | None]
    #: The fields holding the block's texts, in reading order (extraction order).
    texts: tuple[str, ...]

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"block kind {self.name!r}: a name is lowercase letters, digits and '_'")
        if not (isinstance(self.model, type) and issubclass(self.model, Block) and dataclasses.is_dataclass(self.model)
                and self.model.__dataclass_params__.frozen):  # type: ignore[attr-defined]
            raise TypeError(f"block kind {self.name!r}: the model must be a frozen dataclass of "
                            f"leafletgen.content.model.Block")
        hints = typing.get_type_hints(self.model)
        holding = [f.name for f in dataclasses.fields(self.model) if _mentions_text(hints[f.name])]
        for name in self.texts:
            if name not in hints:
                raise TypeError(f"block kind {self.name!r}: texts names {name!r}, not a field of "
                                f"{self.model.__name__}")
            if not _only_texts(hints[name]):
                raise TypeError(f"block kind {self.name!r}: field {name!r} must hold only Text "
                                f"(a Text, a tuple of them, or None)")
        for name in holding:
            if name not in self.texts:
                raise TypeError(f"block kind {self.name!r}: field {name!r} holds texts but is not in "
                                f"its texts {self.texts!r}")


def _mentions_text(hint: Any) -> bool:
    return hint is Text or any(_mentions_text(arg) for arg in typing.get_args(hint))


def _only_texts(hint: Any) -> bool:
    if hint is Text or hint is type(None):
        return True
    origin, args = typing.get_origin(hint), [a for a in typing.get_args(hint) if a is not Ellipsis]
    return origin in (tuple, typing.Union, types.UnionType) and bool(args) and all(map(_only_texts, args))


#: name -> kind, in the order the messages list them. Tests add a kind with monkeypatch.setitem.
REGISTRY: dict[str, BlockKind[Any]] = {}


def register(kind: BlockKind[B]) -> BlockKind[B]:
    """Add ``kind`` to the registry; a name or dataclass already registered is refused."""
    for other in REGISTRY.values():
        if kind.name == other.name or kind.model is other.model:
            raise ValueError(f"block kind {kind.name!r}: {other.name!r} already has that name or dataclass")
    REGISTRY[kind.name] = kind
    return kind


def kind_of(block: Block) -> BlockKind[Any]:
    """The registered kind of ``block``; a TypeError for a block of no registered kind."""
    for kind in REGISTRY.values():
        if type(block) is kind.model:
            return kind
    raise TypeError(f"{type(block).__name__} is not a registered block kind (content/blocks.py)")


def block_texts(block: Block) -> Iterator[Text]:
    """The block's texts, in its kind's reading order."""
    for name in kind_of(block).texts:
        yield from _walk(getattr(block, name))


def map_block_texts(block: B, fn: Callable[[Text], Text]) -> B:
    """A copy of ``block`` with each of its texts replaced by ``fn(text)``."""
    return dataclasses.replace(block, **{name: _map(getattr(block, name), fn)  # type: ignore[type-var]
                                         for name in kind_of(block).texts})


def _walk(value: object) -> Iterator[Text]:
    if isinstance(value, Text):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _walk(item)


def _map(value: Any, fn: Callable[[Text], Text]) -> Any:
    if isinstance(value, Text):
        return fn(value)
    if isinstance(value, tuple):
        return tuple(_map(item, fn) for item in value)
    return value


# -- the kinds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph(Block):
    text: Text


@dataclass(frozen=True)
class Subheading(Block):
    text: Text


@dataclass(frozen=True)
class MinorHeading(Block):
    """A heading one level below a subheading (the parts of "Warnings and precautions")."""

    text: Text


@dataclass(frozen=True)
class Bullets(Block):
    items: tuple[Text, ...]


@dataclass(frozen=True)
class Steps(Block):
    items: tuple[Text, ...]


@dataclass(frozen=True)
class QA(Block):
    question: Text
    answer: Text


@dataclass(frozen=True)
class Table(Block):
    caption: Text
    header: tuple[Text, ...]
    rows: tuple[tuple[Text, ...], ...]


@dataclass(frozen=True)
class Figure(Block):
    """A picture the leaflet owns (a pictogram, a diagram): a file in ``leaflets/``, and its
    alternative text, translated and read out by screen readers like any other text."""

    #: The file, relative to the leaflets folder ("figures/pregnancy-warning.svg").
    image: str
    alt: Text


@dataclass(frozen=True)
class WarningBox(Block):
    """A boxed list of urgent signs ("stop taking it and get help at once if you have:"), set like
    the key warning and never split across pages."""

    heading: Text
    items: tuple[Text, ...]


#: A figure's file: folders and a name of letters, digits, '-' and '_', ending .svg or .png.
#: No '..', no absolute path, no hidden file: a figure is always a file of the project.
FIGURE_PATH = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_-]*/)*[A-Za-z0-9][A-Za-z0-9_-]*\.(?:svg|png)")
FIGURE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


def read_paragraph(r: Reader, node: Node | None, path: str) -> Paragraph | None:
    text = r.text(node, path)
    return Paragraph(text) if text else None


def read_subheading(r: Reader, node: Node | None, path: str) -> Subheading | None:
    text = r.text(node, path)
    return Subheading(text) if text else None


def read_minor_heading(r: Reader, node: Node | None, path: str) -> MinorHeading | None:
    text = r.text(node, path)
    return MinorHeading(text) if text else None


def read_bullets(r: Reader, node: Node | None, path: str) -> Bullets:
    return Bullets(r.texts(node, path))


def read_steps(r: Reader, node: Node | None, path: str) -> Steps:
    return Steps(r.texts(node, path))


def read_qa(r: Reader, node: Node | None, path: str) -> QA | None:
    f = r.mapping(node, path, ("question", "answer"))
    if f is None:
        return None
    question = r.text(f.get("question"), join(path, "question")) if "question" in f else None
    answer = r.text(f.get("answer"), join(path, "answer")) if "answer" in f else None
    return QA(question, answer) if question and answer else None


def read_table(r: Reader, node: Node | None, path: str) -> Table | None:
    f = r.mapping(node, path, ("caption", "header", "rows"))
    if f is None:
        return None
    caption = r.text(f.get("caption"), join(path, "caption")) if "caption" in f else None
    header = r.texts(f.get("header"), join(path, "header")) if "header" in f else ()
    rows: list[tuple[Text, ...]] = []
    for i, row_node in enumerate(r.sequence(f.get("rows"), join(path, "rows")) if "rows" in f else []):
        where = f"{join(path, 'rows')}[{i}]"
        row = r.texts(row_node, where)
        if header and isinstance(row_node, SequenceNode) and len(row_node.value) != len(header):
            r.fail(where, f"has {len(row_node.value)} cells, the header has {len(header)}")
        rows.append(row)
    if caption is None or not header:
        return None
    return Table(caption, header, tuple(rows))


def read_figure(r: Reader, node: Node | None, path: str) -> Figure | None:
    f = r.mapping(node, path, ("image", "alt"))
    if f is None:
        return None
    image = r.string(f.get("image"), join(path, "image")) if "image" in f else None
    if image is not None and not FIGURE_PATH.fullmatch(image):
        r.fail(join(path, "image"), f"{image[:80]!r} is not a figure file: a path inside the leaflets folder "
                                    "(letters, digits, '-', '_', '/'), ending .svg or .png")
        image = None
    alt = r.text(f.get("alt"), join(path, "alt")) if "alt" in f else None
    return Figure(image, alt) if image and alt else None


def read_warning_box(r: Reader, node: Node | None, path: str) -> WarningBox | None:
    f = r.mapping(node, path, ("heading", "items"))
    if f is None:
        return None
    heading = r.text(f.get("heading"), join(path, "heading")) if "heading" in f else None
    items = r.texts(f.get("items"), join(path, "items")) if "items" in f else ()
    return WarningBox(heading, items) if heading and items else None


#: The kinds, in the order messages list them (paragraph, subheading, bullets, steps, qa, table, figure,
#: warning_box, minor_heading).
register(BlockKind("paragraph", Paragraph, read_paragraph, texts=("text",)))
register(BlockKind("subheading", Subheading, read_subheading, texts=("text",)))
register(BlockKind("bullets", Bullets, read_bullets, texts=("items",)))
register(BlockKind("steps", Steps, read_steps, texts=("items",)))
register(BlockKind("qa", QA, read_qa, texts=("question", "answer")))
register(BlockKind("table", Table, read_table, texts=("caption", "header", "rows")))
register(BlockKind("figure", Figure, read_figure, texts=("alt",)))
register(BlockKind("warning_box", WarningBox, read_warning_box, texts=("heading", "items")))
register(BlockKind("minor_heading", MinorHeading, read_minor_heading, texts=("text",)))

__all__ = [
    "FIGURE_PATH",
    "FIGURE_TYPES",
    "QA",
    "REGISTRY",
    "Block",
    "BlockKind",
    "Bullets",
    "Figure",
    "MinorHeading",
    "Paragraph",
    "Reader",
    "Steps",
    "Subheading",
    "Table",
    "WarningBox",
    "block_texts",
    "kind_of",
    "map_block_texts",
    "register",
]
