"""The repair engine: undo an article spinner's damage, flag what is only suspected.

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
keyword, spintax, or at least two weak signals (stray capitals, a/an errors) of which
one is an a/an error ("a essential Device").  Capitals alone are not enough: a writer
may capitalise the roles of a clinic ("ask your Pharmacist or Nurse").
Only then are the ``spun`` entries applied and stray capitals lowered; in clean
paragraphs they are reported as flags, so clean English is never changed.

Repairs are applied in passes until nothing changes (a fix can reveal the next
one: "can be a managed substance" -> "is a managed substance" -> "is a
controlled substance").  Every change is tracked back to the span of the input
it replaces, so offsets in the report always point into the original text.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from .. import heap
from .learning import Learned, inside as _inside, kept_spans as _kept_spans, with_learned as _with_learned
from .records import Fix, Flag, Repair
from .rules import Rules, load_rules
from .scan import Edit as _Edit, Scan as _Scan, scan as _scan
from .statistical import DocumentCounts, Finder
from .detectors import needs_an as _needs_an
from .phrases import guard as _guard
from .tokens import PARAGRAPH_BREAK as _PARAGRAPH_BREAK, Para as _Para

MAX_PASSES = 6


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


REPAIR_PASSES = 3
"""At most this many passes over a text (``repair``): a pass that repaired something is followed by
another, until one repairs nothing."""


def repair(text: str, rules: Rules | None = None, finder: Finder | None = None,
           learned: Learned | None = None) -> Repair:
    """Repair ``text`` until nothing more is repaired: offsets in the result point into ``text``.

    The evidence of spinning is weighed on the document as it is, and a repaired document can show
    more of it: a spun paragraph's repairs put the original words back, which the statistical layer
    then finds elsewhere ("youngsters" repaired to "children" in the body makes "children" probable in
    a heading that had too little evidence of its own).  So a pass that repaired something is followed
    by another on its output (at most ``REPAIR_PASSES``), and repairing the result again changes nothing.
    A clean text takes one pass.

    The cyclic garbage collector is paused meanwhile (as ``pofile.parse`` does): a repair makes
    hundreds of thousands of short-lived tuples and lists, freed as they go, and the collector's
    passes, which also walk the resources and the per-process caches (tens of thousands of
    objects, none of them garbage), took a tenth of the time.
    """
    with heap.paused():
        return _repair(text, rules, finder, learned)


def _repair(text: str, rules: Rules | None, finder: Finder | None, learned: Learned | None) -> Repair:
    rules = _with_learned(rules or load_rules(), learned)
    finder = finder or Finder(rules.drugs | rules.units, rules.common)
    result = _repair_once(text, rules, finder, learned)
    for _ in range(REPAIR_PASSES - 1):
        if not result.fixes:
            break
        again = _repair_once(result.text, rules, finder, learned)
        if not again.fixes:
            break
        result = _compose(text, result, again)
    return result


def _compose(text: str, first: Repair, second: Repair) -> Repair:
    """Both passes in offsets of ``text``: ``second`` (a pass over ``first.text``) mapped back through
    ``first``'s fixes; a fix of ``second`` that touches one of ``first``'s becomes one fix over both;
    the flags are ``second``'s, those on ``first``'s own repairs left out."""
    done = sorted(first.fixes, key=lambda f: f.start)
    spans, shift = [], 0  # each first-pass fix: its start and end in first.text
    for f in done:
        spans.append((f.start + shift, f.start + shift + len(f.after)))
        shift += len(f.after) - (f.end - f.start)

    def back(a: int, b: int) -> tuple[int, int, set[int]]:
        """A span of first.text in offsets of ``text``, widened over the first-pass fixes it touches
        (which it returns)."""
        touched = {i for i, (ms, me) in enumerate(spans)
                   if (a < me and ms < b) or (a == b and ms < a < me) or (ms == me and a < ms < b)}

        def point(p: int) -> int:  # an offset outside the first pass's fixes
            moved = 0
            for (ms, me), f in zip(spans, done):
                if me > p:
                    break
                moved = me - f.end
            return p - moved

        lo, hi = point(a), point(b)
        for i in touched:
            lo, hi = min(lo, done[i].start), max(hi, done[i].end)
        return lo, hi, touched

    merged: set[int] = set()
    fixes = []
    for g in second.fixes:
        lo, hi, touched = back(g.start, g.end)
        if not touched:
            fixes.append(dataclasses.replace(g, start=lo, end=hi, before=text[lo:hi]))
            continue
        merged |= touched
        # the region's text after both passes: first.text over the touched fixes, with g's change in it
        m_lo = min([g.start] + [spans[i][0] for i in touched])
        m_hi = max([g.end] + [spans[i][1] for i in touched])
        mid = first.text[m_lo:m_hi]
        after = mid[: g.start - m_lo] + g.after + mid[g.end - m_lo:]
        rule = " + ".join(dict.fromkeys([done[i].rule for i in sorted(touched)] + [g.rule]))
        fixes.append(Fix(lo, hi, text[lo:hi], after, rule, g.margin, g.alternatives))
    fixes += [f for i, f in enumerate(done) if i not in merged]
    fixes.sort(key=lambda f: f.start)
    flags = []  # the last pass's: what the repaired text still raises
    for x in second.flags:
        lo, hi, touched = back(x.start, x.end)
        if not touched:  # a doubt about the pass's own repair is not the editor's question
            flags.append(dataclasses.replace(x, start=lo, end=hi, text=text[lo:hi]))
    # ... and the earlier pass's on words no later fix touched, which this pass did not raise again (a pass
    # that weighs less evidence than the first, its repairs having removed some, flags less)
    changed = [(f.start, f.end) for f in second.fixes]  # (in first.text)
    raised = [(f.start, f.end) for f in flags]
    for x in first.flags:
        if any(p < x.end and x.start < q for p, q in raised):
            continue
        at = _into_first(x.start, x.end, spans, done)
        if at is None or any(p < at[1] and at[0] < q for p, q in changed):
            continue
        flags.append(x)
    flags.sort(key=lambda f: (f.start, f.end))
    return Repair(second.text, fixes, flags)


def _into_first(start: int, end: int, spans, done) -> tuple[int, int] | None:
    """A span of the original text in offsets of the first pass's output; None where it overlaps one of
    that pass's fixes."""
    shift = 0
    for (ms, me), f in zip(spans, done):
        if f.end <= start:
            shift = me - f.end
        elif f.start < end:
            return None
        else:
            break
    return start + shift, end + shift


