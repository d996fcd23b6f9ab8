"""The requests the server accepts, as pydantic models: the JSON API's order and options, a PDF
URL's query, and the order page's form (read into the same models, with plain reasons)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from leafletgen.content.model import control_characters, hidden_characters_reason
from leafletgen.content.pharmacy import LIMITS, Pharmacy
from leafletgen.render.options import LOCALE_MAX_LENGTH, Option, RenderOptions, Surface, options_for
from leafletgen.serve.messages import CLINIC_LABELS, Reason, field_reason, option_id
from leafletgen.serve.pool import Catalogue

#: The most items (leaflet x language) one order may have: one order takes one place in the queue.
MAX_ITEMS = 24


class Clinic(BaseModel):
    """Contact details printed on the leaflets; same limits as a pharmacy profile."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=LIMITS["name"])
    address: str = Field(min_length=1, max_length=LIMITS["address"])
    phone: str = Field(min_length=1, max_length=LIMITS["phone"])
    hours: str = Field(default="", max_length=LIMITS["hours"])

    @field_validator("name", "address", "phone", "hours")
    @classmethod
    def _one_line(cls, value: str) -> str:
        value = value.strip()
        if control_characters(value, allowed=""):
            raise ValueError("must be one line without control characters")
        hidden = hidden_characters_reason(value)  # bidi overrides, invisible characters
        if hidden:
            raise ValueError(hidden)
        return value


def _option_field(spec: Option, surface: Surface) -> tuple[Any, Any]:
    """A declared render option (render/options.py) as a pydantic field, named as on ``surface``."""
    kind: Any = Literal[spec.values] if spec.kind == "choice" else bool if spec.kind == "flag" else str | None
    name = spec.on(surface)
    return kind, Field(spec.default, alias=name if name != spec.name else None, title=spec.label or None,
                       description=spec.help, max_length=LOCALE_MAX_LENGTH if spec.kind == "locale" else None)


def _options_model(model: str, surface: Surface, *, base: type[BaseModel] | None = None,
                   forbid: bool = False) -> type[BaseModel]:
    """A model of the render options offered on ``surface``; its field names are RenderOptions'."""
    fields: dict[str, Any] = {spec.name: _option_field(spec, surface) for spec in options_for(surface)}
    if base is not None:
        return create_model(model, __base__=base, **fields)
    return create_model(model, __config__=ConfigDict(extra="forbid" if forbid else "ignore", populate_by_name=True),
                        **fields)


class _OrderFormFields(BaseModel):
    """The order form's fields that are not render options (read by :func:`read_form`)."""

    choice: list[str] = Field(default_factory=list)
    name: str = Field("", max_length=LIMITS["name"])
    address: str = Field("", max_length=LIMITS["address"])
    phone: str = Field("", max_length=LIMITS["phone"])
    hours: str = Field("", max_length=LIMITS["hours"])


# The render options of the API, generated from their declaration: an order's JSON ``options``
# (an unknown field is refused), a PDF URL's query (unknown parameters are ignored, as caches
# and proxies add some), and the order page's form (its own field names, e.g. ``second``).
if TYPE_CHECKING:  # mypy cannot see fields made at run time; the code reads them by declaration
    Options = BaseModel
    QueryOptions = BaseModel
    OrderForm = _OrderFormFields
else:
    Options = _options_model("Options", "api", forbid=True)
    QueryOptions = _options_model("QueryOptions", "api")
    OrderForm = _options_model("OrderForm", "form", base=_OrderFormFields)


def render_options(options: BaseModel, catalogue: Catalogue, pharmacy: Pharmacy | None = None) -> RenderOptions:
    """The declared options of a request, its locale codes by their known names (``pt-br``: ``pt_BR``)."""
    values = {spec.name: getattr(options, spec.name) for spec in options_for("api")}
    for spec in options_for("api"):
        if spec.kind == "locale" and values[spec.name]:
            values[spec.name] = catalogue.locale(values[spec.name])
    return RenderOptions(**values, pharmacy=pharmacy)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    leaflet: str = Field(max_length=100)
    locale: str = Field(max_length=16)


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[Item] = Field(min_length=1, max_length=MAX_ITEMS,
                              description=f"the leaflets and languages, at most {MAX_ITEMS}; one order is one "
                                          "place in the queue, however many items it has")
    options: Options = Options()
    clinic: Clinic | None = None
    partial: bool = Field(False, description="deliver the items that can be printed and list the others in the "
                                             "manifest's left_out; false: refuse the whole order if any is refused")




# -- the order form, read into the API's models ---------------------------------------------------

def read_form(choices: list[str], values: dict[str, str], catalogue: Catalogue
              ) -> tuple[list[tuple[str, str]], BaseModel, Clinic | None, list[Reason]]:
    """(items, options, clinic, reasons) of a posted order form; ``reasons`` empty when it is valid."""
    reasons: list[Reason] = []
    first = next((f"c-{lid}-{code}" for lid, states in catalogue.readiness.items()
                  for code, state in states.items() if state.ready), None)
    if not choices:
        reasons.append(Reason("no_choice", "Choose at least one leaflet in one language.", first))
    elif len(choices) > MAX_ITEMS:
        where = "c-" + choices[0].replace(":", "-", 1)
        reasons.append(Reason("too_many", f"You chose {len(choices)} leaflets and languages; one order can have "
                              f"at most {MAX_ITEMS}. Untick some, and order the rest separately.", where))
    items = []
    for value in choices[:MAX_ITEMS]:
        leaflet_id, _, locale = value.partition(":")
        try:
            item = Item(leaflet=leaflet_id, locale=locale)
        except ValidationError:
            reasons.append(Reason("invalid", "One of the chosen languages is not one this page offers: please "
                                  "choose again.", first))
            break
        items.append((item.leaflet, item.locale))
    specs = options_for("form")
    sent = {spec.name: _form_value(spec, values.get(str(spec.form))) for spec in specs}
    options: BaseModel = Options()
    try:
        options = Options.model_validate({name: value for name, value in sent.items() if value is not None})
    except ValidationError as exc:
        by_name = {spec.name: spec for spec in specs} | {str(spec.api): spec for spec in specs}
        for error in exc.errors():
            spec = by_name[str(error["loc"][0])]
            where = option_id(str(spec.form), spec.values[0] if spec.kind == "choice" else None)
            reason = field_reason(str(spec.label), dict(error), {c.value: c.label for c in spec.choices})
            reasons.append(Reason(reason.code, reason.message, where))
    clinic = None
    given = {key: values.get(key, "") for key in CLINIC_LABELS}
    if any(value.strip() for value in given.values()):
        try:
            clinic = Clinic(**given)
        except ValidationError as exc:
            reasons.extend(field_reason(str(e["loc"][0]), dict(e)) for e in exc.errors())
    return items, options, clinic, reasons


def _form_value(spec: Option, value: str | None) -> Any:
    if spec.kind == "flag":
        return value in ("true", "on", "1")
    if spec.kind == "locale":
        return value or None
    return value


def pharmacy_of(clinic: Clinic | None) -> Pharmacy | None:
    return Pharmacy(clinic.name, clinic.address, clinic.phone, clinic.hours) if clinic else None
