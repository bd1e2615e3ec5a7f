"""Checks: named tests of one translation against its source, collected, never aborting.

Each check is a plain function ``check(source, translation, ctx) -> list[Problem]``
registered in CHECKS with its name and level.  ``error`` problems make
``python pipeline.py check`` exit 1 and keep the translation out of the handout;
``warning`` problems are reported only.

Numbers are compared by value, read with each language's own decimal and group
symbols (Babel's CLDR data): ``0.5 mg`` in English is ``0,5 mg`` in German, and
Arabic-Indic or full-width digits count as the digits they are.
"""
from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from pathlib import Path
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .pofile import FormatError, python_format
from .units import parse_inline, plain_text

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    check: str
    level: str
    message: str


@dataclass(frozen=True, slots=True)
class Context:
    locale: str
    python_format: bool = False
    """The entry is a template string with %(name)s placeholders."""
    glossary: tuple = ()
    """The language's glossary terms (``glossary.Term``); empty: no glossary check."""


# ---------------------------------------------------------------------------
# numbers


_DIGITS = re.compile(r"\d+(?:[.,\u00a0\u202f\u066b\u066c' ]\d+)*")
# spelled-out numbers a translation may use for a small number in the source, per language
SPELLED: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {1: ("one", "a", "an"), 2: ("two", "both"), 3: ("three",), 4: ("four",), 5: ("five",), 6: ("six",),
           7: ("seven",), 8: ("eight",), 9: ("nine",), 10: ("ten",), 12: ("twelve", "dozen")},
    "es": {1: ("un", "una", "uno"), 2: ("dos", "ambos", "ambas"), 3: ("tres",), 4: ("cuatro",), 5: ("cinco",),
           6: ("seis",), 7: ("siete",), 8: ("ocho",), 9: ("nueve",), 10: ("diez",), 12: ("doce",)},
    "fr": {1: ("un", "une"), 2: ("deux",), 3: ("trois",), 4: ("quatre",), 5: ("cinq",), 6: ("six",),
           7: ("sept",), 8: ("huit",), 9: ("neuf",), 10: ("dix",), 12: ("douze",)},
    "de": {1: ("ein", "eine", "einen", "einem", "einer", "eins"), 2: ("zwei", "beide"), 3: ("drei",),
           4: ("vier",), 5: ("fünf",), 6: ("sechs",), 7: ("sieben",), 8: ("acht",), 9: ("neun",),
           10: ("zehn",), 12: ("zwölf",)},
    "ar": {1: ("واحد", "واحدة"), 2: ("اثنان", "اثنين", "اثنتان", "اثنتين"), 3: ("ثلاث", "ثلاثة"),
           4: ("أربع", "أربعة"), 5: ("خمس", "خمسة"), 6: ("ست", "ستة"), 7: ("سبع", "سبعة"),
           8: ("ثماني", "ثمانية"), 9: ("تسع", "تسعة"), 10: ("عشر", "عشرة")},
    "zh": {1: ("一",), 2: ("二", "两"), 3: ("三",), 4: ("四",), 5: ("五",), 6: ("六",), 7: ("七",),
           8: ("八",), 9: ("九",), 10: ("十",), 12: ("十二",)},
}


_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")


def _ascii_digits(text: str) -> str:
    """Arabic-Indic, full-width and other decimal digits written as 0-9."""
    if text.isascii():
        return text
    return _NON_ASCII_DIGIT.sub(lambda m: str(unicodedata.digit(m.group())), text)


