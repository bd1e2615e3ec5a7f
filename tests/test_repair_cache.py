"""The cache of the repair's parsed resources (handouts/repair/cache.py) changes nothing but speed."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from handouts.repair import cache

ROOT = Path(__file__).resolve().parent.parent

# a spun text through the whole repair (rules, thesauri, counts, language model), as JSON
_REPAIR = """
import json, sys
from handouts.repair import repair
r = repair(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps([r.text, [repr(f) for f in r.fixes], [repr(f) for f in r.flags]]))
"""


def _repair(env_extra: dict[str, str]) -> list:
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "HANDOUTS_CACHE")}
    env.update(env_extra)
    text = ROOT / "tests" / "corpus" / "spun" / "gout.spun.md"
    out = subprocess.run([sys.executable, "-c", _REPAIR, str(text)], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def test_cold_warm_corrupt_and_unwritable_caches_repair_alike(tmp_path):
    reference = _repair({"HANDOUTS_CACHE": "off"})
    home = tmp_path / "cache"
    assert _repair({"XDG_CACHE_HOME": str(home)}) == reference  # cold: parses, writes the cache
    written = sorted((home / "handouts").glob("*-*.pickle"))
    assert {p.name.split("-")[0] for p in written} == {"rules", "thesaurus", "broad", "counts"}
    assert (home / "handouts" / "sources.pickle").exists()  # the sources' digests
    written.append(home / "handouts" / "sources.pickle")
    assert _repair({"XDG_CACHE_HOME": str(home)}) == reference  # warm: reads it
    for p in written:  # corrupt every file: truncated, garbage, another object
        p.write_bytes(p.read_bytes()[:1000] if p.name.startswith("counts") else b"not a pickle")
    (home / "handouts" / written[0].name).write_bytes(pickle.dumps({"an": "other object"}))
    assert _repair({"XDG_CACHE_HOME": str(home)}) == reference
    assert all(pickle.loads(p.read_bytes()) is not None for p in written)  # ... and rewritten whole
    blocked = tmp_path / "a-file"
    blocked.write_text("a cache directory cannot be made under a file")
    assert _repair({"XDG_CACHE_HOME": str(blocked)}) == reference  # unwritable
    assert not list(tmp_path.glob("**/.*.tmp"))  # no temporary file left behind


def test_cached_falls_back_to_building(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("HANDOUTS_CACHE", raising=False)
    source = tmp_path / "source.txt"
    source.write_text("one")
    built = []

    def build():
        built.append(source.read_text())
        return {"value": source.read_text()}

    def version(text):  # the cache file holding what was built from ``text``
        return next(p for p in (tmp_path / "handouts").glob("t-*.pickle") if pickle.loads(p.read_bytes())["value"] == text)

    assert cache.cached("t", [source], [], dict, build) == {"value": "one"}
    assert cache.cached("t", [source], [], dict, build) == {"value": "one"}
    assert built == ["one"]  # the second came from the cache
    source.write_text("two")  # a changed source is a new name: never the stale object
    assert cache.cached("t", [source], [], dict, build) == {"value": "two"}
    assert len(list((tmp_path / "handouts").glob("t-*.pickle"))) == 2  # the old one is kept too (another checkout)
    os.utime(version("one"), ns=(10**9, 10**9))
    os.utime(version("two"), ns=(2 * 10**9, 2 * 10**9))
    source.write_text("three")
    cache.cached("t", [source], [], dict, build)
    os.utime(version("three"), ns=(3 * 10**9, 3 * 10**9))
    source.write_text("four")
    cache.cached("t", [source], [], dict, build)
    files = list((tmp_path / "handouts").glob("t-*.pickle"))
    assert len(files) == cache.KEPT_VERSIONS == 3  # the oldest went when a fourth was written
    built.clear()
    source.write_text("two")
    assert cache.cached("t", [source], [], dict, build) == {"value": "two"} and built == []
    source.write_text("one")
    assert cache.cached("t", [source], [], dict, build) == {"value": "one"} and built == ["one"]
    copy = tmp_path / "elsewhere" / "source.txt"  # the same content in another checkout: the same entry
    copy.parent.mkdir()
    copy.write_text("one")
    assert cache.cached("t", [copy], [], dict, build) == {"value": "one"} and built == ["one"]
    version("one").write_bytes(b"\x80\x05garbage")
    assert cache.cached("t", [source], [], dict, build) == {"value": "one"}
    assert cache.cached("t", [source], [], list, build) == {"value": "one"}  # wrong type: rebuilt
    assert built == ["one", "one", "one"]
    missing = tmp_path / "missing.txt"  # a source that cannot be read: no cache, still built
    assert cache.cached("t", [missing], [], dict, lambda: {"built": True}) == {"built": True}


def test_a_source_is_read_again_whenever_its_identity_moves(tmp_path, monkeypatch):
    from handouts import documents

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("HANDOUTS_CACHE", raising=False)
    monkeypatch.setattr(cache, "_known", None)
    source = tmp_path / "source.txt"
    source.write_text("one")
    first = cache._source_digest(source)
    read_at = cache._known[str(source)][2]
    assert cache._source_digest(source) == first  # changed just now: read again (racy) ...
    assert cache._known[str(source)][2] > read_at
    monkeypatch.setattr(documents, "RACY_SECONDS", -60)  # ... unless changed long enough before
    read_at = cache._known[str(source)][2]
    assert cache._source_digest(source) == first and cache._known[str(source)][2] == read_at  # kept
    monkeypatch.setattr(cache, "_known", None)  # a new process: from sources.pickle
    assert cache._source_digest(source) == first and cache._known[str(source)][2] == read_at
    source.write_text("two")  # a new size, new times: read again
    assert cache._source_digest(source) != first
    (tmp_path / "handouts" / "sources.pickle").write_bytes(b"not a pickle")
    monkeypatch.setattr(cache, "_known", None)
    assert cache._source_digest(source) == cache._source_digest(source)  # an unreadable index: read


def test_many_sources_are_digested_with_one_write_of_the_index(tmp_path, monkeypatch):
    # the state's version digests the package's own files (25 MB) this way, so that a new library's
    # first build stats them rather than reading them all
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("HANDOUTS_CACHE", raising=False)
    monkeypatch.setattr(cache, "_known", None)
    writes = []
    real_write = cache._write
    monkeypatch.setattr(cache, "_write", lambda path, value: (writes.append(path), real_write(path, value)))
    sources = [tmp_path / f"s{i}.txt" for i in range(5)]
    for i, p in enumerate(sources):
        p.write_text(f"text {i}")
    digests = cache.source_digests(sources)
    assert digests == [cache._source_digest(p, write=False) for p in sources] and len(set(digests)) == 5
    assert writes == [tmp_path / "handouts" / "sources.pickle"]
    monkeypatch.setattr(cache, "_known", None)  # a new process finds them in the index
    assert set(cache._load_known()) == {str(p) for p in sources}
    sources[2].write_text("changed")
    assert cache.source_digests(sources)[2] != digests[2]


def test_the_index_of_digests_forgets_files_that_are_gone_and_stays_bounded(tmp_path, monkeypatch):
    # every checkout, and every fresh clone a test makes, adds its package's 70 files to the index
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("HANDOUTS_CACHE", raising=False)
    monkeypatch.setattr(cache, "_known", None)
    monkeypatch.setattr(cache, "KEPT_SOURCES", 3)
    sources = [tmp_path / f"s{i}.txt" for i in range(5)]
    for i, p in enumerate(sources):
        p.write_text(f"text {i}")
    cache.source_digests(sources[:2])
    sources[0].unlink()
    cache.source_digests(sources[2:])  # a new file read: the index is written again
    kept = set(cache._load_known())
    assert str(sources[0]) not in kept  # gone from the disk: forgotten
    assert len(kept) == 3 and kept <= {str(p) for p in sources[1:]}  # the newest 3 of the 4 left


def test_the_state_version_follows_the_package_files(tmp_path, monkeypatch):
    from handouts import state

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(cache, "_known", None)
    package = tmp_path / "package"
    (package / "templates").mkdir(parents=True)
    (package / "templates" / "handout.html.j2").write_text("<p>{{ body }}</p>")
    monkeypatch.setattr(state, "PACKAGE", package)
    before = state.version()
    assert state.version() == before
    (package / "templates" / "handout.html.j2").write_text("<p>{{ body }}!</p>")
    assert state.version() != before


@pytest.mark.parametrize("value", ["off", "0"])
def test_cache_can_be_turned_off(tmp_path, monkeypatch, value):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HANDOUTS_CACHE", value)
    source = tmp_path / "source.txt"
    source.write_text("one")
    assert cache.cached("t", [source], [], str, lambda: "built") == "built"
    assert not (tmp_path / "handouts").exists()


def test_what_a_process_keeps_between_documents_changes_no_repair():
    # the statistical layer keeps candidates, scores and decoded runs between documents and
    # passes (handouts/repair/statistical.py, "Speed"): the order of the documents must not matter
    from handouts.repair import repair, statistical

    texts = [(ROOT / "tests" / "corpus" / folder / name).read_text(encoding="utf-8") for folder, name in (
        ("spun", "gout.spun.md"), ("clean", "antibiotics.md"), ("heldout", sorted(
            p.name for p in (ROOT / "tests" / "corpus" / "heldout").glob("*.spun.md"))[0]))]

    def run(order):
        return {i: (r.text, r.fixes, r.flags) for i in order for r in [repair(texts[i])]}

    statistical._SHARED.clear()
    forward = run([0, 1, 2])
    statistical._SHARED.clear()
    backward = run([2, 1, 0])
    assert forward == backward
    assert run([0, 1, 2, 0]) == forward  # and warm, the same again
