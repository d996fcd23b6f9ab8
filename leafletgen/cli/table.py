"""Columns that line up in a terminal whatever the script: padding by display width, not length.

A Devanagari vowel sign or a Tamil virama takes no column of its own, a Chinese character two.
The standard library knows both (Unicode categories and East Asian width); wcwidth would too,
but this is all the tables here need.
"""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, then padded with spaces to exactly ``width``."""
    out, used = "", 0
    for char in text:
        step = display_width(char)
        if used + step > width:
            break
        out, used = out + char, used + step
    return out + " " * (width - used)
