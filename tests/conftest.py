"""Shared fixtures: the real project, a scratch copy of it, a stand-in renderer, and PDFs rendered once per session.

Two tiers (markers in pyproject.toml). ``pdf``: renders real PDFs with WeasyPrint or reads PDFs back;
``browser``: drives Chromium. Everything else is the fast tier, ``pytest -m "not pdf and not browser"``
(``make test-fast``), which needs no WeasyPrint at all: its builds render with :class:`HtmlRenderer`
(the "PDF" is the HTML that would have been rendered), passed to ``build()`` (:func:`fake_build`) or,
where no renderer can be passed (the command line, the build's process pool, the warm process, the
server's workers), put in place of leafletgen.pdf.engine, the only module that imports WeasyPrint
(the ``fake_engine`` fixture; :data:`FAKE_ENGINE_CLI` for a command line in a subprocess).
A run that selects no ``pdf`` or ``browser`` test fails if WeasyPrint was imported (the guard at the end).

The PDF tier renders each distinct thing once per session (:func:`session_pdfs`); tests read those PDFs.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
import types
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from leafletgen.build.runner import Report, build
from leafletgen.content.model import Leaflet
from leafletgen.errors import Problem
from leafletgen.project import Project
from leafletgen.render.locales import locale_info
from leafletgen.render.options import RenderOptions
from leafletgen.translate.catalogs import available_locales, offered_locales
from leafletgen.translate.snapshot import load_leaflets

ROOT = Path(__file__).resolve().parent.parent
#: The leaflet the tests of one mechanism (bad input, the gate, reviews, the server, ...) use as their
#: material, alone in a scratch copy (:func:`copy_project`), so that other leaflets, shipped or added,
#: change nothing there. What must hold for every leaflet and locale is tested over the data
#: (:func:`every_unit`: test_warnings.py, test_accessibility.py, test_gate.py, ...).
LEAFLET_ID = "isotretinoin-20mg"
#: A real language with no catalog in the data: what tests start ('init') to have an incomplete locale.
NEW_LOCALE = next(code for code in ("lt", "lv", "sk", "sl", "et", "hr", "is", "ga", "mt", "cy")
                  if not (ROOT / "locales" / code).exists())
#: SOURCE_DATE_EPOCH of the session's PDFs, so that a test can render one again and compare the bytes.
EPOCH = "1764028800"
_BIDI_AND_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u00ad\ufeff]")


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def leaflet(project: Project) -> Leaflet:
    return load_leaflets(project, [LEAFLET_ID])[0]


def plain_text_ids(leaflet_id: str = LEAFLET_ID) -> list[str]:
    """Ids of texts of a shipped leaflet that are not safety-critical and end in a full stop, in
    document order: for tests that change "any ordinary sentence"."""
    leaflet = load_leaflets(Project(ROOT), [leaflet_id])[0]
    return [t.id for t, critical in leaflet.texts() if not critical and t.text.endswith(".") and t.id != "title"]


def unlined(problems: Iterable[Problem]) -> list[str]:
    """Problems as one line each, without their line number (``file: where: reason``): for tests of
    the path and the reason; the line numbers have tests of their own (test_source.py)."""
    return [str(dataclasses.replace(p, line=0)) for p in problems]


def copy_project(root: Path, source: Path = ROOT, leaflets: Iterable[str] | None = (LEAFLET_ID,)) -> Project:
    """A writable copy of the project's (or ``source``'s) templates, figures, and the sources and
    catalogs of ``leaflets`` (by default the one :data:`LEAFLET_ID`; ``None``: every leaflet) in ``root``."""
    keep = None if leaflets is None else set(leaflets)

    def other_leaflets(folder: str, names: list[str]) -> set[str]:
        if keep is None:
            return set()
        return {n for n in names if Path(n).suffix in (".yaml", ".po", ".pot", ".json")
                and Path(n).stem not in keep | {"templates"}}

    for name in ("leaflets", "locales", "templates"):
        shutil.copytree(source / name, root / name, ignore=other_leaflets)
    return Project(root)


@pytest.fixture()
def scratch(tmp_path: Path) -> Project:
    """A writable copy of the project's leaflets, locales and templates."""
    return copy_project(tmp_path)


