"""The environment is exactly what was tested: requirements.lock, installed by `make setup`; and the
fast test tier really runs without WeasyPrint (the guard in conftest.py)."""

from __future__ import annotations

import os
import re
import subprocess
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


_PROBE = """
import pytest

def test_clean():
    pass

def test_that_imports_weasyprint():
    import weasyprint  # noqa: F401

@pytest.mark.pdf
def test_marked():
    import weasyprint  # noqa: F401
"""


@pytest.mark.slow
def test_the_fast_tier_fails_when_a_test_imports_weasyprint(tmp_path: Path) -> None:
    """Run with conftest.py as a plugin, a stand-in ``weasyprint`` module (no real one needed)."""
    (tmp_path / "weasyprint.py").write_text("")
    (tmp_path / "test_probe.py").write_text(_PROBE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    pdf: x\n    browser: x\nfilterwarnings = error\n")
    tests = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(tests), os.environ.get("PYTHONPATH", "")])}

    fast = subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q",
                           "-c", str(tmp_path / "pytest.ini"), str(tmp_path / "test_probe.py"),
                           "-m", "not pdf and not browser"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert fast.returncode == 1, fast.stdout + fast.stderr
    assert "ERROR at teardown of test_that_imports_weasyprint" in fast.stdout
    assert "this test imported weasyprint: mark it `pdf`" in fast.stdout
    assert "the fast tier imported weasyprint, first in test_probe.py::test_that_imports_weasyprint" in fast.stderr
    assert "2 passed, 1 deselected, 1 error in" in fast.stdout  # a run with pdf tests may: the full suite