def _weak_enough(weak: int, articles: int) -> bool:
    """Are these weak signs (stray capitals and a/an errors, ``articles`` of them the latter) evidence
    of spinning on their own?  Two, one of them an a/an error."""
    return weak >= 2 and articles >= 1


def own_capitals(scans: list[_Scan], repeats: int) -> frozenset[str]:
    """The common words a document capitalises in mid-sentence ``repeats`` times or more: its own
    usage, not stray capitals.  A defined term ("the Licensee", "this Agreement"), a name the detector
    does not know ("Nettle"), a heading plain text does not mark: a writer capitalises these each
    time, where a spinner's capital comes with one swap ("a essential Device")."""
    seen: dict[str, int] = {}
    for scan in scans:
        for key in scan.capitals:
            seen[key] = seen.get(key, 0) + 1
    return frozenset(key for key, n in seen.items() if n >= repeats)


def spun_by_statistics(evidence: int, words: int, other: bool, settings) -> bool:
    """Does a document of ``words`` words with ``evidence`` suspects (improbable word pairs with a
    probable thesaurus reading) show statistical evidence of spinning?  With ``other`` signs (a sure
    repair, a stray capital, an a/an error, an injected keyword), at a lower rate; with none, at a
    higher one that clean text of that length would also reach less than once in 1,000 times."""
    if evidence < settings.evidence_min:
        return False
    if other:
        return evidence * 1000 >= words * settings.evidence_per_1000_with_other
    return (evidence * 1000 >= words * settings.evidence_per_1000 and chance_of_at_least(
        evidence, words * settings.evidence_clean_per_1000 / 1000) < settings.evidence_alone_chance)


