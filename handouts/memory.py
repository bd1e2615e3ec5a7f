"""Translation memory: pairs brought from elsewhere, and suggestions for new units.

    locale/<lang>/memory.po     the imported pairs of one language (committed; a PO file, so
                                diffable, readable by every translator's tool and by msgfmt)

``python pipeline.py tm import FILE`` reads a TMX 1.4 file (what every CAT tool exchanges), a
.po/.pot catalog or an XLIFF file through translate-toolkit and adds its translated pairs to
the language's memory; ``tm export`` writes a language's translated, non-fuzzy units as TMX.

When the update meets a unit with no translation, ``Suggester`` offers, in this order:

1. the same English translated in another document of the language (the library);
2. the same English in the memory, unless a check says its markup, numbers, units, links or
   drug names would not survive (then it is not offered);
3. the most similar translated unit of the language, library and memory alike, when it is at
   least ``SIMILARITY`` similar (``similarity``: difflib's ratio over words and punctuation), with
   the English it was written for as ``#| msgid``.

Every suggestion is pre-filled fuzzy, with where it came from in a translator comment.
Finding the most similar unit goes through an index of words: only the
units sharing the rarest words of the new unit are compared, never the whole library.
"""
from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import polib

from . import catalogs, pofile
from .documents import write_text
from .errors import HandoutsError
from .pofile import Catalog

MEMORY_FILE = "memory.po"
SIMILARITY = 0.75
"""Least similarity (difflib ratio) of a fuzzy suggestion."""
CANDIDATES = 10
"""Units compared in full, at most, for one suggestion (those sharing most of its rare words)."""
COMMON = 200
"""A word found in more units than this says little about similarity and is not looked up."""
_ERRORS_THAT_BLOCK = ("numbers", "units", "markup", "links", "placeholders", "newline", "drugs")
"""A memory pair failing one of these checks against the unit is not pre-filled."""


class Suggestion(NamedTuple):
    """What a new unit is pre-filled with (always fuzzy)."""

    text: str
    note: str
    """The translator comment that says where it comes from."""
    previous: str | None = None
    """The English the translation was written for, when it is not the unit's own (``#| msgid``)."""


@dataclass(frozen=True, slots=True)
class Pair:
    """One English text and its translation, with where it came from."""

    source: str
    target: str
    origin: str
    """The file it was imported from (its name), and the unit's id there when it has one."""


# ---------------------------------------------------------------------------
# The memory file


def memory_path(locale_dir: Path, code: str) -> Path:
    return locale_dir / code / MEMORY_FILE


def read_memory(locale_dir: Path, code: str, rel) -> dict[str, Pair]:
    """The language's memory (empty when it has none), read strictly like every catalog."""
    path = memory_path(locale_dir, code)
    catalog = catalogs.load(path, rel(path))
    if catalog is None:
        return {}
    catalogs.validate(catalog)
    pairs = {}
    for entry in catalog.entries:
        if entry.obsolete or "fuzzy" in entry.flags or not entry.msgstr or entry.msgid_plural:
            continue
        origin = next((l[len("origin: "):] for l in entry.comment.split("\n") if l.startswith("origin: ")), "")
        pairs[entry.msgid] = Pair(entry.msgid, entry.msgstr, origin)
    return pairs


def memory_text(code: str, pairs: dict[str, Pair], old: Catalog | None) -> str:
    """The memory file: the old header if there is one (a translator may have edited it), then
    every pair in the order of its English (so an import's diff shows only what changed)."""
    if old is not None and old.header:
        header = old.header
    else:
        meta = {"Project-Id-Version": "handouts translation memory", "Language": code, "MIME-Version": "1.0",
                "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit"}
        header = pofile.header_lines(
            f"Translation memory of {code}: pairs imported with `python pipeline.py tm import`.\n"
            "Every update pre-fills a new unit from it (fuzzy); edit or delete entries freely.", meta, fuzzy=False)
    entries = []
    for pair in sorted(pairs.values(), key=lambda p: (p.source.casefold(), p.source)):
        entry = polib.POEntry(msgid=pair.source, msgstr=pair.target,
                              comment=f"origin: {pair.origin}" if pair.origin else "")
        entries.append(entry)
    return pofile.text(Catalog("", list(header), {}, entries))


# ---------------------------------------------------------------------------
# Reading other tools' files (translate-toolkit)


