"""What makes big libraries fast must not change what they look like: parallel jobs, the cache, progress."""
import os
import pty
import shutil
import subprocess
import sys

from conftest import ROOT, run_pipeline, small_project, translate

DOC = "# Fever\n\nTake paracetamol to bring a fever down.\n\nDrink plenty of fluids.\n"


def _library(root, count=6):
    (root / "source").mkdir(parents=True)
    for n in range(count):
        (root / "source" / f"leaflet-{n}.md").write_text(DOC.replace("Fever", f"Fever {n}"), encoding="utf-8")
    (root / "locale").mkdir()
    (root / "locale" / "LINGUAS").write_text("de\nfr\n", encoding="utf-8")
    return root


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for folder in ("locale", "output") for p in sorted((root / folder).rglob("*")) if p.is_file()}


def test_any_number_of_jobs_builds_the_same_bytes(tmp_path):
    # nine documents on two workers are shared out by document; five, whole but the last; two, by
    # (document, language)
    for count in (9, 5, 2):
        one, two = _library(tmp_path / f"one{count}", count), _library(tmp_path / f"two{count}", count)
        assert run_pipeline("-C", str(one), "--jobs", "1", "--min-translated", "0").returncode == 0
        assert run_pipeline("-C", str(two), "--jobs", "2", "--min-translated", "0").returncode == 0
        assert _tree(one) == _tree(two)


def test_a_library_of_a_few_documents_is_shared_out_so_that_the_workers_finish_together():
    """Each document's languages in one job (its English read once by the checks), except where that
    would leave a worker waiting: a document longer than half a worker's share, and the shortest at the
    end, are built language by language."""
    from handouts.build import _tasks

    codes = ["en", "de", "fr"]
    five = _tasks({f"d{n}": codes for n in range(1, 6)}, 2, {"d1": 30, "d2": 32, "d3": 31, "d4": 29, "d5": 33}.get)
    assert five == [("d5", codes), ("d2", codes), ("d3", codes), ("d1", codes)] + [("d4", [c]) for c in codes]
    # one long document and a short one: the long one alone would keep one worker busy long after the other
    two = _tasks({"long": codes, "short": codes}, 2, {"long": 300, "short": 30}.get)
    assert two == [("long", [c]) for c in codes] + [("short", [c]) for c in codes]
    # a library of many documents: a job per document, in its order
    many = {f"d{n:02}": codes for n in range(12)}
    assert _tasks(many, 2, lambda name: 30) == list(many.items())


def test_the_cache_can_be_deleted_at_any_time(tmp_path):
    root = _library(tmp_path)
    assert run_pipeline("-C", str(root)).returncode == 0
    before = _tree(root)
    shutil.rmtree(root / "build")
    r = run_pipeline("-C", str(root))
    assert r.returncode == 0 and "0 file(s) changed" in r.stdout
    assert _tree(root) == before
    (root / "build" / "state.pickle").write_bytes(b"not a pickle")  # a damaged cache is a missing cache
    assert run_pipeline("-C", str(root)).returncode == 0
    assert _tree(root) == before


def test_a_no_op_rebuild_builds_nothing_and_an_edit_only_its_handout(tmp_path):
    root = small_project(tmp_path, "fever", DOC, ("de", "fr"))
    assert run_pipeline("-C", str(root)).returncode == 0
    r = run_pipeline("-C", str(root))
    assert "0 handout(s) built, the others up to date; 0 file(s) changed" in r.stdout
    translate(root, "de", "fever", {"Fever": "Fieber"})
    r = run_pipeline("-C", str(root), "--min-translated", "0")
    assert r.returncode == 0
    r = run_pipeline("-C", str(root), "--min-translated", "0")
    assert "0 handout(s) built" in r.stdout
    translate(root, "de", "fever", {"Fever": "Das Fieber"})
    r = run_pipeline("-C", str(root), "--min-translated", "0")
    assert "1 handout(s) built" in r.stdout
    assert "Das Fieber" in (root / "output" / "de" / "fever.html").read_text(encoding="utf-8")


