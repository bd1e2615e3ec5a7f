"""A trigram language model of English, for telling probable wording from improbable.

The model is CMU Sphinx's US English trigram model (``en-us.lm.bin``, 27 MB), shipped
inside the ``pocketsphinx`` wheel (BSD-style licence) and read through its C library:
loading takes well under a second and a look-up a few microseconds, so every word of a
library can be scored.  Its vocabulary is lower case, without punctuation; a word it does
not know gets no score (:meth:`TrigramModel.known` is False), and the statistical layer
leaves such words alone: they are mostly the medical terms and names a leaflet is about.

Probabilities are natural logarithms (the library's own unit is base 1.0001).
Nothing is read at import; :func:`load_trigram` reads the model once, on first use.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

from ..errors import HandoutsError

_LN = math.log(1.0001)
_UNKNOWN = -1e8
"""Below this (in the library's unit), a look-up found no such word (it answers -2^29)."""
START = "<s>"
END = "</s>"


class TrigramModel:
    """log P(word | previous two words), with the model's own back-off."""

    __slots__ = ("_lm", "_known", "prob")

    def __init__(self, lm) -> None:
        self._lm = lm
        self._known: dict[str, bool] = {}
        self.prob = _direct(lm) or lm.prob
        """The library's own look-up: ``prob((word, previous, before))`` in its unit (base 1.0001;
        times ``_LN`` for nats), for the statistical layer's inner loop: the binding's method, or
        the same C function called directly (:func:`_direct`)."""

    def known(self, word: str) -> bool:
        """Is ``word`` (lower case) in the model's vocabulary?"""
        value = self._known.get(word)
        if value is None:
            value = self._known[word] = self._lm.prob([word]) > _UNKNOWN
        return value

    def logprob(self, word: str, previous: str, before: str) -> float:
        """Natural log of P(word | before previous); use :data:`START` before a sentence."""
        return self._lm.prob([word, previous, before]) * _LN

    def sentence(self, words: list[str], start: int = 0, end: int | None = None) -> float:
        """Log probability of ``words[start:end]`` after the words before it (and the sentence end,
        when ``end`` is the length)."""
        seq = [START, START, *words, END]
        stop = len(seq) if end is None or end >= len(words) else end + 2
        return sum(self.logprob(seq[k], seq[k - 1], seq[k - 2]) for k in range(start + 2, stop))


_PROBES = [("the", "of", "one"), ("pain", "back", "lower"), ("management", "pain", "for"),
           ("ache", "administration", START), (END, "it", "take"), ("zzxq", "the", START),
           ("the", "zzxq", "qqzx"), ("of",), ("zzxq",), ("nausea", "and", "vomiting")]
"""Trigrams that :func:`_direct` checks against the binding's own answers: listed ones, backed
off ones, sentence marks and words the model does not know."""


DIRECT_VERSIONS = ("5.1.1",)
"""pocketsphinx versions whose ``NGramModel`` layout :func:`_direct` was written for (read in its
Cython source): a newer one keeps the binding's call until its layout is looked at too, since a
wrong pointer would not fail the probes, it would crash."""


def _direct(lm):
    """The library's C function ``ngram_prob`` called without its Python binding, or None.

    The binding's ``NGramModel.prob`` encodes the words, copies them into an array and calls
    ``ngram_prob``; that wrapping costs about a microsecond a trigram, more than the look-up,
    and the language model's reading asks for about 120,000 trigrams in the 38 spun texts.
    The compiled module (``_speedups.trigram``) calls the same function of the same loaded
    library with the same arguments, so it returns the same int; in the language model's
    reading (``_speedups.lm_scores``) it takes ``ngram_prob``'s own two steps, each word's id
    (``ngram_wid``, kept: the model is never added to) and the look-up with the ids
    (``ngram_ng_prob``).  It needs the model's C pointer, which the binding keeps as the last
    field of its object (pocketsphinx 5: a Cython class, its pointer after the method table):
    so it is used only for that layout, and only when it answers the probes exactly as the
    binding does; anything else keeps the binding.
    """
    from .speedups import compiled

    if compiled is None or not hasattr(compiled, "trigram"):
        return None
    kind = type(lm)
    if kind.__name__ != "NGramModel" or kind.__module__ != "_pocketsphinx" or kind.__basicsize__ != 32:
        return None
    try:  # a layout read from the one version looked at: another version keeps the binding
        from importlib import metadata

        if metadata.version("pocketsphinx") not in DIRECT_VERSIONS:
            return None
    except metadata.PackageNotFoundError:
        return None
    try:
        import importlib

        library = importlib.import_module("pocketsphinx._pocketsphinx").__file__
        fast = compiled.trigram(lm, library, kind.__basicsize__ - 8)
        if all(fast(words) == lm.prob(list(words)) for words in _PROBES):
            return fast
    except (ImportError, OSError, ValueError, TypeError, AttributeError):
        pass
    return None


def model_path() -> Path:
    try:
        import pocketsphinx
    except ImportError as exc:
        raise HandoutsError("pocketsphinx", f"the language model is not installed ({exc}); "
                            "install the project with the README's first command") from exc
    return Path(pocketsphinx.__file__).resolve().parent / "model" / "en-us" / "en-us.lm.bin"


@functools.lru_cache(maxsize=1)
def load_trigram() -> TrigramModel:
    """Read the model from the installed pocketsphinx package (once)."""
    path = model_path()
    try:
        from pocketsphinx import NGramModel

        return TrigramModel(NGramModel.readfile(str(path)))
    except (OSError, RuntimeError, ValueError) as exc:
        raise HandoutsError(str(path), f"cannot read the language model: {exc}") from exc
