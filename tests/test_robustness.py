"""Interruptions, concurrency, untrusted URLs, and random text: nothing corrupt ever reaches the output.

Interrupted and concurrent builds run the real command line with the stand-in engine (conftest:
the "PDF" is the HTML, each render slowed down): whether a file is complete is then exact, the
whole document rendered. The renderer's URL fetcher and random text read back are real PDFs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from leafletgen.build.runner import build
from leafletgen.errors import LeafletError, RenderError
from leafletgen.inspect.readback import read_structure_text
from leafletgen.project import Project
from leafletgen.translate.catalogs import po_path, read_catalog, write_catalog
from leafletgen.translate.snapshot import load_catalog, load_leaflets

from conftest import (
    LEAFLET_ID,
    copy_project,
    fake_build,
    fake_engine_cli,
    fake_engine_env,
    is_rendered_html,
    normalize,
    plain_text_ids,
    unit_count,
)


def _assert_complete_outputs(out: Path) -> int:
    """Every output is the whole document the stand-in engine rendered for its locale; how many there are."""
    outputs = sorted(p for p in out.rglob("*.pdf") if p.is_file())
    for path in outputs:
        locale = path.name.split(".")[-2]  # <leaflet>.<locale>.pdf
        assert is_rendered_html(path.read_bytes(), locale), path
    return len(outputs)


@pytest.mark.slow
def test_a_build_killed_midway_leaves_only_complete_pdfs(scratch: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    total = unit_count(scratch)
    process = subprocess.Popen(fake_engine_cli("--project", str(scratch.root), "build", "-o", str(out)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                               env=fake_engine_env(0.2))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len([p for p in out.rglob("*.pdf") if p.is_file()]) < 3:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the build and its workers, mid-way
    process.wait()
    written = _assert_complete_outputs(out)
    assert 3 <= written < total  # it really was interrupted
    # the next build completes the rest and keeps what was already good
    report = fake_build(scratch, out)
    assert report.ok and report.count("built") + report.count("skipped") == total
    assert _assert_complete_outputs(out) == total


@pytest.mark.slow
def test_concurrent_builds_into_one_folder_do_not_corrupt_each_other(scratch: Project, tmp_path: Path) -> None:
    import json

    out = tmp_path / "out"
    base = fake_engine_cli("--project", str(scratch.root), "build", "-o", str(out), "--jobs", "1")
    selections = (["en", "de", "fr"], ["de", "es"], ["fr", "ru"])
    runs = [subprocess.Popen([*base, *(a for loc in locales for a in ("-L", loc)), *(["--force"] if i else [])],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=fake_engine_env(0.1))
            for i, locales in enumerate(selections)]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    every = sorted({loc for locales in selections for loc in locales})
    assert _assert_complete_outputs(out) == len(every)
    manifest = json.loads((out / "manifest.json").read_text())["outputs"]
    assert sorted(manifest) == sorted(f"{LEAFLET_ID}/{LEAFLET_ID}.{loc}.pdf" for loc in every)
    assert not list(out.rglob("*.tmp"))


@pytest.mark.pdf
@pytest.mark.parametrize("html", [
    '<img src="file:///etc/passwd" alt="x">',
    '<p style="background: url(file:///etc/passwd)">x</p>',
    '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">',
    '<img src="../leaflets/isotretinoin-20mg.yaml" alt="x">',
])
def test_the_renderer_loads_nothing_outside_the_templates_folder(project: Project, html: str) -> None:
    from leafletgen.pdf.engine import render_pdf

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


PLAIN_ID = plain_text_ids()[0]  # a sentence that is not safety-critical


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return copy_project(tmp_path_factory.mktemp("property"))


@st.composite
def translations(draw: st.DrawFn) -> tuple[str, str]:
    locale = draw(st.sampled_from(sorted(SCRIPTS)))
    pieces = draw(st.lists(st.one_of(st.text(SCRIPTS[locale], min_size=1, max_size=8), NOISE), min_size=1,
                           max_size=6))
    return locale, "".join(pieces)


@pytest.mark.pdf
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=translations())
def test_random_translation_round_trips_or_is_refused_cleanly(playground: Project, tmp_path: Path,
                                                              case: tuple[str, str]) -> None:
    locale, text = case
    path = po_path(playground.locales_dir, locale, LEAFLET_ID)
    original = path.read_bytes()
    try:
        catalog = read_catalog(path)
        message = next(m for m in catalog if m.context == PLAIN_ID)  # not safety-critical
        message.string = text + " ."  # keep the final full stop the check expects
        write_catalog(path, catalog)
        out = tmp_path / f"out-{abs(hash(case))}"
        try:
            report = build(playground, out, leaflet_ids=[LEAFLET_ID], locales=[locale], jobs=1, force=True)
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
            message.id, context=PLAIN_ID).string))
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
    assert fake_build(scratch, out, locales=["en"]).ok
    assert not stale.exists() and fresh.exists()
