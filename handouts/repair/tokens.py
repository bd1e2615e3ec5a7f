"""Words, punctuation and opaque pieces of a paragraph, and the facts the rules ask about them.

The tokenizer is linear: each alternative of its expression consumes at least one
character and none can backtrack more than a bounded amount.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .speedups import compiled as _compiled

@dataclass(slots=True, eq=False)
class Token:
    kind: str
    """``w`` word, ``p`` punctuation, ``x`` opaque (code span, URL, link target)."""
    start: int
    end: int
    text: str
    key: str
    """Lower case, curly apostrophe made straight: what rules compare against."""


# Alternatives are tried in order; each consumes at least one character and none
# can backtrack more than a bounded amount, so tokenizing is linear.
_TOKEN = re.compile(
    r"(?P<x>`[^`\n]*`|https?://[^\s)\]>]+|\]\([^)\s]*\)|<[A-Za-z/!][^<>\n]*>)"
    r"|(?P<w>[^\W_]+(?:['’\-][^\W_]+)*)"
    r"|(?P<p>[^\s])"
)


def key(text: str) -> str:
    return text.lower().replace("’", "'")


def _tokenize(text: str) -> list[Token]:
    """:func:`tokenize` in Python (what the compiled one does, see ``speedups``)."""
    out = []
    append = out.append
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        word = m.group()
        append(Token(kind, m.start(), m.end(), word, "" if kind == "x" else word.lower().replace("’", "'")))
    return out


if _compiled is not None:
    _compiled_tokenize = _compiled.tokenize
    _compiled_para = _compiled.para

    def tokenize(text: str) -> list[Token]:
        """The tokens of ``text``: what ``_TOKEN`` finds, each a :class:`Token`."""
        return _compiled_tokenize(text, Token)
else:
    tokenize = _tokenize


PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_SENTENCE_END = frozenset(".!?:")
OPENERS = frozenset("\"“‘'([*_")
_BLOCK_MARKERS = frozenset("#-*+>|")
CONNECTORS = frozenset({"of", "and", "for", "the", "&", "on", "in", "de", "to"})
SPINTAX = re.compile(r"\{[^{}|\n]{1,80}(?:\|[^{}|\n]{1,80})+\}")


@dataclass(slots=True)
class Para:
    """A paragraph's tokens with the facts the rules ask about."""

    text: str
    toks: list[Token]
    sentence_start: list[bool]
    heading: list[bool]

    @classmethod
    def of(cls, text: str) -> "Para":
        if _compiled is not None:
            return cls(text, *_compiled_para(text, Token))
        return cls._of(text)

    @classmethod
    def _of(cls, text: str) -> "Para":
        """:meth:`of` in Python (what the compiled one does, see ``speedups``)."""
        toks = tokenize(text)
        n = len(toks)
        if "\n" in text:
            line_first = [i == 0 or "\n" in text[toks[i - 1].end : toks[i].start] for i in range(n)]
        else:  # one line: only the first token opens it
            line_first = [True] + [False] * (n - 1) if n else []
        heading = [False] * n
        in_heading = False
        for i, t in enumerate(toks):
            if line_first[i]:
                in_heading = t.text == "#" or t.text == "|"
            heading[i] = in_heading
        starts = [False] * n
        for i in range(n):
            k = i - 1
            while k >= 0 and toks[k].text in OPENERS and not line_first[k]:
                k -= 1
            if k < 0:
                starts[i] = True
                continue
            prev = toks[k]
            if prev.text in _SENTENCE_END or prev.text == "|":
                starts[i] = True
            elif prev.text in _BLOCK_MARKERS:
                j = k
                while j > 0 and not line_first[j] and toks[j - 1].text in _BLOCK_MARKERS:
                    j -= 1
                starts[i] = line_first[j]
            elif line_first[i] and prev.kind == "p" and prev.text in ")":
                starts[i] = True
            elif k == i - 1 and line_first[i] and toks[k].kind == "x":
                starts[i] = True
            elif k < i - 1 and line_first[k + 1]:
                starts[i] = True  # e.g. a line that opens with "**Warning**"
        return cls(text, toks, starts, heading)


def is_capitalised(text: str) -> bool:
    return len(text) > 1 and text[0].isupper() and text[1:].replace("’", "").replace("'", "").replace("-", "").islower()

def numbers(text: str) -> list[str]:
    """The numbers in ``text``: digits not inside a word ("500mg" and "24" count, "h2o" does not)."""
    return re.findall(r"(?<![^\W_])\d+(?:[.,]\d+)*", text)
