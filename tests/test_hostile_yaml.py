"""Hostile YAML in a leaflet source or a pharmacy profile: refused quickly, with one clean line
naming the file and the place, never a traceback, a hang or an expansion.

Each entry of the corpus is a whole document and the exact problem lines it must give.
"""

from __future__ import annotations

import inspect
import os
import socket
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from leafletgen.cli.main import main
from leafletgen.content import yamlnodes
from leafletgen.content.pharmacy import load_pharmacy, parse_pharmacy
from leafletgen.content.source import Checker, load_leaflet, parse_leaflet
from leafletgen.content.yamlnodes import MAX_SOURCE_BYTES
from leafletgen.errors import SourceError
from leafletgen.project import Project

from conftest import unlined
from test_source import GOOD

NAME = "leaflets/demo.yaml"
PHARMACY = "name: Riverside Pharmacy\naddress: 12 High Street\nphone: +44 20 7946 0000\n"


def edit(old: str, new: str) -> str:
    assert old in GOOD, f"{old!r} not in GOOD; the fixture changed"
    return GOOD.replace(old, new, 1)


def problems(data: str | bytes, name: str = NAME) -> list[str]:
    with pytest.raises(SourceError) as info:
        parse_leaflet(data, name, expected_id="demo")
    return unlined(info.value.problems)


def matched(actual: list[str], expected: list[str]) -> list[str]:
    """``actual``, where an expected line ending in '...' (a prefix) matched, replaced by that line."""
    return [e if e.endswith("...") and a.startswith(e[:-3]) else a
            for a, e in zip(actual, expected + [""] * len(actual), strict=False)]