def number_symbols(locale: str) -> tuple[str, str]:
    """The decimal and group symbols ``locale`` writes numbers with (from Babel's locale data)."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    try:
        return get_decimal_symbol(locale), get_group_symbol(locale)
    except Exception:  # noqa: BLE001 - an unusual locale: fall back to English conventions
        return ".", ","


KNOWN_SYMBOLS: dict[str, tuple[str, str]] = {}
"""locale -> ``number_symbols(locale)``, already looked up: the build keeps them between runs, since
loading a locale's data from Babel costs more than checking a document's translations."""


@functools.lru_cache(maxsize=None)
def _symbols(locale: str) -> tuple[str, str]:
    return KNOWN_SYMBOLS.get(locale) or number_symbols(locale)


@functools.lru_cache(maxsize=65536)
def numbers_in(text: str, locale: str) -> tuple[Decimal, ...]:
    """Every number written with digits in ``text``, by value, read the way ``locale`` writes them."""
    text = _ascii_digits(text)
    decimal, group = _symbols(locale)
    values = []
    for m in _DIGITS.finditer(text):
        raw = m.group()
        values.extend(_read_number(raw, decimal, group))
    return tuple(values)


def _read_number(raw: str, decimal: str, group: str) -> list[Decimal]:
    # a space-like or apostrophe separator groups thousands only when followed by exactly 3 digits
    parts = re.split(r"([.,\u00a0\u202f\u066b\u066c' ])", raw)
    numbers, current = [], parts[0]
    for sep, chunk in zip(parts[1::2], parts[2::2]):
        if sep in (decimal, "\u066b") and "." not in current:
            current += "." + chunk
        elif (sep == group or sep in "\u00a0\u202f\u066c'" or (sep == "," and group == "\u00a0")) and len(chunk) == 3 and "." not in current:
            current += chunk
        elif sep == " ":
            numbers.append(current)
            current = chunk
        else:  # "4,6" in English is a list, "4.6" in German a date or a typo: keep both numbers
            numbers.append(current)
            current = chunk
    numbers.append(current)
    out = []
    for n in numbers:
        try:
            out.append(Decimal(n).normalize())
        except InvalidOperation:
            continue
    return out


def _spelled(text: str, locale: str, value: Decimal) -> bool:
    if locale.split("_")[0] == "ar" and value in (1, 2):
        return True  # Arabic says one and two with the singular and dual of the noun: "قرصين" is "2 tablets"
    words = SPELLED.get(locale.split("_")[0], {}).get(int(value)) if value == value.to_integral() else None
    if not words:
        return False
    lowered = text.lower()
    if locale.startswith("zh"):
        return any(w in lowered for w in words)
    tokens = set(re.findall(r"\w+", lowered))
    return any(w in tokens for w in words)


# a decade named in words ("in the sixties") is written with digits in many languages:
# "1960er-Jahre", "années 1960", "20世纪60年代"
_DECADES = {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60,
            "seventies": 70, "eighties": 80, "nineties": 90}


def _decade_values(source: str) -> set[Decimal]:
    values: set[Decimal] = set()
    for word in re.findall(r"[a-z]+", source.lower()):
        if word in _DECADES:
            d = _DECADES[word]
            values |= {Decimal(d), Decimal(1900 + d), Decimal(19), Decimal(20)}
    return values


def _strip_placeholders(text: str, ctx: Context) -> str:
    return _PLACEHOLDER.sub(" ", text) if ctx.python_format else text


_ANY_DIGIT = re.compile(r"\d")


def check_numbers(source: str, translation: str, ctx: Context) -> list[Problem]:
    if _ANY_DIGIT.search(source) is None and _ANY_DIGIT.search(translation) is None:
        return []  # no number on either side (every digit numbers_in reads is a \d)
    source, translation = _strip_placeholders(source, ctx), _strip_placeholders(translation, ctx)
    src = Counter(numbers_in(source, "en"))
    dst = Counter(numbers_in(translation, ctx.locale))
    missing = src - dst
    extra = dst - src
    for value in list(missing):
        if _spelled(translation, ctx.locale, value):
            del missing[value]
    decades = _decade_values(source)
    for value in list(extra):
        if _spelled(source, "en", value) or value in decades:
            del extra[value]
    if not missing and not extra:
        return []
    return [Problem("numbers", ERROR,
                    f"source has {_list(src.elements()) or 'no number'}, translation has {_list(dst.elements()) or 'no number'}")]


def _list(values) -> str:
    return ", ".join(_fmt(v) for v in values)


def _fmt(value: Decimal) -> str:
    return format(value, "f")


# ---------------------------------------------------------------------------
# units


UNITS = ("mg", "mcg", "µg", "μg", "kg", "g", "ml", "mL", "l", "L", "mmol", "mmHg", "IU", "°C", "°F", "%", "cm", "mm")
# how some languages write a unit symbol instead
UNIT_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "ar": {"mg": ("ملغ", "مغ", "ملليغرام", "مليغرام"), "ml": ("مل", "ملل", "مليلتر"), "kg": ("كغ", "كجم", "كيلوغرام"),
           "g": ("غ", "غرام", "جم"), "mmHg": ("ملم زئبق", "مم زئبق")},
    "zh": {"mg": ("毫克",), "ml": ("毫升",), "mL": ("毫升",), "kg": ("千克", "公斤"), "g": ("克",),
           "mcg": ("微克",), "µg": ("微克",), "mmHg": ("毫米汞柱",), "%": ("％",)},
}
_UNIT = re.compile(r"(?<=[\d\s\u00a0\u202f])(" + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + r")(?![A-Za-z])")


@functools.lru_cache(maxsize=16384)
def _units_in(text: str) -> Counter:
    """The unit symbols of an English text (each language asks for the same sources): not to be changed."""
    return Counter(_UNIT.findall(_ascii_digits(text)))


def check_units(source: str, translation: str, ctx: Context) -> list[Problem]:
    src = _units_in(_strip_placeholders(source, ctx))
    if not src:
        return []
    translation = _strip_placeholders(translation, ctx)
    dst_text = _ascii_digits(translation)
    dst = Counter(_UNIT.findall(dst_text))
    names = UNIT_NAMES.get(ctx.locale.split("_")[0], {})
    problems = []
    for unit, count in src.items():
        have = dst.get(unit, 0) + sum(dst_text.count(n) for n in names.get(unit, ()))
        if unit in ("ml", "mL", "l", "L"):
            have = sum(dst.get(u, 0) for u in ("ml", "mL") if unit.lower() == "ml") or have
        if have < count:
            problems.append(Problem("units", ERROR, f"source has {count} × {unit}, translation has {have}"))
    return problems


# ---------------------------------------------------------------------------
# markup and links


SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")




_NO_MARKUP = (Counter(), Counter(), Counter(), Counter())


@functools.lru_cache(maxsize=8192)
def _markup(text: str):
    """(kinds of markup, link targets, image sources, inline code) of a text, counted: not to be changed.
    (Asked of each text by two checks, the English one by every language.)"""
    if plain_text(text):
        return _NO_MARKUP  # one text token, as ``parse_inline`` says: no markup
    return _parsed_markup(text)


@functools.lru_cache(maxsize=8192)
def _parsed_markup(text: str):
    tokens = parse_inline(text)
    kinds = Counter(t.type for t in tokens if t.type in ("strong_open", "em_open", "link_open", "image", "hardbreak"))
    hrefs = Counter(str(t.attrs.get("href", "")) for t in tokens if t.type == "link_open")
    images = Counter(str(t.attrs.get("src", "")) for t in tokens if t.type == "image")
    code = Counter(t.content for t in tokens if t.type == "code_inline")
    return kinds, hrefs, images, code


_NAMES = {"strong_open": "bold", "em_open": "emphasis", "link_open": "link", "image": "image", "hardbreak": "line break"}


def check_markup(source: str, translation: str, ctx: Context) -> list[Problem]:
    source_markup, translation_markup = _markup(source), _markup(translation)
    if source_markup is _NO_MARKUP and translation_markup is _NO_MARKUP:
        return []  # plain text on both sides, the most common case
    s_kinds, s_hrefs, s_images, s_code = source_markup
    d_kinds, d_hrefs, d_images, d_code = translation_markup
    problems = []
    for kind in sorted(set(s_kinds) | set(d_kinds)):
        if s_kinds[kind] != d_kinds[kind]:
            problems.append(Problem("markup", ERROR,
                                    f"source has {s_kinds[kind]} {_NAMES[kind]}, translation has {d_kinds[kind]}"))
    if s_code != d_code:
        problems.append(Problem("markup", ERROR, "inline code must be copied unchanged: "
                                f"source has {_list_str(s_code)}, translation has {_list_str(d_code)}"))
    return problems


def _list_str(counter: Counter) -> str:
    return ", ".join(f"`{k}`" for k in sorted(counter.elements())) or "none"


# what looks like a Markdown link or image in the raw text, whether Markdown reads it as one or not
_LINK_SYNTAX = re.compile(r"\]\(\s*<?([^\s)>]*)")


def check_links(source: str, translation: str, ctx: Context) -> list[Problem]:
    source_markup, translation_markup = _markup(source), _markup(translation)
    if source_markup is _NO_MARKUP and translation_markup is _NO_MARKUP and "](" not in translation \
            and "](" not in source:
        return []  # no link on either side, read or unread (``_LINK_SYNTAX`` needs "](")
    _, s_hrefs, s_images, _ = source_markup
    _, d_hrefs, d_images, _ = translation_markup
    problems = []
    raw_targets = [m.group(1) for m in _LINK_SYNTAX.finditer(translation)]
    for href in sorted(set(d_hrefs) | set(d_images) | set(raw_targets)):
        if ":" in href.split("/")[0] and not href.lower().startswith(SAFE_SCHEMES):
            problems.append(Problem("links", ERROR, f"link target {href!r} uses a scheme other than http, https, mailto or tel"))
    unread = len(raw_targets) - sum(d_hrefs.values()) - sum(d_images.values())
    unread_in_source = len(_LINK_SYNTAX.findall(source)) - sum(s_hrefs.values()) - sum(s_images.values())
    if unread > unread_in_source:
        problems.append(Problem("links", ERROR, "link syntax that Markdown does not read as a link (a malformed "
                                                "or refused target): it would print as literal brackets and URL"))
    if s_hrefs != d_hrefs:
        problems.append(Problem("links", ERROR, f"link targets differ: source has {_targets(s_hrefs)}, translation has {_targets(d_hrefs)}"))
    if s_images != d_images:
        problems.append(Problem("links", ERROR, f"images differ: source has {_targets(s_images)}, translation has {_targets(d_images)}"))
    return problems


def _targets(counter: Counter) -> str:
    return ", ".join(sorted(counter.elements())) or "none"


# ---------------------------------------------------------------------------
# placeholders (template strings)


_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifgeEGxXcr%]")


def placeholders(text: str) -> Counter:
    return Counter(m.group(0) for m in _PLACEHOLDER.finditer(text))


def check_placeholders(source: str, translation: str, ctx: Context) -> list[Problem]:
    if not ctx.python_format:
        return []
    try:
        python_format(translation)
    except FormatError as exc:
        return [Problem("placeholders", ERROR, f"not a valid Python format string: {exc} (write a percent sign as %%)")]
    src, dst = placeholders(source), placeholders(translation)
    if src == dst:
        return []
    return [Problem("placeholders", ERROR,
                    f"source has {_list_str_plain(src)}, translation has {_list_str_plain(dst)}")]


def _list_str_plain(counter: Counter) -> str:
    return " ".join(sorted(counter.elements())) or "none"


# ---------------------------------------------------------------------------
# warnings


def check_untranslated(source: str, translation: str, ctx: Context) -> list[Problem]:
    words = re.findall(r"[^\W\d_]{2,}", source)
    if translation.strip() == source.strip() and len(words) >= 2:
        return [Problem("untranslated", WARNING, "translation is a copy of the English source")]
    return []


_END = {".": ".。۔", "?": "?？؟", "!": "!！", ":": ":：", ";": ";；؛", "…": "…"}


def check_endpunc(source: str, translation: str, ctx: Context) -> list[Problem]:
    s = source.rstrip()[-1:] if source.strip() else ""
    d = translation.rstrip().rstrip("\u00a0\u202f")[-1:] if translation.strip() else ""
    s_class = next((k for k, v in _END.items() if s in v), None) if s else None
    d_class = next((k for k, v in _END.items() if d in v), None) if d else None
    if s_class == d_class:
        return []
    return [Problem("endpunc", WARNING,
                    f"source ends with {s!r}, translation ends with {d!r}")]


def check_length(source: str, translation: str, ctx: Context) -> list[Problem]:
    if len(source) < 20:
        return []
    ratio = len(translation) / len(source)
    low, high = (0.15, 1.5) if ctx.locale.split("_")[0] in ("zh", "ja", "ko") else (0.5, 2.5)
    if low <= ratio <= high:
        return []
    return [Problem("length", WARNING, f"translation is {ratio:.0%} of the source's length (expected {low:.0%}–{high:.0%})")]


# ---------------------------------------------------------------------------
# line breaks that GNU msgfmt insists on


def check_newline(source: str, translation: str, ctx: Context) -> list[Problem]:
    problems = []
    for edge, s, t in (("begin", source.startswith("\n"), translation.startswith("\n")),
                       ("end", source.endswith("\n"), translation.endswith("\n"))):
        if s != t:
            problems.append(Problem("newline", ERROR,
                                    f"the English {'does' if s else 'does not'} {edge} with a line break (\\n) but the "
                                    f"translation {'does' if t else 'does not'}; GNU msgfmt rejects such a catalog"))
    return problems


# ---------------------------------------------------------------------------
# negations: "Do not take" must not become "Take"

_EN_NEGATION = re.compile(r"\b(?:not|no|never|none|nothing|nobody|neither|nor|without|cannot)\b|n['’]t\b", re.I)
# "no more than 4 doses" is a limit, not a negation; many languages say "at most"
_EN_LIMIT = re.compile(r"\b(?:no|not)\s+(?:more|less|longer|later|fewer|earlier|sooner)\s+than\b", re.I)
NEGATIONS: dict[str, re.Pattern] = {
    "es": re.compile(r"\b(?:no|nunca|jamás|sin|ni|ningún|ninguna|ninguno|nada|nadie|tampoco)\b", re.I),
    "fr": re.compile(r"\b(?:ne|pas|jamais|sans|aucun|aucune|ni|non|rien|personne|nul|nulle)\b|\bn['’]", re.I),
    "de": re.compile(r"\b(?:nicht|nichts|nie|niemals|ohne|weder|niemand|kein\w*)\b", re.I),
    "pt": re.compile(r"\b(?:não|nunca|jamais|sem|nem|nenhum|nenhuma|nada|ninguém)\b", re.I),
    "it": re.compile(r"\b(?:non|mai|senza|né|nessuno|nessuna|niente|nulla)\b", re.I),
    "ar": re.compile(r"(?:^|[\s(«\"])[وف]?(?:لا|لم|لن|ليس|ليست|ليسوا|غير|بدون|دون|بلا|عدم|إلا|ما)(?=$|[\s.,،؛:!؟)»\"])"),
    "zh": re.compile(r"[不没沒别別勿未无無非禁否莫]"),
}


@functools.lru_cache(maxsize=16384)
def _english_negation(text: str) -> str | None:
    m = _EN_NEGATION.search(_EN_LIMIT.sub(" ", text))
    return m.group(0) if m else None


def check_negation(source: str, translation: str, ctx: Context) -> list[Problem]:
    pattern = NEGATIONS.get(_language(ctx.locale))
    word = _english_negation(source) if pattern is not None else None
    if word is None or pattern.search(translation):
        return []
    return [Problem("negation", ERROR, f"the English says {word!r} but the translation has no negation: "
                                       "a warning may have become an instruction")]


def _language(locale: str) -> str:
    return locale.split("@")[0].split("_")[0]


# ---------------------------------------------------------------------------
# drug names: the same medicine, by any of its spellings

_RULES = Path(__file__).resolve().parent / "rules"
_DATA = Path(__file__).resolve().parent / "data"
_ENDINGS = ("ium", "ine", "ina", "ino", "eno", "ene", "um", "io", "ia", "in", "en", "e", "a", "o")


def _fold(word: str) -> str:
    """A spelling-independent key: accents off, ph/th/k/y written one way, a language's ending off."""
    w = "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))
    w = w.replace("ph", "f").replace("th", "t").replace("k", "c").replace("y", "i").replace("ae", "e")
    for end in _ENDINGS:
        if w.endswith(end) and len(w) - len(end) >= 4:
            return w[: -len(end)]
    return w


