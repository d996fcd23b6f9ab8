"""The structure of a PO file, entry by entry, as GNU gettext reads it.

Babel's reader accepts what GNU gettext refuses (a msgstr[n] on a singular message,
duplicates, a header that is not first) and reads some escapes differently, so every
file is scanned here first, and pofile.parse_catalog checks that Babel agrees. Lines are
split on newline only: U+2028, U+0085 and the like are text inside strings, not line ends.
Refusals describe what is wrong and never echo the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from babel.messages.pofile import escape, unescape

from leafletgen.errors import CatalogError, Problem

#: Whitespace around a line as GNU's lexer and Babel's ``bytes.strip()`` both see it.
_WS = " \t\r\f\v"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_KEYWORD = re.compile(r'(msgctxt|msgid|msgid_plural|msgstr(?:\[(\d{1,6})\])?) [ \t]*("(?:[^"\\]|\\.)*")')
_PREVIOUS = re.compile(r'(msgctxt|msgid|msgid_plural) [ \t]*("(?:[^"\\]|\\.)*")')
#: Escapes Babel decodes as gettext does; gettext also reads \' \? octal and hex, Babel leaves them as typed.
_SAME_ESCAPES = frozenset('\\"abfnrtv')
_ESCAPE = re.compile(r"\\(.?)")


@dataclass
class Entry:
    """One entry of a PO file as scanned; ``line`` is its first keyword's line (1-based)."""

    line: int
    obsolete: bool
    flags: set[str] = field(default_factory=set)
    previous: dict[str, str] = field(default_factory=dict)  # msgctxt / msgid / msgid_plural -> text
    msgctxt: str | None = None
    msgid: str | None = None
    msgid_line: int = 0
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    indexed: bool = False  # msgstr[n] rather than msgstr

    @property
    def key(self) -> tuple[str | None, str]:
        return self.msgctxt, self.msgid or ""

    @property
    def shown(self) -> str:
        return _shown(self.msgctxt or self.msgid or "")


# Refusals describe what is wrong and never echo the line: a rejected file's contents stay out of
# errors and API answers.
NOT_A_PO_LINE = "expected a comment, a quoted string, or msgctxt/msgid/msgid_plural/msgstr and a quoted string"
_NOT_PREVIOUS = "a '#|' line must be '#| msgid \"...\"' (or msgctxt, msgid_plural) or a quoted string"


def _shown(text: str) -> str:
    quoted = escape(text)
    return quoted if len(quoted) <= 80 else quoted[:76] + '..."'


@dataclass
class Scan:
    entries: list[Entry]
    #: The text as Babel must be given it: previous msgids blanked, "#~ #, ..." as "#, ...".
    for_babel: str


def _decode(token: str, name: str, lineno: int) -> str:
    for match in _ESCAPE.finditer(token[1:-1]):
        if match.group(1) not in _SAME_ESCAPES:
            raise CatalogError(Problem(name, f"line {lineno}", f"escape sequence {match.group()!r} is not allowed "
                                       "(GNU gettext and Babel read it differently); write the character itself"))
    return unescape(token)


