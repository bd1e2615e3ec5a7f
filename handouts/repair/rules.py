"""The phrase table and word lists in ``handouts/rules/``, compiled once.

Rules are data: a spinner swap is a new entry in a TOML file, not new code (see
``handouts/rules/README.md``).  Entries are indexed by their first word, or their first
two words, so matching a paragraph never tries the whole table.
"""
from __future__ import annotations

import difflib
import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import HandoutsError
from . import cache
from .tokens import key as _key, numbers as _numbers, tokenize

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

@dataclass(frozen=True, slots=True)
class Entry:
    """One compiled phrase entry."""

    name: str
    """``<file stem>:<pattern>``, shown in reports."""
    tokens: tuple[object, ...]
    """Per token: a frozenset of accepted lower-case keys, or ANY for ``*``."""
    fix: tuple[object, ...]
    """Literal strings and int token references (0-based)."""
    when: str
    reason: str
    before: frozenset[str] | None
    not_before: frozenset[str] | None
    after: frozenset[str] | None
    not_after: frozenset[str] | None
    stray_capital: bool


ANY = "*"
_ENTRY_KEYS = {"pattern", "fix", "when", "reason", "before", "not_before", "after",
               "not_after", "stray_capital"}


@dataclass(frozen=True, slots=True)
class Rules:
    entries: tuple[Entry, ...]
    index: dict[str, tuple[Entry, ...]]
    """First word -> entries of one word, or whose second token is not a plain word list."""
    index2: dict[tuple[str, str], tuple[Entry, ...]]
    """(first word, second word) -> entries: most entries, found without trying the rest."""
    drugs: frozenset[str]
    units: frozenset[str]
    common: frozenset[str]
    commerce_verbs: frozenset[str]
    english_commerce: frozenset[str]
    english_commerce_after: tuple[tuple[str, ...], ...]
    english_commerce_verbs: frozenset[str]
    """Buying verbs that, with a drug and a sales phrase, are injected spam where the word before
    them leaves no place for a verb (any word but ``english_commerce_verb_after``)."""
    english_commerce_verb_after: frozenset[str]
    name_ends: dict[str, frozenset[str]]
    """A two-word substance's first word (a drug name here) -> the words that end it
    (``substances.txt``: "salicylic" -> "acid")."""
    promo_phrases: tuple[tuple[str, ...], ...]
    an_letters: frozenset[str]
    a_letters: frozenset[str]
    a_words: frozenset[str]
    a_prefixes: tuple[str, ...]
    an_prefixes_h: tuple[str, ...]
    never_after_article: frozenset[str]
    swaps: dict[str, frozenset[str]]
    """Known swaps word by word: a word that an entry's pattern holds -> the words its fix puts in
    its place, one for one where pattern and fix have as many words ("ache administration" ->
    "pain management": ache -> pain, administration -> management), else around the words they
    share ("coronary heart assault" -> "heart attack": assault -> attack); and the development
    split's own swaps (``swaps.txt``).  The statistical layer offers and prefers these among a
    word's candidate originals (``statistical``)."""
    body_words: frozenset[str] = frozenset()
    """Words that name the body and what it does (``body_words.txt``, from WordNet's noun.body and
    verb.body): the language model alone never replaces one; it flags it with its suggestion."""
    antonyms: frozenset[tuple[str, str]] = frozenset()
    """(word, its opposite), both ways round (``antonyms.txt``, WordNet's direct antonyms in every form):
    a word's opposite is never a statistical repair of it, nor a suggestion for it."""


SWAP_TABLE = "swaps.txt"


