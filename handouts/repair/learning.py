"""What the repair learns from editors' decisions (``source/*.review.toml``).

Every decisions file in a source folder teaches every document in it, so a fresh clone
learns exactly what the editors' machine did.  A stale decision (its text no longer on its
line of its document) teaches nothing; a decisions file whose document is gone still does.

* an **accepted swap** (a decision with ``after``, other words than ``before``, not empty,
  ``before`` of at most :data:`MAX_WORDS` words, no number on either side, and a change
  the guards allow: no drug name or unit changed) becomes a phrase entry named
  ``learned:<before>`` that behaves as a ``when = "spun"`` entry of ``handouts/rules/``: it
  is repaired where a document shows evidence of spinning and flagged, with the editor's
  text as its suggestion, elsewhere (also in a document with no evidence at all: an editor
  has said this wording is a swap).  It never counts as a sure repair, so it adds no
  evidence of spinning;
* a **kept original** (``keep = true``) teaches the opposite: in any document that wording
  (the same words, in any case) is not flagged again and not changed by the statistical
  layer.  It wins over a swap of the same wording decided elsewhere: editors disagreed, so
  nothing is learned but the silence.

When editors chose different texts for the same wording, the most frequent choice is
learned (ties: the first in alphabetical order), so the result does not depend on the
order files are read in.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..documents import decode, read_bytes
from . import decisions as _decisions
from .phrases import guard
from .rules import Entry, Rules, load_rules
from .tokens import numbers, tokenize

MAX_WORDS = 6
PREFIX = "learned:"


@dataclass(frozen=True, slots=True)
class Swap:
    """A wording an editor replaced, and what they wrote instead."""

    key: tuple[str, ...]
    """The wording's token keys, what a text is matched by."""
    before: str
    """The wording as the first editor's file has it (lower case at a sentence start)."""
    after: str
    source: str
    """The decisions file it was learned from (the first, if several agree)."""


@dataclass(frozen=True, slots=True)
class Learned:
    """What a folder of decisions files teaches."""

    swaps: tuple[Swap, ...] = ()
    kept: frozenset[tuple[str, ...]] = frozenset()
    """Token keys of each wording an editor kept."""
    digest: str = ""
    """Of what is learned: part of each document's cache key, so that an incremental build
    equals a clean one."""

    def __bool__(self) -> bool:
        return bool(self.swaps or self.kept)


NOTHING = Learned()


def wording(text: str) -> tuple[str, ...]:
    """The keys a wording is compared by: its tokens, in lower case."""
    return tuple(t.key or t.text for t in tokenize(text))


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*" + _decisions.SUFFIX) if p.is_file())


def learnable(d: _decisions.Decision, rules: Rules) -> bool:
    """Is this decision an accepted swap the repair may learn?"""
    if d.keep or d.after is None:
        return False
    after = d.after.strip()
    if not after or wording(after) == wording(d.before):
        return False  # the same words: at most a change of case (a stray capital, the detectors' work)
    words = [t for t in tokenize(d.before) if t.kind == "w"]
    if not words or len(words) > MAX_WORDS or any(t.kind == "x" for t in tokenize(d.before)):
        return False
    if numbers(d.before) or numbers(after) or any(c.isdigit() for c in d.before + after):
        return False
    if "\n" in d.before or "\n" in after:
        return False
    return guard(d.before, after, rules) is None