_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    """As a unit is: white space folded (soft line breaks become spaces), NFC."""
    return unicodedata.normalize("NFC", _SPACE.sub(" ", text).strip())


def _lang(tag: str) -> tuple[str, str]:
    """``de-DE`` -> ("de", "de_de"); ``zh_Hans`` -> ("zh", "zh_hans")."""
    tag = tag.replace("-", "_").strip().lower()
    return tag.split("_")[0], tag


def matches(tag: str, code: str) -> bool:
    """Is a file's language tag this locale?  The same, or the same language where one of them names
    no region (``de`` takes ``de-DE`` and ``de-AT``; ``pt_BR`` does not take ``pt-PT``)."""
    language, full = _lang(tag)
    c_language, c_full = _lang(code.split("@")[0])
    if full == c_full:
        return True
    return language == c_language and ("_" not in full or "_" not in c_full)


def _toolkit(module: str, shown: str):
    """A module of ``translate.storage``; translate-toolkit (GPL-3.0-or-later) is an optional
    extra of this MIT package, needed only by ``tm import`` and ``tm export``."""
    import importlib

    try:
        return importlib.import_module(f"translate.storage.{module}")
    except ImportError as exc:
        raise HandoutsError(shown, "reading and writing TMX, PO and XLIFF needs translate-toolkit, an optional "
                                   "extra (GPL-3.0-or-later): python -m pip install 'handouts[tm]'") from exc


def read_external(path: Path, shown: str, codes: list[str], locale: str | None) -> dict[str, list[Pair]]:
    """The translated pairs of a TMX, PO or XLIFF file, by configured language.

    TMX: each unit's English variant (``xml:lang`` en, en-US, ...) with each configured language's
    variant.  PO and XLIFF: translated, non-fuzzy, non-plural units, in the language ``locale``
    names or, without it, the one the file declares.
    """
    factory = _toolkit("factory", shown)
    try:
        store = factory.getobject(str(path))
    except (ValueError, OSError, SyntaxError) as exc:
        raise HandoutsError(shown, f"not a file translate-toolkit can read as TMX, PO or XLIFF: {exc}") from exc
    except Exception as exc:  # lxml's XMLSyntaxError and the like: the file, not the program, is broken
        raise HandoutsError(shown, f"cannot read it: {type(exc).__name__}: {exc}") from exc
    wanted = [locale] if locale else codes
    found: dict[str, list[Pair]] = defaultdict(list)
    name = path.name
    if type(store).__name__ == "tmxfile":
        for unit in store.units:
            variants = []
            for node in unit.getlanguageNodes():
                tag = node.get("{http://www.w3.org/XML/1998/namespace}lang") or node.get("lang") or ""
                variants.append((tag, unit.getNodeText(node) or ""))
            english = next((_normal(text) for tag, text in variants if _lang(tag)[0] == "en"), "")
            if not english:
                continue
            tuid = unit.xmlelement.get("tuid")
            origin = f"{name}#{tuid}" if tuid else name
            for code in wanted:
                text = next((_normal(t) for tag, t in variants if t and matches(tag, code)), "")
                if text:
                    found[code].append(Pair(english, text, origin))
        return found
    declared = (store.gettargetlanguage() or "") if hasattr(store, "gettargetlanguage") else ""
    if locale is None:
        code = next((c for c in codes if declared and matches(declared, c)), None)
        if code is None:
            raise HandoutsError(shown, f"which language is it? it declares {declared or 'none'}"
                                       f"{'' if not declared else ', which is not in locale/LINGUAS'}; "
                                       "say it with --locale LANG")
    else:
        code = locale
    for unit in store.units:
        if unit.isheader() or unit.isobsolete() or unit.isfuzzy() or not unit.istranslated() or unit.hasplural():
            continue
        source, target = _normal(str(unit.source or "")), _normal(str(unit.target or ""))
        if source and target:
            found[code].append(Pair(source, target, name))
    return found


@dataclass(slots=True)
class Imported:
    """What an import did to one language's memory."""

    code: str
    added: int = 0
    replaced: int = 0
    same: int = 0
    written: bool = False


