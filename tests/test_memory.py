"""Translation memory: a TMX, XLIFF or another project's catalogs brought in, suggestions for new
units (exact and similar), and the library's translations exported as TMX.

Every file here is real: TMX and XLIFF written by translate-toolkit, catalogs written by this
pipeline in a second project, GNU msgfmt as an independent check of what is written.
"""
import os
import shutil
import subprocess

import polib
import pytest
from hypothesis import given, settings, strategies as st
from translate.storage import tmx, xliff

from handouts.cli import main
from handouts.project import Project

DOSE = [
    "Take 2 tablets every 4 hours.",
    "Do not take **ketamine** with alcohol.",
    "Store the tablets in a cool, dry place.",
    "Ask your pharmacist before you take any other medicine.",
]
AGENCY = [  # (English, German, tuid): what an agency's memory holds
    ("Take 2 tablets every 4 hours.", "Nehmen Sie alle 4 Stunden 2 Tabletten.", "17"),
    ("Do not take **ketamine** with alcohol.", "Nehmen Sie **Ketamin** nicht mit Alkohol ein.", "18"),
    # one word changed: "and" for ","
    ("Store the tablets in a cool and dry place.", "Bewahren Sie die Tabletten kühl und trocken auf.", "19"),
    # the agency's translation lost a number, the bold and the drug: never pre-filled as they are
    ("Dose", "Dosis 3", "20"),
]


def project(root, docs: dict[str, list[str]], langs=("de",)):
    (root / "source").mkdir(parents=True)
    for name, paragraphs in docs.items():
        text = f"# {name.title()}\n\n" + "\n\n".join(paragraphs) + "\n"
        (root / "source" / f"{name}.md").write_text(text, encoding="utf-8")
    (root / "locale").mkdir()
    (root / "locale" / "LINGUAS").write_text("".join(f"{l}\n" for l in langs), encoding="utf-8")
    return root


def update(root):
    Project(root, 80).run(("update",))


def run(root, *args):
    return main(["-C", str(root), *args])


def catalog(root, name, lang="de"):
    return polib.pofile(str(root / "locale" / lang / "LC_MESSAGES" / f"{name}.po"))


def translate(root, name, work, lang="de"):
    path = root / "locale" / lang / "LC_MESSAGES" / f"{name}.po"
    po = polib.pofile(str(path))
    for entry in po:
        if entry.msgid in work:
            entry.msgstr = work[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    path.write_text(str(po), encoding="utf-8")


def agency_tmx(path, units=AGENCY, lang="de-DE"):
    store = tmx.tmxfile(sourcelanguage="en-US", targetlanguage=lang)
    for english, german, tuid in units:
        unit = store.addsourceunit(english)
        unit.target = german
        unit.xmlelement.set("tuid", tuid)
    path.write_bytes(bytes(store))
    return path


def msgfmt_accepts(path):
    if not shutil.which("msgfmt"):
        return True
    return subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(path)], capture_output=True).returncode == 0


def test_a_tmx_from_translate_toolkit_pre_fills_exact_matches_fuzzy_with_their_origin(tmp_path, capsys):
    root = project(tmp_path / "clinic", {"dose": DOSE})
    tm = agency_tmx(tmp_path / "agency.tmx")
    assert run(root, "tm", "import", str(tm)) == 0
    assert "locale/de/memory.po: 4 added, 0 replaced, 0 already there" in capsys.readouterr().err
    memory = root / "locale" / "de" / "memory.po"
    assert msgfmt_accepts(memory)
    pairs = {e.msgid: e for e in polib.pofile(str(memory))}
    assert pairs["Take 2 tablets every 4 hours."].comment == "origin: agency.tmx#17"
    before = memory.read_bytes()
    assert run(root, "tm", "import", str(tm)) == 0  # the same file again changes nothing
    assert "0 added, 0 replaced, 4 already there" in capsys.readouterr().err
    assert memory.read_bytes() == before

    update(root)
    po = catalog(root, "dose")
    exact = po.find(DOSE[0])
    assert exact.msgstr == "Nehmen Sie alle 4 Stunden 2 Tabletten." and "fuzzy" in exact.flags
    assert exact.tcomment == "pre-filled from the translation memory (agency.tmx#17): check it"
    assert exact.previous_msgid is None
    assert po.find(DOSE[1]).msgstr == "Nehmen Sie **Ketamin** nicht mit Alkohol ein."
    # the number would not survive: "Dose" stays untranslated
    assert po.find("Dose").msgstr == ""
    assert msgfmt_accepts(root / "locale" / "de" / "LC_MESSAGES" / "dose.po")
    # a second update changes nothing
    text = (root / "locale" / "de" / "LC_MESSAGES" / "dose.po").read_bytes()
    update(root)
    assert (root / "locale" / "de" / "LC_MESSAGES" / "dose.po").read_bytes() == text