@functools.cache
def _drugs() -> tuple[dict[str, str], dict, dict]:
    """(folded spelling -> generic name), names of the same substance, names in other scripts per language."""
    names: dict[str, str] = {}
    for line in (_RULES / "drugs.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.setdefault(_fold(line), line)
    table = tomllib.loads((_DATA / "drug-names.toml").read_text(encoding="utf-8"))
    same = table.pop("same", {})
    return names, same, table


_WORD = re.compile(r"[^\W\d_]+")


@functools.cache
def _stems() -> tuple[frozenset[str], tuple[int, ...]]:
    """How a drug's name starts, spelled as ``_fold`` spells (its first four letters), and the
    lengths of those starts (4, unless a name is shorter)."""
    stems = frozenset(key[:4] for key in _drugs()[0])
    return stems, tuple(sorted({len(s) for s in stems}))


_RUN = re.compile(r"\w+")


def _mark_patterns() -> tuple[re.Pattern, re.Pattern]:
    """Two expressions that together find every combining mark (``unicodedata.combining``), as it
    says, at C speed for Latin text: the marks NFD leaves of a Latin letter's accents (U+0300 to
    U+036F, each asked here once), and every character outside the ranges found to hold none
    (asked one by one)."""
    marks = "".join(chr(c) for c in range(0x300, 0x370) if unicodedata.combining(chr(c)))
    safe = [(0x0, 0x2FF), (0x300, 0x36F), (0x2000, 0x206F), (0x20A0, 0x20CF)]
    safe = [(a, b) for a, b in safe if (a, b) == (0x300, 0x36F)  # (what is not a mark there stays: U+034F)
            or not any(unicodedata.combining(chr(c)) for c in range(a, b + 1))]
    other = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in safe)
    return re.compile(f"[{re.escape(marks)}]"), re.compile(f"[^{other}]")


