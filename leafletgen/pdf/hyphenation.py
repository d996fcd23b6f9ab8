"""Pyphen's hyphenation patterns, parsed once per machine instead of once per process.

WeasyPrint hyphenates with Pyphen, which parses a language's ``hyph_*.dic`` in Python
the first time a process needs it: 0.5 s for German, half of a German leaflet's render
time. The parsed patterns are kept in the cache folder, keyed by the dictionary file and
Pyphen's version, and put into Pyphen's own in-memory cache before a render; loading
them back takes ~35 ms. The cache file is trusted like the rest of the user's cache: it
is checked to hold Pyphen's parsed dictionary and parsed anew if it does not.
"""

from __future__ import annotations

import pickle
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
    return disk_cached(f"hyph-{path.stem}-{stat.st_size}-{stat.st_mtime_ns}-pyphen{version}.pickle",
                       lambda: pyphen.HyphDict(path),
                       lambda parsed: pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL), _unpickle)


def _unpickle(data: bytes) -> pyphen.HyphDict:
    loaded = pickle.loads(data)
    if not isinstance(loaded, pyphen.HyphDict) or not loaded.patterns:
        raise ValueError("not Pyphen's parsed patterns")
    return loaded
