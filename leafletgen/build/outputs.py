"""The output folder: where each PDF goes, and withdrawing the PDFs of units that no longer pass.

``out/<leaflet>/<leaflet>.<locale>[+<second>][.large][.letter][.draft].pdf``
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from leafletgen.build.manifest import Manifest
from leafletgen.render.options import OPTIONS, RenderOptions

if TYPE_CHECKING:
    from leafletgen.build.runner import Outcome


def output_path(out_dir: Path, leaflet_id: str, locale: str, options: RenderOptions) -> Path:
    """``out/<leaflet>/<leaflet>.<locale>[+<second>][.large][.letter][.draft].pdf``."""
    parts = "".join(spec.name_part(getattr(options, spec.name)) for spec in OPTIONS)  # declared in render/options
    return out_dir / leaflet_id / f"{leaflet_id}.{locale}{parts}.pdf"


def withdraw(out_dir: Path, outcomes: Iterable[Outcome], manifest: Manifest) -> dict[str, str]:
    """Remove the earlier PDFs of every unit that no longer passes; output name -> reason.

    A unit is a leaflet in one locale. When the gate refuses it or one of its inputs is
    broken, every PDF of that leaflet with that locale as its first or second language
    goes (any paper, large print, bilingual), drafts excepted: they say DRAFT on every
    page and are not for patients. When only the render or the write failed (a template
    error, a full disk), the earlier PDF stays if it was made from the same source and
    catalogs, and goes if they have changed since: its warnings would be outdated.
    """
    reasons: dict[tuple[str, str], str] = {}
    withdrawn: dict[str, str] = {}
    for outcome in outcomes:
        reason = f"{outcome.status}: {outcome.problems[0] if outcome.problems else ''}" + (
            f" (and {len(outcome.problems) - 1} more)" if len(outcome.problems) > 1 else "")
        for code in outcome.withdraw:
            reasons.setdefault((outcome.leaflet, code), reason)
        if outcome.status == "failed" and outcome.content and outcome.path is not None and outcome.path.is_file():
            entry = manifest.entries.get(outcome.path.relative_to(out_dir).as_posix())
            if entry is None or entry.content != outcome.content:
                outcome.path.unlink(missing_ok=True)
                withdrawn[outcome.path.relative_to(out_dir).as_posix()] = reason + " (its earlier PDF was made " \
                    "from other sources or catalogs)"
    for leaflet_id in {leaflet for leaflet, _ in reasons}:
        for pdf in sorted((out_dir / leaflet_id).glob(f"{leaflet_id}.*.pdf")):
            codes, draft = _output_locales(pdf.name, leaflet_id)
            hit = next((reasons[(leaflet_id, c)] for c in codes if (leaflet_id, c) in reasons), None)
            if hit is not None and not draft and pdf.is_file():
                pdf.unlink(missing_ok=True)
                withdrawn[pdf.relative_to(out_dir).as_posix()] = hit
    return withdrawn


def _output_locales(name: str, leaflet_id: str) -> tuple[list[str], bool]:
    """The locales and draft flag of an output named by :func:`output_path`."""
    parts = name[len(leaflet_id) + 1: -len(".pdf")].split(".")
    return parts[0].split("+"), "draft" in parts[1:]


STALE_TEMPORARY_SECONDS = 600


def remove_stale_temporaries(out_dir: Path) -> None:
    """Temporary files left by a killed build (never a final PDF); recent ones may belong to a running build."""
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    for tmp in out_dir.glob("**/.*.tmp"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except OSError:
            pass
