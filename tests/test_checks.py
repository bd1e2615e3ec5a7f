"""Each named check, with a translation that passes and one that fails."""
import polib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handouts import checks
from handouts.checks import Context, check_entry, check_pair
from conftest import run_pipeline, small_project, translate

DOSE_LINE = "Take 2 tablets every 24 hours."
DOSE = f"# Dose\n\n{DOSE_LINE}\n"

CASES = [
    # check, locale, source, good translation, bad translation
    ("numbers", "de", "Take 0.5 mg every 24 hours.", "Nehmen Sie alle 24 Stunden 0,5 mg.", "Nehmen Sie alle 42 Stunden 0,5 mg."),
    ("numbers", "fr", "No more than 1,000 mg a day.", "Pas plus de 1\u202f000 mg par jour.", "Pas plus de 100 mg par jour."),
    ("numbers", "ar", "Take 2 tablets every 6 hours.", "تناول قرصين كل ٦ ساعات.", "تناول قرصًا كل ٨ ساعات."),
    ("numbers", "es", "Take 2 tablets.", "Tome dos comprimidos.", "Tome tres comprimidos."),
    ("numbers", "zh_CN", "It was first used in the sixties.", "它于20世纪60年代首次使用。", "它于20世纪70年代首次使用。"),
    ("units", "es", "Give 5 ml of liquid.", "Dé 5 ml de líquido.", "Dé 5 mg de líquido."),
    ("units", "zh_CN", "Take 500 mg.", "服用500毫克。", "服用500。"),
    ("markup", "fr", "Call **999** now.", "Appelez le **999** maintenant.", "Appelez le 999 maintenant."),
    ("markup", "de", "Run `fix` first.", "Führen Sie zuerst `fix` aus.", "Führen Sie zuerst `reparieren` aus."),
    ("links", "es", "See [NHS 111](https://111.nhs.uk).", "Consulte [NHS 111](https://111.nhs.uk).", "Consulte [NHS 111](https://example.org)."),
    ("links", "fr", "Email [us](mailto:a@b.org).", "Écrivez-[nous](mailto:a@b.org).", "Écrivez-[nous](ftp://a.b/x)."),
    ("untranslated", "de", "Rest at home.", "Ruhen Sie sich zu Hause aus.", "Rest at home."),
    ("endpunc", "zh_CN", "Is it safe?", "安全吗？", "安全吗。"),
    ("length", "de", "Drink plenty of fluids every day.", "Trinken Sie jeden Tag viel.", "Trinken."),
    ("links", "de", "Click here.", "Klicken Sie hier.", "[Klick](javascript:alert(1))"),
    ("newline", "de", "Rest at home.", "Ruhen Sie sich aus.", "Ruhen Sie sich aus.\n"),
    ("negation", "es", "Do not take it with alcohol.", "No lo tome con alcohol.", "Tómelo con alcohol."),
    ("negation", "fr", "Never drive after a dose.", "Ne conduisez jamais après une dose.", "Conduisez après une dose."),
    ("negation", "de", "You can't take it twice.", "Sie können es nicht zweimal nehmen.", "Sie können es zweimal nehmen."),
    ("negation", "ar", "Do not drive.", "لا تقد السيارة.", "قد السيارة."),
    ("negation", "zh_CN", "Do not drive.", "不要开车。", "要开车。"),
    ("drugs", "es", "Take ibuprofen with food.", "Tome ibuprofeno con comida.", "Tome aspirina con comida."),
    ("drugs", "fr", "Ketamine is an anesthetic.", "La kétamine est un anesthésique.", "La morphine est un anesthésique."),
    ("drugs", "de", "Ketamine therapy helps.", "Eine Ketamintherapie hilft.", "Eine Therapie hilft."),
    ("drugs", "zh_CN", "Ketamine is a medicine.", "氯胺酮是一种药物。", "吗啡是一种药物。"),
    ("drugs", "ar", "Ketamine is a medicine.", "الكيتامين دواء.", "المورفين دواء."),
    ("drugs", "es", "Take acetaminophen.", "Tome paracetamol.", "Tome un analgésico."),
]


@pytest.mark.parametrize("locale, source, translation", [
    ("de", "Take no more than 4 doses in 24 hours.", "Nehmen Sie höchstens 4 Dosen in 24 Stunden."),
    ("es", "No more than 8 tablets a day.", "Como máximo 8 comprimidos al día."),
])
def test_a_limit_is_not_a_negation(locale, source, translation):
    assert [p for p in check_pair(source, translation, Context(locale)) if p.check == "negation"] == []


def test_a_refused_link_keeps_the_translation_out_of_the_handout(tmp_path):
    root = small_project(tmp_path, "dose", DOSE, ("de",))
    translate(root, "de", "dose", {"Dose": "Dosis", DOSE_LINE: "[Klick](javascript:alert(1)) alle 24 Stunden 2 Tabletten."})
    r = run_pipeline("-C", str(root), "check")
    assert r.returncode == 1 and "error: links: link target 'javascript:alert(1' uses a scheme" in r.stderr
    r = run_pipeline("-C", str(root), "--min-translated", "0")
    html = (root / "output" / "de" / "dose.html").read_text(encoding="utf-8")
    assert "javascript" not in html and "Klick" not in html
    assert f'<p lang="en" dir="ltr" class="untranslated">{DOSE_LINE}</p>' in html


