"""Shared fixtures: the real project, a scratch copy of it, and PDFs rendered once per session."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from leafletgen.build.runner import Report, build
from leafletgen.content.model import Leaflet
from leafletgen.project import Project
from leafletgen.translate.catalogs import available_locales
from leafletgen.translate.snapshot import load_leaflets

ROOT = Path(__file__).resolve().parent.parent
LEAFLET_ID = "isotretinoin-20mg"
_BIDI_AND_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u00ad\ufeff]")


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def leaflet(project: Project) -> Leaflet:
    return load_leaflets(project, [LEAFLET_ID])[0]


@pytest.fixture()
def scratch(tmp_path: Path) -> Project:
    """A writable copy of the project's leaflets, locales and templates."""
    for name in ("leaflets", "locales", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return Project(tmp_path)


@pytest.fixture(scope="session")
def built(project: Project, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    """Every leaflet in every locale of the repository, rendered once for the whole session."""
    out = tmp_path_factory.mktemp("out")
    report = build(project, out)
    return out, report


def all_locales() -> list[str]:
    return available_locales(ROOT / "locales")


def normalize(text: str) -> str:
    """Text as compared with PDF read-back: NFC, no markup, whitespace, hyphens or bidi marks."""
    text = unicodedata.normalize("NFC", text.replace("**", ""))
    text = _BIDI_AND_INVISIBLE.sub("", text)
    return re.sub(r"[\s\-‐‑]+", "", text)


def pdf_text(path: Path) -> str:
    """The PDF's text layer as pdftotext (poppler) reads it."""
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                            capture_output=True, text=True)
    return result.stdout
