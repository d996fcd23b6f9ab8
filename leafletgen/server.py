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
import signal
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .build import (
    build_key,
    for_locale,
    load_catalog,
    load_leaflets,
    output_path,
    refusals_for,
    render_one,
    template_messages,
    templates_digest,
)
from .catalogs import SOURCE_LOCALE, TEMPLATES_DOMAIN, available_locales
from .errors import LeafletError
from .files import atomic_write_bytes
from .locales import locale_info
from .model import Leaflet
from .pharmacy import LIMITS, Pharmacy
from .project import Project
from .render import RenderOptions

MAX_ITEMS = 24
MAX_BODY_BYTES = 64 * 1024
CACHE_FILES = 512


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
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("must be one line without control characters")
        return value


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    paper: Literal["a4", "letter"] = "a4"
    large_print: bool = False
    with_locale: str | None = Field(default=None, alias="with", max_length=16)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    leaflet: str = Field(max_length=100)
    locale: str = Field(max_length=16)


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[Item] = Field(min_length=1, max_length=MAX_ITEMS)
    options: Options = Options()
    clinic: Clinic | None = None


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status, self.error, self.detail, self.headers = status, error, detail, headers or {}


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


# -- what can be ordered -------------------------------------------------------------------------

@dataclass(frozen=True)
class Readiness:
    code: str
    name: str
    english_name: str
    direction: str
    ready: bool
    reviewed: bool
    problems: tuple[str, ...]


