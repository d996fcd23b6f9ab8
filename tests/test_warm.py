"""The one-PDF build at the counter: WeasyPrint warms up in a second process meanwhile.

What matters to the user: the same PDF as any other build, errors reported the same
way, and a render process that never outlives the build. The warm process's life and death
are in the fast tier (with the stand-in engine, conftest); its PDFs and render errors are real.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from leafletgen.errors import RenderError
from leafletgen.pdf.warm import WarmRenderer
from leafletgen.project import Project
from leafletgen.translate.catalogs import template_messages

from conftest import EPOCH, LEAFLET_ID, ROOT, fake_build

PROBE = """
import sys
from leafletgen.cli import main
status = main(sys.argv[1:])
print("weasyprint imported here:", "weasyprint" in sys.modules)
sys.exit(status)
"""

needs_two_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the warm process needs a second core")


def _build(project: Project, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE, "--project", str(project.root), "build", "-l", LEAFLET_ID,
                           "-o", str(out), *extra], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})


@pytest.mark.pdf
@needs_two_cores
def test_one_pdf_build_renders_in_the_warm_process_and_gives_the_same_bytes(scratch: Project,
                                                                            tmp_path: Path) -> None:
    warm = _build(scratch, tmp_path / "warm", "-L", "ru")
    serial = _build(scratch, tmp_path / "serial", "-L", "ru", "--jobs", "1")
    assert warm.returncode == 0 and serial.returncode == 0, warm.stderr + serial.stderr
    assert "weasyprint imported here: False" in warm.stdout  # the main process never loaded it
    assert "weasyprint imported here: True" in serial.stdout
    name = Path(LEAFLET_ID) / f"{LEAFLET_ID}.ru.pdf"
    assert (tmp_path / "warm" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes()


@needs_two_cores
def test_unchanged_one_pdf_build_skips_without_loading_weasyprint(scratch: Project, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)  # as _build has it: the build key includes it
    assert fake_build(scratch, tmp_path, leaflet_ids=[LEAFLET_ID], locales=["de"]).ok  # the output is current
    again = _build(scratch, tmp_path, "-L", "de")
    assert again.returncode == 0 and "0 built, 1 skipped" in again.stdout
    assert "weasyprint imported here: False" in again.stdout


@pytest.mark.pdf
@needs_two_cores
def test_render_error_in_the_warm_process_is_one_clear_problem(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    renderer = WarmRenderer.start()
    assert renderer is not None
    with renderer, pytest.raises(RenderError) as caught:
        renderer.render_pdf('<html lang="en"><body><img src="missing.png" alt="x"></body></html>',
                            base_dir=tmp_path / "templates", name="leaflet en")
    assert [str(p) for p in caught.value.problems] == ["templates/missing.png: file not found"]


@needs_two_cores
def test_killed_warm_process_fails_the_render_with_one_line(tmp_path: Path, fake_engine: None) -> None:
    renderer = WarmRenderer.start()
    assert renderer is not None
    os.kill(renderer.pid, signal.SIGKILL)
    with renderer, pytest.raises(RenderError) as caught:
        renderer.render_pdf("<p>x</p>", base_dir=tmp_path, name="leaflet en")
    assert [str(p) for p in caught.value.problems] == [
        "leaflet en: the render process died (out of memory or killed)"]


@needs_two_cores
def test_closed_warm_process_is_gone(tmp_path: Path, fake_engine: None) -> None:
    renderer = WarmRenderer.start()
    assert renderer is not None
    pid = renderer.pid  # (once closed, the pool forgets its process: renderer.pid is 0, "any child")
    assert pid > 0
    renderer.close()  # while it may still be importing WeasyPrint
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left behind


def test_template_messages_follow_an_edited_template_and_its_cache_survives(scratch: Project) -> None:
    before = template_messages(scratch)
    assert "notice.unreviewed" in before
    part = scratch.templates_dir / "part.html.j2"
    part.write_text(part.read_text() + '\n{{ pgettext("test.new", "A string added just now") }}\n')
    after = template_messages(scratch)
    assert after["test.new"] == "A string added just now"
    assert {k: v for k, v in after.items() if k != "test.new"} == before


def test_a_damaged_template_messages_cache_is_not_trusted(scratch: Project, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from leafletgen.translate.catalogs import _extracted_template_messages

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _extracted_template_messages.cache_clear()
    expected = template_messages(scratch)
    cached = list((tmp_path / "cache" / "leafletgen").glob("template-messages-*.json"))
    assert len(cached) == 1
    for damage in (b"", b"{not json", b'[["only one"]]'):
        cached[0].write_bytes(damage)
        _extracted_template_messages.cache_clear()  # as a new process would
        assert template_messages(scratch) == expected


@needs_two_cores
def test_closing_twice_is_harmless(fake_engine: None) -> None:
    renderer = WarmRenderer.start()
    assert renderer is not None
    renderer.close()
    renderer.close()  # the build closes it before starting a pool; the command line again at the end
