"""The repair step's behaviour, one rule of the issue at a time, on the real rule files."""
import pytest

from handouts.repair import load_rules, repair


def fixed(text: str) -> str:
    return repair(text).text


def test_phrase_swap_is_repaired_and_reported_with_offsets():
    text = "Good ache administration helps."
    r = repair(text)
    assert r.text == "Good pain management helps."
    (fix,) = r.fixes
    assert (fix.start, fix.end, fix.before, fix.after) == (5, 24, "ache administration", "pain management")
    assert fix.rule.startswith("phrases:")


def test_sentence_initial_capital_is_kept():
    assert fixed("Ache administration matters.") == "Pain management matters."


def test_spinners_stray_capital_is_dropped():
    assert fixed("It is a essential Device for surgeries, and crisis treatment matters.").startswith(
        "It is an essential tool for surgeries")


def test_article_follows_the_repaired_word():
    # "an" before a vowel-initial garbled phrase becomes "a" before the consonant of the repair
    assert fixed("She has an ache administration plan.") == "She has a pain management plan."


def test_heading_in_title_case_stays_in_title_case():
    assert fixed("## Ache Administration\n") == "## Pain Management\n"


def test_line_structure_and_paragraph_breaks_are_kept():
    text = "Ache administration\nhelps.\n\n\nNext ache administration.\n"
    assert fixed(text) == "Pain management\nhelps.\n\n\nNext pain management.\n"


def test_a_phrase_split_over_two_lines_is_repaired_only_if_lines_survive():
    r = repair("Good ache\nadministration helps.\n")
    assert r.text.count("\n") == 2


def test_numbers_doses_and_drug_names_pass_through():
    text = "Take 2 x 500mg paracetamol inside of 4 hours, and ketamine inside of 24 hours.\n"
    assert fixed(text) == "Take 2 x 500mg paracetamol within 4 hours, and ketamine within 24 hours.\n"


def test_definition_with_can_be_is_repaired_only_where_the_text_is_spun():
    spun = "Ketamine can be a medication used in ache administration."
    assert fixed(spun) == "Ketamine is a medication used in pain management."
    clean = "Ketamine can be a medication of last resort."
    r = repair(clean)
    assert (r.text, r.fixes, r.flags) == (clean, [], [])  # no evidence of spinning: silent
    # one stray capital is too weak a sign to wake the spun-only entries (a genus such as "Salmonella"
    # is one): only the capital is flagged; so are capitals alone, however many (a clinic's roles:
    # "ask your Pharmacist or Nurse"); an a/an error beside one makes the paragraph spun, and it is repaired
    doubtful = "Ketamine can be a medication of last resort. Keep the Device dry."
    r = repair(doubtful)
    assert r.text == doubtful
    assert [f.suggestion for f in r.flags] == ["device"]
    roles = "Ketamine can be a medication of last resort. Ask your Pharmacist or Nurse before you use it."
    r = repair(roles)
    assert r.text == roles
    assert [f.suggestion for f in r.flags] == ["pharmacist", "nurse"]
    # the a/an error shows that the word after it was swapped (the article is the writer's): the article
    # stays and that word is flagged for an editor, whose choice then fits it
    r = repair("Ketamine can be a medication of last resort. Keep the Device in a airtight box.")
    assert r.text == "Ketamine is a medication of last resort. Keep the device in a airtight box."
    assert [f.text for f in r.flags] == ["airtight"] and "article" in r.flags[0].reason


def test_grammar_templates():
    assert fixed("It was created being an anaesthetic.") == "It was created as an anaesthetic."
    assert fixed("It emerged to be a treatment.") == "It emerged as a treatment."
    assert fixed("It works by interacting Along with receptors.") == "It works by interacting with receptors."
    assert fixed("Relief comes inside of several hours.") == "Relief comes within several hours."


def test_injected_foreign_keyword_is_removed_when_the_drug_is_named_elsewhere():
    text = "People looking for ketamine for pain and commander ketamine relief should ask."
    r = repair(text)
    assert r.text == "People looking for ketamine for pain and relief should ask."
    assert any(f.rule.startswith("spam") for f in r.fixes)


def test_injected_keyword_keeps_the_only_mention_of_the_drug_and_flags_it():
    r = repair("Take kaufen ibuprofen with food.")
    assert r.text == "Take ibuprofen with food."
    assert r.flags and r.flags[0].text == "ibuprofen"


