"""The command line: outputs where promised, exit codes 0/1/2, one clear line per user error.
Fast tier: builds render with the stand-in engine (conftest: the "PDF" is the HTML)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from leafletgen.cli.main import main
from leafletgen.project import Project

from conftest import LEAFLET_ID, ROOT, is_rendered_html


def test_build_writes_the_english_pdf_to_the_documented_path(project: Project, tmp_path: Path,
                                                            fake_engine: None) -> None:
    assert main(["--project", str(project.root), "build", "-L", "en", "-o", str(tmp_path)]) == 0
    pdf = tmp_path / LEAFLET_ID / f"{LEAFLET_ID}.en.pdf"
    assert is_rendered_html(pdf.read_bytes(), "en")
    assert not list(tmp_path.rglob("*.tmp"))


def test_generate_py_runs_the_same_cli() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "generate.py"), "build", "--help"],
                            capture_output=True, text=True, check=True)
    for option in ("--leaflet", "--locale", "--paper", "--out", "--draft"):
        assert option in result.stdout


def test_usage_error_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--paper", "a5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid choice: 'a5'" in err[0]


def test_unknown_locale_is_a_one_line_error(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(project.root), "build", "-L", "xx_ZZ9"]) == 1
    assert capsys.readouterr().err == "error: locale 'xx_ZZ9': unknown or invalid locale code\n"


def test_unknown_leaflet_is_a_usage_error(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(project.root), "build", "-l", "aspirin"]) == 2
    assert "unknown leaflet 'aspirin'" in capsys.readouterr().err


def test_invalid_leaflet_fails_with_every_problem_and_no_traceback(scratch: Project, tmp_path: Path) -> None:
    source = scratch.leaflets_dir / f"{LEAFLET_ID}.yaml"
    source.write_text(re.sub(r"(?m)^  revision: \d+$", "  revision: first", source.read_text()).replace(
        "format: 1", "format: 1\nauthor: me"))
    result = subprocess.run([sys.executable, str(ROOT / "generate.py"), "--project", str(scratch.root),
                             "build", "-l", LEAFLET_ID, "-o", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 1
    edited = source.read_text().splitlines()
    assert result.stderr.splitlines() == [
        f"failed   {LEAFLET_ID} (every locale)",
        f"  leaflets/{LEAFLET_ID}.yaml:{edited.index('author: me') + 1}: author: unknown key (allowed: format, id, "
        "meta, title, subtitle, key_warning, sections)",
        f"  leaflets/{LEAFLET_ID}.yaml:{edited.index('  revision: first') + 1}: meta.revision: must be a whole "
        "number of at least 1, got 'first'",
    ]
    assert not list(tmp_path.rglob("*.pdf"))


def test_failed_rebuild_leaves_earlier_good_output_untouched(scratch: Project, tmp_path: Path,
                                                            fake_engine: None) -> None:
    assert main(["--project", str(scratch.root), "build", "-L", "en", "-o", str(tmp_path)]) == 0
    pdf = tmp_path / LEAFLET_ID / f"{LEAFLET_ID}.en.pdf"
    before = pdf.read_bytes()
    (scratch.templates_dir / "leaflet.html.j2").write_text("{% if %}")
    assert main(["--project", str(scratch.root), "build", "-L", "en", "-o", str(tmp_path)]) == 1
    assert pdf.read_bytes() == before
