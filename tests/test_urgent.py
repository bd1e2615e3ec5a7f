"""A document's urgent passage (``urgent = "..."`` in source/<doc>.toml): in a box under the title."""
import re
import shutil

import polib
import pytest

from conftest import ROOT, run_pipeline, small_project, translate

LOCALES = ["en", "ar", "de", "es", "fr", "zh_CN"]
EMERGENCY = "If you feel very unwell or think you need emergency help, call your local emergency number now."


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("urgent")
    shutil.copytree(ROOT / "source", root / "source")
    shutil.copytree(ROOT / "locale", root / "locale")
    r = run_pipeline("-C", str(root))
    assert r.returncode == 0, r.stderr
    return root


def _urgent(code):
    if code == "en":
        return EMERGENCY
    return polib.pofile(str(ROOT / "locale" / code / "LC_MESSAGES" / "ketamine.po")).find(EMERGENCY).msgstr


@pytest.mark.parametrize("code", LOCALES)
def test_the_ketamine_emergency_line_is_in_a_box_under_the_title(built, code):
    html = (built / "output" / code / "ketamine.html").read_text(encoding="utf-8")
    main = html.split("<main>", 1)[1].split("</main>", 1)[0]
    assert re.match(r'\s*<h1>[^<]+</h1>\s*<aside class="urgent" role="note">\s*<p>([^<]+)</p>', main).group(1) \
        == _urgent(code)
    assert html.count(_urgent(code)) == 1  # not said again in the footer


@pytest.mark.parametrize("code", [c for c in LOCALES if c != "en"])
def test_bilingual_handouts_box_it_in_both_languages_as_the_second_passage(built, code):
    html = (built / "output" / code / "ketamine.bilingual.html").read_text(encoding="utf-8")
    passages = re.findall(r'<div class="passage([^"]*)"', html)
    assert passages[1] == " urgent" and passages.count(" urgent") == 1
    second = html.split('<div class="passage urgent"', 1)[1].split('<div class="passage"', 1)[0]
    assert _urgent(code) in second and EMERGENCY in second


@pytest.mark.parametrize("code", LOCALES)
def test_plain_text_has_it_framed_right_under_the_title(built, code):
    text = (built / "output" / code / "ketamine.txt").read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    assert blocks[1].startswith("*" * 72 + "\n") and blocks[1].endswith("\n" + "*" * 72)
    lines = blocks[1].split("\n")[1:-1]
    assert ("" if code == "zh_CN" else " ").join(lines) == _urgent(code)  # Chinese wraps between characters
    assert text.count(lines[0]) == 1


def test_any_document_can_mark_its_urgent_passage_and_it_is_translated_like_the_rest(tmp_path):
    root = tmp_path
    (root / "source").mkdir()
    (root / "source" / "burns.md").write_text("# Burns\n\nCool the burn under running water.\n", encoding="utf-8")
    (root / "source" / "burns.toml").write_text(
        'reviewed = 2026-10-01\nurgent = """Call **999** if the burn is larger than\nthe hand."""\n',
        encoding="utf-8")
    (root / "locale").mkdir()
    (root / "locale" / "LINGUAS").write_text("de\n", encoding="utf-8")
    assert run_pipeline("-C", str(root), "update").returncode == 0
    pot = (root / "locale" / "burns.pot").read_text(encoding="utf-8")
    assert ("#. urgent passage, shown in a box on the first page\n#: source/burns.toml:2\n"
            'msgid "Call **999** if the burn is larger than the hand."') in pot
    assert pot.index("the hand.") < pot.index("Cool the burn")  # where a reader meets it: after the title
    translate(root, "de", "burns", {"Burns": "Verbrennungen", "Cool the burn under running water.":
                                    "Kühlen Sie die Verbrennung unter fließendem Wasser.",
                                    "Call **999** if the burn is larger than the hand.":
                                    "Rufen Sie **999** an, wenn die Verbrennung größer als die Hand ist."})
    r = run_pipeline("-C", str(root))
    assert r.returncode == 0, r.stderr
    html = (root / "output" / "de" / "burns.html").read_text(encoding="utf-8")
    assert ('<aside class="urgent" role="note">\n<p>Rufen Sie <strong>999</strong> an, wenn die Verbrennung '
            "größer als die Hand ist.</p>") in html
    assert EMERGENCY in (root / "output" / "en" / "burns.html").read_text(encoding="utf-8")  # the footer keeps it
    text = (root / "output" / "de" / "burns.txt").read_text(encoding="utf-8")
    assert text.startswith("Verbrennungen\n=============\n\n" + "*" * 72 + "\nRufen Sie 999 an, wenn")


def test_an_untranslated_urgent_passage_is_printed_in_english_and_marked(tmp_path):
    root = small_project(tmp_path, "burns", "# Burns\n\nCool the burn.\n", ("fr",))
    (root / "source" / "burns.toml").write_text('urgent = "Call 999 now."\n', encoding="utf-8")
    assert run_pipeline("-C", str(root), "update").returncode == 0
    translate(root, "fr", "burns", {"Burns": "Brûlures", "Cool the burn.": "Refroidissez la brûlure."})
    assert run_pipeline("-C", str(root), "--min-translated", "0").returncode == 0
    html = (root / "output" / "fr" / "burns.html").read_text(encoding="utf-8")
    assert '<p lang="en" dir="ltr" class="untranslated">Call 999 now.</p>' in html


@pytest.mark.parametrize("toml, message", [
    ('urgent = ""\n', "source/burns.toml:1: error: urgent is empty"),
    ('reviewed = 2026-01-02\nurgent = 3\n', "source/burns.toml:2: error: urgent must be text"),
    ('urgent = "- a list"\n', "source/burns.toml:1: error: urgent must be one paragraph"),
    ('urgent = """One.\n\nTwo."""\n', "source/burns.toml:1: error: urgent must be one paragraph"),
])
def test_a_bad_urgent_passage_is_an_error_with_its_line(tmp_path, toml, message):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "burns.md").write_text("# Burns\n\nCool it.\n", encoding="utf-8")
    (tmp_path / "source" / "burns.toml").write_text(toml, encoding="utf-8")
    r = run_pipeline("-C", str(tmp_path))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
