"""Load benchmark for ``leafletgen serve``: cold renders, cached answers, 304s and queue overflow.

    .venv/bin/python benchmarks/load.py [--clients 8] [--requests 48] [--max-seconds 300] [--no-overload]

Starts the server itself (127.0.0.1 only, a free port) on a scratch copy of the project in a
temporary folder, so its cache (``<project>/out/.server-cache``) starts cold, and stops it at the end.

Phases
  1 cold     empty cache: distinct GETs of one leaflet (locales x paper/large print/second language),
             a few POST /api/orders with 2 items, and a burst of identical concurrent GETs that must
             share one render (checked with the worker processes' CPU time).
  2 cached   the same requests again (every answer from the cache, bodies must be identical),
             then conditional GETs with the ETags from phase 1, which must answer 304.
  3 overload a second server with --workers 1 --queue 2 and 12 distinct cold GETs at once:
             the excess must answer 503 with Retry-After (counted, not errors).

Errors are non-2xx answers (non-304 for the conditional requests) and malformed bodies. The exit
status is 1 if phase 1 or 2 had an error, 2 if the time limit was hit. Memory is the sum of VmHWM
(peak resident set) of the server process and all its descendants, read from /proc while the phase runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the same API as httpx; already needed by Starlette's TestClient

ROOT = Path(__file__).resolve().parent.parent
LEAFLET_ID = "isotretinoin-20mg"
HOST = "127.0.0.1"  # loopback only, always
READY_SECONDS = 60.0
BURST = 6
ORDERS = 3
OVERLOAD_REQUESTS = 12
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- the server --------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def scratch_project(parent: Path, name: str) -> Path:
    """A copy of leaflets/, locales/ and templates/: its out/.server-cache starts empty."""
    project = parent / name
    for folder in ("leaflets", "locales", "templates"):
        shutil.copytree(ROOT / folder, project / folder)
    return project


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""


@contextlib.contextmanager
def running_server(project: Path, extra: list[str]) -> Iterator[Server]:
    port = free_port()
    log = project / "server.log"
    cmd = [sys.executable, "-m", "leafletgen.cli", "--project", str(project), "serve",
           "--host", HOST, "--port", str(port), *extra]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=project, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield Server(process, f"http://{HOST}:{port}", log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


async def wait_ready(client: httpx.AsyncClient, server: Server) -> dict[str, Any]:
    deadline = time.monotonic() + READY_SECONDS
    while True:
        if server.process.poll() is not None:
            raise SystemExit(f"server exited with {server.process.returncode}:\n{server.tail()}")
        try:
            response = await client.get(f"{server.base}/api/leaflets", timeout=5)
            if response.status_code == 200:
                return dict(response.json())
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"server not ready within {READY_SECONDS:g} s:\n{server.tail()}")
        await asyncio.sleep(0.2)


# -- /proc: the server's processes, their memory and CPU ---------------------------------------------

def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, via /proc/<pid>/task/*/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in children.read_text().split())
    return found


def status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def worker_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server's child processes (the render workers)."""
    total = 0
    for child in descendants(pid)[1:]:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / CLK_TCK


