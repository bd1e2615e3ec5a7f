"""Repair: undo an article spinner's damage, flag what is only suspected.

The step works on words, never on characters: a linear tokenizer splits each
paragraph into words, punctuation and opaque pieces (code spans, URLs, link
targets), and the rules in ``handouts/rules/*.toml`` are matched token by token
through a dictionary keyed on the first word, so the time is linear in the text
and no regular expression can backtrack.

Three layers, all driven by data:

* phrase entries (``phrases.toml``, ``grammar.toml``): known garbling with the
  words it stands for, repaired ``always``, only in a paragraph proven ``spun``,
  or only ``flag``-ged;
* detectors: injected commerce keywords next to a drug name (removed when the
  drug is named elsewhere in the paragraph), spintax leftovers, common words
  capitalised mid-sentence, and a wrong "a"/"an";
* guards: no repair may change a number, a unit or a drug name, or join lines.

A paragraph is *spun* when it shows evidence of spinning: a sure repair, a spam
keyword, spintax, or at least two weak signals (stray capitals, a/an errors).
Only then are the ``spun`` entries applied and stray capitals lowered; in clean
paragraphs they are reported as flags, so clean English is never changed.

Repairs are applied in passes until nothing changes (a fix can reveal the next
one: "can be a managed substance" -> "is a managed substance" -> "is a
controlled substance").  Every change is tracked back to the span of the input
it replaces, so offsets in the report always point into the original text.
"""
from __future__ import annotations

import bisect
import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .errors import HandoutsError
from .statistical import DocumentCounts, Finder, load_settings

RULES_DIR = Path(__file__).resolve().parent / "rules"
MAX_PASSES = 6

# ---------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class Fix:
    """One repair, in character offsets of the input text."""

    start: int
    end: int
    before: str
    """The input text that was replaced."""
    after: str
    """What replaced it."""
    rule: str
    """Which rule(s) made the change, e.g. ``phrases:ache administration``."""
    margin: float | None = None
    """For a statistical repair: how much more probable the repaired reading is (natural log)."""

    @property
    def layer(self) -> str:
        return layer_of(self.rule)

    @property
    def confidence(self) -> str:
        return confidence_of(self.layer, self.margin)


@dataclass(frozen=True, slots=True)
class Flag:
    """A suspicion for a human to check, in character offsets of the input text."""

    start: int
    end: int
    text: str
    reason: str
    suggestion: str | None = None
    rule: str = ""
    """The layer and rule that raised it (``statistical:synonym``, ``phrases:...``), if known."""
    margin: float | None = None

    @property
    def layer(self) -> str:
        return layer_of(self.rule) if self.rule else "detectors"

    @property
    def confidence(self) -> str:
        return confidence_of(self.layer, self.margin)


LAYERS = ("statistical", "phrases", "grammar", "words", "spam", "detectors")
"""Report order: the statistical repairs first, since they are the ones to review."""


def layer_of(rule: str) -> str:
    """The layer a rule name belongs to: the stem of its rule file, or ``detectors``."""
    first = rule.split("+", 1)[0]
    stem = first.split(":", 1)[0] if ":" in first else ""
    if stem == "statistical" or "+statistical:" in rule:
        return "statistical"
    if stem in ("phrases", "grammar", "words", "spam"):
        return stem
    return "detectors" if not stem else stem


def confidence_of(layer: str, margin: float | None) -> str:
    """``high`` / ``medium`` / ``low`` for statistical work (by margin); ``rule`` for a rule match."""
    if layer != "statistical" or margin is None:
        return "rule"
    settings = load_settings()
    if margin >= settings.repair_margin + 3:
        return "high"
    if margin >= settings.repair_margin:
        return "medium"
    return "low"


@dataclass(slots=True)
class Repair:
    """The result of repairing one text."""

    text: str
    fixes: list[Fix] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "text": self.text,
            "fixes": [
                {"start": f.start, "end": f.end, "before": f.before, "after": f.after, "rule": f.rule,
                 "layer": f.layer, "confidence": f.confidence, "margin": _round(f.margin)}
                for f in self.fixes
            ],
            "flags": [
                {"start": f.start, "end": f.end, "text": f.text, "reason": f.reason,
                 "suggestion": f.suggestion, "layer": f.layer, "confidence": f.confidence,
                 "margin": _round(f.margin)}
                for f in self.flags
            ],
        }