def _on_a_terminal(*args):
    """Run the command line with a pseudo-terminal as its output, as a person at a terminal would."""
    env = dict(os.environ, HANDOUTS_PROGRESS_DELAY="0", PYTHONIOENCODING="utf-8")
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.execve(sys.executable, [sys.executable, str(ROOT / "pipeline.py"), *args], env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_progress_shows_on_a_terminal_and_nowhere_else(tmp_path):
    root = _library(tmp_path, 8)
    code, out = _on_a_terminal("-C", str(root), "--jobs", "2")
    assert code == 0, out
    assert "building:" in out and "/8 [" in out and "document" in out
    shutil.rmtree(root / "output"), shutil.rmtree(root / "build")
    code, out = _on_a_terminal("-C", str(root), "--quiet")
    assert code == 0 and "building" not in out and "handouts:" not in out
    shutil.rmtree(root / "output"), shutil.rmtree(root / "build")
    r = subprocess.run([sys.executable, str(ROOT / "pipeline.py"), "-C", str(root)], capture_output=True, text=True,
                       env=dict(os.environ, HANDOUTS_PROGRESS_DELAY="0"))
    assert r.returncode == 0 and "building" not in r.stderr


def _age(root, seconds=3600):
    """Every file of the project as if saved an hour ago (so the run trusts what it read)."""
    for path in root.rglob("*"):
        if path.is_file():
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))


