"""Cluster benchmark: throughput of a build on a Dask cluster against the local pool, on this machine,
and the per-unit overhead of the cluster path.

    make bench            (or: .venv/bin/python benchmarks/cluster.py)

A scheduler and one single-threaded worker per core are started on loopback with the engine's own
commands, as the README says. Every leaflet in every locale is built four ways: the local pool and
the cluster, each once with a stand-in renderer (the "PDF" is the HTML: what is left is the cost of
the path itself: for the cluster the transfer, scheduling, the worker's checks and the HTML) and
once for real; then once more from the warm shared cache. Numbers are wall-clock, the best of
REPEAT runs (the local and cluster runs take turns).
"""
# ruff: noqa: E402  (imports follow the sys.path set-up for running from a checkout)

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from leafletgen.build.runner import Report, build
from leafletgen.project import Project
from leafletgen.runtime import engine_fingerprint

DASK = str(Path(sys.executable).with_name("dask"))
CORES = os.cpu_count() or 1
REPEAT = 2
STAND_IN = '''
import sys, types
engine = types.ModuleType("leafletgen.pdf.engine")
engine.render_pdf = lambda html, *, base_dir, name, exact_text=True: html.encode("utf-8")
engine.warm_up = lambda: None
sys.modules["leafletgen.pdf.engine"] = engine
'''


def stand_in_here() -> None:
    """This process (and the pool it forks) renders with the stand-in."""
    module = types.ModuleType("stand_in")
    exec(STAND_IN, module.__dict__)


def start(folder: Path, preload: str) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """A scheduler and one single-threaded worker per core; (address, processes)."""
    address_file = folder / "scheduler.json"
    address_file.unlink(missing_ok=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address",
                                   ":0", "--scheduler-file", str(address_file)], **quiet)]  # type: ignore[call-overload]
    while not address_file.is_file():
        time.sleep(0.1)
    time.sleep(0.2)
    address = json.loads(address_file.read_text())["address"]
    processes += [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                    "--dashboard-address", ":0", "--preload", preload], **quiet)  # type: ignore[call-overload]
                  for _ in range(CORES)]
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        client.wait_for_workers(CORES, timeout=120)
    return address, processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(timeout=30)


def timed_build(out: Path, **kwargs: object) -> tuple[Report, float]:
    started = time.perf_counter()
    report = build(Project(ROOT), out, force=True, **kwargs)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    assert report.ok, [o.problems[:2] for o in report.outcomes if o.status not in ("built", "skipped")]
    return report, seconds


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def main() -> None:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1764028800")
    engine_fingerprint()
    results: dict[str, tuple[int, float]] = {}

    def record(name: str, report: Report, seconds: float) -> None:  # the best of the runs: others share the machine
        best = results.get(name, (0, float("inf")))[1]
        results[name] = len(report.outcomes), min(best, seconds)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "stand_in.py").write_text(STAND_IN)

        address, processes = start(folder, str(folder / "stand_in.py"))
        try:
            for _ in range(REPEAT):
                record("cluster, stand-in renderer", *timed_build(folder / "null-cluster", scheduler=address))
        finally:
            stop(processes)

        address, processes = start(folder, "leafletgen.build.remote")
        try:
            for run in range(REPEAT):  # taking turns with the local pool, so both see the same machine
                record("local pool, WeasyPrint", *timed_build(folder / "local"))
                shared = folder / f"shared-{run}"
                record("cluster, WeasyPrint", *timed_build(folder / "cluster", scheduler=address, cache=shared))
                report, seconds = timed_build(folder / "again", scheduler=address, cache=shared)
                hits = sum(1 for o in report.outcomes if o.origin.startswith("cache:"))
                record(f"cluster, warm shared cache ({hits} of {len(report.outcomes)} hits)", report, seconds)
        finally:
            stop(processes)

        stand_in_here()  # last: this process keeps the stand-in from here on
        for _ in range(REPEAT):
            record("local pool, stand-in renderer", *timed_build(folder / "null-local"))

    rows = [["path", "units", "wall s", "units/s", "units/core/s", "core-s/unit"]]
    for name, (units, seconds) in results.items():
        rows.append([name, str(units), f"{seconds:.1f}", f"{units / seconds:.2f}", f"{units / seconds / CORES:.2f}",
                     f"{seconds * CORES / units:.3f}"])
    print(f"Cluster vs local on this machine ({CORES} cores; cluster: {CORES} workers x 1 thread on loopback, "
          f"scheduler and client on the same cores)")
    print(table(rows))

    def per_unit(name: str) -> float:
        units, seconds = results[name]
        return seconds * CORES / units

    path = per_unit("cluster, stand-in renderer") - per_unit("local pool, stand-in renderer")
    real = per_unit("cluster, WeasyPrint") - per_unit("local pool, WeasyPrint")
    print()
    print(f"overhead of the cluster path per unit: {path * 1000:.0f} core-ms (the stand-in rows: transfer, "
          f"scheduling, the worker's checks); the WeasyPrint rows differ by {real * 1000:+.0f} core-ms per unit, "
          f"which includes the noise of anything else running on this machine")


if __name__ == "__main__":
    main()
