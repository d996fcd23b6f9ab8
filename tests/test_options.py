"""Render options are declared once (render/options.py): every surface offers exactly those.

The CLI's build arguments, the API's query parameters, JSON ``options`` and order form, the
OpenAPI docs and the order page's controls must all follow from :data:`OPTIONS`, so a new
option (or a new paper) appears everywhere at once and nowhere by hand.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leafletgen.cli.commands import build_options
from leafletgen.cli.main import _parser, main
from leafletgen.content.pharmacy import PAPERS as PROFILE_PAPERS
from leafletgen.project import Project
from leafletgen.render.options import OPTIONS, PAPER_SIZES, PAPERS, RenderOptions, options_for
from leafletgen.serve.app import Options, OrderForm, QueryOptions, create_app

from conftest import LEAFLET_ID

PDF_PATH = "/api/leaflets/{leaflet_id}/{locale}.pdf"
FIELDS = {field.name for field in dataclasses.fields(RenderOptions)}


@pytest.fixture(scope="module")
def client(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app without its lifespan: no render pool, enough for everything refused before a render.
    Shared by the module's tests, which change no file (reading the project's catalogs takes seconds)."""
    yield TestClient(create_app(project, cache_dir=tmp_path_factory.mktemp("cache"), workers=1),
                     raise_server_exceptions=False)


def _build_parser() -> argparse.ArgumentParser:
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["build"]


def _aliases(model: type[Any]) -> dict[str, str]:
    """Field name -> the name a request uses."""
    return {name: field.alias or name for name, field in model.model_fields.items()}


# -- the declaration --------------------------------------------------------------------------------

def test_every_declared_option_is_a_render_options_field_with_its_default() -> None:
    defaults = RenderOptions()
    assert OPTIONS and len({spec.name for spec in OPTIONS}) == len(OPTIONS)
    for spec in OPTIONS:
        assert spec.name in FIELDS and getattr(defaults, spec.name) == spec.default
        assert spec.help
        if spec.kind == "choice":
            assert spec.default in spec.values and all(c.label for c in spec.choices)


def test_the_papers_are_one_list_with_labels_and_the_pharmacy_profile_accepts_them() -> None:
    paper = next(spec for spec in OPTIONS if spec.name == "paper")
    assert {c.value: c.label for c in paper.choices} == {name: p.label for name, p in PAPERS.items()}
    assert {c.value: c.label for c in paper.choices} == {"a4": "A4", "letter": "US Letter"}
    assert set(PAPER_SIZES) == set(PAPERS) == set(PROFILE_PAPERS)


def test_cli_only_and_special_options_are_said_so_in_the_declaration() -> None:
    draft = next(spec for spec in OPTIONS if spec.name == "draft")
    assert draft.cli == "--draft" and draft.api is None and draft.form is None
    assert "pharmacy" in FIELDS and "pharmacy" not in {spec.name for spec in OPTIONS}
    second = next(spec for spec in OPTIONS if spec.name == "with_locale")
    assert (second.cli, second.api, second.form) == ("--with", "with", "second")


# -- the command line -------------------------------------------------------------------------------

def test_cli_build_offers_exactly_the_declared_options_and_choices() -> None:
    actions = {a.dest: a for a in _build_parser()._actions}
    render_dests = {dest for dest in actions if dest in FIELDS and dest != "pharmacy"}
    assert render_dests == {spec.name for spec in options_for("cli")}
    for spec in options_for("cli"):
        action = actions[spec.name]
        assert spec.cli in action.option_strings
        assert spec.help in (action.help or "")
        if spec.kind == "choice":
            assert tuple(action.choices or ()) == spec.values
        if spec.kind == "flag":
            assert action.nargs == 0  # a switch


def test_cli_refuses_an_unknown_paper_in_one_line_naming_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--paper", "a5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--paper" in err[0] and "invalid choice: 'a5'" in err[0]
    assert all(name in err[0] for name in PAPERS)


def test_cli_options_come_from_the_flags_then_the_profile_then_the_defaults(project: Project,
                                                                           tmp_path: Path) -> None:
    profile = tmp_path / "pharmacy.yaml"
    profile.write_text("name: Riverside\naddress: 1 High Street\nphone: '+44 20 7946 0000'\n"
                       "paper: letter\nsecond_language: de\n", encoding="utf-8")

    def options(*argv: str) -> RenderOptions:
        return build_options(_build_parser().parse_args(list(argv)), project)

    plain = options()
    assert dataclasses.replace(plain, pharmacy=None) == RenderOptions()
    from_profile = options("--pharmacy", str(profile))
    assert (from_profile.paper, from_profile.with_locale) == ("letter", "de")
    assert from_profile.pharmacy is not None and from_profile.pharmacy.name == "Riverside"
    given = options("--pharmacy", str(profile), "--paper", "a4", "--with", "none", "--large-print", "--draft")
    assert (given.paper, given.with_locale, given.large_print, given.draft) == ("a4", None, True, True)