_LATIN_MARKS, _MAYBE_MARK = _mark_patterns()


def _no_mark(m: re.Match) -> str:
    c = m.group()
    return "" if unicodedata.combining(c) else c


def _plain(text: str) -> str:
    """Lower case, accents off, spelled as ``_fold`` spells (a cheap whole-text pass)."""
    if not text.isascii():
        # a Python step per character took a third of the drug check: the accents of Latin letters go in
        # one C pass; only characters of other scripts and symbols are asked one by one
        text = _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text))
        if _MAYBE_MARK.search(text) is not None:
            text = _MAYBE_MARK.sub(_no_mark, text)
    return text.lower().replace("ph", "f").replace("th", "t").replace("k", "c").replace("y", "i").replace("ae", "e")


@functools.lru_cache(maxsize=16384)
def drug_mentions(text: str) -> frozenset[str]:
    """Generic names of the drugs ``text`` names in Latin script, whatever the language's spelling."""
    names = _drugs()[0]
    stems, lengths = _stems()
    words = _RUN.findall(_plain(text))
    # most texts name no drug: one look at every word's start tells (a set's C loop, not a
    # regular expression of 357 alternatives tried at every word, which took 2.5 times as long)
    if all(stems.isdisjoint([w[:n] for w in words]) for n in lengths):
        return frozenset()
    found = set()
    for word in words:
        if any(word[:n] in stems for n in lengths):
            key = _fold(word)
            if key in names:
                found.add(names[key])
    return frozenset(found)


