"""The exact bytes that pass the gate are the bytes printed; a unit that stops passing is withdrawn;
a broken file fails only its own units. Fast tier: a stand-in renderer (conftest.HtmlRenderer) returns
the HTML it is given, so what would be printed is visible without WeasyPrint.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from leafletgen.build import runner as build_module
from leafletgen.build.runner import Report
from leafletgen.errors import LeafletError
from leafletgen.project import Project
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import TEMPLATES_DOMAIN, available_locales, po_path
from leafletgen.translate.snapshot import MAX_INPUT_BYTES, Snapshot, cached_leaflet, load_each_leaflet

from conftest import fake_build, fake_engine_cli, fake_engine_env, leaflet_ids


def run(project: Project, out: Path, **kwargs: object) -> Report:
    return fake_build(project, out, **kwargs)


def translated_locales(project: Project) -> list[str]:
    return available_locales(project.locales_dir)[1:]


def a_critical_message(project: Project, locale: str) -> tuple[str, str]:
    """(msgctxt, msgstr) of a translated safety-critical message of the first leaflet, found in the data."""
    leaflet = load_each_leaflet(project)
    first = next(item for item in leaflet.values() if not isinstance(item, LeafletError))
    catalog = build_module.load_catalog(project, locale, first.id)
    assert catalog is not None
    critical = sorted(first.safety_critical_ids())
    message = next(m for m in catalog if m.context in critical and m.string and any(c.isdigit() for c in m.string))
    return str(message.context), str(message.string)


def first_leaflet(project: Project) -> str:
    return project.leaflet_paths()[0].stem


def status_of(report: Report) -> dict[tuple[str, str], str]:
    return {(o.leaflet, o.locale): o.status for o in report.outcomes}


@pytest.fixture()
def locale(scratch: Project) -> str:
    return translated_locales(scratch)[0]


def test_a_catalog_saved_between_gate_and_render_is_not_printed(scratch: Project, tmp_path: Path, locale: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    leaflet_id = first_leaflet(scratch)
    ctxt, good = a_critical_message(scratch, locale)
    path = po_path(scratch.locales_dir, locale, leaflet_id)
    altered = good.replace(next(c for c in good if c.isdigit()), "9", 1) + " 999"
    real_gate = build_module.document_refusals

    def gate_then_save(*args: object, **kwargs: object) -> object:
        verdict = real_gate(*args, **kwargs)  # type: ignore[arg-type]
        text = path.read_text(encoding="utf-8")  # a translator's editor saves right after the gate
        path.write_text(text.replace(good, altered, 1), encoding="utf-8")
        return verdict

    monkeypatch.setattr(build_module, "document_refusals", gate_then_save)
    out = tmp_path / "out"
    report = run(scratch, out, leaflet_ids=[leaflet_id], locales=[locale])
    assert status_of(report) == {(leaflet_id, locale): "built"}
    printed = (out / leaflet_id / f"{leaflet_id}.{locale}.pdf").read_text(encoding="utf-8")
    assert altered not in printed  # what passed the gate is what was printed
    assert path.read_text(encoding="utf-8").count(altered) == 1
    monkeypatch.setattr(build_module, "document_refusals", real_gate)
    again = run(scratch, out, leaflet_ids=[leaflet_id], locales=[locale])
    assert status_of(again) == {(leaflet_id, locale): "refused"}  # the saved edit is seen next time, and refused
    assert any(ctxt in p for p in again.outcomes[0].problems)
    assert not (out / leaflet_id / f"{leaflet_id}.{locale}.pdf").exists()


def test_a_unit_that_stops_passing_is_withdrawn_with_its_reason(scratch: Project, tmp_path: Path,
                                                                locale: str) -> None:
    leaflet_id = first_leaflet(scratch)
    out = tmp_path / "out"
    assert run(scratch, out, leaflet_ids=[leaflet_id], locales=["en", locale]).ok
    assert run(scratch, out, leaflet_ids=[leaflet_id], locales=["en"],
               options=RenderOptions(with_locale=locale, large_print=True)).ok
    folder = out / leaflet_id
    names = {p.name for p in folder.glob("*.pdf")}
    assert names == {f"{leaflet_id}.en.pdf", f"{leaflet_id}.{locale}.pdf", f"{leaflet_id}.en+{locale}.large.pdf"}
    ctxt, _ = a_critical_message(scratch, locale)
    path = po_path(scratch.locales_dir, locale, leaflet_id)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f'msgctxt "{ctxt}"', f'#, fuzzy\nmsgctxt "{ctxt}"', 1), encoding="utf-8")

    report = run(scratch, out, leaflet_ids=[leaflet_id], locales=["en", locale])
    assert status_of(report) == {(leaflet_id, "en"): "skipped", (leaflet_id, locale): "refused"}
    assert {p.name for p in folder.glob("*.pdf")} == {f"{leaflet_id}.en.pdf"}  # the bilingual one went too
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["outputs"]) == {f"{leaflet_id}/{leaflet_id}.en.pdf"}
    withdrawn = manifest["withdrawn"]
    assert set(withdrawn) == {f"{leaflet_id}/{leaflet_id}.{locale}.pdf",
                              f"{leaflet_id}/{leaflet_id}.en+{locale}.large.pdf"}
    assert all(ctxt in w["reason"] and "fuzzy" in w["reason"] for w in withdrawn.values())

    path.write_text(text, encoding="utf-8")  # fixed: built again, no longer listed as withdrawn
    assert run(scratch, out, leaflet_ids=[leaflet_id], locales=[locale]).ok
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert f"{leaflet_id}/{leaflet_id}.{locale}.pdf" in manifest["outputs"]
    assert f"{leaflet_id}/{leaflet_id}.{locale}.pdf" not in manifest["withdrawn"]


def test_a_broken_catalog_fails_only_its_own_units(scratch: Project, tmp_path: Path, locale: str) -> None:
    path = po_path(scratch.locales_dir, locale, TEMPLATES_DOMAIN)
    path.write_text(path.read_text(encoding="utf-8") + '\nmsgid "unterminated\n', encoding="utf-8")
    report = run(scratch, tmp_path / "out")
    statuses = status_of(report)
    leaflets = leaflet_ids(scratch)
    assert {k: v for k, v in statuses.items() if k[1] == locale} == {(i, locale): "failed" for i in leaflets}
    assert {v for k, v in statuses.items() if k[1] != locale} == {"built"}
    assert len(statuses) == len(leaflets) * len(available_locales(scratch.locales_dir))
    assert all(p.startswith(f"locales/{locale}/LC_MESSAGES/templates.po: line ")
               for o in report.outcomes if o.status == "failed" for p in o.problems)


def test_a_broken_leaflet_source_fails_only_that_leaflet(scratch: Project, tmp_path: Path) -> None:
    original = scratch.leaflet_paths()[0]
    copy = scratch.leaflets_dir / "zz-copy.yaml"
    text = original.read_text(encoding="utf-8")
    copy.write_text(text.replace(f"id: {original.stem}", "id: zz-copy", 1), encoding="utf-8")
    original.write_text(text.replace("revision:", "revision: first\n  old_revision:", 1), encoding="utf-8")
    report = run(scratch, tmp_path / "out", locales=["en"])
    statuses = status_of(report)
    assert statuses[(original.stem, "*")] == "failed"
    assert statuses[("zz-copy", "en")] == "built"
    broken = next(o for o in report.outcomes if o.leaflet == original.stem)
    assert all(re.match(rf"leaflets/{re.escape(original.name)}:\d+: ", p) for p in broken.problems)


def test_a_locale_without_a_font_fails_alone(scratch: Project, tmp_path: Path, locale: str) -> None:
    # no installed font has Tifinagh: the locale fails with one line; every other locale builds
    source = scratch.locales_dir / locale
    shutil.copytree(source, scratch.locales_dir / "zgh")
    report = run(scratch, tmp_path / "out", locales=None)
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert {o.locale for o in failed} == {"zgh"}
    assert [len(o.problems) for o in failed] == [1] * len(failed)
    assert all("no installed font supports Standard Moroccan Tamazight (Tfng script)" in p
               for o in failed for p in o.problems)
    assert {o.status for o in report.outcomes if o.locale != "zgh"} == {"built"}


def test_a_render_failure_keeps_the_earlier_pdf_only_while_its_content_is_current(
        scratch: Project, tmp_path: Path) -> None:
    leaflet_id = first_leaflet(scratch)
    out = tmp_path / "out"
    pdf = out / leaflet_id / f"{leaflet_id}.en.pdf"
    assert run(scratch, out, leaflet_ids=[leaflet_id], locales=["en"]).ok
    template = scratch.templates_dir / "part.html.j2"
    good_template = template.read_text(encoding="utf-8")
    template.write_text(good_template + "{% if %}", encoding="utf-8")
    assert status_of(run(scratch, out, leaflet_ids=[leaflet_id], locales=["en"])) == {(leaflet_id, "en"): "failed"}
    assert pdf.exists()  # same source: the earlier PDF is still right
    source = scratch.leaflets_dir / f"{leaflet_id}.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace("revision: ", "revision: 9", 1), encoding="utf-8")
    assert status_of(run(scratch, out, leaflet_ids=[leaflet_id], locales=["en"])) == {(leaflet_id, "en"): "failed"}
    assert not pdf.exists()  # the source changed since: the earlier PDF is outdated
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert f"{leaflet_id}/{leaflet_id}.en.pdf" in manifest["withdrawn"]


def test_build_keys_are_equal_in_two_clones(scratch: Project, tmp_path: Path) -> None:
    other = tmp_path / "somewhere" / "else"
    for name in ("leaflets", "locales", "templates"):
        shutil.copytree(scratch.root / name, other / name)
    keys = []
    for root in (scratch.root, other):
        project = Project(root)
        leaflet = cached_leaflet(project, first_leaflet(project))
        locale = translated_locales(project)[0]
        keys.append(build_module.build_key(Snapshot(project), leaflet, locale, RenderOptions(),
                                           build_module.templates_digest(project)))
    assert keys[0] == keys[1]


@pytest.mark.parametrize("kind", ["fifo", "link-outside", "too-large", "directory"])
def test_an_input_that_is_not_a_plain_project_file_is_refused_in_one_line(scratch: Project, tmp_path: Path,
                                                                          locale: str, kind: str) -> None:
    leaflet_id = first_leaflet(scratch)
    path = po_path(scratch.locales_dir, locale, leaflet_id)
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)  # reading it would block forever
        reason = "not a regular file (it is a named pipe (FIFO))"
    elif kind == "link-outside":
        secret = tmp_path.parent / f"{tmp_path.name}-secret.po"  # the scratch project is tmp_path itself
        secret.write_text('msgid ""\nmsgstr "private"\n', encoding="utf-8")
        path.symlink_to(secret)
        reason = "is a link to a file outside the project"
    elif kind == "too-large":
        path.write_bytes(b"#" * (MAX_INPUT_BYTES + 1))
        reason = f"file too large ({MAX_INPUT_BYTES + 1} bytes, limit {MAX_INPUT_BYTES})"
    else:
        path.mkdir()
        reason = "not a regular file (it is a directory)"
    report = run(scratch, tmp_path / "out", leaflet_ids=[leaflet_id], locales=["en", locale])
    assert status_of(report) == {(leaflet_id, "en"): "built", (leaflet_id, locale): "failed"}
    failed = next(o for o in report.outcomes if o.status == "failed")
    assert failed.problems == (f"locales/{locale}/LC_MESSAGES/{leaflet_id}.po: {reason}",)
    assert "private" not in "".join(failed.problems)


def test_a_sealed_snapshot_never_reads_the_disk(scratch: Project) -> None:
    leaflet_path = scratch.leaflet_paths()[0]
    snapshot = Snapshot(scratch, {"leaflets/x.yaml": b"id: x"}, sealed=True)
    assert snapshot.read(scratch.leaflets_dir / "x.yaml") == b"id: x"
    with pytest.raises(LeafletError, match="not part of this render's snapshot"):
        snapshot.read(leaflet_path)


def test_status_and_check_show_every_row_when_one_catalog_is_broken(
        scratch: Project, locale: str, capsys: pytest.CaptureFixture[str]) -> None:
    from leafletgen.cli.main import main

    leaflet_id = first_leaflet(scratch)
    path = po_path(scratch.locales_dir, locale, leaflet_id)
    path.write_text(path.read_text(encoding="utf-8") + '\nmsgstrr "x"\n', encoding="utf-8")
    assert main(["--project", str(scratch.root), "status", "--json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    broken = [r for r in rows if "error" in r]
    assert [(r["locale"], r["domain"]) for r in broken] == [(locale, leaflet_id)]
    assert broken[0]["error"].startswith(f"locales/{locale}/LC_MESSAGES/{leaflet_id}.po: line ")
    others = {(r["locale"], r["domain"]) for r in rows if "error" not in r}
    expected = {(c, d) for c in available_locales(scratch.locales_dir)
                for d in (leaflet_ids(scratch) + ([TEMPLATES_DOMAIN] if c != "en" else []))}
    assert others == expected - {(locale, leaflet_id)}
    assert main(["--project", str(scratch.root), "check"]) == 1
    err = capsys.readouterr().err
    assert f"error: locales/{locale}/LC_MESSAGES/{leaflet_id}.po: line " in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_killing_the_build_leaves_no_worker_running(scratch: Project, tmp_path: Path) -> None:
    import signal
    import subprocess
    import time

    out = tmp_path / "out"
    render_seconds = 0.3  # renders are under way when the build is killed
    argv = fake_engine_cli("--project", str(scratch.root), "build", "--jobs", "2", "-o", str(out))
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=fake_engine_env(render_seconds))
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        workers = [int(p) for p in children.read_text().split()] if children.exists() else []
        time.sleep(0.02)
    assert workers, "the build started no worker"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    def alive() -> list[int]:
        return [pid for pid in workers if Path(f"/proc/{pid}").exists()
                and "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]]

    deadline = time.monotonic() + 5
    while alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert alive() == []
    written = {p: p.stat().st_mtime for p in out.rglob("*.pdf")}
    time.sleep(2 * render_seconds)  # a surviving worker would have finished its render and written it by now
    assert {p: p.stat().st_mtime for p in out.rglob("*.pdf")} == written  # nothing written afterwards


def test_a_cache_folder_that_cannot_be_written_costs_time_never_a_build(
        scratch: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import jinja2

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert run(scratch, tmp_path / "a", locales=["en"]).ok

    def disk_full(self: object, bucket: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "dump_bytecode", disk_full)
    from leafletgen.render import html as render

    render.environment.cache_clear()  # a new process: templates compiled again, the cache write fails
    assert run(scratch, tmp_path / "b", locales=["en"]).ok
    render.environment.cache_clear()


def test_init_of_a_locale_without_a_font_starts_it_and_says_it_cannot_print_yet(
        scratch: Project, capsys: pytest.CaptureFixture[str]) -> None:
    from leafletgen.cli.main import main

    # translators may start before the fonts are installed; nothing pretends it will print
    assert main(["--project", str(scratch.root), "init", "zgh"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "no installed font supports" in err[0] and "fail until then" in err[0]
    assert (scratch.locales_dir / "zgh" / "LC_MESSAGES" / "templates.po").is_file()
