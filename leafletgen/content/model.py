"""The document model of a leaflet. Plain frozen dataclasses; no I/O.

The block kinds a section is made of (paragraph, bullets, table, ...) are in content/blocks.py.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
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
    #: In a draft only: "untranslated" (shown in English) or "fuzzy" (the translator's unconfirmed text).
    draft_state: str = ""
    #: In a draft only: print the id beside the text (``--show-ids``).
    show_id: bool = False


@dataclass(frozen=True)
class Block:
    """The base class of every block kind's dataclass (a paragraph, a list, a table, ...).

    The kinds are the registry in ``content/blocks.py``: each says how it is read from YAML,
    which of its fields hold its texts, and (by its name) its template. The text walks below
    ask a block's kind for its texts, so a new kind is extracted, translated and gated
    without a change here; a block of no registered kind is an error, never skipped.

    ``safety_critical``: this block is part of the warnings section even in a section that
    is not (``safety_critical: true`` beside the kind's key in the YAML).
    """

    safety_critical: bool = field(default=False, kw_only=True)


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
    #: Every strength the leaflet covers, as written ("20 mg"; "0.5 mg", "1 mg", ...); each is in the title.
    strengths: tuple[str, ...]
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
            yield section.heading, section.safety_critical
            for block in section.blocks:
                for text in iter_texts(block):
                    yield text, section.safety_critical or block.safety_critical

    def safety_critical_ids(self) -> frozenset[str]:
        return frozenset(t.id for t, critical in self.texts() if critical)


T = TypeVar("T")


def iter_texts(node: Any) -> Iterator[Text]:
    """Every :class:`Text` inside a model node, depth first, in field order (a block's: in its
    kind's order, see content/blocks.py)."""
    if isinstance(node, Text):
        yield node
    elif isinstance(node, Block):
        from leafletgen.content.blocks import block_texts  # blocks.py builds on this module

        yield from block_texts(node)
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
    if isinstance(node, Block):
        from leafletgen.content.blocks import map_block_texts  # blocks.py builds on this module

        return map_block_texts(node, fn)  # type: ignore[return-value]
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


# -- characters that can reorder or hide text on paper -------------------------------------------
#
# The rule, shared by sources, translations, pharmacy profiles and clinic forms:
#
#   Refused: every format character (Unicode category Cf), every Default_Ignorable_Code_Point
#   (characters a renderer draws as nothing), and the line and paragraph separators (Zl, Zp),
#   except the few below that a shipped or likely language needs and that cannot reorder text.
#
# That covers the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
# reorder whole runs ("12" inside U+202E prints "21"); the marks LRM, RLM and ALM (U+200E, U+200F,
# U+061C); the zero width space, word joiner and invisible operators (U+200B, U+2060-U+2064),
# U+FEFF, the deprecated U+206A-U+206F (symmetric swapping, digit shapes), interlinear annotation
# (U+FFF9-U+FFFB, which hides the annotated text), tag characters (U+E0000-U+E007F), Hangul
# fillers and the combining grapheme joiner. (A Mongolian catalog would need its free variation
# selectors U+180B-U+180F added to the allowed list; no shipped language needs any other.)
#
# LRM/RLM/ALM are refused too, although they cannot reorder runs the way overrides do: they are
# invisible strong characters, so one placed next to a neutral (a minus sign, '%', '/', a range
# dash, a bracket) moves it to the other side of a number on paper ("-20" can print as "20-").
# No shipped catalog uses them (checked when this rule was written); the English source never
# has them, so "allowed where the source has them" would refuse them in every translation
# anyway. Where a right-to-left locale needs a number kept left-to-right the renderer must
# isolate it (as it does the pharmacy details with <bdi>), not a translator with invisible marks.

#: Format characters that stay allowed, with the reason.
ALLOWED_FORMAT_CHARACTERS: dict[str, str] = {
    "\u200c": "ZERO WIDTH NON-JOINER: part of correct spelling in Persian, Urdu, Hindi, Bengali, Malayalam, ...",
    "\u200d": "ZERO WIDTH JOINER: selects conjunct and half forms in Indic scripts; joins emoji sequences",
    "\u00ad": "SOFT HYPHEN: prints nothing, or a hyphen where the word breaks; cannot hide or move other text",
}

#: Default_Ignorable_Code_Point ranges (Unicode DerivedCoreProperties.txt) that are not category Cf:
#: drawn as nothing, so they can hide text. Variation selectors are handled apart (see below).
_IGNORABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x034F, 0x034F),      # COMBINING GRAPHEME JOINER
    (0x115F, 0x1160),      # HANGUL CHOSEONG / JUNGSEONG FILLER
    (0x17B4, 0x17B5),      # KHMER VOWEL INHERENT AQ / AA
    (0x180B, 0x180F),      # MONGOLIAN FREE VARIATION SELECTORS, VOWEL SEPARATOR
    (0x2065, 0x2065),      # reserved, default ignorable
    (0x3164, 0x3164),      # HANGUL FILLER
    (0xFFA0, 0xFFA0),      # HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),      # reserved, default ignorable
    (0xE0000, 0xE00FF),    # tag characters and reserved
    (0xE01F0, 0xE0FFF),    # reserved, default ignorable
)