def check_drugs(source: str, translation: str, ctx: Context) -> list[Problem]:
    _, same, scripts = _drugs()
    wanted = drug_mentions(source)
    have = drug_mentions(translation)
    local = scripts.get(_language(ctx.locale), {})
    latin = re.search(r"[A-Za-z]{3}", translation) is not None
    words = None
    problems = []
    for drug in sorted(wanted):
        names = {drug, *same.get(drug, ())}
        if names & have or any(n in translation for d in names for n in local.get(d, ())):
            continue
        if words is None:
            words = [_fold(w) for w in _WORD.findall(_plain(translation))]
        if any(w.startswith(_fold(d)) for d in names for w in words):
            continue  # a compound: "Ketamintherapie"
        if not latin and not any(local.get(d) for d in names):
            continue  # another script, and no spelling of this drug in it on file: cannot tell
        problems.append(Problem("drugs", ERROR, f"the English names {drug!r}; the translation does not"))
    for drug in sorted(have - wanted):
        if not any(drug in same.get(w, ()) for w in wanted):
            problems.append(Problem("drugs", ERROR, f"the translation names {drug!r}, which the English does not"))
    return problems


# ---------------------------------------------------------------------------
# the glossary: agreed terms


def check_glossary(source: str, translation: str, ctx: Context) -> list[Problem]:
    from .glossary import missing

    return [Problem("glossary", WARNING, f'"{t.source}" should be translated "{t.target}"'
                                         + (f" ({t.note})" if t.note else ""))
            for t in missing(ctx.glossary, source, translation)] if ctx.glossary else []


