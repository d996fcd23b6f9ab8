"""Hyphenation patterns kept in the cache folder hyphenate exactly as a fresh parse does."""

from __future__ import annotations

from pathlib import Path

import pyphen
import pytest

from leafletgen.pdf import hyphenation

WORDS = ["Schwangerschaftsverhütung", "Empfängnisverhütung", "Arzneimittel", "Nebenwirkungen", "Kapseln"]


@pytest.fixture()
def german(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = pyphen.LANGUAGES[pyphen.language_fallback("de")]
    monkeypatch.delitem(pyphen.hdcache, path, raising=False)
    return path


@pytest.fixture(scope="module")
def german_cache(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, bytes]]:
    """The cache files prime() writes for German (parsed once for the module), by name."""
    folder = tmp_path_factory.mktemp("hyph-cache")
    path = pyphen.LANGUAGES[pyphen.language_fallback("de")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        patch.delitem(pyphen.hdcache, path, raising=False)
        hyphenation.prime('<html lang="de">')
    return [(f.name, f.read_bytes()) for f in (folder / "leafletgen").glob("hyph-*.json")]


@pytest.fixture()
def cached_german(german: Path, tmp_path: Path, german_cache: list[tuple[str, bytes]]) -> Path:
    """German, with its patterns already in the cache folder (as an earlier process left them)."""
    (tmp_path / "leafletgen").mkdir()
    for name, data in german_cache:
        (tmp_path / "leafletgen" / name).write_bytes(data)
    return german


def _hyphenated() -> list[str]:
    dictionary = pyphen.Pyphen(lang="de")
    return [dictionary.inserted(word) for word in WORDS]


def test_cached_patterns_hyphenate_like_a_fresh_parse(german: Path, tmp_path: Path) -> None:
    assert not (tmp_path / "leafletgen").exists()
    hyphenation.prime('<html lang="de">')
    first = pyphen.hdcache[german]  # nothing cached yet: a fresh parse
    assert list((tmp_path / "leafletgen").glob("hyph-*.json"))  # kept for the next process
    fresh = _hyphenated()
    del pyphen.hdcache[german]
    hyphenation.prime('<p lang="de">')  # as a new process would: from the cache file
    assert pyphen.hdcache[german] is not first
    assert type(first) is pyphen.HyphDict and pyphen.hdcache[german].patterns == first.patterns
    assert _hyphenated() == fresh and "Schwan-ger-schafts-ver-hü-tung" in fresh


def test_damaged_pattern_cache_is_parsed_anew(cached_german: Path, tmp_path: Path) -> None:
    german = cached_german
    hyphenation.prime('<html lang="de">')
    expected = _hyphenated()
    for cached in (tmp_path / "leafletgen").glob("hyph-*.json"):
        cached.write_bytes(b"{\"maxlen\": 3, \"patterns\": {\"ab\": [0, \"x\"]}")
    del pyphen.hdcache[german]
    hyphenation.prime('<html lang="de">')
    assert _hyphenated() == expected


def test_languages_without_patterns_are_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    before = dict(pyphen.hdcache)
    hyphenation.prime('<html lang="zh-CN"><p lang="ar">')
    assert pyphen.hdcache == before and not (tmp_path / "leafletgen").exists()


def test_nonstandard_hyphenation_survives_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = pyphen.LANGUAGES[pyphen.language_fallback("hu")]
    monkeypatch.delitem(pyphen.hdcache, path, raising=False)
    hyphenation.prime('<p lang="hu">')  # parsed, written
    fresh = pyphen.hdcache.pop(path)  # nothing was cached yet: a fresh parse
    hyphenation.prime('<p lang="hu">')  # read back from JSON
    cached = pyphen.hdcache[path]
    assert cached is not fresh and type(fresh) is pyphen.HyphDict
    assert cached.patterns == fresh.patterns
    assert [(k, [getattr(v, "data", None) for v in values]) for k, (_, values) in cached.patterns.items()] == [
        (k, [getattr(v, "data", None) for v in values]) for k, (_, values) in fresh.patterns.items()]


def test_a_cache_file_is_never_executed(cached_german: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import pickle

    german = cached_german
    hyphenation.prime('<html lang="de">')
    expected = _hyphenated()

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("cache code ran",))

    for cached in (tmp_path / "leafletgen").glob("hyph-*.json"):
        cached.write_bytes(pickle.dumps(Boom()))
    del pyphen.hdcache[german]
    hyphenation.prime('<html lang="de">')
    assert _hyphenated() == expected
    assert "cache code ran" not in capsys.readouterr().out
