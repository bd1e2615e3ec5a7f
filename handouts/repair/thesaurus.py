"""The spinner-neighbour table: for a word that is there, the words it may have replaced.

``handouts/rules/thesaurus.txt`` is generated from WordNet 3.0 by
``scripts/make_thesaurus.py`` (see there and the file's header for the licence).  Each
line is ``word<TAB>synonyms<TAB>related``, both lists ``|``-separated and in the same
inflection as the word ("indications" -> "readings|...", "ache" -> "...|pain").  Keys
may be two words ("steer clear" -> "avoid").

Loaded lazily, the first time a paragraph asks (under 0.1 s); a line is split only
when its word is looked up.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ..errors import HandoutsError
from . import cache
from .rules import RULES_DIR

PATH = RULES_DIR / "thesaurus.txt"


@dataclass(frozen=True, slots=True)
class Neighbours:
    """The words a spinner may have replaced with one word (or two)."""

    synonyms: tuple[str, ...]
    """Sharing a WordNet synset with the word, most frequent first."""
    related: tuple[str, ...]
    """One hypernym / hyponym / similar-to step away, most frequent first."""


class Thesaurus:
    __slots__ = ("_lines", "_cache", "multiword_firsts")

    def __init__(self, lines: dict[str, str]) -> None:
        self._lines = lines
        self._cache: dict[str, Neighbours | None] = {}
        self.multiword_firsts = frozenset(k.split(" ", 1)[0] for k in lines if " " in k)
        """First words of the two-word keys, to skip the lookup of most pairs."""

    def get(self, word: str) -> Neighbours | None:
        try:
            return self._cache[word]
        except KeyError:
            pass
        line = self._lines.get(word)
        value = None
        if line is not None:
            syn, _, rel = line.partition("\t")
            value = Neighbours(tuple(syn.split("|")) if syn else (), tuple(rel.split("|")) if rel else ())
        self._cache[word] = value
        return value

    def __contains__(self, word: str) -> bool:
        return word in self._lines


def _read_table(path: Path, columns: str, valid) -> dict[str, str]:
    """A table's lines as word -> the rest of the line; ``valid(rest)`` checks the rest."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HandoutsError(str(path), f"cannot read the thesaurus: {exc}") from exc
    lines = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line or line[0] == "#":
            continue
        word, tab, rest = line.partition("\t")
        if not tab or not valid(rest):
            raise HandoutsError(str(path), f"expected {columns}", number)
        lines[word] = rest
    return lines


@functools.lru_cache(maxsize=2)
def load_thesaurus(path: Path = PATH) -> Thesaurus:
    def parse() -> Thesaurus:
        return Thesaurus(_read_table(path, "word<TAB>synonyms<TAB>related", lambda rest: "\t" in rest))

    return cache.cached("thesaurus", [path], ["thesaurus"], Thesaurus, parse) if path == PATH else parse()

MOBY_PATH = RULES_DIR / "moby.txt"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A word a spinner may have replaced with the word looked up."""

    word: str
    moby: bool
    """Moby lists it under the word."""
    both_ways: bool
    """... and the word under it."""
    synonym: bool
    """It shares a WordNet synset with the word."""
    related: bool
    """It is one WordNet step away."""


class Broad:
    """The language model's candidate table (``rules/moby.txt``, from Moby Thesaurus II and WordNet).

    For a word: the words a spinner may have replaced with it, best first by the
    context-free part of the score; and, for any word, how many Moby neighbours it has
    (a spinner replacing it picks one of them).
    """

    __slots__ = ("_lines", "_cache", "_sizes")

    def __init__(self, lines: dict[str, str]) -> None:
        self._lines = lines
        self._cache: dict[str, tuple[int, tuple[Candidate, ...]]] = {}
        self._sizes: dict[str, int] = {}

    def _entry(self, word: str) -> tuple[int, tuple[Candidate, ...]]:
        found = self._cache.get(word)
        if found is None:
            line = self._lines.get(word)
            if line is None:
                found = (0, ())
            else:
                size, _, rest = line.partition("\t")
                cands = []
                for item in rest.split("|"):
                    w, _, letters = item.partition(":")
                    cands.append(Candidate(w, "m" in letters, "b" in letters, "s" in letters, "r" in letters))
                found = (int(size), tuple(cands))
            self._cache[word] = found
        return found

    def candidates(self, word: str) -> tuple[Candidate, ...]:
        return self._entry(word)[1]

    def size(self, word: str) -> int:
        """How many Moby neighbours ``word`` has in all (0 if it is not in the table).  Asked
        of every candidate of every word, so read from the line's first field alone, not
        by parsing its candidates."""
        found = self._sizes.get(word)
        if found is None:
            entry = self._cache.get(word)
            if entry is not None:
                found = entry[0]
            else:
                line = self._lines.get(word)
                found = 0 if line is None else int(line.partition("\t")[0])
            self._sizes[word] = found
        return found


@functools.lru_cache(maxsize=2)
def load_broad(path: Path = MOBY_PATH) -> Broad:
    def valid(rest: str) -> bool:
        size, tab, _ = rest.partition("\t")
        return bool(tab) and size.isdigit()

    def parse() -> Broad:
        return Broad(_read_table(path, "word<TAB>size<TAB>candidates", valid))

    return cache.cached("broad", [path], ["thesaurus"], Broad, parse) if path == MOBY_PATH else parse()