class Catalogue:
    """The known leaflets and, per leaflet and locale, whether it may be printed (the CLI's gate)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self.leaflets: dict[str, Leaflet] = {}
        self.readiness: dict[str, dict[str, Readiness]] = {}
        self.refresh()

    def _current_signature(self) -> tuple[tuple[str, int, int], ...]:
        files = [*self.project.leaflets_dir.glob("*.yaml"), *self.project.locales_dir.glob("*/LC_MESSAGES/*.po"),
                 *self.project.templates_dir.glob("*.j2")]
        return (*sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files),)

    def refresh(self) -> None:
        signature = self._current_signature()
        if signature == self._signature:
            return
        self.leaflets = {leaflet.id: leaflet for leaflet in load_leaflets(self.project)}
        template_msgs = template_messages(self.project)
        readiness: dict[str, dict[str, Readiness]] = {}
        for leaflet in self.leaflets.values():
            readiness[leaflet.id] = {}
            for code in available_locales(self.project.locales_dir):
                info = locale_info(code)
                try:
                    catalog = load_catalog(self.project, code, leaflet.id)
                    strings = load_catalog(self.project, code, TEMPLATES_DOMAIN)
                    problems = tuple(str(f) for f in refusals_for(self.project, leaflet, code, catalog, strings,
                                                                  template_msgs))
                    reviewed = code == SOURCE_LOCALE or bool(catalog and catalog.reviewed)
                except LeafletError as exc:
                    problems, reviewed = tuple(str(p) for p in exc.problems), False
                readiness[leaflet.id][code] = Readiness(code, info.name, info.english_name, info.direction,
                                                        not problems, reviewed, problems)
        self.readiness, self._signature = readiness, signature

    def check(self, leaflet_id: str, locale: str, with_locale: str | None = None) -> Leaflet:
        """The leaflet, if it and the locale(s) are known and ready; an ApiError otherwise."""
        self.refresh()
        leaflet = self.leaflets.get(leaflet_id)
        if leaflet is None:
            raise ApiError(404, "unknown leaflet", {"leaflet": leaflet_id, "known": sorted(self.leaflets)})
        for code in (locale, with_locale):
            if code is None:
                continue
            state = self.readiness[leaflet_id].get(code)
            if state is None:
                raise ApiError(404, "unknown locale", {"locale": code, "known": sorted(self.readiness[leaflet_id])})
            if not state.ready:
                raise ApiError(409, "locale refused: its warnings are not complete",
                               {"leaflet": leaflet_id, "locale": code, "problems": list(state.problems)})
        return leaflet


# -- rendering off the event loop ----------------------------------------------------------------

@lru_cache(maxsize=8)
def _worker_leaflet(root: str, leaflet_id: str, mtime_ns: int) -> Leaflet:
    return load_leaflets(Project(Path(root)), [leaflet_id])[0]


class _TimeLimit(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _TimeLimit


def _render_in_worker(root: str, leaflet_id: str, locale: str, options: RenderOptions, cache_file: str,
                      timeout: float) -> tuple[str, Any]:
    """Runs in a worker process: gate again (the files may have changed), render, store in the cache.

    The time limit is enforced here (an interval timer), so a slow render frees its
    worker instead of holding it. Returns ("ok", pdf bytes), ("refused", problems),
    ("failed", problems) or ("timeout", seconds).
    """
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        state, result = _gate_and_render(root, leaflet_id, locale, options)
        if state == "ok":
            atomic_write_bytes(Path(cache_file), result)
        return state, result
    except _TimeLimit:
        return "timeout", timeout
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _gate_and_render(root: str, leaflet_id: str, locale: str, options: RenderOptions) -> tuple[str, Any]:
    project = Project(Path(root))
    try:
        source = project.leaflets_dir / f"{leaflet_id}.yaml"
        leaflet = _worker_leaflet(root, leaflet_id, source.stat().st_mtime_ns)
        msgs = template_messages(project)
        problems = [str(f) for code in dict.fromkeys([locale, options.with_locale]) if code
                    for f in refusals_for(project, leaflet, code, load_catalog(project, code, leaflet_id),
                                          load_catalog(project, code, TEMPLATES_DOMAIN), msgs)]
        if problems:
            return "refused", problems
        return "ok", render_one(project, leaflet, locale, options, load_catalog(project, locale, leaflet_id),
                                load_catalog(project, locale, TEMPLATES_DOMAIN))
    except LeafletError as exc:
        return "failed", [str(p) for p in exc.problems]


class Renderer:
    def __init__(self, project: Project, cache_dir: Path, workers: int, queue: int, timeout: float) -> None:
        self.project, self.cache_dir, self.timeout, self.queue = project, cache_dir, timeout, queue
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.inflight: dict[str, asyncio.Future[tuple[str, Any]]] = {}

    def start(self) -> None:
        import multiprocessing

        from .pdf import warm_up

        warm_up()  # workers forked from here inherit WeasyPrint and fontconfig
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"))
        self.cache_dir.mkdir(parents=True, exist_ok=True)

    def stop(self) -> None:
        if self.pool:
            self.pool.shutdown(cancel_futures=True)

    def key(self, leaflet: Leaflet, locale: str, options: RenderOptions) -> str:
        return build_key(self.project, leaflet, locale, options, templates_digest(self.project))

    def cached(self, key: str) -> bytes | None:
        try:
            return (self.cache_dir / f"{key}.pdf").read_bytes()
        except OSError:
            return None

    async def pdf(self, leaflet: Leaflet, locale: str, options: RenderOptions) -> tuple[bytes, str]:
        options = for_locale(options, locale)
        key = self.key(leaflet, locale, options)
        data = self.cached(key)
        if data is not None:
            return data, key
        future = self.inflight.get(key)
        if future is None:
            if len(self.inflight) >= self.workers + self.queue:  # every worker busy and the queue full
                raise ApiError(503, "busy: too many renders queued, try again shortly", headers={"Retry-After": "5"})
            future = self._submit(leaflet.id, locale, options, key)
            self.inflight[key] = future
            future.add_done_callback(partial(self._finished, key))
        try:
            state, result = await asyncio.shield(future)
        except BrokenProcessPool:
            self._restart()  # a worker died (killed, out of memory): the next request gets a fresh pool
            raise ApiError(503, "a render worker died; try again", headers={"Retry-After": "2"}) from None
        if state == "timeout":
            raise ApiError(504, f"render took longer than {self.timeout:g} s", headers={"Retry-After": "10"})
        if state == "refused":
            raise ApiError(409, "locale refused", {"leaflet": leaflet.id, "locale": locale, "problems": result})
        if state == "failed":
            raise ApiError(500, "render failed", {"leaflet": leaflet.id, "locale": locale, "problems": result})
        return result, key

    def _submit(self, leaflet_id: str, locale: str, options: RenderOptions, key: str
                ) -> asyncio.Future[tuple[str, Any]]:
        assert self.pool is not None
        self._evict()
        return asyncio.get_running_loop().run_in_executor(
            self.pool, _render_in_worker, str(self.project.root), leaflet_id, locale, options,
            str(self.cache_dir / f"{key}.pdf"), self.timeout)

    def _restart(self) -> None:
        import multiprocessing

        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"))

    def _evict(self) -> None:
        """Keep the cache bounded: drop the least recently written files beyond CACHE_FILES."""
        files = sorted(self.cache_dir.glob("*.pdf"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - CACHE_FILES)]:
            old.unlink(missing_ok=True)

    def _finished(self, key: str, future: asyncio.Future[tuple[str, Any]]) -> None:
        self.inflight.pop(key, None)


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
                      paper: Literal["a4", "letter"] = "a4", large_print: bool = False,
                      with_locale: Annotated[str | None, Query(alias="with", max_length=16)] = None) -> Response:
        leaflet = catalogue.check(leaflet_id, locale, with_locale)
        options = for_locale(RenderOptions(paper=paper, large_print=large_print, with_locale=with_locale), locale)
        etag = f'"{renderer.key(leaflet, locale, options)}"'
        if etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers={"ETag": etag})
        data, _ = await renderer.pdf(leaflet, locale, options)
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
    async def order_form(request: Request, choice: Annotated[list[str], Form()] = [],  # noqa: B006
                         paper: Annotated[Literal["a4", "letter"], Form()] = "a4",
                         large_print: Annotated[bool, Form()] = False,
                         second: Annotated[str, Form(max_length=16)] = "",
                         name: Annotated[str, Form(max_length=LIMITS["name"])] = "",
                         address: Annotated[str, Form(max_length=LIMITS["address"])] = "",
                         phone: Annotated[str, Form(max_length=LIMITS["phone"])] = "",
                         hours: Annotated[str, Form(max_length=LIMITS["hours"])] = "") -> Response:
        if not choice:
            raise ApiError(422, "Choose at least one leaflet in one language.")
        try:
            items = [Item(leaflet=value.partition(":")[0], locale=value.partition(":")[2])
                     for value in choice[:MAX_ITEMS + 1]]
            clinic = Clinic(name=name, address=address, phone=phone, hours=hours) if name or address or phone \
                else None
            options = Options.model_validate({"paper": paper, "large_print": large_print, "with": second or None})
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
    options = RenderOptions(paper=order.options.paper, large_print=order.options.large_print,
                            with_locale=order.options.with_locale, pharmacy=pharmacy)
    items = list(dict.fromkeys((i.leaflet, i.locale) for i in order.items))
    leaflets = [catalogue.check(leaflet_id, locale, options.with_locale) for leaflet_id, locale in items]
    results = await asyncio.gather(*(renderer.pdf(leaflet, locale, options)
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
                             "options": {"paper": options.paper, "large_print": options.large_print,
                                         "with": options.with_locale,
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
        message=message, problems=problems or [], max_items=MAX_ITEMS)
    return HTMLResponse(html, status_code=status)


def serve(project: Project, host: str, port: int, workers: int | None, queue: int, timeout: float) -> None:
    import uvicorn

    app = create_app(project, workers=workers, queue=queue, timeout=timeout)
    uvicorn.run(app, host=host, port=port, log_level="info")
