"""Catalogs on disk: templates, per-language catalogs, and what an update keeps."""
import io
import shutil
import subprocess

import polib
import pytest
from babel.messages.pofile import read_po

from conftest import ROOT, run_pipeline

DOC_V1 = """# Fever in adults

Take paracetamol to bring a fever down.

Drink plenty of fluids.

Rest at home.
"""

DOC_V2 = """# Fever in adults

Take paracetamol or ibuprofen to bring a fever down.

Drink plenty of fluids.

See a doctor if it lasts more than 3 days.
"""


def make_project(tmp_path, text=DOC_V1, langs=("es",)):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "fever.md").write_text(text, encoding="utf-8")
    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "LINGUAS").write_text("".join(f"{l}\n" for l in langs), encoding="utf-8")
    return tmp_path


def update(root):
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 0, r.stderr
    return r


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_update_writes_template_and_catalog_with_locations_and_context(tmp_path):
    root = make_project(tmp_path)
    update(root)
    pot = polib.pofile(str(root / "locale" / "fever.pot"))
    assert [e.msgid for e in pot] == ["Fever in adults", "Take paracetamol to bring a fever down.",
                                      "Drink plenty of fluids.", "Rest at home."]
    assert pot[1].occurrences == [("source/fever.md", "3")]
    assert pot[1].comment == 'paragraph under "Fever in adults"'
    po = polib.pofile(str(root / "locale" / "es" / "LC_MESSAGES" / "fever.po"))
    assert po.metadata["Language"] == "es"
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    # a new catalog takes GNU gettext's Plural-Forms (what msginit writes), not the installed Babel's
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert "POT-Creation-Date" not in po.metadata


def test_catalog_round_trips_through_polib_and_babel(tmp_path):
    root = make_project(tmp_path, langs=("ar",))
    update(root)
    path = root / "locale" / "ar" / "LC_MESSAGES" / "fever.po"
    po = polib.pofile(str(path))
    po[0].msgstr = "الحمى عند البالغين"
    path.write_text(str(po) + "\n", encoding="utf-8")
    update(root)
    text = path.read_text(encoding="utf-8")
    with io.BytesIO(text.encode("utf-8")) as f:
        catalog = read_po(f, locale="ar")
    assert catalog.num_plurals == 6
    assert catalog.get("Fever in adults").string == "الحمى عند البالغين"
    assert polib.pofile(text).find("Fever in adults").msgstr == "الحمى عند البالغين"


def test_update_keeps_unchanged_work_marks_changed_fuzzy_and_keeps_removed_as_obsolete(tmp_path):
    root = make_project(tmp_path)
    update(root)
    path = root / "locale" / "es" / "LC_MESSAGES" / "fever.po"
    po = polib.pofile(str(path))
    work = {
        "Fever in adults": "Fiebre en adultos",
        "Take paracetamol to bring a fever down.": "Tome paracetamol para bajar la fiebre.",
        "Drink plenty of fluids.": "Beba muchos líquidos.",
        "Rest at home.": "Descanse en casa.",
    }
    for entry in po:
        entry.msgstr = work[entry.msgid]
    po.find("Rest at home.").tcomment = "checked by Ana"
    path.write_text(str(po) + "\n", encoding="utf-8")

    (root / "source" / "fever.md").write_text(DOC_V2, encoding="utf-8")
    update(root)
    po = polib.pofile(str(path))
    assert po.find("Drink plenty of fluids.").msgstr == "Beba muchos líquidos."
    assert "fuzzy" not in po.find("Drink plenty of fluids.").flags
    changed = po.find("Take paracetamol or ibuprofen to bring a fever down.")
    assert changed.msgstr == "Tome paracetamol para bajar la fiebre."
    assert "fuzzy" in changed.flags
    assert changed.previous_msgid == "Take paracetamol to bring a fever down."
    new = po.find("See a doctor if it lasts more than 3 days.")
    assert new.msgstr == "" and "fuzzy" not in new.flags
    gone = [e for e in po.obsolete_entries()]
    assert [(e.msgid, e.msgstr, e.tcomment) for e in gone] == [
        ("Take paracetamol to bring a fever down.", "Tome paracetamol para bajar la fiebre.", ""),
        ("Rest at home.", "Descanse en casa.", "checked by Ana"),
    ]

    # the source goes back: the obsolete work comes back active, nothing was lost
    (root / "source" / "fever.md").write_text(DOC_V1, encoding="utf-8")
    update(root)
    po = polib.pofile(str(path))
    for msgid, msgstr in [("Rest at home.", "Descanse en casa."),
                          ("Take paracetamol to bring a fever down.", "Tome paracetamol para bajar la fiebre.")]:
        assert po.find(msgid).msgstr == msgstr
        assert "fuzzy" not in po.find(msgid).flags


def test_second_update_changes_no_byte(tmp_path):
    root = make_project(tmp_path, langs=("es", "zh_CN"))
    update(root)
    before = snapshot(root / "locale")
    r = update(root)
    assert snapshot(root / "locale") == before
    assert "wrote" not in r.stderr


