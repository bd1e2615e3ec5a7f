"""Hostile and broken input: every problem is `path:line: error:`, exit 2, no traceback, nothing written.

Catalogs a translator broke live in tests/hostile/ (see its README); file-system trouble
(a full disk, a read-only folder, a folder where a file belongs, symlink loops, a FIFO)
is made for real in a scratch project.
"""
import fcntl
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import run_pipeline, small_project, translate

HOSTILE = Path(__file__).parent / "hostile"
CASES = sorted(HOSTILE.glob("*.po"))
DOSE = "# Dose\n\nTake 2 tablets every 4 hours.\n"


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _project(tmp_path: Path) -> Path:
    return small_project(tmp_path, "dose", DOSE, ("de",))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_a_broken_catalog_stops_the_update_with_its_line(tmp_path, case):
    name, domain = case.stem.rsplit(".", 1)
    where, words = case.with_suffix(".expect").read_text(encoding="utf-8").splitlines()[0].split(": ", 1)
    root = _project(tmp_path)
    target = root / "locale" / "de" / "LC_MESSAGES" / f"{domain}.po"
    shutil.copyfile(case, target)
    before = snapshot(root)
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 2, r.stderr
    first = r.stderr.splitlines()[0]
    assert first.startswith(f"locale/de/LC_MESSAGES/{domain}.po:{where}: error: "), first
    assert words in first, first
    assert "Traceback" not in r.stderr
    assert snapshot(root) == before  # nothing written, the translator's file as it was


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_gnu_msgfmt_agrees_about_each_hostile_catalog(case):
    if not shutil.which("msgfmt"):
        pytest.skip("GNU gettext is not installed (apt-get install -y gettext)")
    verdict = case.with_suffix(".expect").read_text(encoding="utf-8").splitlines()[1]
    r = subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(case)], capture_output=True)
    assert (r.returncode != 0) == (verdict == "msgfmt -c: rejects"), r.stderr


def test_an_empty_catalog_is_an_error_not_a_fresh_start(tmp_path):
    root = _project(tmp_path)
    path = translate(root, "de", "dose", {"Dose": "Dosis"})
    path.write_bytes(b"")  # what a save caught after its truncate looks like, if it never finishes
    before = snapshot(root)
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 2
    assert r.stderr.startswith("locale/de/LC_MESSAGES/dose.po: error: the catalog is empty")
    assert snapshot(root) == before


def test_a_catalog_cut_off_in_mid_string_is_an_error(tmp_path):
    root = _project(tmp_path)
    path = translate(root, "de", "dose", {"Dose": "Dosis", "Take 2 tablets every 4 hours.": "Alle 4 Stunden 2 Tabletten."})
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"Alle 4") + 4])
    before = snapshot(root)
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 2 and "locale/de/LC_MESSAGES/dose.po:" in r.stderr and "Traceback" not in r.stderr
    assert snapshot(root) == before