def _round(margin: float | None) -> float | None:
    return None if margin is None else round(margin, 1)


# ---------------------------------------------------------------------------
# Rules


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
    promo_phrases: tuple[tuple[str, ...], ...]
    an_letters: frozenset[str]
    a_letters: frozenset[str]
    a_words: frozenset[str]
    a_prefixes: tuple[str, ...]
    an_prefixes_h: tuple[str, ...]


def _word_list(path: Path) -> frozenset[str]:
    text = _read_rule_file(path)
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


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
    if when not in ("always", "spun", "flag"):
        raise bad(f"entry {pattern!r}: 'when' must be always, spun or flag, not {when!r}")
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
    """Load and compile every rule file in ``folder``."""
    drugs = _word_list(folder / "drugs.txt")
    units = _word_list(folder / "units.txt")
    common = _word_list(folder / "lowercase_words.txt")
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
        promo_phrases=tuple(
            tuple(_key(t.text) for t in tokenize(s)) for s in spam.get("promo_phrases", [])
        ),
        an_letters=frozenset(articles["an_letters"]),
        a_letters=frozenset(articles["a_letters"]),
        a_words=frozenset(articles["a_words"]),
        a_prefixes=tuple(articles["a_prefixes"]),
        an_prefixes_h=tuple(articles["an_prefixes_h"]),
    )


# ---------------------------------------------------------------------------
# Tokens


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


def _key(text: str) -> str:
    return text.lower().replace("’", "'")


def tokenize(text: str) -> list[Token]:
    out = []
    append = out.append
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        word = m.group()
        append(Token(kind, m.start(), m.end(), word, "" if kind == "x" else word.lower().replace("’", "'")))
    return out


_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_SENTENCE_END = frozenset(".!?:")
_OPENERS = frozenset("\"“‘'([*_")
_BLOCK_MARKERS = frozenset("#-*+>|")
_CONNECTORS = frozenset({"of", "and", "for", "the", "&", "on", "in", "de", "to"})
# words around a drug name that show it is the text's own mention, not an injected keyword
_USE_VERBS = frozenset({"use", "take", "try", "apply", "using", "taking", "of", "with", "or", "and/or", "like"})
_DOSE_FORMS = frozenset({
    "gel", "cream", "tablet", "tablets", "capsule", "capsules", "spray", "liquid", "syrup", "injection",
    "patch", "patches", "infusion", "dose", "doses", "treatment", "therapy", "mg", "is", "can", "may",
    "should", "works", "helps", "or", "and",
})
_PROMO_URL = ("buy", "cheap", "order", "pharmacy", "meds", "pills", "discount")
_PROMO_FIRST = frozenset({"best", "lowest", "free", "discreet", "overnight", "cash", "with", "buy", "order"})
_SPINTAX = re.compile(r"\{[^{}|\n]{1,80}(?:\|[^{}|\n]{1,80})+\}")


@dataclass(slots=True)
class _Para:
    """A paragraph's tokens with the facts the rules ask about."""

    text: str
    toks: list[Token]
    sentence_start: list[bool]
    heading: list[bool]

    @classmethod
    def of(cls, text: str) -> "_Para":
        toks = tokenize(text)
        n = len(toks)
        line_first = [i == 0 or "\n" in text[toks[i - 1].end : toks[i].start] for i in range(n)]
        heading = [False] * n
        in_heading = False
        for i, t in enumerate(toks):
            if line_first[i]:
                in_heading = t.text == "#" or t.text == "|"
            heading[i] = in_heading
        starts = [False] * n
        for i in range(n):
            k = i - 1
            while k >= 0 and toks[k].text in _OPENERS and not line_first[k]:
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


def _is_capitalised(text: str) -> bool:
    return len(text) > 1 and text[0].isupper() and text[1:].replace("’", "").replace("'", "").replace("-", "").islower()


# ---------------------------------------------------------------------------
# Matching


@dataclass(slots=True)
class _Edit:
    start: int
    end: int
    text: str
    rule: str
    margin: float | None = None