def all_locales() -> list[str]:
    return available_locales(ROOT / "locales")


def every_unit() -> list[tuple[str, str]]:
    """Every (leaflet, locale) the repository's data offers: each leaflet source in its own locales
    (English and each locale with a catalog for it). Tests over the data parametrize with this, so a
    new leaflet or locale is tested with no test edit."""
    return [(ident, code) for ident in sorted(p.stem for p in (ROOT / "leaflets").glob("*.yaml"))
            for code in offered_locales(ROOT / "locales", ident)]


def unit_params(units: Iterable[tuple[str, str]] | None = None,
                marks: Callable[[str, str], list[pytest.MarkDecorator]] | None = None) -> list[object]:
    """pytest params ``(leaflet, locale)`` with ids like ``warfarin-de``."""
    return [pytest.param(ident, code, id=f"{ident}-{code}", marks=marks(ident, code) if marks else ())
            for ident, code in (every_unit() if units is None else units)]


def unit_pdf(out: Path, leaflet_id: str, locale: str, suffix: str = "") -> Path:
    """Where a build into ``out`` writes one unit's PDF (default options, or ``suffix`` like '.large')."""
    return out / leaflet_id / f"{leaflet_id}.{locale}{suffix}.pdf"


def leaflet_ids(project: Project) -> list[str]:
    return [p.stem for p in project.leaflet_paths()]


def unit_count(project: Project) -> int:
    """How many PDFs a full build of ``project`` writes: every leaflet in every locale."""
    return len(leaflet_ids(project)) * len(available_locales(project.locales_dir))


def normalize(text: str) -> str:
    """Text as compared with PDF read-back: NFC, no markup, whitespace, hyphens or bidi marks."""
    text = unicodedata.normalize("NFC", text.replace("**", ""))
    text = _BIDI_AND_INVISIBLE.sub("", text)
    return re.sub(r"[\s\-‐‑]+", "", text)


def pdf_text(path: Path, *, body: bool = False, raw: bool = False) -> str:
    """The PDF's text layer as pdftotext (poppler) reads it; ``body``: without the page footers (the
    bottom margin, 24 mm), so that a sentence running over a page break reads as one; ``raw``: in
    content-stream order (the document's), not poppler's guess at columns from the layout."""
    crop: list[str] = []
    if body:
        info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
        width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())  # type: ignore[union-attr]
        crop = ["-x", "0", "-y", "0", "-W", str(int(width)), "-H", str(int(height - 24 * 72 / 25.4))]
    order = ["-raw"] if raw else []
    result = subprocess.run(["pdftotext", *order, "-enc", "UTF-8", *crop, str(path), "-"], check=True,
                            capture_output=True, text=True)
    return result.stdout


# -- the fast tier's renderer: the "PDF" is the HTML ------------------------------------------------


class HtmlRenderer:
    """Stands in for WeasyPrint: the "PDF" is the HTML that would have been rendered.

    ``rendered`` lists the units rendered ("<leaflet> <locale>"), ``outputs`` what each got.
    """

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.rendered: list[str] = []
        self.outputs: dict[str, bytes] = {}

    def render_pdf(self, html: str, *, base_dir: Path, name: str) -> bytes:
        if self.seconds:
            time.sleep(self.seconds)
        self.rendered.append(name)
        self.outputs[name] = html.encode("utf-8")
        return self.outputs[name]

    def close(self) -> None:
        pass


@pytest.fixture()
def html_renderer() -> HtmlRenderer:
    return HtmlRenderer()


