"""Pyphen's hyphenation patterns, parsed once per machine instead of once per process.

WeasyPrint hyphenates with Pyphen, which parses a language's ``hyph_*.dic`` in Python
the first time a process needs it: 0.5 s for German, half of a German leaflet's render
time. The parsed patterns are kept in the cache folder, keyed by the dictionary file and
Pyphen's version, and put into Pyphen's own in-memory cache before a render; loading
them back takes ~35 ms. The cache file is trusted like the rest of the user's cache: it
is checked to hold Pyphen's parsed dictionary and parsed anew if it does not.
"""

from __future__ import annotations

import contextlib
import pickle
import re
from pathlib import Path

import pyphen

from .files import atomic_write_bytes, cache_dir

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
    cached = cache_dir() / f"hyph-{path.stem}-{stat.st_size}-{stat.st_mtime_ns}-pyphen{version}.pickle"
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        loaded = pickle.loads(cached.read_bytes())
        if isinstance(loaded, pyphen.HyphDict) and loaded.patterns:
            return loaded
    parsed = pyphen.HyphDict(path)
    with contextlib.suppress(OSError):  # a read-only home only costs the parse next time
        atomic_write_bytes(cached, pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL))
    return parsed