@dataclass(slots=True)
class _Scan:
    edits: list[_Edit]
    flags: list[tuple[int, int, str, str | None]]
    sticky: list[tuple[int, int, str, str | None]] = field(default_factory=list)
    """Flags that go with an edit of this pass and must outlive it."""
    sure: int = 0
    weak: int = 0
    spam: int = 0
    evidence: int = 0
    """Statistical suspects at the evidence margin (first pass only)."""
    suspects: list | None = None
    """The statistical layer's suspects in the paragraph as read (first pass only)."""


def _before_keys(para: _Para, i: int) -> set[str]:
    keys = set()
    if i > 0:
        keys.add(para.toks[i - 1].key)
    if para.sentence_start[i]:
        keys.add("^")
    return keys


def _after_keys(para: _Para, j: int) -> set[str]:
    toks = para.toks
    if j >= len(toks):
        return {"."}
    keys = {toks[j].key}
    if toks[j].text in ".!?":
        keys.add(".")
    return keys


def _match(entry: Entry, para: _Para, i: int) -> int | None:
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
    if entry.before is not None and not (_before_keys(para, i) & entry.before):
        return None
    if entry.not_before is not None and (_before_keys(para, i) & entry.not_before):
        return None
    j = i + n
    if entry.after is not None and not (_after_keys(para, j) & entry.after):
        return None
    if entry.not_after is not None and (_after_keys(para, j) & entry.not_after):
        return None
    return j


def _render_fix(entry: Entry, para: _Para, i: int, j: int) -> str:
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


def _guard(before: str, after: str, rules: Rules) -> str | None:
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


def _numbers(text: str) -> list[str]:
    """The numbers in ``text``: digits not inside a word ("500mg" and "24" count, "h2o" does not)."""
    return re.findall(r"(?<![^\W_])\d+(?:[.,]\d+)*", text)


def drug_key(key: str, drugs: frozenset[str]) -> str | None:
    """The drug a word names, in any common spelling: "kétamine", "Ketamin", "ketamina",
    "ibuprofeno", "warfarine" -> the English name in drugs.txt; None if it names none."""
    if key in drugs:
        return key
    if len(key) < 5 or not key.isalpha():
        return None
    folded = _fold(key)
    for form in (folded, folded + "e", folded[:-1], folded[:-1] + "e", folded[:-2]):
        if form in drugs:
            return form
    return None


@functools.lru_cache(maxsize=4096)
def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _needs_an(word: str, rules: Rules) -> bool | None:
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


