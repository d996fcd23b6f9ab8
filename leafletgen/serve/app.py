"""Clinics order localized PDFs: an order page and a JSON API (FastAPI + uvicorn).

- Rendering runs in a pool of worker processes, never on the event loop.
- Identical requests share one render; results are kept in a content-addressed cache
  keyed by the build key (cache.py), which is also the ETag.
- An order, however many items, takes one place in a bounded queue (pool.py); a full queue
  answers 503 with Retry-After; each render has a time limit.
- Every refusal has a plain reason (messages.py): on the page, an error summary with the form
  filled in as it was sent; in JSON, ``code``, ``message`` and the unit.
- Optional bearer tokens (access.py), required when listening beyond this machine, and a rate
  limit per client. The API is described at /docs, a page of its own (no CDN).
- Leaflet and locale ids are matched against the known set; nothing from a request
  becomes a path. Clinic details are length-limited and escaped by the templates.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from leafletgen.build.outputs import output_path
from leafletgen.errors import UsageError
from leafletgen.project import Project
from leafletgen.render.options import for_locale
from leafletgen.serve import apidocs, page
from leafletgen.serve.access import RateLimit, Tokens, is_loopback
from leafletgen.serve.messages import Reason, explain
from leafletgen.serve.middleware import BodyLimit, Guard, json_error
from leafletgen.serve.models import (
    MAX_ITEMS,
    Clinic,
    Item,
    Options,
    Order,
    OrderForm,
    QueryOptions,
    pharmacy_of,
    read_form,
    render_options,
)
from leafletgen.serve.orders import ProgressBoard, Refusal, content_disposition, fulfil, gate, refusal_reasons
from leafletgen.serve.pool import ApiError, Catalogue, Renderer

__all__ = ["MAX_ITEMS", "Clinic", "Item", "Options", "Order", "OrderForm", "QueryOptions", "create_app", "serve"]

MAX_BODY_BYTES = 64 * 1024
#: Items (leaflet x language) a client may order per minute by default; 0 turns the limit off.
RATE_PER_MINUTE = 120
#: What a clinic system may be told, documented on every rendering call (JSON: code, message, unit).
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "a token is required (serve --tokens)"},
    404: {"description": "unknown leaflet, or a language it is not offered in"},
    409: {"description": "a language refused: its warnings are not complete (every reason, and what is available)"},
    422: {"description": "invalid request (each field, with a plain message)"},
    429: {"description": "too many items ordered by this client in a short time (Retry-After)"},
    503: {"description": "busy: every place in the queue is taken (Retry-After)"},
    504: {"description": "a render took longer than the time limit"},
}
_PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
                 "X-Content-Type-Options": "nosniff"}


class _Limited(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = max(1, int(seconds + 0.999))


def create_app(project: Project, *, cache_dir: Path | None = None, workers: int | None = None, queue: int = 32,
               timeout: float = 60.0, tokens: Tokens | None = None, rate: int = RATE_PER_MINUTE) -> FastAPI:
    catalogue = Catalogue(project)
    renderer = Renderer(project, cache_dir or project.root / "out" / ".server-cache",
                        workers or os.cpu_count() or 1, queue, timeout)
    board, limit = ProgressBoard(), RateLimit(rate)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        renderer.start()
        yield
        renderer.stop()

    # docs_url=None: FastAPI's /docs loads Swagger UI from a CDN; ours is a page of its own (apidocs.py).
    app = FastAPI(title="leafletgen", summary="Localized, accessible patient leaflets (PDF/UA-1)",
                  version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.catalogue, app.state.renderer, app.state.progress = catalogue, renderer, board

    app.add_middleware(Guard, tokens=tokens)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    def take(request: Request, cost: int) -> None:
        wait = limit.take(str(getattr(request.state, "client", "unknown")), cost)
        if wait:
            raise _Limited(wait)

    def order_page(state: page.FormState, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        html = page.render(catalogue, state, MAX_ITEMS, tokens=tokens is not None)
        return HTMLResponse(html, status_code=status, headers={**_PAGE_HEADERS, **(headers or {})})

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        reason = explain(exc, catalogue)
        return json_error(exc.status, reason.code, reason.message, error=exc.error, detail=exc.detail,
                          headers=exc.headers, **({"unit": reason.unit} if reason.unit else {}))

    @app.exception_handler(_Limited)
    async def limited(request: Request, exc: _Limited) -> Response:
        return json_error(429, "rate_limited", _rate_message(exc.seconds), headers={"Retry-After": str(exc.seconds)})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e["loc"][1:]), "problem": e["msg"]} for e in exc.errors()]
        plain = [{"code": "invalid", "field": e["field"], "message": f"{e['field'] or 'request'}: {e['problem']}"}
                 for e in errors]
        return json_error(422, "invalid", "; ".join(p["message"] for p in plain), error="invalid request",
                          detail=errors, errors=plain)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        return json_error(500, "internal", "Something went wrong on the server. Nothing was ordered: please try "
                          "again.", error="internal error")  # never a stack trace in a response

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
             response_class=Response, responses={200: {"content": {"application/pdf": {}}}, **_ERRORS})
    async def one_pdf(request: Request, leaflet_id: str, locale: str,
                      query: Annotated[QueryOptions, Query()]) -> Response:
        catalogue.refresh()
        requested, locale = render_options(query, catalogue), catalogue.locale(locale)
        leaflet = catalogue.check(leaflet_id, locale, requested.with_locale)
        options = for_locale(requested, locale)
        snapshot = catalogue.snapshot
        etag = f'"{renderer.key(snapshot, leaflet, locale, options)}"'
        if etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers={"ETag": etag})
        take(request, 1)
        with renderer.order():
            data, _ = await renderer.pdf(snapshot, leaflet, locale, options, admitted=True)
        name = output_path(Path("."), leaflet.id, locale, for_locale(options, locale)).name
        return Response(data, media_type="application/pdf", headers={
            "ETag": etag, "Cache-Control": "no-cache", "Content-Disposition": f'inline; filename="{name}"'})

    @app.post("/api/orders", summary="Several leaflets and languages as one ZIP with manifest.json",
              description="One item gives its PDF; several give a ZIP named after the order (clinic, date) with "
                          "manifest.json. A refused item refuses the order (409, every reason, and what is "
                          "available) unless `partial` is true.",
              response_class=Response,
              responses={200: {"content": {"application/zip": {}, "application/pdf": {}}}, **_ERRORS})
    async def order(request: Request, order: Order) -> Response:
        take(request, len(order.items))
        clinic = order.clinic
        options = render_options(order.options, catalogue, pharmacy_of(clinic))
        try:
            body, media, name = await fulfil(catalogue, renderer, [(i.leaflet, i.locale) for i in order.items],
                                             options, clinic=clinic.model_dump() if clinic else None,
                                             partial=order.partial)
        except Refusal as refusal:
            return _refusal_json(refusal)
        except ApiError as exc:
            return await api_error(request, exc)
        return Response(body, media_type=media, headers={"Content-Disposition": content_disposition(name)})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home() -> Response:
        return order_page(page.FormState())

    @app.post("/order", include_in_schema=False)
    async def order_form(request: Request) -> Response:
        raw = await request.form()
        values = {key: value for key, value in raw.items() if key != "choice" and isinstance(value, str)}
        state = page.FormState([v for v in raw.getlist("choice") if isinstance(v, str)], values)
        progress = board.start(values.get("progress"), len(state.choices))
        items, form_options, clinic, state.reasons = read_form(state.choices, values, catalogue)
        if state.reasons:  # with what the gate says of the languages chosen, so all is said at once
            with_locale = render_options(form_options, catalogue).with_locale
            state.reasons += refusal_reasons(catalogue, gate(catalogue, items, with_locale)[1])
            progress.state = "refused"
            return order_page(state, 422)
        try:
            take(request, len(items))
            options = render_options(form_options, catalogue, pharmacy_of(clinic))
            body, media, name = await fulfil(catalogue, renderer, items, options,
                                             clinic=clinic.model_dump() if clinic else None,
                                             partial=values.get("partial") == "yes", progress=progress)
        except _Limited as exc:
            progress.state, state.reasons = "refused", [Reason("rate_limited", _rate_message(exc.seconds))]
            return order_page(state, 429, {"Retry-After": str(exc.seconds)})
        except Refusal as refusal:
            progress.state, state.reasons, state.offer = "refused", refusal.reasons, refusal.available
            return order_page(state, refusal.status, refusal.headers)
        except ApiError as exc:
            progress.state, state.reasons = "refused", [explain(exc, catalogue)]
            return order_page(state, exc.status, exc.headers)
        return Response(body, media_type=media, headers={"Content-Disposition": content_disposition(name)})

    @app.get("/order/progress/{ident}", include_in_schema=False)
    async def order_progress(ident: str) -> Response:
        progress = board.get(ident)
        if progress is None:
            return json_error(404, "unknown_order", "No order with this id is being prepared.")
        return JSONResponse(progress.as_json(), headers={"Cache-Control": "no-store"})

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        data = page.static_file(catalogue, name)
        if data is None:
            return json_error(404, "not_found", "No such file.")
        return Response(data, media_type=page.STATIC[name], headers={"Cache-Control": "no-cache"})

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs() -> Response:
        return HTMLResponse(apidocs.render(catalogue, app.openapi()), headers=_PAGE_HEADERS)

    return app


def _rate_message(seconds: int) -> str:
    return (f"You have ordered many leaflets in a short time. Nothing was lost: please try again in {seconds} "
            f"second{'s' if seconds != 1 else ''}.")


def _refusal_json(refusal: Refusal) -> JSONResponse:
    first = refusal.reasons[0]
    extra: dict[str, Any] = {"errors": [reason.as_json() for reason in refusal.reasons]}
    if first.unit:
        extra["unit"] = first.unit
    if refusal.available:
        extra["available"] = [{"leaflet": leaflet, "locale": locale} for leaflet, locale in refusal.available]
        extra["hint"] = 'send the order again with "partial": true to receive the available items'
    return json_error(refusal.status, first.code, first.message, headers=refusal.headers, **extra)


def _etags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header; weak ones compare equal (RFC 9110 weak comparison)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def serve(project: Project, host: str, port: int, workers: int | None, queue: int, timeout: float, *,
          tokens: Path | None = None, rate: int = RATE_PER_MINUTE) -> None:
    import uvicorn

    if tokens is None and not is_loopback(host):
        raise UsageError(f"listening on {host} (beyond this machine) needs access tokens: "
                         "create a token file with 'leafletgen token FILE --name NAME', then serve --tokens FILE")
    app = create_app(project, workers=workers, queue=queue, timeout=timeout,
                     tokens=Tokens.read(tokens) if tokens else None, rate=rate)
    # SIGTERM: stop taking requests, give running ones 2 s, then the pool kills their renders.
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=2)