def import_file(locale_dir: Path, codes: list[str], path: Path, shown: str, locale: str | None, rel) -> list[Imported]:
    """Add a file's pairs to each language's memory.  Everything is read first, then written; a pair
    whose English is already there takes the new translation (the last import wins)."""
    if locale is not None and locale not in codes:
        raise HandoutsError("--locale", f"{locale} is not configured in locale/LINGUAS")
    if not path.is_file():
        raise HandoutsError(shown, "no such file")
    found = read_external(path, shown, codes, locale)
    if not any(found.values()):
        langs = locale or ", ".join(codes)
        raise HandoutsError(shown, f"no translated pair in a configured language ({langs}) with English")
    plans = []
    for code in sorted(found):
        target = memory_path(locale_dir, code)
        old = catalogs.load(target, rel(target))
        pairs = read_memory(locale_dir, code, rel)
        report = Imported(code)
        for pair in found[code]:
            known = pairs.get(pair.source)
            if known is None:
                report.added += 1
            elif known.target == pair.target:
                report.same += 1
                continue
            else:
                report.replaced += 1
            pairs[pair.source] = pair
        text = memory_text(code, pairs, old)
        catalogs.validate(pofile.parse(text, rel(target)))  # what is written is a valid catalog
        plans.append((report, target, text))
    for report, target, text in plans:
        target.parent.mkdir(parents=True, exist_ok=True)
        report.written = write_text(target, text)
    return [report for report, _, _ in plans]


# ---------------------------------------------------------------------------
# Export


def export_tmx(locale_dir: Path, code: str, domains: list[str], rel, date: dt.datetime | None = None,
               shown: str = "") -> tuple[bytes, int]:
    """Every translated, non-fuzzy, non-plural unit of the language's catalogs as TMX 1.4 bytes
    (each English once, with the first translation in document order; the document in a note).
    ``shown``: the file it is for, in messages."""
    tmx = _toolkit("tmx", shown or str(locale_dir / code))
    store = tmx.tmxfile(sourcelanguage="en", targetlanguage=code.replace("_", "-"))
    seen: set[str] = set()
    count = 0
    for domain in domains:
        path = catalogs.po_path(locale_dir, code, domain)
        catalog = catalogs.load(path, rel(path))
        if catalog is None:
            continue
        catalogs.validate(catalog)
        for entry in catalog.entries:
            if (entry.obsolete or "fuzzy" in entry.flags or entry.msgid_plural or not entry.msgstr
                    or entry.msgid in seen):
                continue
            seen.add(entry.msgid)
            unit = store.addsourceunit(entry.msgid)
            unit.target = entry.msgstr
            unit.addnote(f"{domain}: {', '.join(f'{f}:{n}' for f, n in entry.occurrences) or domain}")
            count += 1
    data = bytes(store)
    return _stable(data), count


def _stable(data: bytes) -> bytes:
    """translate-toolkit stamps each unit with the time; the export says the same for the same units."""
    return re.sub(rb' (creationdate|changedate)="[^"]*"', b"", data)


# ---------------------------------------------------------------------------
# Suggestions


_WORD = re.compile(r"\w+", re.UNICODE)


@functools.lru_cache(maxsize=1 << 17)
def _words(text: str) -> frozenset[str]:
    """A text's words, folded (kept: every language of a library indexes the same English)."""
    return frozenset(w.casefold() for w in _WORD.findall(text))


class _Ranking:
    """The texts similar to a unit's, over one set of translated English texts: their index of words and
    every answer given.  It depends on the texts alone, not on their translations, so languages
    translated as far as each other (a complete library: all of them) share one."""

    def __init__(self, texts: tuple[str, ...]):
        self.texts = texts
        index: dict[str, list[int]] = defaultdict(list)
        for number, text in enumerate(texts):
            for word in _words(text):
                index[word].append(number)
        self.index = index
        self.ranked: dict[str, list[tuple[float, str]]] = {}
        """English -> the similar texts (ratio, text), best first: asked once, whatever the document."""

    def __call__(self, msgid: str) -> list[tuple[float, str]]:
        ranked = self.ranked.get(msgid)
        if ranked is None:
            ranked = self.ranked[msgid] = self._rank(msgid)
        return ranked

    def _rank(self, msgid: str) -> list[tuple[float, str]]:
        """Texts at least SIMILARITY similar to ``msgid``, best first (ties: alphabetical)."""
        words = [w for w in _words(msgid) if 0 < len(self.index.get(w, ())) <= COMMON]
        if not words:
            return []
        shared: Counter = Counter()
        for word in words:
            shared.update(self.index[word])
        # a unit 75 % similar shares most of the words: compare only the few that share the most
        candidates = sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:CANDIDATES]
        found = []
        for number, _ in candidates:
            text = self.texts[number]
            if text == msgid:
                continue
            ratio = similarity(text, msgid)
            if ratio >= SIMILARITY:
                found.append((ratio, text))
        found.sort(key=lambda item: (-item[0], item[1]))
        return found


