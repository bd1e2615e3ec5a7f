"""A translator's catalog is theirs: header, Plural-Forms, flags, escapes and review history survive.

Compared with GNU msgmerge where the two should agree, and with a fresh clone where the
committed catalogs and handouts must come out byte for byte.
"""
import os
import shutil
import subprocess

import polib
import pytest

from conftest import ROOT, run_pipeline, small_project, translate

DOC = "# Fever\n\nTake paracetamol to bring a fever down.\n\nDrink plenty of fluids.\n"


def _gettext(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"GNU gettext's {tool} is not installed (apt-get install -y gettext); .ci/run installs it")
    return found


def _ok(r):
    assert r.returncode == 0, r.stderr
    return r


def test_a_header_written_by_poedit_or_weblate_is_kept_byte_for_byte(tmp_path):
    root = small_project(tmp_path, "fever", DOC, ("de",))
    path = root / "locale" / "de" / "LC_MESSAGES" / "fever.po"
    header = (
        "# German translation of the fever handout.\n"
        "# Copyright (C) 2026 Clinic translators\n"
        "# Ana Müller <ana@example.org>, 2026.\n"
        "#\n"
        'msgid ""\n'
        'msgstr ""\n'
        '"Project-Id-Version: Fever leaflet 3\\n"\n'
        '"Report-Msgid-Bugs-To: docs@example.org\\n"\n'
        '"POT-Creation-Date: 2026-11-01 10:00+0100\\n"\n'
        '"PO-Revision-Date: 2026-11-28 16:42+0100\\n"\n'
        '"Last-Translator: Ana Müller <ana@example.org>\\n"\n'
        '"Language-Team: German <de@li.org>\\n"\n'
        '"Language: de\\n"\n'
        '"MIME-Version: 1.0\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Content-Transfer-Encoding: 8bit\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'
        '"X-Generator: Poedit 3.4.2\\n"\n'
        '"X-Poedit-SourceCharset: UTF-8\\n"\n'
    )
    body = path.read_text(encoding="utf-8").split("\n\n", 1)[1]
    path.write_text(header + "\n" + body, encoding="utf-8")
    translate(root, "de", "fever", {"Fever": "Fieber"})  # polib rewrites the file, as a script would
    path.write_text(header + "\n" + path.read_text(encoding="utf-8").split("\n\n", 1)[1], encoding="utf-8")
    (root / "source" / "fever.md").write_text(DOC + "\nRest at home.\n", encoding="utf-8")
    _ok(run_pipeline("-C", str(root), "update"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith(header + "\n")
    assert 'msgid "Rest at home."' in text and 'msgstr "Fieber"' in text


def test_an_editor_save_followed_by_update_leaves_no_diff(tmp_path):
    """Poedit wraps differently when its wrapping is off; the update has nothing to say, so it writes nothing."""
    root = small_project(tmp_path, "fever", DOC + "\n" + "A long sentence about fever and fluids. " * 6 + "\n", ("de",))
    path = root / "locale" / "de" / "LC_MESSAGES" / "fever.po"
    po = polib.pofile(str(path), wrapwidth=0)
    po.find("Fever").msgstr = "Fieber"
    unwrapped = po.__unicode__()
    path.write_text(unwrapped, encoding="utf-8")
    _ok(run_pipeline("-C", str(root), "update"))
    assert path.read_text(encoding="utf-8") == unwrapped


def test_a_catalog_saved_by_polib_with_its_wrapped_comments_is_not_rewritten(tmp_path):
    """polib (and the scripts and tools built on it) wraps a long ``#.`` comment onto two lines, which
    reads back with a line break in it: the same comment, so the update leaves the file as saved."""
    heading = "Antibiotics: When You Need Them and How to Take Them Safely at Home"
    root = small_project(tmp_path, "fever", DOC + f"\n## {heading}\n\nFinish the course.\n", ("de",))
    path = root / "locale" / "de" / "LC_MESSAGES" / "fever.po"
    po = polib.pofile(str(path))  # its default width, 78
    po.find("Fever").msgstr = "Fieber"
    po.save()
    saved = path.read_text(encoding="utf-8")
    assert f'#. paragraph under "{heading}"' not in saved and "#. paragraph under" in saved
    _ok(run_pipeline("-C", str(root), "update"))
    assert path.read_text(encoding="utf-8") == saved
    (root / "source" / "fever.md").write_text(DOC + f"\n## {heading}\n\nFinish the whole course.\n",
                                              encoding="utf-8")
    _ok(run_pipeline("-C", str(root), "update"))  # a real change: written, in the pipeline's own form
    text = path.read_text(encoding="utf-8")
    assert f'#. paragraph under "{heading}"\n#: source/fever.md:9\nmsgid "Finish the whole course."' in text
    assert 'msgstr "Fieber"' in text


def test_plural_forms_of_existing_catalogs_are_kept_and_rule_the_handout(tmp_path):
    """Spanish with two forms (Babel 2.19 says three), Arabic with the older GNU expression (forms 4 and 5 swapped)."""
    (tmp_path / "source").mkdir()
    paras = [f"Paragraph {n} of the note." for n in range(1, 13)]
    (tmp_path / "source" / "note.md").write_text("# Note\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "LINGUAS").write_text("ar\nes\n", encoding="utf-8")
    for code in ("ar", "es"):
        (tmp_path / "locale" / code / "LC_MESSAGES").mkdir(parents=True)
        shutil.copyfile(ROOT / "locale" / code / "LC_MESSAGES" / "handouts.po",
                        tmp_path / "locale" / code / "LC_MESSAGES" / "handouts.po")
    before = {c: (tmp_path / "locale" / c / "LC_MESSAGES" / "handouts.po").read_text(encoding="utf-8") for c in ("ar", "es")}
    _ok(run_pipeline("-C", str(tmp_path), "update"))
    translate(tmp_path, "ar", "note", {"Note": "ملاحظة"})
    translate(tmp_path, "es", "note", {"Note": "Nota"})
    _ok(run_pipeline("-C", str(tmp_path), "--min-translated", "0"))
    for code in ("ar", "es"):
        after = (tmp_path / "locale" / code / "LC_MESSAGES" / "handouts.po").read_text(encoding="utf-8")
        assert after == before[code]  # nothing to merge: not one byte changed
    es = polib.pofile(str(tmp_path / "locale" / "es" / "LC_MESSAGES" / "handouts.po"))
    assert es.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    ar = polib.pofile(str(tmp_path / "locale" / "ar" / "LC_MESSAGES" / "handouts.po"))
    assert "n%100>=0 && n%100<=2 ? 4 : 5" in ar.metadata["Plural-Forms"]  # the older expression: 11-99 is form 5
    note = "%(count)s passage of this handout is not translated yet and is shown in English."
    es_forms = es.find(note).msgstr_plural
    ar_forms = ar.find(note).msgstr_plural
    html = (tmp_path / "output" / "es" / "note.html").read_text(encoding="utf-8")
    assert es_forms[1].replace("%(count)s", "12") in html
    html = (tmp_path / "output" / "ar" / "note.html").read_text(encoding="utf-8")
    assert ar_forms[5].replace("%(count)s", "12") in html  # the catalog's own rule, not Babel's (form 4)
    # the translator adopts the newer expression: the same count now takes form 4
    path = tmp_path / "locale" / "ar" / "LC_MESSAGES" / "handouts.po"
    text = path.read_text(encoding="utf-8").replace("n%100>=0 && n%100<=2 ? 4 : 5", "n%100>=11 ? 4 : 5")
    path.write_text(text, encoding="utf-8")
    _ok(run_pipeline("-C", str(tmp_path), "--min-translated", "0"))
    html = (tmp_path / "output" / "ar" / "note.html").read_text(encoding="utf-8")
    assert ar_forms[4].replace("%(count)s", "12") in html


def test_raising_nplurals_adds_empty_forms_and_marks_them_fuzzy_losing_nothing(tmp_path):
    root = small_project(tmp_path, "fever", DOC, ("es",))
    path = root / "locale" / "es" / "LC_MESSAGES" / "handouts.po"
    shutil.copyfile(ROOT / "locale" / "es" / "LC_MESSAGES" / "handouts.po", path)
    old = polib.pofile(str(path))
    text = path.read_text(encoding="utf-8").replace(
        "nplurals=2; plural=(n != 1);", "nplurals=3; plural=(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2);")
    path.write_text(text, encoding="utf-8")
    _ok(run_pipeline("-C", str(root), "update"))
    new = polib.pofile(str(path))
    assert "nplurals=3" in new.metadata["Plural-Forms"]
    plurals = [e for e in new if e.msgid_plural]
    assert plurals
    for entry in plurals:
        before = old.find(entry.msgid).msgstr_plural
        assert entry.msgstr_plural == {0: before[0], 1: before[1], 2: ""}
        assert "fuzzy" in entry.flags
    assert subprocess.run([_gettext("msgfmt"), "-c", "-o", os.devnull, str(path)]).returncode == 0


def test_previous_msgid_keeps_the_english_the_translation_was_written_for(tmp_path):
    """Two edits before review: `#|` still shows the first English, as msgmerge --previous keeps it."""
    v1 = "# Ice\n\nIt is safe to use ice packs for up to 20 minutes at a time.\n"
    v2 = v1.replace("It is safe", "It is usually safe")
    v3 = v1.replace("It is safe", "It is not safe")
    root = small_project(tmp_path, "ice", v1, ("de",))
    translate(root, "de", "ice", {"It is safe to use ice packs for up to 20 minutes at a time.":
                                  "Kühlpacks können bis zu 20 Minuten am Stück sicher verwendet werden."})
    work = root / "work"
    shutil.copytree(root / "locale", work)
    for version in (v2, v3):
        (root / "source" / "ice.md").write_text(version, encoding="utf-8")
        _ok(run_pipeline("-C", str(root), "update"))
    entry = polib.pofile(str(root / "locale" / "de" / "LC_MESSAGES" / "ice.po")).find(
        "It is not safe to use ice packs for up to 20 minutes at a time.")
    assert "fuzzy" in entry.flags
    assert entry.previous_msgid == "It is safe to use ice packs for up to 20 minutes at a time."
    # GNU msgmerge, given the same two steps, keeps the same previous msgid
    msgmerge = _gettext("msgmerge")
    po = work / "de" / "LC_MESSAGES" / "ice.po"
    for version in (v2, v3):
        (root / "source" / "ice.md").write_text(version, encoding="utf-8")
        _ok(run_pipeline("-C", str(root), "update"))
        subprocess.run([msgmerge, "-q", "--previous", "-U", "--backup=none", str(po), str(root / "locale" / "ice.pot")],
                       check=True)
    gnu = polib.pofile(str(po)).find("It is not safe to use ice packs for up to 20 minutes at a time.")
    assert gnu.previous_msgid == entry.previous_msgid


def test_no_wrap_flag_and_c_escapes_survive_an_update_as_msgcat_writes_them(tmp_path):
    root = small_project(tmp_path, "fever", DOC, ("de",))
    path = root / "locale" / "de" / "LC_MESSAGES" / "fever.po"
    text = path.read_text(encoding="utf-8")
    long = "Nehmen Sie Paracetamol, um das Fieber zu senken, und fragen Sie Ihre Apotheke, wie viel Sie nehmen dürfen."
    text = text.replace('msgid "Take paracetamol to bring a fever down."\nmsgstr ""',
                        f'#, no-wrap\nmsgid "Take paracetamol to bring a fever down."\nmsgstr "{long}"')
    text = text.replace('msgid "Fever"\nmsgstr ""', 'msgid "Fever"\nmsgstr "Fieber \\x3f \\101 \\a"')
    path.write_text(text, encoding="utf-8")
    (root / "source" / "fever.md").write_text(DOC + "\nRest at home.\n", encoding="utf-8")
    _ok(run_pipeline("-C", str(root), "update"))
    written = path.read_text(encoding="utf-8")
    assert f'msgstr "{long}"' in written  # one line: no-wrap is honoured
    assert polib.pofile(str(path)).find("Fever").msgstr == "Fieber ? A \\a"  # polib does not decode \a
    assert 'msgstr "Fieber ? A \\a"' in written
    r = subprocess.run([_gettext("msgcat"), str(path)], capture_output=True, text=True, encoding="utf-8")
    assert r.stdout == written


def test_init_of_one_language_touches_no_other_and_follows_gnu_msginit(tmp_path):
    root = small_project(tmp_path, "fever", DOC, ("ar", "es", "fr"))
    before = {p: p.read_bytes() for p in (root / "locale").rglob("*.po")}
    for code, forms in (("pt_BR", "nplurals=2; plural=(n > 1);"), ("he", "nplurals=2; plural=(n != 1);")):
        _ok(run_pipeline("-C", str(root), "init", code))
        po = polib.pofile(str(root / "locale" / code / "LC_MESSAGES" / "fever.po"))
        assert po.metadata["Plural-Forms"] == forms
    assert {p: p.read_bytes() for p in before} == before


def test_a_new_document_follows_its_languages_existing_plural_forms(tmp_path):
    root = small_project(tmp_path, "fever", DOC, ("es",))
    path = root / "locale" / "es" / "LC_MESSAGES" / "fever.po"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "nplurals=2; plural=(n != 1);", "nplurals=3; plural=(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2);"),
        encoding="utf-8")
    (root / "source" / "cold.md").write_text("# Cold\n\nRest.\n", encoding="utf-8")
    _ok(run_pipeline("-C", str(root), "update"))
    assert "nplurals=3" in polib.pofile(str(root / "locale" / "es" / "LC_MESSAGES" / "cold.po")).metadata["Plural-Forms"]


def test_gettext_modifiers_become_bcp47_tags(tmp_path):
    root = small_project(tmp_path, "fever", DOC, ("sr@latin",))
    _ok(run_pipeline("-C", str(root), "--min-translated", "0"))
    html = (root / "output" / "sr@latin" / "fever.html").read_text(encoding="utf-8")
    assert '<html lang="sr-Latn"' in html
    assert 'lang="sr-Latn"' in (root / "output" / "index.html").read_text(encoding="utf-8")


def test_every_template_passes_msgfmt_and_every_catalog_merges_with_gnu_msgmerge(tmp_path):
    msgfmt, msgmerge = _gettext("msgfmt"), _gettext("msgmerge")
    root = small_project(tmp_path, "fever", DOC, ("ar", "de", "es", "fr", "zh_CN", "ja", "ru"))
    for project in (ROOT, root):
        templates = sorted((project / "locale").glob("*.pot"))
        assert templates
        for pot in templates:
            r = subprocess.run([msgfmt, "-c", "-o", os.devnull, str(pot)], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            for po in sorted((project / "locale").glob(f"*/LC_MESSAGES/{pot.stem}.po")):
                out = tmp_path / "merged.po"
                r = subprocess.run([msgmerge, "-q", "--previous", str(po), str(pot), "-o", str(out)],
                                   capture_output=True, text=True)
                assert r.returncode == 0, r.stderr
                # the pipeline's catalog is exactly what msgmerge makes of it
                assert out.read_text(encoding="utf-8") == po.read_text(encoding="utf-8"), po


def _tracked_files() -> list[str] | None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    r = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True)
    return [f for f in r.stdout.decode("utf-8").split("\0") if f] if r.returncode == 0 else None


def test_a_fresh_clone_builds_exactly_the_committed_catalogs_and_handouts(tmp_path):
    """What a newcomer gets: a clean copy of the repository, `python pipeline.py`, no change in locale/ or output/."""
    files = _tracked_files()
    if files is None:  # not a git checkout (a source archive): the folders as they are
        files = [p.relative_to(ROOT).as_posix() for folder in ("source", "locale", "output", "handouts")
                 for p in (ROOT / folder).rglob("*") if p.is_file()] + ["pipeline.py", "pyproject.toml"]
    for name in files:
        if (ROOT / name).is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / name, tmp_path / name)
    r = subprocess.run([os.sys.executable, str(tmp_path / "pipeline.py")], cwd=tmp_path,
                       capture_output=True, text=True, encoding="utf-8")
    assert r.returncode == 0, r.stderr
    changed = [name for name in files if name.startswith(("locale/", "output/"))
               and (tmp_path / name).read_bytes() != (ROOT / name).read_bytes()]
    assert changed == []
    made = {p.relative_to(tmp_path).as_posix() for folder in ("locale", "output")
            for p in (tmp_path / folder).rglob("*") if p.is_file()}
    assert made <= set(files), sorted(made - set(files))
