"""One pass of the rules over a paragraph: the edits to make and the flags to raise."""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .detectors import drug_key, in_expansion as _in_expansion, in_name as _in_name, needs_an as _needs_an
from .learning import PREFIX as _LEARNED
from .phrases import guard as _guard, match as _match, render_fix as _render_fix
from .rules import Rules
from .speedups import compiled as _compiled
from .tokens import OPENERS as _OPENERS, Para as _Para, SPINTAX as _SPINTAX, Token, is_capitalised as _is_capitalised

# words around a drug name that show it is the text's own mention, not an injected keyword
_SALE_WORDS = ("cheap", "discount", "generic")
"""Words a buying phrase may put between its verb and the drug ("buy cheap ibuprofen")."""
_CHEAP = ("cheap", "discount")
"""... of which a writer does not use (a leaflet may say "buy generic ibuprofen")."""
_USE_VERBS = frozenset({"use", "take", "try", "apply", "using", "taking", "of", "with", "or", "and/or", "like"})
_DOSE_FORMS = frozenset({
    "gel", "cream", "tablet", "tablets", "capsule", "capsules", "spray", "liquid", "syrup", "injection",
    "patch", "patches", "infusion", "dose", "doses", "treatment", "therapy", "mg", "is", "can", "may",
    "should", "works", "helps", "or", "and",
})
_PROMO_URL = ("buy", "cheap", "order", "pharmacy", "meds", "pills", "discount")
_PROMO_FIRST = frozenset({"best", "lowest", "free", "discreet", "overnight", "cash", "with", "buy", "order"})


@dataclass(slots=True)
class Edit:
    start: int
    end: int
    text: str
    rule: str
    margin: float | None = None


@dataclass(slots=True)
class Scan:
    edits: list[Edit]
    flags: list[tuple[int, int, str, str | None]]
    sticky: list[tuple[int, int, str, str | None]] = field(default_factory=list)
    """Flags that go with an edit of this pass and must outlive it."""
    sure: int = 0
    weak: int = 0
    """Stray capitals and a/an errors."""
    articles: int = 0
    """Of which a/an errors."""
    spam: int = 0
    known: list[str] = field(default_factory=list)
    """Wordings the phrase tables know as a spinner's that can also be the writer's (a ``spun`` entry,
    or a ``suspect`` one of several words: "pores and skin", "health practitioner"), where they did
    not apply: their words, in lower case."""
    evidence: int = 0
    """Statistical suspects at the evidence margin (first pass only)."""
    suspects: list | None = None
    """The statistical layer's suspects in the paragraph as read (first pass only)."""
    capitals: list[str] = field(default_factory=list)
    """The stray capitals found (their keys; and a possessive's, "the Service's"), to learn which the
    document itself writes so."""
    spun_matters: bool = False
    """Would the scan with the other ``spun`` differ?  Only where a spun-only entry matched (it applies,
    and ranks, by it) or a stray capital was found (repaired or flagged by it); otherwise every step
    is the same."""



def _begins_line(text: str, start: int) -> bool:
    """Does the word at ``start`` open a line?  A writer capitalises the first word of a line laid
    out as one ("Author: ...", a row of a list with no marker) whatever the line before ends with;
    a spinner's stray capital comes where a swap does, not where a line does."""
    k = text.rfind("\n", 0, start)
    return k >= 0 and not text[k + 1 : start].strip()


_CLOSERS = frozenset(")]\"”’'")
_MARKER_WORDS = frozenset("i ii iii iv v vi vii viii ix x xi xii".split())
_TITLE_SMALL = frozenset({"a", "an", "the", "and", "or", "nor", "but", "of", "to", "in", "on", "at", "by", "for",
                          "with", "from", "as", "into", "per", "vs", "via"})


