"""Builds and server renders on a real Dask cluster: a scheduler and worker processes on loopback,
started with the engine's own commands (``dask scheduler``, ``dask worker``) as the README says.

Every unit is built through the cluster and compared byte for byte with the session's local build;
a worker is killed mid-build; a worker whose engine differs makes its units go elsewhere, and a unit
no worker can render is reported, with both reasons. Marked ``cluster`` (deselect with
``-m "not cluster"``) and ``pdf`` (real renders).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leafletgen.build.jobs import Outcome
from leafletgen.build.runner import Report, build
from leafletgen.project import Project
from leafletgen.runtime import engine_fingerprint
from leafletgen.serve.app import create_app
from leafletgen.translate.catalogs import available_locales

from conftest import EPOCH, LEAFLET_ID, ROOT, every_unit, one_locale_per_writing, unit_pdf

pytestmark = [pytest.mark.cluster, pytest.mark.pdf]

DASK = str(Path(sys.executable).with_name("dask"))


@dataclass
class Cluster:
    """A scheduler and its workers, each ``dask worker`` (nanny and worker process) in its own process group."""

    address: str
    folder: Path
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def add_workers(self, *names: str, env: dict[str, str] | None = None) -> list[str]:
        """Start workers (one thread each, WeasyPrint preloaded) side by side; their addresses once joined."""
        before = set(self.worker_addresses())
        for name in names:
            with open(self.folder / f"{name}.log", "wb") as log:  # the worker writes to its own copy of the file
                self.workers.append(subprocess.Popen(
                    [DASK, "worker", self.address, "--nthreads", "1", "--host", "127.0.0.1", "--dashboard-address",
                     ":0", "--name", name, "--preload", "leafletgen.build.remote"],
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **(env or {})}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            new = set(self.worker_addresses()) - before
            if len(new) == len(names):
                return sorted(new)
            time.sleep(0.2)
        logs = {name: (self.folder / f"{name}.log").read_text()[-1000:] for name in names}
        raise AssertionError(f"workers did not join: {logs}")

    def worker_addresses(self) -> list[str]:
        from distributed import Client

        with Client(self.address, timeout=10, set_as_default=False) as client:
            return list(client.scheduler_info(n_workers=-1)["workers"])

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL to the worker's whole process group: its nanny cannot start it again."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, *, workers_only: bool = False) -> None:
        processes = self.workers if workers_only else [*self.workers, self.scheduler]
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.workers = [] if workers_only else self.workers


def start_cluster(folder: Path) -> Cluster:
    folder.mkdir(parents=True, exist_ok=True)
    address_file = folder / "scheduler.json"
    with open(folder / "scheduler.log", "wb") as log:
        scheduler = subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
             "--scheduler-file", str(address_file)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while not address_file.is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)  # the file is complete once written; give the listener a moment
    return Cluster(json.loads(address_file.read_text())["address"], folder, scheduler)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = start_cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture()
def cluster(scheduler: Cluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """Two workers on the module's scheduler, started for the test.

    With the session's SOURCE_DATE_EPOCH; and this process's engine fingerprint read again as the workers
    start and read theirs: a tree edited during a long session (leafletgen's own code is part of the
    fingerprint) would otherwise make the workers refuse, rightly, to render for another leafletgen.
    """
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    engine_fingerprint.cache_clear()
    scheduler.add_workers("one", "two")
    try:
        yield scheduler
    finally:
        scheduler.stop(workers_only=True)


def _assert_same_as_local(report: Report, out: Path, local: Path) -> None:
    built = [o for o in report.outcomes if o.status == "built"]
    assert report.ok and built, [(o.leaflet, o.locale, o.status, o.problems[:3]) for o in report.outcomes
                                 if o.status != "built"]
    for outcome in built:
        assert outcome.path is not None
        mine, theirs = outcome.path.read_bytes(), unit_pdf(local, outcome.leaflet, outcome.locale).read_bytes()
        assert mine == theirs, f"{outcome.leaflet} {outcome.locale}: the cluster's PDF differs from the local one"


def test_every_leaflet_built_on_the_cluster_is_byte_identical_to_the_local_build_in_every_writing(
        built: tuple[Path, Report], cluster: Cluster, tmp_path: Path) -> None:
    # one locale per writing system: what a worker on another machine could render otherwise is a
    # font, a shaping or a layout, which follow the script (the local tests cover every unit)
    local, _ = built
    locales = one_locale_per_writing()
    report = build(Project(ROOT), tmp_path / "out", locales=list(locales), scheduler=cluster.address)
    assert sorted((o.leaflet, o.locale) for o in report.outcomes) == sorted(
        (leaflet, locale) for leaflet, locale in every_unit() if locale in locales)
    _assert_same_as_local(report, tmp_path / "out", local)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())["outputs"]
    origins = {entry["origin"].split()[1] for entry in manifest.values()}
    assert origins == set(cluster.worker_addresses()), "each PDF names the worker that rendered it; both worked"


def test_a_worker_killed_mid_build_has_its_unit_rendered_elsewhere(
        built: tuple[Path, Report], cluster: Cluster, tmp_path: Path) -> None:
    local, _ = built
    [doomed_address] = cluster.add_workers("doomed")
    doomed = cluster.workers[-1]
    killed_at: list[float] = []

    def kill_after_its_first_pdf(outcome: Outcome) -> None:
        if not killed_at and doomed_address in outcome.origin:  # it has taken its next unit by now
            cluster.kill(doomed)
            killed_at.append(time.monotonic())

    locales = available_locales(ROOT / "locales")[:10]  # enough for three workers to be busy when it dies
    report = build(Project(ROOT), tmp_path / "out", leaflet_ids=[LEAFLET_ID], locales=locales,
                   scheduler=cluster.address, progress=kill_after_its_first_pdf)
    assert killed_at, "the extra worker rendered nothing before the build ended"
    assert doomed_address not in cluster.worker_addresses()
    assert len(report.outcomes) == len(locales), "never a unit silently dropped"
    _assert_same_as_local(report, tmp_path / "out", local)


def test_the_server_renders_on_the_cluster_and_fills_the_shared_cache(
        built: tuple[Path, Report], cluster: Cluster, tmp_path: Path) -> None:
    local, _ = built
    shared = tmp_path / "shared"
    app = create_app(Project(ROOT), cache_dir=tmp_path / "server-cache", workers=2)
    renderer = app.state.renderer
    renderer.scheduler, renderer.shared_cache = cluster.address, shared
    locales = available_locales(ROOT / "locales")[:3]
    with TestClient(app, raise_server_exceptions=False) as client:
        assert renderer.pool is None, "with a scheduler the server starts no render processes of its own"
        for locale in locales:
            answer = client.get(f"/api/leaflets/{LEAFLET_ID}/{locale}.pdf")
            assert answer.status_code == 200, answer.text
            assert answer.content == unit_pdf(local, LEAFLET_ID, locale).read_bytes()
    # rendered once anywhere, served everywhere: a build with the same cache renders none of them
    report = build(Project(ROOT), tmp_path / "out", leaflet_ids=[LEAFLET_ID], locales=locales, cache=shared)
    assert [o.origin.split()[:2] for o in report.outcomes] == [["cache:", "cluster"]] * len(locales)
    _assert_same_as_local(report, tmp_path / "out", local)


@pytest.fixture()
def epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    engine_fingerprint.cache_clear()  # see cluster()


@pytest.fixture()
def odd_engine(tmp_path: Path) -> dict[str, str]:
    """The environment of a worker whose WeasyPrint reports another version (as on a machine set up apart)."""
    (tmp_path / "odd" / "weasyprint-69.0.dist-info").mkdir(parents=True)
    return {"PYTHONPATH": str(tmp_path / "odd")}


def test_a_unit_no_worker_can_render_fails_twice_and_is_reported_then_a_good_worker_takes_them(
        tmp_path: Path, built: tuple[Path, Report], odd_engine: dict[str, str], epoch: None) -> None:
    local, _ = built
    locales = available_locales(ROOT / "locales")[:4]
    odd = start_cluster(tmp_path / "odd-cluster")
    try:
        first, second = odd.add_workers("odd-1", "odd-2", env=odd_engine)
        report = build(Project(ROOT), tmp_path / "refused", leaflet_ids=[LEAFLET_ID], locales=locales,
                       scheduler=odd.address)
        assert [o.status for o in report.outcomes] == ["failed"] * len(locales) and not report.ok
        for outcome in report.outcomes:
            assert "failed twice" in outcome.problems[0]
            assert all("weasyprint 69.0 (build machine: 70.0)" in p for p in outcome.problems[1:])
            assert {first, second} == {p.split("(on cluster ")[1].split()[0] for p in outcome.problems[1:]}
        assert not (tmp_path / "refused" / LEAFLET_ID).exists() or not any((tmp_path / "refused").rglob("*.pdf"))

        odd.kill(odd.workers[1])
        [good] = odd.add_workers("good")
        report = build(Project(ROOT), tmp_path / "out", leaflet_ids=[LEAFLET_ID], locales=locales,
                       scheduler=odd.address)
        _assert_same_as_local(report, tmp_path / "out", local)
        assert all(good in o.origin.split()[1] for o in report.outcomes)
        retried = [o for o in report.outcomes if "attempt 2" in o.origin]
        assert all("engine differs" in o.origin for o in retried)
    finally:
        odd.stop()
