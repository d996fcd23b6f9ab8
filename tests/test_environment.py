"""The environment is exactly what was tested: requirements.lock, installed by `make setup`."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)


def _locked() -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in _PIN.findall(LOCK.read_text(encoding="utf-8"))}


def test_every_locked_package_has_hashes() -> None:
    entries = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text(encoding="utf-8"))
    pins = [e for e in entries if _PIN.match(e)]
    assert len(pins) == len(_locked()) > 20
    assert all("--hash=sha256:" in e for e in pins), [e.split()[0] for e in pins if "--hash" not in e]


def test_the_lock_satisfies_every_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    declared += [r for extra in project["project"]["optional-dependencies"].values() for r in extra]
    locked = _locked()
    unmet = []
    for line in declared:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name == "leafletgen":
            continue
        if name not in locked or not requirement.specifier.contains(locked[name], prereleases=True):
            unmet.append(f"{line} (locked: {locked.get(name, 'absent')})")
    assert unmet == [], "run `make lock`"


@pytest.mark.skipif(Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
                    reason="checks the project's own .venv, which `make setup` builds from the lock")
def test_the_virtual_environment_is_exactly_the_lock() -> None:
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    installed.pop("leafletgen")
    assert installed == _locked()
