"""Build keys: one digest of everything that shapes a PDF.

A PDF is rebuilt only when its key changes. The key covers the unit's inputs as the
snapshot read them (leaflet source, catalogs of its languages, review records), the
templates and styles, the render options, the engine (runtime.engine_fingerprint),
the font files of its locales and ``SOURCE_DATE_EPOCH``. Names are project-relative,
so two clones in different folders agree.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from leafletgen.content.model import Leaflet
from leafletgen.project import Project
from leafletgen.render.fonts import font_file
from leafletgen.render.locales import locale_info
from leafletgen.render.options import RenderOptions
from leafletgen.runtime import build_environment, digest_files, engine_fingerprint, key_of
from leafletgen.translate.catalogs import SOURCE_LOCALE, TEMPLATES_DOMAIN, po_path
from leafletgen.translate.review import REVIEWS_DIR
from leafletgen.translate.snapshot import Files, Snapshot, figure_paths


def unit_inputs(project: Project, leaflet: Leaflet, locale: str, options: RenderOptions) -> list[Path]:
    """The files one document is made of: its source and figures, the catalogs of its language(s)
    and their review records (which decide the not-reviewed notice)."""
    codes = [c for c in dict.fromkeys([locale, options.with_locale]) if c and c != SOURCE_LOCALE]
    reviews = [p for c in codes for p in sorted((project.locales_dir / c / REVIEWS_DIR).glob("*.json"))]
    return [project.leaflets_dir / f"{leaflet.id}.yaml", *figure_paths(project, leaflet),
            *(po_path(project.locales_dir, c, d) for c in codes for d in (leaflet.id, TEMPLATES_DOMAIN)), *reviews]


def content_digest(inputs: Files) -> str:
    """One digest over a unit's input files (names and bytes), as a snapshot holds them."""
    h = hashlib.sha256()
    for name, data in sorted(inputs.items()):
        h.update(name.encode() + b"\0" + (hashlib.sha256(data).digest() if data is not None else b"absent"))
    return h.hexdigest()


def templates_digest(project: Project) -> str:
    """Digest of the templates, styles and images a PDF uses (the web page's folder is not one)."""
    return digest_files(sorted(p for p in project.templates_dir.rglob("*")
                               if p.is_file() and "web" not in p.relative_to(project.templates_dir).parts),
                        root=project.root)


def build_key(source: Project | Snapshot, leaflet: Leaflet, locale: str, options: RenderOptions,
              templates: str) -> str:
    """The key of everything that shapes this PDF (see cache.py); project-relative, so equal in any clone."""
    snapshot = Snapshot.of(source)
    fonts = []
    for family in locale_info(locale).fonts:
        path, index = font_file(family)
        stat = os.stat(path)
        fonts.append(f"{family}:{path}:{index}:{stat.st_size}:{stat.st_mtime_ns}")
    if options.with_locale:
        fonts += [f"with:{f}" for f in locale_info(options.with_locale).fonts]
    inputs = unit_inputs(snapshot.project, leaflet, locale, options)
    return key_of({
        "inputs": ";".join(f"{snapshot.name(p)}={snapshot.digest(p)}" for p in inputs),
        "templates": templates,
        "options": repr(options),
        "locale": locale,
        "engine": engine_fingerprint(),
        "fonts": "|".join(fonts),
        "environment": build_environment(),
    })
