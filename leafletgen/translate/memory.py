"""Translation memory for ``update``: a new or renamed message whose English was translated before
(under another id, in another leaflet of the locale, or in an entry since gone obsolete) gets that
translation as a **fuzzy** suggestion, with a comment saying where it came from.

Fuzzy keeps the gate closed until a person reads the suggestion in its new place and clears the
flag, as gettext's compendium (``msgmerge --compendium``) and Weblate's memory do. Only exact
matches of the whole English text are suggested: a near match in a warning is a different warning.
"""

from __future__ import annotations

from collections.abc import Iterable

from babel.messages.catalog import Catalog, Message

#: The translator comment on a suggestion; removed once the message is no longer fuzzy.
SUGGESTED = "suggested by translation memory"


def _usable(message: Message) -> bool:
    return bool(message.id and isinstance(message.id, str) and isinstance(message.string, str) and message.string
                and not message.fuzzy)


def build_memory(catalogs: Iterable[tuple[str, Catalog]]) -> dict[str, tuple[str, str]]:
    """English -> (translation, where it is from) over ``(domain, catalog)`` pairs, current entries
    before obsolete ones; the first translation of an English text wins (the pairs' order decides)."""
    memory: dict[str, tuple[str, str]] = {}
    pairs = list(catalogs)
    for domain, catalog in pairs:
        for message in catalog:
            if _usable(message):
                memory.setdefault(str(message.id), (str(message.string), f"{domain} {message.context}"))
    for domain, catalog in pairs:
        for message in catalog.obsolete.values():
            if _usable(message):
                memory.setdefault(str(message.id), (str(message.string), f"{domain} {message.context} (obsolete)"))
    return memory


def suggest(catalog: Catalog, memory: dict[str, tuple[str, str]]) -> int:
    """Fill each untranslated message of ``catalog`` that memory knows, as fuzzy; tidy old suggestion
    comments from messages a person has since confirmed, and drop suggestions nobody confirmed whose
    message has gone (no one's work is lost). Returns how many were suggested."""
    for key, gone in list(catalog.obsolete.items()):
        if gone.fuzzy and any(c.startswith(SUGGESTED) for c in gone.user_comments):
            del catalog.obsolete[key]
    count = 0
    for message in catalog:
        if not message.id:
            continue
        if not message.fuzzy:
            message.user_comments = [c for c in message.user_comments if not c.startswith(SUGGESTED)]
        if isinstance(message.id, str) and not message.string and message.id in memory:
            translation, where = memory[message.id]
            message.string = translation
            message.flags.add("fuzzy")
            message.user_comments = [*message.user_comments,
                                     f"{SUGGESTED} from {where} (same English): check it here, then clear fuzzy"]
            count += 1
    return count


__all__ = ["SUGGESTED", "build_memory", "suggest"]
