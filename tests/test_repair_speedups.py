"""The repair's compiled inner loops (handouts/repair/_speedups.c) are used wherever they were
built, and give the same output as the pure-Python code beside them, to the last bit."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from handouts.repair import load_rules, scan, speedups, statistical, tokens
from handouts.repair.counts import load_model

ROOT = Path(__file__).resolve().parent.parent
BUILT = sorted((ROOT / "handouts" / "repair").glob("_speedups*.so")) + sorted(
    (ROOT / "handouts" / "repair").glob("_speedups*.pyd"))
PURE = os.environ.get("HANDOUTS_PURE", "").lower() not in ("", "0", "no", "false", "off")
compiled_only = pytest.mark.skipif(speedups.compiled is None, reason="the compiled module was not built")


@pytest.mark.skipif(PURE, reason="HANDOUTS_PURE asks for the pure-Python code")
def test_the_compiled_code_is_the_one_used_where_it_was_built():
    # .ci/run sets HANDOUTS_REQUIRE_COMPILED: there the module must have been built, and used
    if not BUILT and not os.environ.get("HANDOUTS_REQUIRE_COMPILED"):
        pytest.skip("the compiled module was not built here (no C compiler at install time)")
    assert speedups.compiled is not None, f"built ({BUILT}) but not imported"
    assert tokens.tokenize is not tokens._tokenize
    assert tokens._compiled is speedups.compiled  # Para.of
    assert statistical._segment_c is speedups.compiled.segment
    assert statistical._runs is speedups.compiled.word_runs
    assert scan._screened is speedups.compiled.screen
    assert statistical._lm_scores is speedups.compiled.lm_scores
    assert statistical._lm_run is speedups.compiled.lm_run
    assert statistical._static_c is speedups.compiled.static_candidates
    from handouts.repair.lm import load_trigram
    assert type(load_trigram().prob) is speedups.compiled.Trigram


def test_the_pure_python_code_runs_when_asked():
    code = ("from handouts.repair import scan, speedups, statistical, tokens; "
            "print(speedups.compiled is None, tokens.tokenize is tokens._tokenize, "
            "statistical._segment_c is None, statistical._lm_scores is None, statistical._runs is statistical._word_runs, "
            "scan._screened is scan._screen, statistical._lm_run is None, statistical._static_c is None)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True,
                         env={**os.environ, "HANDOUTS_PURE": "1"})
    assert out.stdout.split() == ["True"] * 8


def _para(of, text: str) -> tuple:
    para = of(text)
    return _tokens(lambda _: para.toks, text), para.sentence_start, para.heading, para.text


def _tokens(tokenize, text: str) -> list[tuple]:
    out = []
    for t in tokenize(text):
        assert type(t) is tokens.Token
        out.append((t.kind, t.start, t.end, t.text, t.key, repr(t)))
    return out


@compiled_only
def test_the_compiled_tokenizer_agrees_on_every_text():
    paths = sorted(ROOT.glob("tests/**/*.md")) + sorted(ROOT.glob("source/*.md")) + sorted(ROOT.glob("tests/**/*.po"))
    assert len(paths) > 50
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert _tokens(tokens.tokenize, text) == _tokens(tokens._tokenize, text), path
        for paragraph in [text, *tokens.PARAGRAPH_BREAK.split(text)]:
            assert _para(tokens.Para.of, paragraph) == _para(tokens.Para._of, paragraph), path


_PIECES = st.sampled_from([
    "a", "Z", "9", "_", "-", "'", "’", "`", "\n", "\t", " ", "\xa0", "\u2028", "]", "(", ")", "<", ">", "/", "!",
    ":", ".", "h", "http", "https", "://", "](", "<a", "`code`", "é", "É", "ß", "İ", "Σ", "٣", "²", "ǅ", "𝔘", "ﬁ",
    "—", "ẞ", "ΐ", "\u0301", "x2", "don’t", "well-known", "MRI", "Ⅻ",
])


@compiled_only
@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=3), max_size=30).map("".join))
def test_the_compiled_tokenizer_agrees_on_any_text(text):
    assert _tokens(tokens.tokenize, text) == _tokens(tokens._tokenize, text)


_MARKDOWN = st.sampled_from([
    "a", "Word", " ", "\n", "\n\n", "\t", ".", "!", "?", ":", "#", "# ", "|", "| ", "-", "- ", "*", "**", "+", ">",
    "> ", ")", "(", "[", "]", "](x)", "\"", "“", "‘", "'", "_", "`c`", "1.", "https://x.org", "<b>",
])


@compiled_only
@settings(max_examples=1500, deadline=None)
@given(st.lists(_MARKDOWN | st.text(max_size=2), max_size=30).map("".join))
def test_the_compiled_paragraph_reading_agrees_on_any_text(text):
    assert _para(tokens.Para.of, text) == _para(tokens.Para._of, text)


@compiled_only
@settings(max_examples=500, deadline=None)
@given(st.lists(_MARKDOWN | st.sampled_from(["  ", "   ", "word", "x-y"]) | st.text(max_size=2), max_size=30).map("".join))
def test_the_compiled_runs_of_words_agree_on_any_text(text):
    toks = tokens.Para.of(text).toks
    assert statistical._runs(toks) == list(statistical._word_runs(toks))


@compiled_only
@settings(max_examples=500, deadline=None)
@given(st.lists(_MARKDOWN | st.sampled_from(["  ", "   ", "word", "Word", "x-y", "a b", "a"]) | st.text(max_size=2),
                max_size=30).map("".join), st.integers(0, 3))
def test_the_compiled_run_keys_and_counts_agree_on_any_text(text, short):
    para = tokens.Para.of(text)
    toks, starts, heads = para.toks, para.sentence_start, para.heading

    def as_compiled(key: tuple):  # the compiled key: one str (each word's mark and text), or the tuple
        if any(" " in t for t, _, _ in key):
            return key
        return " ".join(f"{chr(48 + 2 * bool(s) + bool(h))}{t}" for t, s, h in key)

    def expected(starts, heads):
        return [(i, j, as_compiled(key)) for i, j, key in statistical._run_keys_py(toks, starts, heads)]

    assert statistical._run_keys(toks, starts, heads) == expected(starts, heads)
    # flags shorter than the tokens: zip stops at the shortest, in both
    cut = max(0, len(toks) - short)
    assert statistical._run_keys(toks, starts[:cut], heads) == expected(starts[:cut], heads)
    # a text with a space (not from the tokenizer): the tuple, as the Python code makes it
    if toks:
        odd = [tokens.Token(t.kind, t.start, t.end, t.text + " x", t.key) for t in toks]
        assert statistical._run_keys(odd, starts, heads) == [
            (i, j, key) for i, j, key in statistical._run_keys_py(odd, starts, heads)]
    counted = []
    for count_runs in (statistical._count_runs, None):
        statistical._count_runs = count_runs
        try:
            doc = statistical.DocumentCounts()
            n = [doc.count(toks) for _ in range(2)]  # the second into dicts that already hold counts
            counted.append((n, list(doc.words.items()), list(doc.pairs.items())))
        finally:
            statistical._count_runs = speedups.compiled.count_runs
    assert counted[0] == counted[1]
    assert counted[0][0][0] == sum(j - i for i, j in statistical._word_runs(toks))


_RULES = load_rules()
_SCAN_WORDS = st.sampled_from(sorted({a for a, _ in _RULES.index2} | {b for _, b in _RULES.index2})[:200]
                              + sorted(_RULES.index)[:50] + ["A", "an", "An", "Buy", "with", "best", "Ibuprofen"])


@compiled_only
@settings(max_examples=500, deadline=None)
@given(st.lists(_MARKDOWN | _SCAN_WORDS | st.just(" ") | st.text(max_size=2), max_size=40).map("".join))
def test_the_compiled_screen_of_the_rules_agrees_on_any_text(text):
    para = tokens.Para.of(text)
    drug_keys = {"ibuprofen": "ibuprofen", "with": None, "a": None}  # known drugs, known words, and not asked yet
    args = (para.toks, para.sentence_start, scan._starts(_RULES), _RULES.index2, drug_keys, scan._PROMO_FIRST,
            *scan._firsts(_RULES))
    assert scan._screened(*args) == scan._screen(*args)


# every fix and flag, margins by repr (to the last bit), with and without the language model
_REPAIR = r"""
import dataclasses, json, math, sys
from handouts.repair import load_rules, repair, speedups
from handouts.repair.statistical import Finder, load_settings
rules, settings = load_rules(), load_settings()
off = dataclasses.replace(settings, lm_repair_margin=math.inf, lm_flag_margin_spun=math.inf,
                          lm_flag_margin_rules=math.inf, lm_flag_margin_clean=math.inf)