class MemoryWatch:
    """Samples the server tree every ``interval`` s; keeps the peak of the VmHWM sum."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        self.peak_kib = max(self.peak_kib, sum(status_kib(p, "VmHWM") for p in descendants(self.pid)))

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval)

    def __enter__(self) -> MemoryWatch:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.sample()


# -- requests -------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)  # compared and hashed by identity: the same object is sent again
class Request:
    kind: str  # "pdf" or "order"
    url: str
    params: tuple[tuple[str, str], ...] = ()
    body: Any = None


@dataclass
class Result:
    request: Request
    status: int
    seconds: float
    ok: bool
    etag: str | None = None
    digest: str = ""
    retry_after: str | None = None
    error: str = ""


@dataclass
class Phase:
    name: str
    results: list[Result] = field(default_factory=list)
    wall: float = 0.0
    memory_kib: int = 0
    note: str = ""
    sent: list[Request] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # problems that are not one answer's

    @property
    def errors(self) -> list[Result]:
        return [r for r in self.results if not r.ok]


def pdf_request(base: str, locale: str, **options: str) -> Request:
    return Request("pdf", f"{base}/api/leaflets/{LEAFLET_ID}/{locale}.pdf", tuple(sorted(options.items())))


def plan(base: str, ready: list[str], total: int) -> tuple[list[Request], list[Request], Request, Request]:
    """Distinct GETs, orders, the burst's URL and a solo twin of it, adding up to ``total`` with the burst."""
    option_sets: list[dict[str, str]] = [{}, {"paper": "letter"}, {"large_print": "true"}, {"with": "en"}]
    combos = []
    for options in option_sets:
        for locale in ready:
            chosen = dict(options)
            if chosen.get("with") == locale:  # a second language equal to the first is none: same PDF
                chosen["with"] = next(c for c in ready if c != locale)
            combos.append(pdf_request(base, locale, **chosen))
    # The burst and its twin: same options, two similar (Latin-script) locales, a combination no other uses.
    latin = [c for c in ("de", "fr", "es", "pt_BR", "vi") if c in ready] or [c for c in ready if c != "en"]
    burst_locale, twin_locale = latin[0], latin[1 % len(latin)]
    burst_options = {"paper": "letter", "large_print": "true", "with": "en"}
    burst = pdf_request(base, burst_locale, **burst_options)
    twin = pdf_request(base, twin_locale, **burst_options)
    orders_count = min(ORDERS, max(0, total - BURST - 2))
    distinct = combos[:max(1, total - BURST - 1 - orders_count)]
    others = [c for c in ready if c != "en"] or ready
    orders = []
    for i in range(orders_count):
        pair = [others[(2 * i) % len(others)], others[(2 * i + 1) % len(others)]]
        orders.append(Request("order", f"{base}/api/orders", body={
            "items": [{"leaflet": LEAFLET_ID, "locale": code} for code in pair],
            "options": {"paper": "a4", "large_print": False},
            "clinic": {"name": f"Benchmark Clinic {i + 1}", "address": "1 Test Street, Testville",
                       "phone": f"+1 555 010{i}", "hours": "Mon-Fri 9-17"}}))
    return distinct, orders, burst, twin


def check_body(request: Request, response: httpx.Response) -> str:
    """An empty string if the body is what the request should get, else the problem."""
    body = response.content
    if request.kind == "pdf" or len(request.body["items"]) == 1:
        return "" if body.startswith(b"%PDF-") else f"not a PDF: {body[:80]!r}"
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = archive.namelist()
            pdfs = [n for n in names if n.endswith(".pdf")]
            if "manifest.json" not in names or len(pdfs) != len(request.body["items"]):
                return f"ZIP holds {names}"
            if any(not archive.read(n).startswith(b"%PDF-") for n in pdfs):
                return "ZIP member is not a PDF"
    except zipfile.BadZipFile:
        return f"not a ZIP: {body[:80]!r}"
    return ""


