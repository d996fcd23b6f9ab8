"""Interruptions, concurrency, untrusted URLs, and random text: nothing corrupt ever reaches the output."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pikepdf
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from leafletgen.build.runner import build
from leafletgen.errors import LeafletError, RenderError
from leafletgen.inspect.readback import read_structure_text
from leafletgen.pdf.engine import render_pdf
from leafletgen.project import Project
from leafletgen.translate.catalogs import po_path, read_catalog, write_catalog
from leafletgen.translate.snapshot import load_catalog, load_leaflets

from conftest import LEAFLET_ID, ROOT, normalize


def _assert_complete_pdfs(out: Path) -> int:
    pdfs = sorted(p for p in out.rglob("*.pdf") if p.is_file())
    for path in pdfs:
        data = path.read_bytes()
        assert data.rstrip().endswith(b"%%EOF"), path
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) >= 5 and "/StructTreeRoot" in pdf.Root, path
    return len(pdfs)


def test_a_build_killed_midway_leaves_only_complete_pdfs(scratch: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "generate.py"), "--project", str(scratch.root), "build", "-o", str(out)]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len([p for p in out.rglob("*.pdf") if p.is_file()]) < 3:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the build and its workers, mid-way
    process.wait()
    written = _assert_complete_pdfs(out)
    assert 3 <= written < 12  # it really was interrupted
    # the next build completes the rest and keeps what was already good
    report = build(scratch, out)
    assert report.ok and report.count("built") + report.count("skipped") == 12
    assert _assert_complete_pdfs(out) == 12


def test_concurrent_builds_into_one_folder_do_not_corrupt_each_other(scratch: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    base = [sys.executable, str(ROOT / "generate.py"), "--project", str(scratch.root), "build", "-o", str(out),
            "--jobs", "1"]
    runs = [subprocess.Popen([*base, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for args in (["-L", "en", "-L", "de", "-L", "fr"], ["-L", "de", "-L", "es", "--force"],
                         ["-L", "fr", "-L", "ru", "--force"])]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    assert _assert_complete_pdfs(out) == 5
    import json

    manifest = json.loads((out / "manifest.json").read_text())["outputs"]
    assert sorted(manifest) == sorted(f"{LEAFLET_ID}/{LEAFLET_ID}.{loc}.pdf" for loc in ("en", "de", "fr", "es", "ru"))
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize("html", [
    '<img src="file:///etc/passwd" alt="x">',
    '<p style="background: url(file:///etc/passwd)">x</p>',
    '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">',
    '<img src="../leaflets/isotretinoin-20mg.yaml" alt="x">',
])
def test_the_renderer_loads_nothing_outside_the_templates_folder(project: Project, html: str) -> None:
    page = f'<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>{html}</body></html>'
    with pytest.raises(RenderError) as info:
        render_pdf(page, base_dir=project.templates_dir, name="test")
    assert "refused to load" in str(info.value) or "file not found" in str(info.value)


# -- property: random text through extract -> catalog -> render ------------------------------------

SCRIPTS = {
    "hi": st.characters(min_codepoint=0x0900, max_codepoint=0x097F),
    "ar": st.characters(min_codepoint=0x0621, max_codepoint=0x064A),
    "ru": st.characters(min_codepoint=0x0410, max_codepoint=0x044F),
    "zh_CN": st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
    "de": st.characters(min_codepoint=0x20, max_codepoint=0x17F),
}
NOISE = st.sampled_from(["\x00", "\x07", "\x1b", "\u200b", "\u202e", "<script>", "&amp;", "**", "%(x)s", "\u00ad",
                         "\U0001F600", "\ufeff", " ", "\n"])


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("property")
    for name in ("leaflets", "locales", "templates"):
        shutil.copytree(ROOT / name, root / name)
    return Project(root)


@st.composite
def translations(draw: st.DrawFn) -> tuple[str, str]:
    locale = draw(st.sampled_from(sorted(SCRIPTS)))
    pieces = draw(st.lists(st.one_of(st.text(SCRIPTS[locale], min_size=1, max_size=8), NOISE), min_size=1,
                           max_size=6))
    return locale, "".join(pieces)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=translations())
def test_random_translation_round_trips_or_is_refused_cleanly(playground: Project, tmp_path: Path,
                                                              case: tuple[str, str]) -> None:
    locale, text = case
    path = po_path(playground.locales_dir, locale, LEAFLET_ID)
    original = path.read_bytes()
    try:
        catalog = read_catalog(path)
        message = next(m for m in catalog if m.context == "other.questions")  # not safety-critical
        message.string = text + " ."  # keep the final full stop the check expects
        write_catalog(path, catalog)
        out = tmp_path / f"out-{abs(hash(case))}"
        try:
            report = build(playground, out, locales=[locale], jobs=1, force=True)
        except LeafletError:
            event("refused before rendering")
            return  # refused cleanly
        outcome = report.outcomes[0]
        event(f"{outcome.status} ({locale})")
        if outcome.status != "built":
            assert outcome.status in ("refused", "failed") and outcome.problems
            assert not list(out.rglob("*.pdf"))
            return
        assert outcome.path is not None
        shown = normalize(read_structure_text(outcome.path))
        expected = normalize(str(load_catalog(playground, locale, LEAFLET_ID).get(  # type: ignore[union-attr]
            message.id, context="other.questions").string))
        expected = "".join(c for c in expected if unicodedata.category(c) != "Cf")
        shown = "".join(c for c in shown if unicodedata.category(c) != "Cf")
        assert expected in shown
    finally:
        path.write_bytes(original)


def test_leaflets_still_load_after_the_property_test(playground: Project) -> None:
    assert load_leaflets(playground)[0].id == LEAFLET_ID


def test_stale_temporaries_from_a_killed_build_are_cleaned_up(scratch: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    stale = out / LEAFLET_ID / f".{LEAFLET_ID}.de.pdf.abc123.tmp"
    fresh = out / LEAFLET_ID / f".{LEAFLET_ID}.fr.pdf.def456.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF-1.7 half")
    fresh.write_bytes(b"%PDF-1.7 being written by another build")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    assert build(scratch, out, locales=["en"]).ok
    assert not stale.exists() and fresh.exists()