out = {"compiled": speedups.compiled is not None}
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    for name, s in (("model", settings), ("no model", off)):
        r = repair(text, rules, Finder(rules.drugs | rules.units, rules.common, s))
        out[f"{path} {name}"] = [r.text, [repr(f) for f in r.fixes], [repr(f) for f in r.flags]]
print(json.dumps(out))
"""


@compiled_only
def test_the_compiled_and_the_pure_python_repair_agree_to_the_last_bit():
    corpus = ROOT / "tests" / "corpus"
    paths = (sorted(corpus.glob("spun/*.spun.md"))[:6] + sorted(corpus.glob("heldout/*.spun.md"))[:3]
             + sorted(corpus.glob("clean/*.md"))[:4] + [ROOT / "source" / "ketamine.md"])
    runs = []
    for pure in ("0", "1"):
        out = subprocess.run([sys.executable, "-c", _REPAIR, *map(str, paths)], cwd=ROOT, check=True,
                             capture_output=True, text=True, env={**os.environ, "HANDOUTS_PURE": pure})
        runs.append(json.loads(out.stdout))
    assert runs[0].pop("compiled") is True and runs[1].pop("compiled") is False
    assert sum(len(v[1]) + len(v[2]) for v in runs[0].values()) > 500  # fixes and flags to compare
    assert runs[0] == runs[1]


# the bigram decoder alone, in one process, on runs of words a spinner's texts use (with their
# capitals, heading marks and punctuation), in documents whose counts favour some of them
_WORDS = sorted({w for path in sorted((ROOT / "tests" / "corpus" / "spun").glob("*.spun.md"))[:4]
                 for w in path.read_text(encoding="utf-8").split() if w.isalpha()})


@compiled_only
@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_WORDS) | st.sampled_from([".", ",", "#", "\n", "Pain", "steer clear"]),
                         min_size=1, max_size=25), min_size=1, max_size=3),
       st.lists(st.sampled_from(_WORDS), max_size=40))
def test_the_compiled_decoder_agrees_on_any_run(paragraphs, elsewhere):
    found = _suspects_compiled_and_not("_segment_c", speedups.compiled.segment, paragraphs, elsewhere)
    assert found[0] == found[1]


def _suspects_compiled_and_not(name, compiled, paragraphs, elsewhere, titled=(), *floor):
    """The suspects of each paragraph with the compiled function ``statistical.<name>`` and without it
    (the Python code beside it), the document's counts taken from the paragraphs and ``elsewhere``."""
    doc = statistical.DocumentCounts()
    doc.titled.update(titled)
    paras = [tokens.Para.of(" ".join(words)) for words in paragraphs]
    finder = statistical.Finder(frozenset({"ibuprofen", "mg"}), frozenset({"pain"}))
    for para in [*paras, tokens.Para.of(" ".join(elsewhere))]:
        for run in finder.runs(para.toks):
            doc.add(run)
    found = []
    for used in (compiled, None):
        setattr(statistical, name, used)
        try:
            finder = statistical.Finder(frozenset({"ibuprofen", "mg"}), frozenset({"pain"}))
            found.append([repr(finder.suspects(p.toks, p.sentence_start, p.heading, doc, *floor)) for p in paras])
        finally:
            setattr(statistical, name, compiled)
    return found


