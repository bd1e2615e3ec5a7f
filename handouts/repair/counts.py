"""English word and word-pair frequencies, for telling probable English from improbable.

The counts are the ones symspellpy ships as package data (MIT licence): 82,765 words
(``frequency_dictionary_en_82_765.txt``) and 242,342 word pairs
(``frequency_bigramdictionary_en_243_342.txt``), both from Google's web n-gram counts.
A pair is listed only when it is frequent (about 10^5 times in the word list's 5*10^11
words), so "pain management" is there and "ache administration" is not; the absence
of a pair says that it is rare, not how rare.

Nothing is read at import: :func:`load_model` reads the two files the first time a
paragraph needs them (about 0.2 s) and keeps them.  No network is used.
"""
from __future__ import annotations

import functools
import math
from importlib import resources

from ..errors import HandoutsError
from . import cache

UNIGRAMS = "frequency_dictionary_en_82_765.txt"
BIGRAMS = "frequency_bigramdictionary_en_243_342.txt"
BIGRAM_SCALE = 64
"""The pair list counts on a scale 64 times the word list's ("of the" / "of" = 13.5)."""


class Model:
    """Word and word-pair counts, looked up as natural logarithms on one scale.

    The lists are kept as read (count text by key) and a count is converted when it
    is asked for: that halves the loading time, and only a few words of a text are
    ever asked about.
    """

    __slots__ = ("_words", "_pairs", "pairs", "log_total", "log_min_word", "log_min_pair", "_shift", "_logs")

    def __init__(self, words: dict[str, str], pairs: dict[str, str]) -> None:
        self._words = words
        self._pairs = pairs
        self.pairs = pairs
        """The listed pairs, as ``"first second"`` -> count text: ``f"{a} {b}" in model.pairs`` is
        :meth:`has_pair` without a call, for the statistical layer's inner loops."""
        self._logs: dict[str, float | None] = {}
        self._shift = math.log(BIGRAM_SCALE)
        self.log_total = math.log(sum(map(int, words.values())))
        """Log of the number of words counted."""
        self.log_min_word = math.log(min(map(int, words.values())))
        """Log count of the rarest listed word: what an unlisted word is taken to have."""
        self.log_min_pair = math.log(min(map(int, pairs.values()))) - self._shift
        """Log count of the rarest listed pair: an unlisted pair is rarer than this."""

    def word(self, word: str) -> float | None:
        """Log count of ``word`` (lower case), or None if it is not listed."""
        try:
            return self._logs[word]
        except KeyError:
            count = self._words.get(word)
            value = self._logs[word] = None if count is None else math.log(int(count))
            return value

    def pair(self, first: str, second: str) -> float | None:
        """Log count of the pair, on the words' scale, or None if it is not listed."""
        count = self._pairs.get(f"{first} {second}")
        return None if count is None else math.log(int(count)) - self._shift

    def has_pair(self, first: str, second: str) -> bool:
        return f"{first} {second}" in self._pairs

    def __contains__(self, word: str) -> bool:
        return word in self._words


def _read(name: str) -> str:
    try:
        return (resources.files("symspellpy") / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError) as exc:
        raise HandoutsError("symspellpy", f"cannot read the word-frequency data {name}: {exc}") from exc


@functools.lru_cache(maxsize=1)
def load_model() -> Model:
    """Read the frequency lists from the installed symspellpy package (once; parsed once per
    version of them, see ``cache``)."""
    try:
        sources = [resources.files("symspellpy") / UNIGRAMS, resources.files("symspellpy") / BIGRAMS]
    except ModuleNotFoundError:
        return _parse()
    return cache.cached("counts", sources, ["counts"], Model, _parse)


def _parse() -> Model:
    words = dict(line.split(" ") for line in _read(UNIGRAMS).splitlines() if line)
    pairs = dict(line.rsplit(" ", 1) for line in _read(BIGRAMS).splitlines() if line)
    return Model(words, pairs)