def test_init_adds_a_language_and_its_catalogs(tmp_path):
    root = make_project(tmp_path)
    r = run_pipeline("-C", str(root), "init", "pt_BR")
    assert r.returncode == 0, r.stderr
    assert "pt_BR" in (root / "locale" / "LINGUAS").read_text().split()
    po = polib.pofile(str(root / "locale" / "pt_BR" / "LC_MESSAGES" / "fever.po"))
    assert po.metadata["Language"] == "pt_BR"
    assert (root / "locale" / "pt_BR" / "LC_MESSAGES" / "handouts.po").exists()


@pytest.mark.parametrize("code, message", [
    ("xx", "unknown locale 'xx'"),
    ("es-ES", "malformed locale code 'es-ES'"),
    ("zh-cn", "did you mean zh_CN?"),
    ("../etc", "malformed locale code"),
    ("", "malformed locale code"),
])
def test_init_rejects_bad_codes_cleanly(tmp_path, code, message):
    root = make_project(tmp_path)
    before = snapshot(root)
    r = run_pipeline("-C", str(root), "init", code)
    assert r.returncode == 2
    assert r.stderr.startswith("LANG: error: ")
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot(root) == before


def test_bad_language_in_linguas_points_at_its_line(tmp_path):
    root = make_project(tmp_path, langs=("es", "klingon"))
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 2
    assert r.stderr.startswith(f"{root / 'locale' / 'LINGUAS'}:2: error: ")


def test_broken_po_file_is_reported_with_its_line_and_left_alone(tmp_path):
    root = make_project(tmp_path)
    update(root)
    path = root / "locale" / "es" / "LC_MESSAGES" / "fever.po"
    broken = path.read_text(encoding="utf-8").replace('msgid "Rest at home."', 'msgid "Rest at home.', 1)
    path.write_text(broken, encoding="utf-8")
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 2
    assert r.stderr.startswith("locale/es/LC_MESSAGES/fever.po:33: error: ")
    assert ": error: " in r.stderr and "Traceback" not in r.stderr
    assert path.read_text(encoding="utf-8") == broken


def msgfmt_check(path):
    return subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(path)], capture_output=True, text=True)


def _require_msgfmt():
    if shutil.which("msgfmt") is None:
        pytest.fail("GNU gettext's msgfmt is not installed (apt-get install -y gettext); .ci/run installs it")


def test_msgfmt_accepts_every_committed_catalog():
    _require_msgfmt()
    catalogs = sorted((ROOT / "locale").rglob("*.po"))
    assert len(catalogs) >= 10
    for path in catalogs:
        r = msgfmt_check(path)
        assert r.returncode == 0, r.stderr


def test_msgfmt_accepts_catalogs_written_for_a_new_project(tmp_path):
    _require_msgfmt()
    root = make_project(tmp_path, langs=("ar", "de", "es", "fr", "zh_CN", "ru", "pl"))
    update(root)
    for path in sorted((root / "locale").rglob("*.po")):
        r = msgfmt_check(path)
        assert r.returncode == 0, r.stderr


def test_catalogs_are_wrapped_as_gnu_gettext_wraps_them(tmp_path):
    """A `msgcat` round trip (and so a save in Poedit) changes no byte."""
    if shutil.which("msgcat") is None:
        pytest.fail("GNU gettext's msgcat is not installed (apt-get install -y gettext)")
    catalogs = sorted((ROOT / "locale").rglob("*.po"))
    root = make_project(tmp_path, text=DOC_V1 + "\n" + "A long paragraph about fever " * 12 + "\n",
                        langs=("de", "zh_CN"))
    update(root)
    catalogs += sorted((root / "locale").rglob("*.po"))
    for path in catalogs:
        r = subprocess.run(["msgcat", str(path)], capture_output=True, text=True, encoding="utf-8")
        assert r.returncode == 0, r.stderr
        assert r.stdout == path.read_text(encoding="utf-8"), path


def test_every_catalog_the_pipeline_writes_is_read_by_msgfmt_polib_and_babel(tmp_path):
    _require_msgfmt()
    root = make_project(tmp_path, langs=("ar", "de", "es", "fr", "zh_CN", "ja", "ru"))
    update(root)
    paths = sorted((root / "locale").rglob("*.po")) + sorted((ROOT / "locale").rglob("*.po"))
    for path in paths:
        assert msgfmt_check(path).returncode == 0, path
        assert polib.pofile(str(path)).metadata["Content-Type"] == "text/plain; charset=UTF-8"
        with path.open("rb") as f:
            catalog = read_po(f, locale=path.parent.parent.name)
        # Babel follows the catalog's own Plural-Forms, whatever its CLDR data says
        own = int(polib.pofile(str(path)).metadata["Plural-Forms"].split(";")[0].split("=")[1])
        assert catalog.num_plurals == own