def test_a_memory_pair_that_breaks_markup_or_drops_a_drug_is_not_pre_filled(tmp_path):
    root = project(tmp_path / "clinic", {"dose": DOSE})
    tm = agency_tmx(tmp_path / "agency.tmx", [
        (DOSE[1], "Nehmen Sie Ketamin nicht mit Alkohol ein.", "1"),  # the bold is gone
        (DOSE[3], "Fragen Sie Ihre Apotheke, bevor Sie Ibuprofen nehmen.", "2"),  # a drug the English lacks
    ])
    assert run(root, "tm", "import", str(tm)) == 0
    update(root)
    po = catalog(root, "dose")
    assert po.find(DOSE[1]).msgstr == "" and po.find(DOSE[3]).msgstr == ""


def test_a_sentence_with_one_word_changed_gets_the_closest_translation_with_its_english(tmp_path):
    root = project(tmp_path / "clinic", {"dose": DOSE})
    assert run(root, "tm", "import", str(agency_tmx(tmp_path / "agency.tmx"))) == 0
    update(root)
    entry = catalog(root, "dose").find(DOSE[2])
    assert entry.msgstr == "Bewahren Sie die Tabletten kühl und trocken auf."
    assert "fuzzy" in entry.flags
    assert entry.previous_msgid == "Store the tablets in a cool and dry place."  # what msgmerge shows
    assert entry.tcomment.startswith("suggested from the translation memory (agency.tmx#19) (9")
    # nothing is suggested below 75 % similarity
    assert catalog(root, "dose").find(DOSE[3]).msgstr == ""


def test_a_library_sentence_that_recurs_with_one_word_changed(tmp_path):
    """Two documents of one library: the second says the first's sentence with one word changed."""
    cold = ["Drink plenty of water and rest at home.", "See a doctor if the fever lasts more than 3 days."]
    flu = ["Drink plenty of water and rest in bed.", "Wash your hands often with soap and water."]
    root = project(tmp_path / "clinic", {"cold": cold})
    update(root)
    translate(root, "cold", {"Cold": "Erkältung", cold[0]: "Trinken Sie viel Wasser und ruhen Sie sich zu Hause aus.",
                             cold[1]: "Gehen Sie zum Arzt, wenn das Fieber länger als 3 Tage dauert."})
    (root / "source" / "flu.md").write_text("# Flu\n\n" + "\n\n".join(flu) + "\n", encoding="utf-8")
    update(root)
    po = catalog(root, "flu")
    entry = po.find(flu[0])
    assert entry.msgstr == "Trinken Sie viel Wasser und ruhen Sie sich zu Hause aus."
    assert "fuzzy" in entry.flags and entry.previous_msgid == cold[0]
    assert entry.tcomment.startswith("suggested from cold.po (")
    assert po.find(flu[1]).msgstr == ""
    assert msgfmt_accepts(root / "locale" / "de" / "LC_MESSAGES" / "flu.po")
    # the translator checks it and says it right: it is theirs from then on
    translate(root, "flu", {flu[0]: "Trinken Sie viel Wasser und bleiben Sie im Bett."})
    update(root)
    entry = catalog(root, "flu").find(flu[0])
    assert entry.msgstr == "Trinken Sie viel Wasser und bleiben Sie im Bett." and "fuzzy" not in entry.flags