def _opens_sentence(para: _Para, i: int) -> bool:
    """Does a sentence open at word ``i`` where ``Para.sentence_start`` does not see one?  After a
    sentence's end and the bracket or quote that closes it ("(See below.) The dose", '"History".)
    To'), and after a list marker of a letter, a roman numeral or a number with a bracket at a line's
    start ("d) If", "(ii) The", "1) Take").  A writer capitalises there; the clean licences of
    /usr/share/common-licenses had 17 flags of stray capitals in these two places.  Asked by the
    stray-capital detector alone: ``Para.sentence_start`` (compiled too) also decides how the statistical
    layer cases its suggestions, and changing it there would move every figure of the spun splits."""
    toks = para.toks
    k = i - 1
    while k >= 0 and toks[k].text in _OPENERS and toks[k].text not in _CLOSERS:
        k -= 1
    if k < 0 or toks[k].text not in _CLOSERS:
        return False
    m = k
    while m >= 0 and toks[m].text in _CLOSERS:
        m -= 1
    if m >= 0 and toks[m].text in ".!?":
        return True
    if toks[k].text != ")" or k == 0:
        return False
    marker = toks[k - 1]
    word = marker.text.lower()
    if not (marker.kind == "w" and (len(word) == 1 and word.isalpha() or word in _MARKER_WORDS
                                    or word.isdigit() and len(word) <= 3)):
        return False
    first = k - 1 if k < 2 or toks[k - 2].text != "(" else k - 2
    return first == 0 or _begins_line(para.text, toks[first].start)


def _title_lines(para: _Para) -> frozenset[int]:
    """Where the lines set in title case start ("2. Basic Permissions.", "Side Effects To Watch For"):
    every word of the line is capitalised but the small ones title case keeps in lower case, and there
    are two or more; a heading that plain text does not mark.  A spinner's stray capital stands among
    words in lower case ("a essential Device for surgeries").  One pass over the paragraph."""
    text, toks = para.text, para.toks
    found = set()
    k, n = 0, len(toks)
    start = 0
    while start <= len(text) and k < n:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        capitals, title = 0, True
        while k < n and toks[k].start < end:
            t = toks[k]
            k += 1
            if t.kind != "w" or not t.text[:1].isalpha():
                continue
            if t.text[:1].isupper():
                capitals += 1
            elif t.text not in _TITLE_SMALL:
                title = False
        if title and capitals >= 2:
            found.add(start)
        start = end + 1
    return frozenset(found)


_UNSEEN = object()
_DRUG_KEYS: list = [None, {}]


def _drug_keys(drugs: frozenset[str]) -> dict[str, str | None]:
    """``drug_key`` of each word seen, for this drug list (every word of every paragraph asks)."""
    if _DRUG_KEYS[0] is not drugs:
        _DRUG_KEYS[:] = [drugs, {}]
    return _DRUG_KEYS[1]


_STARTS: list = [None, frozenset(), frozenset(), {}]


def _starts(rules: Rules) -> frozenset[str]:
    """The words at which the main loop of :func:`scan` can find something, whatever the next
    word: a commerce word or the first word of a one-word-keyed phrase entry (for these rules).
    Elsewhere it can only find an entry of ``rules.index2``, keyed by the word and the next."""
    if _STARTS[0] is not rules:
        _STARTS[:] = [rules, frozenset(rules.index) | rules.commerce_verbs | rules.english_commerce,
                      frozenset(a for a, _ in rules.index2), {}]
    return _STARTS[1]


def _firsts(rules: Rules) -> tuple[frozenset[str], dict[str, int]]:
    """The first words of ``rules.index2``'s keys (a word that is none needs no look-up of the pair
    it forms with the next), and the compiled screen's marks of each word seen (``_speedups.c``,
    ``screen``), for these rules."""
    _starts(rules)
    return _STARTS[2], _STARTS[3]


_PROMO: list = [None, 0, None]
_INF = float("inf")


def _promo_index(phrases: tuple[tuple[str, ...], ...]) -> tuple[int, dict | None]:
    """The longest of the sales phrases, and the phrases by their first word, each word's in their
    order (a phrase can only match where its first word is; None if a phrase is empty, which matches
    anywhere): worked out once for these phrases, not at every "with" of the text."""
    if _PROMO[0] is not phrases:
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            if phrase:
                by_first.setdefault(phrase[0], []).append(phrase)
        _PROMO[:] = [phrases, max(map(len, phrases), default=0), by_first if all(phrases) else None]
    return _PROMO[1], _PROMO[2]


