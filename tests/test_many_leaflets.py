"""Many leaflets: nothing is wired to one. A leaflet is offered in the locales it has catalogs in;
its figures are its own; a reviewer can accept a warning for one text. Fast tier (HtmlRenderer)."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from leafletgen.build.runner import NOT_OFFERED
from leafletgen.cli.main import main
from leafletgen.project import Project
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import offered_locales, po_path, read_catalog, write_catalog
from leafletgen.translate.gate import document_refusals
from leafletgen.translate.snapshot import load_leaflets

from conftest import LEAFLET_ID, ROOT, copy_project, fake_build, leaflet_ids, unit_pdf

COPY = "zz-copy"


@pytest.fixture()
def two(tmp_path: Path) -> Project:
    """The fixture leaflet with its catalogs, and a copy of it under a new id with none."""
    project = copy_project(tmp_path / "project")
    source = (project.leaflets_dir / f"{LEAFLET_ID}.yaml").read_text(encoding="utf-8")
    (project.leaflets_dir / f"{COPY}.yaml").write_text(source.replace(f"id: {LEAFLET_ID}", f"id: {COPY}"),
                                                       encoding="utf-8")
    return project


def test_a_leaflet_without_catalogs_is_offered_in_english_only(two: Project, tmp_path: Path) -> None:
    report = fake_build(two, tmp_path / "out")
    statuses = {(o.leaflet, o.locale): o.status for o in report.outcomes}
    others = offered_locales(two.locales_dir, LEAFLET_ID)[1:]
    assert others, "the fixture leaflet has translations"
    assert statuses[(COPY, "en")] == "built"
    assert {statuses[(COPY, code)] for code in others} == {NOT_OFFERED}
    assert {statuses[(LEAFLET_ID, code)] for code in ["en", *others]} == {"built"}
    assert report.ok  # not offered is not a failure of the build
    assert sorted(p.name for p in (tmp_path / "out" / COPY).glob("*.pdf")) == [f"{COPY}.en.pdf"]


def test_the_build_says_in_one_line_where_a_leaflet_is_not_offered(two: Project, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   fake_engine: None) -> None:
    assert main(["--project", str(two.root), "build", "-o", str(tmp_path / "out"), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    others = offered_locales(two.locales_dir, LEAFLET_ID)[1:]
    assert f"not offered {COPY} in {', '.join(others)} (no catalog; start one with 'leafletgen init LOCALE " \
           f"--leaflet {COPY}')" in out.splitlines()


def test_asking_for_a_leaflet_in_a_locale_it_is_not_offered_in_fails_that_unit_alone(two: Project,
                                                                                      tmp_path: Path) -> None:
    report = fake_build(two, tmp_path / "out", leaflet_ids=[LEAFLET_ID, COPY], locales=["de"])
    by_leaflet = {o.leaflet: o for o in report.outcomes}
    assert by_leaflet[LEAFLET_ID].status == "built"
    assert by_leaflet[COPY].status == NOT_OFFERED and by_leaflet[COPY].asked
    assert not report.ok


def test_every_leaflet_in_one_locale_builds_those_offered_there(two: Project, tmp_path: Path) -> None:
    """'build -L de': the German leaflets; one with no German catalog is noted, not a failure."""
    report = fake_build(two, tmp_path / "out", locales=["de"])
    by_leaflet = {o.leaflet: o for o in report.outcomes}
    assert by_leaflet[LEAFLET_ID].status == "built"
    assert by_leaflet[COPY].status == NOT_OFFERED and not by_leaflet[COPY].asked
    assert report.ok


def test_a_draft_of_a_locale_without_a_catalog_is_not_printed_as_english(two: Project, tmp_path: Path) -> None:
    report = fake_build(two, tmp_path / "out", leaflet_ids=[COPY], locales=["de"],
                        options=RenderOptions(draft=True))
    assert [o.status for o in report.outcomes] == [NOT_OFFERED]
    assert not list((tmp_path / "out").rglob("*.pdf"))


def test_a_second_language_the_leaflet_is_not_offered_in_is_refused(two: Project, tmp_path: Path) -> None:
    report = fake_build(two, tmp_path / "out", leaflet_ids=[COPY], locales=["en"],
                        options=RenderOptions(with_locale="de"))
    assert [o.status for o in report.outcomes] == [NOT_OFFERED]
    assert "zz-copy de: not offered in this locale" in report.outcomes[0].problems[0]


def test_removing_a_leaflets_catalog_withdraws_its_earlier_pdf(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    out = tmp_path / "out"
    assert fake_build(project, out, locales=["en", "de"]).ok
    assert unit_pdf(out, LEAFLET_ID, "de").is_file()
    po_path(project.locales_dir, "de", LEAFLET_ID).unlink()
    report = fake_build(project, out)
    assert {o.status for o in report.outcomes if o.locale == "de"} == {NOT_OFFERED}
    assert not unit_pdf(out, LEAFLET_ID, "de").exists()
    assert unit_pdf(out, LEAFLET_ID, "en").is_file()


def test_update_creates_no_catalog_nobody_started_and_init_starts_one(two: Project,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(two.root), "update"]) == 0
    assert not list(two.locales_dir.glob(f"*/LC_MESSAGES/{COPY}.po"))
    assert offered_locales(two.locales_dir, COPY) == ["en"]
    capsys.readouterr()
    assert main(["--project", str(two.root), "init", "de", "--leaflet", COPY]) == 0
    out = capsys.readouterr().out
    assert f"created  locales/de/LC_MESSAGES/{COPY}.po" in out
    assert f"{LEAFLET_ID}.po" not in out  # the other leaflet's catalog is left alone
    assert offered_locales(two.locales_dir, COPY) == ["en", "de"]


def test_status_lists_each_leaflet_only_in_the_locales_it_is_offered_in(two: Project,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    main(["--project", str(two.root), "status", "--json"])
    import json

    rows = json.loads(capsys.readouterr().out)
    assert {r["locale"] for r in rows if r["domain"] == COPY} == {"en"}
    assert {r["locale"] for r in rows if r["domain"] == LEAFLET_ID} == set(offered_locales(two.locales_dir,
                                                                                          LEAFLET_ID))


def test_every_shipped_leaflet_is_discovered_from_the_files() -> None:
    assert sorted(leaflet_ids(Project(ROOT))) == sorted(p.stem for p in (ROOT / "leaflets").glob("*.yaml"))
    assert len(leaflet_ids(Project(ROOT))) >= 2


# -- figures: a leaflet's own ------------------------------------------------------------------------


def test_a_leaflet_shows_only_the_figures_its_source_asks_for(two: Project, tmp_path: Path) -> None:
    path = two.leaflets_dir / f"{COPY}.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    - figure:")
    end = text.index("    - bullets:", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    report = fake_build(two, tmp_path / "out", locales=["en"])
    assert report.ok
    assert "<img" not in unit_pdf(tmp_path / "out", COPY, "en").read_text(encoding="utf-8")
    assert '<img class="figure"' in unit_pdf(tmp_path / "out", LEAFLET_ID, "en").read_text(encoding="utf-8")


def test_a_missing_figure_fails_only_its_leaflet_naming_the_file(two: Project, tmp_path: Path) -> None:
    path = two.leaflets_dir / f"{COPY}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("figures/pregnancy-warning.svg", "figures/gone.svg"),
                    encoding="utf-8")
    report = fake_build(two, tmp_path / "out", locales=["en"])
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert [(o.leaflet, o.locale) for o in failed] == [(COPY, "*")]
    assert "no such file leaflets/figures/gone.svg" in failed[0].problems[0]
    assert failed[0].problems[0].startswith(f"leaflets/{COPY}.yaml:")
    assert unit_pdf(tmp_path / "out", LEAFLET_ID, "en").is_file()


def test_a_changed_figure_file_rebuilds_the_pdfs_that_show_it(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    out = tmp_path / "out"
    assert fake_build(project, out, locales=["en"]).ok
    assert {o.status for o in fake_build(project, out, locales=["en"]).outcomes} == {"skipped"}
    figure = project.leaflets_dir / "figures" / "pregnancy-warning.svg"
    figure.write_bytes(figure.read_bytes().replace(b"</svg>", b"<!-- zqxj --></svg>"))
    assert {o.status for o in fake_build(project, out, locales=["en"]).outcomes} == {"built"}
    html = unit_pdf(out, LEAFLET_ID, "en").read_text(encoding="utf-8")
    assert base64.b64encode(figure.read_bytes()).decode() in html  # inline, the new bytes


# -- reviewed exceptions --------------------------------------------------------------------------


def _german_heading_as_a_question(project: Project) -> str:
    """Make a German safety-critical heading a question (as QRD headings are); its id."""
    path = po_path(project.locales_dir, "de", LEAFLET_ID)
    catalog = read_catalog(path)
    message = next(m for m in catalog if m.context == "before.heading")
    message.string = "2. Was sollten Sie vor der Einnahme von Isotretinoin beachten?"
    write_catalog(path, catalog)
    return "before.heading"


def test_an_accepted_warning_stops_blocking_until_the_text_changes(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "project")
    leaflet = load_leaflets(project, [LEAFLET_ID])[0]
    ctxt = _german_heading_as_a_question(project)
    assert [f.problem for f in document_refusals(project, leaflet, ["de"])] == [
        "ends with question mark, the source with no punctuation"]
    assert main(["--project", str(project.root), "accept", "de", LEAFLET_ID, ctxt, "--by", "A. Weber"]) == 0
    assert f"accepted de {LEAFLET_ID} {ctxt} by A. Weber" in capsys.readouterr().out
    path = po_path(project.locales_dir, "de", LEAFLET_ID)
    assert "# accepted " in path.read_text(encoding="utf-8")  # a translator comment, kept by PO editors
    assert document_refusals(project, leaflet, ["de"]) == []
    assert main(["--project", str(project.root), "check", "de"]) == 0
    # the translation changes: the acceptance is stale, the warning is back
    catalog = read_catalog(path)
    message = next(m for m in catalog if m.context == ctxt)
    message.string = str(message.string).replace("Was sollten", "Was müssen")
    write_catalog(path, catalog)
    assert [f.problem for f in document_refusals(project, leaflet, ["de"])] == [
        "ends with question mark, the source with no punctuation"]
    capsys.readouterr()
    assert main(["--project", str(project.root), "check", "de"]) == 1
    assert "the accepted warnings are stale" in capsys.readouterr().out


def test_errors_can_never_be_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "project")
    path = po_path(project.locales_dir, "de", LEAFLET_ID)
    catalog = read_catalog(path)
    message = next(m for m in catalog if m.context == "before.pregnancy.bc-timing")
    message.string = str(message.string).replace("1", "2", 1)
    write_catalog(path, catalog)
    before = path.read_bytes()
    assert main(["--project", str(project.root), "accept", "de", LEAFLET_ID, "before.pregnancy.bc-timing",
                 "--by", "A. Weber"]) == 1
    err = capsys.readouterr().err
    assert "before.pregnancy.bc-timing: cannot be accepted, fix it: numbers differ from the source" in err
    assert path.read_bytes() == before


def test_accepting_a_message_without_warnings_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "project")
    assert main(["--project", str(project.root), "accept", "de", LEAFLET_ID, "key.heading", "--by", "A. Weber"]) == 1
    assert "key.heading: has no warning to accept" in capsys.readouterr().err


def test_copy_project_takes_only_the_fixture_leaflet(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    assert leaflet_ids(project) == [LEAFLET_ID]
    assert not [p for p in project.locales_dir.rglob("*.po*") if p.stem not in (LEAFLET_ID, "templates")]
    shutil.rmtree(tmp_path / "p")


def test_the_server_offers_each_leaflet_in_its_own_locales(two: Project) -> None:
    from leafletgen.serve.pool import ApiError, Catalogue

    catalogue = Catalogue(two)
    assert list(catalogue.readiness[COPY]) == ["en"]
    assert list(catalogue.readiness[LEAFLET_ID]) == offered_locales(two.locales_dir, LEAFLET_ID)
    with pytest.raises(ApiError) as info:
        catalogue.check(COPY, "de")
    assert (info.value.status, info.value.error) == (404, "leaflet not offered in this locale")


def test_accepting_an_unknown_message_id_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "project")
    assert main(["--project", str(project.root), "accept", "de", LEAFLET_ID, "no.such.id", "--by", "A. Weber"]) == 1
    assert "no.such.id: no message with this id (see 'leafletgen check')" in capsys.readouterr().err
