"""The statistical layer of the repair: spinner swaps that no phrase table lists.

A spinner replaces a word with a thesaurus neighbour of *some* sense of it, so the
result is improbable English ("ache administration") while the original is among the
neighbours of the words that are there, and probable ("pain management").  This
module finds such spots in a paragraph and proposes the original:

1. **Where to look.**  A word is a *suspect position* when it has neighbours in the
   thesaurus (``thesaurus``), is not guarded (numbers, units, drug names,
   negations, proper nouns, code) and forms at least one word pair with its
   neighbours that large n-gram lists do not know (``counts``).
2. **Candidates.**  The thesaurus neighbours of the word (synonyms, then related
   words), and of two-word spans ("steer clear" -> "avoid"); a stray capital is
   lowered.  Each candidate pays a fixed cost (``cost_synonym``, ``cost_related``):
   the text as written is presumed right.
3. **Scoring in context.**  Within a run of suspect positions between two fixed
   words, a bigram language model (stupid back-off on the web counts) scores every
   path through the candidates; the best path is found with the Viterbi algorithm
   and, for each candidate on it, its *margin*: how much more probable (natural log)
   the best path is than the best path that keeps the word as written.

The repair step (``engine``) turns a suspect into a repair or a flag
by its margin and by the evidence of spinning in the paragraph and the document;
the thresholds are data (``handouts/rules/statistical.toml``).  Everything is linear
in the text: a bounded number of candidates per word, and runs decoded one by one.

**Speed** (``scripts/benchmark.py repair``; ``scripts/repair_fingerprint.py`` checks that
none of this changes a fix, a flag or a margin):

* What does not depend on the document is worked out once per process and per
  configuration (settings, guarded and common words; ``_Shared``): each word's
  candidates, each two-word key's, whether a token may be replaced, the context-free
  part of the language model's scores, and the bigram scores of word pairs.  The
  pipeline repairs many documents in one process; the first pays for filling these.
* What depends on the document is worked out once per document: a run of words is
  decoded once and read by the language model once per floor, whatever the pass
  (:meth:`Finder.suspects`); a later pass reads again only the runs a repair changed.
* The commonest cluster (one position with candidates between two fixed words) is
  decoded without the Viterbi bookkeeping (:meth:`Finder._decode_one`), by the same sums
  in the same order, so its margins are the same to the last bit.  Any shortcut that
  would sum in another order, or skip a candidate on an estimate, is ruled out: a margin
  that moves by a rounding error could tip a tie between two candidates.
* Word pairs are looked up by their first word (``counts.Model.following``), never by a
  key built from two words; the trigram model through the library's own call, inline.
* Where the compiled module was built (``speedups``), a run of words is decoded in one call
  (``_speedups.segment``): the same steps as :meth:`Finder._segment`, :meth:`Finder._prune`,
  :meth:`Finder._decode_one` and :meth:`Finder._decode`, the same look-ups and the same sums in
  the same order, so the same suspects to the last bit; it reads the per-process caches itself
  and calls the methods that fill them on a miss (it works out a candidate of several words and
  whether a word may be replaced itself).  A paragraph's runs are counted and keyed for the caches
  in one compiled call each (``_speedups.count_runs``, ``run_keys``), and a word's candidates are
  listed by a compiled loop (``group_alts``), those of the language model's reading with their
  context-free scores by another (``static_candidates``).  The Python code stays, for
  ``HANDOUTS_PURE=1`` and for installs without a C compiler.
"""
from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import HandoutsError
from .counts import _NONE, Model, load_model
from .lm import _LN, END, START, TrigramModel, load_trigram
from .rules import RULES_DIR, load_rules
from .speedups import compiled as _compiled
from .thesaurus import Broad, Thesaurus, load_broad, load_thesaurus

SETTINGS = RULES_DIR / "statistical.toml"

NEGATIONS = frozenset({
    "not", "no", "never", "without", "nor", "none", "nothing", "neither", "cannot", "can't",
    "don't", "doesn't", "didn't", "won't", "wouldn't", "shouldn't", "isn't", "aren't", "wasn't",
    "weren't", "haven't", "hasn't", "hadn't", "mustn't", "couldn't", "nobody", "nowhere",
})


LM_FEATURES = ("trigram", "channel", "frequency", "document_candidate", "document_word",
               "wordnet_synonym", "wordnet_related", "pairs", "both_ways", "moby", "swap")
"""The features of a language-model reading, each a number (see :meth:`Finder._lm_features`)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Costs and thresholds of the statistical layer (``rules/statistical.toml``)."""

    cost_synonym: float
    cost_related: float
    cost_two_words: float
    candidates: int
    per_group: int
    unlisted_pair: float
    repair_margin: float
    repair_margin_related: float
    repair_margin_two_words: float
    flag_margin_spun: float
    flag_margin_rules: float
    flag_margin_clean: float
    evidence_margin: float
    evidence_per_1000: float
    evidence_per_1000_with_other: float
    evidence_clean_per_1000: float
    """How many suspects clean text shows per 1,000 words (the development data's clean texts)."""
    evidence_alone_chance: float
    """Evidence with no other sign makes a document spun only when clean text would show as much
    less often than this (``engine.chance_of_at_least``)."""
    evidence_min: int
    weak_signs_min: int
    weak_signs_per_1000: float
    """Weak signs (stray capitals, a/an errors) count as the other sign beside the statistics only when
    there are at least ``weak_signs_min`` of them and ``weak_signs_per_1000`` per 1,000 words: one
    product name in a page of release notes, or 37 in 52,000 words of a changelog, is the writing's."""
    known_clean_per_1000: float
    known_alone_chance: float
    """Wordings the phrase tables know as a spinner's (``scan.Scan.known``, each counted once) show
    spinning where clean text, at ``known_clean_per_1000`` of them per 1,000 words, would show as many
    less often than this."""
    own_capital_repeats: int
    """A common word a document capitalises in mid-sentence this many times or more is its own usage
    (a defined term, "the Licensee"; a name the detector does not know), not a stray capital."""
    document_word: float
    document_pair: float
    stop_words: frozenset[str]
    never_suggested: frozenset[str]
    lm_weights: tuple[float, ...]
    """Weights of the language-model reading's features, in :data:`LM_FEATURES` order."""
    lm_bias: float
    lm_scored: int
    lm_alternatives: int
    lm_recurring: int
    """A word used this many times in the document is not read by the language model."""
    lm_repair_margin: float
    lm_flag_margin_spun: float
    lm_flag_margin_rules: float
    lm_flag_margin_clean: float
    lm_repair_margin_rules: float = math.inf
    """Repair where only the rules show spinning (a document with two sure repairs) at this score."""
    lm_repair_margin_marked: float = math.inf
    """Repair a word known to be the spinner's (after an a/an error) at this score."""
    lm_repair_margin_swap: float = math.inf
    """Repair, where the statistics show spinning, a reading that the phrase tables know as a swap of the word."""