@compiled_only
@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_WORDS) | st.sampled_from([".", ",", "#", "\n", "Pain", "zzxq", "gout"]),
                         min_size=1, max_size=25), min_size=1, max_size=3),
       st.lists(st.sampled_from(_WORDS), max_size=40), st.sampled_from([-5.0, 0.0, 2.0, 8.0]))
def test_the_compiled_language_model_reading_agrees_on_any_run(paragraphs, elsewhere, floor):
    found = _suspects_compiled_and_not("_lm_run", speedups.compiled.lm_run, paragraphs, elsewhere, ("gout",), floor)
    assert found[0] == found[1]


# a word pair's score, worked out by the compiled decoder on a miss of the scorer's cache
_COUNTS = load_model()
_FIRSTS = sorted(_COUNTS.following)[::40]


@compiled_only
@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(_FIRSTS + [None, "zzzz"]), st.integers(0, 10_000), st.sampled_from(_FIRSTS + ["zzzz", "the"]))
def test_the_compiled_pair_score_agrees_with_the_scorer(prev, n, other):
    scorer = statistical.Scorer(_COUNTS, statistical.load_settings())
    seconds = sorted(_COUNTS.following.get(prev, {})) or [other]
    for w in (seconds[n % len(seconds)], other):  # a listed pair, and most likely an unlisted one
        assert repr(speedups.compiled.pair_score(scorer.counts(), prev, w)) == repr(scorer._trans(prev, w))


