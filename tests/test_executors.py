"""The executor seam without a cluster (fast tier): the shared cache, the checks a cluster worker makes
before it renders (remote.run_task, called in this process with the stand-in engine), and the command
line's one-line errors for --scheduler. The real cluster is tests/test_cluster.py."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from leafletgen.build import cluster
from leafletgen.build.cache import SharedCache
from leafletgen.build.cluster import task_of
from leafletgen.build.jobs import Job
from leafletgen.build.remote import Result, Task, run_task
from leafletgen.build.runner import _gather
from leafletgen.cli.main import main
from leafletgen.project import Project
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import available_locales
from leafletgen.translate.snapshot import Snapshot

from conftest import EPOCH, LEAFLET_ID, NEW_LOCALE, HtmlRenderer, fake_build

KEY = hashlib.sha256(b"a unit").hexdigest()


def test_the_shared_cache_serves_only_intact_entries(tmp_path: Path) -> None:
    cache = SharedCache(tmp_path)
    assert cache.get(KEY) is None
    assert cache.put(KEY, b"%PDF-1.7 a leaflet", "cluster tcp://10.0.0.7:4242 (host pid 1)", 1.5)
    hit = cache.get(KEY)
    assert hit is not None and hit.pdf == b"%PDF-1.7 a leaflet" and hit.origin.startswith("cluster tcp://")
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")], "written atomically, nothing left over"
    pdf = next(tmp_path.rglob("*.pdf"))
    pdf.write_bytes(b"%PDF-1.7 a leaflet, damaged on the share")
    assert cache.get(KEY) is None, "a PDF that is not the one recorded is never served"
    cache.put(KEY, b"%PDF-1.7 a leaflet", "local", 1.0)
    next(tmp_path.rglob("*.json")).unlink()
    assert cache.get(KEY) is None, "a PDF without its record (a writer killed half way) does not count"


def test_a_pdf_rendered_once_is_taken_from_the_shared_cache_and_the_manifest_says_so(
        scratch: Project, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    first = fake_build(scratch, tmp_path / "one", cache=shared)
    units = len(first.outcomes)
    assert first.count("built") == units and {o.origin for o in first.outcomes} == {"local"}
    again = HtmlRenderer()
    second = fake_build(scratch, tmp_path / "two", renderer=again, cache=shared)
    assert second.count("built") == units and again.rendered == [], "nothing rendered a second time"
    manifest = json.loads((tmp_path / "two" / "manifest.json").read_text())["outputs"]
    assert {entry["origin"] for entry in manifest.values()} == {"cache: local"}
    for outcome in second.outcomes:
        assert outcome.path is not None
        assert outcome.path.read_bytes() == (tmp_path / "one" / outcome.path.relative_to(tmp_path / "two")).read_bytes()


def _jobs(project: Project, out: Path, locales: list[str], options: RenderOptions | None = None) -> list[Job]:
    return _gather(Snapshot(project), out, [LEAFLET_ID], locales, options or RenderOptions(), True, lambda o: None)


def _run(task: Task, job: Job, project: Project, **blob_changes: bytes) -> Result:
    blobs = {hashlib.sha256(d).hexdigest(): d for d in job.inputs.values() if d is not None}
    for name, data in blob_changes.items():
        blobs[task.digests[name]] = data  # type: ignore[index]
    templates = Snapshot(project).subset(p for p in project.templates_dir.rglob("*") if p.is_file())
    return run_task(task, blobs, templates)


def test_a_worker_renders_from_the_bytes_and_epoch_it_was_sent(scratch: Project, tmp_path: Path, fake_engine: None,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    [job] = _jobs(scratch, tmp_path / "out", ["de"])
    task = task_of(job)
    local = fake_build(scratch, tmp_path / "local", locales=["de"], force=True)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")  # the worker's own environment has none
    result = _run(task, job, scratch)
    assert result.status == "built", result.problems
    assert result.pdf == local.outcomes[0].path.read_bytes()  # type: ignore[union-attr]
    assert "SOURCE_DATE_EPOCH" not in os.environ, "the build's epoch is the unit's, not left in the worker"


def test_a_worker_refuses_bytes_that_do_not_match_their_digest(scratch: Project, tmp_path: Path,
                                                                fake_engine: None) -> None:
    [job] = _jobs(scratch, tmp_path / "out", ["de"])
    task = task_of(job)
    catalog = next(n for n in task.digests if n.endswith(f"{LEAFLET_ID}.po"))
    result = _run(task, job, scratch, **{catalog: job.inputs[catalog].replace(b"msgstr", b"msgstr ", 1)})  # type: ignore[union-attr]
    assert result.status == "failed" and result.retry
    assert f"{catalog} did not arrive intact" in result.problems[0]


def test_a_worker_with_another_engine_refuses_and_names_what_differs(scratch: Project, tmp_path: Path,
                                                                     fake_engine: None) -> None:
    [job] = _jobs(scratch, tmp_path / "out", ["de"])
    task = task_of(job)
    version = next(p.split("=")[1] for p in task.engine.split(";") if p.startswith("weasyprint="))
    result = _run(dataclasses.replace(task, engine=task.engine.replace(f"weasyprint={version}", "weasyprint=71.0")),
                  job, scratch)
    assert result.status == "failed" and result.retry
    assert f"weasyprint {version} (build machine: 71.0)" in result.problems[0]


def test_a_worker_runs_the_gate_again_and_refuses_what_it_refuses(scratch: Project, tmp_path: Path,
                                                                  fake_engine: None) -> None:
    assert main(["--project", str(scratch.root), "init", NEW_LOCALE, "--leaflet", LEAFLET_ID]) == 0
    [draft] = _jobs(scratch, tmp_path / "out", [NEW_LOCALE], RenderOptions(draft=True))
    assert draft.notes, "a draft of a new language prints what the gate would refuse"
    task = task_of(draft)
    # sent as if the gate had passed it: the worker's own gate says no
    result = _run(dataclasses.replace(task, options=dataclasses.replace(task.options, draft=False), verdict=()),
                  draft, scratch)
    assert result.status == "refused" and list(result.problems) == list(draft.notes)


def _error_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_scheduler_without_the_cluster_extra_is_one_line_naming_it(scratch: Project, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    status = main(["--project", str(scratch.root), "build", "-L", available_locales(scratch.locales_dir)[0],
                   "--scheduler", "tcp://127.0.0.1:8786", "-o", str(tmp_path / "out")])
    lines = _error_lines(capsys)
    assert status == 2 and len(lines) == 1
    assert "'cluster' extra" in lines[0] and "pip install 'leafletgen[cluster]'" in lines[0]


def test_an_unreachable_scheduler_is_one_line(scratch: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 0.3)
    status = main(["--project", str(scratch.root), "build", "--scheduler", "tcp://127.0.0.1:9",
                   "-o", str(tmp_path / "out")])
    lines = _error_lines(capsys)
    assert status == 2 and len(lines) == 1 and lines[0].startswith(
        "error: cannot reach the Dask scheduler at tcp://127.0.0.1:9"), lines
    assert not list((tmp_path / "out").rglob("*.pdf"))


def test_jobs_and_scheduler_exclude_each_other(scratch: Project, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--project", str(scratch.root), "build", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:9",
                   "-o", str(tmp_path / "out")])
    assert status == 2 and "--jobs and --scheduler" in capsys.readouterr().err
