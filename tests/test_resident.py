"""While `python pipeline.py watch` runs, `python pipeline.py` is run by the watch (handouts/resident.py):
the same output, the same files, the same exit status, without a fresh process's start."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, ctrl_c_as_at_a_terminal, run_pipeline, small_project, translate

DOC = "# Fever\n\nDrink plenty of fluids.\n\nRest at home.\n"
GERMAN = {"Fever": "Fieber", "Drink plenty of fluids.": "Trinken Sie viel.",
          "Rest at home.": "Ruhen Sie sich zu Hause aus."}
ANSWERING = "python pipeline.py on this project is run here while this watch runs"
ANSWERED = "built for the command line"


class Watch:
    def __init__(self, root):
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "pipeline.py"), "-C", str(root), "watch",
                                      "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env, preexec_fn=ctrl_c_as_at_a_terminal)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()
        self.until(ANSWERING)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def until(self, text, seconds=30.0):
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            if any(text in line for line in self.lines):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"the watch never said {text!r}:\n" + "".join(self.lines))

    def count(self, text):
        return sum(text in line for line in self.lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def watched(tmp_path):
    (tmp_path / "a").mkdir()
    root = small_project(tmp_path / "a", "fever", DOC, ("de",))
    translate(root, "de", "fever", GERMAN)
    assert run_pipeline("-C", str(root)).returncode == 0
    watch = Watch(root)
    yield root, watch
    watch.stop()


def _twin(root, tmp_path):
    """A copy of the project, as it is now, that no watch runs on."""
    twin = tmp_path / "b"
    shutil.copytree(root, twin, ignore=shutil.ignore_patterns("watch.sock"))
    return twin


def _scribbled_handout_is_built_again(root):
    """A handout scribbled over (not an input: a watch leaves it to the next run), then
    ``python pipeline.py``: the handout is as it was."""
    handout = root / "output" / "de" / "fever.html"
    good = handout.read_bytes()
    handout.write_text("scribbled over", encoding="utf-8")
    r = run_pipeline("-C", str(root))
    assert r.returncode == 0, r.stderr
    assert handout.read_bytes() == good


def _edit_and_run(root, n):
    """A source paragraph saved with new words, then ``python pipeline.py -q``: the handout has them."""
    source = root / "source" / "fever.md"
    source.write_text(DOC.replace("Rest at home.", f"Rest at home, day {n}."), encoding="utf-8")
    r = run_pipeline("-C", str(root), "-q")
    assert r.returncode == 0, r.stderr
    assert f"Rest at home, day {n}." in (root / "output" / "en" / "fever.html").read_text(encoding="utf-8")


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for folder in ("locale", "output") for p in sorted((root / folder).rglob("*")) if p.is_file()}


def test_the_watch_runs_the_command_and_it_prints_and_writes_what_it_would_alone(watched, tmp_path):
    root, watch = watched
    twin = _twin(root, tmp_path)
    for project in (root, twin):  # a handout scribbled over: not an input, so the watch leaves it to the next run
        (project / "output" / "de" / "fever.html").write_text("scribbled over", encoding="utf-8")
    here = run_pipeline("-C", str(root))
    alone = run_pipeline("-C", str(twin))
    assert watch.count(ANSWERED) == 1, "".join(watch.lines)
    assert (here.returncode, here.stdout, here.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    assert "1 handout(s) built" in here.stdout
    assert _files(root) == _files(twin)
    # quiet, and the build command, as the command line has them
    for args in (["-q"], ["build"], ["-j", "1", "update"]):
        here = run_pipeline("-C", str(root), *args)
        alone = run_pipeline("-C", str(twin), *args)
        assert (here.returncode, here.stdout, here.stderr) == (alone.returncode, alone.stdout, alone.stderr), args
    assert _files(root) == _files(twin)


def test_a_save_just_before_the_command_is_in_its_run(watched):
    """The watch hears of every save made before the command asked (``Saves.sync``), so a run never
    misses the edit the user has just made, however the save and the request race."""
    root, watch = watched
    for n in range(4):
        _edit_and_run(root, n)
        assert f'msgid "Rest at home, day {n}."' in (root / "locale" / "de" / "LC_MESSAGES" / "fever.po").read_text(
            encoding="utf-8")


def test_an_error_reaches_the_command_line_as_it_would_alone(watched, tmp_path):
    root, watch = watched
    twin = _twin(root, tmp_path)
    for project in (root, twin):
        po = project / "locale" / "de" / "LC_MESSAGES" / "fever.po"
        po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Trinken Sie viel."', 'msgstr "Trinken'),
                      encoding="utf-8")
    here = run_pipeline("-C", str(root))
    alone = run_pipeline("-C", str(twin))
    assert here.returncode == alone.returncode == 2
    assert here.stderr == alone.stderr and "fever.po:" in here.stderr and ": error: " in here.stderr
    assert "Traceback" not in here.stderr
    assert watch.proc.poll() is None  # the watch goes on
    usage = run_pipeline("-C", str(root), "build", "--paper", "A5")  # argparse's own mistake, from the watch
    assert usage.returncode == 2 and "invalid choice: 'A5'" in usage.stderr


def test_the_command_line_runs_on_its_own_where_the_watch_may_not_run_it(watched, tmp_path):
    root, watch = watched
    handout = root / "output" / "de" / "fever.html"
    good = handout.read_bytes()
    # another environment than the watch's (the repair's cache elsewhere), or asked not to
    for extra in ({"XDG_CACHE_HOME": str(tmp_path / "cache")}, {"HANDOUTS_RESIDENT": "off"}):
        handout.write_text("scribbled over", encoding="utf-8")
        env = dict(os.environ, PYTHONIOENCODING="utf-8", **extra)
        r = subprocess.run([sys.executable, str(ROOT / "pipeline.py"), "-C", str(root)], capture_output=True,
                           text=True, encoding="utf-8", env=env)
        assert r.returncode == 0, r.stderr
        assert handout.read_bytes() == good
    time.sleep(0.5)
    assert watch.count(ANSWERED) == 0, "".join(watch.lines)


def test_a_socket_left_by_a_killed_watch_is_not_in_the_way(watched):
    root, watch = watched
    watch.proc.kill()
    watch.proc.wait()
    assert (root / "build" / "watch.sock").exists()  # nobody removed it
    _scribbled_handout_is_built_again(root)
    again = Watch(root)  # a new watch takes the socket's place
    try:
        _scribbled_handout_is_built_again(root)
        assert again.count(ANSWERED) == 1
    finally:
        again.stop()
    assert not (root / "build" / "watch.sock").exists()  # removed by the watch that stopped


def test_a_project_too_deep_for_a_socket_is_answered_through_the_users_runtime_folder(tmp_path, monkeypatch):
    runtime = Path(tempfile.mkdtemp(prefix="run-"))  # short, as /run/user/UID is
    runtime.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    deep = tmp_path / ("d" * 60) / ("e" * 40)
    deep.mkdir(parents=True)
    root = small_project(deep, "fever", DOC, ("de",))
    translate(root, "de", "fever", GERMAN)
    assert run_pipeline("-C", str(root)).returncode == 0
    watch = Watch(root)
    try:
        assert len(list(runtime.glob("handouts-*.sock"))) == 1 and not (root / "build" / "watch.sock").exists()
        _scribbled_handout_is_built_again(root)
        assert watch.count(ANSWERED) == 1, "".join(watch.lines)
    finally:
        watch.stop()
        left = list(runtime.glob("handouts-*.sock"))
        shutil.rmtree(runtime)
    assert left == []


@pytest.mark.parametrize("argv, root", [
    ([], "."), (["-C", "lib"], "lib"), (["-Clib", "-q"], "lib"), (["--jobs=2", "build", "--paper", "Letter"], "."),
    (["-j", "3", "update"], "."), (["build", "--large-print"], "."),
    (["build", "--pdf"], None), (["status"], None), (["check"], None), (["watch"], None), (["--help"], None),
    (["--version"], None), (["fix", "x.md"], None), (["-C"], None), (["update", "build"], None),
    (["--paper", "A4"], None),
])
def test_which_commands_a_watch_may_run(argv, root):
    from handouts.resident import _root_of

    assert _root_of(argv) == root


# ---------------------------------------------------------------------------
# A resident started by the command line ([tool.handouts] resident = true)

STARTED = "resident for the command line"


def _asks_for_a_resident(root, minutes):
    with open(root / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write(f"[tool.handouts]\nresident = true\nresident-idle-minutes = {minutes}\n")


def _log(root):
    path = root / "build" / "resident.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _until(condition, seconds=30.0):
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _alone(*args):
    """The command line with no resident, as before the setting."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8", HANDOUTS_RESIDENT="off")
    return subprocess.run([sys.executable, str(ROOT / "pipeline.py"), *args], capture_output=True, text=True,
                          encoding="utf-8", env=env)