_VOCABULARY = sorted(_COUNTS._words)[::97] + ["<s>", "</s>", "zzxq", "café", "naïve", "the", "of"]


def _direct_layout() -> bool:
    from importlib import metadata

    from handouts.repair.lm import DIRECT_VERSIONS

    return metadata.version("pocketsphinx") in DIRECT_VERSIONS


direct_only = pytest.mark.skipif(not _direct_layout(), reason="the direct trigram call knows pocketsphinx "
                                 "5.1.1's layout only (lm.DIRECT_VERSIONS); this version keeps the binding's call")


@compiled_only
@direct_only
@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_VOCABULARY), min_size=1, max_size=3))
def test_the_direct_trigram_call_agrees_with_the_binding(words):
    from handouts.repair.lm import load_trigram

    model = load_trigram()
    fast = speedups.compiled.trigram(model._lm, sys.modules["pocketsphinx._pocketsphinx"].__file__,
                                     type(model._lm).__basicsize__ - 8)
    expected = model._lm.prob(list(words))
    assert fast(tuple(words)) == expected and fast(list(words)) == expected
    assert type(fast(words)) is int


@compiled_only
@direct_only
@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_VOCABULARY), min_size=5, max_size=5), st.booleans())
def test_the_language_models_scores_agree_through_the_direct_call_and_the_binding(words, last):
    # lm_scores asks the trigrams of a candidate's window through the word ids it keeps
    # (ngram_wid, then ngram_ng_prob: ngram_prob's own steps); scaled down, so that no delta is cut at 30
    from handouts.repair.lm import END, load_trigram

    model = load_trigram()
    fast = speedups.compiled.trigram(model._lm, sys.modules["pocketsphinx._pocketsphinx"].__file__,
                                     type(model._lm).__basicsize__ - 8)
    c, a, b, n1, n2 = words
    n1 = None if last else n1
    got = [speedups.compiled.lm_scores(prob, [(0.0, c)], 1, 0.0, -math.inf, a, b, n1, n2, 0.0, {}, {}, {}, 0, 0.0,
                                       1.0, 0.0, 0.0, 1e-6, END, {}) for prob in (fast, model._lm.prob)]
    assert repr(got[0]) == repr(got[1])


@compiled_only
def test_the_compiled_candidates_loop_agrees_on_the_thesaurus():
    """Finder._candidates with the compiled loop over a group of neighbours (``_speedups.group_alts``)
    and with the Python loop: the same candidates, in the same order, for words with neighbours of one
    and of several words, banned ones, and more than ``per_group`` of them."""
    finder = statistical.Finder(frozenset({"ibuprofen", "mg"}), frozenset({"pain"}))
    words = sorted(w for w in finder.thesaurus._lines if " " not in w)[::97][:400]
    words += ["pain", "issue", "steer", "ache", "problem", "tell", "doctor", "medicine", "not", "zzxq"]
    found = []
    for loop in (statistical._group_alts, None):
        statistical._group_alts = loop
        try:
            finder._cands.clear()
            found.append([finder._candidates(w) for w in words])
        finally:
            statistical._group_alts = speedups.compiled.group_alts
    finder._cands.clear()
    assert found[0] == found[1]
    assert any(len(x[0]) > 1 for alts in found[0] for x in alts)  # some of several words were there


