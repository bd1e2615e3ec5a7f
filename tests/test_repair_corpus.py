"""The repair step on whole texts: the seed, clean leaflets, spun samples, and the rule table.

tests/corpus/ holds texts written for this project (see its README): clean leaflets full
of phrases that naive rules break, and spun versions of other texts with their originals.
"""
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handouts.repair.evaluation import Score, flag_is_right, score_pair, _words
from handouts.repair.records import Flag
from handouts.repair import load_rules, repair
from conftest import CORPUS, ROOT

SEED = ROOT / "source" / "ketamine.md"
GOLDEN = Path(__file__).parent / "golden" / "ketamine.repaired.md"
CLEAN = sorted((CORPUS / "clean").glob("*.md"))
SPUN = sorted((CORPUS / "spun").glob("*.spun.md"))

# every garbled phrase of the seed (issue 2), which must not survive the repair
SEED_GARBLE = [
    "can be a medication", "health care exercise", "created being", "a essential", "Device",
    "crisis treatment", "ache administration", "emerged to be", "psychological wellness",
    "despair", "publish-traumatic", "dysfunction", "tend not to reply", "classic remedies",
    "is effective by", "Along with", "glutamate process", "which can be linked", "exclusive system",
    "make fast", "outcomes", "inside of", "benefit about", "could choose months", "to operate",
    "meticulously", "Command", "to be sure", "basic safety", "is often shipped", "as a result of",
    "Throughout remedy", "healthcare companies", "essential indications", "prospective",
    "moderate dissociation", "non permanent", "improvements in blood pressure", "blood pressure level",
    "Unwanted", "quick-lived", "workable", "underneath", "Specialist", "Added benefits",
    "serious threats", "memory challenges", "can be a managed", "managed substance",
    "majority of nations", "lawful", "commander", "fitness", "most secure", "professional medical",
    "makes sure", "Uncomfortable", "robust", "each medicine", "therapeutic possible",
    "education and learning", "dependable", "sufferers", "companies can", "Advantages", "likely harm",
    "speedy results", "need to often", "Being familiar with",
]


def test_seed_reads_as_the_reviewed_golden_text():
    """tests/golden/ketamine.repaired.md was read sentence by sentence against the seed."""
    result = repair(SEED.read_text(encoding="utf-8"))
    assert result.text == GOLDEN.read_text(encoding="utf-8")


def test_seed_has_no_garbled_phrase_left_and_every_flag_reviewed():
    from handouts.repair import decisions
    original = SEED.read_text(encoding="utf-8")
    result = repair(original)
    left = [g for g in SEED_GARBLE if g in result.text]
    assert left == []
    # the language model suspects "dosages" (it is rare in general English), and the development
    # split's swaps suspect "extensively" (for "widely"), "particularly", "result in" (for "cause"),
    # "psychological" and "critical"; the editor kept them all (so does the golden text), and the
    # decisions shipped beside the source settle them
    assert [f.text for f in result.flags] == ["extensively", "particularly", "dosages", "result in",
                                              "psychological", "critical"]
    reviewed = decisions.review_items(original, result, decisions.load(decisions.path_for(SEED)))
    assert all(item.reviewed for item in reviewed)
    assert decisions.apply(original, result, decisions.load(decisions.path_for(SEED))).result.flags == []


def test_seed_repair_keeps_numbers_drug_names_and_structure():
    original = SEED.read_text(encoding="utf-8")
    result = repair(original)
    assert re.findall(r"\d+", result.text) == re.findall(r"\d+", original)
    assert result.text.count("\n") == original.count("\n")
    assert [l[:3] for l in result.text.splitlines()] == [l[:3] for l in original.splitlines()] or \
        [l.startswith("#") for l in result.text.splitlines()] == [l.startswith("#") for l in original.splitlines()]
    # the injected "commander ketamine" is the only mention of the drug that goes
    assert result.text.lower().count("ketamine") == original.lower().count("ketamine") - 1


def test_fix_offsets_point_into_the_input():
    for path in [SEED] + SPUN:
        original = path.read_text(encoding="utf-8")
        result = repair(original)
        rebuilt, pos = [], 0
        for fix in result.fixes:
            assert original[fix.start:fix.end] == fix.before
            rebuilt += [original[pos:fix.start], fix.after]
            pos = fix.end
        assert "".join(rebuilt) + original[pos:] == result.text, path.name
        for flag in result.flags:
            assert original[flag.start:flag.end] == flag.text


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_clean_text_is_left_exactly_as_it_is(path):
    text = path.read_text(encoding="utf-8")
    result = repair(text)
    assert result.fixes == []
    assert result.text == text


