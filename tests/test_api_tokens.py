"""Who may order: bearer tokens from a file of hashed tokens (required beyond loopback), and a
rate limit per client. Fast tier: the real app, nothing rendered but by the stand-in engine."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leafletgen.cli.main import main
from leafletgen.errors import UsageError
from leafletgen.project import Project
from leafletgen.serve.access import RateLimit, Tokens, add_token, is_loopback
from leafletgen.serve.app import create_app, serve

from conftest import LEAFLET_ID


def _order(*locales: str) -> dict[str, object]:
    return {"items": [{"leaflet": LEAFLET_ID, "locale": code} for code in locales]}


def test_token_command_prints_a_token_once_and_stores_only_its_digest(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "tokens.txt"
    assert main(["token", str(file), "--name", "clinic north EHR"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    text = file.read_text(encoding="utf-8")
    assert token not in text and "clinic north EHR" in text
    assert file.stat().st_mode & 0o077 == 0  # readable by the server account only
    assert Tokens.read(file).client(f"Bearer {token}") == "clinic north EHR"
    assert Tokens.read(file).client("Bearer not-the-token") is None


def test_a_malformed_token_file_is_one_clear_line(tmp_path: Path) -> None:
    file = tmp_path / "tokens.txt"
    file.write_text("secret-in-clear-text clinic\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        Tokens.read(file)
    assert str(caught.value.problems[0]).startswith(f"{file}: line 1: expected 'sha256:")


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                                ("localhost", True), ("0.0.0.0", False), ("::", False),
                                                ("192.0.2.7", False), ("clinic-server", False)])
def test_loopback_is_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_listening_beyond_loopback_needs_tokens(scratch: Project) -> None:
    with pytest.raises(UsageError, match="needs access tokens"):
        serve(scratch, "0.0.0.0", 8000, 1, 1, 1.0)


def test_with_tokens_every_call_needs_one_but_the_docs(scratch: Project, tmp_path: Path, fake_engine: None) -> None:
    file = tmp_path / "tokens.txt"
    token = add_token(file, "clinic system")
    app = create_app(scratch, cache_dir=tmp_path / "cache", workers=1, tokens=Tokens.read(file))
    with TestClient(app) as client:
        refused = client.get("/api/leaflets")
        assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert client.get("/api/leaflets", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/leaflets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        page = client.get("/")
        assert page.status_code == 401 and page.headers["www-authenticate"].startswith("Basic")  # the browser asks
        basic = base64.b64encode(f"reception:{token}".encode()).decode()
        assert client.get("/", headers={"Authorization": f"Basic {basic}"}).status_code == 200
        assert client.get("/docs").status_code == 200 and client.get("/openapi.json").status_code == 200


def test_rate_limit_is_per_client_and_counts_items(scratch: Project, tmp_path: Path, fake_engine: None) -> None:
    file = tmp_path / "tokens.txt"
    first, second = add_token(file, "north"), add_token(file, "south")
    app = create_app(scratch, cache_dir=tmp_path / "cache", workers=1, tokens=Tokens.read(file), rate=3)
    north, south = ({"Authorization": f"Bearer {token}"} for token in (first, second))
    with TestClient(app) as client:
        assert client.post("/api/orders", json=_order("de", "fr"), headers=north).status_code == 200
        limited = client.post("/api/orders", json=_order("es", "ar"), headers=north)
        assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1 and "try again in" in limited.json()["message"]
        assert client.post("/api/orders", json=_order("es", "ar"), headers=south).status_code == 200


def test_rate_limit_refills_with_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("leafletgen.serve.access.time.monotonic", lambda: clock[0])
    limit = RateLimit(60)  # one item a second
    assert limit.take("a", 60) == 0.0
    assert limit.take("a", 1) == pytest.approx(1.0)
    clock[0] += 2
    assert limit.take("a", 2) == 0.0
    assert RateLimit(0).take("a", 1000) == 0.0