def test_english_buying_phrase_is_flagged_not_removed():
    text = "Never buy ketamine online from a website."
    r = repair(text)
    assert r.text == text
    assert r.flags and "advert" in r.flags[0].reason


MOUTH_ULCERS = """\
# Mouth Ulcers

Mouth ulcers are small, painful sores inside the mouth. Most heal on their own within 1 to 2 weeks.

## Treatment

A pharmacist can suggest a gel or mouthwash to simplicity the pain. Gels containing {spam}benzocaine 20% numb \
the sore for a short time. Use the gel up to four occasions a day and do not give it to children under 12.

See a dentist or GP if an ulcer has not began to heal after 3 weeks, or if you keep getting ulcers.
"""


def test_a_buying_phrase_pasted_where_no_verb_fits_is_spam_and_shows_spinning():
    # written for this test in the manner of a spun leaflet by another hand than the corpus's: without
    # a sign of spinning the swaps ("simplicity", "occasions", "began") pass unseen; "containing buy
    # benzocaine online" is a verb where English has no place for one, pasted in as a foreign keyword is
    quiet = repair(MOUTH_ULCERS.format(spam=""))
    assert quiet.fixes == [] and quiet.flags == []
    r = repair(MOUTH_ULCERS.format(spam="buy benzocaine online "))
    flags = {f.text: f for f in r.flags}
    assert flags["buy benzocaine online"].layer == "spam" and flags["buy benzocaine online"].suggestion is None
    assert {("simplicity", "ease"), ("occasions", "times"), ("began", "started")} <= {
        (f.text, f.suggestion) for f in r.flags}
    assert "20%" in r.text and "under 12" in r.text
    once = repair(MOUTH_ULCERS.format(spam="buy cheap "))  # the only mention of the drug: it stays
    assert [(f.text, f.suggestion) for f in once.flags if f.layer == "spam"] == [("buy cheap benzocaine",
                                                                                   "benzocaine")]


@pytest.mark.parametrize("sentence", [
    "You can buy benzocaine online from a registered pharmacy.",
    "Do not order benzocaine online from a website you do not know.",
    "Take paracetamol or order ibuprofen online for delivery.",
    "Buy ibuprofen online only from a registered pharmacy.",
    "- buy ibuprofen online only from a registered pharmacy",
])
def test_a_buying_verb_where_a_verb_fits_is_the_writers(sentence):
    # the same phrase where the sentence has a place for a verb is flagged for an editor, and shows nothing
    text = MOUTH_ULCERS.format(spam="") + "\n" + sentence + "\n"
    r = repair(text)
    assert r.text == text and r.fixes == []
    assert [f.reason for f in r.flags] == ["looks like an injected advert (buy/order a drug)"]


def test_a_two_word_substance_is_a_drug_name_to_the_repair_only():
    # "comprar salicylic acid": a buying word before a substance named in two words (substances.txt);
    # before, "salicylic" was no drug name, so the keyword went unseen and so did the text's spinning
    spun = ("Wart paints containing comprar salicylic acid (usually 12% to 26%) are used once a day. "
            "Salicylic acid can irritate healthy skin, so protect it with petroleum jelly.\n")
    r = repair(spun)
    assert r.text == spun.replace("comprar ", "")
    assert [f.rule for f in r.fixes] == ["spam:injected keyword"]
    clean = "Take folic acid 400 micrograms a day until you are 12 weeks pregnant.\n"
    assert repair(clean).text == clean
    # the translation check asks for no first word of such a name: languages write it as one word
    from handouts.checks import Context, check_pair

    assert [p for p in check_pair("Use a gel with salicylic acid.", "Verwenden Sie ein Gel mit Salicylsäure.",
                                  Context("de")) if p.check == "drugs"] == []


def test_spintax_is_flagged_with_its_first_option():
    r = repair("See your {doctor|GP} soon.")
    assert r.text == "See your {doctor|GP} soon."
    assert [(f.text, f.suggestion) for f in r.flags] == [("{doctor|GP}", "doctor")]


def test_stray_capital_in_clean_paragraph_is_only_flagged():
    text = "Keep the Device in a dry place."
    r = repair(text)
    assert r.text == text
    assert [(f.text, f.suggestion) for f in r.flags] == [("Device", "device")]