def test_the_development_splits_originals_are_left_as_they_are():
    """The texts the development split was spun from are clean English too, written apart from the
    clean leaflets: nothing changed, no more flags than the issue allows in clean text (1 per 1,000
    words; 0 measured).  "Call or text 988 to reach the Suicide & Crisis Lifeline" read "Suicide" as
    a stray capital, which made that text look spun: "Suicide" lowered, "passes" made "occurs", and
    37 flags on right words."""
    originals = sorted((CORPUS / "spun").glob("*.original.md"))
    assert len(originals) == 22 and _flags_per_1000_of_unchanged(originals) <= 1.0


def _flags_per_1000_of_unchanged(paths) -> float:
    """Repair each clean text, check it came out unchanged; the flags raised per 1,000 words in all."""
    words = flags = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        result = repair(text)
        assert result.text == text and result.fixes == [], path.name
        words += len(text.split())
        flags += len(result.flags)
    return 1000 * flags / words


def test_clean_texts_by_other_hands_are_left_as_they_are():
    """tests/corpus/others/ was written apart from the rules and from the other splits, by other hands:
    its clean texts and the originals of its spun ones must come out unchanged, with no more flags than
    clean text is allowed.  A leaflet on hand-washing ("Lather your hands", "Scrub", "Rinse") showed 10
    statistical suspects in 495 words and read as spun at the development texts' clean rate: "Lather",
    "Scrub" and "Rinse" became "Wash", and 53 right words were flagged."""
    folder = CORPUS / "others"
    paths = sorted((folder / "clean").glob("*.md")) + sorted(folder.glob("*.original.md"))
    assert len(paths) == 104 and _flags_per_1000_of_unchanged(paths) <= 1.0


def test_clean_corpus_is_big_enough_to_mean_something():
    words = sum(len(p.read_text(encoding="utf-8").split()) for p in CLEAN)
    assert len(CLEAN) >= 29 and words >= 15000


def test_spun_samples_are_mostly_repaired_and_nothing_right_is_damaged():
    total = Score()
    words = flags = 0
    for spun_path in SPUN:
        original = spun_path.with_name(spun_path.name.replace(".spun.md", ".original.md"))
        spun = spun_path.read_text(encoding="utf-8")
        result = repair(spun)
        total += score_pair(original.read_text(encoding="utf-8"), spun, result)
        words += len(spun.split())
        flags += len(result.flags)
    assert len(SPUN) >= 22 and total.garbled >= 1000
    # floors a little under what scripts/evaluate_repair.py reports; see the README
    assert total.repaired / total.garbled >= REPAIRED_FLOOR
    assert (total.repaired + total.flagged) / total.garbled >= HANDLED_FLOOR
    assert total.damaged <= DAMAGE_CEILING
    # the measure of suggestions, per flag on a garbled phrase
    assert total.flags_right / total.flags_on_garbled >= FLAGS_RIGHT_FLOOR
    # an editor reviews every flag: no more than now (a recurring word is not flagged)
    assert 1000 * flags / words <= SPUN_FLAGS_PER_1000


# development split only (tests/corpus/spun); the held-out split is never a floor
REPAIRED_FLOOR = 0.30   # measured 331 of 1,033 (32 %; 332 before words for the body were left to an editor; 242 before swaps.txt, which this split gave: see the
                        # test below for the figure with each text left out of it)
HANDLED_FLOOR = 0.80    # repaired or flagged: measured 842 of 1,033 (82 %; 83 % with the model's flags from 2.5,
                        # not 3.0; 65 % before swaps.txt)
FLAGS_RIGHT_FLOOR = 0.68  # first suggestion right: measured 430 of the 572 flags on garbled phrases (75 %; 72 % from 2.5;
                          # 42 % before swaps.txt, which holds this split's own swaps)
DAMAGE_CEILING = 12     # measured 9 (12 before words for the body were left to an editor, 18 earlier; 17 before swaps.txt; 20 before the word after an a/an error was read)
SPUN_FLAGS_PER_1000 = 165  # measured 141 (158 with the model's flags from 2.5; 138 before swaps.txt; of its 146 more flags here, 140 are on garbled phrases) (137 before the wider candidate lists, 145 before the model repaired the phrase tables' known swaps at 5:
                           # 131 before the language model read headings and scored every candidate,
                           # 141 before it left recurring words alone)