def fake_build(project: Project, out: Path, renderer: HtmlRenderer | None = None, **kwargs: object) -> Report:
    """build() in this process, rendering with HtmlRenderer: every decision is the real one."""
    return build(project, out, jobs=1, renderer=renderer or HtmlRenderer(), **kwargs)  # type: ignore[arg-type]


def is_rendered_html(data: bytes, locale: str) -> bool:
    """Is ``data`` a whole leaflet as HtmlRenderer or the stand-in engine writes it, in ``locale``?"""
    text = data.decode("utf-8")
    return text.startswith("<!DOCTYPE html>") and f'<html lang="{locale_info(locale).tag}"' in text \
        and text.rstrip().endswith("</html>")


def stand_in_engine(seconds: float = 0.0) -> types.ModuleType:
    """A module to put in place of leafletgen.pdf.engine: render_pdf returns the HTML, warm_up does nothing."""
    engine = types.ModuleType("leafletgen.pdf.engine", "Stand-in for WeasyPrint (tests/conftest.py).")

    def render_pdf(html: str, *, base_dir: Path, name: str, exact_text: bool = True) -> bytes:
        if seconds:
            time.sleep(seconds)
        return html.encode("utf-8")

    engine.render_pdf = render_pdf  # type: ignore[attr-defined]
    engine.warm_up = lambda: None  # type: ignore[attr-defined]
    return engine


def install_stand_in_engine(monkeypatch: pytest.MonkeyPatch, seconds: float = 0.0) -> None:
    """Until the test ends, every render in this process and the processes it forks uses the stand-in."""
    import leafletgen.pdf

    engine = stand_in_engine(seconds)
    monkeypatch.setitem(sys.modules, engine.__name__, engine)
    monkeypatch.setattr(leafletgen.pdf, "engine", engine, raising=False)


@pytest.fixture()
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line, the build's pool, the warm process and the server render with the stand-in."""
    install_stand_in_engine(monkeypatch)


#: ``python -c FAKE_ENGINE_CLI ARGS...``: the command line (as generate.py runs it) with the stand-in
#: engine; each render takes LEAFLETGEN_TEST_RENDER_SECONDS. It prints whether WeasyPrint was imported.
FAKE_ENGINE_CLI = f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from conftest import stand_in_engine
sys.modules["leafletgen.pdf.engine"] = stand_in_engine(float(os.environ.get("LEAFLETGEN_TEST_RENDER_SECONDS", 0)))
from leafletgen.cli.main import main
status = main(sys.argv[1:])
print("weasyprint imported here:", "weasyprint" in sys.modules)
sys.exit(status)
"""


def fake_engine_cli(*args: str) -> list[str]:
    """argv for a subprocess running the command line with the stand-in engine."""
    return [sys.executable, "-c", FAKE_ENGINE_CLI, *args]


def fake_engine_env(seconds: float = 0.0) -> dict[str, str]:
    """The environment for fake_engine_cli: each render takes ``seconds``."""
    return {**os.environ, "LEAFLETGEN_TEST_RENDER_SECONDS": str(seconds)}


# -- the PDF tier: each distinct thing rendered once per session -------------------------------------

SessionPdfs = Callable[..., tuple[Path, Report]]


@pytest.fixture(scope="session")
def session_pdfs(project: Project, tmp_path_factory: pytest.TempPathFactory) -> SessionPdfs:
    """``session_pdfs(options, locales)``: (out folder, report) of the repository built with those
    options (default: every leaflet in every locale, default options), rendered once for the session
    by the build's worker processes, with SOURCE_DATE_EPOCH = EPOCH.

    Under pytest-xdist the session's workers share them: the first to need a set builds it in the
    run's common temporary folder, holding a lock, and the others wait and read its report."""
    done: dict[str, tuple[Path, Report]] = {}
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base

    def get(options: RenderOptions | None = None, locales: tuple[str, ...] | None = None) -> tuple[Path, Report]:
        options = options or RenderOptions()
        key = repr((options, locales))
        if key not in done:
            out = shared / f"pdfs-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
            saved = shared / f"{out.name}.report"
            with open(shared / f"{out.name}.lock", "wb") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                if saved.exists():
                    report = pickle.loads(saved.read_bytes())
                else:
                    shutil.rmtree(out, ignore_errors=True)  # a worker that died while building
                    out.mkdir()
                    with pytest.MonkeyPatch.context() as env:
                        env.setenv("SOURCE_DATE_EPOCH", EPOCH)
                        report = build(project, out, locales=locales, options=options)
                    saved.write_bytes(pickle.dumps(report))
            assert report.ok, [o for o in report.outcomes if o.status not in ("built", "skipped")]
            done[key] = out, report
        return done[key]

    return get