def test_a_catalog_the_update_wrote_is_read_back_as_parsing_its_file_gives(tmp_path):
    """The update keeps each catalog it writes for the build to read without parsing it again: what
    the build then reads must be what parsing the file gives, to the line number (the build's
    messages point at lines) and the order of the flags."""
    import hashlib

    from handouts import catalogs, pofile
    from handouts.project import Project

    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "LINGUAS").write_text("de\nar\n", encoding="utf-8")
    source = tmp_path / "source" / "fever.md"
    source.parent.mkdir()
    paragraphs = ["Take paracetamol to bring a fever down.", "Drink plenty of fluids, such as water.",
                  "Rest at home and stay away from other people.", "See a doctor if it lasts more than 3 days."]
    source.write_text("# Fever\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    Project(tmp_path).run(("repair", "update"))
    for code in ("de", "ar"):  # translated, with a comment, a translator's flag and plural forms
        for domain in ("fever", "handouts"):
            path = tmp_path / "locale" / code / "LC_MESSAGES" / f"{domain}.po"
            po = polib.pofile(str(path))
            for n, entry in enumerate(po):
                if entry.msgid_plural:
                    entry.msgstr_plural = {i: f"{code} {i} %(count)s" for i in entry.msgstr_plural}
                else:
                    entry.msgstr = f"{code} {n} " + entry.msgid.replace("%(count)s", "%(count)s")
                if n == 1:
                    entry.tcomment = "checked by Ana\nsecond line"
                    entry.flags = ["no-wrap", "python-format"] if "%(" in entry.msgid else ["no-wrap"]
            po.save()
    # an edit (a fuzzy entry with its previous msgid), a removal (an obsolete one), an addition
    source.write_text("# Fever\n\n" + "\n\n".join([paragraphs[0].replace("down", "down quickly"),
                                                  paragraphs[2], paragraphs[3], "Keep it cool."]) + "\n",
                      encoding="utf-8")
    (tmp_path / "templates").mkdir()
    shutil.copy(ROOT / "handouts" / "templates" / "handout.txt.j2", tmp_path / "templates")
    with open(tmp_path / "templates" / "handout.txt.j2", "a", encoding="utf-8") as f:
        f.write('{{ ui("Printed copy") }}\n')
    catalogs._PARSED.clear()
    summary = Project(tmp_path, jobs=1).run(("repair", "update"))  # (workers keep theirs: update.Reader)
    written = sorted(p for p in summary.written if p.suffix == ".po")
    assert len(written) == 4

    def seen(catalog):
        return (catalog.path, catalog.header, catalog.metadata, catalog.header_line, catalog.header_msgstr,
                catalog.data, catalog.nplurals, catalog.asked,
                [(pofile._signature(e), e.linenum, list(e.flags), e.occurrences) for e in catalog.entries])

    kinds = set()
    for path in written:
        name = path.relative_to(tmp_path).as_posix()
        data = path.read_bytes()
        kept = catalogs._PARSED[(name, hashlib.blake2b(data, digest_size=16).digest())]
        parsed = pofile.parse(data.decode("utf-8"), name)
        parsed.data = data
        assert seen(kept) == seen(parsed)
        kinds |= {("obsolete" if e.obsolete else "fuzzy" if "fuzzy" in e.flags else "plural" if e.msgid_plural
                   else "comment" if e.tcomment else "new" if not e.msgstr else "plain") for e in parsed.entries}
    assert kinds == {"obsolete", "fuzzy", "plural", "comment", "new", "plain"}


def test_a_passage_edited_again_before_review_leaves_one_obsolete_entry_not_one_per_edit(tmp_path):
    # the reviewed translation stays as obsolete (it comes back if the passage does); the fuzzy
    # copies carried from edit to edit are not kept again, or the file grows with every edit
    root = make_project(tmp_path)
    update(root)
    path = root / "locale" / "es" / "LC_MESSAGES" / "fever.po"
    po = polib.pofile(str(path))
    for entry in po:
        entry.msgstr = f"ES {entry.msgid}"
    path.write_text(str(po) + "\n", encoding="utf-8")
    source = root / "source" / "fever.md"
    original = "Drink plenty of fluids."
    for n in range(1, 5):
        source.write_text(DOC_V1.replace(original, f"Drink plenty of fluids, edit {n}."), encoding="utf-8")
        update(root)
        po = polib.pofile(str(path))
        edited = po.find(f"Drink plenty of fluids, edit {n}.")
        assert edited.msgstr == f"ES {original}" and "fuzzy" in edited.flags
        assert edited.previous_msgid == original  # the English the translation was written for
        assert [(e.msgid, e.msgstr) for e in po.obsolete_entries()] == [(original, f"ES {original}")]
    source.write_text(DOC_V1, encoding="utf-8")  # back as it was: the reviewed work comes back
    update(root)
    po = polib.pofile(str(path))
    assert po.find(original).msgstr == f"ES {original}" and "fuzzy" not in po.find(original).flags