def _scan(para: _Para, rules: Rules, spun: bool) -> _Scan:
    toks = para.toks
    text = para.text
    scan = _Scan([], [])
    edits = scan.edits
    n = len(toks)
    drug_count: dict[str, int] = {}
    drug_of: dict[int, str] = {}
    for k, t in enumerate(toks):
        if t.kind == "w":
            d = drug_key(t.key, rules.drugs)
            if d is not None:
                drug_of[k] = d
                drug_count[d] = drug_count.get(d, 0) + 1

    i = 0
    while i < n:
        t = toks[i]
        if t.kind != "w":
            i += 1
            continue
        # -- injected commerce keyword next to a drug name ------------------------------
        if t.key in rules.commerce_verbs:
            nxt = toks[i + 1] if i + 1 < n else None
            prv = toks[i - 1] if i > 0 else None
            drug = None
            if nxt is not None and (i + 1) in drug_of and not text[t.end : nxt.start].strip():
                drug = nxt
                span = (t.start, nxt.end)
            elif prv is not None and (i - 1) in drug_of and not text[prv.end : t.start].strip():
                drug = prv
                span = (prv.start, t.end)
            if drug is not None:
                scan.spam += 1
                k = toks.index(drug, max(0, i - 1), i + 2)
                before_kw = toks[min(i, k) - 1].key if min(i, k) > 0 else ""
                after_kw = toks[max(i, k) + 1].key if max(i, k) + 1 < n else ""
                # "use kaufen ibuprofen gel": the verb was slipped in before a real mention;
                # "health and commander ketamine fitness": the pair was injected as a unit
                real_mention = before_kw in _USE_VERBS or after_kw in _DOSE_FORMS
                named = drug_of[k]
                foreign = drug.key != named  # "warfarine", "metformina": the pair was pasted in whole
                if (drug_count.get(named, 0) >= 2 or foreign) and not real_mention:
                    start, end = span  # the drug is named elsewhere: drop the whole keyword
                else:
                    start, end = t.start, t.end  # keep the only mention of the drug
                    scan.sticky.append((drug.start, drug.end,
                                        f"'{t.text}' (buy/order) was injected next to this drug name; check the sentence",
                                        None))
                if end < len(text) and text[end] == " ":
                    end += 1
                elif start > 0 and text[start - 1] == " ":
                    start -= 1
                edits.append(_Edit(start, end, "", "spam:injected keyword"))
                i += 2 if drug is nxt else 1
                continue
        if t.key in rules.english_commerce and i + 1 < n:
            k = i + 1
            if toks[k].key in ("cheap", "discount", "generic") and k + 1 < n:
                k += 1
            if toks[k].key in rules.drugs:
                rest = [x.key for x in toks[k + 1 : k + 4]]
                if toks[i + 1].key != toks[k].key or any(
                    tuple(rest[: len(a)]) == a for a in rules.english_commerce_after
                ):
                    scan.flags.append((t.start, toks[k].end,
                                       "looks like an injected advert (buy/order a drug)", None))
        # -- phrase entries --------------------------------------------------------------
        best = None
        candidates = rules.index.get(t.key, ())
        if i + 1 < n:
            candidates = candidates + rules.index2.get((t.key, toks[i + 1].key), ())
        for entry in candidates:
            j = _match(entry, para, i)
            if j is None:
                continue
            applies = entry.when == "always" or (entry.when == "spun" and spun)
            rank = (applies, j - i)
            if best is None or rank > best[0]:
                best = (rank, entry, j)
        if best is not None:
            (applies, _), entry, j = best
            after = _render_fix(entry, para, i, j)
            start, end = toks[i].start, toks[j - 1].end
            before = text[start:end]
            if applies:
                why_not = _guard(before, after, rules)
                if why_not is None:
                    if before != after:
                        edits.append(_Edit(start, end, after, entry.name))
                        if entry.when == "always":
                            scan.sure += 1
                    i = j
                    continue
                scan.flags.append((start, end, why_not, after, False, entry.name))
            else:
                scan.flags.append((start, end, entry.reason, after, entry.when == "spun", entry.name))
            i = j
            continue
        i += 1

    # -- detectors that look at single words, skipped where a phrase repair already acts --
    edited = sorted((e.start, e.end) for e in edits)

    def touched(tok: Token) -> bool:
        k = bisect.bisect_right(edited, (tok.start, float("inf"))) - 1
        return (k >= 0 and edited[k][1] > tok.start) or (k + 1 < len(edited) and edited[k + 1][0] < tok.end)

    for i, t in enumerate(toks):
        if t.kind != "w":
            continue
        is_article = t.key in ("a", "an")
        if not is_article and not (t.text[0].isupper() and not para.sentence_start[i]):
            continue  # the common case: nothing for these detectors to look at
        if touched(t):
            continue
        # "a"/"an"
        if is_article and (t.text in ("a", "an") or (t.text in ("A", "An") and para.sentence_start[i])):
            if i + 1 < n and toks[i + 1].kind == "w" and not touched(toks[i + 1]):
                word = toks[i + 1].text
                if word[0].islower() or word.lower() in rules.common:
                    need = _needs_an(word, rules)
                    want = None
                    if need is True and t.key == "a":
                        want = "an" if t.text == "a" else "An"
                    elif need is False and t.key == "an":
                        want = "a" if t.text == "an" else "A"
                    if want:
                        scan.weak += 1
                        edits.append(_Edit(t.start, t.end, want, "a-an"))
            continue
        # a common word capitalised in mid-sentence
        if (
            _is_capitalised(t.text)
            and not para.sentence_start[i]
            and not para.heading[i]
            and t.key in rules.common
            and not _in_name(para, i)
        ):
            scan.weak += 1
            lower = t.text[0].lower() + t.text[1:]
            if spun:
                edits.append(_Edit(t.start, t.end, lower, "stray-capital"))
            else:
                scan.flags.append((t.start, t.end, "common word capitalised in mid-sentence", lower))
    # -- promotional links and stuffed sales phrases (flagged, never removed) ----------------
    for k, t in enumerate(toks):
        if t.kind == "x" and t.text.startswith("]("):
            j = k - 1
            while j >= 0 and toks[j].text != "[":
                j -= 1
            if j < 0:
                continue
            words = {x.key for x in toks[j + 1 : k]}
            target = t.text.lower()
            if words & (rules.english_commerce | rules.commerce_verbs) or any(w in target for w in _PROMO_URL):
                scan.spam += 1
                scan.flags.append((toks[j].start, t.end, "looks like a promotional link (buy/order); remove it", "",
                                   False, "spam:promotional link"))
        elif t.kind == "w" and t.key in _PROMO_FIRST and k + 1 < n:
            for phrase in rules.promo_phrases:
                if tuple(x.key for x in toks[k : k + len(phrase)]) == phrase:
                    scan.spam += 1
                    scan.flags.append((t.start, toks[k + len(phrase) - 1].end,
                                       "sales phrase injected into the text (keyword stuffing)", "",
                                       False, "spam:sales phrase"))
                    break
    for m in _SPINTAX.finditer(text):
        scan.spam += 1
        first = m.group()[1:].split("|", 1)[0]
        scan.flags.append((m.start(), m.end(), "spintax left over from an article spinner", first))
    edits.sort(key=lambda e: e.start)
    return scan