CLEAN_FLAGS_PER_1000 = 2.0  # the cap: at most 1 flag per 500 clean words


@pytest.mark.parametrize("path, words", [
    ("spun/iron-deficiency-anaemia.spun.md", ["tummy"]),  # "Feeling Unwell or tummy pain": was made "stomach"
    ("others/typhoid.spun.md", ["tummy", "stools"]),  # "a swollen tummy, blood in the stools": "toilets"
])
def test_a_word_for_the_body_is_flagged_not_replaced_on_the_models_reading_alone(path, words):
    """In a spun document, the language model's best reading of a right word for the body or what it
    does is no repair: "blood in the stools" must not reach a patient as "blood in the toilets".  The
    editor sees the word flagged with the model's suggestion and decides."""
    spun = (CORPUS / path).read_text(encoding="utf-8")
    result = repair(spun)
    assert result.fixes, "the document reads as spun"
    for word in words:
        assert len(re.findall(rf"\b{word}\b", result.text)) == len(re.findall(rf"\b{word}\b", spun))
        assert any(f.text == word and f.suggestion and f.rule == "statistical:model" for f in result.flags), word
    assert {"stools", "tummy", "calf"} <= load_rules().body_words


def test_a_word_is_never_repaired_into_its_opposite_nor_flagged_with_it():
    """A spinner swaps a word for one it takes to mean the same; the language model, reading a word's
    thesaurus neighbours, preferred "a diet high in iron" to the writer's "a diet low in iron" and repaired
    it so, and suggested "better" for "worse" and "hungry" for "thirsty".  A word's opposite is neither."""
    spun = (CORPUS / "others" / "iron-tablets.spun.md").read_text(encoding="utf-8")
    result = repair(spun)
    assert result.fixes, "the document reads as spun"
    assert "a diet low in iron" in spun and "a diet low in iron" in result.text
    for path, word, opposite in [("others/croup.spun.md", "worse", "better"),
                                 ("others/heat-exhaustion.spun.md", "thirsty", "hungry")]:
        flags = repair((CORPUS / path).read_text(encoding="utf-8")).flags
        assert not any(f.text == word and opposite in (f.suggestion, *f.alternatives) for f in flags), path
    rules = load_rules()
    assert {("low", "high"), ("high", "low"), ("worse", "better"), ("higher", "lower")} <= rules.antonyms


def test_the_word_after_an_a_an_error_is_read_among_words_that_fit_the_article():
    """The spinner keeps the article of the word it replaces ("an emergency room" -> "an crisis
    room"): the word after it is the spinner's, and its original takes that article."""
    spun = (CORPUS / "spun" / "kidney-stones.spun.md").read_text(encoding="utf-8")
    result = repair(spun)
    assert "Go to an emergency room" in result.text
    assert "blocks an infected kidney" in result.text
    fix = next(f for f in result.fixes if f.before == "crisis")
    assert fix.after == "emergency" and fix.layer == "statistical"
    assert not any(f.before == "an" for f in result.fixes)  # the article as it was


def test_the_model_repairs_at_a_higher_score_where_sure_phrase_repairs_show_swapped_wording():
    """sun-safety has too few statistical suspects to count as statistically spun, but many sure
    repairs of the phrase table: "relieve ache" (score 11.8) is repaired, not only flagged; the
    seed's "dosages" (9.1, a right word) stays a flag (golden file)."""
    spun = (CORPUS / "spun" / "sun-safety.spun.md").read_text(encoding="utf-8")
    fix = next(f for f in repair(spun).fixes if f.before == "ache")
    assert fix.after == "pain" and fix.layer == "statistical"


def test_clean_corpus_raises_few_flags():
    words = flags = 0
    for path in CLEAN:
        text = path.read_text(encoding="utf-8")
        words += len(text.split())
        flags += len(repair(text).flags)
    assert 1000 * flags / words <= CLEAN_FLAGS_PER_1000


@pytest.mark.parametrize("path", [SEED] + SPUN + CLEAN, ids=lambda p: p.name)
def test_repair_is_idempotent_on_every_corpus_text(path):
    once = repair(path.read_text(encoding="utf-8")).text
    twice = repair(once)
    assert twice.text == once
    assert twice.fixes == []