def test_a_second_projects_catalogs_are_a_memory(tmp_path, capsys):
    other = project(tmp_path / "other", {"pain": ["Take 2 tablets every 4 hours.", "Rest."]})
    update(other)
    translate(other, "pain", {"Take 2 tablets every 4 hours.": "Alle 4 Stunden 2 Tabletten nehmen.", "Rest.": "Ruhe."})
    po = catalog(other, "pain")
    po.find("Rest.").flags.append("fuzzy")  # not checked there: not brought in
    (other / "locale" / "de" / "LC_MESSAGES" / "pain.po").write_text(str(po), encoding="utf-8")
    root = project(tmp_path / "clinic", {"dose": DOSE}, langs=("de", "fr"))
    # the catalog says it is German (Language: de): no --locale needed
    assert run(root, "tm", "import", str(other / "locale" / "de" / "LC_MESSAGES" / "pain.po")) == 0
    assert "locale/de/memory.po: 1 added" in capsys.readouterr().err
    assert not (root / "locale" / "fr" / "memory.po").exists()
    update(root)
    entry = catalog(root, "dose").find(DOSE[0])
    assert entry.msgstr == "Alle 4 Stunden 2 Tabletten nehmen."
    assert entry.tcomment == "pre-filled from the translation memory (pain.po): check it"


def test_xliff_is_read_by_the_same_library(tmp_path):
    store = xliff.xlifffile(sourcelanguage="en", targetlanguage="de")
    unit = store.addsourceunit(DOSE[0])
    unit.target = "Nehmen Sie alle 4 Stunden 2 Tabletten."
    path = tmp_path / "agency.xlf"
    path.write_bytes(bytes(store))
    root = project(tmp_path / "clinic", {"dose": DOSE})
    assert run(root, "tm", "import", str(path)) == 0
    update(root)
    assert catalog(root, "dose").find(DOSE[0]).msgstr == "Nehmen Sie alle 4 Stunden 2 Tabletten."