def _screen(toks, sentence_start, starts: frozenset[str], pairs: dict, drug_keys: dict,
            promo_first: frozenset[str], firsts: frozenset[str], marks: dict[str, int]):
    """The tokens each loop of :func:`scan` looks at, in order (most words need none of them):
    words that may be a drug name (known to be one, or not asked yet), words at which a phrase
    entry or a commerce word can start (``starts``, or the word and the next a key of ``pairs``),
    words for the a/an and capital detectors, and the tokens a promotional link or a sales
    phrase can start at.  ``firsts``: the first words of the keys of ``pairs``; ``marks``: what the
    compiled version keeps of each word (where it is in ``starts``, ``firsts`` and ``promo_first``),
    not read here.  Compiled where it was built (``_speedups.screen``)."""
    drugs, found, detect, promo = [], [], [], []
    n = len(toks)
    for k, t in enumerate(toks):
        kind = t.kind
        if kind == "w":
            key = t.key
            if drug_keys.get(key, _UNSEEN) is not None:
                drugs.append(k)
            if key in starts or (k + 1 < n and key in firsts and (key, toks[k + 1].key) in pairs):
                found.append(k)
            if key in ("a", "an") or (t.text[0].isupper() and not sentence_start[k]):
                detect.append(k)
            if key in promo_first:
                promo.append(k)
        elif kind == "x" and t.text.startswith("]("):
            promo.append(k)
    return drugs, found, detect, promo


_screened = _compiled.screen if _compiled is not None else _screen