def chance_of_at_least(count: int, expected: float) -> float:
    """The chance of ``count`` or more suspects where ``expected`` are expected (Poisson): how often a
    clean text of that length shows as much evidence of spinning as a text shows."""
    if count <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    log_expected = math.log(expected)  # each term in logarithms: exp(-expected) alone underflows in a long text
    below = math.fsum(math.exp(k * log_expected - expected - math.lgamma(k + 1)) for k in range(count))
    return max(0.0, 1.0 - below)


def _repair_once(text: str, rules: Rules, finder: Finder, learned: Learned | None) -> Repair:
    """One pass of ``repair`` (``rules`` already hold what was ``learned``).

    A spinner rewrites whole documents, so evidence is weighed twice: a paragraph
    with evidence of its own is treated as spun, and so is every paragraph of a
    document with strong evidence (two sure repairs, an injected keyword, or many
    improbable word pairs with a probable thesaurus reading, or many wordings the phrase
    tables know as a spinner's).  In a document with no
    evidence at all, the ``spun`` entries stay silent rather than flag normal English,
    and the statistical layer only flags what is overwhelmingly improbable.

    ``learned`` (``learning.learn``): editors' accepted swaps, matched as ``spun`` phrase
    entries, and the wordings they kept, which nothing flags and the statistical layer
    leaves alone.
    """
    kept = learned.kept if learned else frozenset()
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
    counted = []  # the words of each paragraph: each is in one run
    for para in paras:
        counted.append(doc.count(para.toks))
        if not doc.titled and any(para.heading):  # the document's title: the first heading
            line_end = para.text.find("\n")
            doc.titled.update(t.key for t, h in zip(para.toks, para.heading)
                              if h and t.kind == "w" and (line_end < 0 or t.start < line_end))
    for para, para_words in zip(paras, counted):
        scan = _scan(para, rules, spun=False)
        if para.toks:
            # wording an editor kept is still evidence of how spun the document is (a kept word
            # is not repaired or flagged, below, but deciding it must not change the rest)
            suspects = finder.suspects(para.toks, para.sentence_start, para.heading, doc)
            scan.suspects = suspects
            edited = [(e.start, e.end) for e in scan.edits]
            # what the phrase table will repair anyway is no evidence for the statistical layer, nor is a word
            # the document uses three times or more, which is its writer's (as the model reads it too):
            # a leaflet naming its subject, "glandular fever", five times read as spun on its synonyms
            scan.evidence = sum(
                1 for x in suspects
                if x.kind != "model" and x.margin >= settings.evidence_margin
                and doc.words.get(para.toks[x.first].key, 0) < settings.lm_recurring and not any(
                    a < para.toks[x.last].end and para.toks[x.first].start < b for a, b in edited))
            evidence += scan.evidence
            words += para_words
        first.append((para, scan))
    own = own_capitals([scan for _, scan in first], settings.own_capital_repeats)
    if own:  # read again without them (the first scan saw no stray capital as an edit, so the rest stands)
        for k, (para, scan) in enumerate(first):
            if own.intersection(scan.capitals):
                again = _scan(para, rules, spun=False, own=own)
                again.suspects, again.evidence = scan.suspects, scan.evidence
                first[k] = (para, again)
    sure = sum(scan.sure for _, scan in first)
    spam = sum(scan.spam for _, scan in first)
    weak = sum(scan.weak for _, scan in first)
    articles = sum(scan.articles for _, scan in first)
    # each wording once: one the text repeats is its writer's ("a stomach ache" ... "an ache in the back")
    known = len({w for _, scan in first for w in scan.known})
    other = sure + spam > 0 or (weak >= settings.weak_signs_min
                                and weak * 1000 >= words * settings.weak_signs_per_1000)
    statistical = spun_by_statistics(evidence, words, other, settings)
    known_alone = chance_of_at_least(known, words * settings.known_clean_per_1000 / 1000) < settings.known_alone_chance
    doc_spun = sure >= 2 or spam > 0 or statistical or known_alone
    # the spun-only entries speak where the document shows spinning; one stray capital or a/an error
    # alone is too weak a sign for that (a genus, "Salmonella", or a name the detector does not know),
    # and so are capitals alone, however many (a clinic's roles: "your Pharmacist or Nurse").  In the
    # corpus no text is decided by weak signs alone: each is the short spun snippet's rule
    quiet = not (sure or spam or _weak_enough(weak, articles) or statistical or known_alone)
    result = Repair(text="")
    out: list[str] = []
    for (base, para_text, sep), (para, scan) in zip(pieces, first):
        spun = doc_spun or bool(scan.sure or scan.spam or _weak_enough(scan.weak, scan.articles))
        level = "spun" if statistical else "rules" if spun else "clean"
        new_text, fixes, flags = _repair_paragraph(para_text, base, rules, para, scan, spun, quiet, finder, doc,
                                                   level, kept, worded=sure >= 2, own=own)
        out.append(new_text + sep)
        result.fixes.extend(fixes)
        result.flags.extend(flags)
    result.text = "".join(out)
    return result


