"""normalize: whatever tool saved a catalog, one command brings back the project's form, byte for byte."""

from __future__ import annotations

import subprocess

import pytest

from leafletgen.cli.main import main
from leafletgen.project import Project
from leafletgen.translate.catalogs import po_path

from conftest import LEAFLET_ID


def test_a_catalog_rewrapped_by_gnu_msgcat_comes_back_byte_for_byte(scratch: Project,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = po_path(scratch.locales_dir, "de", LEAFLET_ID)
    original = path.read_bytes()
    subprocess.run(["msgcat", "--width=60", str(path), "-o", str(path)], check=True)  # as a GNU tool saves it
    assert path.read_bytes() != original
    assert main(["--project", str(scratch.root), "normalize", "--check"]) == 1
    assert f"would rewrite locales/de/LC_MESSAGES/{LEAFLET_ID}.po" in capsys.readouterr().out
    assert main(["--project", str(scratch.root), "normalize", "de"]) == 0
    assert path.read_bytes() == original
    assert main(["--project", str(scratch.root), "normalize", "--check"]) == 0


def test_an_unreadable_catalog_is_named_and_left_as_it_is(scratch: Project,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = po_path(scratch.locales_dir, "de", LEAFLET_ID)
    broken = path.read_bytes().replace(b'msgstr "', b'msgstr "\\q', 1)
    path.write_bytes(broken)
    assert main(["--project", str(scratch.root), "normalize"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"error: locales/de/LC_MESSAGES/{LEAFLET_ID}.po") and "unreadable" in err[-1]
    assert path.read_bytes() == broken


def test_a_catalog_whose_header_differs_only_in_dates_passes_the_check(scratch: Project,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = po_path(scratch.locales_dir, "de", LEAFLET_ID)
    text = path.read_text(encoding="utf-8")
    assert '"Generated-By: ' in text
    without = "".join(line for line in text.splitlines(keepends=True) if not line.startswith('"Generated-By: '))
    path.write_text(without, encoding="utf-8")  # as GNU msgmerge writes it
    assert main(["--project", str(scratch.root), "normalize", "--check"]) == 0
    assert "would rewrite" not in capsys.readouterr().out
    assert main(["--project", str(scratch.root), "normalize"]) == 0
    assert "rewrote" not in capsys.readouterr().out and path.read_text(encoding="utf-8") == without
