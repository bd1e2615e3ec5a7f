"""Measure the repair step against texts whose correct wording is known.

A *spun pair* is an original text and the same text passed through a spinner.
Aligning the two word by word (difflib) gives the garbled phrases; aligning the
repaired text with the original tells which of them came back, and whether the
repair damaged any word that was right.  Used by ``scripts/evaluate_repair.py``
and by the tests, so the README's figures and the tests' floors are one number.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from pathlib import Path

from .engine import repair
from .records import Flag, Repair
from .tokens import tokenize


@dataclass(slots=True)
class Score:
    """Counts over one or more texts."""

    garbled: int = 0
    """Garbled phrases in the spun text (non-matching runs of the word alignment)."""
    repaired: int = 0
    """... of which the repair restored the original wording exactly."""
    flagged: int = 0
    """... not restored, but a flag points at them."""
    suggested: int = 0
    """... of which a flag pointing at them suggests the original wording first."""
    missed: int = 0
    """... neither restored nor flagged."""
    damaged: int = 0
    """Words that were right in the input and wrong after the repair."""
    missed_phrases: list[tuple[str, str]] = field(default_factory=list)
    """(spun, original) of each missed phrase, for the report."""
    damaged_words: list[str] = field(default_factory=list)
    """Each damaged word with a little context, for the report."""
    words: int = 0
    """Words of the spun text (split on white space; ``score_split`` counts them)."""
    flags_raised: int = 0
    """Flags the repair raised in it, on garbled phrases or not (``score_split`` counts them)."""
    flags_on_garbled: int = 0
    """Flags that point at a garbled phrase the repair did not restore."""
    flags_right: int = 0
    """... of which the first suggestion, put in place alone, is right (``flag_is_right``)."""

    @property
    def flags_per_1000(self) -> float:
        return 1000 * self.flags_raised / self.words if self.words else 0.0

    def __iadd__(self, other: "Score") -> "Score":
        self.garbled += other.garbled
        self.repaired += other.repaired
        self.flagged += other.flagged
        self.suggested += other.suggested
        self.missed += other.missed
        self.damaged += other.damaged
        self.missed_phrases.extend(other.missed_phrases)
        self.damaged_words.extend(other.damaged_words)
        self.words += other.words
        self.flags_raised += other.flags_raised
        self.flags_on_garbled += other.flags_on_garbled
        self.flags_right += other.flags_right
        return self


def _words(text: str):
    return [t for t in tokenize(text) if t.kind == "w"]


def _keys(words) -> list[str]:
    return [w.text.replace("’", "'") for w in words]


def _matcher(a, b) -> difflib.SequenceMatcher:
    return difflib.SequenceMatcher(None, _keys(a), _keys(b), autojunk=False)


def score_pair(original: str, spun: str, result: Repair) -> Score:
    """Score ``result`` (the repair of ``spun``) against ``original``."""
    orig_w, spun_w, rep_w = _words(original), _words(spun), _words(result.text)
    # where each original word reappears, unchanged, in the repaired text
    where: dict[int, int] = {}
    for block in _matcher(orig_w, rep_w).get_matching_blocks():
        for k in range(block.size):
            where[block.a + k] = block.b + k
    # where each original word survives, unchanged, in the spun text
    kept_by_spinner: set[int] = set()
    garbled_spans: list[tuple[int, int]] = []
    score = Score()
    for op, i1, i2, j1, j2 in _matcher(orig_w, spun_w).get_opcodes():
        if op == "equal":
            kept_by_spinner.update(range(i1, i2))
            continue
        score.garbled += 1
        lo, hi = max(i1 - 1, 0), min(i2, len(orig_w) - 1)
        ends = [k for k in range(lo, hi + 1)]
        restored = all(k in where for k in ends) and (
            not ends or where[ends[-1]] - where[ends[0]] == ends[-1] - ends[0]
        )
        if restored:
            score.repaired += 1
            continue
        if j1 < j2:
            start, end = spun_w[j1].start, spun_w[j2 - 1].end
        else:
            start = spun_w[j1 - 1].start if j1 > 0 else 0
            end = spun_w[j1].end if j1 < len(spun_w) else len(spun)
        garbled_spans.append((start, end))
        pointing = [f for f in result.flags if _overlaps(f, start, end)]
        if pointing:
            score.flagged += 1
            want = " ".join(w.text for w in orig_w[i1:i2]).lower()
            if any(_suggests(f, want, spun, start, end) for f in pointing):
                score.suggested += 1
        else:
            score.missed += 1
            score.missed_phrases.append((
                " ".join(w.text for w in spun_w[j1:j2]),
                " ".join(w.text for w in orig_w[i1:i2]),
            ))
    unrestored = [(start, end) for start, end in garbled_spans]
    for f in result.flags:
        if any(_overlaps(f, start, end) for start, end in unrestored):
            score.flags_on_garbled += 1
            score.flags_right += flag_is_right(f, orig_w, spun)
    lost = sorted(k for k in kept_by_spinner if k not in where)
    score.damaged = len(lost)
    score.damaged_words = [" ".join(w.text for w in orig_w[max(0, k - 3) : k + 4]) + f"  [{orig_w[k].text}]"
                           for k in lost]
    return score


def score_clean(text: str, result: Repair) -> Score:
    """Words of a clean text that the repair changed (should be none)."""
    before, after = _words(text), _words(result.text)
    changed = 0
    for op, i1, i2, j1, j2 in _matcher(before, after).get_opcodes():
        if op != "equal":
            changed += max(i2 - i1, j2 - j1)
    return Score(damaged=changed)


def _suggests(flag: Flag, want: str, spun: str, start: int, end: int) -> bool:
    """Does the flag's first suggestion, put in place of the flagged text, give the original
    wording of the garbled span?"""
    if flag.suggestion is None:
        return False
    fixed = spun[min(start, flag.start) : flag.start] + flag.suggestion + spun[flag.end : max(end, flag.end)]
    return " ".join(w.text for w in _words(fixed)).lower() == want


def _errors(orig_keys: list[str], keys: list[str]) -> tuple[int, set[int]]:
    """Word errors of ``keys`` against the original (each unequal run counts its longer
    side), and the indexes of ``keys`` that match the original."""
    errors, right = 0, set()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, orig_keys, keys, autojunk=False).get_opcodes():
        if op == "equal":
            right.update(range(j1, j2))
        else:
            errors += max(i2 - i1, j2 - j1)
    return errors, right


def flag_is_right(flag: Flag, orig_w, spun: str) -> bool:
    """Is the flag's first suggestion, accepted alone, right for the words it covers?

    It is when the text has fewer word errors against the original with it, and every word it
    puts in stands where the original has it (case aside): "Searching" → "Looking" in
    "Searching Right after" (was "looking after") is right, though "Right" is still the
    spinner's. This is the issue's measure, per flag; ``_suggests`` is the stricter one per
    phrase (one flag's suggestion restores the whole phrase)."""
    if flag.suggestion is None:
        return False
    orig_keys = [k.lower() for k in _keys(orig_w)]
    before = [k.lower() for k in _keys(_words(spun))]
    head = _words(spun[: flag.start])
    put = _words(flag.suggestion)
    after = [k.lower() for k in _keys(head + put + _words(spun[flag.end :]))]
    errors_before, _ = _errors(orig_keys, before)
    errors_after, right = _errors(orig_keys, after)
    return errors_after < errors_before and all(len(head) + k in right for k in range(len(put)))


def _overlaps(flag: Flag, start: int, end: int) -> bool:
    return flag.start < end and start < flag.end


@dataclass(slots=True)
class CleanScore:
    """What the repair did to texts that were right."""

    files: int = 0
    words: int = 0
    changed: int = 0
    """Words changed (should be none)."""
    flags: list[tuple[str, Flag]] = field(default_factory=list)
    """(file name, flag) of every flag raised."""

    @property
    def flags_per_1000(self) -> float:
        return 1000 * len(self.flags) / self.words if self.words else 0.0


def pairs(folder: Path) -> list[tuple[str, Path, Path]]:
    """(name, original, spun) for every ``<name>.spun.md`` in ``folder``."""
    out = []
    for spun in sorted(folder.glob("*.spun.md")):
        name = spun.name.removesuffix(".spun.md")
        out.append((name, spun.with_name(f"{name}.original.md"), spun))
    return out


def score_split(folder: Path, repair=repair) -> tuple[Score, list[tuple[str, Score]]]:
    """Score the repair on every pair of a split: the total and each text's score."""
    total, each = Score(), []
    for name, original, spun in pairs(folder):
        text = spun.read_text(encoding="utf-8")
        result = repair(text)
        s = score_pair(original.read_text(encoding="utf-8"), text, result)
        s.words, s.flags_raised = len(text.split()), len(result.flags)
        total += s
        each.append((name, s))
    return total, each


def swap_pairs(texts: list[tuple[str, Path, Path]]) -> tuple[dict[str, set[str]], dict[str, dict[str, int]]]:
    """What the spinner replaced in (name, original, spun) texts, aligned as ``score_pair`` aligns them,
    where every word is of letters: word for word where a run was replaced one for one (written word
    -> the words it replaced), and the other runs whole (written phrase -> {original: times}); words
    the spinner put in are a phrase with the word after them ("far better" -> "better")."""
    words: dict[str, set[str]] = {}
    phrases: dict[str, dict[str, int]] = {}
    for _name, original, spun in texts:
        orig_w = _words(original.read_text(encoding="utf-8"))
        spun_w = _words(spun.read_text(encoding="utf-8"))
        for op, i1, i2, j1, j2 in _matcher(orig_w, spun_w).get_opcodes():
            if op == "insert" and i1 < len(orig_w) and j2 < len(spun_w):  # the next words are equal
                i2, j2 = i1 + 1, j2 + 1
            elif op != "replace":
                continue
            was = [w.text.lower() for w in orig_w[i1:i2]]
            wrote = [w.text.lower() for w in spun_w[j1:j2]]
            if len(was) == len(wrote):
                for a, b in zip(was, wrote):
                    if a != b and a.isalpha() and b.isalpha():
                        words.setdefault(b, set()).add(a)
            elif all(w.isalpha() for w in was + wrote):
                options = phrases.setdefault(" ".join(wrote), {})
                options[" ".join(was)] = options.get(" ".join(was), 0) + 1
    return words, phrases


def writers_texts(folder: Path) -> list[list[str]]:
    """The words of each clean text in ``folder``, lower case: what careful writers write."""
    return [[w.text.lower() for w in _words(path.read_text(encoding="utf-8"))] for path in sorted(folder.glob("*.md"))]


def swap_table(texts: list[tuple[str, Path, Path]], writers: list[list[str]]) -> str:
    """The lines of ``swaps.txt`` made from ``texts``: ``written<TAB>originals``, leaving out every
    written word or phrase that a clean text has (a writer's wording: "unwell", "more than"); a
    phrase with its most frequent original (ties: the first in order)."""
    from .rules import load_rules

    used = {w for text in writers for w in text}
    words, phrases = swap_pairs(texts)
    # not a phrase with a drug's name: an injected keyword ("kaufen ibuprofen") is the detectors'
    drugs = load_rules().drugs
    phrases = {p: options for p, options in phrases.items() if not drugs & set(p.split(" "))}

    def written_by_writers(phrase: str) -> bool:
        key = phrase.split(" ")
        return any(text[i : i + len(key)] == key for text in writers for i in range(len(text) - len(key) + 1)
                   if text[i] == key[0])

    lines = [(w, "|".join(sorted(was))) for w, was in words.items() if w not in used]
    lines += [(p, min(options, key=lambda o: (-options[o], o))) for p, options in phrases.items()
              if not written_by_writers(p)]
    return "".join(f"{w}\t{o}\n" for w, o in sorted(lines))


def score_split_cross(folder: Path, clean: Path) -> Score:
    """The development split scored as if each text were new: each is repaired with the rules
    compiled with the swaps of the *other* texts in place of ``swaps.txt``, which holds its own
    (leave one out).  The honest figure of the development split, which ``swaps.txt`` comes from."""
    from .rules import RULES_DIR, _compile
    from .statistical import Finder, load_settings

    settings = load_settings()
    writers = writers_texts(clean)
    texts = pairs(folder)
    total = Score()
    for text_pair in texts:
        rules = _compile(RULES_DIR, swap_table([t for t in texts if t != text_pair], writers))
        finder = Finder(rules.drugs | rules.units, rules.common, settings, swaps=rules.swaps)
        _name, original, spun = text_pair
        text = spun.read_text(encoding="utf-8")
        result = repair(text, rules, finder)
        s = score_pair(original.read_text(encoding="utf-8"), text, result)
        s.words, s.flags_raised = len(text.split()), len(result.flags)
        total += s
    return total


def score_clean_folder(folder: Path, repair=repair, pattern: str = "*.md") -> CleanScore:
    """Words changed and flags raised on every ``pattern`` file of a folder of clean texts (a split's
    originals, ``*.original.md``, are clean English too)."""
    return score_clean_files(sorted(folder.glob(pattern)), repair)


def score_clean_files(paths: list[Path], repair=repair, min_words: int = 0) -> CleanScore:
    """Words changed and flags raised on each of ``paths``, clean English (UTF-8; a text shorter than
    ``min_words`` is left out)."""
    result = CleanScore()
    unique = len({p.name for p in paths}) == len(paths)  # else flags name the whole path ("README"s)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if len(text.split()) < min_words:
            continue
        r = repair(text)
        result.files += 1
        result.words += len(text.split())
        result.changed += score_clean(text, r).damaged
        result.flags += [(path.name if unique else str(path), f) for f in r.flags]
    return result
