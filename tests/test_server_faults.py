"""The server under faults: a broken file fails only its own units, a dead worker is replaced,
and SIGTERM stops it promptly. Renders are real (WeasyPrint in the worker pool)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leafletgen.project import Project
from leafletgen.serve.app import create_app
from leafletgen.translate.catalogs import available_locales, po_path

pytestmark = pytest.mark.pdf


def _client(project: Project, tmp_path: Path) -> TestClient:
    return TestClient(create_app(project, cache_dir=tmp_path / "cache", workers=1), raise_server_exceptions=False)


@pytest.fixture()
def broken_locale(scratch: Project) -> Iterator[tuple[str, str, str]]:
    """(leaflet, a locale whose catalog is broken, a locale that is fine)."""
    leaflet_id = scratch.leaflet_paths()[0].stem
    broken, fine = available_locales(scratch.locales_dir)[1:3]
    path = po_path(scratch.locales_dir, broken, leaflet_id)
    path.write_text(path.read_text(encoding="utf-8") + '\nmsgstrr "x"\n', encoding="utf-8")
    yield leaflet_id, broken, fine


def test_a_broken_catalog_makes_only_its_locale_unavailable(scratch: Project, tmp_path: Path,
                                                            broken_locale: tuple[str, str, str]) -> None:
    leaflet_id, broken, fine = broken_locale
    with _client(scratch, tmp_path) as client:
        listing = client.get("/api/leaflets")
        assert listing.status_code == 200
        locales = {r["code"]: r for r in listing.json()["leaflets"][0]["locales"]}
        assert locales[broken]["ready"] is False
        assert locales[broken]["problems"][0].startswith(f"locales/{broken}/LC_MESSAGES/{leaflet_id}.po: line ")
        assert all(r["ready"] for code, r in locales.items() if code != broken)
        refused = client.get(f"/api/leaflets/{leaflet_id}/{broken}.pdf")
        assert refused.status_code == 409
        assert f"{leaflet_id}.po" in refused.text and "Traceback" not in refused.text
        served = client.get(f"/api/leaflets/{leaflet_id}/{fine}.pdf")
        assert served.status_code == 200 and served.content.startswith(b"%PDF")
        assert client.get("/").status_code == 200


def test_a_broken_leaflet_source_makes_only_that_leaflet_unavailable(scratch: Project, tmp_path: Path) -> None:
    good = scratch.leaflet_paths()[0]
    (scratch.leaflets_dir / "zz-broken.yaml").write_text("id: zz-broken\nformat: [", encoding="utf-8")
    with _client(scratch, tmp_path) as client:
        listing = client.get("/api/leaflets")
        assert listing.status_code == 200
        assert [entry["id"] for entry in listing.json()["leaflets"]] == [good.stem]
        refused = client.get("/api/leaflets/zz-broken/en.pdf")
        assert refused.status_code == 409
        assert "leaflets/zz-broken.yaml" in refused.text
        assert client.get(f"/api/leaflets/{good.stem}/en.pdf").status_code == 200


def test_a_worker_that_dies_while_idle_is_replaced_for_the_next_request(scratch: Project, tmp_path: Path) -> None:
    leaflet_id = scratch.leaflet_paths()[0].stem
    app = create_app(scratch, cache_dir=tmp_path / "cache", workers=1)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get(f"/api/leaflets/{leaflet_id}/en.pdf").status_code == 200
        pool = app.state.renderer.pool
        for process in list(pool._processes.values()):
            os.kill(process.pid, signal.SIGKILL)
        time.sleep(0.5)
        response = client.get(f"/api/leaflets/{leaflet_id}/en.pdf?large_print=true")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sigterm_stops_the_server_within_seconds_even_while_rendering(scratch: Project, tmp_path: Path) -> None:
    leaflet_id = scratch.leaflet_paths()[0].stem
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "leafletgen.cli", "--project", str(scratch.root), "serve",
                               "--port", str(port), "--workers", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/api/leaflets", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        rendering = threading.Thread(target=_swallow, args=(f"{base}/api/leaflets/{leaflet_id}/en.pdf",), daemon=True)
        rendering.start()
        time.sleep(0.3)  # the render is under way
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        assert time.monotonic() - started < 5
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout
        assert workers == ""
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _swallow(url: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
    except OSError:
        pass
