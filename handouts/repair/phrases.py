"""Matching phrase entries against a paragraph, and writing their fixes in the text's own case."""
from __future__ import annotations

from .rules import ANY, Entry, Rules
from .tokens import Para as _Para, is_capitalised as _is_capitalised, numbers as _numbers, tokenize

def before_keys(para: _Para, i: int) -> set[str]:
    keys = set()
    if i > 0:
        keys.add(para.toks[i - 1].key)
    if para.sentence_start[i]:
        keys.add("^")
    return keys


def after_keys(para: _Para, j: int) -> set[str]:
    toks = para.toks
    if j >= len(toks):
        return {"."}
    keys = {toks[j].key}
    if toks[j].text in ".!?":
        keys.add(".")
    return keys


def match(entry: Entry, para: _Para, i: int) -> int | None:
    toks = para.toks
    n = len(entry.tokens)
    if i + n > len(toks):
        return None
    for k, want in enumerate(entry.tokens):
        t = toks[i + k]
        if t.kind == "x":
            return None
        if want is ANY:
            if t.kind != "w":
                return None
        elif t.key not in want:
            return None
    if entry.stray_capital and (para.sentence_start[i] or not _is_capitalised(toks[i].text)):
        return None
    if entry.before is not None and not (before_keys(para, i) & entry.before):
        return None
    if entry.not_before is not None and (before_keys(para, i) & entry.not_before):
        return None
    j = i + n
    if entry.after is not None and not (after_keys(para, j) & entry.after):
        return None
    if entry.not_after is not None and (after_keys(para, j) & entry.not_after):
        return None
    return j


def render_fix(entry: Entry, para: _Para, i: int, j: int) -> str:
    toks = para.toks[i:j]
    out = []
    for part in entry.fix:
        out.append(toks[part].text if isinstance(part, int) else part)
    result = "".join(out)
    if entry.fix and isinstance(entry.fix[0], str):
        words = [t.text for t in toks if t.kind == "w" and any(c.isalpha() for c in t.text)]
        first = toks[0].text
        if words and all(w.isupper() for w in words) and any(len(w) > 1 for w in words):
            result = result.upper()
        elif para.heading[i] and len(words) > 1 and all(w[0].isupper() for w in words):
            result = " ".join(w[:1].upper() + w[1:] for w in result.split(" "))
        elif first[0].isupper() and para.sentence_start[i]:
            result = result[:1].upper() + result[1:]
    span = para.text[toks[0].start : toks[-1].end]
    if "’" in span:
        result = result.replace("'", "’")
    return result


def guard(before: str, after: str, rules: Rules) -> str | None:
    """Why a repair must not be made, or None when it is safe."""
    if _numbers(before) != _numbers(after):
        return "a repair here would change a number"
    bt, at = tokenize(before), tokenize(after)
    if sorted(t.key for t in bt if t.key in rules.drugs) != sorted(t.key for t in at if t.key in rules.drugs):
        return "a repair here would change a drug name"
    if sorted(t.key for t in bt if t.key in rules.units) != sorted(t.key for t in at if t.key in rules.units):
        return "a repair here would change a unit"
    if before.count("\n") != after.count("\n"):
        return "the suspected phrase runs across a line break"
    return None