STATISTICAL_PASSES = 3


def _repair_paragraph(orig: str, base: int, rules: Rules, para: "_Para", scan: "_Scan", spun: bool, quiet: bool,
                      finder: Finder, doc: DocumentCounts, level: str, kept: frozenset = frozenset(),
                      worded: bool = False, own: frozenset[str] = frozenset()):
    pieces = [_Piece(0, len(orig), None)]
    current = orig
    first_suspects = scan.suspects
    if spun and scan.spun_matters:  # (otherwise the scan as read is the one that reads it as spun)
        scan = _scan(para, rules, spun=True, own=own)
    sticky: list[tuple[int, int, str, str | None, str, float | None, tuple[str, ...]]] = []
    settings = finder.settings
    for stat_pass in range(STATISTICAL_PASSES + 1):
        for _ in range(MAX_PASSES):
            if scan.sticky:
                spans = _current_spans(pieces, orig)
                sticky += [(*_to_original(spans, a, b), reason, hint, "spam:injected keyword", None, ())
                           for a, b, reason, hint in scan.sticky]
            if not scan.edits:
                break
            pieces = _apply(pieces, orig, scan.edits)
            current = _text_of(pieces, orig)
            para = _Para.of(current)
            scan = _scan(para, rules, spun=spun, own=own)
        if stat_pass == STATISTICAL_PASSES or not para.toks:
            break
        # -- the statistical layer, on what the phrase table left ----------------------------
        edits = []
        spans = _current_spans(pieces, orig)
        unchanged = stat_pass == 0 and current == orig and first_suspects is not None
        marked = _marked(spans, orig, para) if spun and level == "spun" else {}
        found = _unkept(finder.suspects(para.toks, para.sentence_start, para.heading, doc,
                                        floor=_floor(settings, level, spun),
                                        decoded=first_suspects if unchanged else None,
                                        marked=marked, needs_an=lambda w: _needs_an(w, rules)), para, kept)
        found = [x for x in found if x.kind != "model" or x.first in marked
                 or doc.words.get(para.toks[x.first].key, 0) < settings.lm_recurring]
        for x in found:
            a, b = para.toks[x.first].start, para.toks[x.last].end
            before = current[a:b]
            if any(p.text is not None and p.text.lower() != orig[p.start : p.end].lower()
                   for _, _, p in _overlapping(spans, a, b)):
                continue  # already repaired by a rule (a stray capital lowered only revealed the word: read on)
            if (before.lower(), x.suggestion.lower()) in rules.antonyms:
                continue  # its opposite ("a diet low in iron" read as "high"): no spinner's swap, and no suggestion
            rule = f"statistical:{x.kind}"
            threshold, flag_margin = _margins(settings, x, level, worded)
            if (level == "spun" and x.kind == "model" and x.margin >= settings.lm_repair_margin_swap
                    and x.suggestion.lower() in finder.swaps.get(para.toks[x.first].key, ())):
                # a swap the phrase tables know ("ache" for "pain"), read so in context
                threshold = min(threshold, settings.lm_repair_margin_swap)
            elif x.kind == "model" and para.toks[x.first].key in rules.body_words:
                # a word for the body or what it does ("stools", "calf", "discharge") is what a patient reads
                # about themselves: the model's reading alone is a suggestion for an editor, not a repair (right
                # for 3 of 6 on the development split; the wrong three changed "tummy", "faint" and "washing")
                threshold = math.inf
            if x.kind == "model" and x.first in marked:
                # the spinner's word for certain, read among the candidates that fit its article: flagged
                # whatever it scores, repaired at a lower score (that cannot harm a right word, and it
                # puts the article back)
                threshold, flag_margin = settings.lm_repair_margin_marked, -math.inf
            # the guard (pure, and the dearest test) only where it decides something
            if spun and x.margin >= threshold and "\n" not in before and _guard(before, x.suggestion, rules) is None:
                edits.append(_Edit(a, b, x.suggestion, rule, x.margin))
            elif x.margin >= flag_margin:
                reason = (f"improbable wording here; the thesaurus {x.kind} reads more probably" if x.kind != "model"
                          else "improbable wording here; the language model reads a thesaurus neighbour more probably")
                if stat_pass == 0 or spun:
                    hint, others = _known_first(x.suggestion, tuple(
                        w for w in x.alternatives if (before.lower(), w.lower()) not in rules.antonyms),
                        finder.swaps.get(para.toks[x.first].key, ()))
                    sticky.append((*_to_original(spans, a, b), reason, hint, rule, x.margin, others))
        if not edits:
            break
        scan.edits = edits
    spans = _current_spans(pieces, orig)
    back = _articles_back(pieces, orig, rules)
    if back:  # (the flags below are still read through ``spans``, the text they were found in)
        pieces = [_Piece(p.start, p.end, None) if k in back else p for k, p in enumerate(pieces)]
        current = _text_of(pieces, orig)
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
        if quiet and soft and not rule.startswith("learned:"):
            continue  # a spun-only entry is silent in a text with no evidence; an editor's lesson is not
        s, e = _to_original(spans, a, b)
        if (s, e, reason) in seen:
            continue
        seen.add((s, e, reason))
        flags.append(Flag(base + s, base + e, orig[s:e], reason, suggestion or None, rule))
    flags += [Flag(base + a, base + b, orig[a:b], reason, hint, rule, margin, alternatives)
              for a, b, reason, hint, rule, margin, alternatives in sticky]
    for a, b in filter(None, back.values()):
        if not any(f.start < base + b and base + a < f.end for f in flags):
            flags.append(Flag(base + a, base + b, orig[a:b], _ARTICLE_BACK, None, "a-an"))
    flags = [f for f in flags if not any(x.start <= f.start and f.end <= x.end and f.text == x.before for x in fixes)]
    flags = _one_flag_per_span(flags, fixes)
    if kept:  # wording an editor kept is not flagged again
        spans = _kept_spans(orig, kept)
        flags = [f for f in flags if not _inside(spans, f.start - base, f.end - base)]
    flags.sort(key=lambda f: (f.start, f.end))
    return current, fixes, flags