async def send(client: httpx.AsyncClient, request: Request, *, etag: str | None = None,
               expect: tuple[int, ...] = (200,)) -> Result:
    headers = {"If-None-Match": etag} if etag else {}
    start = time.perf_counter()
    try:
        if request.kind == "pdf":
            response = await client.get(request.url, params=dict(request.params), headers=headers)
        else:
            response = await client.post(request.url, json=request.body)
    except httpx.HTTPError as exc:
        return Result(request, 0, time.perf_counter() - start, False, error=f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    problem = "" if response.status_code in expect else f"HTTP {response.status_code}: {response.text[:200]}"
    if not problem and response.status_code == 200:
        problem = check_body(request, response)
    return Result(request, response.status_code, seconds, not problem, response.headers.get("etag"),
                  hashlib.sha256(response.content).hexdigest(), response.headers.get("retry-after"), problem)


async def run_all(client: httpx.AsyncClient, limit: asyncio.Semaphore, jobs: list[tuple[Request, str | None]],
                  expect: tuple[int, ...]) -> list[Result]:
    async def one(request: Request, etag: str | None) -> Result:
        async with limit:
            return await send(client, request, etag=etag, expect=expect)

    return list(await asyncio.gather(*(one(r, e) for r, e in jobs)))


# -- the phases -------------------------------------------------------------------------------------------

async def phase_cold(client: httpx.AsyncClient, server: Server, limit: asyncio.Semaphore, distinct: list[Request],
                     orders: list[Request], burst: Request, twin: Request, burst_size: int) -> Phase:
    phase = Phase("1 cold")
    pid = server.process.pid
    with MemoryWatch(pid) as watch:
        start = time.perf_counter()
        phase.results += await run_all(client, limit, [(r, None) for r in [*distinct, *orders]], (200,))
        # The burst: identical requests at once on an idle server must share one render. The worker CPU
        # time it costs is compared with that of one solo render of its twin (same options, another locale).
        cpu0 = worker_cpu_seconds(pid)
        phase.results.append(await send(client, twin))
        await asyncio.sleep(0.3)  # let the workers' CPU counters settle
        cpu1 = worker_cpu_seconds(pid)
        burst_results = await run_all(client, limit, [(burst, None)] * burst_size, (200,))
        await asyncio.sleep(0.3)
        solo, burst_cpu = cpu1 - cpu0, worker_cpu_seconds(pid) - cpu1
        phase.results += burst_results
        phase.sent = [*distinct, *orders, twin, *[burst] * burst_size]
        phase.wall = time.perf_counter() - start
    phase.memory_kib = watch.peak_kib
    digests = {r.digest for r in burst_results if r.ok}
    etags = {r.etag for r in burst_results if r.ok}
    shared = len(digests) == 1 and len(etags) == 1 and burst_cpu < (1 + burst_size) / 2 * solo
    phase.note = (f"burst of {burst_size} identical: worker CPU {burst_cpu:.2f} s vs {solo:.2f} s for one solo render"
                  f" -> {'one shared render' if shared else 'NOT SHARED'}")
    if burst_size > 1 and not shared:
        phase.failures.append("identical concurrent requests did not share one render")
    return phase


async def phase_cached(client: httpx.AsyncClient, server: Server, limit: asyncio.Semaphore,
                       cold: Phase, conditional: int) -> tuple[Phase, Phase]:
    cached, not_modified = Phase("2 cached (200)"), Phase("2 cached (If-None-Match -> 304)")
    first = {}
    for result in cold.results:
        if result.ok:
            first.setdefault(result.request, result)
    with MemoryWatch(server.process.pid) as watch:
        start = time.perf_counter()
        cached.results = await run_all(client, limit, [(r, None) for r in cold.sent], (200,))
        cached.wall = time.perf_counter() - start
        for result in cached.results:
            before = first.get(result.request)
            if result.ok and before and result.request.kind == "pdf" and before.digest != result.digest:
                result.ok, result.error = False, "cached body differs from the cold one"
        with_etag = [r for r in first.values() if r.request.kind == "pdf" and r.etag][:conditional]
        start = time.perf_counter()
        not_modified.results = await run_all(client, limit, [(r.request, r.etag) for r in with_etag], (304,))
        not_modified.wall = time.perf_counter() - start
    cached.memory_kib = not_modified.memory_kib = watch.peak_kib
    return cached, not_modified


async def phase_overload(client: httpx.AsyncClient, server: Server, ready: list[str]) -> Phase:
    phase = Phase("3 overload (--workers 1 --queue 2)")
    locales = (ready * OVERLOAD_REQUESTS)[:OVERLOAD_REQUESTS]
    requests = [pdf_request(server.base, code, **({"paper": "letter"} if i >= len(ready) else {}))
                for i, code in enumerate(locales)]
    with MemoryWatch(server.process.pid) as watch:
        start = time.perf_counter()
        phase.results = list(await asyncio.gather(*(send(client, r, expect=(200, 503)) for r in requests)))
        phase.wall = time.perf_counter() - start
    phase.memory_kib = watch.peak_kib
    ok = sum(r.status == 200 for r in phase.results)
    busy = [r for r in phase.results if r.status == 503]
    with_retry = sum(r.retry_after is not None for r in busy)
    other = len(phase.results) - ok - len(busy)
    phase.note = (f"{len(requests)} distinct at once: {ok} rendered, {len(busy)} x 503 "
                  f"({with_retry} with Retry-After), {other} other")
    return phase


# -- report -------------------------------------------------------------------------------------------------

def table(phases: list[Phase]) -> str:
    rows = [["phase", "requests", "errors", "p50 ms", "p95 ms", "req/s", "peak mem MiB"]]
    for phase in phases:
        ms = sorted(r.seconds * 1000 for r in phase.results if r.status)
        p50 = statistics.median(ms) if ms else 0.0
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))] if ms else 0.0
        errors = "-" if phase.name.startswith("3") else str(len(phase.errors) + len(phase.failures))
        rate = len(phase.results) / phase.wall if phase.wall else 0.0
        rows.append([phase.name, str(len(phase.results)), errors, f"{p50:.0f}", f"{p95:.0f}", f"{rate:.1f}",
                     f"{phase.memory_kib / 1024:.0f}"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


async def benchmark(args: argparse.Namespace, scratch: Path) -> int:
    phases: list[Phase] = []
    limits = httpx.Limits(max_connections=max(args.clients, OVERLOAD_REQUESTS), max_keepalive_connections=16)
    timeout = httpx.Timeout(args.max_seconds, connect=10)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, trust_env=False) as client:
        extra = ["--workers", str(args.workers)] if args.workers else []
        with running_server(scratch_project(scratch, "main"), extra) as server:
            catalogue = await wait_ready(client, server)
            leaflet = next(item for item in catalogue["leaflets"] if item["id"] == LEAFLET_ID)
            ready = [loc["code"] for loc in leaflet["locales"] if loc["ready"]]
            limit = asyncio.Semaphore(args.clients)
            distinct, orders, burst, twin = plan(server.base, ready, args.requests)
            burst_size = min(BURST, args.clients, max(1, args.requests - len(distinct) - len(orders) - 1))
            cold = await phase_cold(client, server, limit, distinct, orders, burst, twin, burst_size)
            phases.append(cold)
            cached, not_modified = await phase_cached(client, server, limit, cold, args.requests // 2)
            phases += [cached, not_modified]
        if not args.no_overload:
            with running_server(scratch_project(scratch, "overload"), ["--workers", "1", "--queue", "2"]) as server:
                await wait_ready(client, server)
                phases.append(await phase_overload(client, server, ready))

    cpus = os.cpu_count()
    print(f"leafletgen serve load benchmark: {args.clients} clients, {cpus} CPUs, "
          f"server workers: {args.workers or 'default (one per core)'}")
    print(table(phases))
    print("errors: non-2xx (non-304 for If-None-Match) or malformed bodies; peak mem: max over the phase of the "
          "sum of VmHWM of the server and its worker processes")
    for phase in phases:
        if phase.note:
            print(f"{phase.name}: {phase.note}")
        for result in phase.errors[:5]:
            if not phase.name.startswith("3"):
                print(f"  error: {result.request.kind} {result.request.url} {dict(result.request.params)}: "
                      f"{result.error}")
        for failure in phase.failures:
            print(f"  error: {failure}")
    return 1 if any(p.errors or p.failures for p in phases if not p.name.startswith("3")) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default: 8)")
    parser.add_argument("--requests", type=int, default=48, help="requests in the cold phase (default: 48)")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="overall time limit (default: 300)")
    parser.add_argument("--workers", type=int, default=None, help="server render processes (default: server's)")
    parser.add_argument("--no-overload", action="store_true", help="skip the overload phase")
    args = parser.parse_args()
    if not 1 <= args.clients <= 64 or not 1 <= args.requests <= 1000 or args.max_seconds <= 0:
        parser.error("--clients must be 1..64, --requests 1..1000, --max-seconds positive")
    with tempfile.TemporaryDirectory(prefix="leafletgen-load-") as scratch:
        try:
            return asyncio.run(asyncio.wait_for(benchmark(args, Path(scratch)), args.max_seconds))
        except TimeoutError:
            print(f"time limit of {args.max_seconds:g} s reached; servers stopped", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