@functools.lru_cache(maxsize=2)
def load_settings(path: Path = SETTINGS) -> Settings:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise HandoutsError(str(path), f"cannot read rule file: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise HandoutsError(str(path), f"bad TOML: {exc}") from exc
    try:
        return Settings(
            cost_synonym=float(data["cost"]["synonym"]),
            cost_related=float(data["cost"]["related"]),
            cost_two_words=float(data["cost"]["two_words"]),
            candidates=int(data["cost"]["candidates"]),
            per_group=int(data["cost"]["per_group"]),
            unlisted_pair=float(data["model"]["unlisted_pair"]),
            repair_margin=float(data["decide"]["repair_margin"]),
            repair_margin_related=float(data["decide"]["repair_margin_related"]),
            repair_margin_two_words=float(data["decide"]["repair_margin_two_words"]),
            flag_margin_spun=float(data["decide"]["flag_margin_spun"]),
            flag_margin_rules=float(data["decide"]["flag_margin_rules"]),
            flag_margin_clean=float(data["decide"]["flag_margin_clean"]),
            evidence_margin=float(data["evidence"]["margin"]),
            evidence_per_1000=float(data["evidence"]["per_1000_words"]),
            evidence_per_1000_with_other=float(data["evidence"]["per_1000_with_other"]),
            evidence_clean_per_1000=float(data["evidence"]["clean_per_1000"]),
            evidence_alone_chance=float(data["evidence"]["alone_chance"]),
            evidence_min=int(data["evidence"]["min_count"]),
            weak_signs_min=int(data["evidence"]["weak_signs_min"]),
            weak_signs_per_1000=float(data["evidence"]["weak_signs_per_1000"]),
            known_clean_per_1000=float(data["evidence"]["known_clean_per_1000"]),
            known_alone_chance=float(data["evidence"]["known_alone_chance"]),
            own_capital_repeats=int(data["evidence"]["own_capital_repeats"]),
            document_word=float(data["model"]["document_word"]),
            document_pair=float(data["model"]["document_pair"]),
            stop_words=frozenset(data["guard"]["never_replaced"]),
            never_suggested=frozenset(data["guard"]["never_suggested"]),
            lm_weights=tuple(float(data["language_model"]["weights"][name]) for name in LM_FEATURES),
            lm_bias=float(data["language_model"]["bias"]),
            lm_scored=int(data["language_model"]["scored"]),
            lm_alternatives=int(data["language_model"]["alternatives"]),
            lm_recurring=int(data["language_model"]["recurring"]),
            lm_repair_margin=float(data["language_model"]["repair_margin"]),
            lm_flag_margin_spun=float(data["language_model"]["flag_margin_spun"]),
            lm_flag_margin_rules=float(data["language_model"]["flag_margin_rules"]),
            lm_flag_margin_clean=float(data["language_model"]["flag_margin_clean"]),
            lm_repair_margin_rules=float(data["language_model"].get("repair_margin_rules", math.inf)),
            lm_repair_margin_marked=float(data["language_model"].get("repair_margin_marked", math.inf)),
            lm_repair_margin_swap=float(data["language_model"].get("repair_margin_swap", math.inf)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise HandoutsError(str(path), f"missing or bad setting: {exc}") from exc


@dataclass(slots=True)
class DocumentCounts:
    """How often each word and word pair occurs in the document being repaired.

    A spinner swaps words independently at each occurrence, so the original wording
    usually survives elsewhere in the same document ("optic nerve" in one sentence,
    "optic courage" in the next), while a writer's rare but right collocation
    ("watchful waiting") tends to recur.  These counts (a *cache* model) are mixed
    into the web model; each occurrence is left out when it is itself judged.
    """

    words: dict[str, int] = field(default_factory=dict)
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)
    titled: set[str] = field(default_factory=set)
    """Words of the document's title: what it is about ("gout"), which the language model,
    knowing nothing of the topic, would otherwise read as a more common word."""

    def add(self, keys: list[str]) -> None:
        words, pairs = self.words, self.pairs
        for k in keys:
            words[k] = words.get(k, 0) + 1
        for pair in zip(keys, keys[1:]):
            pairs[pair] = pairs.get(pair, 0) + 1

    def count(self, toks) -> int:
        """Add each run of words of a paragraph's tokens (as :meth:`Finder.runs` gives them), run by
        run; returns how many words (compiled as ``_speedups.count_runs``)."""
        if _count_runs is not None:
            return _count_runs(toks, self.words, self.pairs)
        n = 0
        for i, j in _runs(toks):
            keys = [t.key for t in toks[i:j]]
            self.add(keys)
            n += len(keys)
        return n


@dataclass(frozen=True, slots=True)
class Suspect:
    """A span of the paragraph that the model finds improbable, with its likely original."""

    first: int
    """Index of its first token in the paragraph's token list."""
    last: int
    """Index of its last token (inclusive)."""
    suggestion: str
    """The candidate original, cased like the text."""
    margin: float
    """Natural-log odds of the best reading with the suggestion against keeping the text."""
    kind: str
    """``synonym`` or ``related``: how the suggestion relates to the word in the thesaurus;
    ``model``: found by the trigram language model among the broad thesaurus's neighbours."""
    alternatives: tuple[str, ...] = ()
    """The next most probable readings, cased like the suggestion."""


@dataclass(slots=True)
class _Option:
    start: int          # position in the segment
    length: int         # words of the segment it covers
    words: tuple[str, ...]
    cost: float
    kind: str | None    # None: the text as written
    inner: float = 0.0  # log probability inside a multi-word option
    f: float = 0.0
    g: float = 0.0
    back: "_Option | None" = None
    ins: list | None = None   # steps from each option in ``ending[start]``, in that order
    slot: int = 0             # its index in ``ending[start + length]``


class Scorer:
    """Bigram log probabilities with stupid back-off, on the web counts.

    One per configuration for the process (``_Shared``): a value depends only on the two
    words, so what one document scored is not scored again for the next (at most 200,000
    kept)."""

    __slots__ = ("model", "_unlisted", "_log_total", "_min_word", "_cache")

    def __init__(self, model: Model, settings: Settings) -> None:
        self.model = model
        self._unlisted = model.log_min_pair + math.log(settings.unlisted_pair)
        self._log_total = model.log_total
        self._min_word = model.log_min_word
        self._cache: dict[tuple[str | None, str], float] = {}

    def word(self, w: str) -> float:
        lc = self.model.word(w)
        return self._min_word if lc is None else lc

    def trans(self, prev: str | None, w: str) -> float:
        """log P(w | prev); ``prev`` None at the start of a run of words."""
        key = (prev, w)
        value = self._cache.get(key)
        if value is None:
            if len(self._cache) > 200_000:
                self._cache.clear()
            value = self._cache[key] = self._trans(prev, w)
        return value

    def counts(self) -> tuple:
        """What the compiled decoder reads to work out :meth:`_trans` itself on a miss of the cache
        (``_speedups.pair_score``): the model's counts and the cache of their logs, and the
        scorer's constants."""
        m = self.model
        return (m._words, m._logs, m.following, _NONE, self._min_word, self._log_total, self._unlisted, m._shift)

    def _trans(self, prev: str | None, w: str) -> float:
        word = self.model.word  # :meth:`word`, inline
        lw = word(w)
        if lw is None:
            lw = self._min_word
        if prev is None:
            return lw - self._log_total
        lp = word(prev)
        if lp is None:
            lp = self._min_word
        pair = self.model.pair(prev, w)
        if pair is None:
            pair = min(lp + lw - self._log_total, self._unlisted)
        return pair - lp


class _Shared:
    """What finders of one configuration (settings, guarded and common words, resources) work
    out once per process: each word's thesaurus candidates, each two-word key's, whether a
    token may be replaced, and the context-free part of the language model's scores.  None
    of it depends on the document, so a library repaired in one process pays for it once."""

    __slots__ = ("alive", "cands", "two", "replaceable", "replaceable_bits", "static", "lm_lists", "scorer")

    def __init__(self, *alive) -> None:
        self.alive = alive  # the objects whose ids are part of the key, so that no id is reused
        self.cands: dict[str, list[tuple[tuple[str, ...], str, str, int, float, str]]] = {}
        self.two: dict[str, list[tuple[tuple[str, ...], str, str, int, float, str]]] = {}
        self.replaceable: dict[tuple[str, bool, bool], bool] = {}
        self.replaceable_bits: dict[str, int] = {}
        """The compiled decoder's copy of :attr:`replaceable`, by the text alone (``_speedups.c``,
        ``can_replace``)."""
        self.static: dict[str, list[tuple[float, str]]] = {}
        self.lm_lists: dict[str, tuple] = {}
        """The compiled reading's copy of :attr:`static`: each candidate's id in the trigram model and the
        words that follow it in the web counts (``_speedups.c``, ``word_lists``)."""
        self.scorer: Scorer | None = None


_SHARED: dict[tuple, _Shared] = {}

# the compiled inner loops (``speedups``), or None: the Python code beside each call runs
_segment_c = _compiled.segment if _compiled is not None else None
_lm_scores = _compiled.lm_scores if _compiled is not None else None
_lm_run = _compiled.lm_run if _compiled is not None else None
_group_alts = _compiled.group_alts if _compiled is not None else None
_static_c = _compiled.static_candidates if _compiled is not None else None


def _shared(settings: Settings, guarded: frozenset[str], common: frozenset[str], thesaurus, model,
            swaps=None) -> _Shared:
    key = (id(settings), guarded, common, id(thesaurus), id(model), id(swaps))
    found = _SHARED.get(key)
    if found is None:
        if len(_SHARED) >= 8:
            _SHARED.clear()
        found = _SHARED[key] = _Shared(settings, thesaurus, model, swaps)
    return found


_GUARDS: dict[tuple, tuple[frozenset[str], frozenset[str]]] = {}


def _guards(guarded: frozenset[str], settings: Settings) -> tuple[frozenset[str], frozenset[str]]:
    """A finder's guarded words (``guarded``, the negations and the settings' stop words) and the words
    never suggested (those and the settings' own), the same objects for equal arguments: a repair makes
    a finder per document, and two set unions and the hash of a new set (for :func:`_shared`) per
    document were 2 % of repairing a clean leaflet."""
    key = (guarded, settings.stop_words, settings.never_suggested)
    found = _GUARDS.get(key)
    if found is None:
        if len(_GUARDS) >= 8:
            _GUARDS.clear()
        full = guarded | NEGATIONS | settings.stop_words
        found = _GUARDS[key] = (full, full | settings.never_suggested)
    return found


def _casing(template: str, words: str, capitalise: bool) -> str:
    if len(template) > 1 and template.isupper():
        return words.upper()
    if capitalise:
        return words[:1].upper() + words[1:]
    return words


class Finder:
    """Finds suspects in paragraphs; one per repair run, resources loaded on first use."""

    def __init__(self, guarded: frozenset[str], common: frozenset[str], settings: Settings | None = None,
                 thesaurus: Thesaurus | None = None, model: Model | None = None,
                 swaps: dict[str, frozenset[str]] | None = None) -> None:
        """``swaps``: known swaps other than the rules' (``rules.Rules.swaps``; for the evaluation's
        cross-validation), with candidate lists of their own."""
        self.settings = settings or load_settings()
        self.guarded, self._banned = _guards(guarded, self.settings)
        self.common = common
        self._thesaurus = thesaurus
        self._model = model
        self._scorer: Scorer | None = None
        self._broad: Broad | None = None
        self._trigram: TrigramModel | None = None
        self._swaps: dict[str, frozenset[str]] | None = swaps
        shared = self._shared = _shared(self.settings, self.guarded, common, thesaurus, model, swaps)
        self._cands = shared.cands
        self._two = shared.two
        self._can_replace = shared.replaceable
        self._static = shared.static
        self._doc: DocumentCounts | None = None
        self._runs: dict[tuple, list[Suspect]] = {}
        """Per run of words (within the document): the bigram decoder's suspects."""
        self._read: dict[tuple, list[Suspect]] = {}
        """Per run of words and floor: the suspects with the language model's reading."""
        self._bonus: dict[str, float] = {}
        self._inners: dict[tuple[str, ...], float] = {}
        """Per candidate of several words: :meth:`_inner` (for the document)."""
        self._context: tuple | None = None
        """What the compiled decoder reads, the same objects for every run of the document."""
        self._lm_context: tuple | None = None
        """What the compiled reading of the language model reads, likewise."""
        self._static_context: tuple | None = None
        """What the compiled :meth:`_static_candidates` reads (the same for every document)."""

    @property
    def broad(self) -> Broad:
        if self._broad is None:
            self._broad = load_broad()
        return self._broad

    @property
    def swaps(self) -> dict[str, frozenset[str]]:
        """The phrase tables' known swaps, word by word (``rules.Rules.swaps``)."""
        if self._swaps is None:
            self._swaps = load_rules().swaps
        return self._swaps

    @property
    def trigram(self) -> TrigramModel:
        if self._trigram is None:
            self._trigram = load_trigram()
        return self._trigram

    @property
    def thesaurus(self) -> Thesaurus:
        if self._thesaurus is None:
            self._thesaurus = load_thesaurus()
        return self._thesaurus

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            if self._shared.scorer is None:
                self._shared.scorer = Scorer(self._model or load_model(), self.settings)
            self._scorer = self._shared.scorer
        return self._scorer

    def _word_bonus(self, w: str, own: bool) -> float:
        n = self._doc.words.get(w, 0) - own
        return math.log1p(self.settings.document_word * n) if n > 0 else 0.0

    def _pair_bonus(self, a: str, b: str, own: bool) -> float:
        n = self._doc.pairs.get((a, b), 0) - own
        return math.log1p(self.settings.document_pair * n) if n > 0 else 0.0

    def _step(self, q: "_Option", o: "_Option") -> float:
        """Log probability of going from option ``q`` to the adjacent option ``o``."""
        own = q.kind is None and o.kind is None
        return self.scorer.trans(q.words[-1], o.words[0]) + self._pair_bonus(q.words[-1], o.words[0], own)

    # -- which words may be replaced -----------------------------------------------------

    def _replaceable(self, tok, sentence_start: bool, heading: bool) -> bool:
        """May the word be replaced?  (Cached per configuration: it depends on the text and the two flags.)"""
        k = (tok.text, sentence_start, heading)
        found = self._can_replace.get(k)
        if found is None:
            if len(self._can_replace) > 200_000:
                self._can_replace.clear()
            found = self._can_replace[k] = self._may_replace(tok, sentence_start, heading)
        return found

    def _may_replace(self, tok, sentence_start: bool, heading: bool) -> bool:
        key = tok.key
        if key in self.guarded or not key.replace("-", "").replace("'", "").isalpha():
            return False
        text = tok.text
        if any(map(str.isupper, text[1:])) and not text.isupper() and not heading:
            return False  # "PrEP", "McDonald": a name or an abbreviation
        if text[0].isupper() and not sentence_start:
            if len(text) > 1 and text.isupper():
                return False  # an abbreviation
            if not heading and key not in self.common:
                return False  # a proper noun
        return True

    def _candidates(self, key: str) -> list[tuple]:
        """The word's thesaurus neighbours that may be offered, most frequent first, each as
        :func:`_alt` makes it (cached per configuration)."""
        found = self._cands.get(key)
        if found is None:
            nb = self.thesaurus.get(key)
            found = []
            if nb is not None:
                s = self.settings
                ok = self._candidate_ok
                banned = self._banned
                following = self.scorer.model.following
                for group, cost, kind in ((nb.synonyms, s.cost_synonym, "synonym"),
                                          (nb.related, s.cost_related, "related")):
                    if _group_alts is not None:  # the loop below, compiled
                        _group_alts(found, group, cost, kind, s.per_group, banned, following, _NONE, ok, _alt)
                        continue
                    taken = 0
                    for w in group:
                        if taken == s.per_group:
                            break
                        if " " in w:
                            if ok(w):
                                found.append(_alt(w, cost, kind, following))
                                taken += 1
                        elif w not in banned:  # ok(w) and _alt(w, ...), inline for one word
                            found.append(((w,), w, w, 1, cost, kind, following.get(w, _NONE)))
                            taken += 1
            listed = {x[0] for x in found}
            for w in sorted(self.swaps.get(key, ())):
                if (w,) not in listed and self._candidate_ok(w):
                    found.append(_alt(w, self.settings.cost_synonym, "synonym", self.scorer.model.following))
            if len(self._cands) > 200_000:
                self._cands.clear()
            self._cands[key] = found
        return found

    def _two_words(self, key: str, right: str) -> list[tuple[tuple[str, ...], str, str, int, float, str]]:
        """One-word (or shorter) readings of the two words ``key right`` ("steer clear" -> "avoid")."""
        pair = f"{key} {right}"
        found = self._two.get(pair)
        if found is None:
            nb = self.thesaurus.get(pair)
            # "local anaesthetic" -> "local", "insect bites" -> "bites": a compound and its
            # own head are not a spinner's swap
            following = self.scorer.model.following
            found = [] if nb is None else [_alt(w, self.settings.cost_two_words, "synonym", following, 2)
                                           for w in nb.synonyms
                                           if self._candidate_ok(w) and w not in (key, right)]
            if len(self._two) > 200_000:
                self._two.clear()
            self._two[pair] = found
        return found

    def _candidate_ok(self, words: str) -> bool:
        banned = self._banned
        if " " not in words:
            return words not in banned
        return not any(w in banned for w in words.split(" "))

    # -- the search ----------------------------------------------------------------------

    def runs(self, toks) -> list[list[str]]:
        """The keys of each run of words between punctuation (what :class:`DocumentCounts` adds)."""
        return [[t.key for t in toks[i:j]] for i, j in _runs(toks)]

    def suspects(self, toks, sentence_start, heading, doc: DocumentCounts | None = None,
                 floor: float | None = None, decoded: list[Suspect] | None = None,
                 marked: dict[int, bool] | None = None, needs_an=None) -> list[Suspect]:
        """Suspects in one paragraph's tokens (``repair.Token``), in order.

        With ``floor``, the language model's reading is added where it scores at least
        ``floor``, in place of the bigram decoder's where that one is not sure enough to
        repair; without, only the bigram decoder's (what the document's evidence is
        weighed on, before the floor is known).  ``decoded``: the bigram decoder's suspects
        in these same tokens, from an earlier call, not decoded again.

        The bigram decoder's suspects in a run of words depend only on the run (its words
        as written, which open a sentence, which are in a heading) and on the document's
        counts, so within one document a run is decoded once, and read by the language model
        once per floor: a later pass of the repair reads again only the runs a repair changed.

        ``marked``: words known to be a spinner's, each after an article that the a/an detector
        corrected ("an procedure"): token index -> whether the original took "an" (the article
        the spinner left).  The model reads each of them whatever its score, among the
        candidates that fit that article (``needs_an(word)``: True, False or None, as
        ``detectors.needs_an``), each scored after it ("an operation").
        """
        doc = doc or DocumentCounts()
        if doc is not self._doc:
            self._doc = doc
            self._doc_max = max(doc.words.values(), default=0)
            self._runs.clear()
            self._read.clear()
            self._bonus.clear()
            self._inners.clear()
            self._context = None
            self._lm_context = None
        out: list[Suspect] = []
        lm = floor is not None and floor < math.inf
        if decoded is not None and not lm:  # what the earlier call found, run by run
            return [x for x in decoded if x.kind != "model"]
        runs = self._runs
        for i, j, run in _run_keys(toks, sentence_start, heading):
            here = {k - i: v for k, v in marked.items() if i <= k < j} if marked else None
            read_key = (run, floor, tuple(sorted(here.items()))) if here else (run, floor)
            if lm:
                cached = self._read.get(read_key)
                if cached is not None:
                    out.extend(_shift(x, i) for x in cached)
                    continue
            cached = runs.get(run)
            if cached is not None:
                found = [_shift(x, i) for x in cached]
            else:
                if decoded is not None:
                    found = [x for x in decoded if i <= x.first < j and x.kind != "model"]
                else:
                    found = self._segment(toks, i, j, sentence_start, heading)
                runs[run] = [_shift(x, -i) for x in found]
            if lm:
                sure = {k for x in found if x.margin >= self.settings.repair_margin
                        for k in range(x.first, x.last + 1)}
                model = self._lm_segment(toks, i, j, sentence_start, heading, sure, floor, here, needs_an)
                read = {x.first for x in model}
                found = [x for x in found if not any(k in read for k in range(x.first, x.last + 1))] + model
                found.sort(key=lambda x: x.first)
                self._read[read_key] = [_shift(x, -i) for x in found]
            out.extend(found)
        return out

    # -- the language-model reading --------------------------------------------------------

    def _lm_segment(self, toks, i: int, j: int, sentence_start, heading, taken: set[int],
                    floor: float, marked: dict[int, bool] | None = None, needs_an=None) -> list[Suspect]:
        """Words of one run that read better as a broad-thesaurus neighbour under the trigram model.

        Each candidate original is scored by a weighted sum of features (the weights and
        threshold are data, fitted on the development split): how much more probable the
        run is with it (trigram), how likely a spinner was to pick the word for it
        (channel: one of its neighbours), how common each is, their use elsewhere in the
        document, and whether the stricter WordNet table links them too.  A word whose best
        score cannot reach ``floor`` (the run with a candidate is at most certain, so the
        trigram part is at most what the word as written costs) is not scored in context.
        """
        if _lm_run is not None and not marked:
            hits = _lm_run(toks, i, j, sentence_start, heading, taken, floor,
                           self._lm_context or self._make_lm_context())
        else:  # (a run with a word after an a/an error is read here, compiled or not: it is rare)
            hits = self._lm_scored(toks, i, j, sentence_start, heading, taken, floor, marked, needs_an)
        most = self.settings.lm_alternatives
        out = []
        for k, scored in hits:
            best, c = scored[0]
            text = toks[k].text
            capitalise = text[:1].isupper() and (sentence_start[k] or heading[k])
            if capitalise or (len(text) > 1 and text.isupper()):
                alts = tuple(_casing(text, a, capitalise) for _, a in scored[1 : 1 + most])
                c = _casing(text, c, capitalise)
            else:  # (what _casing leaves as it is)
                alts = tuple([a for _, a in scored[1 : 1 + most]])
            out.append(Suspect(k, k, c, best, "model", alts))
        return [x for x in out if x.margin >= floor or (marked and x.first - i in marked)]

    def _make_lm_context(self) -> tuple:
        """The objects :meth:`_lm_scored`'s compiled version (``_speedups.lm_run``) reads, in its
        order (kept for the document)."""
        lm = self.trigram
        s = self.settings
        wt = s.lm_weights
        self._lm_context = (self._doc.titled, self._doc.words, self.scorer.model.following, _NONE, lm._known,
                            lm.known, self._can_replace, self._replaceable, self._static, self._static_candidates,
                            lm.prob, START, END, s.lm_scored, wt[3] * math.log1p(self._doc_max),
                            max(0.0, 2 * wt[7]), wt[0], wt[3], wt[4], wt[7], _LN, 0.0, self._shared.lm_lists)
        return self._lm_context

    def _lm_scored(self, toks, i: int, j: int, sentence_start, heading, taken: set[int],
                   floor: float, marked: dict[int, bool] | None = None,
                   needs_an=None) -> list[tuple[int, list[tuple[float, str]]]]:
        """The words of ``toks[i:j]`` that :meth:`_lm_segment` reads, each as (its index, its
        candidates' scores, best first), where the best score reaches ``floor`` (a ``marked`` word:
        whatever it scores); compiled as ``_speedups.lm_run`` for a run with no marked word (the same
        look-ups, trigrams and sums in the same order, and the same order of the scores)."""
        lm = self.trigram
        words = [t.key for t in toks[i:j]]
        known_word = lm.known
        if not all(known_word(w) for w in words):
            unknown = [not known_word(w) for w in words]
            # near[p]: a word the model does not know within two places of p (or at p)
            near = [any(unknown[max(0, p - 2) : p + 3]) for p in range(len(words))]
        else:
            near = [False] * len(words)
        s = self.settings
        titled = self._doc.titled
        doc = self._doc.words
        wt = s.lm_weights
        following = self.scorer.model.following
        prob = lm.prob  # the library's own call, in its unit (times ``ln`` for nats), inline
        ln = _LN
        nw = len(words)
        doc_most = wt[3] * math.log1p(self._doc_max)  # the most the document's use of a candidate adds
        pairs_most = max(0.0, 2 * wt[7])  # ... and its pairs with the words beside it
        scored_most = s.lm_scored
        wt0, wt3, wt4, wt7 = wt[0], wt[3], wt[4], wt[7]
        log1p = math.log1p
        replaceable = self._replaceable
        known = self._can_replace  # its cache, read inline
        static_of = self._static
        # tri[q]: the library's value of the trigram that ends with word q of the run (q == nw:
        # the sentence end after it); each is part of the window of three positions, so it is
        # asked once and the same value is summed where the code before asked it again
        tri: list = [None] * (nw + 1)
        out = []
        floor_all = floor
        for p, w in enumerate(words):
            k = i + p
            mark = marked.get(p, _UNMARKED) if marked else _UNMARKED
            floor = floor_all if mark is _UNMARKED else -math.inf  # a marked word is read whatever it scores
            if k in taken or (near[p] and mark is _UNMARKED) or w in titled:
                continue
            tok = toks[k]
            can = known.get((tok.text, sentence_start[k], heading[k]))
            if can is None:
                can = replaceable(tok, sentence_start[k], heading[k])
            if not can:
                continue
            static = static_of.get(w)
            if static is None:
                static = self._static_candidates(w)
            if not static:
                continue
            a = words[p - 1] if p >= 1 else START
            b = words[p - 2] if p >= 2 else START
            n1 = words[p + 1] if p + 1 < nw else None
            n2 = words[p + 2] if p + 2 < nw else END
            # the window: log probability of the trigrams that word p (as written, or read as
            # a candidate) takes part in, up to the end of the run
            t0 = tri[p]
            if t0 is None:
                t0 = tri[p] = prob((w, a, b))
            t1 = tri[p + 1]
            if t1 is None:
                t1 = tri[p + 1] = prob((END, w, a) if n1 is None else (n1, w, a))
            if n1 is None:
                base = t0 * ln + t1 * ln
            else:
                t2 = tri[p + 2]
                if t2 is None:
                    t2 = tri[p + 2] = prob((n2, n1, w))
                base = t0 * ln + t1 * ln + t2 * ln
            if (static[0][0] + wt0 * min(30.0, -base) + doc_most + pairs_most) < floor:
                continue
            after_prev = _NONE if p == 0 else following.get(a, _NONE)
            if n1 is None:
                own = (w in after_prev) + False
            else:
                own = (w in after_prev) + (n1 in following.get(w, _NONE))
            if mark is not _UNMARKED and p >= 1:
                # the article the spinner left ("an procedure" for "an operation"), which the
                # a/an detector corrected: each candidate that fits it is read after it
                fits = [x for x in static if needs_an(x[1]) in (None, mark)]
                if not fits:
                    continue
                static = fits
                a = "an" if mark else "a"
                after_prev = following.get(a, _NONE)
            fixed = wt4 * log1p(max(0, doc.get(w, 0) - 1))
            most = wt0 * min(30.0, -base) + doc_most + pairs_most + fixed
            if _lm_scores is not None:
                scored = _lm_scores(prob, static, scored_most, most, floor, a, b, n1, n2, base, after_prev,
                                    following, doc, own, fixed, wt0, wt3, wt7, ln, END, _NONE)
            else:
                scored = []
                for st, c in static[:scored_most]:
                    if st + most < floor:
                        break  # the rest score less without context, so they cannot reach the floor either
                    if n1 is None:
                        window = prob((c, a, b)) * ln + prob((END, c, a)) * ln
                        pairs = (c in after_prev) + False - own
                    else:
                        window = prob((c, a, b)) * ln + prob((n1, c, a)) * ln + prob((n2, n1, c)) * ln
                        pairs = (c in after_prev) + (n1 in following.get(c, _NONE)) - own
                    delta = window - base  # max(-30.0, min(30.0, delta)), inline
                    if not delta < 30.0:
                        delta = 30.0
                    if not delta > -30.0:
                        delta = -30.0
                    scored.append((st + fixed + wt0 * delta + wt3 * log1p(doc.get(c, 0)) + wt7 * pairs, c))
            if not scored or not max(scored)[0] >= floor:
                continue  # not read: below the floor
            scored.sort(key=_best_first)
            out.append((k, scored))
        return out

    def _static_candidates(self, w: str) -> list[tuple[float, str]]:
        """The word's candidate originals with the part of their score that needs no context,
        best first (cached for the process)."""
        found = self._static.get(w)
        if found is not None:
            return found
        if _static_c is not None:  # all of the below, compiled
            found = self._static[w] = _static_c(w, self._static_context or self._make_static_context())
            return found
        s = self.settings
        wt = s.lm_weights
        broad, word = self.broad, self.scorer.word
        uw = word(w)
        swaps = self.swaps.get(w, ())
        found = []
        listed = set()
        for c in broad.candidates(w):
            if not self._candidate_ok(c.word):
                continue
            listed.add(c.word)
            st = (s.lm_bias + wt[1] * -math.log(max(1, broad.size(c.word))) + wt[2] * (word(c.word) - uw)
                  + wt[5] * c.synonym + wt[6] * c.related + wt[8] * c.both_ways + wt[9] * c.moby
                  + wt[10] * (c.word in swaps))
            found.append((st, c.word))
        # a known swap of the phrase tables that the candidate table lacks ("physique" -> "body")
        known = self.trigram.known
        for c in sorted(swaps):
            if c not in listed and self._candidate_ok(c) and known(c):
                found.append((s.lm_bias + wt[1] * -math.log(max(1, broad.size(c))) + wt[2] * (word(c) - uw)
                              + wt[10], c))
        found.sort(key=lambda x: (-x[0], x[1]))
        self._static[w] = found
        return found

    def _make_static_context(self) -> tuple:
        """What :meth:`_static_candidates`' compiled version (``_speedups.static_candidates``) reads, in
        its order: the candidate table's lines and sizes, the counts, the banned words, the known swaps,
        the trigram model's known words, and the weights it sums."""
        wt = self.settings.lm_weights
        broad, trigram = self.broad, self.trigram
        self._static_context = (broad._lines, broad._sizes, self.scorer.counts(), self._banned, self.swaps,
                                trigram._known, trigram.known, self.scorer.word, self.settings.lm_bias,
                                (wt[1], wt[2], wt[5], wt[6], wt[8], wt[9], wt[10]))
        return self._static_context

    def _segment(self, toks, i: int, j: int, sentence_start, heading) -> list[Suspect]:
        """Decode one run of words between punctuation: ``toks[i:j]``.

        The compiled decoder (``_speedups.segment``) does all of this method, :meth:`_prune`,
        :meth:`_decode_one` and :meth:`_decode` in one call, with the same look-ups and the same
        sums in the same order; it calls back the methods that fill the caches of
        :class:`_Shared` on a miss, and works out :meth:`_inner` for a candidate of several words
        itself, into the same cache for the document."""
        if _segment_c is not None:
            context = self._context or self._make_context()
            return [self._suspect(start, length, words, kind, margin, toks, i, sentence_start, heading)
                    for start, length, words, kind, margin in _segment_c(toks, i, j, sentence_start, heading,
                                                                          context)]
        idx = list(range(i, j))
        following = self.scorer.model.following
        keys = [toks[k].key for k in idx]
        n = len(keys)
        firsts = self.thesaurus.multiword_firsts
        replaceable = self._replaceable
        known = self._can_replace  # its cache, read inline
        alts_at: dict[int, list[_Option]] = {}
        for p in range(n):
            k = idx[p]
            tok = toks[k]
            can = known.get((tok.text, sentence_start[k], heading[k]))
            if can is None:
                can = replaceable(tok, sentence_start[k], heading[k])
            if not can:
                continue
            key = keys[p]
            left = keys[p - 1] if p > 0 else None
            right = keys[p + 1] if p + 1 < n else None
            alts = []
            # two words for one ("steer clear" -> "avoid")
            if right is not None and key in firsts and replaceable(toks[idx[p + 1]], False, heading[idx[p + 1]]):
                alts = self._two_words(key, right)
            # is the word improbable where it stands?
            if (left is not None and key not in following.get(left, _NONE)) or (
                    right is not None and right not in following.get(key, _NONE)) or (left is None and right is None):
                alts = alts + self._candidates(key) if alts else self._candidates(key)
            if alts:
                kept = self._prune(alts, keys, p)
                if kept:
                    alts_at[p] = kept
        if not alts_at:
            return []
        # decode each cluster of positions with candidates, between two fixed words
        options: list[list[_Option] | None] = [None] * n

        def at(r: int) -> list[_Option]:
            found = options[r]
            if found is None:
                found = options[r] = [_Option(r, 1, (keys[r],), 0.0, None), *alts_at.get(r, ())]
            return found

        out: list[Suspect] = []
        p = 0
        for p0 in sorted(alts_at):
            if p0 < p:
                continue
            p = p0
            lo = max(0, p - 1)
            reach = p + max(o.length for o in alts_at[p])
            q = p + 1
            while q < n and (q < reach or q in alts_at):
                if q in alts_at:
                    reach = max(reach, q + max(o.length for o in alts_at[q]))
                q += 1
            hi = min(n, max(q, reach) + 1)
            if hi - lo == 3 and lo == p - 1 and reach == p + 1:
                # one position with candidates (of one word each) between two fixed words
                found = self._decode_one(alts_at[p], keys, toks, idx, sentence_start, heading, p)
                if found is not None:
                    out.append(found)
            else:
                for r in range(lo, hi):
                    at(r)[0].inner = self._keep_bonus(keys[r])
                out.extend(self._decode(options, keys, toks, idx, sentence_start, heading, lo, hi))
            p = hi
        return out

    def _decode_one(self, alts: list[_Option], keys, toks, idx, sentence_start, heading, p: int) -> Suspect | None:
        """:meth:`_decode` of the commonest cluster, without its bookkeeping: the words at
        ``p - 1`` and ``p + 1`` fixed, one-word candidates at ``p``.  The same sums in the
        same order, so the same suspect to the last bit."""
        trans = self.scorer.trans
        doc_pairs = self._doc.pairs
        pair_weight = self.settings.document_pair
        log1p = math.log1p
        a, w, b = keys[p - 1], keys[p], keys[p + 1]
        k_inner, b_inner = self._keep_bonus(w), self._keep_bonus(b)
        left_f = trans(None, a) + (self._keep_bonus(a) - 0.0)
        # the word as written
        c = doc_pairs.get((a, w), 0) - True
        keep_f = left_f + (trans(a, w) + (log1p(pair_weight * c) if c > 0 else 0.0)) + (k_inner - 0.0)
        c = doc_pairs.get((w, b), 0) - True
        step = trans(w, b) + (log1p(pair_weight * c) if c > 0 else 0.0)
        keep_g = step + b_inner - 0.0 + 0.0
        best, back, back_g = keep_f + step, None, 0.0
        for o in alts:
            first = o.words[0]
            c = doc_pairs.get((a, first), 0) - False
            f = left_f + (trans(a, first) + (log1p(pair_weight * c) if c > 0 else 0.0)) + (o.inner - o.cost)
            c = doc_pairs.get((first, b), 0) - False
            step = trans(first, b) + (log1p(pair_weight * c) if c > 0 else 0.0)
            v = f + step
            if v > best:
                best, back, back_f, back_g = v, o, f, step + b_inner - 0.0 + 0.0
        if back is None:
            return None
        return self._suspect(back.start, back.length, back.words, back.kind, (back_f + back_g) - (keep_f + keep_g),
                             toks, idx[0], sentence_start, heading)

    def _suspect(self, start: int, length: int, words: tuple[str, ...], kind: str, margin: float, toks,
                 i: int, sentence_start, heading) -> Suspect:
        """The suspect of a candidate on the best path (``start``: its position in the run, which
        starts at token ``i``)."""
        first, lastk = i + start, i + start + length - 1
        tok = toks[first]
        capitalise = tok.text[:1].isupper() and (sentence_start[first] or (
            heading[first] and all(t.text[:1].isupper() for t in toks[first:lastk + 1])))
        suggestion = _casing(tok.text, " ".join(words), capitalise)
        if heading[first] and capitalise and len(words) > 1:
            suggestion = " ".join(w[:1].upper() + w[1:] for w in suggestion.split(" "))
        return Suspect(first, lastk, suggestion, margin, kind)

    def _make_context(self) -> tuple:
        """The objects :meth:`_segment`'s compiled decoder reads (kept for the document)."""
        sc = self.scorer
        s = self.settings
        self._context = (self._can_replace, self._shared.replaceable_bits, self.guarded, self.common,
                         self._replaceable, self.thesaurus.multiword_firsts, self._two, self._two_words, self._cands, self._candidates, sc.model.following, _NONE, self._doc.words,
                         self._doc.pairs, sc._cache, sc.trans, self._inners, sc.counts(),
                         s.candidates, s.document_word, s.document_pair)
        return self._context

    def _keep_bonus(self, w: str) -> float:
        """``_word_bonus(w, True)``, cached for the document."""
        found = self._bonus.get(w)
        if found is None:
            found = self._bonus[w] = self._word_bonus(w, True)
        return found

    def _prune(self, alts, keys: list[str], p: int) -> list[_Option]:
        """Keep the few candidates with evidence: a listed word pair with a neighbour, or use elsewhere.

        A candidate that forms no frequent pair with the words beside it, and that the
        document never uses, cannot win by much; dropping it keeps the decoding small.
        Candidates come most frequent first, which breaks ties.
        """
        following = self.scorer.model.following
        nk = len(keys)
        left = keys[p - 1] if p > 0 else None
        right1 = keys[p + 1] if p + 1 < nk else None
        key = keys[p]
        # the pairs the word as written forms: a candidate must do better
        after_left = _NONE if left is None else following.get(left, _NONE)
        own = (key in after_left) + (right1 is not None and right1 in following.get(key, _NONE))
        doc_words = self._doc.words
        ranked = []
        for n, (words, first, last, length, cost, kind, after_last) in enumerate(alts):
            if length == 1:
                right = right1
            else:
                end = p + length
                right = keys[end] if end < nk else None
            pairs = (first in after_left) + (right is not None and right in after_last)
            used = doc_words.get(first, 0) > 0
            if pairs > own or (used and pairs >= own and (pairs or used)):
                ranked.append((-pairs, -used, cost, n))
        ranked.sort()
        kept = []
        for *_, n in ranked[: self.settings.candidates]:
            words, _, _, length, cost, kind, _ = alts[n]
            o = _Option(p, length, words, cost, kind)
            o.inner = self._inner(words)
            kept.append(o)
        return kept

    def _inner(self, words: tuple[str, ...]) -> float:
        """A candidate's own log probability inside it (its word pairs) and its words' use in the
        document (the word as written has :meth:`_keep_bonus`)."""
        if len(words) == 1:
            return 0 + self._word_bonus(words[0], False)  # the same sums as below, term by term
        found = self._inners.get(words)
        if found is None:
            sc = self.scorer
            found = self._inners[words] = sum(sc.trans(a, b) for a, b in zip(words, words[1:])) + sum(
                self._word_bonus(w, False) for w in words)
        return found

    def _decode(self, options, keys, toks, idx, sentence_start, heading, lo: int, hi: int) -> list[Suspect]:
        """Viterbi over positions lo..hi-1 (the first and last are fixed context when not at an edge)."""
        sc = self.scorer
        trans = sc.trans
        doc_pairs = self._doc.pairs
        pair_weight = self.settings.document_pair
        log1p = math.log1p
        n = hi
        ending: list[list[_Option]] = [[] for _ in range(n + 1)]
        for p in range(lo, n):
            for o in options[p]:
                if p + o.length <= n:
                    e = ending[p + o.length]
                    o.slot = len(e)
                    e.append(o)
        # forward (best path up to and including the option)
        for p in range(lo, n):
            for o in options[p]:
                if p + o.length > n:
                    o.f = -math.inf
                    continue
                here = o.inner - o.cost
                if p == lo:
                    o.f = trans(None, o.words[0]) + here
                    o.back = None
                    continue
                best, back = -math.inf, None
                first = o.words[0]
                fixed = o.kind is None
                ins = o.ins = []
                for q in ending[p]:
                    # _step(q, o), inline
                    a = q.words[-1]
                    c = doc_pairs.get((a, first), 0) - (fixed and q.kind is None)
                    step = trans(a, first) + (log1p(pair_weight * c) if c > 0 else 0.0)
                    ins.append(step)
                    v = q.f + step
                    if v > best:
                        best, back = v, q
                o.f = best + here
                o.back = back
        # backward (best continuation after the option)
        for p in range(n - 1, lo - 1, -1):
            for o in options[p]:
                end = p + o.length
                if end > n:
                    o.g = -math.inf
                    continue
                if end == n:
                    o.g = 0.0
                    continue
                slot = o.slot
                o.g = max(q.ins[slot] + q.inner - q.cost + q.g for q in options[end])
        # the best path
        last = max(ending[n], key=lambda o: o.f)
        path = []
        o = last
        while o is not None:
            path.append(o)
            o = o.back
        out = []
        for o in reversed(path):
            if o.kind is None:
                continue
            keep = options[o.start][0]
            out.append(self._suspect(o.start, o.length, o.words, o.kind, (o.f + o.g) - (keep.f + keep.g), toks, idx[0],
                                     sentence_start, heading))
        return out


_UNMARKED = object()


def _alt(words: str, cost: float, kind: str, following: dict, length: int = 1):
    """A candidate as the decoder takes it: (words, first word, last word, positions covered,
    cost, kind, the words its last word forms a listed pair with)."""
    if " " not in words:  # the commonest case: tuple(words.split(" ")), without the split
        return (words,), words, words, length, cost, kind, following.get(words, _NONE)
    split = tuple(words.split(" "))
    return split, split[0], split[-1], length, cost, kind, following.get(split[-1], _NONE)


def _best_first(x: tuple[float, str]) -> tuple[float, str]:
    return (-x[0], x[1])


def _shift(x: Suspect, by: int) -> Suspect:
    return x if by == 0 else Suspect(x.first + by, x.last + by, x.suggestion, x.margin, x.kind, x.alternatives)


def _word_runs(toks):
    """(start, end) of each run of words with no punctuation between them (at most two spaces apart)."""
    n = len(toks)
    i = 0
    while i < n:
        if toks[i].kind != "w":
            i += 1
            continue
        j = i
        while j + 1 < n and toks[j + 1].kind == "w" and toks[j + 1].start - toks[j].end <= 2:
            j += 1
        yield i, j + 1
        i = j + 1


_runs = _compiled.word_runs if _compiled is not None else _word_runs
"""The runs of words of a paragraph's tokens: :func:`_word_runs`, compiled where it was built."""


def _run_keys_py(toks, sentence_start, heading):
    """(start, end, key) of each run of words: the key is what the run is decoded from (its words as
    written, which open a sentence, which are in a heading), what :meth:`Finder.suspects` caches by.
    (The compiled version makes most keys one str instead, which keeps its hash: the same runs are
    told apart, as the same key is never made for two different runs.)"""
    for i, j in _word_runs(toks):
        yield i, j, tuple(zip([t.text for t in toks[i:j]], sentence_start[i:j], heading[i:j]))


_run_keys = _compiled.run_keys if _compiled is not None else _run_keys_py
_count_runs = _compiled.count_runs if _compiled is not None else None