def _in_name(para: _Para, i: int) -> bool:
    """Is the capitalised word at ``i`` part of a name such as "Department of Health"?"""
    toks = para.toks

    def neighbour(step: int) -> int | None:
        k = i + step
        while 0 <= k < len(toks) and toks[k].key in _CONNECTORS and toks[k].text.islower():
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
        if not para.sentence_start[p]:
            return True
        if p < i - 1 and all(t.key in ("and", "&", "of") for t in toks[p + 1 : i]):
            return True  # "Accident and Emergency" opening a sentence
    if i > 0 and toks[i - 1].text in _OPENERS | {"&", "/"}:
        return True
    return False


# ---------------------------------------------------------------------------
# Applying edits while remembering where each piece of text came from


@dataclass(slots=True)
class _Piece:
    start: int
    """Start in the original paragraph."""
    end: int
    text: str | None
    """None: the original text, unchanged."""
    rules: tuple[str, ...] = ()
    margin: float | None = None


def _current_spans(pieces: list[_Piece], orig: str) -> list[tuple[int, int, _Piece]]:
    spans = []
    pos = 0
    for p in pieces:
        length = (p.end - p.start) if p.text is None else len(p.text)
        spans.append((pos, pos + length, p))
        pos += length
    return spans


def _apply(pieces: list[_Piece], orig: str, edits: list[_Edit]) -> list[_Piece]:
    spans = _current_spans(pieces, orig)
    out: list[_Piece] = []
    si = 0
    for edit in edits:
        a, b = edit.start, edit.end
        while si < len(spans) and (spans[si][1] < a or (spans[si][1] == a and spans[si][0] < a)):
            out.append(spans[si][2])
            si += 1
        prefix = suffix = ""
        rules: list[str] = []
        margins: list[float] = [edit.margin] if edit.margin is not None else []
        o_start = o_end = None
        while si < len(spans) and (spans[si][0] < b or (spans[si][0] == b == a)):
            cs, ce, p = spans[si]
            if p.text is None:
                if o_start is None:
                    if cs < a:
                        out.append(_Piece(p.start, p.start + (a - cs), None))
                    o_start = p.start + max(0, a - cs)
                if ce > b:
                    o_end = p.start + (b - cs)
                    spans[si] = (b, ce, _Piece(o_end, p.end, None))
                    break
                o_end = p.end
            else:
                if o_start is None:
                    o_start = p.start
                    prefix = p.text[: max(0, a - cs)]
                o_end = p.end
                rules.extend(p.rules)
                if p.margin is not None:
                    margins.append(p.margin)
                if ce > b:
                    suffix = p.text[b - cs :]
            si += 1
        if o_start is None:  # an empty span at the very end
            o_start = o_end = spans[-1][2].end if spans else 0
        rules.append(edit.rule)
        out.append(_Piece(o_start, o_end, prefix + edit.text + suffix, tuple(dict.fromkeys(rules)),
                          min(margins) if margins else None))
    out.extend(s[2] for s in spans[si:])
    return out


