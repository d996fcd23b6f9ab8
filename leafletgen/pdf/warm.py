"""A render process started before it is needed, for the one-PDF build at the counter.

Importing WeasyPrint and loading fontconfig take ~0.45 s, close to half the time of
building one leaflet. For a build that can produce only one PDF, the command line
starts this process first thing. While it imports WeasyPrint on a second core, the
main process imports the rest, validates, runs the warnings gate and renders the
HTML. Then it hands the HTML over and gets the PDF bytes back; writing the file stays
with the build. Nothing to render (the PDF is current, or the locale was refused):
the process is killed. With one core it is not started, as the two would only take turns.

It is a one-worker ProcessPoolExecutor (forked, dying with its parent, as the build pools
do: workers.py) whose first task is the warm-up.
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from leafletgen.errors import Problem, RenderError
from leafletgen.workers import start_pool, stop_now


class WarmRenderer:
    """A forked process that renders HTML to PDF bytes (see pdf.engine.render_pdf) on request."""

    def __init__(self) -> None:
        self._pool = start_pool(1)
        self._warm: Future[None] = self._pool.submit(_warm_up)  # forks now: the import starts at once
        self._closed = False

    @classmethod
    def start(cls) -> WarmRenderer | None:
        """Start the process (it begins importing WeasyPrint at once); None on a single core."""
        return cls() if (os.cpu_count() or 1) >= 2 else None

    @property
    def pid(self) -> int:
        """The render process's id (the executor's process table is the only handle to it)."""
        return next(iter(getattr(self._pool, "_processes", {}) or {0: None}))

    def render_pdf(self, html: str, *, base_dir: Path, name: str) -> bytes:
        """The same as pdf.engine.render_pdf, done by the warm process."""
        try:
            self._warm.result()  # a broken WeasyPrint install is reported here, with its traceback
            return self._pool.submit(_render, html, base_dir, name).result()
        except BrokenProcessPool:
            raise RenderError(Problem(name, "", "the render process died (out of memory or killed)")) from None

    def close(self) -> None:
        """Stop the process at once (it may be importing WeasyPrint still). Safe to call twice."""
        if not self._closed:
            self._closed = True
            stop_now(self._pool)

    def __enter__(self) -> WarmRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _warm_up() -> None:  # pragma: no cover - runs in the child
    from leafletgen.pdf.engine import warm_up

    warm_up()


def _render(html: str, base_dir: Path, name: str) -> bytes:  # pragma: no cover - runs in the child
    from leafletgen.pdf.engine import render_pdf

    return render_pdf(html, base_dir=base_dir, name=name)
