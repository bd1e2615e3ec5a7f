"""Detectors that need no phrase entry: injected commerce keywords next to a drug name,
promotional links and sales phrases, spintax, a wrong "a"/"an", and common words
capitalised in mid-sentence."""
from __future__ import annotations

import functools
import unicodedata

from .rules import Rules
from .tokens import CONNECTORS as _CONNECTORS, OPENERS as _OPENERS, Para as _Para

def drug_key(key: str, drugs: frozenset[str]) -> str | None:
    """The drug a word names, in any common spelling: "kétamine", "Ketamin", "ketamina",
    "ibuprofeno", "warfarine" -> the English name in drugs.txt; None if it names none."""
    if key in drugs:
        return key
    if len(key) < 5 or not key.isalpha():
        return None
    folded = fold(key)
    for form in (folded, folded + "e", folded[:-1], folded[:-1] + "e", folded[:-2]):
        if form in drugs:
            return form
    return None


@functools.lru_cache(maxsize=4096)
def fold(word: str) -> str:
    if word.isascii():  # NFKD leaves ASCII as it is, and no ASCII character is combining
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def needs_an(word: str, rules: Rules) -> bool | None:
    """True if ``word`` takes "an", False if "a", None when spelling cannot tell."""
    w = word.lower()
    if len(w) < 2 or not w[0].isalpha() or (len(w) > 1 and w[1] == "-") or not w.isalpha() and "-" not in w and "'" not in w and "’" not in w:
        return None
    letter = w[0]
    if letter in rules.an_letters:
        if w in rules.a_words or w.startswith(rules.a_prefixes):
            return False
        return True
    if letter == "h":
        return True if w.startswith(rules.an_prefixes_h) else None
    if letter in rules.a_letters:
        if not any(c in "aeiouy" for c in w):
            return None  # an abbreviation written in lower case
        return False
    return None




def in_name(para: _Para, i: int, common: frozenset[str] = frozenset()) -> bool:
    """Is the capitalised word at ``i`` part of a name such as "Department of Health"?  ``common``: the
    common words; a word that opens the sentence and is none of them is a name's first ("Macmillan
    Cancer Support", "Mozilla Foundation"), where a common one may be a spinner's ("Some Medicines")."""
    toks = para.toks

    def neighbour(step: int) -> int | None:
        k = i + step
        # a connector in lower case ("of", "and"; "&" has no case: "Suicide & Crisis Lifeline")
        while 0 <= k < len(toks) and toks[k].key in _CONNECTORS and toks[k].text == toks[k].key:
            k += step
        return k if 0 <= k < len(toks) else None

    p, n = neighbour(-1), neighbour(1)
    if n is not None and toks[n].kind == "w" and (toks[n].text[0].isupper() or toks[n].text[0].isdigit()):
        return True
    if i + 1 < len(toks) and toks[i + 1].text[:1].isdigit():
        return True  # "Table 1", "Type 2"
    if i >= 2 and toks[i - 1].text[:1].isdigit() and toks[i - 2].text[:1].isupper():
        return True  # "Call 4 Concern"
    if p is not None and toks[p].kind == "w" and toks[p].text[0].isupper():
        if not para.sentence_start[p] or (common and toks[p].key not in common):
            return True
        if p < i - 1 and all(t.key in ("and", "&", "of") for t in toks[p + 1 : i]):
            return True  # "Accident and Emergency" opening a sentence
    if i > 0 and toks[i - 1].text in _OPENERS | {"&", "/"}:
        return True
    return False


EXPANSION_REACH = 12
"""Tokens back from a capitalised word to the acronym it may spell out."""


def in_expansion(para: _Para, i: int) -> bool:
    """Is the capitalised word at ``i`` one of the words an acronym before it spells out, in order ("Remember
    FAST: Face, Arms, Speech, Time to call", "RICE: Rest, Ice, Compression and Elevation")?  Their capitals
    are the writer's mnemonic; a spinner's stray capitals spell nothing."""
    toks = para.toks
    for a in range(i - 1, max(-1, i - EXPANSION_REACH), -1):
        if not _acronym(toks[a]):
            continue
        first = a
        while first > 0 and _acronym(toks[first - 1]):
            first -= 1  # "BE FAST"
        letters = "".join(toks[k].text for k in range(first, a + 1))
        k, matched = a + 1, []
        for letter in letters:
            while k < len(toks) and not (toks[k].kind == "w" and toks[k].text[:1].isupper()):
                k += 1
            if k >= len(toks) or toks[k].text[0] != letter:
                break
            matched.append(k)
            k += 1
        else:
            if i in matched:
                return True
    return False


def _acronym(t) -> bool:
    """A word of two or more capital letters ("FAST", "RICE")."""
    return t.kind == "w" and len(t.text) >= 2 and t.text.isalpha() and t.text.isupper()
