"""What a script may import from leafletgen, and that importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import leafletgen

from conftest import ROOT


def test_every_public_name_resolves_to_its_object() -> None:
    for name in leafletgen.__all__:
        assert getattr(leafletgen, name) is not None, name
    assert leafletgen.build_leaflets.__module__ == "leafletgen.build.runner"
    assert issubclass(leafletgen.LeafletError, Exception)


def test_importing_the_package_loads_no_pipeline_library() -> None:
    code = ("import sys, leafletgen; print(sorted(m for m in ('jinja2', 'babel', 'weasyprint', 'yaml') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_script_can_load_a_leaflet_and_ask_the_gate() -> None:
    project = leafletgen.Project(ROOT)
    path = project.leaflet_paths()[0]
    leaflet = leafletgen.load_leaflet(path, display_name=project.display(path))
    snapshot = leafletgen.Snapshot(project)
    assert leafletgen.document_refusals(snapshot, leaflet, ["en"]) == []
    broken = leafletgen.Snapshot(project, {f"locales/de/LC_MESSAGES/{leaflet.id}.po": None}, sealed=False)
    refusals = leafletgen.document_refusals(broken, leaflet, ["de"])
    assert [f.kind for f in refusals][:1] == ["missing"]
    assert isinstance(refusals[0], leafletgen.Finding)
    assert Path(project.root).is_dir()


def test_all_lists_exactly_the_lazily_loaded_names() -> None:
    assert set(leafletgen.__all__) == {"__version__", *leafletgen._PUBLIC}
