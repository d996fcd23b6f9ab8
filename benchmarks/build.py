"""Build benchmark: pipeline overhead, parallel speed-up, no-change rebuild, per-locale cost, memory.

    make bench            (or: .venv/bin/python benchmarks/build.py)

Every number comes from fresh processes on this machine, in one run. Timing stays out
of the test suite; tests check the cache's correctness instead.
"""
# ruff: noqa: E402  (imports follow the sys.path set-up for running from a checkout)

from __future__ import annotations

import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from leafletgen.project import Project
from leafletgen.render.html import leaflet_html
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, available_locales
from leafletgen.translate.snapshot import (
    load_catalog,
    load_leaflets,
)

CLI = [sys.executable, "-m", "leafletgen.cli"]
REPEAT = 5
BARE = """
import sys, weasyprint
html = open(sys.argv[1], encoding="utf-8").read()
weasyprint.HTML(string=html, base_url=sys.argv[2]).write_pdf(sys.argv[3], pdf_variant="pdf/ua-1")
"""


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def median_time(cmd: list[str]) -> float:
    return statistics.median(timed(cmd) for _ in range(REPEAT))


def pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    project = Project(ROOT)
    leaflet = load_leaflets(project)[0]
    tmp = Path(tempfile.mkdtemp(prefix="leafletgen-bench-"))
    summary: list[list[str]] = [["measure", "value", "target"]]

    # 1. pipeline overhead: our build of one leaflet/locale vs bare WeasyPrint on the same HTML
    for locale in ("en", "zh_CN"):
        html_file = tmp / f"{locale}.html"
        html_file.write_text(leaflet_html(project, leaflet, locale, RenderOptions(),
                                          load_catalog(project, locale, leaflet.id),
                                          load_catalog(project, locale, TEMPLATES_DOMAIN)), encoding="utf-8")
        one = [*CLI, "build", "-l", leaflet.id, "-L", locale, "--force", "-o", str(tmp / "one")]
        bare_cmd = [sys.executable, "-c", BARE, str(html_file), project.templates_dir.as_uri() + "/",
                    str(tmp / f"{locale}.bare.pdf")]
        runs: dict[str, list[float]] = {"ours": [], "one core": [], "bare": []}
        for _ in range(REPEAT):  # interleaved, so a slow moment of the machine hits all three alike
            runs["ours"].append(timed(one))
            runs["one core"].append(timed([*one, "--jobs", "1"]))
            runs["bare"].append(timed(bare_cmd))
        ours, single, bare = (statistics.median(runs[k]) for k in ("ours", "one core", "bare"))
        summary.append([f"one leaflet, {locale}: leafletgen / bare WeasyPrint",
                        f"{ours:.2f} s / {bare:.2f} s = {ours / bare:.2f}", "<= 1.10"])
        summary.append(["  the same on one core (--jobs 1: no warm render process)",
                        f"{single:.2f} s / {bare:.2f} s = {single / bare:.2f}", "report"])

    # 1b. where a warm, in-process render of one English leaflet spends its time
    from leafletgen.pdf.engine import render_pdf

    catalogs = (load_catalog(project, "en", leaflet.id), load_catalog(project, "en", TEMPLATES_DOMAIN))
    stages = {"html + font coverage": 0.0, "WeasyPrint render + write": 0.0, "text-layer fix (finisher)": 0.0}
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        html = leaflet_html(project, leaflet, "en", RenderOptions(), *catalogs)
        t1 = time.perf_counter()
        render_pdf(html, base_dir=project.templates_dir, name="en", exact_text=False)
        t2 = time.perf_counter()
        render_pdf(html, base_dir=project.templates_dir, name="en", exact_text=True)
        t3 = time.perf_counter()
        stages["html + font coverage"] += (t1 - t0) / REPEAT
        stages["WeasyPrint render + write"] += (t2 - t1) / REPEAT
        stages["text-layer fix (finisher)"] += max(0.0, (t3 - t2) - (t2 - t1)) / REPEAT
    for stage, seconds in stages.items():
        summary.append([f"  warm in-process, en: {stage}", f"{seconds * 1000:.0f} ms", "report"])

    # 1c. the same comparison in a warm process (a server, or a batch): all of our pipeline
    #     (gate, HTML, font coverage, render, text-layer fix) vs WeasyPrint alone on that HTML
    import weasyprint

    from leafletgen.translate.catalogs import template_messages
    from leafletgen.translate.gate import refusals_for

    base_url = project.templates_dir.as_uri() + "/"
    for locale in ("en", "zh_CN"):
        cats = (load_catalog(project, locale, leaflet.id), load_catalog(project, locale, TEMPLATES_DOMAIN))
        html = leaflet_html(project, leaflet, locale, RenderOptions(), *cats)
        ours_runs, bare_runs = [], []
        for i in range(2 * REPEAT):  # alternate which goes first; the minimum is the least disturbed run
            gc.collect()  # neither pays for the garbage the other left
            t0 = time.perf_counter()
            if i % 2:
                weasyprint.HTML(string=html, base_url=base_url).write_pdf(pdf_variant="pdf/ua-1")
                bare_runs.append(time.perf_counter() - t0)
            else:
                refusals_for(leaflet, locale, *cats, template_messages(project))
                render_pdf(leaflet_html(project, leaflet, locale, RenderOptions(), *cats),
                           base_dir=project.templates_dir, name=locale)
                ours_runs.append(time.perf_counter() - t0)
        ours, bare = min(ours_runs), min(bare_runs)
        summary.append([f"one leaflet, {locale}, warm process: leafletgen / bare WeasyPrint",
                        f"{ours:.2f} s / {bare:.2f} s = {ours / bare:.2f}", "<= 1.10"])

    # 2. parallel efficiency: everything with --jobs 1 vs the default (one per core)
    everything = [*CLI, "build", "--force", "-o", str(tmp / "all")]
    serial = timed([*everything, "--jobs", "1"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    parallel = timed(everything)
    peak_kb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    summary.append([f"all leaflets x locales, --jobs 1 vs default ({os.cpu_count()} cores)",
                    f"{serial:.1f} s / {parallel:.1f} s = {serial / parallel:.2f}x", ">= 1.7x"])

    # 3. no-change rebuild of everything
    nochange = median_time([*CLI, "build", "-o", str(tmp / "all")])
    summary.append(["no-change rebuild of everything", f"{nochange:.2f} s", "< 0.5 s"])
    summary.append(["peak memory (largest process of a full build)", f"{peak_kb / 1024:.0f} MB", "report"])
    print(table(summary))
    print()

    # 4. per locale: render time, pages, size
    import json

    manifest = json.loads((tmp / "all" / "manifest.json").read_text())["outputs"]
    rows = [["locale", "render s", "pages", "size KB", "target"]]
    for locale in available_locales(project.locales_dir):
        name = f"{leaflet.id}/{leaflet.id}.{locale}.pdf"
        entry = manifest[name]
        cjk = locale.startswith("zh")
        rows.append([locale, f"{entry['seconds']:.2f}", str(pages(tmp / "all" / name)),
                     f"{entry['size'] / 1024:.0f}", "report" if cjk else "< 200 KB"])
    print(table(rows))


if __name__ == "__main__":
    main()