_RANKINGS: dict[tuple[str, ...], _Ranking] = {}
"""The last few rankings made (by their texts): a library's languages asked one after the other share them."""


def _ranking(texts: tuple[str, ...]) -> _Ranking:
    found = _RANKINGS.pop(texts, None)
    if found is None:
        found = _Ranking(texts)
    _RANKINGS[texts] = found
    while len(_RANKINGS) > 2:  # the update holds one language at a time: a couple of indexes, not sixteen
        del _RANKINGS[next(iter(_RANKINGS))]
    return found


class Suggester:
    """Suggestions for the units of one language: exact matches first, then the most similar.

    ``library`` holds the language's checked translations: English -> [(document, translation)]
    (or is a function that makes them, called on the first question: most updates ask none).
    ``memory`` is the language's imported pairs, read when first needed.  The index of words is
    made on the first request for a similar unit, so an update with nothing new pays nothing.
    """

    def __init__(self, code: str, library, memory):
        self.code = code
        self._library_source = library
        self._library: dict[str, list[tuple[str, str]]] | None = None if callable(library) else library
        self._memory_source = memory
        self._memory: dict[str, Pair] | None = None
        self._ranking: _Ranking | None = None

    @property
    def library(self) -> dict[str, list[tuple[str, str]]]:
        """The library's table (``library`` may be given as a function that makes it, on first use)."""
        if self._library is None:
            self._library = self._library_source()
        return self._library

    @property
    def memory(self) -> dict[str, Pair]:
        if self._memory is None:
            self._memory = self._memory_source()
        return self._memory

    def suggest(self, msgid: str, domain: str) -> Suggestion | None:
        found = next((text for d, text in self.library.get(msgid, ()) if d != domain), None)
        if found:
            return Suggestion(found, "pre-filled from another document's translation: check it")
        pair = self.memory.get(msgid)
        if pair is not None and _survives(msgid, pair.target, self.code):
            return Suggestion(pair.target, f"pre-filled from the translation memory ({pair.origin or 'memory.po'}): "
                                           "check it")
        return self._similar(msgid, domain)

    # -- the index ------------------------------------------------------------------

    def _similar(self, msgid: str, domain: str) -> Suggestion | None:
        if self._ranking is None:
            self._ranking = _ranking(tuple(sorted(set(self.library) | set(self.memory))))
        for ratio, text in self._ranking(msgid):  # the best whose translation is in another document (or the memory)
            translation, origin = self._translation(text, domain)
            if translation is not None:
                return Suggestion(translation, f"suggested from {origin} ({int(ratio * 100)} % similar "
                                               "English, shown as the previous msgid): check it", text)
        return None

    def _translation(self, text: str, domain: str) -> tuple[str | None, str]:
        found = next(((d, t) for d, t in self.library.get(text, ()) if d != domain), None)
        if found is not None:
            return found[1], f"{found[0]}.po"
        pair = self.memory.get(text)
        if pair is not None:
            return pair.target, f"the translation memory ({pair.origin or 'memory.po'})"
        return None, ""


_TOKEN = re.compile(r"\w+|[^\w\s]")


@functools.lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    """difflib's ratio over tokens (words, and each punctuation or markup character): 2·M/T, M the
    tokens in matching runs, T the tokens of both; 0 when its cheap upper bounds already say it is
    below SIMILARITY.  Over tokens, not characters: a long paragraph is compared in a fraction of
    a millisecond, and a changed word counts as one change.  Cached: every language of a library
    asks for the same English pairs."""
    matcher = difflib.SequenceMatcher(None, _TOKEN.findall(a), _TOKEN.findall(b), autojunk=False)
    if matcher.real_quick_ratio() < SIMILARITY or matcher.quick_ratio() < SIMILARITY:
        return 0.0
    return matcher.ratio()


def _survives(source: str, translation: str, code: str) -> bool:
    """Would a memory pair pass the checks that keep a translation out of a handout?"""
    from . import checks

    problems = checks.check_pair(source, translation, checks.Context(code), errors_only=True)
    return not any(p.check in _ERRORS_THAT_BLOCK for p in problems)
