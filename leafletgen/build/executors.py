"""Where the build's units are rendered: the executor seam.

An executor takes the jobs that passed the gate (jobs.Job: the bytes of the unit's inputs,
its build key) and yields one Outcome per job, in any order, having written each PDF
atomically. Three implementations:

- :class:`InProcess`: this process, one job after another (``--jobs 1``, or one PDF, with
  the warm render process of pdf/warm.py).
- :class:`LocalPool`: forked worker processes on this machine, one per core (the default;
  no extra service).
- cluster.DaskExecutor: the workers of a Dask distributed cluster (``--scheduler ADDRESS``),
  imported only when asked for, so the CLI and the local pool run without the ``cluster`` extra.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from leafletgen.build.jobs import Job, Outcome, run_job
from leafletgen.render.locales import locale_info

if TYPE_CHECKING:
    from leafletgen.pdf.warm import WarmRenderer


class Executor(Protocol):
    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        """Render every job; one Outcome each (never silently fewer), as each finishes."""
        ...

    def close(self) -> None: ...


def by_cost(jobs: Sequence[Job]) -> list[Job]:
    """The dearest renders first (the locale record's render cost), so the last ones to finish are short."""
    return sorted(jobs, key=lambda job: locale_info(job.locale).render_cost, reverse=True)


class InProcess:
    def __init__(self, renderer: WarmRenderer | None = None) -> None:
        self.renderer = renderer

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        render_pdf = self.renderer.render_pdf if self.renderer else None
        for job in jobs:
            yield run_job(job, render_pdf)

    def close(self) -> None:
        pass  # the warm renderer belongs to the command line


class LocalPool:
    """Forked processes on this machine (workers.py: they die with the build)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        from leafletgen.pdf.engine import warm_up
        from leafletgen.workers import start_pool, stop_now

        warm_up()  # import WeasyPrint and load fontconfig once, before forking: workers inherit both
        pool = start_pool(self.workers)
        try:
            futures = {pool.submit(run_job, job): job for job in by_cost(jobs)}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    yield future.result()
                except BrokenProcessPool:
                    yield job.failed(f"{job.leaflet} {job.locale}: the render worker died (out of memory or killed)")
        except BaseException:  # Ctrl-C, SIGTERM turned into SystemExit: nothing may be written afterwards
            stop_now(pool)
            raise
        pool.shutdown()

    def close(self) -> None:
        pass


def choose(count: int, jobs: int | None, renderer: WarmRenderer | None, scheduler: str | None) -> Executor:
    """The executor for ``count`` jobs: the cluster when a scheduler is named, else local processes."""
    if scheduler:
        if renderer:
            renderer.close()
        from leafletgen.build.cluster import DaskExecutor

        return DaskExecutor(scheduler)
    workers = min(jobs or os.cpu_count() or 1, count)
    if workers <= 1:
        return InProcess(renderer)
    if renderer:
        renderer.close()  # the pool forks its own workers, warmed up once
    return LocalPool(workers)
