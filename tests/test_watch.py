"""Live preview: `python pipeline.py watch` serves the handouts and shows a saved change within seconds."""
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT, ctrl_c_as_at_a_terminal, run_pipeline, small_project, translate

DOC = "# Fever\n\nDrink plenty of fluids.\n"


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def _until(predicate, seconds=10.0):
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        value = predicate()
        if value:
            return time.monotonic() - start
        time.sleep(0.05)
    pytest.fail("nothing changed in time")


@pytest.fixture(params=["reported"])
def watching(tmp_path, request):
    """A preview of a small project; ``polled``: as on WSL or a network share, where the system
    reports no saves and watchfiles polls (``WATCHFILES_FORCE_POLLING``)."""
    root = small_project(tmp_path, "fever", DOC, ("de",))
    po = translate(root, "de", "fever", {"Fever": "Fieber", "Drink plenty of fluids.": "Trinken Sie viel."})
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    if request.param == "polled":
        env["WATCHFILES_FORCE_POLLING"] = "1"
    proc = subprocess.Popen([sys.executable, str(ROOT / "pipeline.py"), "-C", str(root), "watch", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            preexec_fn=ctrl_c_as_at_a_terminal)
    lines = []
    url = None
    start = time.monotonic()
    while url is None and time.monotonic() - start < 30:
        line = proc.stdout.readline()
        lines.append(line)
        m = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
        url = m.group(1) if m else None
    assert url, "".join(lines)
    yield root, po, url, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("watching", ["reported", "polled"], indirect=True)
def test_a_saved_translation_reaches_the_served_page_within_seconds(watching):
    root, po, url, proc = watching
    page = _get(url + "de/fever.html")
    assert "Trinken Sie viel." in page and "/__handouts__/status" in page  # the reload script
    generation = _get(url + "__handouts__/status")
    po.write_text(po.read_text(encoding="utf-8").replace("Trinken Sie viel.", "Trinken Sie reichlich."),
                  encoding="utf-8")
    seconds = _until(lambda: "Trinken Sie reichlich." in _get(url + "de/fever.html"))
    assert seconds < 5
    # so the open page reloads itself: the generation moves when the rebuild ends, a moment
    # after its files are written (the page polls it every 0.4 s)
    assert _until(lambda: _get(url + "__handouts__/status") != generation, seconds=2.0) < 2.0
    assert "Trinken Sie reichlich." in po.read_text(encoding="utf-8")  # the save is the translator's, untouched
    print(f"a saved msgstr was served after {seconds:.2f} s")


def test_a_broken_catalog_shows_its_error_on_the_page_and_the_preview_goes_on(watching):
    root, po, url, proc = watching
    good = po.read_text(encoding="utf-8")
    po.write_text(good.replace('msgstr "Trinken Sie viel."', 'msgstr "Trinken Sie viel.'), encoding="utf-8")
    _until(lambda: "locale/de/LC_MESSAGES/fever.po:" in _get(url + "__handouts__/status"))
    page = _get(url + "de/fever.html")
    assert re.search(r'id="handouts-errors".*locale/de/LC_MESSAGES/fever\.po:\d+: error: ', page, re.S)
    po.write_text(good.replace("Trinken Sie viel.", "Trinken Sie genug."), encoding="utf-8")
    _until(lambda: "Trinken Sie genug." in _get(url + "de/fever.html"))
    # the handout is written before the run ends and clears the error: the page reloads when it has
    _until(lambda: "handouts-errors" not in _get(url + "de/fever.html").split("<script>")[0], seconds=2.0)
    assert proc.poll() is None


def test_ctrl_c_ends_the_preview_cleanly(watching):
    root, po, url, proc = watching
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out
    assert "watch: stopped" in out and "Traceback" not in out, out


def _save_by_rename(path, text):
    """Save as Poedit, gedit or vim (writebackup) do: a new file renamed over the old one."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@pytest.mark.parametrize("watching", ["reported", "polled"], indirect=True)
def test_a_catalog_saved_by_renaming_a_new_file_over_it_is_built(watching):
    root, po, url, proc = watching
    _save_by_rename(po, po.read_text(encoding="utf-8").replace("Trinken Sie viel.", "Trinken Sie Wasser."))
    _until(lambda: "Trinken Sie Wasser." in _get(url + "de/fever.html"))
    # and again: the watch is on the folder, not on the file the first rename replaced
    _save_by_rename(po, po.read_text(encoding="utf-8").replace("Trinken Sie Wasser.", "Trinken Sie Tee."))
    _until(lambda: "Trinken Sie Tee." in _get(url + "de/fever.html"))


def test_a_configuration_saved_by_renaming_a_new_file_over_it_is_built(watching):
    root, po, url, proc = watching
    handout = root / "output" / "de" / "fever.html"
    # most of the German is fuzzy now: below the default threshold (80 %), no German handout
    translate(root, "de", "fever", {}, fuzzy=("Drink plenty of fluids.",))
    _until(lambda: not handout.exists())
    _save_by_rename(root / "pyproject.toml", "[tool.handouts]\nmin-translated = 10\n")
    _until(lambda: handout.exists())
    _save_by_rename(root / "pyproject.toml", "[tool.handouts]\nmin-translated = 90\n")  # seen again
    _until(lambda: not handout.exists())


def test_a_templates_folder_made_while_watching_is_watched_and_used(watching):
    root, po, url, proc = watching
    folder = root / "templates"
    folder.mkdir()
    text = (ROOT / "handouts" / "templates" / "handout.txt.j2").read_text(encoding="utf-8")
    (folder / "handout.txt.j2").write_text("Clinic of the Two Rivers\n" + text, encoding="utf-8")
    _until(lambda: "Clinic of the Two Rivers" in _get(url + "de/fever.txt"))
    # a save inside the new folder, once it is watched
    (folder / "handout.txt.j2").write_text("Clinic of the Three Rivers\n" + text, encoding="utf-8")
    _until(lambda: "Clinic of the Three Rivers" in _get(url + "de/fever.txt"))


def test_a_handout_touched_while_watching_is_built_again_by_the_next_save(watching):
    root, po, url, proc = watching
    english = root / "output" / "en" / "fever.html"
    good = english.read_text(encoding="utf-8")
    time.sleep(0.3)
    english.write_text("scribbled over", encoding="utf-8")  # not an input: nothing is built for it alone
    po.write_text(po.read_text(encoding="utf-8").replace("Trinken Sie viel.", "Trinken Sie Saft."), encoding="utf-8")
    _until(lambda: "Trinken Sie Saft." in _get(url + "de/fever.html"))
    _until(lambda: english.read_text(encoding="utf-8") == good, seconds=3.0)


def test_pre_fills_under_the_preview_follow_the_translations_saved_meanwhile(watching):
    """The preview keeps each language's memory of translations between saves, unwritten: a new
    document is pre-filled from what the translator saved last, and a command-line run afterwards
    (reading the memory file the preview left as it was) changes nothing."""
    root, po, url, proc = watching
    cold = root / "locale" / "de" / "LC_MESSAGES" / "cold.po"
    (root / "source" / "cold.md").write_text("# Cold\n\nDrink plenty of fluids.\n", encoding="utf-8")
    _until(lambda: cold.exists() and 'msgstr "Trinken Sie viel."' in cold.read_text(encoding="utf-8"))
    po.write_text(po.read_text(encoding="utf-8").replace("Trinken Sie viel.", "Trinken Sie reichlich."),
                  encoding="utf-8")
    _until(lambda: "Trinken Sie reichlich." in _get(url + "de/fever.html"))
    flu = root / "locale" / "de" / "LC_MESSAGES" / "flu.po"
    (root / "source" / "flu.md").write_text("# Flu\n\nDrink plenty of fluids.\n", encoding="utf-8")
    _until(lambda: flu.exists() and 'msgstr "Trinken Sie reichlich."' in flu.read_text(encoding="utf-8"))
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=10)
    before = {p: p.read_bytes() for p in (root / "locale").rglob("*.po")}
    r = run_pipeline("-C", str(root))
    assert r.returncode == 0, r.stderr
    assert {p: p.read_bytes() for p in (root / "locale").rglob("*.po")} == before
