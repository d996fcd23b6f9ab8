"""Pyphen's hyphenation patterns, parsed once per machine instead of once per process.

WeasyPrint hyphenates with Pyphen, which parses a language's ``hyph_*.dic`` in Python
the first time a process needs it: 0.5 s for German, half of a German leaflet's render
time. The parsed patterns are kept in the cache folder, keyed by the dictionary file and
Pyphen's version, and put into Pyphen's own in-memory cache before a render. They are
stored as JSON, never pickle: a cache file is data, so a tampered one can at worst be
refused (and parsed anew), never run code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyphen

from leafletgen.files import disk_cached

_LANG = re.compile(r'\blang="([^"]+)"')


def prime(html: str) -> None:
    """Load the patterns of every language the HTML declares into Pyphen's cache."""
    for lang in set(_LANG.findall(html)):
        key = pyphen.language_fallback(lang)
        if key is None:
            continue
        path = pyphen.LANGUAGES[key]  # Pyphen's own cache key
        if path not in pyphen.hdcache:
            pyphen.hdcache[path] = _load(Path(path))


def _load(path: Path) -> pyphen.HyphDict:
    stat = path.stat()
    version = getattr(pyphen, "VERSION", getattr(pyphen, "__version__", "?"))
    return disk_cached(f"hyph-{path.stem}-{stat.st_size}-{stat.st_mtime_ns}-pyphen{version}.json",
                       lambda: pyphen.HyphDict(path), _encode, _decode)


def _encode(parsed: pyphen.HyphDict) -> bytes:
    """Pyphen's parsed patterns as JSON: values are ints, or [int, data] for a nonstandard
    hyphenation (Pyphen's DataInt, e.g. Hungarian 'ssz' -> 'sz-sz')."""
    def value(v: int) -> int | list[object]:
        data = getattr(v, "data", None)
        return int(v) if data is None else [int(v), list(data)]

    patterns = {key: [start, [value(v) for v in values]] for key, (start, values) in parsed.patterns.items()}
    return json.dumps({"maxlen": parsed.maxlen, "patterns": patterns}, ensure_ascii=False).encode("utf-8")


def _decode(data: bytes) -> pyphen.HyphDict:
    raw = json.loads(data)
    parsed = pyphen.HyphDict.__new__(pyphen.HyphDict)  # filled in here instead of parsing the .dic again
    parsed.patterns = {
        str(key): (int(start), tuple(pyphen.DataInt(v[0], data=tuple(v[1])) if isinstance(v, list) else int(v)
                                     for v in values))
        for key, (start, values) in raw["patterns"].items()}
    parsed.cache = {}
    parsed.maxlen = int(raw["maxlen"])
    if not parsed.patterns:
        raise ValueError("no patterns")
    return parsed