def scan(text: str, name: str) -> Scan:
    """The entries of a PO file, every structural rule of GNU gettext checked; :class:`CatalogError` if broken."""
    entries: list[Entry] = []
    lines = text.split("\n")
    babel_lines = list(lines)
    current: Entry | None = None
    target: str | None = None          # the field a continuation line "..." extends
    flags: set[str] = set()
    previous: dict[str, str] = {}
    previous_target: str | None = None

    def fail(lineno: int, reason: str) -> CatalogError:
        return CatalogError(Problem(name, f"line {lineno}", reason))

    def close(entry: Entry | None) -> None:
        if entry is None:
            return
        if entry.msgid is None:
            raise fail(entry.line, f"msgctxt {entry.shown} has no msgid")
        if not entry.msgstr:
            what = "msgstr[0], msgstr[1], ..." if entry.msgid_plural is not None else "msgstr"
            raise fail(entry.msgid_line, f"message {entry.shown} has no {what}")
        entries.append(entry)

    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip(_WS)
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].lstrip(_WS)
            if line.startswith("|"):
                line = "#" + line  # "#~| msgid": the previous msgid of an obsolete entry
            elif line.startswith("#"):
                babel_lines[lineno - 1] = line  # "#~ #, fuzzy" is "#, fuzzy" to gettext; Babel refuses it
        if not line:
            continue
        if line.startswith("#"):
            if current is not None:
                close(current)
                current, target = None, None
            if line.startswith("#|"):
                babel_lines[lineno - 1] = ""  # Babel would keep it as a translator comment
                body = line[2:].strip(_WS)
                if (match := _PREVIOUS.fullmatch(body)) is not None:
                    previous_target = match.group(1)
                    previous[previous_target] = _decode(match.group(2), name, lineno)
                elif _STRING.fullmatch(body) and previous_target is not None:
                    previous[previous_target] += _decode(body, name, lineno)
                else:
                    raise fail(lineno, f"invalid PO syntax: {_NOT_PREVIOUS}")
            elif line.startswith("#,"):
                flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            elif line.startswith("#-"):
                raise fail(lineno, "merge conflict marker (#-#-#-#-#); resolve the conflict first")
            continue
        keyword = _KEYWORD.fullmatch(line)
        if keyword is None:
            if not _STRING.fullmatch(line):
                raise fail(lineno, f"invalid PO syntax: {NOT_A_PO_LINE}")
            if current is None or target is None:
                raise fail(lineno, "a string with no msgctxt, msgid or msgstr before it")
            if obsolete != current.obsolete:
                raise fail(lineno, "an entry mixes obsolete (#~) and active lines")
            value = _decode(line, name, lineno)
            if target == "msgstr":
                current.msgstr[-1] += value
            else:
                setattr(current, target, getattr(current, target) + value)
            continue
        word, index, value = keyword.group(1), keyword.group(2), _decode(keyword.group(3), name, lineno)
        if current is not None and obsolete != current.obsolete and not (word in ("msgctxt", "msgid")
                                                                         and current.msgstr):
            raise fail(lineno, "an entry mixes obsolete (#~) and active lines")
        if word in ("msgctxt", "msgid") and current is not None and (current.msgstr or word == "msgctxt"):
            close(current)  # a complete entry ends here, or an incomplete one is refused
            current = None
        if current is None:
            if word not in ("msgctxt", "msgid"):
                raise fail(lineno, f"{word} with no msgid before it")
            current = Entry(lineno, obsolete, flags, previous)
            flags, previous, previous_target = set(), {}, None
        if word == "msgctxt":
            current.msgctxt = value
        elif word == "msgid":
            if current.msgid is not None:
                raise fail(current.msgid_line, f"message {current.shown} has no msgstr")
            current.msgid, current.msgid_line = value, lineno
        elif word == "msgid_plural":
            if current.msgid is None or current.msgstr or current.msgid_plural is not None:
                raise fail(lineno, "msgid_plural must follow the msgid, once, before any msgstr")
            current.msgid_plural = value
        elif current.msgid is None:
            raise fail(lineno, f"{word} with no msgid before it")
        elif index is None:
            if current.msgid_plural is not None:
                raise fail(lineno, f"message {current.shown} has msgid_plural, so its translations are "
                                   "msgstr[0], msgstr[1], ..., not msgstr")
            if current.msgstr:
                raise fail(lineno, f"message {current.shown} has a second msgstr")
            current.msgstr.append(value)
        else:
            if current.msgid_plural is None:
                raise fail(lineno, f"msgstr[{int(index)}] in message {current.shown}, which has no msgid_plural "
                                   "(a singular message has one msgstr)")
            if int(index) != len(current.msgstr):
                raise fail(lineno, f"msgstr[{int(index)}] in message {current.shown} where "
                                   f"msgstr[{len(current.msgstr)}] belongs: plural forms are numbered 0, 1, 2, ... "
                                   "in order")
            current.msgstr.append(value)
            current.indexed = True
        target = "msgstr" if word.startswith("msgstr") else word
    close(current)
    _check_entries(entries, name)
    return Scan(entries, "\n".join(babel_lines))


def _check_entries(entries: list[Entry], name: str) -> None:
    """One header, first; no empty msgid elsewhere; no two entries with one msgctxt+msgid (obsolete ones too)."""
    seen: dict[tuple[str | None, str], int] = {}
    for number, entry in enumerate(entries):
        where = f"line {entry.msgid_line}"
        if entry.msgid == "":
            if entry.msgctxt is not None or entry.obsolete:
                raise CatalogError(Problem(name, where, f"message {entry.shown} has an empty msgid"))
            if number:
                raise CatalogError(Problem(name, where, 'the header entry (msgid "") must be the first entry, '
                                           "and there must be only one"))
            continue
        if entry.key in seen:
            first = seen[entry.key]
            raise CatalogError(Problem(name, where, f"duplicate message {entry.shown} (first at line {first})"))
        seen[entry.key] = entry.msgid_line