@pytest.fixture(scope="session")
def built(session_pdfs: SessionPdfs) -> tuple[Path, Report]:
    """Every leaflet in every locale of the repository, rendered once for the whole session."""
    return session_pdfs()


@pytest.fixture(scope="session")
def built_large(session_pdfs: SessionPdfs) -> tuple[Path, Report]:
    """Every leaflet in every locale in large print, rendered once for the whole session."""
    return session_pdfs(RenderOptions(large_print=True))


def one_locale_per_writing() -> tuple[str, ...]:
    """The first locale of each writing system the data has (script and font stack): where a PDF
    property depends on the writing, not on the words (outloud's rules, Letter paper, the cluster)."""
    chosen: dict[tuple[str, tuple[str, ...]], str] = {}
    for code in all_locales():
        info = locale_info(code)
        chosen.setdefault((info.script, tuple(info.fonts)), code)
    return tuple(sorted(chosen.values()))


@pytest.fixture(scope="session")
def built_letter(session_pdfs: SessionPdfs) -> tuple[Path, Report]:
    """Every leaflet on US Letter paper in one locale per writing, rendered once for the whole session."""
    return session_pdfs(RenderOptions(paper="letter"), one_locale_per_writing())


# -- the fast tier needs no WeasyPrint: a run without pdf or browser tests fails if it was imported ----

_FAST_ONLY = pytest.StashKey[bool]()
_CULPRIT = pytest.StashKey[str]()


def pytest_collection_finish(session: pytest.Session) -> None:
    # the fast tier collects the pdf modules too (then deselects them): they may not import WeasyPrint at the top
    fast = not any(item.get_closest_marker("pdf") or item.get_closest_marker("browser") for item in session.items)
    session.config.stash[_FAST_ONLY] = fast
    if fast and "weasyprint" in sys.modules:
        session.config.stash[_CULPRIT] = "collection (an import at module level)"
        if os.environ.get("PYTEST_XDIST_WORKER"):  # a worker's exit status is not the run's: stop it here
            raise pytest.UsageError("the fast tier imported weasyprint at collection (an import at module "
                                    "level): tests that need it must be marked `pdf`")


@pytest.fixture(autouse=True)
def _no_weasyprint_in_the_fast_tier(request: pytest.FixtureRequest) -> Iterator[None]:
    """In a run of the fast tier only, fail the test that imported WeasyPrint."""
    config = request.config
    watch = config.stash.get(_FAST_ONLY, False) and "weasyprint" not in sys.modules
    yield
    if watch and "weasyprint" in sys.modules:
        config.stash[_CULPRIT] = request.node.nodeid
        pytest.fail("this test imported weasyprint: mark it `pdf`, or render with HtmlRenderer / fake_engine",
                    pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if config.stash.get(_FAST_ONLY, False) and "weasyprint" in sys.modules:
        culprit = config.stash.get(_CULPRIT, "an unknown place")
        sys.stderr.write(f"\nERROR: the fast tier imported weasyprint, first in {culprit}; "
                         "tests that need it must be marked `pdf`\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