@pytest.mark.parametrize("name, locale, source, good, bad", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_check_passes_good_and_catches_bad(name, locale, source, good, bad):
    ctx = Context(locale)
    assert [p for p in check_pair(source, good, ctx) if p.check == name] == []
    found = [p for p in check_pair(source, bad, ctx) if p.check == name]
    assert found, f"{name} did not catch {bad!r}"


def test_placeholders_in_template_strings():
    ctx = Context("fr", python_format=True)
    assert check_pair("Last reviewed: %(date)s", "Dernière révision\u00a0: %(date)s", ctx) == []
    bad = check_pair("Last reviewed: %(date)s", "Dernière révision\u00a0: %(data)s", ctx)
    assert [p.check for p in bad] == ["placeholders"]


def test_plural_forms_must_match_the_language():
    entry = polib.POEntry(msgid="%(count)s language", msgid_plural="%(count)s languages",
                          msgstr_plural={0: "%(count)s langue", 1: "%(count)s langues"}, flags=["python-format"])
    assert check_entry(entry, "fr", 2) == []
    entry.msgstr_plural = {0: "%(count)s لغة", 1: "%(count)s لغتان"}
    problems = check_entry(entry, "ar", 6)
    assert [p.check for p in problems] == ["plurals"]


def test_error_levels_are_distinct():
    problems = check_pair("Take 2 tablets.", "Take 3 tablets", Context("de"))
    assert {(p.check, p.level) for p in problems} >= {("numbers", "error"), ("endpunc", "warning")}


def test_check_command_reports_in_compiler_style_and_exits_1(tmp_path):
    small_project(tmp_path, "dose", DOSE, ("de",))
    path = translate(tmp_path, "de", "dose", {"Dose": "Dosis", DOSE_LINE: "Nehmen Sie alle 42 Stunden 2 Tabletten ein."})
    r = run_pipeline("-C", str(tmp_path), "check")
    assert r.returncode == 1
    line = polib.pofile(str(path)).find("Take 2 tablets every 24 hours.").linenum
    assert f"locale/de/LC_MESSAGES/dose.po:{line}: error: numbers: source has 2, 24, translation has 42, 2" in r.stderr
    # the wrong translation is kept out of the handout: 1 of 7 words translated, below 80 %
    r = run_pipeline("-C", str(tmp_path), "status", "--json")
    import json
    row = json.loads(r.stdout)["catalogs"][0]
    assert row["rejected"] == 1 and row["printed"] is False


def test_a_translation_failing_a_check_is_not_printed_and_is_reported(tmp_path):
    small_project(tmp_path, "dose", DOSE, ("de",))
    translate(tmp_path, "de", "dose", {"Dose": "Dosis", DOSE_LINE: "Nehmen Sie alle 42 Stunden 2 Tabletten ein."})
    r = run_pipeline("-C", str(tmp_path), "--min-translated", "0")
    assert r.returncode == 0
    assert "locale/de/LC_MESSAGES/dose.po:" in r.stderr and "error: numbers:" in r.stderr
    html = (tmp_path / "output" / "de" / "dose.html").read_text(encoding="utf-8")
    assert "42 Stunden" not in html
    assert '<p lang="en" dir="ltr" class="untranslated">Take 2 tablets every 24 hours.</p>' in html


def test_status_shows_units_words_and_printing(tmp_path):
    small_project(tmp_path, "dose", DOSE, ("de", "fr"))
    translate(tmp_path, "de", "dose", {"Dose": "Dosis", DOSE_LINE: "Nehmen Sie alle 24 Stunden 2 Tabletten ein."},
              fuzzy=(DOSE_LINE,))
    import json
    data = json.loads(run_pipeline("-C", str(tmp_path), "status", "--json").stdout)
    de = next(r for r in data["catalogs"] if r["locale"] == "de")
    assert de["units"] == {"translated": 1, "fuzzy": 1, "untranslated": 0, "total": 2}
    assert de["words"] == {"translated": 1, "fuzzy": 6, "untranslated": 0, "total": 7}
    assert de["printed"] is False and data["min_translated"] == 80
    text = run_pipeline("-C", str(tmp_path), "status").stdout
    assert "dose" in text and "de" in text and "no (needs 80%)" in text


def _drug_mentions_by_one_expression(text):
    """``checks.drug_mentions`` as it was first written: one regular expression of every name's start."""
    import re

    names = checks._drugs()[0]
    stems = sorted({key[:4] for key in names})
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + r")\w*")
    return frozenset(names[k] for k in (checks._fold(m.group()) for m in pattern.finditer(checks._plain(text)))
                     if k in names)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["ketamine", "Ketamin", "kétamine", "paracetamol", "Paracétamol",
                                           "ibuprofen", "Ibuprofeno", "Ketamintherapie", "warfarin", "amoxicillin",
                                           "кетамин", "ケタミン", "ket", "keta", "para", "2mg", "_x", "é"]),
                          st.text(alphabet="abcdeiklmnoprtuwéñ -.,()/\u0301", max_size=12)), max_size=12)
       .map(" ".join))
def test_drug_names_are_found_as_the_one_expression_found_them(text):
    assert checks.drug_mentions.__wrapped__(text) == _drug_mentions_by_one_expression(text)


def _plain_by_character(text: str) -> str:
    """What ``checks._plain`` did one character at a time: accents off (NFD, combining marks dropped)."""
    import unicodedata

    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return text.lower().replace("ph", "f").replace("th", "t").replace("k", "c").replace("y", "i").replace("ae", "e")


@given(st.text(alphabet=st.sampled_from(list(
    "aeKkyPhTéÄöüßçñøœ«»“”–— \u00a0\u034f\u0301\u0308\u0327\u064b\u0627\u05b0\u05d0\u1dc0\u20d0\ufe20中文ἀῆ𝄞"
    "\U0001d165")), max_size=40) | st.text(max_size=40))
def test_the_drug_check_folds_text_as_it_did_character_by_character(text):
    # Latin accents go in one pass, other scripts' marks one by one: the same text either way
    assert checks._plain(text) == _plain_by_character(text)