def billion_laughs(levels: int = 30) -> str:
    """9**30 'lol's once expanded: any copy, walk or conversion of the aliases would never end."""
    lines = ["format: 1", "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join([*lines, f"sections: *l{levels - 1}", ""])


BOMB = billion_laughs()
DEEP_FLOW = "[" * 10_000
LONG = "x" * 500_000
LATIN_1 = edit("tablets}", "tablettes \xe0 avaler}").encode("latin-1")
BAD_BYTE = LATIN_1.index(b"\xe0")

#: (case id, document, the exact problem lines; a line ending in '...' is a prefix).
CORPUS: list[tuple[str, str | bytes, list[str]]] = [
    # -- anchors, aliases, merge keys ------------------------------------------------------------
    ("billion-laughs", BOMB, [f"{NAME}: line 2, column 5: YAML anchors are not allowed in leaflet sources"]),
    ("self-referencing-list", edit("sections:\n", "sections: &s [*s]\nunused:\n"),
     [f"{NAME}: line 16, column 11: YAML anchors are not allowed in leaflet sources"]),
    ("self-referencing-mapping", edit("meta:\n", "meta: &m\n  self: *m\n"),
     [f"{NAME}: line 3, column 7: YAML anchors are not allowed in leaflet sources"]),
    ("alias-without-anchor", edit("  strength: 10 mg", "  strength: *ten"),
     [f"{NAME}: line 5, column 13: YAML aliases are not allowed in leaflet sources"]),
    ("merge-key-of-an-alias", edit("  inn: {id: meta.inn, text: examplamide}",
                                   "  inn: &inn {id: meta.inn, text: examplamide}\n  form: {<<: *inn}"),
     [f"{NAME}: line 4, column 8: YAML anchors are not allowed in leaflet sources"]),
    ("merge-key-inline", edit("  strength: 10 mg", "  <<: {strength: 10 mg}"),
     [f"{NAME}: meta: keys must be strings, got a merge key ('<<')",
      f"{NAME}: meta.strength: missing"]),
    # -- explicit tags: none is converted, each is named --------------------------------------
    *[(f"tag-{label}", edit("  strength: 10 mg", f"  strength: {tag} {v}"),
       [f"{NAME}: line 5, column 13: YAML tags are not allowed in leaflet sources (found {shown!r})"])
      for label, tag, v, shown in [
          ("python-object", "!!python/object:os.system", "ls", "!!python/object:os.system"),
          ("python-object-apply", "!!python/object/apply:os.system", "[ls]", "!!python/object/apply:os.system"),
          ("python-name", "!!python/name:os.system", "''", "!!python/name:os.system"),
          ("binary", "!!binary", "aGVsbG8=", "!!binary"),
          ("timestamp-bad-value", "!!timestamp", "2026-13-45", "!!timestamp"),
          ("int-of-letters", "!!int", '"abc"', "!!int"),
          ("float-of-letters", "!!float", "ten", "!!float"),
          ("set", "!!set", "{a, b}", "!!set"),
          ("omap", "!!omap", "[a: 1]", "!!omap"),
          ("str", "!!str", "10 mg", "!!str"),
          ("custom", "!custom", "10 mg", "!custom"),
          ("non-specific", "!", "10 mg", "!"),
          ("verbatim", "!<tag:example.com,2026:x>", "10 mg", "tag:example.com,2026:x"),
      ]],
    ("tag-on-the-root-mapping", "--- !!map\n" + GOOD,
     [f"{NAME}: line 1, column 5: YAML tags are not allowed in leaflet sources (found '!!map')"]),
    # -- scalars the converters must refuse, not crash on --------------------------------------
    ("huge-integer", edit("  revision: 1\n", f"  revision: {'9' * 5000}\n"),
     [f"{NAME}: meta.revision: too large a number (at most 9 digits), got {'9' * 60!r}..."]),
    ("ten-digit-integer", edit("  revision: 1\n", "  revision: 1000000000\n"),
     [f"{NAME}: meta.revision: too large a number (at most 9 digits), got '1000000000'"]),
    *[(f"not-a-whole-number-{v}", edit("format: 1\n", f"format: {v}\n"),
       [f"{NAME}: format: must be a whole number of at least 1, got {v!r}"])
      for v in (".inf", "-.inf", ".nan", "0", "-1", "1.5", "0x1", "0o1", "1_0", "1:00", "+1", "1e3")],
    *[(f"bad-date-{v}", edit("revision_date: 2026-01-31", f"revision_date: {v}"),
       [f"{NAME}: meta.revision_date: must be a date YYYY-MM-DD, got {v!r}"])
      for v in ("2026-13-45", "2026-02-30", "0000-01-01", "20260131", "2026-W05-6", "2026-01-31T10:00:00")],
    ("date-as-a-list", edit("revision_date: 2026-01-31", "revision_date: [2026, 1, 31]"),
     [f"{NAME}: meta.revision_date: must be a date YYYY-MM-DD, got a list"]),
    ("boolean-as-a-number", edit("safety_critical: true", "safety_critical: 1"),
     [f"{NAME}: sections[1] (warn).safety_critical: must be true or false, got '1'",
      f"{NAME}: sections: no safety-critical section: mark the warnings with safety_critical: true"]),
    # -- keys that are not strings ---------------------------------------------------------------
    ("key-is-a-list", "? [a, b]\n: x\n" + GOOD,
     [f"{NAME}: (top level): keys must be strings, got a list"]),
    ("key-is-a-mapping", "? {a: b}\n: x\n" + GOOD,
     [f"{NAME}: (top level): keys must be strings, got a mapping"]),
    *[(f"key-is-{label}", f"{key}: x\n" + GOOD, [f"{NAME}: (top level): keys must be strings, got {kind}"])
      for label, key, kind in [("tilde", "~", "nothing"), ("null", "null", "nothing"), ("true", "true", "true/false"),
                               ("yes", "yes", "true/false"), ("number", "1", "a number"),
                               ("float", "1.5", "a number"), ("date", "2026-01-31", "a date")]],
    ("key-with-a-newline", '"a\\nb": x\n' + GOOD,
     [f"{NAME}: 'a\\nb': unknown key (allowed: format, id, meta, title, subtitle, key_warning, sections)"]),
    ("block-key-is-a-list", edit("      - paragraph: {id: what.p, text: It treats headaches.}",
                                 "      - ? [paragraph]\n        : {id: what.p, text: It treats headaches.}"),
     [f"{NAME}: sections[0] (what).blocks[0]: must be a mapping with exactly one of: paragraph, subheading, bullets, "
      "steps, qa, table, figure, warning_box, minor_heading (and optionally safety_critical)"]),
    # -- the document as a whole ----------------------------------------------------------------
    ("two-documents", GOOD + "---\nformat: 1\n",
     [f"{NAME}: line {GOOD.count(chr(10)) + 1}, column 1: a second YAML document ('---'): the file must hold "
      "exactly one"]),
    ("two-empty-documents", "---\n---\n",
     [f"{NAME}: line 2, column 1: a second YAML document ('---'): the file must hold exactly one"]),
    ("empty", "", [f"{NAME}: (top level): the file is empty"]),
    ("only-comments", "# nothing here\n", [f"{NAME}: (top level): the file is empty"]),
    ("only-a-document-marker", "---\n", [f"{NAME}: (top level): must be a mapping, got nothing"]),
    ("bare-string", "hello\n", [f"{NAME}: (top level): must be a mapping, got a string"]),
    ("bare-number", "42\n", [f"{NAME}: (top level): must be a mapping, got a number"]),
    ("bare-list", "[a, b]\n", [f"{NAME}: (top level): must be a mapping, got a list"]),
    # -- depth, size, long lines ------------------------------------------------------------------
    ("10000-nested-flow-lists", DEEP_FLOW, [f"{NAME}: line 1, column ..."]),
    ("10000-nested-flow-mappings", "a: " + "{a: " * 10_000,
     [f"{NAME}: line 1, column 128: too complex: nested more than 32 deep"]),
    ("10000-nested-block-lists", "- " * 10_000 + "x\n",
     [f"{NAME}: line 1, column 65: too complex: nested more than 32 deep"]),
    ("200000-values", "[" + "a, " * 200_000 + "a]\n",
     [f"{NAME}: line 1, column 299999: too complex: more than 100000 values"]),
    ("long-invalid-id", edit("id: demo", f"id: {LONG.upper()}"),
     [f"{NAME}: id: too long a leaflet id (500000 characters, at most 64)"]),
    ("long-id-of-the-wrong-name", edit("id: demo", f"id: {'x' * 64}"),
     [f"{NAME}: id: must match the file name ('demo'), got {'x' * 60!r}..."]),
    ("long-key", f"{'k' * 2000}: x\n" + GOOD, [f"{NAME}: line 1, column 2001: invalid YAML: ..."]),
    ("long-unknown-key", f"? {'k' * 2000}\n: x\n" + GOOD,
     [f"{NAME}: {'k' * 60!r}...: unknown key (allowed: format, id, meta, title, subtitle, key_warning, sections)"]),
    # -- characters and encodings ------------------------------------------------------------------
    *[(f"raw-U+{ord(c):04X}", edit("id: demo", f"id: de{c}mo"),
       [f"{NAME}: line 2, column 7: character U+{ord(c):04X} is not allowed{hint}"])
      for c, hint in [("\0", " (a UTF-16 file? save it as UTF-8)"), ("\x07", ""), ("\x1b", ""), ("\x7f", ""),
                      ("\x9b", ""), ("\ufffe", ""), ("\ud800", "")]],
    ("utf-16-le-with-bom", GOOD.encode("utf-16"),
     [f"{NAME}: byte 0: UTF-16 or UTF-32 text (byte order mark): save it as UTF-8"]),
    ("utf-16-be-with-bom", b"\xfe\xff" + GOOD.encode("utf-16-be"),
     [f"{NAME}: byte 0: UTF-16 or UTF-32 text (byte order mark): save it as UTF-8"]),
    ("utf-32-with-bom", GOOD.encode("utf-32"),
     [f"{NAME}: byte 0: UTF-16 or UTF-32 text (byte order mark): save it as UTF-8"]),
    ("utf-16-without-bom", GOOD.encode("utf-16-le"),
     [f"{NAME}: line 1, column 2: character U+0000 is not allowed (a UTF-16 file? save it as UTF-8)"]),
    ("latin-1", LATIN_1, [f"{NAME}: byte {BAD_BYTE}: not valid UTF-8"]),
    ("utf-8-bom-then-latin-1", b"\xef\xbb\xbf" + LATIN_1, [f"{NAME}: byte {BAD_BYTE + 3}: not valid UTF-8"]),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_hostile_document_gives_its_one_line_problem(data: str | bytes, expected: list[str]) -> None:
    started = time.monotonic()
    found = problems(data)
    assert matched(found, expected) == expected
    assert all("\n" not in line and len(line) < 400 for line in found)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("loader", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)],
                         ids=["pure-python", "libyaml"])
