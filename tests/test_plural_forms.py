"""Plural forms as GNU gettext has them: a catalog's own Plural-Forms header decides.

Babel's CLDR plural table changes between releases (2.19 gave French, Spanish and
Portuguese a third form; the catalogs, like GNU gettext, say two). Nothing but
`init` may consult a table, and the answers of the gate, status, check, update and
the build must not depend on which table Babel ships.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages import plurals

from leafletgen.cli.main import main
from leafletgen.errors import CatalogError
from leafletgen.project import Project
from leafletgen.translate.catalogs import available_locales, gettext_plural_forms
from leafletgen.translate.localize import TemplateStrings
from leafletgen.translate.pofile import parse_catalog

from conftest import copy_project, fake_build

#: Babel 2.19's entries for the languages whose count changed, as it shipped them.
_BABEL_2_19 = {
    "fr": (3, "(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2"),
    "es": (3, "(n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2"),
    "pt": (3, "(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2"),
    "pt_BR": (3, "(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2"),
}
_SIX_FORMS = (6, "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)")

TABLES = {
    "babel-2.19": lambda table: {**table, **_BABEL_2_19},
    "six-forms-everywhere": lambda table: dict.fromkeys(table, _SIX_FORMS),
    "empty": lambda table: {},
}


def _run(project: Project, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["--project", str(project.root), *argv])
    return code, out.getvalue()


def _answers(project: Project, out: Path) -> dict[str, object]:
    """Everything a user sees from the gate, status, check, update and build, for every locale."""
    status = _run(project, "status", "--json")
    check = _run(project, "check")
    update = _run(project, "update")
    catalogs = {p.relative_to(project.root).as_posix(): p.read_bytes()
                for p in sorted(project.locales_dir.glob("*/LC_MESSAGES/*.po"))}
    report = fake_build(project, out, force=True)  # the build's decisions: rendered with conftest.HtmlRenderer
    outcomes = sorted((o.leaflet, o.locale, o.status, o.problems) for o in report.outcomes)
    return {"status": (status[0], json.loads(status[1])), "check": check, "update": update,
            "catalogs": catalogs, "build": outcomes}


@contextlib.contextmanager
def _babel_table(monkeypatch: pytest.MonkeyPatch, name: str) -> Iterator[None]:
    with monkeypatch.context() as patch:
        patch.setattr(plurals, "PLURALS", TABLES[name](plurals.PLURALS))
        yield


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, object]]:
    """An up-to-date copy of the project, and the answers given on it with Babel's own plural table."""
    project = copy_project(tmp_path_factory.mktemp("plural-baseline"))
    _run(project, "update")  # the answers compared are those of an up-to-date tree
    return project, _answers(project, tmp_path_factory.mktemp("baseline-out"))


@pytest.mark.slow
@pytest.mark.parametrize("table", list(TABLES))
def test_answers_do_not_depend_on_babels_plural_table(baseline: tuple[Project, dict[str, object]], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, table: str) -> None:
    scratch = copy_project(tmp_path / "project", source=baseline[0].root)  # each table on the same tree
    with _babel_table(monkeypatch, table):
        assert plurals.get_plural("fr") != plurals.get_plural("de") or table != "babel-2.19"
        changed = _answers(scratch, tmp_path / table)
    assert changed == baseline[1]
    # and the shipped catalogs are all usable: every locale builds
    built = {(leaflet, locale) for leaflet, locale, status, _ in changed["build"]  # type: ignore[attr-defined]
             if status == "built"}
    assert {locale for _, locale in built} == set(available_locales(scratch.locales_dir))


