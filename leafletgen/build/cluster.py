"""Units on a Dask distributed cluster: ``leafletgen build --scheduler ADDRESS`` and ``serve --scheduler``.

Why Dask: a unit is a pure function of its snapshot, which is exactly a Dask task; the
scheduler and workers are the engine's own commands (``dask scheduler``, ``dask worker``),
there is no broker to run beside them (Celery needs Redis or RabbitMQ), it ships as a
Python package with the pins in our lock, and it reschedules a task whose worker was lost
(``distributed.scheduler.allowed-failures``). See the README, "On a cluster".

What travels: a remote.Task (the build key, the templates digest, the gate's verdict and
each input by name and sha256) and beside it the bytes, each distinct file scattered once
to every worker by its digest (a leaflet's catalog serves all its units, branches and
papers), and the templates folder as one scattered object. No worker reads a project path.

Faults. The scheduler moves a unit whose worker dies to another worker by itself. The
client then adds its own second attempt, on another worker, for any unit whose attempt
ended without a PDF for a reason that may be the worker's (lost with its worker as often
as the scheduler allows, an engine that differs, a defect); a unit that fails twice is
reported as failed with both reasons, never dropped: every job gets exactly one Outcome.
A unit's own problem (a render error in its content) is the same anywhere and is reported
at once.

``distributed`` is imported only here, and this module only when ``--scheduler`` is given:
the CLI and the local pool work without the ``cluster`` extra.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future as LocalFuture
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from leafletgen.build.executors import by_cost
from leafletgen.build.jobs import Job, Outcome, deliver
from leafletgen.build.remote import EPOCH, Result, Task, run_task
from leafletgen.errors import UsageError
from leafletgen.files import atomic_write_bytes
from leafletgen.project import Project
from leafletgen.render.options import RenderOptions
from leafletgen.runtime import engine_fingerprint
from leafletgen.translate.snapshot import Files, Snapshot

#: Attempts per unit before it is reported as failed (each may itself be retried by the scheduler).
ATTEMPTS = 2
#: How long to wait for the scheduler to answer, and for a first worker to join it.
CONNECT_SECONDS = 10.0
WORKERS_SECONDS = 60.0


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError("--scheduler needs the 'cluster' extra (distributed is not installed): "
                         "pip install 'leafletgen[cluster]'") from None
    return distributed


def connect(address: str) -> Any:
    """A client of the scheduler at ``address``; a one-line UsageError if it cannot be reached."""
    distributed = _distributed()
    try:
        return distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


class DaskExecutor:
    """The executor seam (executors.py) on a Dask cluster; also renders for the server (:meth:`render_async`)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.client = connect(address)
        self._lock = threading.Lock()
        self._blobs: dict[str, Any] = {}                   # sha256 -> future of the file's bytes on the cluster
        self._templates: dict[str, tuple[Files, Any]] = {}  # digest of the folder -> (its files, their future)
        self._threads: ThreadPoolExecutor | None = None    # the server's waits (render_async)

    # -- sending -----------------------------------------------------------------------------------

    def wait_for_workers(self, seconds: float = WORKERS_SECONDS) -> None:
        try:
            self.client.wait_for_workers(1, timeout=seconds)
        except TimeoutError:
            raise UsageError(f"no worker has joined the Dask scheduler at {self.address} within {seconds:g} s "
                             f"(start one with: dask worker {self.address} --nthreads 1 "
                             f"--preload leafletgen.build.remote)") from None

    def _scattered(self, files: Files) -> dict[str, Any]:
        """The cluster's futures of these files' bytes, by sha256; each distinct file is sent once."""
        wanted = {hashlib.sha256(d).hexdigest(): d for d in files.values() if d is not None}
        with self._lock:
            new = {sha: d for sha, d in wanted.items()
                   if sha not in self._blobs or self._blobs[sha].status != "finished"}  # lost with every holder
            if new:
                futures = self.client.scatter(list(new.values()), broadcast=True, hash=False)
                self._blobs.update(zip(new, futures, strict=True))
            return {sha: self._blobs[sha] for sha in wanted}

    def _bundle(self, project: Project) -> Any:
        """The future of the project's templates folder (every file, as bytes), sent once per version."""
        snapshot = Snapshot(project)
        files = snapshot.subset(sorted(p for p in project.templates_dir.rglob("*") if p.is_file()))
        digest = hashlib.sha256(repr(sorted((n, hashlib.sha256(d or b"").hexdigest())
                                            for n, d in files.items())).encode()).hexdigest()
        with self._lock:
            known = self._templates.get(digest)
            if known is None or known[1].status != "finished":
                [future] = self.client.scatter([files], broadcast=True, hash=False)
                self._templates[digest] = files, future
            return self._templates[digest][1]

    def _submit(self, task: Task, files: Files, bundle: Any, avoid: str = "") -> Any:
        blobs = self._scattered(files)
        workers = None
        if avoid:  # on another worker, if there is one (strictly: a loose restriction may land on it again)
            workers = [w for w in self.client.scheduler_info(n_workers=-1)["workers"] if w != avoid] or None
        return self.client.submit(run_task, task, blobs, bundle, pure=False, workers=workers,
                                  key=f"leafletgen-{task.leaflet}-{task.locale}-{uuid.uuid4().hex[:12]}")

    def _settle(self, future: Any, unit: str, timeout: float | None = None) -> Result:
        """The attempt's Result; the cluster's own failures (a worker lost, a lost input) as a retryable one."""
        distributed = _distributed()
        try:
            result: Result = future.result(timeout=timeout)
            return result
        except TimeoutError:
            raise
        except distributed.KilledWorker:
            why = "every worker that took it was lost (killed or out of memory)"
        except Exception as exc:
            why = f"the cluster could not run it ({type(exc).__name__}: {exc})"
        return Result("failed", problems=(f"{unit}: {why}"[:300],), retry=True)

    # -- the build ---------------------------------------------------------------------------------

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        if not jobs:
            return
        distributed = _distributed()
        self.wait_for_workers()
        bundle = self._bundle(Project(jobs[0].root))
        pending: dict[Any, tuple[Job, int, tuple[str, ...]]] = {}
        for job in by_cost(jobs):
            pending[self._submit(task_of(job), job.inputs, bundle)] = job, 1, ()
        done = distributed.as_completed(list(pending), loop=self.client.loop)
        try:
            for future in done:
                job, attempt, earlier = pending.pop(future)
                result = self._settle(future, f"{job.leaflet} {job.locale}")
                future.release()
                if result.status == "failed" and result.retry and attempt < ATTEMPTS:
                    bundle = self._bundle(Project(job.root))  # sent again if it was lost with its workers
                    again = self._submit(task_of(job), job.inputs, bundle, avoid=_address(result.origin))
                    pending[again] = job, attempt + 1, result.problems
                    done.add(again)
                    continue
                yield outcome_of(job, result, attempt, earlier)
        except BaseException:  # Ctrl-C: nothing more is rendered for this build
            with contextlib.suppress(Exception):
                self.client.cancel(list(pending))
            raise

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(Exception):
            self.client.close()

    # -- the server --------------------------------------------------------------------------------

    def render_async(self, project: Project, leaflet_id: str, locale: str, options: RenderOptions, inputs: Files,
                     key: str, cache_file: Path | None, timeout: float, shared: Path | None = None
                     ) -> LocalFuture[tuple[str, Any]]:
        """For serve/pool.py: the same answer as its worker function, ("ok", pdf), ("refused", problems),
        ("failed", problems) or ("timeout", seconds), from the cluster (wrap it with asyncio.wrap_future)."""
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(max_workers=64, thread_name_prefix="leafletgen-cluster")
        from leafletgen.build.keys import templates_digest

        task = Task(leaflet_id, locale, options, key, templates_digest(project), digests_of(inputs), (),
                    engine_fingerprint(), os.environ.get(EPOCH), str(shared) if shared else None)
        return self._threads.submit(self._render, project, task, inputs, cache_file, timeout)

    def _render(self, project: Project, task: Task, inputs: Files, cache_file: Path | None, timeout: float
                ) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        earlier: tuple[str, ...] = ()
        avoid = ""
        for attempt in range(1, ATTEMPTS + 1):
            future = self._submit(task, inputs, self._bundle(project), avoid)
            try:
                result = self._settle(future, f"{task.leaflet} {task.locale}", max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                future.cancel()  # queued: never runs; running: its worker finishes it for the shared cache
                return "timeout", timeout
            if result.status == "failed" and result.retry and attempt < ATTEMPTS:
                earlier, avoid = result.problems, _address(result.origin)
                continue
            break
        if result.status == "built":
            if cache_file is not None:
                with contextlib.suppress(OSError):  # a full or read-only cache costs the next render, not this one
                    atomic_write_bytes(cache_file, result.pdf)
            return "ok", result.pdf
        return ("refused" if result.status == "refused" else "failed"), [*earlier, *result.problems]


def digests_of(inputs: Files) -> dict[str, str | None]:
    return {name: None if data is None else hashlib.sha256(data).hexdigest() for name, data in inputs.items()}


def task_of(job: Job) -> Task:
    return Task(job.leaflet, job.locale, job.options, job.key, job.templates, digests_of(job.inputs), job.notes,
                engine_fingerprint(), os.environ.get(EPOCH), str(job.cache) if job.cache else None)


def outcome_of(job: Job, result: Result, attempt: int, earlier: tuple[str, ...]) -> Outcome:
    if result.status == "built":
        origin = result.origin + (f"; attempt {attempt}, after: {earlier[0]}" if earlier else "")
        return deliver(job, result.pdf, result.seconds, origin)
    if result.status == "refused":  # passed here, refused there: its inputs are not what the gate saw
        return job.failed(f"{job.leaflet} {job.locale}: refused on the cluster worker although it passed the "
                          f"gate here", *result.problems)
    if earlier:
        return job.failed(f"{job.leaflet} {job.locale}: failed twice, on two attempts", *earlier, *result.problems)
    return job.failed(*result.problems)


def _address(origin: str) -> str:
    """The worker address in an origin ("cluster tcp://10.0.0.7:38215 (host pid 42)"), or ""."""
    parts = origin.split()
    return parts[1] if len(parts) > 1 and parts[0] == "cluster" else ""
