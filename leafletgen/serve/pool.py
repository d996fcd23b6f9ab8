"""Renders for the server: a pool of worker processes, shared in-flight renders, a bounded
content-addressed cache, a bounded queue and a per-render time limit, plus what can be ordered.

Nothing here runs WeasyPrint on the event loop: the parent only hashes inputs (the
build key, which is also the cache file name and the ETag) and waits on futures.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leafletgen.build.keys import build_key, templates_digest, unit_inputs
from leafletgen.build.runner import render_one
from leafletgen.content.model import Leaflet
from leafletgen.errors import LeafletError
from leafletgen.files import atomic_write_bytes
from leafletgen.locale_codes import resolve
from leafletgen.project import Project
from leafletgen.render.html import reviewed as unit_reviewed
from leafletgen.render.locales import locale_info
from leafletgen.render.options import RenderOptions, for_locale
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, offered_locales, template_messages
from leafletgen.translate.gate import document_refusals, refusals_for
from leafletgen.translate.snapshot import Files, Snapshot, cached_leaflet, load_catalog, load_each_leaflet
from leafletgen.workers import start_pool, stop_now

if TYPE_CHECKING:
    from leafletgen.build.cluster import DaskExecutor

CACHE_FILES = 512
BUSY = "busy: too many orders queued, try again shortly"


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status, self.error, self.detail, self.headers = status, error, detail, headers or {}



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
    """The known leaflets and, per leaflet and locale, whether it may be printed (the CLI's gate).

    Everything is decided on one snapshot of the project (re-taken when a file changes),
    and renders use that same snapshot. A broken leaflet source, catalog or locale makes
    only its own units unavailable, with the reason.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self.snapshot = Snapshot(project)
        self.leaflets: dict[str, Leaflet] = {}
        self.broken: dict[str, tuple[str, ...]] = {}
        self.readiness: dict[str, dict[str, Readiness]] = {}
        self.refresh()

    def _current_signature(self) -> tuple[tuple[str, int, int], ...]:
        files = [*self.project.leaflets_dir.rglob("*"), *self.project.locales_dir.glob("*/LC_MESSAGES/*.po"),
                 *self.project.templates_dir.rglob("*.j2")]
        found = []
        for path in files:
            try:
                info = path.stat()
            except OSError:
                continue  # removed meanwhile: the next request sees the new state
            found.append((str(path), info.st_mtime_ns, info.st_size))
        return (*sorted(found),)

    def refresh(self) -> None:
        signature = self._current_signature()
        if signature == self._signature:
            return
        snapshot = Snapshot(self.project)
        loaded = load_each_leaflet(snapshot)
        try:
            template_msgs: dict[str, str] | LeafletError = template_messages(self.project)
        except LeafletError as exc:
            template_msgs = exc
        leaflets = {ident: item for ident, item in loaded.items() if isinstance(item, Leaflet)}
        broken = {ident: tuple(str(p) for p in item.problems) for ident, item in loaded.items()
                  if isinstance(item, LeafletError)}
        readiness: dict[str, dict[str, Readiness]] = {}
        for leaflet in leaflets.values():
            readiness[leaflet.id] = {}
            for code in offered_locales(self.project.locales_dir, leaflet.id):
                readiness[leaflet.id][code] = _readiness(snapshot, leaflet, code, template_msgs)
        self.snapshot, self.leaflets, self.broken = snapshot, leaflets, broken
        self.readiness, self._signature = readiness, signature

    def locale(self, code: str) -> str:
        """The known locale a requested code names (``pt-br``, ``pt-BR``: ``pt_BR``; locale_codes.py);
        a code that names none is returned as it is, and is then "not offered"."""
        known = {c for offered in self.readiness.values() for c in offered}
        try:
            return resolve(code, sorted(known))
        except LeafletError:
            return code

    def check(self, leaflet_id: str, locale: str, with_locale: str | None = None) -> Leaflet:
        """The leaflet, if it and the locale(s) are known and ready; an ApiError otherwise."""
        self.refresh()
        if leaflet_id in self.broken:
            raise ApiError(409, "leaflet unavailable: its source has problems",
                           {"leaflet": leaflet_id, "problems": list(self.broken[leaflet_id])})
        leaflet = self.leaflets.get(leaflet_id)
        if leaflet is None:
            raise ApiError(404, "unknown leaflet", {"leaflet": leaflet_id, "known": sorted(self.leaflets)})
        for code in (locale, with_locale):
            if code is None:
                continue
            state = self.readiness[leaflet_id].get(code)
            if state is None:
                raise ApiError(404, "leaflet not offered in this locale",
                               {"leaflet": leaflet_id, "locale": code, "offered": sorted(self.readiness[leaflet_id])})
            if not state.ready:
                raise ApiError(409, "locale refused: its warnings are not complete",
                               {"leaflet": leaflet_id, "locale": code, "problems": list(state.problems)})
        return leaflet


def _readiness(snapshot: Snapshot, leaflet: Leaflet, code: str, template_msgs: dict[str, str] | LeafletError
               ) -> Readiness:
    """Whether one unit may be printed, and why not; never raises for a broken file or locale."""
    name = english = code
    direction = "ltr"
    try:
        info = locale_info(code)
        name, english, direction = info.name, info.english_name, info.direction
        if isinstance(template_msgs, LeafletError):
            raise template_msgs
        catalog = load_catalog(snapshot, code, leaflet.id)
        strings = load_catalog(snapshot, code, TEMPLATES_DOMAIN)
        problems = tuple(str(f) for f in refusals_for(leaflet, code, catalog, strings, template_msgs))
        reviewed = unit_reviewed(snapshot.project, leaflet, code, catalog, strings)
    except LeafletError as exc:
        problems, reviewed = tuple(str(p) for p in exc.problems), False
    return Readiness(code, name, english, direction, not problems, reviewed, problems)


# -- rendering off the event loop ----------------------------------------------------------------

class _TimeLimit(BaseException):  # not an Exception: the catch-all for render defects must not take it
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _TimeLimit


def _render_in_worker(root: str, leaflet_id: str, locale: str, options: RenderOptions, inputs: Files,
                      cache_file: str, timeout: float) -> tuple[str, Any]:
    """Runs in a worker process: gate again on the snapshot's bytes, render them, store in the cache.

    The time limit is enforced here (an interval timer), so a slow render frees its
    worker instead of holding it. Returns ("ok", pdf bytes), ("refused", problems),
    ("failed", problems) or ("timeout", seconds).
    """
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        state, result = _gate_and_render(root, leaflet_id, locale, options, inputs)
        if state == "ok":
            with contextlib.suppress(OSError):  # a full or read-only cache costs the next render, not this one
                atomic_write_bytes(Path(cache_file), result)
        return state, result
    except _TimeLimit:
        return "timeout", timeout
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _gate_and_render(root: str, leaflet_id: str, locale: str, options: RenderOptions, inputs: Files
                     ) -> tuple[str, Any]:
    snapshot = Snapshot(Project(Path(root)), inputs, sealed=True)
    try:
        leaflet = cached_leaflet(snapshot, leaflet_id)
        problems = [str(f) for f in document_refusals(snapshot, leaflet, [locale, options.with_locale])]
        if problems:
            return "refused", problems
        return "ok", render_one(snapshot, leaflet, locale, options, load_catalog(snapshot, locale, leaflet_id),
                                load_catalog(snapshot, locale, TEMPLATES_DOMAIN))
    except LeafletError as exc:
        return "failed", [str(p) for p in exc.problems]
    except Exception as exc:  # a defect in the engine or here: this request fails, the server goes on
        return "failed", [f"{leaflet_id} {locale}: the render failed unexpectedly ({type(exc).__name__})"]


class Renderer:
    #: The Dask scheduler whose workers render (build/cluster.py), or None: worker processes here.
    #: ``leafletgen serve --scheduler`` sets it before the app is made; a test may set it on one instance.
    scheduler: str | None = None
    #: With a scheduler: the shared PDF cache folder the workers read and write (build/cache.py).
    shared_cache: Path | None = None

    def __init__(self, project: Project, cache_dir: Path, workers: int, queue: int, timeout: float) -> None:
        self.project, self.cache_dir, self.timeout, self.queue = project, cache_dir, timeout, queue
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.cluster: DaskExecutor | None = None  # with a scheduler (start)
        self.inflight: dict[str, asyncio.Future[tuple[str, Any]]] = {}
        #: Orders being rendered or waiting: each takes one place, however many items it has.
        self.orders = 0

    @contextlib.contextmanager
    def order(self) -> Iterator[None]:
        """A place for one whole order (its renders are then never turned away one by one).

        ``workers + queue`` orders may be in at once; one more is told the server is busy. The
        items of an order are bounded by the caller (serve/app.py, MAX_ITEMS), so a place is
        at most that many renders.
        """
        if self.orders >= self.workers + self.queue:
            raise ApiError(503, BUSY, headers={"Retry-After": "5"})
        self.orders += 1
        try:
            yield
        finally:
            self.orders -= 1

    def start(self) -> None:
        with contextlib.suppress(OSError):
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        if self.scheduler:  # WeasyPrint is never loaded here: the cluster's workers render
            from leafletgen.build.cluster import DaskExecutor

            self.cluster = DaskExecutor(self.scheduler)
            return
        from leafletgen.pdf.engine import warm_up

        warm_up()  # workers forked from here inherit WeasyPrint and fontconfig
        self.pool = start_pool(self.workers)

    def stop(self) -> None:
        """At once: running renders are killed, so SIGTERM stops the server within moments."""
        if self.pool:
            stop_now(self.pool)
            self.pool = None
        if self.cluster:  # renders running on the cluster finish there, for its shared cache
            self.cluster.close()
            self.cluster = None

    def key(self, snapshot: Snapshot, leaflet: Leaflet, locale: str, options: RenderOptions) -> str:
        return build_key(snapshot, leaflet, locale, for_locale(options, locale), templates_digest(self.project))

    def cached(self, key: str) -> bytes | None:
        try:
            return (self.cache_dir / f"{key}.pdf").read_bytes()
        except OSError:
            return None

    async def pdf(self, snapshot: Snapshot, leaflet: Leaflet, locale: str, options: RenderOptions,
                  *, admitted: bool = False) -> tuple[bytes, str]:
        """The PDF of a unit that passed the gate on ``snapshot``, rendered from that snapshot's bytes.

        ``admitted``: part of an order that holds a place (:meth:`order`); otherwise the render
        is its own order, turned away when every worker is busy and the queue is full.
        """
        options = for_locale(options, locale)
        key = self.key(snapshot, leaflet, locale, options)
        data = self.cached(key)
        if data is not None:
            return data, key
        future = self.inflight.get(key)
        if future is None:
            if not admitted and len(self.inflight) >= self.workers + self.queue:
                raise ApiError(503, BUSY, headers={"Retry-After": "5"})  # every worker busy and the queue full
            inputs = snapshot.subset(unit_inputs(snapshot.project, leaflet, locale, options))
            try:
                future = self._submit(leaflet.id, locale, options, inputs, key)
            except BrokenProcessPool:  # a worker died while idle: a fresh pool takes this request
                self._restart()
                future = self._submit(leaflet.id, locale, options, inputs, key)
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
            raise ApiError(503, "unavailable: this leaflet cannot be rendered now",
                           {"leaflet": leaflet.id, "locale": locale, "problems": result}, {"Retry-After": "60"})
        return result, key

    def _submit(self, leaflet_id: str, locale: str, options: RenderOptions, inputs: Files, key: str
                ) -> asyncio.Future[tuple[str, Any]]:
        self._evict()
        if self.cluster:
            return asyncio.wrap_future(self.cluster.render_async(
                self.project, leaflet_id, locale, options, inputs, key, self.cache_dir / f"{key}.pdf",
                self.timeout, self.shared_cache))
        assert self.pool is not None
        return asyncio.get_running_loop().run_in_executor(
            self.pool, _render_in_worker, str(self.project.root), leaflet_id, locale, options, inputs,
            str(self.cache_dir / f"{key}.pdf"), self.timeout)

    def _restart(self) -> None:
        if self.pool is not None:
            stop_now(self.pool)
        self.pool = start_pool(self.workers)

    def _evict(self) -> None:
        """Keep the cache bounded: drop the least recently written files beyond CACHE_FILES."""
        with contextlib.suppress(OSError):  # files may vanish meanwhile; the cache is best effort
            files = sorted(self.cache_dir.glob("*.pdf"), key=lambda p: p.stat().st_mtime)
            for old in files[: max(0, len(files) - CACHE_FILES)]:
                old.unlink(missing_ok=True)

    def _finished(self, key: str, future: asyncio.Future[tuple[str, Any]]) -> None:
        self.inflight.pop(key, None)