def test_a_full_disk_is_reported_and_damages_nothing(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (mount / "project").mkdir()
        root = _project(mount / "project")
        translate(root, "de", "dose", {"Dose": "Dosis"})
        (root / "source" / "dose.md").write_text(DOSE + "\nDrink water.\n" * 1, encoding="utf-8")
        filler = mount / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:  # fill the disk to the last byte
            for size in (65536, 4096, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    continue
        finally:
            os.close(fd)
        before = snapshot(root)
        r = run_pipeline("-C", str(root), "update")
        assert r.returncode == 2, r.stderr
        assert "No space left on device" in r.stderr and "Traceback" not in r.stderr
        assert ": error: cannot write" in r.stderr
        assert snapshot(root) == before
        assert not [p for p in root.rglob("*") if p.name.endswith(".handouts-tmp")]
    finally:
        subprocess.run(["umount", str(mount)])


def test_a_read_only_folder_is_reported(tmp_path):
    if not shutil.which("chattr") or os.geteuid() != 0:
        pytest.skip("needs chattr and root to make a folder immutable")
    root = _project(tmp_path)
    (root / "source" / "dose.md").write_text(DOSE + "\nDrink water.\n", encoding="utf-8")
    folder = root / "locale" / "de" / "LC_MESSAGES"
    if subprocess.run(["chattr", "+i", str(folder)]).returncode != 0:
        pytest.skip("this file system has no immutable flag")
    try:
        r = run_pipeline("-C", str(root), "update")
    finally:
        subprocess.run(["chattr", "-i", str(folder)])
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "locale/de/LC_MESSAGES/dose.po: error: cannot write: Operation not permitted" in r.stderr


def test_a_file_where_a_folder_belongs_is_reported(tmp_path):
    root = _project(tmp_path)
    shutil.rmtree(root / "locale" / "de")
    (root / "locale" / "de").write_text("not a folder", encoding="utf-8")
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "locale/de/LC_MESSAGES" in r.stderr and ": error: " in r.stderr
    (root / "locale" / "de").unlink()
    assert run_pipeline("-C", str(root), "update").returncode == 0
    (root / "output").write_text("not a folder", encoding="utf-8")
    r = run_pipeline("-C", str(root), "build")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "output" in r.stderr


def test_a_folder_where_a_handout_belongs_is_reported(tmp_path):
    root = _project(tmp_path)
    (root / "output" / "en" / "dose.html").mkdir(parents=True)
    r = run_pipeline("-C", str(root), "build")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "output/en/dose.html: error: cannot write: is a directory" in r.stderr


def test_a_symlinked_catalog_is_written_through_and_stays_a_symlink(tmp_path):
    root = _project(tmp_path)
    real = root / "shared-de.po"
    po = root / "locale" / "de" / "LC_MESSAGES" / "dose.po"
    po.rename(real)
    po.symlink_to(real)
    translate(root, "de", "dose", {"Dose": "Dosis"})
    (root / "source" / "dose.md").write_text(DOSE + "\nDrink water.\n", encoding="utf-8")
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 0, r.stderr
    assert po.is_symlink()
    assert 'msgid "Drink water."' in real.read_text(encoding="utf-8")
    assert 'msgstr "Dosis"' in real.read_text(encoding="utf-8")


def test_a_symlink_loop_is_an_error_not_a_missing_catalog(tmp_path):
    root = _project(tmp_path)
    run_pipeline("-C", str(root), "build")
    po = root / "locale" / "de" / "LC_MESSAGES" / "dose.po"
    po.unlink()
    po.symlink_to(po)
    before = snapshot(root)
    for command in ("update", "build"):
        r = run_pipeline("-C", str(root), command)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "locale/de/LC_MESSAGES/dose.po" in r.stderr and "symbolic links" in r.stderr
    assert snapshot(root) == before  # the German handout was not deleted


def test_a_fifo_in_source_is_refused_not_waited_on(tmp_path):
    root = _project(tmp_path)
    os.mkfifo(root / "source" / "pipe.md")
    r = subprocess.run([*__import__("sys").executable.split(), str(Path(__file__).parent.parent / "pipeline.py"),
                        "-C", str(root), "update"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "source/pipe.md: error: is not a regular file" in r.stderr


def test_lists_nested_past_the_parser_limit_are_an_error_not_lost_text(tmp_path):
    deep = "".join("  " * i + f"- level {i}\n" for i in range(12)) + "\nThis must not vanish.\n"
    root = tmp_path
    (root / "source").mkdir()
    (root / "source" / "deep.md").write_text("# Deep\n\n" + deep, encoding="utf-8")
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("source/deep.md:") and "nested too deeply" in r.stderr


def test_control_characters_in_a_source_are_refused_with_their_line(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "odd.md").write_text("# Odd\n\nWhat is\x1eketamine?\n", encoding="utf-8")
    r = run_pipeline("-C", str(tmp_path), "update")
    assert r.returncode == 2
    assert r.stderr.startswith("source/odd.md:3: error: control character U+001E")


def test_line_separators_in_a_source_and_a_translation_survive_the_round_trip(tmp_path):
    text = "# Odd\n\nWhat is\u2028ketamine? Line\u0085next, para\u2029sep.\n"
    root = small_project(tmp_path, "odd", text, ("de",))
    msgid = "What is\u2028ketamine? Line\u0085next, para\u2029sep."
    path = translate(root, "de", "odd", {"Odd": "Seltsam", msgid: "Was ist\u2028Ketamin? Zeile\u0085weiter, Abs\u2029atz."})
    for _ in range(2):
        r = run_pipeline("-C", str(root))
        assert r.returncode == 0, r.stderr
    import polib  # an independent reader (given a path, it splits lines at \n only, as GNU does)

    assert polib.pofile(str(path)).find(msgid).msgstr == "Was ist\u2028Ketamin? Zeile\u0085weiter, Abs\u2029atz."
    if shutil.which("msgfmt"):
        assert subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(path)]).returncode == 0
    assert "Ketamin? Zeile\u0085weiter" in (root / "output" / "de" / "odd.html").read_text(encoding="utf-8")


def test_a_second_run_waits_for_nobody_and_says_why(tmp_path):
    root = _project(tmp_path)
    fd = os.open(root, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what a running `python pipeline.py` holds
    try:
        before = snapshot(root)
        r = run_pipeline("-C", str(root), "update")
    finally:
        os.close(fd)
    assert r.returncode == 2
    assert "another pipeline run is working on this project" in r.stderr
    assert snapshot(root) == before
    assert run_pipeline("-C", str(root), "update").returncode == 0


def test_temporary_files_a_killed_run_left_are_cleaned(tmp_path):
    root = _project(tmp_path)
    leftover = root / "locale" / "de" / "LC_MESSAGES" / ".dose.po.0123456789ab.handouts-tmp"
    leftover.write_text("half a catalog", encoding="utf-8")
    mine = root / "locale" / "de" / "LC_MESSAGES" / ".dose.po.swp"  # not ours: an editor's
    mine.write_text("editor state", encoding="utf-8")
    assert run_pipeline("-C", str(root), "update").returncode == 0
    assert not leftover.exists()
    assert mine.exists()


def test_a_temporary_file_left_in_a_folder_listed_long_before_is_cleaned(tmp_path):
    """A run lists only the folders written to since their last listing (kept in build/); a killed
    run's temporary file moves its folder, so the next run still finds it."""
    root = _project(tmp_path)
    assert run_pipeline("-C", str(root)).returncode == 0
    time.sleep(2.1)  # the folders' last change is now old enough for a listing of them to be trusted
    assert run_pipeline("-C", str(root)).returncode == 0
    leftover = root / "locale" / "de" / "LC_MESSAGES" / ".dose.po.0123456789ab.handouts-tmp"
    leftover.write_text("half a catalog", encoding="utf-8")
    assert run_pipeline("-C", str(root)).returncode == 0
    assert not leftover.exists()


@pytest.mark.parametrize("mistake", ["Zuletzt geprüft: %(datum)s", "Zu 100% geprüft: %(date)s", "Geprüft (%): %(date)s"])
def test_a_placeholder_mistake_in_the_templates_words_never_crashes_a_build(tmp_path, mistake):
    root = _project(tmp_path)
    (root / "source" / "dose.toml").write_text("reviewed = 2026-11-24\n", encoding="utf-8")
    translate(root, "de", "dose", {"Dose": "Dosis", "Take 2 tablets every 4 hours.": "Alle 4 Stunden 2 Tabletten."})
    translate(root, "de", "handouts", {"Last reviewed: %(date)s": mistake})
    r = run_pipeline("-C", str(root), "check")
    assert r.returncode == 1 and "locale/de/LC_MESSAGES/handouts.po:" in r.stderr and "placeholders" in r.stderr
    r = run_pipeline("-C", str(root), "build")
    assert r.returncode == 0, r.stderr
    html = (root / "output" / "de" / "dose.html").read_text(encoding="utf-8")
    assert '<span lang="en" dir="ltr">Last reviewed: 24. November 2026</span>' in html  # English, marked, not a crash
    r = run_pipeline("-C", str(root), "update")  # msgfmt -c would reject this catalog: update says where
    assert r.returncode == 2 and r.stderr.startswith("locale/de/LC_MESSAGES/handouts.po:")


TEMPLATES = Path(__file__).resolve().parent.parent / "handouts" / "templates"


@pytest.mark.parametrize("name, append, line_of, message", [
    # a syntax error: Babel's extractor skips such a template, so its words would have gone from the
    # templates' catalog (and to obsolete in every language) had the update not stopped
    ("handout.txt.j2", '{{ ui("Printed copy" }}\n', "last", "template error: unexpected '}', expected ')'"),
    ("handout.html.j2", "{% if %}\n", "last", "template error: Expected an expression"),
    # one that parses and fails as it renders, in a forked worker
    ("handout.txt.j2", "{{ no_such_name }}\n", "last", "template error: 'no_such_name' is undefined"),
    # a style sheet the handout includes, replaced by the project's
    ("handout.css", "{% for %}\n", "first", "template error: Expected"),
])
def test_a_broken_project_template_is_its_line_not_a_traceback(tmp_path, name, append, line_of, message):
    root = _project(tmp_path)
    (root / "templates").mkdir()
    path = root / "templates" / name
    text = (TEMPLATES / name).read_text(encoding="utf-8") + append if name.endswith(".j2") else append
    path.write_text(text, encoding="utf-8")
    line = text.count("\n") if line_of == "last" else 1
    before = {k: v for k, v in snapshot(root).items() if k.startswith("locale/")}
    for command in ((), ("build",)):
        r = run_pipeline("-C", str(root), *command)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith(f"templates/{name}:{line}: error: {message}"), r.stderr
        assert "Traceback" not in r.stderr
        if "undefined" not in message:  # (a template that parses gives the update its words, as it should)
            assert {k: v for k, v in snapshot(root).items() if k.startswith("locale/")} == before


def test_a_project_template_that_is_not_utf8_is_its_line(tmp_path):
    root = _project(tmp_path)
    (root / "templates").mkdir()
    text = (TEMPLATES / "handout.txt.j2").read_bytes()
    (root / "templates" / "handout.txt.j2").write_bytes(text + b"caf\xe9\n")
    line = text.count(b"\n") + 1
    for command in ((), ("build",)):
        r = run_pipeline("-C", str(root), *command)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith(f"templates/handout.txt.j2:{line}: error: the template is not UTF-8 (byte 0xe9)"), \
            r.stderr
        assert "Traceback" not in r.stderr


def test_of_two_broken_sources_repaired_in_parallel_the_first_by_name_is_reported(tmp_path):
    # five documents or more are repaired by forked workers and this process, each taking the next, the
    # longest first; the error reported is the one a serial run meets first, whatever finished first
    (tmp_path / "source").mkdir()
    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "LINGUAS").write_text("de\n", encoding="utf-8")
    for n in range(1, 7):
        (tmp_path / "source" / f"doc{n}.md").write_text(f"# Doc {n}\n\nTake 2 tablets a day.\n", encoding="utf-8")
    (tmp_path / "source" / "doc2.md").write_bytes(b"# Short\n\ncaf\xe9\n")
    (tmp_path / "source" / "doc5.md").write_bytes(b"# Long\n\n" + b"Take 2 tablets a day with water. " * 40 + b"caf\xe9\n")
    for _ in range(2):
        r = run_pipeline("-C", str(tmp_path), "-j", "2")
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("source/doc2.md:3: error: not valid UTF-8"), r.stderr
        assert "Traceback" not in r.stderr
        assert not (tmp_path / "locale" / "de" / "LC_MESSAGES").exists()  # nothing reached the catalogs
