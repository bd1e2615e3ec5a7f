"""Consistency across a language's catalogs: the same English translated two ways, one translation
for two English units; `check` warns with both places, `status` counts, a flag silences."""
import json

import polib

from handouts.cli import main
from handouts.project import Project

COLD = ["Drink plenty of water.", "Rest at home.", "Call 111 if you are worried."]
FLU = ["Drink plenty of water.", "Stay at home.", "Call 111 if you are worried."]


def library(root):
    (root / "source").mkdir(parents=True)
    for name, paragraphs in (("cold", COLD), ("flu", FLU)):
        (root / "source" / f"{name}.md").write_text(f"# {name.title()}\n\n" + "\n\n".join(paragraphs) + "\n",
                                                    encoding="utf-8")
    (root / "locale").mkdir()
    (root / "locale" / "LINGUAS").write_text("de\n", encoding="utf-8")
    Project(root, 80).run(("update",))
    # the flu translator says "Wasser trinken" where the cold translator wrote "Viel Wasser trinken",
    # and uses one translation for "Rest at home." and "Stay at home."
    translate(root, "cold", {"Cold": "Erkältung", COLD[0]: "Viel Wasser trinken.", COLD[1]: "Zu Hause bleiben.",
                             COLD[2]: "Rufen Sie 111 an, wenn Sie sich Sorgen machen."})
    translate(root, "flu", {"Flu": "Grippe", FLU[0]: "Trinken Sie viel Wasser.", FLU[1]: "Zu Hause bleiben.",
                            FLU[2]: "Rufen Sie 111 an, wenn Sie sich Sorgen machen."})
    return root


def translate(root, name, work, flags=()):
    path = root / "locale" / "de" / "LC_MESSAGES" / f"{name}.po"
    po = polib.pofile(str(path))
    for entry in po:
        if entry.msgid in work:
            entry.msgstr = work[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")  # reviewed: a pre-filled translation was changed
        if entry.msgid in flags:
            entry.flags.append("ignore-inconsistent")
    path.write_text(str(po), encoding="utf-8")


def line_of(root, name, msgid):
    return next(e.linenum for e in polib.pofile(str(root / "locale" / "de" / "LC_MESSAGES" / f"{name}.po"))
                if e.msgid == msgid)


def test_check_warns_with_both_places_and_status_counts(tmp_path, capsys):
    root = library(tmp_path)
    assert main(["-C", str(root), "check"]) == 0  # warnings only
    err = capsys.readouterr().err
    cold, flu = "locale/de/LC_MESSAGES/cold.po", "locale/de/LC_MESSAGES/flu.po"
    assert (f"{flu}:{line_of(root, 'flu', FLU[0])}: warning: consistency: the same English is translated "
            f"differently in {cold}:{line_of(root, 'cold', COLD[0])}: \"Viel Wasser trinken.\" "
            f"(here \"Trinken Sie viel Wasser.\")") in err
    assert (f"{flu}:{line_of(root, 'flu', FLU[1])}: warning: consistency: this translation also stands for other "
            f"English in {cold}:{line_of(root, 'cold', COLD[1])}: \"Rest at home.\" (here \"Stay at home.\")") in err
    assert "0 error(s), 2 warning(s)" in err  # the identical third sentence is no warning
    assert main(["-C", str(root), "status", "--json"]) == 0
    rows = {r["document"]: r["inconsistent"] for r in json.loads(capsys.readouterr().out)["catalogs"]}
    assert rows["flu"] == {"translated_differently": 1, "shared_translation": 1}
    assert rows["cold"] == {"translated_differently": 0, "shared_translation": 0}
    assert main(["-C", str(root), "status"]) == 0
    assert "consistency: de: 1 unit(s) translated differently elsewhere, 1 translation(s)" in capsys.readouterr().out


def test_a_deliberate_difference_is_marked_and_silenced(tmp_path, capsys):
    root = library(tmp_path)
    translate(root, "flu", {}, flags=(FLU[0], FLU[1]))
    assert main(["-C", str(root), "check"]) == 0
    err = capsys.readouterr().err
    assert "consistency" not in err and "0 error(s), 0 warning(s)" in err
    # the flag survives an update (it is the translator's)
    Project(root, 80).run(("update",))
    po = polib.pofile(str(root / "locale" / "de" / "LC_MESSAGES" / "flu.po"))
    assert "ignore-inconsistent" in po.find(FLU[0]).flags