CHECKS: list[tuple[str, str, Callable[[str, str, Context], list[Problem]]]] = [
    ("numbers", ERROR, check_numbers),
    ("units", ERROR, check_units),
    ("markup", ERROR, check_markup),
    ("links", ERROR, check_links),
    ("placeholders", ERROR, check_placeholders),
    ("newline", ERROR, check_newline),
    ("negation", ERROR, check_negation),
    ("drugs", ERROR, check_drugs),
    ("untranslated", WARNING, check_untranslated),
    ("endpunc", WARNING, check_endpunc),
    ("length", WARNING, check_length),
    ("glossary", WARNING, check_glossary),
]


def check_pair(source: str, translation: str, ctx: Context, errors_only: bool = False) -> list[Problem]:
    problems: list[Problem] = []
    for check in _ERROR_CHECKS if errors_only else _ALL_CHECKS:
        found = check(source, translation, ctx)
        if found:
            problems += found
    return problems


_ALL_CHECKS = tuple(check for _, _, check in CHECKS)
_ERROR_CHECKS = tuple(check for _, level, check in CHECKS if level == ERROR)


@functools.lru_cache(maxsize=256)
def _context(locale: str, python_format: bool, glossary: tuple) -> Context:
    return Context(locale, python_format=python_format, glossary=glossary)


