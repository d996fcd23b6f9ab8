"""Reviewed exceptions: a translator accepts the warnings of one translation, as it reads now.

Some warnings are right to raise and wrong for one text: German QRD headings are questions
where the English heading is not ("Was sollten Sie vor der Einnahme beachten?"), and Spanish
"No" is the same word as the English. A reviewer who has read such a translation accepts it:

    # accepted 3f2a9c1b7e4d: ends with question mark, the source with no punctuation; by A. Weber

a translator comment in the PO file (Poedit, Weblate and GNU gettext keep those), written by
``leafletgen accept``. The digest covers the message's context, English and translation, so
the acceptance goes stale by itself when any of them changes: the warning is back, and
``check`` says the acceptance is stale. Only ``warning`` findings can be accepted; an
``error`` (a number, markup, a placeholder, a character that reorders or hides text) never.
"""

from __future__ import annotations

import hashlib
import re

from babel.messages.catalog import Message

_MARKER = re.compile(r"accepted ([0-9a-f]{12}):")


def digest(message: Message) -> str:
    """12 hex digits over the message's msgctxt, msgid and msgstr as they are now."""
    parts = (message.context or "", str(message.id), str(message.string or ""))
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:12]


def markers(message: Message) -> list[str]:
    """The digests of the message's acceptance comments, current or stale."""
    return [m.group(1) for comment in message.user_comments if (m := _MARKER.match(comment.strip()))]


def is_accepted(message: Message | None) -> bool:
    """Whether a reviewer accepted this message's warnings as it reads now."""
    return message is not None and digest(message) in markers(message)


def is_stale(message: Message) -> bool:
    """An acceptance that no longer matches the text: written for an earlier version."""
    found = markers(message)
    return bool(found) and digest(message) not in found


def accept(message: Message, warnings: list[str], by: str) -> None:
    """Replace the message's acceptance comments with one for its current text and ``warnings``."""
    kept = [c for c in message.user_comments if not _MARKER.match(c.strip())]
    message.user_comments = [*kept, f"accepted {digest(message)}: {'; '.join(warnings)}; by {by}"]


__all__ = ["accept", "digest", "is_accepted", "is_stale", "markers"]