#: Variation selectors (VS1-VS16, VS17-VS256): allowed once after a symbol (emoji presentation,
#: standardized math variants) or a CJK ideograph (ideographic variation sequences), where they
#: only choose a glyph. Anywhere else (after a digit or a letter, or repeated) they are refused:
#: invisible, and a run of them can carry hidden data.
_VARIATION_SELECTORS: tuple[tuple[int, int], ...] = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))

#: Invisible strong characters and symmetric-swapping controls: they move or mirror text.
_REORDERING_BIDI_CLASSES = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI", "B"})
_REORDERING = frozenset("\u200e\u200f\u061c\u206a\u206b")


def _in(ranges: tuple[tuple[int, int], ...], char: str) -> bool:
    return any(lo <= ord(char) <= hi for lo, hi in ranges)


@lru_cache(maxsize=65536)
def _suspect(char: str) -> bool:
    """Whether ``char`` needs a closer look by :func:`hidden_characters`."""
    return char not in ALLOWED_FORMAT_CHARACTERS and (
        _in(_VARIATION_SELECTORS, char) or unicodedata.category(char) in ("Cf", "Zl", "Zp")
        or _in(_IGNORABLE_RANGES, char))


def _variation_base(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sm") or unicodedata.name(char, "").startswith(
        ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))


@lru_cache(maxsize=8192)  # the gate asks for every message of every catalog, often the same text
def hidden_characters(text: str) -> str:
    """The characters of ``text`` that can reorder or hide text on paper, each once, sorted.

    See the rule above: category Cf, Default_Ignorable_Code_Point, Zl and Zp are refused, except
    ZERO WIDTH NON-JOINER, ZERO WIDTH JOINER, SOFT HYPHEN, and a single variation selector after a
    symbol or a CJK ideograph. Control characters (Cc) are :func:`control_characters`' business.
    """
    if not any(map(_suspect, set(text))):  # most texts: each distinct character looked up once
        return ""
    found: set[str] = set()
    previous = ""
    for char in text:
        if char in ALLOWED_FORMAT_CHARACTERS:
            pass
        elif _in(_VARIATION_SELECTORS, char):
            if not previous or _in(_VARIATION_SELECTORS, previous) or not _variation_base(previous):
                found.add(char)
        elif unicodedata.category(char) in ("Cf", "Zl", "Zp") or _in(_IGNORABLE_RANGES, char):
            found.add(char)
        previous = char
    return "".join(sorted(found))


def describe_character(char: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE'."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED CHARACTER')}"


def hidden_characters_reason(text: str) -> str | None:
    """'contains U+202E RIGHT-TO-LEFT OVERRIDE, which can reorder text on paper' (and/or the
    invisible ones: '..., which is invisible and can hide text on paper'), or None."""
    found = hidden_characters(text)
    reorder = [c for c in found if c in _REORDERING or unicodedata.bidirectional(c) in _REORDERING_BIDI_CLASSES]
    lines = [c for c in found if c not in reorder and unicodedata.category(c) == "Zl"]
    hide = [c for c in found if c not in reorder and c not in lines]
    parts = [f"contains {', '.join(map(describe_character, chars))}, {effect}" for chars, effect in (
        (reorder, "which can reorder text on paper"),
        (hide, "which is invisible and can hide text on paper"),
        (lines, "which breaks the line on paper")) if chars]
    return "; ".join(parts) or None


def control_characters_reason(text: str) -> str | None:
    """Why ``text`` may not be printed: control characters ('contains control characters
    U+0007, ...') and characters that can reorder or hide text (:func:`hidden_characters_reason`);
    None when it may. Newlines and tabs are allowed (a source's folded text)."""
    found = control_characters(text)
    parts = ["contains control characters " + ", ".join(f"U+{ord(c):04X}" for c in found)] if found else []
    hidden = hidden_characters_reason(text)
    return "; ".join([*parts, hidden] if hidden else parts) or None