def _text_of(pieces: list[_Piece], orig: str) -> str:
    return "".join(orig[p.start : p.end] if p.text is None else p.text for p in pieces)


def _to_original(spans, a: int, b: int) -> tuple[int, int]:
    start = end = None
    for cs, ce, p in spans:
        if start is None and (a < ce or (a == ce == cs)):
            start = p.start + (a - cs) if p.text is None else p.start
        if b <= ce and (b > cs or ce == cs):
            end = p.start + (b - cs) if p.text is None else p.end
            break
    if start is None:
        start = spans[-1][2].end if spans else 0
    if end is None:
        end = spans[-1][2].end if spans else 0
    return start, max(start, end)


# ---------------------------------------------------------------------------
# Entry point


def repair(text: str, rules: Rules | None = None, finder: Finder | None = None) -> Repair:
    """Repair ``text``; offsets in the result point into ``text``.

    A spinner rewrites whole documents, so evidence is weighed twice: a paragraph
    with evidence of its own is treated as spun, and so is every paragraph of a
    document with strong evidence (two sure repairs, an injected keyword, or many
    improbable word pairs with a probable thesaurus reading).  In a document with no
    evidence at all, the ``spun`` entries stay silent rather than flag normal English,
    and the statistical layer only flags what is overwhelmingly improbable.
    """
    rules = rules or load_rules()
    finder = finder or Finder(rules.drugs | rules.units, rules.common)
    settings = finder.settings
    pieces: list[tuple[int, str, str]] = []  # (offset, paragraph, separator after it)
    pos = 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        pieces.append((pos, text[pos : m.start()], m.group()))
        pos = m.end()
    pieces.append((pos, text[pos:], ""))
    first = []
    words = evidence = 0
    doc = DocumentCounts()
    paras = [_Para.of(para_text) for _, para_text, _ in pieces]
    for para in paras:
        for run in finder.runs(para.toks):
            doc.add(run)
    for para in paras:
        scan = _scan(para, rules, spun=False)
        if para.toks:
            suspects = finder.suspects(para.toks, para.sentence_start, para.heading, doc)
            scan.suspects = suspects
            edited = [(e.start, e.end) for e in scan.edits]
            # what the phrase table will repair anyway is no evidence for the statistical layer
            scan.evidence = sum(
                1 for x in suspects
                if x.margin >= settings.evidence_margin and not any(
                    a < para.toks[x.last].end and para.toks[x.first].start < b for a, b in edited))
            evidence += scan.evidence
            words += sum(1 for t in para.toks if t.kind == "w")
        first.append((para, scan))
    sure = sum(scan.sure for _, scan in first)
    spam = sum(scan.spam for _, scan in first)
    weak = sum(scan.weak for _, scan in first)
    other = sure + spam + weak > 0
    statistical = evidence >= settings.evidence_min and evidence * 1000 >= words * (
        settings.evidence_per_1000_with_other if other else settings.evidence_per_1000)
    doc_spun = sure >= 2 or spam > 0 or statistical
    quiet = not (sure or spam or weak or statistical)
    result = Repair(text="")
    out: list[str] = []
    for (base, para_text, sep), (para, scan) in zip(pieces, first):
        spun = doc_spun or bool(scan.sure or scan.spam or scan.weak >= 2)
        flag_margin = (settings.flag_margin_spun if statistical else
                       settings.flag_margin_rules if spun else settings.flag_margin_clean)
        new_text, fixes, flags = _repair_paragraph(para_text, base, rules, para, scan, spun, quiet, finder, doc,
                                                   flag_margin)
        out.append(new_text + sep)
        result.fixes.extend(fixes)
        result.flags.extend(flags)
    result.text = "".join(out)
    return result


STATISTICAL_PASSES = 2


