"""The pharmacy profile: contact details printed on every leaflet, and print defaults.

A small YAML file, validated like leaflet sources (every problem, ``file: field:
reason``) and length-limited so a long name cannot break the layout. Read and parsed
with the leaflet sources' defences (size cap, regular files only, no aliases or tags)::

    name: Riverside Pharmacy
    address: 12 High Street, Springfield
    phone: +44 20 7946 0000
    hours: Mon-Fri 8:30-18:00, Sat 9:00-13:00   # optional
    paper: a4                                   # optional: a4 or letter
    second_language: en                         # optional: default for --with
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from leafletgen.content.model import control_characters, hidden_characters_reason
from leafletgen.content.yamlnodes import NodeChecker as Checker
from leafletgen.content.yamlnodes import compose_yaml, decode_source, read_source
from leafletgen.errors import Problem, SourceError

LIMITS = {"name": 60, "address": 120, "phone": 30, "hours": 100}
PAPERS = ("a4", "letter")


@dataclass(frozen=True)
class Pharmacy:
    name: str
    address: str
    phone: str
    hours: str = ""
    paper: str | None = None
    second_language: str | None = None


def load_pharmacy(path: Path, *, display: str | None = None) -> Pharmacy:
    name = display or str(path)
    return parse_pharmacy(read_source(path, name), name)


def parse_pharmacy(data: bytes | str, name: str) -> Pharmacy:
    root = compose_yaml(decode_source(data, name) if isinstance(data, bytes) else data, name, "pharmacy profiles")
    if root is None:
        raise SourceError(Problem(name, "(top level)", "the file is empty"))
    check = Checker(name)
    fields = check.mapping(root, "", ("name", "address", "phone"), ("hours", "paper", "second_language"))
    values: dict[str, str | None] = {}
    if fields is not None:
        for key, node in fields.items():
            value = check.string(node, key, screen=False)  # stricter checks below
            if value is None:
                continue
            limit = LIMITS.get(key)
            if limit and len(value) > limit:
                check.fail(key, f"too long ({len(value)} characters, at most {limit})")
            elif control_characters(value, allowed=""):
                check.fail(key, "must be one line without control characters")
            elif hidden := hidden_characters_reason(value):  # bidi overrides, invisible characters
                check.fail(key, hidden)
            elif key == "paper" and value.lower() not in PAPERS:
                check.fail(key, f"must be one of: {', '.join(PAPERS)}")
            else:
                values[key] = value.lower() if key == "paper" else value
    if check.problems or fields is None:
        raise SourceError(check.problems)
    return Pharmacy(**values)  # type: ignore[arg-type]