@compiled_only
@settings(max_examples=3000, deadline=None)
@given(st.text(st.sampled_from("aAbBzZéÉßǅǆǄΣσ-'’1 .İıﬁ") | st.characters(), min_size=0, max_size=6),
       st.booleans(), st.booleans())
def test_the_compiled_may_replace_agrees_on_any_word(text, start, heading):
    """Whether a word may be replaced, worked out by the compiled decoder (``may_replace``) and by
    Finder._may_replace: the same answer for any text (None: the compiled code leaves it to Python)."""
    finder = statistical.Finder(frozenset({"ibuprofen", "mg"}), frozenset({"pain", "é", "ab"}))
    tok = tokens.Token("w", 0, len(text), text, tokens.key(text))
    compiled = speedups.compiled.may_replace(tok.key, tok.text, start, heading, finder.guarded, finder.common)
    if compiled is None:
        assert text == ""
    else:
        assert compiled == finder._may_replace(tok, start, heading)


@compiled_only
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["pain", "ache", "not", "two words", "not pain", "zzxq", "", "x y z",
                                           "physique", "body", "ibuprofen"]),
                          st.text(st.sampled_from("mbsr:x"), max_size=4)), max_size=8),
       st.sampled_from(["0", "1", "7", "40", " 3"]), st.booleans())
def test_the_compiled_static_candidates_agree_on_any_line(items, size, tab):
    """A word's candidates for the model's reading with their context-free scores, compiled
    (``_speedups.static_candidates``) and in Python (Finder._static_candidates), on a candidate table
    of one line of any shape: empty items, no colon, letters repeated or unknown, banned words, words
    of several, candidates listed twice or also a known swap ("ache" swaps to "pain" and more)."""
    from handouts.repair.thesaurus import Broad

    line = size + ("\t" + "|".join(w + ":" + letters if letters != "x" else w for w, letters in items) if tab else "")
    lines = {"ache": line, "pain": "12\tache:mb", "two words": "2\tx:m"}
    assert _static_both_ways(lambda: Broad(dict(lines)), ["ache", "pain", "zzxq"]) is not None


@compiled_only
def test_the_compiled_static_candidates_agree_on_the_table():
    """... and on the real table: every 37th of its words, the phrase tables' swapped words and a few more."""
    from handouts.repair.thesaurus import load_broad

    words = sorted(load_broad()._lines)[::37] + sorted(load_rules().swaps)[::3] + ["pain", "ache", "zzxq", "not"]
    found = _static_both_ways(load_broad, words)
    assert sum(map(len, found)) > 10_000  # candidates compared
    assert any(c == "pain" for alts in found for _, c in alts)


def _static_both_ways(broad, words):
    found = []
    for compiled in (statistical._static_c, None):
        statistical._static_c = compiled
        finder = statistical.Finder(frozenset({"ibuprofen", "mg"}), frozenset({"pain"}))
        finder._broad = broad()
        finder._static.clear()  # the process's cache (shared by finders of this configuration)
        try:
            found.append([finder._static_candidates(w) for w in words])
        finally:
            statistical._static_c = speedups.compiled.static_candidates
            finder._static.clear()
    assert repr(found[0]) == repr(found[1])  # the scores to the last bit
    return found[0]


@compiled_only
@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_WORDS) | st.sampled_from([".", ",", "#", "Pain"]), min_size=1, max_size=25),
                min_size=1, max_size=2), st.sampled_from([0.0, 2.0]))
def test_the_compiled_reading_agrees_through_the_binding_too(paragraphs, floor):
    """The compiled reading keeps each word's candidates' ids in the trigram model for the process
    (``word_lists``), for the look-up it was made with: through the binding's own call (no ids), and
    back, it reads the same as the Python code."""
    from handouts.repair.lm import load_trigram

    model = load_trigram()
    fast = model.prob
    try:
        for prob in (model._lm.prob, fast):
            model.prob = prob
            found = _suspects_compiled_and_not("_lm_run", speedups.compiled.lm_run, paragraphs, [], (), floor)
            assert found[0] == found[1]
    finally:
        model.prob = fast