def _repair_paragraph(orig: str, base: int, rules: Rules, para: "_Para", scan: "_Scan", spun: bool, quiet: bool,
                      finder: Finder, doc: DocumentCounts, flag_margin: float):
    pieces = [_Piece(0, len(orig), None)]
    current = orig
    first_suspects = scan.suspects
    if spun:
        scan = _scan(para, rules, spun=True)
    sticky: list[tuple[int, int, str, str | None, str, float | None]] = []
    settings = finder.settings
    for stat_pass in range(STATISTICAL_PASSES + 1):
        for _ in range(MAX_PASSES):
            if scan.sticky:
                spans = _current_spans(pieces, orig)
                sticky += [(*_to_original(spans, a, b), reason, hint, "spam:injected keyword", None)
                           for a, b, reason, hint in scan.sticky]
            if not scan.edits:
                break
            pieces = _apply(pieces, orig, scan.edits)
            current = _text_of(pieces, orig)
            para = _Para.of(current)
            scan = _scan(para, rules, spun=spun)
        if stat_pass == STATISTICAL_PASSES or not para.toks:
            break
        # -- the statistical layer, on what the phrase table left ----------------------------
        edits = []
        spans = _current_spans(pieces, orig)
        unchanged = stat_pass == 0 and current == orig and first_suspects is not None
        found = first_suspects if unchanged else finder.suspects(para.toks, para.sentence_start, para.heading, doc)
        for x in found:
            a, b = para.toks[x.first].start, para.toks[x.last].end
            before = current[a:b]
            if any(p.text is not None for _, _, p in _overlapping(spans, a, b)):
                continue  # already repaired by a rule
            rule = f"statistical:{x.kind}"
            threshold = (settings.repair_margin_two_words if x.last > x.first else
                         settings.repair_margin if x.kind == "synonym" else settings.repair_margin_related)
            why_not = _guard(before, x.suggestion, rules) if "\n" not in before else "line break"
            if spun and x.margin >= threshold and why_not is None:
                edits.append(_Edit(a, b, x.suggestion, rule, x.margin))
            elif x.margin >= flag_margin:
                reason = f"improbable wording here; the thesaurus {x.kind} reads more probably"
                if stat_pass == 0 or spun:
                    sticky.append((*_to_original(spans, a, b), reason, x.suggestion, rule, x.margin))
        if not edits:
            break
        scan.edits = edits
    spans = _current_spans(pieces, orig)
    fixes = [
        Fix(base + p.start, base + p.end, orig[p.start : p.end], p.text, "+".join(p.rules), p.margin)
        for p in pieces
        if p.text is not None and p.text != orig[p.start : p.end]
    ]
    flags = []
    seen = set()
    for a, b, reason, suggestion, *extra in scan.flags:
        soft = extra[0] if extra else False
        rule = extra[1] if len(extra) > 1 else ""
        if quiet and soft:
            continue
        s, e = _to_original(spans, a, b)
        if (s, e, reason) in seen:
            continue
        seen.add((s, e, reason))
        flags.append(Flag(base + s, base + e, orig[s:e], reason, suggestion or None, rule))
    flags += [Flag(base + a, base + b, orig[a:b], reason, hint, rule, margin)
              for a, b, reason, hint, rule, margin in sticky]
    flags = [f for f in flags if not any(x.start <= f.start and f.end <= x.end and f.text == x.before for x in fixes)]
    flags = _one_flag_per_span(flags, fixes)
    flags.sort(key=lambda f: (f.start, f.end))
    return current, fixes, flags


def _overlapping(spans, a: int, b: int):
    return [s for s in spans if s[0] < b and a < s[1]]


def _one_flag_per_span(flags: list[Flag], fixes: list[Fix]) -> list[Flag]:
    """Drop a statistical flag on text that a repair already changed, or that another flag covers."""
    out: list[Flag] = []
    seen: set[tuple[int, int]] = set()
    for f in flags:
        if f.layer == "statistical":
            if any(x.start < f.end and f.start < x.end for x in fixes):
                continue
            if (f.start, f.end) in seen:
                continue
        seen.add((f.start, f.end))
        out.append(f)
    return out
