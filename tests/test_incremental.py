"""Incremental builds: unchanged inputs are skipped, any change rebuilds. Fast tier: the build's
decisions, rendered with conftest.HtmlRenderer; that parallel and serial builds give the same PDF
bytes is in test_pdf.py."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from leafletgen.project import Project
from leafletgen.render.options import RenderOptions

from conftest import LEAFLET_ID, HtmlRenderer, copy_project, fake_build

LOCALES = ["en", "de"]


def statuses(project: Project, out: Path, renderer: HtmlRenderer | None = None, **kwargs: object) -> dict[str, str]:
    report = fake_build(project, out, renderer, locales=kwargs.pop("locales", LOCALES), **kwargs)
    return {o.locale: o.status for o in report.outcomes}


@pytest.fixture(scope="module")
def _first_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental")
    assert statuses(copy_project(root / "project"), root / "out") == {"en": "built", "de": "built"}
    return root


@pytest.fixture()
def built_once(tmp_path: Path, _first_build: Path) -> tuple[Project, Path]:
    """A scratch project and its output, built once: a copy of the module's first build (keys are
    project-relative, so the copy is current: test_unchanged_inputs_are_not_rendered_again)."""
    project = copy_project(tmp_path / "project", source=_first_build / "project")
    shutil.copytree(_first_build / "out", tmp_path / "out")
    return project, tmp_path / "out"


def test_unchanged_inputs_are_not_rendered_again(built_once: tuple[Project, Path]) -> None:
    project, out = built_once
    renderer = HtmlRenderer()
    assert statuses(project, out, renderer) == {"en": "skipped", "de": "skipped"}
    assert renderer.rendered == []


def test_manifest_records_key_sha256_size_and_time(built_once: tuple[Project, Path]) -> None:
    _, out = built_once
    entry = json.loads((out / "manifest.json").read_text())["outputs"][f"{LEAFLET_ID}/{LEAFLET_ID}.de.pdf"]
    pdf = out / LEAFLET_ID / f"{LEAFLET_ID}.de.pdf"
    assert entry["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert entry["size"] == pdf.stat().st_size and entry["seconds"] > 0 and len(entry["key"]) == 64


def test_changed_catalog_rebuilds_only_its_locale(built_once: tuple[Project, Path]) -> None:
    project, out = built_once
    po = project.locales_dir / "de" / "LC_MESSAGES" / f"{LEAFLET_ID}.po"
    po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    renderer = HtmlRenderer()
    assert statuses(project, out, renderer) == {"en": "skipped", "de": "built"}
    assert renderer.rendered == [f"{LEAFLET_ID} de"]


def test_changed_template_or_style_rebuilds_everything(built_once: tuple[Project, Path]) -> None:
    project, out = built_once
    css = project.templates_dir / "leaflet.css"
    css.write_text(css.read_text() + "\n/* changed */\n")
    assert statuses(project, out) == {"en": "built", "de": "built"}


def test_changed_option_rebuilds(built_once: tuple[Project, Path]) -> None:
    project, out = built_once
    assert statuses(project, out, options=RenderOptions(paper="letter")) == {"en": "built", "de": "built"}


def test_changed_source_rebuilds(built_once: tuple[Project, Path]) -> None:
    project, out = built_once
    source = project.leaflets_dir / f"{LEAFLET_ID}.yaml"
    text = source.read_text()
    source.write_text(re.sub(r"(?m)^  revision: (\d+)$", lambda m: f"  revision: {int(m.group(1)) + 1}", text))
    assert statuses(project, out) == {"en": "built", "de": "built"}


def test_damaged_or_deleted_output_is_rebuilt(built_once: tuple[Project, Path]) -> None:
    project, out = built_once
    (out / LEAFLET_ID / f"{LEAFLET_ID}.en.pdf").write_bytes(b"%PDF-1.7 truncated")
    (out / LEAFLET_ID / f"{LEAFLET_ID}.de.pdf").unlink()
    assert statuses(project, out) == {"en": "built", "de": "built"}


def test_force_rebuilds_unchanged(built_once: tuple[Project, Path]) -> None:
    project, out = built_once
    assert statuses(project, out, force=True) == {"en": "built", "de": "built"}