def test_a_stray_capital_beside_an_acronym_that_it_does_not_spell_is_still_flagged():
    text = "Call the NHS if the pain is Severe or lasts a week."
    r = repair(text)
    assert r.text == text
    assert [(f.text, f.suggestion) for f in r.flags] == [("Severe", "severe")]


@pytest.mark.parametrize("text", [
    "Contact the Department of Health and Social Care.",
    "The World Health Organization publishes advice.",
    "See Table 1 and Type 2 diabetes.",
    "## How To Use Your Inhaler",
    "- Take one tablet.\n- Drink water.",
    "Note: Take it with food.",
    "Get help (Call 999) now.",
    "Call or text 988 to reach the Suicide & Crisis Lifeline, or call 911.",
    # a sentence opens after a sentence's end and its bracket or quote, and after a list marker of a
    # letter, a roman numeral or a number with a bracket (the clean licences of /usr/share/common-licenses)
    "It may not explain any medicine.)  The leaflet could be a matter of history.",
    'The nurse said "Rest".)  Then you can go home.',
    "You may:\n\n    d) If the pain is worse, call us.\n    (ii) The dose is small.\n    3) Take it with water.",
    # a line in title case is a heading plain text does not mark
    "  1. Source Code.\n\n  2. Side Effects To Watch For\n\nTake one tablet.",
    # a name whose first word opens the sentence and is no common English word
    "Macmillan Cancer Support can help you.",
    # a genus is a name (handouts/rules/names.txt), the lower-case word a common noun
    "Raw eggs can carry Salmonella, so cook them well.",
    "Malaria is spread by the bite of a female Anopheles mosquito.",
    # an acronym spelt out, its words' capitals in its order (a clean leaflet of the sixth batch)
    "Remember FAST: Face, Arms, Speech, Time to call. Do not wait.",
    "Use RICE for the first 2 days: Rest, Ice, Compression and Elevation.",
])
def test_capitals_that_belong_are_not_flagged(text):
    r = repair(text)
    assert r.text == text
    assert r.flags == []


def test_a_word_the_document_capitalises_each_time_is_its_own_usage():
    # a defined term (licences, service leaflets): capitalised mid-sentence twice or more, it is how the
    # writer spells it, not a spinner's stray capital, and no sign of spinning
    text = ("Ketamine can be a medication of last resort. If the Service cannot see you, the Service "
            "will call you.\n\nAsk the Service about the Clinic or the Clinic's hours.\n")
    r = repair(text)
    assert (r.text, r.flags) == (text, [])
    # a stray capital that comes once is still one, beside them
    r = repair(text + "\nKeep the Device dry.\n")
    assert [(f.text, f.suggestion) for f in r.flags] == [("Device", "device")]


@pytest.mark.parametrize("text", [
    "(See below.) You can keep the Device in a dry place.",
    "d) You can keep the Device in a dry place.",
    "2. Keep your tablets Dry\n\nTake one tablet.",
    "Some Medicines can make you drowsy.",
])
def test_a_stray_capital_beside_those_places_is_still_one(text):
    # what the layout excuses is the first word there, or a line of capitals only: a capital among
    # words in lower case, or after a common word that opens the sentence, is still the spinner's kind
    r = repair(text)
    assert r.text == text
    assert [f.reason for f in r.flags] == ["common word capitalised in mid-sentence"]


def test_a_capital_that_opens_a_line_is_the_layout():
    text = "Program: the ketamine clinic\nAuthor: the pharmacy team\nReview date: 2025\n"
    r = repair(text)
    assert (r.text, r.flags) == (text, [])


@pytest.mark.parametrize("text", [
    "an hour", "a one-off dose", "a European guideline", "a unit of alcohol", "an NHS service",
    "a urine test", "an MRI scan", "an x-ray", "a herbal remedy", "an honest answer", "a UK study",
])
def test_correct_articles_are_left_alone(text):
    assert fixed(f"It was {text}.") == f"It was {text}."


def test_code_spans_and_urls_are_never_touched():
    text = "Run `ache administration` or see https://example.org/ache-administration today."
    assert fixed(text) == text