def test_a_broken_or_foreign_file_is_an_error_and_writes_nothing(tmp_path, capsys):
    root = project(tmp_path / "clinic", {"dose": DOSE})
    broken = tmp_path / "broken.tmx"
    broken.write_text("<tmx version='1.4'><body><tu>", encoding="utf-8")
    assert run(root, "tm", "import", str(broken)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{broken}: error: ") and "Traceback" not in err
    spanish = agency_tmx(tmp_path / "es.tmx", lang="es")
    assert run(root, "tm", "import", str(spanish)) == 2
    assert "no translated pair in a configured language (de)" in capsys.readouterr().err
    assert run(root, "tm", "import", str(spanish), "--locale", "fr") == 2
    assert "--locale: error: fr is not configured" in capsys.readouterr().err
    assert not (root / "locale" / "de" / "memory.po").exists()


def test_export_writes_tmx_that_translate_toolkit_reads_back(tmp_path, capsys):
    root = project(tmp_path / "clinic", {"dose": DOSE})
    update(root)
    work = {"Dose": "Dosis", DOSE[0]: "Nehmen Sie alle 4 Stunden 2 Tabletten.",
            DOSE[1]: "Nehmen Sie **Ketamin** nicht mit Alkohol ein.", DOSE[2]: "Kühl und trocken lagern."}
    translate(root, "dose", work)
    po = catalog(root, "dose")
    po.find(DOSE[2]).flags.append("fuzzy")  # not reviewed: not exported
    (root / "locale" / "de" / "LC_MESSAGES" / "dose.po").write_text(str(po), encoding="utf-8")
    out = tmp_path / "clinic-de.tmx"
    assert run(root, "tm", "export", "--locale", "de", "-o", str(out)) == 0
    assert f"{out}: 3 units in de" in capsys.readouterr().err
    data = out.read_bytes()
    back = tmx.tmxfile.parsestring(data)
    pairs = {}
    for unit in back.units:
        langs = {n.get("{http://www.w3.org/XML/1998/namespace}lang"): unit.getNodeText(n)
                 for n in unit.getlanguageNodes()}
        assert set(langs) == {"en", "de"}
        pairs[langs["en"]] = langs["de"]
    expected = {k: v for k, v in work.items() if k != DOSE[2]}
    assert pairs == expected
    assert b'<tmx version="1.4">' in data
    # the same units give the same bytes (no time stamps), and the export round-trips as a memory
    assert run(root, "tm", "export", "--locale", "de", "-o", str(out)) == 0
    assert out.read_bytes() == data
    again = project(tmp_path / "again", {"dose": DOSE})
    assert run(again, "tm", "import", str(out)) == 0
    memory = {e.msgid: e.msgstr for e in polib.pofile(str(again / "locale" / "de" / "memory.po"))}
    assert memory == expected


@pytest.mark.parametrize("tag, code, ok", [("de-DE", "de", True), ("de", "de_AT", True), ("DE_at", "de_AT", True),
                                           ("pt-PT", "pt_BR", False), ("zh-CN", "zh_CN", True), ("en", "de", False)])
def test_language_tags_match_locales(tag, code, ok):
    from handouts.memory import matches

    assert matches(tag, code) is ok


def test_tm_actions_have_help(capsys):
    for action in ("import", "export"):
        assert main(["tm", action, "--help"]) == 0
        assert f"usage: pipeline.py tm {action}" in capsys.readouterr().out
    assert main(["tm"]) == 2  # an action is required


BLOCK_TOOLKIT = """
import sys
sys.modules["translate"] = None  # as on an install without the optional extra: importing it fails
from handouts.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", ["import", "export"])
def test_without_the_optional_toolkit_tm_says_how_to_install_it(tmp_path, command):
    """translate-toolkit (GPL) is the optional extra ``tm``: without it, the rest works and ``tm``
    says what is missing, in the usual form, with no traceback and nothing written."""
    root = project(tmp_path / "p", {"dose": DOSE})
    update(root)
    memory = agency_tmx(tmp_path / "agency.tmx")
    args = ["import", str(memory)] if command == "import" else ["export", "--locale", "de", "-o",
                                                                 str(tmp_path / "out.tmx")]
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    r = subprocess.run([os.sys.executable, "-c", BLOCK_TOOLKIT, "-C", str(root), "tm", *args],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert ": error: reading and writing TMX, PO and XLIFF needs translate-toolkit" in r.stderr
    assert "pip install 'handouts[tm]'" in r.stderr
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert not (tmp_path / "out.tmx").exists()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "a-b", "b", "c", "c.d", "e"]),
                          st.dictionaries(st.sampled_from(["Rest.", "Drink water.", "Call 999.", "Sleep."]),
                                          st.sampled_from(["x", "y", "z"]), max_size=3)),
                max_size=6, unique_by=lambda t: t[0]),
       st.lists(st.integers(0, 7), max_size=6))
def test_an_index_taken_over_and_changed_is_the_index_made_afresh(first, changes):
    """watch keeps a language's index of translations between saves and changes only what the changed
    catalogs put in it: the result is what the index made afresh would be, in the same order."""
    from handouts.update import _reindex, index_of

    old = sorted(first, key=lambda t: t[0] + ".po")  # catalogs by file name, as listed
    new = list(old)
    for n in changes:  # a catalog changed (a new table object, perhaps the same words), removed or added
        if n < len(new) and n % 3 == 0:
            new[n] = (new[n][0], dict(new[n][1], **{"Sleep.": "w"}))
        elif n < len(new) and n % 3 == 1:
            del new[n]
        elif not any(stem == f"n{n}" for stem, _ in new):
            new = sorted(new + [(f"n{n}", {"Rest.": "v", "Call 999.": "u"})], key=lambda t: t[0] + ".po")
    assert _reindex(old, index_of(old), new) == index_of(new)