@pytest.mark.slow
def test_update_keeps_each_catalogs_own_plural_forms(scratch: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted(scratch.locales_dir.glob("*/LC_MESSAGES/*.po"))
    before = {p: parse_catalog(p.read_bytes(), p.name).plural_forms for p in paths}
    with _babel_table(monkeypatch, "six-forms-everywhere"):
        assert _run(scratch, "update")[0] == 0
    assert {p: parse_catalog(p.read_bytes(), p.name).plural_forms for p in paths} == before


@pytest.mark.parametrize(("locale", "count", "samples"), [
    # n -> form index, in GNU gettext's (and CLDR's) order of forms
    ("ar", 6, {0: 0, 1: 1, 2: 2, 5: 3, 11: 4, 99: 4, 100: 5, 102: 5, 103: 3}),
    ("fr", 2, {0: 0, 1: 0, 2: 1, 1_000_000: 1}),
    ("de", 2, {1: 0, 0: 1, 2: 1}),
    ("ru", 3, {1: 0, 3: 1, 5: 2, 11: 2, 21: 0}),
    ("zh_CN", 1, {1: 0, 7: 0}),
])
def test_new_catalogs_get_gnu_gettexts_formula(locale: str, count: int, samples: dict[int, int]) -> None:
    from gettext import c2py

    nplurals, formula = gettext_plural_forms(locale)
    assert nplurals == count
    choose = c2py(formula)
    assert {n: choose(n) for n in samples} == samples


def test_init_writes_the_formula_and_prints_it_plainly(scratch: Project) -> None:
    code, out = _run(scratch, "init", "ar_SA")
    assert code == 0
    assert "PluralRule" not in out
    assert "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);" in out
    for path in (scratch.locales_dir / "ar_SA" / "LC_MESSAGES").glob("*.po"):
        assert parse_catalog(path.read_bytes(), path.name).num_plurals == 6


def _po(header: str, body: str = "") -> bytes:
    return (f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n{header}\n\n{body}').encode()


def test_the_header_decides_even_where_cldr_disagrees() -> None:
    # German with three forms is unusual, but it is the catalog's own, consistent decision
    data = _po('"Language: de\\n"\n"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n==2 ? 1 : 2);\\n"',
               'msgid "%(n)s page"\nmsgid_plural "%(n)s pages"\n'
               'msgstr[0] "eine"\nmsgstr[1] "zwei"\nmsgstr[2] "viele"\n')
    catalog = parse_catalog(data, "de.po")
    assert catalog.num_plurals == 3
    strings = TemplateStrings(catalog)
    assert [str(strings.ngettext("%(n)s page", "%(n)s pages", n)) for n in (1, 2, 3)] == ["eine", "zwei", "viele"]


def test_a_catalog_without_plural_forms_gets_gettexts_default(monkeypatch: pytest.MonkeyPatch) -> None:
    with _babel_table(monkeypatch, "six-forms-everywhere"):
        catalog = parse_catalog(_po('"Language: fr\\n"'), "fr.po")
    assert (catalog.num_plurals, catalog.plural_expr) == (2, "(n != 1)")


@pytest.mark.parametrize(("plural_forms", "reason"), [
    ("nplurals=2; plural=(n==1 ? 0 : n==2 ? 1 : 2);",
     "the plural formula gives form 2 for n=0, but nplurals=2 allows forms 0 to 1"),
    ("nplurals=2; plural=(n - 5);", "the plural formula gives form -5 for n=0, but nplurals=2 allows forms 0 to 1"),
    ("nplurals=2; plural=(n !=== 1);", "plural formula is not valid: '(n !=== 1)'"),
    ("nplurals=2; plural=__import__('os');", "plural formula is not valid: \"__import__('os')\""),
    ("nplurals=zero; plural=0;", "nplurals must be a whole number of at least 1"),
    ("nplurals=2;", "has no plural= formula"),
])
def test_a_malformed_plural_forms_header_is_refused(plural_forms: str, reason: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(_po(f'"Plural-Forms: {plural_forms}\\n"'), "x.po")
    assert [str(p) for p in caught.value.problems] == [f"x.po: header Plural-Forms: {reason}"]


def test_a_plural_forms_header_wrapped_over_two_lines_is_one_field() -> None:
    # GNU msgmerge wraps long header lines; gettext joins them before reading the fields
    catalog = parse_catalog(_po('"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && "\n'
                                '"n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"'), "ru.po")
    assert catalog.num_plurals == 3


def test_repository_catalogs_follow_gnu_gettexts_formulas(project: Project) -> None:
    """The shipped headers choose the same forms as GNU gettext (Arabic in the standard order)."""
    from gettext import c2py

    for path in sorted(project.locales_dir.glob("*/LC_MESSAGES/*.po")):
        code = path.parent.parent.name
        catalog = parse_catalog(path.read_bytes(), str(path))
        count, formula = gettext_plural_forms(code)
        assert catalog.num_plurals == count, path
        ours, gnu = c2py(catalog.plural_expr), c2py(formula)
        assert [ours(n) for n in range(1200)] == [gnu(n) for n in range(1200)], path
