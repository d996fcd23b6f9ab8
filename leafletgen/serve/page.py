"""The order page: its context built in one place (templates/web/order.html.j2 only displays).

A page after an error is the same page, filled in with what was sent: the chosen languages,
options and clinic details, an error summary that links to each field, each field's own
message (``aria-invalid``, ``aria-describedby``), and, when some of the order can be
delivered, an offer of that part with the list of what would be left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from leafletgen.content.pharmacy import LIMITS
from leafletgen.render.locales import locale_info
from leafletgen.render.options import options_for
from leafletgen.serve.messages import CLINIC_LABELS, Reason, choice_id, option_id
from leafletgen.serve.pool import Catalogue

#: Files of templates/web/ the page loads, by URL name: the only ones served (no path from a request).
STATIC = {"order.css": "text/css; charset=utf-8", "order.js": "text/javascript; charset=utf-8"}
TITLE = "Order patient leaflets – leafletgen"


@dataclass
class FormState:
    """What the form holds: as sent, with the reasons it could not be delivered."""

    choices: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # form field name -> value
    reasons: list[Reason] = field(default_factory=list)
    offer: list[tuple[str, str]] = field(default_factory=list)  # units that can be delivered now


@cache
def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                              undefined=jinja2.StrictUndefined, auto_reload=True)


def _language(code: str, fallback_name: str) -> dict[str, str]:
    try:
        info = locale_info(code)
        return {"tag": info.tag, "dir": info.direction}
    except Exception:  # a locale the data cannot describe is still listed, by its code
        return {"tag": code.replace("_", "-"), "dir": "ltr", "name": fallback_name}


def context(catalogue: Catalogue, state: FormState, max_items: int, *, tokens: bool) -> dict[str, Any]:
    """Everything the template shows."""
    errors = {r.field: r.message for r in state.reasons if r.field}
    chosen = set(state.choices)
    leaflets = []
    for leaflet in catalogue.leaflets.values():
        languages = []
        for ready in catalogue.readiness[leaflet.id].values():
            ident = choice_id(leaflet.id, ready.code)
            status = ("Not available yet: its warnings are not complete" if not ready.ready else "Reviewed"
                      if ready.reviewed else "Machine draft, not reviewed")
            languages.append({"id": ident, "value": f"{leaflet.id}:{ready.code}", "name": ready.name,
                              "english": ready.english_name, "ready": ready.ready, "status": status,
                              "checked": f"{leaflet.id}:{ready.code}" in chosen, "error": errors.get(ident),
                              **_language(ready.code, ready.name)})
        leaflets.append({"id": leaflet.id, "title": leaflet.title.text.replace("**", ""),
                         "revision": leaflet.meta.revision, "date": leaflet.meta.revision_date.isoformat(),
                         "languages": languages})
    first = next(iter(catalogue.readiness.values()), {})
    seconds = [{"code": r.code, "name": r.name, "english": r.english_name, **_language(r.code, r.name)}
               for r in sorted(first.values(), key=lambda r: r.english_name) if r.ready]
    options = []
    for spec in options_for("form"):
        name = str(spec.form)
        sent = state.values.get(name)
        if spec.kind == "flag":
            value: Any = sent in ("true", "on", "1") if state.values else bool(spec.default)
        else:
            value = sent if sent is not None else (spec.default or "")
        first_id = option_id(name, spec.values[0]) if spec.kind == "choice" else option_id(name)
        options.append({"spec": spec, "name": name, "value": value, "id": first_id, "error": errors.get(name)})
    clinic = [{"name": key, "label": label, "value": state.values.get(key, ""), "limit": LIMITS[key],
               "error": errors.get(key)} for key, label in CLINIC_LABELS.items()]
    titles = {leaflet["id"]: leaflet["title"] for leaflet in leaflets}
    english = {(leaflet.id, r.code): r.english_name for leaflet in catalogue.leaflets.values()
               for r in catalogue.readiness[leaflet.id].values()}
    left_out = [f"{titles.get(r.unit['leaflet'], r.unit['leaflet'])} – "
                f"{english.get((r.unit['leaflet'], r.unit['locale']), r.unit['locale'])}"
                for r in state.reasons if r.unit and "locale" in r.unit]
    return {
        "title": ("Error: " if state.reasons else "") + TITLE,
        "leaflets": leaflets, "options": options, "seconds": seconds, "clinic": clinic,
        "reasons": state.reasons, "max_items": max_items, "tokens": tokens,
        "offer": [f"{titles.get(lid, lid)} – {english.get((lid, code), code)}" for lid, code in state.offer],
        "left_out": left_out if state.offer else [],
        "details": [line for reason in state.reasons for line in reason.detail],
    }


def render(catalogue: Catalogue, state: FormState, max_items: int, *, tokens: bool = False) -> str:
    catalogue.refresh()
    env = _environment(catalogue.project.templates_dir / "web")
    return env.get_template("order.html.j2").render(**context(catalogue, state, max_items, tokens=tokens))


def static_file(catalogue: Catalogue, name: str) -> bytes | None:
    if name not in STATIC:
        return None
    try:
        return (catalogue.project.templates_dir / "web" / name).read_bytes()
    except OSError:
        return None