# -- the API ----------------------------------------------------------------------------------------

def test_api_models_offer_exactly_the_declared_options() -> None:
    api = {spec.name: spec.api for spec in options_for("api")}
    assert _aliases(Options) == api
    assert _aliases(QueryOptions) == api
    form = {spec.name: spec.form for spec in options_for("form")}
    assert {name: alias for name, alias in _aliases(OrderForm).items() if name in FIELDS} == form


def test_openapi_documents_the_declared_options_for_get_and_post(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    query = {p["name"]: p for p in schema["paths"][PDF_PATH]["get"]["parameters"] if p["in"] == "query"}
    posted = schema["components"]["schemas"]["Options"]["properties"]
    assert set(query) == set(posted) == {spec.api for spec in options_for("api")}
    for spec in options_for("api"):
        assert query[str(spec.api)]["description"] == posted[str(spec.api)]["description"] == spec.help
        if spec.kind == "choice":
            assert tuple(query[str(spec.api)]["schema"]["enum"]) == tuple(posted[str(spec.api)]["enum"]) \
                == spec.values


def test_api_refuses_an_unknown_paper_with_422(client: TestClient) -> None:
    got = client.get(f"/api/leaflets/{LEAFLET_ID}/de.pdf", params={"paper": "a5"})
    assert got.status_code == 422
    assert got.json()["error"] == "invalid request" and got.json()["detail"][0]["field"] == "paper"
    posted = client.post("/api/orders", json={"items": [{"leaflet": LEAFLET_ID, "locale": "de"}],
                                              "options": {"paper": "a5"}})
    assert posted.status_code == 422 and "paper" in posted.json()["detail"][0]["field"]
    form = client.post("/order", data={"choice": f"{LEAFLET_ID}:de", "paper": "a5"})
    assert form.status_code == 422 and 'role="alert"' in form.text and "Paper: choose" in form.text


def test_api_refuses_options_that_are_not_offered_there(client: TestClient) -> None:
    for spec in OPTIONS:
        if spec.api is None:
            response = client.post("/api/orders", json={"items": [{"leaflet": LEAFLET_ID, "locale": "de"}],
                                                        "options": {spec.name: True}})
            assert response.status_code == 422, spec.name


# -- the order page ---------------------------------------------------------------------------------

class _Controls(HTMLParser):
    """The form controls of the order page: name -> kind, and the radio values with their labels."""

    def __init__(self) -> None:
        super().__init__()
        self.kinds: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.checked: dict[str, str] = {}
        self.labels: list[str] = []
        self._radio: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name"):
            self.kinds[a["name"]] = a.get("type", "text")
            if a.get("type") == "radio":
                self.radios.setdefault(a["name"], []).append(a["value"])
                self._radio = (a["name"], a["value"])
                if "checked" in a:
                    self.checked[a["name"]] = a["value"]
        elif tag == "select":
            self.kinds[a["name"]] = "select"

    def handle_data(self, data: str) -> None:
        if self._radio and data.strip():
            self.labels.append(f"{self._radio[1]}={data.strip()}")
            self._radio = None


def test_order_page_offers_exactly_the_declared_controls(client: TestClient) -> None:
    controls = _Controls()
    controls.feed(client.get("/").text)
    expected = {"choice": "radio", "flag": "checkbox", "locale": "select"}
    offered = {name: kind for name, kind in controls.kinds.items()
               if name not in {"choice", "name", "address", "phone", "hours"}}
    assert offered == {str(spec.form): expected[spec.kind] for spec in options_for("form")}
    for spec in options_for("form"):
        if spec.kind == "choice":
            assert tuple(controls.radios[str(spec.form)]) == spec.values
            assert controls.checked[str(spec.form)] == spec.default
            assert all(f"{c.value}={c.label}" in controls.labels for c in spec.choices)


def test_pdfs_made_with_different_options_never_share_a_file_name() -> None:
    import dataclasses
    from pathlib import Path

    from leafletgen.build.outputs import output_path
    from leafletgen.render.options import OPTIONS, RenderOptions

    base = output_path(Path("out"), "x", "de", RenderOptions())
    assert base.name == "x.de.pdf"
    for spec in OPTIONS:
        other = next(v for v in (*spec.values, True, "en") if v != spec.default) if spec.kind != "flag" else True
        changed = output_path(Path("out"), "x", "de", dataclasses.replace(RenderOptions(), **{spec.name: other}))
        assert changed != base, spec.name
