"""The document model of a leaflet. Plain frozen dataclasses; no I/O."""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar


@dataclass(frozen=True)
class Text:
    """A translatable string. ``id`` becomes the gettext msgctxt."""

    id: str
    text: str
    note: str = ""
    line: int = 0
    #: Set when the text is not in the document's language (a draft's English fallback).
    fallback_lang: str | None = None


@dataclass(frozen=True)
class Paragraph:
    text: Text


@dataclass(frozen=True)
class Subheading:
    text: Text


@dataclass(frozen=True)
class Bullets:
    items: tuple[Text, ...]


@dataclass(frozen=True)
class Steps:
    items: tuple[Text, ...]


@dataclass(frozen=True)
class QA:
    question: Text
    answer: Text


@dataclass(frozen=True)
class Table:
    caption: Text
    header: tuple[Text, ...]
    rows: tuple[tuple[Text, ...], ...]


Block = Paragraph | Subheading | Bullets | Steps | QA | Table


@dataclass(frozen=True)
class Section:
    id: str
    heading: Text
    blocks: tuple[Block, ...]
    safety_critical: bool = False


@dataclass(frozen=True)
class Source:
    name: str
    note: str = ""


@dataclass(frozen=True)
class Meta:
    inn: Text
    strength: str
    dosage_form: Text
    brands: tuple[str, ...]
    revision: int
    revision_date: date
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Leaflet:
    id: str
    path: str
    meta: Meta
    title: Text
    subtitle: Text
    key_warning: Section
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def texts(self) -> Iterator[tuple[Text, bool]]:
        """Every translatable text in document order, with its safety-critical flag."""
        yield self.title, False
        yield self.subtitle, False
        yield self.meta.inn, False
        yield self.meta.dosage_form, False
        for section in (self.key_warning, *self.sections):
            for text in iter_texts(section):
                yield text, section.safety_critical

    def safety_critical_ids(self) -> frozenset[str]:
        return frozenset(t.id for t, critical in self.texts() if critical)


T = TypeVar("T")


def iter_texts(node: Any) -> Iterator[Text]:
    """Every :class:`Text` inside a model node, depth first, in field order."""
    if isinstance(node, Text):
        yield node
    elif isinstance(node, tuple):
        for item in node:
            yield from iter_texts(item)
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            yield from iter_texts(getattr(node, f.name))


def map_texts(node: T, fn: Callable[[Text], Text]) -> T:
    """A copy of ``node`` with every :class:`Text` replaced by ``fn(text)``."""
    if isinstance(node, Text):
        return fn(node)  # type: ignore[return-value]
    if isinstance(node, tuple):
        return tuple(map_texts(item, fn) for item in node)  # type: ignore[return-value]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: map_texts(getattr(node, f.name), fn) for f in dataclasses.fields(node)}
        return dataclasses.replace(node, **changes)  # type: ignore[type-var]
    return node


def control_characters(text: str, allowed: str = "\n\t") -> str:
    """The control characters (C0, DEL, C1) in ``text`` other than ``allowed``, each once, sorted.

    Shared by the source validator, the translation checks, the pharmacy profile and the
    clinic form: none may reach a PDF, where they would be invisible or break a line.
    """
    return "".join(sorted({c for c in text if unicodedata.category(c) == "Cc" and c not in allowed}))


def control_characters_reason(text: str) -> str | None:
    """'contains control characters U+0007, ...' or None."""
    found = control_characters(text)
    return "contains control characters " + ", ".join(f"U+{ord(c):04X}" for c in found) if found else None