def _swap_table(path: Path, text: str | None = None) -> tuple[dict[str, set[str]], list[tuple[str, str, int]]]:
    """``swaps.txt`` (``scripts/make_swaps.py``), or ``text`` in its place: the word swaps (written
    word -> the words it replaced in the development split), and what becomes a ``suspect`` entry
    ((written, original, line)): a phrase swap, where either side has several words ("signs and
    symptoms" for *symptoms*), and a word with one original (the statistical layer may read it
    otherwise).  Nothing where the folder has no such file."""
    if text is None:
        if not path.exists():
            return {}, []
        text = _read_rule_file(path)
    words: dict[str, set[str]] = {}
    phrases: list[tuple[str, str, int]] = []
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        written, tab, originals = line.partition("\t")
        options = originals.split("|")
        if not tab or not all(w.isalpha() for part in [written, *options] for w in part.split(" ")):
            raise HandoutsError(str(path), "expected words, a tab and words separated by |", number)
        if " " in written or " " in originals:
            if len(options) != 1:
                raise HandoutsError(str(path), "a phrase swap has one original", number)
            phrases.append((written.lower(), originals.lower(), number))
        else:
            words.setdefault(written.lower(), set()).update(w.lower() for w in options)
            lines.setdefault(written.lower(), number)
    phrases += [(w, next(iter(was)), lines[w]) for w, was in words.items() if len(was) == 1]
    return words, sorted(phrases, key=lambda x: x[2])


def _swaps(loaded, table: dict[str, set[str]] | None = None) -> dict[str, frozenset[str]]:
    """:attr:`Rules.swaps` from the phrase files' raw entries, and ``table`` (``swaps.txt``)."""
    found: dict[str, set[str]] = {k: set(v) for k, v in (table or {}).items()}
    for _, _, data in loaded:
        for raw in data.get("phrase", []):
            pattern, fix = raw["pattern"].lower().split(), raw["fix"].lower().split()
            if len(pattern) == len(fix):
                pairs = zip(pattern, fix)
            else:  # "coronary heart assault" -> "heart attack": the words either side of a kept one
                blocks = difflib.SequenceMatcher(None, [c.split("|")[0] for c in pattern], fix).get_opcodes()
                pairs = [p for op, i1, i2, j1, j2 in blocks if op == "replace" and i2 - i1 == j2 - j1
                         for p in zip(pattern[i1:i2], fix[j1:j2])]
            for chunk, word in pairs:
                if not word.isalpha() or chunk.startswith("<") or chunk == "*":
                    continue
                for option in chunk.split("|"):
                    if option != word and option.isalpha():
                        found.setdefault(option, set()).add(word)
    return {k: frozenset(v) for k, v in found.items()}


