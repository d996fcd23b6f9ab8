"""Why an order cannot be delivered, in plain language: one :class:`Reason` per problem.

The same reasons go to the order page (an error summary that links to each field) and to the
JSON API (``code``, ``message``, ``unit``). The technical lines (the gate's one line per
message, for translators) travel along as ``detail``; they are never the message itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leafletgen.content.pharmacy import LIMITS
from leafletgen.serve.pool import ApiError, Catalogue

#: The clinic fields, by their form name: how the page calls them.
CLINIC_LABELS = {"name": "Name", "phone": "Phone", "address": "Address", "hours": "Opening hours"}


@dataclass(frozen=True)
class Reason:
    """One thing that keeps (part of) an order from being delivered."""

    code: str                               # stable, for programs: "language_unavailable", "busy", ...
    message: str                            # one plain sentence, for people
    field: str | None = None                # the order form control it is about (its id)
    unit: dict[str, str] | None = None      # {"leaflet", "locale"} when it is about one unit
    detail: tuple[str, ...] = ()                # the technical lines behind it

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.unit:
            body["unit"] = self.unit
        if self.field:
            body["field"] = self.field
        if self.detail:
            body["problems"] = list(self.detail)
        return body


def choice_id(leaflet_id: str, locale: str) -> str:
    """The id of a language's checkbox on the order page."""
    return f"c-{leaflet_id}-{locale}"


def option_id(form_name: str, value: str | None = None) -> str:
    """The id of an option's control on the order page (a radio button by its value)."""
    return f"opt-{form_name}" + (f"-{value}" if value is not None else "")


def _title(catalogue: Catalogue, leaflet_id: str) -> str:
    leaflet = catalogue.leaflets.get(leaflet_id)
    return leaflet.title.text.replace("**", "") if leaflet else leaflet_id


def _language(catalogue: Catalogue, leaflet_id: str, locale: str) -> str:
    state = catalogue.readiness.get(leaflet_id, {}).get(locale)
    return state.english_name if state else locale


def why_refused(problems: list[str]) -> str:
    """The gate's lines for one unit as one plain clause ("its warnings are being updated")."""
    text = " ".join(problems)
    if "not translated" in text:
        return "its warnings are not translated yet"
    if "fuzzy" in text or "outdated" in text:
        return "its warnings are being updated"
    if ".po: line" in text or ".po:" in text:
        return "its translation file has an error that must be fixed first"
    return "its warnings are being checked"


def explain(exc: ApiError, catalogue: Catalogue, item: tuple[str, str] | None = None) -> Reason:
    """The plain reason for an error of the catalogue or the renderer (serve/pool.py).

    ``item``: the (leaflet, locale) ordered, when the error may be about its second language.
    """
    detail: dict[str, Any] = exc.detail if isinstance(exc.detail, dict) else {}
    leaflet_id, locale = str(detail.get("leaflet", "")), str(detail.get("locale", ""))
    unit = {"leaflet": leaflet_id, "locale": locale} if leaflet_id and locale else None
    problems = [str(p) for p in detail.get("problems", [])]
    where = choice_id(leaflet_id, locale) if unit else None
    title, language = _title(catalogue, leaflet_id), _language(catalogue, leaflet_id, locale)
    if item and unit and item[1] != locale:  # the item is fine, its second language is not
        why = why_refused(problems) if exc.status == 409 else "it is not offered for this leaflet"
        return Reason("second_language_unavailable", f"The second language, {language}, is not available for "
                      f"{title}: {why}.", "second", {"leaflet": leaflet_id, "locale": item[1], "with": locale},
                      tuple(problems))
    if exc.status == 409 and unit:
        return Reason("language_unavailable", f"{language} is not available for {title} yet: "
                      f"{why_refused(problems)}.", where, unit, tuple(problems))
    if exc.status == 409:
        return Reason("leaflet_unavailable", f"{title} cannot be ordered at the moment: its source file has a "
                      "problem that must be fixed first.", None, {"leaflet": leaflet_id} if leaflet_id else None,
                      tuple(problems))
    if exc.status == 404 and exc.error == "unknown leaflet":
        return Reason("unknown_leaflet", f"There is no leaflet called “{leaflet_id}”.", None,
                      {"leaflet": leaflet_id})
    if exc.status == 404:
        return Reason("language_not_offered", f"{title} is not offered in “{locale}”.", where, unit)
    if exc.status == 504:
        return Reason("timeout", "Preparing the leaflets took too long. Please try again; if it happens again, "
                      "order fewer at once.", None, unit)
    if exc.status == 503 and exc.error.startswith("busy"):
        return Reason("busy", "The server is busy with other orders. Nothing was lost: please try again in a "
                      "minute.")
    if exc.status == 503 and "worker died" in exc.error:
        return Reason("interrupted", "Preparing the leaflets was interrupted. Nothing was lost: please try again.",
                      None, unit)
    if exc.status == 503 and unit:
        return Reason("render_failed", f"{title} in {language} cannot be prepared at the moment. Please try "
                      "again later.", where, unit, tuple(problems))
    return Reason("unavailable", "The leaflets cannot be prepared at the moment. Please try again later.")


# -- the order form's fields ----------------------------------------------------------------------

def field_reason(name: str, error: dict[str, Any], choices: dict[str, str] | None = None) -> Reason:
    """A validation error of one order-form field (pydantic's error dict) in plain language.

    ``choices``: for a field with fixed values, value -> label, to say what may be chosen.
    """
    label = CLINIC_LABELS.get(name, name.replace("_", " ").capitalize())
    kind = str(error.get("type", ""))
    if choices:
        listed = " or ".join(choices.values())
        return Reason("invalid", f"{label}: choose {listed}.", name)
    if kind == "string_too_long":
        limit = LIMITS.get(name, error.get("ctx", {}).get("max_length", 0))
        return Reason("invalid", f"{label}: use at most {limit} characters.", name)
    if kind == "string_too_short" or kind == "missing":
        return Reason("invalid", f"Enter the clinic's {label.lower()}, or leave name, address and phone all "
                      "empty: they are printed together.", name)
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if "control characters" in message:
        return Reason("invalid", f"{label}: write it on one line, without special characters.", name)
    if "reorder" in message or "invisible" in message or "breaks the line" in message:
        return Reason("invalid", f"{label}: remove the invisible formatting characters (often copied from another "
                      "program along with the text).", name, detail=(message,))
    if "no font" in message:
        return Reason("invalid", f"{label}: {message}.", name)
    return Reason("invalid", f"{label}: please check this field ({message}).", name)
