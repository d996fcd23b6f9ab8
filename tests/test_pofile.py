"""Reading PO files as GNU gettext does: what gettext refuses is refused, with file and line;
GNU msgfmt's second opinion; lines end at "\\n" only, whatever the strings contain."""

from __future__ import annotations

import subprocess

import pytest

import leafletgen.translate.pofile
from leafletgen.cli.main import main
from leafletgen.errors import CatalogError
from leafletgen.project import Project
from leafletgen.translate.catalogs import po_path
from leafletgen.translate.pofile import parse_catalog

from conftest import LEAFLET_ID

HEADER = ('msgid ""\nmsgstr ""\n"Language: de\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'
          '"Content-Type: text/plain; charset=UTF-8\\n"\n\n')
FIRST = len(HEADER.split("\n"))  # the line number of the first line after the header


def refusal(body: str, header: str = HEADER) -> str:
    with pytest.raises(CatalogError) as caught:
        parse_catalog((header + body).encode(), "x.po")
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


def gnu_refuses(body: str, header: str = HEADER) -> bool:
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", "-"], input=(header + body).encode(),
                            capture_output=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return result.returncode != 0


def at(offset: int) -> str:
    return f"x.po: line {FIRST + offset}: "


# -- GNU gettext's rejections are rejections here too --------------------------------------------

def test_msgstr_index_on_a_singular_message_is_refused() -> None:
    body = 'msgctxt "dose"\nmsgid "Take 1 capsule."\nmsgstr[0] "Nehmen Sie 1 Kapsel."\n'
    assert gnu_refuses(body)
    assert refusal(body) == at(2) + ('msgstr[0] in message "dose", which has no msgid_plural '
                                     "(a singular message has one msgstr)")


def test_msgid_plural_without_indexed_msgstr_is_refused() -> None:
    body = 'msgctxt "n"\nmsgid "%(n)s capsule"\nmsgid_plural "%(n)s capsules"\nmsgstr "%(n)s Kapseln"\n'
    assert gnu_refuses(body)
    assert refusal(body) == at(3) + ('message "n" has msgid_plural, so its translations are '
                                     "msgstr[0], msgstr[1], ..., not msgstr")


def test_msgid_plural_with_no_msgstr_at_all_is_refused() -> None:
    body = 'msgctxt "n"\nmsgid "%(n)s capsule"\nmsgid_plural "%(n)s capsules"\n\nmsgctxt "o"\nmsgid "x"\nmsgstr "y"\n'
    assert gnu_refuses(body)
    assert refusal(body) == at(1) + 'message "n" has no msgstr[0], msgstr[1], ...'


@pytest.mark.parametrize(("forms", "offset", "found", "expected"), [
    ('msgstr[1] "%(n)s Kapseln"\nmsgstr[0] "%(n)s Kapsel"\n', 3, 1, 0),
    ('msgstr[0] "%(n)s Kapsel"\nmsgstr[2] "%(n)s Kapseln"\n', 4, 2, 1),
    ('msgstr[0] "%(n)s Kapsel"\nmsgstr[0] "%(n)s Kapseln"\n', 4, 0, 1),
], ids=["swapped", "gap", "repeated"])
def test_plural_forms_not_numbered_in_order_are_refused(forms: str, offset: int, found: int, expected: int) -> None:
    body = 'msgctxt "n"\nmsgid "%(n)s capsule"\nmsgid_plural "%(n)s capsules"\n' + forms
    assert gnu_refuses(body)
    assert refusal(body) == at(offset) + (f'msgstr[{found}] in message "n" where msgstr[{expected}] belongs: '
                                          "plural forms are numbered 0, 1, 2, ... in order")


def test_header_that_is_not_first_is_refused() -> None:
    # msgfmt 0.21 lets this pass, but Babel takes the later entry as the header (its charset
    # and Plural-Forms) while GNU gettext and the checks here read the first: refused.
    body = 'msgctxt "a"\nmsgid "x"\nmsgstr "y"\n\n' + HEADER.replace("nplurals=2; plural=(n != 1)",
                                                                     "nplurals=1; plural=0")
    assert refusal(body, header="") == ('x.po: line 5: the header entry (msgid "") must be the first entry, '
                                        "and there must be only one")
    assert refusal(HEADER, header=HEADER).startswith(f"x.po: line {FIRST}: the header entry")


