"""Locale codes: BCP 47 or gettext names in, one canonical folder name, no fallback to a neighbour."""

from __future__ import annotations

from pathlib import Path

import pytest

from leafletgen.build.runner import NOT_OFFERED
from leafletgen.cli.main import main
from leafletgen.errors import CatalogError
from leafletgen.locale_codes import bcp47, canonical, collision, resolve
from leafletgen.project import Project

from conftest import LEAFLET_ID, fake_build


@pytest.mark.parametrize(("code", "name", "tag"), [
    ("pt-BR", "pt_BR", "pt-BR"), ("pt-br", "pt_BR", "pt-BR"), ("PT_br", "pt_BR", "pt-BR"),
    ("zh-Hans", "zh_Hans", "zh-Hans"), ("zh_cn", "zh_CN", "zh-CN"), ("sr-latn-rs", "sr_Latn_RS", "sr-Latn-RS"),
    ("FA", "fa", "fa"),
])
def test_every_spelling_of_a_code_has_one_canonical_name(code: str, name: str, tag: str) -> None:
    assert (canonical(code), bcp47(code)) == (name, tag)


@pytest.mark.parametrize("code", ["", "../de", "pt_BR.UTF-8", "de@euro", "xx_YY", "tlh", "d e"])
def test_a_code_that_is_no_locale_is_refused(code: str) -> None:
    with pytest.raises(CatalogError, match="unknown or invalid locale code"):
        canonical(code)


@pytest.mark.parametrize(("code", "known"), [
    ("zh-Hans", "zh_CN"), ("zh-CN", "zh_CN"), ("zh_Hans_CN", "zh_CN"), ("pt-BR", "pt_BR"), ("pa-Guru", "pa"),
])
def test_a_code_names_the_known_locale_its_likely_subtags_expand_to(code: str, known: str) -> None:
    assert resolve(code, ["en", "pa", "pt_BR", "zh_CN"]) == known


@pytest.mark.parametrize(("code", "shown"), [("pt-PT", "pt_PT"), ("zh-TW", "zh_TW"), ("zh-Hant", "zh_Hant"),
                                             ("pa-Arab", "pa_Arab"), ("sr-Latn", "sr_Latn")])
def test_a_neighbouring_locale_is_never_served_instead(code: str, shown: str) -> None:
    # European Portuguese is not Brazilian, Traditional Chinese not Simplified, Shahmukhi not Gurmukhi
    assert resolve(code, ["en", "pa", "pt_BR", "sr", "zh_CN"]) == shown
    assert collision(code, ["en", "pa", "pt_BR", "sr", "zh_CN"]) is None


def test_a_build_asked_in_bcp_47_builds_the_canonical_folder(scratch: Project, tmp_path: Path) -> None:
    report = fake_build(scratch, tmp_path / "out", locales=["pt-br", "zh-Hans", "PT_BR"])
    assert sorted((o.locale, o.status) for o in report.outcomes) == [("pt_BR", "built"), ("zh_CN", "built")]
    assert (tmp_path / "out" / LEAFLET_ID / f"{LEAFLET_ID}.pt_BR.pdf").exists()


def test_a_locale_without_its_own_folder_is_not_offered(scratch: Project, tmp_path: Path) -> None:
    report = fake_build(scratch, tmp_path / "out", locales=["pt-PT"])
    assert [(o.locale, o.status) for o in report.outcomes] == [("pt_PT", NOT_OFFERED)]


def test_init_refuses_a_second_name_for_a_known_locale(scratch: Project, capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    assert main(["--project", str(scratch.root), "init", "zh-Hans"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["error: zh_Hans names the same locale as the existing zh_CN: "
                   "use 'leafletgen init zh_CN' (one folder per locale)"]
    assert not (scratch.locales_dir / "zh_Hans").exists()


def test_init_in_bcp_47_writes_the_canonical_folder(scratch: Project) -> None:
    assert main(["--project", str(scratch.root), "init", "sr-latn"]) == 0
    assert [p.name for p in scratch.locales_dir.glob("sr*")] == ["sr_Latn"]
    assert 'Language: sr_Latn' in (scratch.locales_dir / "sr_Latn" / "LC_MESSAGES" / "templates.po").read_text()
    assert main(["--project", str(scratch.root), "init", "pt-br"]) == 0  # the existing folder, nothing new
    assert [p.name for p in scratch.locales_dir.glob("pt*")] == ["pt_BR"]


def test_a_folder_with_a_non_canonical_name_fails_alone(scratch: Project, tmp_path: Path) -> None:
    (scratch.locales_dir / "pt_BR").rename(scratch.locales_dir / "pt-br")
    report = fake_build(scratch, tmp_path / "out")
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert [(o.locale, o.problems) for o in failed] == [
        ("pt-br", ("locale pt-br: not the locale's canonical name: call its folder pt_BR",))]
    assert {o.status for o in report.outcomes if o.locale != "pt-br"} == {"built"}
