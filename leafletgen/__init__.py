"""leafletgen: multilingual, accessible patient leaflets from one structured source.

The pipeline, one subpackage per stage, each importing only from those below it
(`make lint` holds this with import-linter):

    cli/        the command line: parser and dispatch, one function per subcommand
    serve/      the clinic order page and JSON API, and its render pool
    build/      build keys, the manifest, outputs and withdrawal, worker processes, build()
    pdf/        HTML -> PDF/UA-1: the only code that imports WeasyPrint; the text layer
    inspect/    reading PDFs back: accessibility checks, text as assistive technology reads it
    render/     locale data, render options, font coverage, the Jinja HTML of a leaflet
    translate/  PO files, extraction, merge, checks, review records, THE gate, localize,
                and the snapshot of a project's inputs
    content/    the document model (no I/O), leaflet YAML and pharmacy profiles, validated
    errors.py, project.py, files.py, runtime.py, workers.py: the base every layer uses

The public API for scripts and other programs is below (``__all__``); everything else
may change between releases. Names load on first use, so ``import leafletgen`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: name -> module that defines it
_PUBLIC = {
    "build_leaflets": "leafletgen.build.runner",
    "Report": "leafletgen.build.runner",
    "Outcome": "leafletgen.build.runner",
    "Project": "leafletgen.project",
    "Leaflet": "leafletgen.content.model",
    "load_leaflet": "leafletgen.content.source",
    "parse_leaflet": "leafletgen.content.source",
    "RenderOptions": "leafletgen.render.options",
    "Snapshot": "leafletgen.translate.snapshot",
    "document_refusals": "leafletgen.translate.gate",
    "Finding": "leafletgen.translate.checks",
    "LeafletError": "leafletgen.errors",
    "Problem": "leafletgen.errors",
}

__all__ = [
    "Finding",
    "Leaflet",
    "LeafletError",
    "Outcome",
    "Problem",
    "Project",
    "RenderOptions",
    "Report",
    "Snapshot",
    "__version__",
    "build_leaflets",
    "document_refusals",
    "load_leaflet",
    "parse_leaflet",
]

if TYPE_CHECKING:
    from leafletgen.build.runner import Outcome, Report
    from leafletgen.build.runner import build as build_leaflets
    from leafletgen.content.model import Leaflet
    from leafletgen.content.source import load_leaflet, parse_leaflet
    from leafletgen.errors import LeafletError, Problem
    from leafletgen.project import Project
    from leafletgen.render.options import RenderOptions
    from leafletgen.translate.checks import Finding
    from leafletgen.translate.gate import document_refusals
    from leafletgen.translate.snapshot import Snapshot


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:  # build_leaflets is build.runner.build (leafletgen.build is the subpackage)
        value = getattr(importlib.import_module(_PUBLIC[name]), "build" if name == "build_leaflets" else name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'leafletgen' has no attribute {name!r}")