def _known_first(suggestion: str, alternatives: tuple[str, ...], known) -> tuple[str, tuple[str, ...]]:
    """A flag's readings with the first that is a known swap of the word (``Rules.swaps``) put first,
    where the best-scoring one is not: an editor sees the spinner's known swap before a likelier
    word ("will not reply normally": "answer", then "respond"; "respond" first).  On the development split, with each
    text left out of ``swaps.txt``, 7 more of 448 flags on garbled phrases had the right first
    suggestion (188 to 195), none fewer; what is repaired is not changed."""
    if not known or suggestion.lower() in known:
        return suggestion, alternatives
    for k, reading in enumerate(alternatives):
        if reading.lower() in known:
            return reading, (suggestion, *alternatives[:k], *alternatives[k + 1:])
    return suggestion, alternatives


_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_ARTICLE_BACK = "the article before this word was written for another word: a spinner's swap; read the phrase again"


def _articles_back(pieces: list[_Piece], orig: str, rules: Rules) -> dict[int, tuple[int, int] | None]:
    """The a/an corrections to take back: piece index -> the span in ``orig`` of the word after it
    to flag, or None.

    In a spun text an article that does not fit the next word ("a operating nose", "an pressing
    therapy centre") is the writer's, kept by a spinner that swapped the word after it ("runny",
    "urgent").  Where the statistical layer put a word back there (read among the words that fit
    the article), the article as written fits it: "a running nose", not "an running nose".  Where
    nothing did, the corrected article would make a wrong word read as right (and change a right
    one): the article stays as written and the word is flagged, so that the suggestion an editor
    accepts fits the article."""
    back: dict[int, tuple[int, int] | None] = {}
    for k, p in enumerate(pieces):
        if p.text is None or p.rules != ("a-an",):
            continue
        m = _WORD.match(orig, p.end + 1) if orig[p.end : p.end + 1] == " " else None
        if m is None:
            continue
        a, b = m.span()
        changed = next((q for q in pieces if q.text is not None and q.start < b and a < q.end), None)
        if changed is None:
            back[k] = (a, b)
            continue
        w = _WORD.match(changed.text) if changed.start == a else None
        if w is None:
            continue  # (a repair that began before the word: it chose its own article)
        need = _needs_an(w.group(), rules)
        if need is None or need == (orig[p.start : p.end].lower() == "an"):  # (None: "running", "sore")
            back[k] = None
    return back