def test_a_repair_that_shows_more_evidence_is_carried_to_the_end():
    """The body's repairs ("youngsters" -> "children") make the same words probable in a heading that had
    too little evidence of its own; the repair goes on until a pass repairs nothing (a mixture
    hypothesis found), so repairing its output again changes nothing.  (The body is spun by its weak
    signs, an a/an error beside its stray capitals: capitals alone are not enough.)"""
    text = ("# Ketamine # Ketamine # Ketamine Typical signs in adults and youngsters include:\n\n"
            "- Do not rub your eye Typical signs in adults and youngsters include: - Flex your ankles while "
            "seated by raising and lowering your heels and toes for a hour")
    once = repair(text)
    assert once.text.startswith("# Ketamine # Ketamine # Ketamine common signs in adults and children include:")
    assert repair(once.text).text == once.text
    rebuilt, pos = [], 0  # every fix points into the text as given
    for fix in sorted(once.fixes, key=lambda f: f.start):
        assert text[fix.start:fix.end] == fix.before
        rebuilt += [text[pos:fix.start], fix.after]
        pos = fix.end
    assert "".join(rebuilt) + text[pos:] == once.text
    assert all(text[x.start:x.end] == x.text for x in once.flags)


def _sentences():
    texts = [p.read_text(encoding="utf-8") for p in [SEED] + SPUN + CLEAN]
    return [s for t in texts for s in re.split(r"(?<=[.!?])\s+|\n", t) if s.strip()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_repair_is_idempotent_on_random_mixtures(data):
    sentences = _SENTENCES
    picked = data.draw(st.lists(st.sampled_from(sentences), min_size=1, max_size=12))
    seps = data.draw(st.lists(st.sampled_from([" ", "\n", "\n\n", " - "]), min_size=len(picked), max_size=len(picked)))
    text = "".join(s + sep for s, sep in zip(picked, seps))
    once = repair(text)
    assert repair(once.text).text == once.text
    assert NUMBER.findall(once.text) == NUMBER.findall(text)
    assert once.text.count("\n") == text.count("\n")


# a number, not digits inside a word ("h2o" is the spinner's "water")
NUMBER = re.compile(r"(?<![^\W_])\d+(?:[.,]\d+)*")


_SENTENCES = _sentences()


def test_rule_table_is_consistent():
    rules = load_rules()
    seen = set()
    for entry in rules.entries:
        key = (entry.tokens, entry.before, entry.not_before, entry.after, entry.not_after, entry.stray_capital)
        assert key not in seen, f"duplicate entry {entry.name}"
        seen.add(key)
        # a sure repair's result must not itself be matched by a sure entry (stable output)
        literal = "".join(p if isinstance(p, str) else "x" for p in entry.fix)
        result = repair(literal)
        sure = [f for f in result.fixes if not f.rule.startswith(("stray", "a-an"))]
        assert not sure, f"{entry.name}: its fix {literal!r} is changed again by {sure[0].rule}"


def test_the_development_split_scored_as_new_text_keeps_its_floors():
    """swaps.txt comes from the development split, so its own score flatters it: each text is
    repaired again with the swaps of the other texts only (leave one out), as a new text would be."""
    from handouts.repair.evaluation import score_split_cross

    total = score_split_cross(CORPUS / "spun", CORPUS / "clean")
    assert total.garbled >= 1000
    assert total.repaired / total.garbled >= 0.25        # measured 274 of 1,033 (27 %)
    assert (total.repaired + total.flagged) / total.garbled >= 0.66   # measured 699 (68 %; 70 % with the model's flags from 2.5)
    assert total.damaged <= 19                           # measured 18
    assert total.flags_right / total.flags_on_garbled >= 0.50  # measured 247 of 474 (52 %; 254 of 512 from 2.5)


def test_the_swap_table_is_what_the_development_split_gives():
    """swaps.txt is data derived by scripts/make_swaps.py, never edited by hand, and holds no word
    that a clean leaflet uses."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_swaps.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    from handouts.repair.evaluation import writers_texts

    table = (ROOT / "handouts" / "rules" / "swaps.txt").read_text(encoding="utf-8")
    written = {line.split("\t")[0] for line in table.splitlines() if line and not line.startswith("#")}
    words = {w for w in written if " " not in w}
    assert len(words) > 300 and len(written - words) > 100
    clean = [" " + " ".join(text) + " " for text in writers_texts(CORPUS / "clean")]
    assert not [w for w in written if any(f" {w} " in text for text in clean)]


@pytest.mark.parametrize("spun, flagged, suggestion, right", [
    # the flag's word comes back where the original has it, though "Right" is still spun
    ("Searching Right after your baby.", "Searching", "Looking", True),
    # one word of a two-word phrase, right
    ("A correct synthetic tear.", "synthetic", "artificial", True),
    # a near synonym that is not the original
    ("A correct synthetic tear.", "synthetic", "plastic", False),
    # a flag on a right word: any change is wrong, keeping it is not a suggestion
    ("A correct synthetic tear.", "tear", "drop", False),
    # two words for one, taken whole
    ("After Surgical procedure you rest.", "Surgical procedure", "surgery", True),
    # a suggestion that brings the original back but breaks the next word is not right
    ("A correct synthetic tear.", "synthetic tear", "artificial", False),
])
def test_a_flags_suggestion_is_right_only_where_it_gives_the_original_words(spun, flagged, suggestion, right):
    originals = {
        "Searching Right after your baby.": "Looking after your baby.",
        "A correct synthetic tear.": "A right artificial tear.",
        "After Surgical procedure you rest.": "After surgery you rest.",
    }
    start = spun.index(flagged)
    flag = Flag(start, start + len(flagged), flagged, "test", suggestion=suggestion)
    assert flag_is_right(flag, _words(originals[spun]), spun) is right


def test_the_statistics_alone_make_a_short_text_spun_only_where_clean_text_seldom_reaches_them():
    """With no other sign of spinning, 15 suspects per 1,000 words made a document spun; in 350 words
    that is 6, which clean text of that length shows about once in 50.  The count must also be one
    clean text reaches less than once in 1,000: at 6 per 1,000 words, the rate of the clean texts of
    five hands (5.0 per 1,000 in 75 texts) with room for how much it varies from writer to writer (1.2
    times what chance alone gives).  At the development texts' 4.66 per 1,000, a clean leaflet by
    another hand (tests/corpus/others/clean/hand-washing.md: 10 in 495 words of imperatives, "Lather",
    "Scrub", "Rinse") read as spun, and "Lather" became "Wash"."""
    from handouts.repair.engine import chance_of_at_least, spun_by_statistics
    from handouts.repair.statistical import load_settings

    s = load_settings()
    assert not spun_by_statistics(6, 350, False, s)  # 17 per 1,000, but 1 clean text in 50 shows it
    assert not spun_by_statistics(8, 350, False, s) and spun_by_statistics(9, 350, False, s)
    assert spun_by_statistics(6, 350, True, s)  # another sign: 8 per 1,000 is enough, as before
    assert not spun_by_statistics(2, 100, True, s)  # at least 3 in all, as before
    assert spun_by_statistics(16, 1000, False, s) and not spun_by_statistics(15, 1000, False, s)
    assert not spun_by_statistics(10, 495, False, s)
    assert not spun_by_statistics(60, 5000, False, s)  # a long text still needs 15 per 1,000
    assert 0.020 < chance_of_at_least(6, 350 * 6.0 / 1000) < 0.021
    assert chance_of_at_least(0, 3.0) == 1.0 and chance_of_at_least(3, 0.0) == 0.0
    # a book-length text: 1,000 expected, 1,100 found is rare (about 0.1 %), 900 is not
    assert chance_of_at_least(1100, 1000.0) < 0.002 and chance_of_at_least(900, 1000.0) > 0.99
    assert spun_by_statistics(3000, 200_000, False, s) and not spun_by_statistics(2900, 200_000, False, s)


def test_clean_files_from_elsewhere_are_scored_as_clean_text(tmp_path):
    # scripts/evaluate_repair.py --clean-files: what the step changes and flags in any clean English
    from handouts.repair.evaluation import score_clean_files

    defined = tmp_path / "a" / "README"
    defined.parent.mkdir()
    defined.write_text("The Licensee may copy the Work. " * 30 + "Keep the Device dry.\n", encoding="utf-8")
    short = tmp_path / "b" / "README"
    short.parent.mkdir()
    short.write_text("Too short to count.\n", encoding="utf-8")
    score = score_clean_files([defined, short], min_words=150)
    assert (score.files, score.changed) == (1, 0)  # a defined term used throughout is the writer's
    assert [(name, f.text) for name, f in score.flags] == [(str(defined), "Device")]
