"""status --strings: one row per message, with the state the gate and the review records give it."""

from __future__ import annotations

import csv
import io
import json

import pytest

from leafletgen.cli.main import main
from leafletgen.project import Project
from leafletgen.translate.catalogs import po_path, read_catalog, template_messages, write_catalog
from leafletgen.translate.gate import expected_messages
from leafletgen.translate.snapshot import load_leaflets

from conftest import LEAFLET_ID


def _rows(project: Project, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, str]]]:
    code = main(["--project", str(project.root), "status", "--strings", *args, "--format", "csv"])
    return code, list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_the_csv_has_one_row_per_message_of_every_offered_catalog(scratch: Project,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    leaflet = load_leaflets(scratch, [LEAFLET_ID])[0]
    code, rows = _rows(scratch, capsys, "-L", "de", "-L", "ar")
    assert code == 0
    expected = len(expected_messages(leaflet)) + len(template_messages(scratch))
    assert len(rows) == 2 * expected
    assert {r["state"] for r in rows} == {"translated"}
    assert sum(r["safety_critical"] == "yes" for r in rows) == 2 * len(leaflet.safety_critical_ids())
    assert list(rows[0]) == ["leaflet", "locale", "id", "safety_critical", "state", "findings", "english",
                             "translation"]


def test_each_state_is_named_with_its_reason(scratch: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(scratch.root), "review", "de", "--leaflet", LEAFLET_ID, "--by", "A. Reviewer"]) == 0
    capsys.readouterr()
    path = po_path(scratch.locales_dir, "de", LEAFLET_ID)
    catalog = read_catalog(path)
    numbered = next(m for m in catalog if m.id and any(c.isdigit() for c in str(m.id)) and m.context != "title")
    plain = [m for m in catalog if m.id and not any(c.isdigit() for c in str(m.id)) and m.context]
    missing, fuzzy, edited = plain[1], plain[2], plain[3]
    missing.string = ""
    fuzzy.flags.add("fuzzy")
    edited.string = str(edited.string) + " "  # changed since the review: translated, no longer reviewed
    numbered.string = str(numbered.string).replace("1", "7", 1).replace("2", "7", 1)
    write_catalog(path, catalog)
    code = main(["--project", str(scratch.root), "status", "--strings", "-L", "de", "--format", "json"])
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out) if r["leaflet"] == LEAFLET_ID}
    assert code == 1
    assert rows[missing.context]["state"] == "missing"
    assert rows[fuzzy.context]["state"] == "fuzzy"
    assert rows[numbered.context]["state"] == "failing"
    assert any("numbers differ" in f for f in rows[numbered.context]["findings"])
    assert rows[edited.context]["state"] == "translated"
    assert rows[plain[4].context]["state"] == "reviewed"