def _word_list(path: Path, optional: bool = False) -> frozenset[str]:
    """One word (or name) a line, lower-cased; ``optional``: a folder may lack the file (none then)."""
    if optional and not path.exists():
        return frozenset()
    text = _read_rule_file(path)
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _antonyms(path: Path) -> frozenset[tuple[str, str]]:
    """``antonyms.txt``: two words a line, each the other's opposite (a folder may lack the file)."""
    if not path.exists():
        return frozenset()
    found: set[tuple[str, str]] = set()
    for number, line in enumerate(_read_rule_file(path).splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        words = line.lower().split()
        if len(words) != 2:
            raise HandoutsError(str(path), f"two words a line, each the other's opposite: {line.strip()!r}", number)
        found.update(((words[0], words[1]), (words[1], words[0])))
    return frozenset(found)


def _read_rule_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HandoutsError(str(path), f"cannot read rule file: {exc}") from exc


def _load_toml(path: Path) -> dict:
    try:
        return tomllib.loads(_read_rule_file(path))
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise HandoutsError(str(path), f"bad TOML: {exc.msg if hasattr(exc, 'msg') else exc}", line) from exc


def _pattern_lines(source: str) -> dict[str, int]:
    """Line number of each ``pattern = "..."`` in a rule file, for error messages."""
    lines: dict[str, int] = {}
    for number, line in enumerate(source.splitlines(), 1):
        m = re.match(r'\s*pattern\s*=\s*"((?:[^"\\]|\\.)*)"', line)
        if m:
            lines.setdefault(m.group(1), number)
    return lines


def _compile_entry(raw: dict, path: Path, source: dict[str, int], classes: dict[str, frozenset[str]],
                   drugs: frozenset[str]) -> Entry:
    pattern = raw.get("pattern")
    line = source.get(pattern) if isinstance(pattern, str) else None

    def bad(message: str) -> HandoutsError:
        return HandoutsError(str(path), message, line)

    if not isinstance(pattern, str) or not pattern.strip():
        raise bad("phrase entry without a 'pattern' string")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise bad(f"unknown key(s) {', '.join(sorted(unknown))} in entry {pattern!r}")
    fix = raw.get("fix")
    if not isinstance(fix, str):
        raise bad(f"entry {pattern!r} has no 'fix' string")
    when = raw.get("when", "always")
    if when not in ("always", "spun", "flag", "suspect"):
        raise bad(f"entry {pattern!r}: 'when' must be always, spun, flag or suspect, not {when!r}")
    tokens: list[object] = []
    for chunk in pattern.split():
        if chunk == "*":
            tokens.append(ANY)
        elif chunk.startswith("<") and chunk.endswith(">"):
            name = chunk[1:-1]
            if name == "drug":
                tokens.append(drugs)
            elif name in classes:
                tokens.append(classes[name])
            else:
                raise bad(f"entry {pattern!r}: unknown class {chunk}")
        elif "|" in chunk:
            options = chunk.split("|")
            if any(len(tokenize(o)) != 1 for o in options):
                raise bad(f"entry {pattern!r}: each alternative in {chunk!r} must be one word")
            tokens.append(frozenset(_key(o) for o in options))
        else:
            tokens.extend(frozenset({t.key or _key(t.text)}) for t in tokenize(chunk))
    if not tokens or tokens[0] is ANY:
        raise bad(f"entry {pattern!r}: a pattern must start with a word")
    refs = [int(n) for n in re.findall(r"\{(\d+)\}", fix)]
    if any(not 1 <= n <= len(tokens) for n in refs):
        raise bad(f"entry {pattern!r}: fix refers to a token the pattern does not have")
    if _numbers(re.sub(r"\{\d+\}", "", fix)) or _numbers(pattern):
        raise bad(f"entry {pattern!r}: numbers are not allowed in rules (numbers are never changed)")
    parts: list[object] = []
    for i, piece in enumerate(re.split(r"\{(\d+)\}", fix)):
        if i % 2:
            parts.append(int(piece) - 1)
        elif piece:
            parts.append(piece)

    def ctx(key: str) -> frozenset[str] | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(f"entry {pattern!r}: {key} must be a list of words")
        return frozenset(_key(v) for v in value)

    return Entry(
        name=f"{path.stem}:{pattern}",
        tokens=tuple(tokens),
        fix=tuple(parts),
        when=when,
        reason=raw.get("reason") or "spinner swap",
        before=ctx("before"),
        not_before=ctx("not_before"),
        after=ctx("after"),
        not_after=ctx("not_after"),
        stray_capital=bool(raw.get("stray_capital", False)),
    )


@functools.lru_cache(maxsize=4)
def load_rules(folder: Path = RULES_DIR) -> Rules:
    """Load and compile every rule file in ``folder`` (the package's own: compiled once per
    version of them, see ``cache``)."""
    if folder != RULES_DIR:
        return _compile(folder)
    def sources() -> list[Path]:  # every rule file; not the statistical layer's tables
        return sorted(p for p in folder.iterdir() if p.suffix in (".toml", ".txt")
                      and p.name not in ("thesaurus.txt", "moby.txt"))

    return cache.cached("rules", sources, ["rules", "tokens"], Rules, lambda: _compile(folder))


def _covers(entry: Entry, other: Entry) -> bool:
    """Does ``entry`` match every text ``other`` matches (word for word, whatever its context)?"""
    return len(entry.tokens) == len(other.tokens) and all(
        mine is ANY or (theirs is not ANY and theirs <= mine) for mine, theirs in zip(entry.tokens, other.tokens))


def _compile(folder: Path, swap_text: str | None = None) -> Rules:
    """``swap_text``: in place of the folder's ``swaps.txt`` (the evaluation's left-out tables)."""
    drugs = _word_list(folder / "drugs.txt")
    name_ends: dict[str, set[str]] = {}
    for line in sorted(_word_list(folder / "substances.txt", optional=True)):
        first, _, rest = line.partition(" ")
        if rest:
            name_ends.setdefault(first, set()).add(rest.split()[0])
    drugs = drugs | frozenset(name_ends)
    units = _word_list(folder / "units.txt")
    common = _word_list(folder / "lowercase_words.txt") - _word_list(folder / "names.txt")
    spam = _load_toml(folder / "spam.toml")
    articles = _load_toml(folder / "articles.toml")

    phrase_files = sorted(p for p in folder.glob("*.toml") if p.name not in ("spam.toml", "articles.toml"))
    loaded = []
    for p in phrase_files:
        text = _read_rule_file(p)
        loaded.append((p, _pattern_lines(text), _load_toml(p)))
    classes: dict[str, frozenset[str]] = {}
    for path, _, data in loaded:
        for name, words in data.get("classes", {}).items():
            value = frozenset(_key(w) for w in words)
            if name in classes and classes[name] != value:
                raise HandoutsError(str(path), f"class <{name}> is defined twice with different words")
            classes[name] = value
    entries: list[Entry] = []
    for path, source, data in loaded:
        for raw in data.get("phrase", []):
            entries.append(_compile_entry(raw, path, source, classes, drugs))
    table = folder / SWAP_TABLE
    word_swaps, suspects = _swap_table(table, swap_text)
    by_first: dict[str, list[Entry]] = {}
    for e in entries:
        for key in e.tokens[0]:
            by_first.setdefault(key, []).append(e)
    for written, original, line in suspects:  # flagged where the text is spun
        raw = {"pattern": written, "fix": original, "when": "suspect",
               "reason": f"the development split's swap: '{written}' for '{original}'"}
        entry = _compile_entry(raw, table, {written: line}, classes, drugs)
        first = next(iter(entry.tokens[0]))
        if not any(_covers(e, entry) for e in by_first.get(first, ())):  # a phrase file's entry has it already
            entries.append(entry)
    index: dict[str, list[Entry]] = {}
    index2: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        second = entry.tokens[1] if len(entry.tokens) > 1 else None
        for key in entry.tokens[0]:
            if isinstance(second, frozenset) and len(second) <= 64:
                for key2 in second:
                    index2.setdefault((key, key2), []).append(entry)
            else:
                index.setdefault(key, []).append(entry)
    return Rules(
        entries=tuple(entries),
        index={k: tuple(v) for k, v in index.items()},
        index2={k: tuple(v) for k, v in index2.items()},
        drugs=drugs,
        units=units,
        common=common,
        commerce_verbs=frozenset(_key(w) for w in spam.get("commerce_verbs", [])),
        english_commerce=frozenset(_key(w) for w in spam.get("english_commerce", [])),
        english_commerce_after=tuple(
            tuple(_key(t.text) for t in tokenize(s)) for s in spam.get("english_commerce_after", [])
        ),
        english_commerce_verbs=frozenset(_key(w) for w in spam.get("english_commerce_verbs", [])),
        english_commerce_verb_after=frozenset(_key(w) for w in spam.get("english_commerce_verb_after", [])),
        name_ends={first: frozenset(ends) for first, ends in name_ends.items()},
        promo_phrases=tuple(
            tuple(_key(t.text) for t in tokenize(s)) for s in spam.get("promo_phrases", [])
        ),
        an_letters=frozenset(articles["an_letters"]),
        a_letters=frozenset(articles["a_letters"]),
        a_words=frozenset(articles["a_words"]),
        a_prefixes=tuple(articles["a_prefixes"]),
        an_prefixes_h=tuple(articles["an_prefixes_h"]),
        never_after_article=frozenset(articles.get("never_after_article", ())),
        swaps=_swaps(loaded, word_swaps),
        body_words=_word_list(folder / "body_words.txt", optional=True),
        antonyms=_antonyms(folder / "antonyms.txt"),
    )