def test_a_save_that_keeps_the_size_and_modification_time_is_still_seen(tmp_path):
    """Digests are kept between runs by file identity (build/digests.pickle): a translator's save that
    keeps the catalog's size, and a tool that puts its modification time back, still changes the
    handout, because a save always moves the change time."""
    root = small_project(tmp_path, "fever", DOC, ("de",))
    assert run_pipeline("-C", str(root)).returncode == 0
    translate(root, "de", "fever", {"Fever": "Fieber"})
    for _ in range(2):  # the second run reads again what the first wrote, long after it was modified
        _age(root)
        assert run_pipeline("-C", str(root), "--min-translated", "0").returncode == 0
    assert "Fieber" in (root / "output" / "de" / "fever.html").read_text(encoding="utf-8")
    po = root / "locale" / "de" / "LC_MESSAGES" / "fever.po"
    before = po.stat()
    po.write_text(po.read_text(encoding="utf-8").replace('"Fieber"', '"FIEBER"'), encoding="utf-8")
    os.utime(po, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = po.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    r = run_pipeline("-C", str(root), "--min-translated", "0")
    assert r.returncode == 0 and "1 handout(s) built" in r.stdout
    assert "FIEBER" in (root / "output" / "de" / "fever.html").read_text(encoding="utf-8")


def test_progress_counts_documents_when_their_languages_are_built_apart(tmp_path):
    # fewer documents than 4 per worker: each (document, language) is a job of its own, the bar still counts documents
    root = _library(tmp_path, 3)
    code, out = _on_a_terminal("-C", str(root), "--jobs", "2")
    assert code == 0, out
    assert "building:" in out and "/3 [" in out and "document" in out



def test_a_command_keeps_what_it_loaded_out_of_the_collector_and_a_watch_does_not(tmp_path):
    # a run from the command line freezes the state it loaded (gc.freeze); a command a watch runs
    # for the command line must not: the watch lives on, and freezing at every build would keep
    # every cycle made in between until it ends.  Each in a fresh process that loads the state
    # from build/.
    root = _library(tmp_path, 2)
    assert run_pipeline("-C", str(root), "--quiet").returncode == 0

    def frozen(call: str) -> int:
        code = ("import gc, sys; from pathlib import Path; from handouts import cli; "
                f"root = sys.argv[1]; status = {call}; print(status, gc.get_freeze_count())")
        out = subprocess.run([sys.executable, "-c", code, str(root)], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
        assert out[0] == "0"
        return int(out[1])

    assert frozen("cli.run_for_watch(['-C', root, '--quiet'], Path(root))[0]") == 0
    assert frozen("__import__('handouts.resident').resident.main(['-C', root, '--quiet'])") > 0  # pipeline.py's
    assert frozen("cli.main(['-C', root, '--quiet'])") == 0  # called in a process that goes on (a test's)


def test_another_version_of_a_dependency_rebuilds_everything(tmp_path, monkeypatch):
    # the state's version names each dependency's installed version (its dist-info folder, as an
    # import finds it first on sys.path): an upgrade makes every output stale
    from handouts import state

    before = state.version()
    assert state._installed(state.DEPENDENCIES).keys() == set(state.DEPENDENCIES)
    (tmp_path / "babel-99.0.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert state._installed(state.DEPENDENCIES)["babel"] == "babel-99.0.dist-info"
    assert state.version() != before
    monkeypatch.undo()
    assert state.version() == before


def test_a_watch_settling_after_builds_frees_every_cycle_in_the_end():
    # settle freezes what a build left (its next passes skip it); a cycle among what was kept and
    # later dropped is freed by the full collection every FULL_EVERY builds, never kept for good
    import gc
    import weakref

    from handouts import heap

    class Node:
        pass

    kept = Node()
    kept.self = kept  # a cycle, alive while the watch holds it
    gone = weakref.ref(kept)
    try:
        heap.settle()
        assert gc.get_freeze_count() > 0
        del kept  # the watch drops it: frozen, so the next passes do not see it
        for _ in range(heap.FULL_EVERY):
            heap.settle()
        assert gone() is None
    finally:
        gc.unfreeze()


def test_a_broken_catalog_is_reported_once_when_the_catalogs_are_read_while_documents_are_repaired(tmp_path):
    # with four documents or more to repair on two workers, this process reads their catalogs meanwhile;
    # a catalog it cannot read is left to the update, which reports it as it always has
    root = _library(tmp_path)
    assert run_pipeline("-C", str(root), "--jobs", "2", "--min-translated", "0").returncode == 0
    for n in range(6):
        src = root / "source" / f"leaflet-{n}.md"
        src.write_text(src.read_text(encoding="utf-8").replace("plenty of", "lots of"), encoding="utf-8")
    broken = root / "locale" / "de" / "LC_MESSAGES" / "leaflet-3.po"
    text = broken.read_text(encoding="utf-8")
    line = text[: text.index('msgid "Take')].count("\n") + 1
    broken.write_text(text.replace('msgid "Take', 'msgid Take', 1), encoding="utf-8")
    before = _tree(root)
    r = run_pipeline("-C", str(root), "--jobs", "2", "--min-translated", "0")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    errors = [l for l in r.stderr.splitlines() if ": error:" in l]
    assert errors and errors[0].startswith(f"locale/de/LC_MESSAGES/leaflet-3.po:{line}: error:"), r.stderr
    assert len([l for l in errors if "leaflet-3.po" in l]) == 1, r.stderr
    assert _tree(root) == before  # no catalog written, no handout, when one catalog cannot be read
    broken.write_text(text, encoding="utf-8")
    r = run_pipeline("-C", str(root), "--jobs", "2", "--min-translated", "0")
    assert r.returncode == 0, r.stderr
    assert 'msgid "Drink lots of fluids."' in broken.read_text(encoding="utf-8")


def test_a_command_ends_without_the_interpreters_clean_up_and_says_all_it_had_to(tmp_path):
    # python pipeline.py ends (heap.end) once its output is flushed, without freeing a million objects one
    # by one; what it printed, its exit status and its files are all there.  A clean-up hook shows which
    # way each run ended: a command run once skips it, --version (answered before anything ran) does not.
    root = _library(tmp_path, 2)
    (root / "source" / "broken.md").write_bytes(b"# Title\n\nok\n\xff\n")
    hook = ("import atexit, runpy, sys; atexit.register(lambda: print('CLEAN-UP', file=sys.stderr)); "
            "sys.argv = ['pipeline.py', *sys.argv[1:]]; runpy.run_path(sys.argv[0], run_name='__main__')")

    def run(*args):
        return subprocess.run([sys.executable, "-c", hook, *args], cwd=ROOT, capture_output=True, text=True,
                              encoding="utf-8")

    failed = run("-C", str(root))
    assert failed.returncode == 2 and "CLEAN-UP" not in failed.stderr
    assert "source/broken.md:4: error: not valid UTF-8" in failed.stderr
    (root / "source" / "broken.md").unlink()
    built = run("-C", str(root), "--min-translated", "0")
    assert built.returncode == 0 and "CLEAN-UP" not in built.stderr
    assert built.stdout.rstrip().splitlines()[-1] == run_pipeline("-C", str(root)).stdout.rstrip().splitlines()[-1]
    assert (root / "output" / "index.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    version = run("--version")
    assert version.returncode == 0 and "CLEAN-UP" in version.stderr