def check_entry(entry, locale: str, nplurals: int | None, glossary: tuple = (),
                errors_only: bool = False) -> list[Problem]:
    """Every problem of one polib entry (fuzzy, obsolete and empty entries have none).

    ``errors_only``: skip the warning-level checks (what a build needs to decide what prints).
    """
    if entry.obsolete or "fuzzy" in entry.flags:
        return []
    ctx = _context(locale, "python-format" in entry.flags, glossary)  # one per language, not one per entry
    if entry.msgid_plural:
        problems = []
        forms = entry.msgstr_plural
        if nplurals is not None and len(forms) != nplurals:
            problems.append(Problem("plurals", ERROR, f"{len(forms)} plural forms, the language has {nplurals}"))
        if not any(forms.values()):
            return problems
        for index in sorted(forms):
            text = forms[index]
            if not text:
                problems.append(Problem("plurals", ERROR, f"plural form {index} is empty"))
                continue
            source = entry.msgid if index == 0 and nplurals != 1 else entry.msgid_plural
            for p in check_pair(source, text, ctx, errors_only):
                problems.append(Problem(p.check, p.level, f"msgstr[{index}]: {p.message}"))
        return problems
    if not entry.msgstr:
        return []
    return check_pair(entry.msgid, entry.msgstr, ctx, errors_only)