@pytest.mark.parametrize(("body", "offset"), [
    ('msgctxt "a"\n\nmsgctxt "b"\nmsgid "x"\nmsgstr "y"\n', 0),
    ('msgctxt "b"\nmsgid "x"\nmsgstr "y"\n\nmsgctxt "a"\n', 4),
    ('msgctxt "a"\n# a comment inside the entry\nmsgid "x"\nmsgstr "y"\n', 0),
], ids=["followed-by-another-msgctxt", "at-the-end", "split-by-a-comment"])
def test_msgctxt_without_msgid_is_refused(body: str, offset: int) -> None:
    assert gnu_refuses(body)
    assert refusal(body) == at(offset) + 'msgctxt "a" has no msgid'


@pytest.mark.parametrize(("body", "first", "second"), [
    ('#~ msgctxt "a"\n#~ msgid "x"\n#~ msgstr "y"\n\n#~ msgctxt "a"\n#~ msgid "x"\n#~ msgstr "z"\n', 1, 5),
    ('msgctxt "a"\nmsgid "x"\nmsgstr "y"\n\n#~ msgctxt "a"\n#~ msgid "x"\n#~ msgstr "z"\n', 1, 5),
], ids=["both-obsolete", "active-and-obsolete"])
def test_duplicates_among_obsolete_entries_are_refused(body: str, first: int, second: int) -> None:
    assert gnu_refuses(body)
    assert refusal(body) == at(second) + f'duplicate message "a" (first at line {FIRST + first})'


@pytest.mark.parametrize(("body", "offset", "reason"), [
    ('#~ msgctxt "a"\nmsgid "x"\nmsgstr "y"\n', 1, "an entry mixes obsolete (#~) and active lines"),
    ('msgctxt "a"\nmsgid "x"\nmsgstr "y"\nmsgstr "z"\n', 3, 'message "a" has a second msgstr'),
    ('msgctxt "a"\nmsgid "x"\n\nmsgctxt "b"\nmsgid "y"\nmsgstr "z"\n', 1, 'message "a" has no msgstr'),
    ('msgctxt "a"\nmsgid "x"\nmsgstr "y"\n"z"\n# c\n"w"\n', 5, "a string with no msgctxt, msgid or msgstr before it"),
], ids=["obsolete-and-active-mixed", "second-msgstr", "msgid-without-msgstr", "stray-string"])
def test_other_entries_gnu_gettext_refuses_are_refused(body: str, offset: int, reason: str) -> None:
    assert gnu_refuses(body)
    assert refusal(body) == at(offset) + reason


def test_a_message_with_an_empty_msgid_is_refused() -> None:
    # Babel would take it for the header (and read its Plural-Forms); gettext for a message
    body = 'msgctxt "a"\nmsgid ""\nmsgstr "Plural-Forms: nplurals=1; plural=0;\\n"\n'
    assert refusal(body) == at(1) + 'message "a" has an empty msgid'


@pytest.mark.parametrize("escape", ["\\x41", "\\101", "\\'", "\\?", "\\q"])
def test_escapes_that_gettext_and_babel_read_differently_are_refused(escape: str) -> None:
    body = f'msgctxt "a"\nmsgid "A"\nmsgstr "{escape}"\n'
    assert refusal(body) == at(2) + (f"escape sequence {escape[:2]!r} is not allowed (GNU gettext and Babel "
                                     "read it differently); write the character itself")


# -- GNU msgfmt's second opinion ------------------------------------------------------------------

def test_what_only_msgfmt_notices_is_refused_with_its_line() -> None:
    body = 'msgctxt "a"\nmsgid "Take 1 capsule.\\n"\nmsgstr "Nehmen Sie 1 Kapsel."\n'
    assert refusal(body) == at(2) + "'msgid' and 'msgstr' entries do not both end with '\\n' (GNU msgfmt)"


def test_without_msgfmt_a_catalog_is_refused_with_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leafletgen.translate.pofile, "MSGFMT", "msgfmt-is-not-installed")
    monkeypatch.setattr(leafletgen.translate.pofile, "_verdicts", {})
    monkeypatch.setattr(leafletgen.translate.pofile, "_parsed", {})  # as in a new process
    assert refusal('msgctxt "a"\nmsgid "x"\nmsgstr "y"\n') == (
        "x.po: GNU gettext's msgfmt is needed to check catalogs; install the gettext package")