def _marked(spans, orig: str, para: "_Para") -> dict[int, bool]:
    """Words of the paragraph (token index) that the a/an detector shows to be the spinner's: the
    word after an article it corrected ("an procedure"), each mapped to whether the original took
    "an" (the spinner kept the article of the word it replaced: "an operation").  (A stray capital
    is the spinner's too, but the model's best reading of one was right for 1 in 9 on the
    development split, and "Suicide Crisis Lifeline" is a name: left as it was.)"""
    marked: dict[int, bool] = {}
    toks = para.toks
    starts = {t.start: k for k, t in enumerate(toks) if t.kind == "w"}
    for cs, ce, p in spans:
        if p.text is None or len(p.rules) != 1:
            continue
        if p.rules[0] == "a-an":
            k = starts.get(ce + 1)
            if k is not None and para.text[ce] == " ":
                marked[k] = orig[p.start : p.end].lower() == "an"
    return marked


def _floor(settings, level: str, spun: bool) -> float:
    """The least score of the language model's reading that can make a repair or a flag here."""
    flag = _model_flag_margin(settings, level)
    return min(flag, settings.lm_repair_margin) if spun and level == "spun" else flag


def _model_flag_margin(settings, level: str) -> float:
    return {"spun": settings.lm_flag_margin_spun, "rules": settings.lm_flag_margin_rules,
            "clean": settings.lm_flag_margin_clean}[level]


def _margins(settings, x, level: str, worded: bool = False) -> tuple[float, float]:
    """(repair margin, flag margin) for a statistical suspect in a paragraph of this level of evidence
    (``spun``: statistical evidence of spinning; ``rules``: only the rules show it; ``clean``)."""
    if x.kind == "model":
        flag = _model_flag_margin(settings, level)
        # the model repairs where the statistics show spinning; where only the rules show it (an injected
        # keyword, known phrases) at a higher score, only where the phrase table's sure repairs show
        # that the wording was swapped, and never in a paragraph with no evidence
        repair = (settings.lm_repair_margin if level == "spun" else
                  settings.lm_repair_margin_rules if level == "rules" and worded else math.inf)
        return repair, flag
    repair = (settings.repair_margin_two_words if x.last > x.first else
              settings.repair_margin if x.kind == "synonym" else settings.repair_margin_related)
    flag = {"spun": settings.flag_margin_spun, "rules": settings.flag_margin_rules,
            "clean": settings.flag_margin_clean}[level]
    return repair, flag


def _unkept(suspects, para: "_Para", kept: frozenset) -> list:
    """The statistical suspects outside any wording an editor kept."""
    if not kept or not suspects:
        return suspects
    spans = _kept_spans(para.text, kept)
    return [x for x in suspects if not _inside(spans, para.toks[x.first].start, para.toks[x.last].end)]


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
