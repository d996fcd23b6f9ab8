"""Clinics order localized PDFs: an order page and a JSON API (FastAPI + uvicorn).

- Rendering runs in a pool of worker processes, never on the event loop.
- Identical requests share one render; results are kept in a content-addressed cache
  keyed by the build key (cache.py), which is also the ETag.
- A bounded queue answers 503 with Retry-After when full; each render has a time limit.
- Leaflet and locale ids are matched against the known set; nothing from a request
  becomes a path. Clinic details are length-limited and escaped by the templates.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import zipfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from leafletgen.build.outputs import output_path
from leafletgen.content.model import control_characters, hidden_characters_reason
from leafletgen.content.pharmacy import LIMITS, Pharmacy
from leafletgen.project import Project
from leafletgen.render.options import LOCALE_MAX_LENGTH, Option, RenderOptions, Surface, for_locale, options_for
from leafletgen.serve.pool import ApiError, Catalogue, Renderer

MAX_ITEMS = 24
MAX_BODY_BYTES = 64 * 1024


# -- request models ---------------------------------------------------------------------------

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
    """The order form's fields that are not render options."""

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


def _render_options(options: BaseModel, catalogue: Catalogue, pharmacy: Pharmacy | None = None) -> RenderOptions:
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
    items: list[Item] = Field(min_length=1, max_length=MAX_ITEMS)
    options: Options = Options()
    clinic: Clinic | None = None


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes, declared or streamed (chunked)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length and (not length.isdigit() or int(length) > self.limit):
            await _error(413, f"request body larger than {self.limit} bytes")(scope, receive, send)
            return
        # Read the whole (small) body first, so a streamed body over the limit never reaches the app.
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.limit:
                await _error(413, f"request body larger than {self.limit} bytes")(scope, receive, send)
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay() -> dict[str, Any]:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


# -- the application -------------------------------------------------------------------------------

def create_app(project: Project, *, cache_dir: Path | None = None, workers: int | None = None, queue: int = 32,
               timeout: float = 60.0) -> FastAPI:
    catalogue = Catalogue(project)
    renderer = Renderer(project, cache_dir or project.root / "out" / ".server-cache",
                        workers or os.cpu_count() or 1, queue, timeout)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        renderer.start()
        yield
        renderer.stop()

    app = FastAPI(title="leafletgen", summary="Localized, accessible patient leaflets (PDF/UA-1)",
                  version="1", lifespan=lifespan)
    app.state.catalogue, app.state.renderer = catalogue, renderer

    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        if request.url.path == "/order":
            page = _order_page(catalogue, status=exc.status, message=exc.error, problems=_problems(exc.detail))
            page.headers.update(exc.headers)
            return page
        return _error(exc.status, exc.error, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e["loc"][1:]), "problem": e["msg"]} for e in exc.errors()]
        if request.url.path == "/order":
            return _order_page(catalogue, status=422, message="Please correct the form.",
                               problems=[f"{e['field']}: {e['problem']}" for e in errors])
        return _error(422, "invalid request", errors)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        return _error(500, "internal error")  # never a stack trace in a response

    @app.get("/api/leaflets", summary="Leaflets and, per locale, whether it can be ordered")
    async def leaflets() -> dict[str, Any]:
        catalogue.refresh()
        return {"leaflets": [
            {"id": leaflet.id, "title": leaflet.title.text.replace("**", ""), "revision": leaflet.meta.revision,
             "revision_date": leaflet.meta.revision_date.isoformat(),
             "locales": [{"code": r.code, "name": r.name, "english_name": r.english_name, "direction": r.direction,
                          "ready": r.ready, "reviewed": r.reviewed, "problems": list(r.problems)}
                         for r in catalogue.readiness[leaflet.id].values()]}
            for leaflet in catalogue.leaflets.values()]}

    @app.get("/api/leaflets/{leaflet_id}/{locale}.pdf", summary="One leaflet as PDF (stable URL with ETag)",
             response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
    async def one_pdf(request: Request, leaflet_id: str, locale: str,
                      query: Annotated[QueryOptions, Query()]) -> Response:
        catalogue.refresh()
        requested, locale = _render_options(query, catalogue), catalogue.locale(locale)
        leaflet = catalogue.check(leaflet_id, locale, requested.with_locale)
        options = for_locale(requested, locale)
        snapshot = catalogue.snapshot
        etag = f'"{renderer.key(snapshot, leaflet, locale, options)}"'
        if etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers={"ETag": etag})
        data, _ = await renderer.pdf(snapshot, leaflet, locale, options)
        name = output_path(Path("."), leaflet.id, locale, for_locale(options, locale)).name
        return Response(data, media_type="application/pdf", headers={
            "ETag": etag, "Cache-Control": "no-cache", "Content-Disposition": f'inline; filename="{name}"'})

    @app.post("/api/orders", summary="Several leaflets and languages as one ZIP with manifest.json",
              response_class=Response, responses={200: {"content": {"application/zip": {}}}})
    async def order(order: Order) -> Response:
        return await _fulfil(catalogue, renderer, order)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> Response:
        return _order_page(catalogue)

    @app.post("/order", include_in_schema=False)
    async def order_form(form: Annotated[OrderForm, Form()]) -> Response:
        if not form.choice:
            raise ApiError(422, "Choose at least one leaflet in one language.")
        try:
            items = [Item(leaflet=value.partition(":")[0], locale=value.partition(":")[2])
                     for value in form.choice[:MAX_ITEMS + 1]]
            clinic = Clinic(name=form.name, address=form.address, phone=form.phone, hours=form.hours) \
                if form.name or form.address or form.phone else None
            options = Options.model_validate({spec.name: getattr(form, spec.name) for spec in options_for("form")})
            request_order = Order(items=items, options=options, clinic=clinic)
        except ValueError as exc:
            raise ApiError(422, "Please correct the form.", [str(e["loc"][0]) + ": " + e["msg"]
                                                             for e in getattr(exc, "errors", list)()]) from None
        return await _fulfil(catalogue, renderer, request_order)

    return app


