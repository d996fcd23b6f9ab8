"""Renders for the server: a pool of worker processes, shared in-flight renders, a bounded
content-addressed cache, a bounded queue and a per-render time limit, plus what can be ordered.

Nothing here runs WeasyPrint on the event loop: the parent only hashes inputs (the
build key, which is also the cache file name and the ETag) and waits on futures.
"""

from __future__ import annotations

import asyncio
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from .build import (
    build_key,
    cached_leaflet,
    document_refusals,
    for_locale,
    load_catalog,
    load_leaflets,
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
from .project import Project
from .render import RenderOptions

CACHE_FILES = 512


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
    """The known leaflets and, per leaflet and locale, whether it may be printed (the CLI's gate)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self.leaflets: dict[str, Leaflet] = {}
        self.readiness: dict[str, dict[str, Readiness]] = {}
        self.refresh()

    def _current_signature(self) -> tuple[tuple[str, int, int], ...]:
        files = [*self.project.leaflet_paths(), *self.project.locales_dir.glob("*/LC_MESSAGES/*.po"),
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
                    problems = tuple(str(f) for f in refusals_for(leaflet, code, catalog, strings,
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
        leaflet = cached_leaflet(project, leaflet_id)
        problems = [str(f) for f in document_refusals(project, leaflet, locale, options)]
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


