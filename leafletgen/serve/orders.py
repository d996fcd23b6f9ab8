"""Fulfilling an order: gate every item, render what may be printed as one queued order, and
deliver one PDF or a ZIP named after the order with a manifest that describes every file.

A unit whose warnings are not complete is never delivered. A refused unit never silently
drops the others: the order is refused with every reason and an offer of the rest
(:class:`Refusal`), and an order that accepts the offer (``partial``) gets a ZIP whose
manifest lists what was left out, and why.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from leafletgen.build.outputs import output_path
from leafletgen.content.model import Leaflet
from leafletgen.content.pharmacy import Pharmacy
from leafletgen.render.fonts import coverage, visible_characters
from leafletgen.render.locales import locale_info
from leafletgen.render.options import RenderOptions, for_locale, options_for
from leafletgen.runtime import now
from leafletgen.serve.messages import CLINIC_LABELS, Reason, explain
from leafletgen.serve.pool import ApiError, Catalogue, Renderer

Unit = tuple[str, str]  # (leaflet id, locale)


class Refusal(Exception):
    """The order cannot be delivered as asked: every reason, and the units that could be."""

    def __init__(self, status: int, reasons: list[Reason], *, available: list[Unit] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(reasons[0].message if reasons else "refused")
        self.status, self.reasons, self.available = status, reasons, available or []
        self.headers = headers or {}


# -- progress, for the order page ----------------------------------------------------------------

PROGRESS_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass
class Progress:
    """How far one order is: items done of items ordered, then what was delivered."""

    total: int
    done: int = 0
    state: str = "working"  # working, delivered, refused
    file: str = ""
    delivered: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "done": self.done, "total": self.total, "file": self.file,
                "delivered": self.delivered, "left_out": self.left_out}


class ProgressBoard:
    """The progress of recent orders by the id the page sent along; bounded in number and age."""

    def __init__(self, limit: int = 512, seconds: float = 900.0) -> None:
        self.limit, self.seconds = limit, seconds
        self._orders: dict[str, Progress] = {}

    def start(self, ident: str | None, total: int) -> Progress:
        progress = Progress(total)
        if ident and PROGRESS_ID.fullmatch(ident):
            self._orders.pop(ident, None)
            self._orders[ident] = progress
            oldest = time.monotonic() - self.seconds
            for key in [k for k, p in self._orders.items() if p.started < oldest][:64]:
                del self._orders[key]
            while len(self._orders) > self.limit:
                del self._orders[next(iter(self._orders))]
        return progress

    def get(self, ident: str) -> Progress | None:
        return self._orders.get(ident)


# -- the order -----------------------------------------------------------------------------------

def _unique(reasons: Iterable[Reason]) -> list[Reason]:
    """Each message once (a refused second language is the same reason for every item)."""
    return list({reason.message: reason for reason in reasons}.values())


def _status(errors: list[ApiError]) -> int:
    statuses = [e.status for e in errors]
    return 409 if 409 in statuses else statuses[0]


def _check_clinic(pharmacy: Pharmacy | None, locales: set[str]) -> None:
    """A clinic detail with a character no font of an ordered language has (an emoji) is the
    user's to fix (422, on its field), not a failed render."""
    if pharmacy is None:
        return
    reasons = []
    for name in CLINIC_LABELS:
        text = getattr(pharmacy, name)
        for code in sorted(locales):
            covered: set[int] = set()
            for family in locale_info(code).fonts:
                covered |= coverage(family)
            missing = sorted(c for c in visible_characters(text) if ord(c) not in covered)
            if missing:
                shown = " ".join(missing[:5])
                reasons.append(Reason("invalid", f"{CLINIC_LABELS[name]}: {shown} cannot be printed (no font has "
                                      "it); please remove it.", name))
                break
    if reasons:
        raise Refusal(422, reasons)


def gate(catalogue: Catalogue, items: list[Unit], with_locale: str | None
         ) -> tuple[list[tuple[Leaflet, str]], list[tuple[Unit, ApiError]]]:
    """The items that may be printed (each once, its locale by its known name) and those refused."""
    catalogue.refresh()
    ready: list[tuple[Leaflet, str]] = []
    refused: list[tuple[Unit, ApiError]] = []
    for leaflet_id, locale in dict.fromkeys((leaflet, catalogue.locale(locale)) for leaflet, locale in items):
        try:
            ready.append((catalogue.check(leaflet_id, locale, with_locale), locale))
        except ApiError as exc:
            refused.append(((leaflet_id, locale), exc))
    return ready, refused


def refusal_reasons(catalogue: Catalogue, refused: list[tuple[Unit, ApiError]]) -> list[Reason]:
    return _unique(explain(exc, catalogue, unit) for unit, exc in refused)