async def _fulfil(catalogue: Catalogue, renderer: Renderer, order: Order) -> Response:
    """One PDF for one item, else a ZIP of PDFs with manifest.json."""
    clinic = order.clinic
    pharmacy = Pharmacy(clinic.name, clinic.address, clinic.phone, clinic.hours) if clinic else None
    catalogue.refresh()
    options = _render_options(order.options, catalogue, pharmacy)
    items = list(dict.fromkeys((i.leaflet, catalogue.locale(i.locale)) for i in order.items))
    leaflets = [catalogue.check(leaflet_id, locale, options.with_locale) for leaflet_id, locale in items]
    snapshot = catalogue.snapshot
    results = await asyncio.gather(*(renderer.pdf(snapshot, leaflet, locale, options)
                                     for leaflet, (_, locale) in zip(leaflets, items, strict=True)))
    names = [output_path(Path("."), leaflet.id, locale, for_locale(options, locale)).name
             for leaflet, (_, locale) in zip(leaflets, items, strict=True)]
    if len(items) == 1:
        return Response(results[0][0], media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{names[0]}"'})
    buffer = io.BytesIO()
    manifest = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for leaflet, (_, locale), (data, _key), name in zip(leaflets, items, results, names, strict=True):
            archive.writestr(name, data)
            state = catalogue.readiness[leaflet.id][locale]
            second = catalogue.readiness[leaflet.id].get(options.with_locale or "")
            reviewed = state.reviewed and (second is None or second.reviewed)
            manifest.append({"file": name, "leaflet": leaflet.id, "revision": leaflet.meta.revision,
                             "locale": locale, "language": state.name,
                             "with": options.with_locale if options.with_locale != locale else None,
                             "review_state": "reviewed" if reviewed else "not reviewed",
                             "options": {**{str(spec.api): getattr(options, spec.name)
                                            for spec in options_for("api")},
                                         "clinic": clinic.model_dump() if clinic else None},
                             "sha256": hashlib.sha256(data).hexdigest()})
        archive.writestr("manifest.json", json.dumps({"files": manifest}, indent=2, ensure_ascii=False))
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="leaflets.zip"'})


def _etags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header; weak ones compare equal (RFC 9110 weak comparison)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _problems(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [str(p) for p in detail.get("problems", [])]
    if isinstance(detail, list):
        return [str(p) for p in detail]
    return []


def _error(status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": error}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status, headers=headers)


def _order_page(catalogue: Catalogue, *, status: int = 200, message: str = "", problems: list[str] | None = None
                ) -> HTMLResponse:
    import jinja2

    catalogue.refresh()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(catalogue.project.templates_dir / "web"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    html = env.get_template("order.html.j2").render(
        leaflets=list(catalogue.leaflets.values()), readiness=catalogue.readiness, limits=LIMITS,
        options=options_for("form"),
        message=message, problems=problems or [], max_items=MAX_ITEMS)
    return HTMLResponse(html, status_code=status)


def serve(project: Project, host: str, port: int, workers: int | None, queue: int, timeout: float) -> None:
    import uvicorn

    app = create_app(project, workers=workers, queue=queue, timeout=timeout)
    # SIGTERM: stop taking requests, give running ones 2 s, then the pool kills their renders.
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=2)
