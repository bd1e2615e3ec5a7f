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


_NONE: dict[str, float] = {}


class Model:
    """Word and word-pair counts, looked up as natural logarithms on one scale.

    The pairs are kept by their first word: for each, its second words with the pair's
    count.  A look-up is then a dictionary access with words the text already has (their
    hashes are known), never a key built from two words; the statistical layer's inner
    loops use :attr:`following` directly.  Counts become logarithms when asked for, once
    per word: only a few words of a text are ever asked
    about.  The parsed lists are kept in the cache of parsed resources (``cache``).
    """

    __slots__ = ("_words", "_logs", "following", "log_total", "log_min_word", "log_min_pair", "_shift")

    def __init__(self, words: dict[str, int], following: dict[str, dict[str, int]]) -> None:
        """``words``: word -> count; ``following``: first word -> {second word: count}."""
        self._words = words
        self._logs: dict[str, float | None] = {}
        self.following = following
        """first word -> {second word: the pair's count, as listed}: ``b in following.get(a, {})``
        is :meth:`has_pair`."""
        self._shift = math.log(BIGRAM_SCALE)
        self.log_total = math.log(sum(map(int, words.values())))
        """Log of the number of words counted."""
        self.log_min_word = math.log(min(map(int, words.values())))
        """Log count of the rarest listed word: what an unlisted word is taken to have."""
        self.log_min_pair = math.log(min(int(c) for seconds in following.values() for c in seconds.values())) - self._shift
        """Log count of the rarest listed pair: an unlisted pair is rarer than this."""

    def word(self, word: str) -> float | None:
        """Log count of ``word`` (lower case), or None if it is not listed."""
        try:
            return self._logs[word]
        except KeyError:
            count = self._words.get(word)
            if len(self._logs) > 500_000:
                self._logs.clear()
            value = self._logs[word] = None if count is None else math.log(int(count))
            return value

    def pair(self, first: str, second: str) -> float | None:
        """Log count of the pair, on the words' scale, or None if it is not listed."""
        count = self.following.get(first, _NONE).get(second)
        return None if count is None else math.log(int(count)) - self._shift

    def has_pair(self, first: str, second: str) -> bool:
        return second in self.following.get(first, _NONE)

    def __contains__(self, word: str) -> bool:
        return word in self._words


_NONE: dict[str, str] = {}


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
    """The two lists, with counts as ints and each word one str object wherever it is used.

    Both only make the cached pickle quicker to load (0.13 to 0.07 s): a str used again is
    written once and read back as a reference (its hash worked out once), and an int is read
    back faster than a str; ``int(count)`` and every look-up give what they gave before."""
    same: dict[str, str] = {}
    one = same.setdefault
    words = {}
    for line in _read(UNIGRAMS).splitlines():
        if line:
            word, count = line.split(" ")
            words[one(word, word)] = int(count)
    following: dict[str, dict[str, int]] = {}
    for line in _read(BIGRAMS).splitlines():
        if not line:
            continue
        key, _, count = line.rpartition(" ")
        first, _, second = key.partition(" ")
        seconds = following.get(first)
        if seconds is None:
            seconds = following[one(first, first)] = {}
        seconds[one(second, second)] = int(count)
    _spaced_compounds(words, following)
    return Model(words, following)


def _spaced_compounds(words: dict[str, int], following: dict[str, dict[str, int]]) -> None:
    """A listed word written as two listed words is a listed pair: "stomach ache" (stomachache),
    "back ache", "heart burn".  The pair list lacks most of them, so the statistical layer took
    "stomach ache" in a clean leaflet for a spun "stomach pain".  The pair counts as the word does
    (on the pairs' scale, and no rarer than the rarest listed pair, which sets what an unlisted pair
    is taken to be); each part has three letters or more."""
    rarest = min(c for seconds in following.values() for c in seconds.values())
    for word, count in list(words.items()):
        if len(word) < 7 or not word.isalpha():
            continue
        for cut in range(3, len(word) - 2):
            first, second = word[:cut], word[cut:]
            if first in words and second in words:
                seconds = following.get(first)
                if seconds is None:
                    seconds = following[first] = {}
                if second not in seconds:
                    seconds[second] = max(count * BIGRAM_SCALE, rarest)