async def fulfil(catalogue: Catalogue, renderer: Renderer, items: list[Unit], options: RenderOptions, *,
                 clinic: dict[str, str] | None, partial: bool = False, progress: Progress | None = None
                 ) -> tuple[bytes, str, str]:
    """(body, media type, file name) of the order; :class:`Refusal` when it cannot be delivered."""
    ready, refused = gate(catalogue, items, options.with_locale)
    progress = progress or Progress(0)
    progress.total = len(ready) + len(refused)
    available = [(leaflet.id, locale) for leaflet, locale in ready]
    if refused and (not partial or not ready):
        progress.state = "refused"
        raise Refusal(_status([e for _, e in refused]), refusal_reasons(catalogue, refused), available=available)
    _check_clinic(options.pharmacy, {locale for _, locale in ready} | {code for code in [options.with_locale] if code})
    snapshot = catalogue.snapshot

    async def one(leaflet: Leaflet, locale: str) -> tuple[bytes, str]:
        result = await renderer.pdf(snapshot, leaflet, locale, options, admitted=True)
        progress.done += 1
        return result

    with renderer.order():
        results = await asyncio.gather(*(one(leaflet, locale) for leaflet, locale in ready), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, ApiError):
            raise result
    failed = [((leaflet.id, locale), r) for (leaflet, locale), r in zip(ready, results, strict=True)
              if isinstance(r, ApiError)]
    delivered = [(leaflet, locale, r) for (leaflet, locale), r in zip(ready, results, strict=True)
                 if not isinstance(r, BaseException)]
    if failed and (not partial or not delivered):
        progress.state = "refused"
        raise Refusal(_status([e for _, e in failed]), _unique(explain(e, catalogue, unit) for unit, e in failed),
                      available=[(leaflet.id, locale) for leaflet, locale, _ in delivered],
                      headers=failed[0][1].headers)
    left_out = [(unit, explain(exc, catalogue, unit)) for unit, exc in [*refused, *failed]]
    progress.delivered = [f"{_title(leaflet)} – {catalogue.readiness[leaflet.id][locale].english_name}"
                          for leaflet, locale, _ in delivered]
    progress.left_out = [reason.message for _, reason in left_out]
    if len(delivered) == 1 and not left_out:
        leaflet, locale, (data, _key) = delivered[0]
        name = output_path(Path("."), leaflet.id, locale, for_locale(options, locale)).name
        progress.state, progress.file = "delivered", name
        return data, "application/pdf", name
    name = zip_name(clinic, now().astimezone().date().isoformat())
    body = _zip(catalogue, delivered, left_out, options, clinic, name)
    progress.state, progress.file = "delivered", name
    return body, "application/zip", name


def _title(leaflet: Leaflet) -> str:
    return leaflet.title.text.replace("**", "")


def slug(text: str, *, ascii_only: bool = False) -> str:
    """``Praxis Sonnenhof, Berlin`` -> ``praxis-sonnenhof-berlin`` (letters and digits of any script)."""
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\W_]+", "-", text.lower()).strip("-")[:40].strip("-")


def zip_name(clinic: dict[str, str] | None, day: str) -> str:
    """The ZIP's name: the order's clinic and date, ``leaflets-praxis-sonnenhof-2026-07-14.zip``."""
    part = slug(clinic["name"]) if clinic else ""
    return "-".join(p for p in ("leaflets", part, day) if p) + ".zip"


def content_disposition(name: str) -> str:
    """An attachment header for ``name``; non-ASCII names as RFC 6266 ``filename*`` with an ASCII fallback."""
    fallback = "-".join(slug(part, ascii_only=True) or "x" for part in name.removesuffix(".zip").split("-")
                        ) + (".zip" if name.endswith(".zip") else "")
    if name.isascii():
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def page_count(data: bytes) -> int | None:
    """Pages of a PDF; None for anything else (the fast tier's stand-in "PDF" is HTML)."""
    if not data.startswith(b"%PDF-"):
        return None
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages)
    except pikepdf.PdfError:
        return None


def _language(catalogue: Catalogue, leaflet_id: str, code: str | None) -> dict[str, str] | None:
    if not code:
        return None
    state = catalogue.readiness[leaflet_id][code]
    return {"locale": code, "language_tag": locale_info(code).tag, "language": state.name,
            "language_english": state.english_name}


def _zip(catalogue: Catalogue, delivered: list[tuple[Leaflet, str, tuple[bytes, str]]],
         left_out: list[tuple[Unit, Reason]], options: RenderOptions, clinic: dict[str, str] | None,
         name: str) -> bytes:
    created = now().isoformat(timespec="seconds").replace("+00:00", "Z")
    buffer = io.BytesIO()
    files = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for leaflet, locale, (data, _key) in delivered:
            applied = for_locale(options, locale)
            file_name = output_path(Path("."), leaflet.id, locale, applied).name
            archive.writestr(file_name, data)
            state = catalogue.readiness[leaflet.id][locale]
            second = catalogue.readiness[leaflet.id].get(applied.with_locale or "")
            reviewed = state.reviewed and (second is None or second.reviewed)
            files.append({
                "file": file_name, "leaflet": leaflet.id, "title": _title(leaflet),
                "revision": leaflet.meta.revision, "revision_date": leaflet.meta.revision_date.isoformat(),
                **(_language(catalogue, leaflet.id, locale) or {}),
                "with": _language(catalogue, leaflet.id, applied.with_locale),
                "pages": page_count(data), "created": created,
                "review_state": "reviewed" if reviewed else "not reviewed",
                "options": {**{str(spec.api): getattr(applied, spec.name) for spec in options_for("api")},
                            "clinic": clinic},
                "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        manifest = {"order": {"file": name, "created": created, "clinic": clinic,
                              "items_delivered": len(delivered), "items_left_out": len(left_out)},
                    "files": files,
                    "left_out": [{"leaflet": leaflet_id, "locale": locale, **reason.as_json()}
                                 for (leaflet_id, locale), reason in left_out]}
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return buffer.getvalue()