def scan(para: _Para, rules: Rules, spun: bool, own: frozenset[str] = frozenset()) -> Scan:
    """``own``: words the document capitalises in mid-sentence often enough to be its own usage
    (``engine.own_capitals``), which the stray-capital detector leaves alone."""
    toks = para.toks
    text = para.text
    scan = Scan([], [])
    edits = scan.edits
    titles: frozenset[int] | None = None  # the lines in title case (``_title_lines``), when first asked
    n = len(toks)
    drug_count: dict[str, int] = {}
    drug_of: dict[int, str] = {}
    drug_keys = _drug_keys(rules.drugs)
    starts = _starts(rules)
    firsts, marks = _firsts(rules)
    may_be_drug, may_start, detect, promo = _screened(toks, para.sentence_start, starts, rules.index2, drug_keys,
                                                      _PROMO_FIRST, firsts, marks)
    for k in may_be_drug:
        key = toks[k].key
        d = drug_keys.get(key, _UNSEEN)
        if d is _UNSEEN:
            if len(drug_keys) > 100_000:
                drug_keys.clear()
            d = drug_keys[key] = drug_key(key, rules.drugs)
        if d is not None:
            drug_of[k] = d
            drug_count[d] = drug_count.get(d, 0) + 1

    i = 0
    for at in may_start:  # the words at which something can start, in order (at any other, nothing does)
        if at < i:
            continue  # inside what the word before repaired or flagged
        i = at
        t = toks[i]
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
                real_mention = (before_kw in _USE_VERBS or after_kw in _DOSE_FORMS
                                or after_kw in rules.name_ends.get(drug_of[k], ()))  # "salicylic acid"
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
                edits.append(Edit(start, end, "", "spam:injected keyword"))
                i += 2 if drug is nxt else 1
                continue
        if t.key in rules.english_commerce and i + 1 < n:
            k = i + 1
            if toks[k].key in _SALE_WORDS and k + 1 < n:
                k += 1
            if toks[k].key in rules.drugs:
                rest = [x.key for x in toks[k + 1 : k + 4]]
                sales = next((a for a in rules.english_commerce_after if tuple(rest[: len(a)]) == a), None)
                cheap = k > i + 1 and toks[i + 1].key in _CHEAP  # "buy cheap ciprofloxacin"
                if (sales is not None or cheap) and t.key in rules.english_commerce_verbs and i > 0 \
                        and toks[i - 1].kind == "w" and toks[i - 1].key not in rules.english_commerce_verb_after:
                    # a verb where the sentence has no place for one: pasted in ("such as buy naproxen online")
                    scan.spam += 1
                    last = k + (len(sales) if sales else 0)
                    end = toks[last].end
                    again = last + 1 < n and toks[last + 1].key == toks[k].key
                    scan.flags.append((t.start, end, "a buying phrase pasted into the sentence (injected spam)",
                                       None if again else toks[k].text, False, "spam:injected keyword"))
                elif toks[i + 1].key != toks[k].key or sales is not None:
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
            if entry.when == "spun":
                scan.spun_matters = True
            applies = entry.when == "always" or (entry.when == "spun" and spun)
            rank = (applies, j - i, entry.when != "suspect")  # an editor's lesson before the split's suspicion
            if best is None or rank > best[0]:
                best = (rank, entry, j)
        if best is not None:
            (applies, _, _), entry, j = best
            after = _render_fix(entry, para, i, j)
            start, end = toks[i].start, toks[j - 1].end
            before = text[start:end]
            if applies:
                why_not = _guard(before, after, rules)
                if why_not is None:
                    if before != after:
                        edits.append(Edit(start, end, after, entry.name))
                        if entry.when == "always":
                            scan.sure += 1
                    i = j
                    continue
                scan.flags.append((start, end, why_not, after, False, entry.name))
            else:
                scan.flags.append((start, end, entry.reason, after, entry.when in ("spun", "suspect"), entry.name))
                if (entry.when == "suspect" and (len(entry.tokens) > 1 or len(entry.fix) > 1)) or (
                        entry.when == "spun" and not entry.name.startswith(_LEARNED)):
                    # (what an editor taught is no evidence: a learned swap is repaired only where other evidence is)
                    scan.known.append(" ".join(t.key for t in toks[i:j]))
            i = j
            continue
        i += 1

    # -- detectors that look at single words, skipped where a phrase repair already acts --
    edited = sorted([(e.start, e.end) for e in edits]) if edits else None

    def touched(tok: Token) -> bool:
        if edited is None:  # the common case: no edit in the paragraph
            return False
        k = bisect.bisect_right(edited, (tok.start, _INF)) - 1
        return (k >= 0 and edited[k][1] > tok.start) or (k + 1 < len(edited) and edited[k + 1][0] < tok.end)

    for i in detect:
        t = toks[i]
        if t.kind != "w":
            continue
        is_article = t.key in ("a", "an")
        if not is_article and not (t.text[0].isupper() and not para.sentence_start[i]):
            continue  # the common case: nothing for these detectors to look at
        if touched(t):
            continue
        # "a"/"an"
        if is_article and (t.text in ("a", "an") or (t.text in ("A", "An") and para.sentence_start[i])):
            if i > 0 and toks[i - 1].end == t.start and toks[i - 1].text not in _OPENERS:
                continue  # part of something else: an option ("-a"), a file name ("libintl.a")
            if i + 1 < n and toks[i + 1].kind == "w" and not touched(toks[i + 1]) \
                    and toks[i + 1].key not in rules.never_after_article:
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
                        scan.articles += 1
                        edits.append(Edit(t.start, t.end, want, "a-an"))
            continue
        # a common word capitalised in mid-sentence
        if not _is_capitalised(t.text) or para.sentence_start[i] or para.heading[i]:
            continue
        key = t.key
        if key.endswith("'s") and key[:-2] in rules.common:  # "the Service's": counts towards its own usage
            if not _in_name(para, i):
                scan.capitals.append(key[:-2])
            continue
        if (
            key in rules.common
            and key not in own
            and not _in_name(para, i)
            and not _begins_line(text, t.start)
        ):
            scan.capitals.append(key)  # counts towards the document's own usage (``own``) ...
            if titles is None:
                titles = _title_lines(para)
            if (_in_name(para, i, rules.common) or _opens_sentence(para, i)
                    or text.rfind("\n", 0, t.start) + 1 in titles or _in_expansion(para, i)):
                continue  # ... but is the layout's or a name's: a sentence opens there, a title, "Mozilla Foundation",
                # an acronym spelt out ("FAST: Face, Arms, Speech, Time")
            scan.weak += 1
            scan.spun_matters = True
            lower = t.text[0].lower() + t.text[1:]
            if spun:
                edits.append(Edit(t.start, t.end, lower, "stray-capital"))
            else:
                scan.flags.append((t.start, t.end, "common word capitalised in mid-sentence", lower))
    # -- promotional links and stuffed sales phrases (flagged, never removed) ----------------
    for k in promo:
        t = toks[k]
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
            longest, by_first = _promo_index(rules.promo_phrases)
            ahead = [x.key for x in toks[k : k + longest]]
            for phrase in rules.promo_phrases if by_first is None else by_first.get(t.key, ()):
                if tuple(ahead[: len(phrase)]) == phrase:
                    scan.spam += 1
                    scan.flags.append((t.start, toks[k + len(phrase) - 1].end,
                                       "sales phrase injected into the text (keyword stuffing)", "",
                                       False, "spam:sales phrase"))
                    break
    for m in _SPINTAX.finditer(text) if "{" in text else ():  # (spintax opens with a brace)
        scan.spam += 1
        first = m.group()[1:].split("|", 1)[0]
        scan.flags.append((m.start(), m.end(), "spintax left over from an article spinner", first))
    edits.sort(key=lambda e: e.start)
    return scan