def test_without_msgfmt_update_reports_each_catalog_once(scratch: Project, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(leafletgen.translate.pofile, "MSGFMT", "msgfmt-is-not-installed")
    monkeypatch.setattr(leafletgen.translate.pofile, "_verdicts", {})
    monkeypatch.setattr(leafletgen.translate.pofile, "_parsed", {})  # as in a new process
    catalogs = sorted(scratch.locales_dir.glob("*/LC_MESSAGES/*.po"))
    before = [p.read_bytes() for p in catalogs]
    assert main(["--project", str(scratch.root), "update"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == len(catalogs)
    assert all(line.endswith(": GNU gettext's msgfmt is needed to check catalogs; install the gettext package")
               for line in err)
    assert [p.read_bytes() for p in catalogs] == before


def test_msgfmt_runs_once_per_catalog_content(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real = subprocess.run

    def counting(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        calls.append(command)
        return real(command, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(leafletgen.translate.pofile, "_verdicts", {})
    monkeypatch.setattr(leafletgen.translate.pofile, "_parsed", {})  # as in a new process
    monkeypatch.setattr(leafletgen.translate.pofile.subprocess, "run", counting)
    data = (HEADER + 'msgctxt "a"\nmsgid "x"\nmsgstr "y"\n').encode()
    for name in ("one.po", "two.po", "one.po"):
        parse_catalog(data, name)
    assert len(calls) == 1 and "--check-header" in calls[0]


# -- lines end at "\n" only --------------------------------------------------------------------------

#: Characters str.splitlines() breaks at, all ordinary text inside a PO string.
SEPARATORS = "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e"


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_line_separators_inside_a_msgstr_are_text_not_line_ends(newline: str) -> None:
    planted = '\u2028msgctxt \\"b\\"\u2028msgid \\"Keep.\\"\u2028msgstr[0] \\"\\"\u2028#| msgid \\"x\\"'
    body = (f'msgctxt "a"\nmsgid "One. Two."\nmsgstr "Eins.{SEPARATORS}Zwei.{planted}"\n\n'
            'msgctxt "b"\nmsgid "Keep."\nmsgstr "Bleib."\n')
    catalog = parse_catalog((HEADER + body).replace("\n", newline).encode(), "x.po")
    message = catalog.get("One. Two.", context="a")
    assert message is not None
    assert message.string == f"Eins.{SEPARATORS}Zwei." + planted.replace('\\"', '"')
    assert message.previous_id == []
    assert [m.context for m in catalog if m.id] == ["a", "b"]
    # and a real defect after those characters is found on its own line, counted in "\n"
    broken = body + '\nmsgctxt "b"\nmsgid "Keep."\nmsgstr "Noch mal."\n'
    with pytest.raises(CatalogError) as caught:
        parse_catalog((HEADER + broken).replace("\n", newline).encode(), "x.po")
    assert str(caught.value.problems[0]) == at(9) + f'duplicate message "b" (first at line {FIRST + 5})'


def test_a_refusal_after_a_line_separator_names_the_right_message(scratch: Project,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = po_path(scratch.locales_dir, "de", LEAFLET_ID)
    text = path.read_text(encoding="utf-8")
    title, subtitle = 'msgstr "Isotretinoin 20 mg Kapseln"\n', 'msgstr "Information für Patienten"\n'
    assert title in text and subtitle in text and text.index(title) < text.index(subtitle)
    text = text.replace(title, 'msgstr "Isotretinoin 20 mg\u2028Kapseln"\n')
    text = text.replace(subtitle, 'msgstr "Information\x0bfür Patienten"\n')
    path.write_text(text, encoding="utf-8")
    main(["--project", str(scratch.root), "check", "de"])
    out, err = capsys.readouterr()
    assert "error:" not in err and "line" not in err  # the catalog itself reads fine
    assert f"de {LEAFLET_ID} subtitle: error: contains control characters U+000B" in out
    assert all(" title:" not in line or "U+000B" not in line for line in out.splitlines())