@pytest.fixture
def resident_project(tmp_path):
    (tmp_path / "a").mkdir()
    root = small_project(tmp_path / "a", "fever", DOC, ("de",))
    translate(root, "de", "fever", GERMAN)
    yield root
    run_pipeline("-C", str(root), "stop")


def test_a_project_that_asks_for_a_resident_gets_one_and_it_answers_as_the_command_line_would(
        resident_project, tmp_path):
    root = resident_project
    twin = _twin(root, tmp_path)
    _asks_for_a_resident(root, 5)
    _asks_for_a_resident(twin, 5)
    here = run_pipeline("-C", str(root))  # starts the resident, which runs this first command
    alone = _alone("-C", str(twin))
    assert (here.returncode, here.stdout, here.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    assert "1 document(s) in 2 language(s)" in here.stdout
    assert _files(root) == _files(twin)
    assert STARTED in _log(root) and (root / "build" / "watch.sock").exists()
    assert not (twin / "build" / "watch.sock").exists()  # HANDOUTS_RESIDENT=off: none started
    # the next commands are its: an edit saved just before, an error, quiet
    for project in (root, twin):
        source = project / "source" / "fever.md"
        source.write_text(DOC.replace("Rest at home.", "Rest at home for a day."), encoding="utf-8")
    here = run_pipeline("-C", str(root))
    alone = _alone("-C", str(twin))
    assert (here.returncode, here.stdout, here.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    assert "Rest at home for a day." in (root / "output" / "en" / "fever.html").read_text(encoding="utf-8")
    assert _files(root) == _files(twin)
    assert _log(root).count(ANSWERED) == 2, _log(root)
    # stopped on request: the socket goes, and the command line runs on its own until it starts another
    stopped = run_pipeline("-C", str(root), "stop")
    assert stopped.returncode == 0 and "stopped the resident process" in stopped.stderr
    assert _until(lambda: "ended: asked to stop" in _log(root) and not (root / "build" / "watch.sock").exists())
    again = run_pipeline("-C", str(root), "stop")
    assert again.returncode == 0 and "no resident process runs" in again.stderr


def test_a_resident_ends_by_itself_after_its_idle_time(resident_project):
    root = resident_project
    _asks_for_a_resident(root, 0.02)  # 1.2 s
    assert run_pipeline("-C", str(root), "-q").returncode == 0
    assert STARTED in _log(root)
    assert _until(lambda: "ended: no command for 0.02 minute(s)" in _log(root)), _log(root)
    assert _until(lambda: not (root / "build" / "watch.sock").exists())
    _scribbled_handout_is_built_again(root)  # the next command starts another, which answers it
    assert _log(root).count(STARTED) == 1 and ANSWERED in _log(root)


def test_a_watch_in_a_terminal_takes_over_from_a_resident(resident_project):
    root = resident_project
    _asks_for_a_resident(root, 5)
    assert run_pipeline("-C", str(root), "-q").returncode == 0
    assert STARTED in _log(root)
    watch = Watch(root)
    try:
        assert watch.count("the resident process for this project stopped") == 1, "".join(watch.lines)
        assert "ended: asked to stop" in _log(root)
        _scribbled_handout_is_built_again(root)
        assert watch.count(ANSWERED) == 1, "".join(watch.lines)
        refused = run_pipeline("-C", str(root), "stop")  # a watch in a terminal is stopped there
        assert refused.returncode == 1 and "stop it there (Ctrl-C)" in refused.stderr
    finally:
        watch.stop()


def test_a_wrong_resident_setting_is_an_error_and_starts_nothing(resident_project):
    root = resident_project
    with open(root / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write('[tool.handouts]\nresident = "yes"\n')
    r = run_pipeline("-C", str(root))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "pyproject.toml: error: [tool.handouts] resident must be true or false" in r.stderr
    assert not (root / "build" / "watch.sock").exists()


def test_where_the_system_reports_no_saves_a_resident_looks_at_every_file_when_asked(resident_project, monkeypatch):
    """On WSL or a network share (watchfiles would poll), a resident does not poll in the background:
    each command it runs looks at every file, as the command line alone does."""
    monkeypatch.setenv("WATCHFILES_FORCE_POLLING", "1")
    root = resident_project
    _asks_for_a_resident(root, 5)
    assert run_pipeline("-C", str(root), "-q").returncode == 0
    for n in range(2):
        _edit_and_run(root, n)
    assert _log(root).count(STARTED) == 1 and _log(root).count(ANSWERED) == 3, _log(root)