def test_rule_files_load_and_are_broad():
    rules = load_rules()
    phrase_entries = [e for e in rules.entries if e.name.startswith("phrases:")]
    assert len(phrase_entries) >= 300
    assert "ketamine" in rules.drugs and "commander" in rules.commerce_verbs


# -- injected keywords in any language ------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Ketamine helps some people. Others commander kétamine online.", "Ketamine helps some people. Others online."),
    ("Ketamine helps some people. Others kaufen Ketamin online.", "Ketamine helps some people. Others online."),
    ("Ketamine helps some people. Others comprar ketamina online.", "Ketamine helps some people. Others online."),
    ("Use ibuprofen gel. Never comprar ibuprofeno with alcohol.", "Use ibuprofen gel. Never with alcohol."),
])
def test_buy_verb_next_to_a_drug_in_any_spelling_is_removed(text, expected):
    r = repair(text)
    assert r.text == expected
    assert any(f.rule.startswith("spam") for f in r.fixes)


def test_promotional_link_and_sales_phrase_are_flagged():
    text = "Get PrEP from a clinic, best price online. See [buy cheap meds](http://cheap-meds.example/prep).\n"
    r = repair(text)
    assert r.text == text
    assert {f.text for f in r.flags} == {"best price", "[buy cheap meds](http://cheap-meds.example/prep)"}
    assert all(f.layer == "spam" for f in r.flags)


# -- the statistical layer ---------------------------------------------------------------------