def learn(folder: Path, rel=None, rules: Rules | None = None) -> Learned:
    """What every ``*.review.toml`` in ``folder`` teaches.  A malformed file is
    ``path:line: error:`` (``rel`` turns a path into the name used in messages)."""
    rules = rules or load_rules()
    rel = rel or str
    choices: dict[tuple[str, ...], dict[str, list[str]]] = {}
    shown: dict[tuple[str, ...], str] = {}
    kept: set[tuple[str, ...]] = set()
    for path in files(folder):
        name = rel(path)
        source = path.with_name(path.name.removesuffix(_decisions.SUFFIX) + ".md")
        lines = None
        if source.is_file():
            lines = _decisions.Lines(decode(read_bytes(source), rel(source)))
        for d in _decisions.load(path, name):
            if lines is not None and lines.find(d.line, d.before) is None:
                continue  # stale: its document no longer says this; nothing to learn
            if d.keep:
                key = wording(d.before)
                if key:
                    kept.add(key)
            elif learnable(d, rules):
                before = d.before.strip()
                after = _uncapitalise(before, d.after.strip())
                key = wording(before)
                shown.setdefault(key, before[0].lower() + before[1:] if after != d.after.strip() else before)
                choices.setdefault(key, {}).setdefault(after, []).append(name)
    swaps = []
    for key in sorted(choices):
        if key in kept:
            continue
        options = choices[key]
        after = min(options, key=lambda a: (-len(options[a]), a))
        swaps.append(Swap(key, shown[key], after, min(options[after])))
    if not swaps and not kept:
        return NOTHING
    what = repr((swaps, sorted(kept))).encode("utf-8")
    return Learned(tuple(swaps), frozenset(kept), hashlib.blake2b(what, digest_size=16).hexdigest())


def _uncapitalise(before: str, after: str) -> str:
    """"Ache administration" -> "Pain management" is learned as "pain management": the
    capital came from the start of a sentence, and the repair puts it back where one starts."""
    if before[:1].isupper() and before[1:2].islower() and after[:1].isupper() and after[1:2].islower():
        first = after.split(" ", 1)[0]
        if first.lower() == first[0].lower() + first[1:]:
            return after[0].lower() + after[1:]
    return after


def entry(swap: Swap) -> Entry:
    """A learned swap as a phrase entry of the ``spun`` kind."""
    return Entry(
        name=PREFIX + swap.before,
        tokens=tuple(frozenset({k}) for k in swap.key),
        fix=(swap.after,),
        when="spun",
        reason=f"an editor replaced this wording in {swap.source}",
        before=None, not_before=None, after=None, not_after=None, stray_capital=False,
    )


_MERGED: dict[tuple[int, tuple[Swap, ...]], tuple[Rules, Rules]] = {}


def _merged(rules: Rules, swaps: tuple[Swap, ...]) -> Rules:
    known = _MERGED.get((id(rules), swaps))
    if known is not None and known[0] is rules:
        return known[1]
    entries = [entry(s) for s in swaps]
    index = {k: list(v) for k, v in rules.index.items()}
    index2 = {k: list(v) for k, v in rules.index2.items()}
    for e in entries:
        first = e.tokens[0]
        second = e.tokens[1] if len(e.tokens) > 1 else None
        for key in first:
            if second is not None:
                for key2 in second:
                    index2.setdefault((key, key2), []).append(e)
            else:
                index.setdefault(key, []).append(e)
    merged = dataclasses.replace(rules, entries=rules.entries + tuple(entries),
                                 index={k: tuple(v) for k, v in index.items()},
                                 index2={k: tuple(v) for k, v in index2.items()})
    if len(_MERGED) >= 8:
        _MERGED.clear()
    _MERGED[(id(rules), swaps)] = (rules, merged)
    return merged


def with_learned(rules: Rules, learned: Learned | None) -> Rules:
    """``rules`` with the learned swaps added as phrase entries."""
    if not learned or not learned.swaps:
        return rules
    return _merged(rules, learned.swaps)


def kept_spans(text: str, kept: frozenset[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Where a kept wording occurs in ``text`` (character spans), in text order."""
    if not kept:
        return []
    toks = tokenize(text)
    keys = [t.key or t.text for t in toks]
    firsts: dict[str, list[tuple[str, ...]]] = {}
    for k in kept:
        firsts.setdefault(k[0], []).append(k)
    spans = []
    for i, k in enumerate(keys):
        for w in firsts.get(k, ()):
            n = len(w)
            if tuple(keys[i : i + n]) == w and "\n\n" not in text[toks[i].start : toks[i + n - 1].end]:
                spans.append((toks[i].start, toks[i + n - 1].end))
    return sorted(set(spans))


def inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in spans)