@pytest.mark.parametrize("data", [DEEP_FLOW, "{" * 10_000, "a: " + "{a: " * 10_000, "- " * 10_000 + "x\n"],
                         ids=["lists", "mappings", "values", "block-lists"])
def test_deep_nesting_is_refused_without_recursion_by_either_parser(
    monkeypatch: pytest.MonkeyPatch, loader: Any, data: str
) -> None:
    monkeypatch.setattr(yamlnodes, "_LOADER", loader)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 100)  # recursing with the input's depth (10,000) would fail
    try:
        found = problems(data)
    finally:
        sys.setrecursionlimit(limit)
    assert len(found) == 1
    assert "nested more than 32 deep" in found[0] or "exceeded maximum nesting depth" in found[0]


def test_alias_bomb_is_refused_in_under_a_second_without_building_a_node(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_compose(*args: object, **kwargs: object) -> None:
        raise AssertionError("an alias bomb reached the composer")

    monkeypatch.setattr(yaml, "compose", no_compose)
    tracemalloc.start()
    started = time.monotonic()
    try:
        found = problems(BOMB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == [f"{NAME}: line 2, column 5: YAML anchors are not allowed in leaflet sources"]
    assert time.monotonic() - started < 5
    assert peak < 5_000_000  # the document is 3 KB; expanded it would be 9**30 strings


def test_checker_walk_is_bounded_by_the_schema_even_on_a_cyclic_node_tree() -> None:
    """Defence in depth: were an alias ever composed, the walker only descends as the schema does."""
    for text in ("sections: &s [*s]", "meta: &m {inn: *m, sources: [*m]}", "key_warning: &k {blocks: [*k]}"):
        root = yaml.compose(text, Loader=yaml.SafeLoader)  # aliases share nodes: a cycle
        checker = Checker(NAME)
        assert checker.leaflet(root, "demo") is None
        assert 1 <= len(checker.problems) < 50


def test_plain_yaml_forms_still_load() -> None:
    """What the defences keep: a UTF-8 BOM, CRLF line ends, tabs in text, yes/no booleans, long text;
    and text is taken as written, never converted (a bad date, a huge float, .nan among the brands)."""
    text = edit("safety_critical: true", "safety_critical: yes").replace(
        "It treats headaches.", f"It treats\theadaches. {'Long text. ' * 20_000}").replace(
        "brands: [Examplo]", "brands: [2026-13-45, 1e999, .nan, 99999999999999999999]").replace(
        "revision: 1", "revision: 010")
    leaflet = parse_leaflet(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), NAME, expected_id="demo")
    assert leaflet.title.line == 10
    assert leaflet.sections[1].safety_critical
    assert leaflet.sections[0].blocks[0].text.text.startswith("It treats\theadaches.")  # type: ignore[union-attr]
    assert leaflet.meta.brands == ("2026-13-45", "1e999", ".nan", "99999999999999999999")
    assert leaflet.meta.revision == 10  # digits are decimal, not YAML 1.1 octal (which made it 8)
    assert str(leaflet.meta.revision_date) == "2026-01-31"


# -- files that are not regular files, and the size cap -----------------------------------------


def refused_promptly(load: Callable[[], object]) -> list[str]:
    """The problem lines of ``load()``, which must raise SourceError within 10 s (never block)."""
    outcome: list[BaseException | object] = []
    worker = threading.Thread(target=lambda: outcome.append(_attempt(load)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "reading blocked"
    assert isinstance(outcome[0], SourceError), outcome
    return [str(p) for p in outcome[0].problems]


def _attempt(load: Callable[[], object]) -> BaseException | object:
    try:
        return load()
    except BaseException as exc:  # handed to the test thread
        return exc


@pytest.fixture()
def special() -> Iterator[dict[str, Path]]:
    """A FIFO (no writer: opening it for reading would block), a directory, a socket, a device (endless)."""
    with tempfile.TemporaryDirectory(dir="/tmp") as short:  # a socket's path must be short
        folder = Path(short)
        paths = {"fifo": folder / "fifo.yaml", "directory": folder / "dir.yaml", "socket": folder / "sock.yaml",
                 "device": Path("/dev/zero")}
        os.mkfifo(paths["fifo"])
        paths["directory"].mkdir()
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(paths["socket"]))
            yield paths


KINDS = {"fifo": "a named pipe (FIFO)", "directory": "a directory", "socket": "a socket", "device": "a device"}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("loader", ["leaflet", "pharmacy"])
def test_only_regular_files_are_read_and_nothing_blocks(special: dict[str, Path], kind: str, loader: str) -> None:
    path = special[kind]
    load = (lambda: load_leaflet(path, display_name="x.yaml")) if loader == "leaflet" else (
        lambda: load_pharmacy(path, display="x.yaml"))
    assert refused_promptly(load) == [f"x.yaml: not a regular file (it is {KINDS[kind]})"]


def test_a_fifo_swapped_in_after_the_check_is_refused_after_opening(
    special: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    regular = tmp_path / "regular.yaml"
    regular.write_text(GOOD)
    real_stat = os.stat

    def stale_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:  # what the path was a moment ago
        return real_stat(regular if Path(path) == special["fifo"] else path, *args, **kwargs)

    from leafletgen import files

    monkeypatch.setattr(files.os, "stat", stale_stat)
    found = refused_promptly(lambda: load_leaflet(special["fifo"], display_name="x.yaml"))
    assert found == ["x.yaml: not a regular file (it is a named pipe (FIFO))"]


def test_pharmacy_profile_has_the_source_size_cap(tmp_path: Path) -> None:
    profile = tmp_path / "pharmacy.yaml"
    profile.write_text(PHARMACY + "# " + "x" * MAX_SOURCE_BYTES + "\n")
    size = profile.stat().st_size
    assert refused_promptly(lambda: load_pharmacy(profile, display="p.yaml")) == [
        f"p.yaml: file too large ({size} bytes, limit {MAX_SOURCE_BYTES})"]


def test_missing_files_are_one_line() -> None:
    assert refused_promptly(lambda: load_pharmacy(Path("/nonexistent/p.yaml"), display="p.yaml")) == [
        "p.yaml: cannot read: No such file or directory"]


# -- the pharmacy profile shares the defences ------------------------------------------------------

PHARMACY_CORPUS = [
    ("alias", PHARMACY.replace("address: 12 High Street", "address: &a 12 High Street\nhours: *a"),
     ["p.yaml: line 2, column 10: YAML anchors are not allowed in pharmacy profiles"]),
    ("tag", PHARMACY + "hours: !!python/object:os.system ls\n",
     ["p.yaml: line 4, column 8: YAML tags are not allowed in pharmacy profiles (found '!!python/object:os.system')"]),
    ("nul", PHARMACY.replace("Riverside", "River\0side").encode(),
     ["p.yaml: line 1, column 12: character U+0000 is not allowed (a UTF-16 file? save it as UTF-8)"]),
    ("utf-16", PHARMACY.encode("utf-16"),
     ["p.yaml: byte 0: UTF-16 or UTF-32 text (byte order mark): save it as UTF-8"]),
    ("latin-1", PHARMACY.replace("High", "H\xefgh").encode("latin-1"),
     [f"p.yaml: byte {PHARMACY.index('High') + 1}: not valid UTF-8"]),
    ("two-documents", PHARMACY + "---\n" + PHARMACY,
     ["p.yaml: line 4, column 1: a second YAML document ('---'): the file must hold exactly one"]),
    ("deep", "name: " + "[" * 10_000, ["p.yaml: line 1, column ..."]),
    ("key-is-a-list", "[a]: x\n" + PHARMACY, ["p.yaml: (top level): keys must be strings, got a list"]),
    ("empty", b"", ["p.yaml: (top level): the file is empty"]),
    ("bare-scalar", "Riverside Pharmacy\n", ["p.yaml: (top level): must be a mapping, got a string"]),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in PHARMACY_CORPUS], ids=[c[0] for c in PHARMACY_CORPUS])
def test_hostile_pharmacy_profile_gives_its_one_line_problem(data: str | bytes, expected: list[str]) -> None:
    with pytest.raises(SourceError) as info:
        parse_pharmacy(data, "p.yaml")
    assert matched(unlined(info.value.problems), expected) == expected


def test_pharmacy_profile_loads_from_bytes_with_a_bom(tmp_path: Path) -> None:
    profile = tmp_path / "pharmacy.yaml"
    profile.write_bytes(b"\xef\xbb\xbf" + PHARMACY.encode())
    assert load_pharmacy(profile).name == "Riverside Pharmacy"


# -- the command line ------------------------------------------------------------------------------

#: leaflets/<id>.yaml -> its content, and the one error line `validate` must print for it.
CLI_CASES: dict[str, tuple[str | bytes, str]] = {
    "bomb": (BOMB, "error: leaflets/bomb.yaml: line 2, column 5: YAML anchors are not allowed in leaflet sources"),
    "deep": ("a: " + "{a: " * 10_000,
             "error: leaflets/deep.yaml: line 1, column 128: too complex: nested more than 32 deep"),
    "nul": (b"id: \0\n", "error: leaflets/nul.yaml: line 1, column 5: character U+0000 is not allowed "
                         "(a UTF-16 file? save it as UTF-8)"),
    "tagged": ("format: !!python/object/apply:os.system [echo hi]\n",
               "error: leaflets/tagged.yaml: line 1, column 9: YAML tags are not allowed in leaflet sources "
               "(found '!!python/object/apply:os.system')"),
    "twice": ("a: 1\n---\nb: 2\n",
              "error: leaflets/twice.yaml: line 2, column 1: a second YAML document ('---'): the file must hold "
              "exactly one"),
    "utf16": (GOOD.encode("utf-16"),
              "error: leaflets/utf16.yaml: byte 0: UTF-16 or UTF-32 text (byte order mark): save it as UTF-8"),
}


def test_cli_validate_prints_one_error_line_per_hostile_file_and_no_traceback(
    scratch: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    for ident, (data, _) in CLI_CASES.items():
        path = scratch.leaflets_dir / f"{ident}.yaml"
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    os.mkfifo(scratch.leaflets_dir / "pipe.yaml")  # would block a plain open() for reading
    (scratch.leaflets_dir / "folder.yaml").mkdir()
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(main(["--project", str(scratch.root), "validate"])),
                              daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "validate blocked"
    out, err = capsys.readouterr()
    assert codes == [1]
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert all(line.startswith("error: leaflets/") for line in lines), lines
    special = [line for line in lines if line.startswith(("error: leaflets/pipe.yaml:", "error: leaflets/folder."))]
    assert len(special) == 2 and all("regular file" in line for line in special), special
    assert sorted(set(lines) - set(special)) == sorted(expected for _, expected in CLI_CASES.values())