def test_statistical_resources_are_not_loaded_at_import():
    import subprocess
    import sys
    code = ("import handouts.repair, handouts.cli, handouts.repair.counts as c, handouts.repair.thesaurus as th,"
            " handouts.repair.lm as lm;"
            "print(c.load_model.cache_info().currsize, th.load_thesaurus.cache_info().currsize,"
            " th.load_broad.cache_info().currsize, lm.load_trigram.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "0", "0", "0"]


def test_language_model_reads_swaps_with_its_alternatives():
    # development split: "simplicity" (for "ease") is in no rule file and WordNet does not link
    # them; Moby does, and the trigram model reads "can ease the discomfort" far more probably
    from conftest import CORPUS
    r = repair((CORPUS / "spun" / "gout.spun.md").read_text(encoding="utf-8"))
    assert ("simplicity", "ease") in [(f.before, f.after) for f in r.fixes if f.rule == "statistical:model"]
    # "assaults" for "attacks" is a swap the phrase tables know ("coronary heart assault"): repaired
    # at a lower score than any other reading
    assert ("assaults", "attacks") in [(f.before, f.after) for f in r.fixes if f.rule == "statistical:model"]
    flags = [f for f in r.flags if f.rule == "statistical:model"]
    assert any(len(f.alternatives) == 3 for f in flags)
    assert all(len(f.alternatives) <= 3 and f.suggestion not in f.alternatives for f in flags)
    # the topic of the document is not read as a commoner word
    assert not any(f.text.lower() == "gout" for f in r.flags)


def test_trigram_model_scores_wording():
    from handouts.repair.lm import load_trigram
    lm = load_trigram()
    assert lm.known("pain") and not lm.known("xqzvv")
    assert lm.sentence(["pain", "management"]) > lm.sentence(["ache", "administration"]) + 5


def test_a_broken_candidate_table_is_a_path_line_error(tmp_path):
    from handouts.errors import HandoutsError
    from handouts.repair.thesaurus import load_broad
    bad = tmp_path / "moby.txt"
    bad.write_text("# header\nache\t12\tpain:ms\nwellness\tmany\thealth:m\n", encoding="utf-8")
    with pytest.raises(HandoutsError) as e:
        load_broad(bad)
    assert str(e.value) == f"{bad}:3: error: expected word<TAB>size<TAB>candidates"


def test_statistical_layer_repairs_a_swap_the_phrase_table_does_not_list():
    # a hand-spun text of the development split: "transpires" and "wellness" are in no rule file
    from conftest import CORPUS
    text = (CORPUS / "spun" / "gout.spun.md").read_text(encoding="utf-8")
    r = repair(text)
    stat = [(f.before, f.after) for f in r.fixes if f.layer == "statistical"]
    assert ("transpires", "happens") in stat and ("wellness", "health") in stat
    assert all(f.margin is not None and f.confidence in ("high", "medium") for f in r.fixes if f.layer == "statistical")
    assert any(f.layer == "statistical" and f.suggestion for f in r.flags)  # the weaker suspicions


def test_statistical_layer_never_touches_negations_numbers_or_drug_names():
    from handouts.repair.statistical import NEGATIONS, Finder
    rules = load_rules()
    finder = Finder(rules.drugs | rules.units, rules.common)
    for word in ("not", "never", "without", "ibuprofen", "mg"):
        assert word in finder.guarded
    assert "no" in NEGATIONS


@pytest.mark.parametrize("text", [
    "Watchful waiting is often the best plan for a small hernia.",
    "Referred pain from the heart can be felt in the left arm.",
    "Red flag symptoms include weight loss you cannot explain.",
    "Take 2 tablets of 500mg paracetamol, no more than 4 times in 24 hours.",
    "As a rule of thumb, pace yourself and take it easy until you are on the mend.",
])
def test_rare_but_correct_phrasing_is_left_alone(text):
    r = repair(text)
    assert r.text == text and r.fixes == []


def test_report_groups_statistical_repairs_first(pipeline):
    from conftest import CORPUS
    src = CORPUS / "spun" / "gout.spun.md"
    r = pipeline("fix", str(src))
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    headings = [l for l in lines if l.startswith("# ")]
    assert headings[0].startswith("# statistical repairs (review first)")
    assert headings[-1].startswith("# flags")
    assert any('"transpires" → "happens"  [statistical:' in l for l in lines)
    assert lines[-1].startswith(f"{src}: ") and "fixed (" in lines[-1]


def test_a_broken_swap_table_is_a_path_line_error(tmp_path):
    import shutil

    from handouts.errors import HandoutsError
    from handouts.repair.rules import RULES_DIR, load_rules

    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    (folder / "swaps.txt").write_text("# header\nassist\thelp\nmending heal\n", encoding="utf-8")
    with pytest.raises(HandoutsError) as e:
        load_rules(folder)
    assert str(e.value) == f"{folder / 'swaps.txt'}:3: error: expected words, a tab and words separated by |"
    (folder / "swaps.txt").write_text("assist\thelp\ndiabetic issues\tdiabetes|sugar\n", encoding="utf-8")
    with pytest.raises(HandoutsError) as e:
        load_rules(folder)
    assert str(e.value) == f"{folder / 'swaps.txt'}:2: error: a phrase swap has one original"


def test_the_development_splits_swaps_are_known_swaps():
    """A swap the development split shows ("assist" for *help*) is a known swap of the rules, as a
    phrase-table entry's words are; a word no table holds is not."""
    from handouts.repair import load_rules

    swaps = load_rules().swaps
    assert "help" in swaps["assist"] and "stomach" in swaps["abdomen"]
    assert "unwell" not in swaps  # a clean leaflet uses it: a writer's word, not learned


def test_a_phrase_swap_of_the_development_split_is_flagged_with_its_original_never_repaired():
    from handouts.repair import load_rules, repair

    spun = "Ask about ache administration. You may need a different eating plan for a while."
    r = repair(spun)
    assert "pain management" in r.text and "eating plan" in r.text  # not repaired: a flag is for an editor
    flags = [f for f in r.flags if f.text == "eating plan"]
    assert flags and flags[0].suggestion == "diet" and flags[0].layer == "swaps"
    # in a text with no sign of spinning it says nothing: careful writers write "eating plan" too
    assert repair("You may need a different eating plan for a while.").flags == []
    # a word the split shows replacing one word only is flagged with it where the text is spun
    r = repair("Ask about ache administration. The drug has been extensively used.")
    assert [(f.text, f.suggestion, f.layer) for f in r.flags if f.text == "extensively"] == [
        ("extensively", "widely", "swaps")]
    # one the phrase files repair already is theirs alone: no second, flagging entry
    assert "diabetes" in repair("If you have diabetic issues, check your feet.").text
    assert not [e for e in load_rules().entries if e.name == "swaps:diabetic issues"]


def test_a_flags_known_swap_is_its_first_suggestion():
    from handouts.repair.engine import _known_first

    # "reply" is a known swap for "respond": shown before the likelier "answer"
    assert _known_first("answer", ("respond", "say", "return"), frozenset({"respond"})) == (
        "respond", ("answer", "say", "return"))
    # the best reading is a known swap already, or none is: as scored
    assert _known_first("respond", ("answer",), frozenset({"respond"})) == ("respond", ("answer",))
    assert _known_first("answer", ("say",), frozenset({"respond"})) == ("answer", ("say",))


@pytest.mark.parametrize("text", [
    "Use the -a option to list all files.",  # an option, not an article
    "The file libintl.a is now complete.",  # a file name
    "If A equals B the test passes. A and B are both doses.",  # names, before words no article precedes
])
def test_an_a_that_is_no_article_is_left_alone(text):
    r = repair(text)
    assert (r.text, r.fixes) == (text, [])


def test_an_article_in_brackets_or_quotes_is_still_read():
    r = repair("Rest for (a hour) after it.")
    assert r.text == "Rest for (a hour) after it." and [f.text for f in r.flags] == ["hour"]


A_AN = """\
# Whooping Cough

The first indicators are similar to a chilly, such as a operating nose, a sore throat and a slightly
raised temperature. After about 1 week, the cough usually gets much worse and the coughing bouts can
last for weeks.

Go to an pressing care centre if your baby has a awesome cough, and call 999 if they stop breathing.
"""


def test_the_article_a_spinner_left_is_the_writers():
    # written for this test in the manner of a spun leaflet by another hand: each a/an error is a swap of
    # the word after it ("runny" -> "operating", "urgent" -> "pressing", "bad" -> "awesome"), the article
    # the writer's.  Where nothing reads the word again, the article was corrected to fit the spinner's
    # word, which then read as right ("an operating nose", "an awesome cough"); where the model puts a
    # word back, the article as written fits it, and the corrected one stayed ("an running nose")
    r = repair(A_AN)
    assert "a operating nose" in r.text and "an urgent care centre" in r.text and "a awesome cough" in r.text
    assert {("operating", None), ("awesome", "cool")} <= {(f.text, f.suggestion) for f in r.flags}
    assert not any("a-an" in f.rule for f in r.fixes)
    assert "1 week" in r.text and "999" in r.text
    from conftest import CORPUS

    spun = (CORPUS / "others" / "whooping-cough.spun.md").read_text(encoding="utf-8")
    assert "such as a operating nose" in spun
    r = repair(spun)  # the whole leaflet shows spinning: the model reads "operating" among words that take "a"
    assert "such as a running nose" in r.text and not any("a-an" in f.rule for f in r.fixes)


RELEASE_NOTES = """\
# Release notes for version 2.4

## Fixes since version 2.3

* The command that lists remote branches now operates correctly when the repository was
  cloned with a shallow history, and no longer pretends that every branch is up to date.

* Fetching over the smart transport could stall when the server advertised a huge number of
  references; the client now reads them in chunks and reports progress.

* The pager is no longer spawned when the output is not a terminal, which made scripts that
  parse the output hang on some platforms.

* Numerous small fixes to the documentation, including corrected examples for the
  configuration of hooks and a clearer description of how the index is refreshed.

* The diff machinery learned to display moved lines in a different colour, and the option
  that controls it is now honoured by the interactive patch mode as well.

* A corner case in the merge machinery, where a rename on one side and a modification on the
  other produced a spurious conflict, has been resolved.

* The helper that stores credentials in memory now expires them after the configured timeout
  even when the daemon was started by an older version.

* Error messages from the Perforce bridge are now shown in full instead of being truncated
  after the first line.

* The completion script for the shell learned the new subcommands and their options, and it
  no longer suggests options that were removed two releases ago.

* Building on platforms without a working threads library is supported again; the build
  falls back to a single worker and prints a warning.

* When the object database is corrupt, the repair command now explains which objects are
  missing and which packs they were expected in, rather than exiting with a bare status.

* The log command accepts the new format placeholders for the signer's key and trust level,
  and the documentation lists every placeholder with an example of its output.
"""


def test_one_product_name_does_not_make_technical_english_spun():
    # clean technical English (release notes, written for this test in the manner of git's) shows a few
    # statistical suspects, as plain English does, and one capitalised product name ("Perforce"); a
    # single weak sign beside the statistics made it spun, and "description" became "picture" and
    # "rename" "call".  Weak signs count only when there are two and two per 1,000 words
    # ([evidence] weak_signs_min, weak_signs_per_1000)
    import dataclasses

    from handouts.repair.statistical import Finder, load_settings

    r = repair(RELEASE_NOTES)
    assert r.text == RELEASE_NOTES
    assert [f.text for f in r.flags] == ["Perforce"]
    rules, settings = load_rules(), load_settings()
    one_is_enough = dataclasses.replace(settings, weak_signs_min=1, weak_signs_per_1000=0)
    changed = repair(RELEASE_NOTES, rules, Finder(rules.drugs | rules.units, rules.common, one_is_enough))
    assert ("description", "picture") in [(f.before, f.after) for f in changed.fixes]


SPRAINED_WRIST = """\
# Sprained Wrist

A sprained wrist takes place when you fall on an outstretched hand. Most sprains heal in 2 to 6 weeks.

## What to do

- Rest the wrist and utilize an ice pack for 15 to 20 minutes every 2 to 3 hours.
- Keep your hand raised above the stage of your coronary heart when you sit down.
- Take paracetamol 1 g up to four times a day if you need it.

Go to A&E if a bone is poking by means of the pores and skin, or if your fingers are chilly and pale. Ask your health practitioner before you start sport again.
"""


def test_a_spinners_known_wordings_show_spinning_where_the_statistics_do_not():
    # spun by another hand than the corpus's (in the manner of a new spun split): its swaps make word
    # pairs the web counts know ("stage of your", "coronary heart"), so the statistics see too little,
    # and the wordings the phrase tables know as a spinner's but a writer could use ("utilize",
    # "coronary heart", "pores and skin", "health practitioner": four different ones in 90 words,
    # which clean English shows less than once in 1,000 times at 1 per 1,000 words) stayed silent
    r = repair(SPRAINED_WRIST)
    assert [(f.before, f.after) for f in r.fixes] == [
        ("utilize", "use"), ("coronary heart", "heart"), ("the pores and skin", "the skin"),
        ("your health practitioner", "your doctor")]
    assert {"by means of", "chilly"} <= {f.text for f in r.flags}
    assert "1 g up to four times a day" in r.text and "2 to 6 weeks" in r.text


def test_a_spaced_compound_is_english():
    # "stomach ache" and "back ache" are "stomachache" and "backache" written in two words, which the
    # word-pair list lacks: the statistics read "stomach pain" as more probable (a flag in a clean
    # leaflet of the held-out split, and "stomach ache" made "stomach pain" in a spun one)
    from conftest import CORPUS
    from handouts.repair.counts import load_model

    model = load_model()
    assert model.has_pair("stomach", "ache") and model.has_pair("back", "ache") and model.has_pair("heart", "burn")
    assert model.pair("stomach", "ache") is not None
    assert not model.has_pair("ache", "stomach") and not model.has_pair("pores", "and")
    original = (CORPUS / "heldout" / "metformin.original.md").read_text(encoding="utf-8")
    assert "stomach ache" in original
    assert repair(original).flags == []


def test_a_wording_the_writer_repeats_is_one_sign():
    # "ache" is a spinner's word for "pain" ("ache administration"), and a writer's too; counted at each
    # use it made this leaflet spun, and every "ache" became "pain"
    clean = ("# Tummy Bugs in Children\n\nChildren often get a stomach ache with a tummy bug. Most tummy bugs get "
             "better in 2 or 3 days.\n\nGive your child small sips of water. If they have a headache or a sore "
             "back, paracetamol can help; a back ache from lying in bed usually goes once they are up and "
             "about.\n\nCall NHS 111 if your child has stomach ache that does not go away, or signs of "
             "dehydration.\n")
    r = repair(clean)
    assert r.text == clean and r.fixes == [] and r.flags == []



def test_a_word_the_document_uses_three_times_is_no_evidence_of_spinning():
    # a clean leaflet by another hand names its subject five times ("Glandular fever", "infectious
    # mononucleosis", "kissing disease"), each a WordNet synonym of "mono": with the rest, 9 suspects in
    # 386 words read it as spun, and the language model made "spleen" "brain".  A word the document
    # uses three times or more is its writer's (as the model already reads it): no evidence
    from conftest import CORPUS

    text = (CORPUS / "others" / "glandular-fever.original.md").read_text(encoding="utf-8")
    r = repair(text)
    assert r.text == text and r.fixes == [] and "spleen" in text
    assert len(r.flags) <= 4
