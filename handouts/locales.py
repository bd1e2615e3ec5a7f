"""Languages: gettext locale codes, locale/LINGUAS, plural forms for new catalogs, BCP 47 tags.

A catalog's ``Plural-Forms`` is its translator's: only a catalog that is being
created takes one from here, and this table is committed data
(``data/plural-forms.csv``, GNU gettext's conventions first), so it does not move
when a newer Babel ships newer CLDR rules.
"""
from __future__ import annotations

import csv
import functools
import re
from pathlib import Path


from .documents import read_text, write_text
from .errors import HandoutsError

DATA = Path(__file__).resolve().parent / "data"

_CODE = re.compile(r"[a-z]{2,3}(?:_[A-Z][a-z]{3})?(?:_(?:[A-Z]{2}|[0-9]{3}))?(?:@[a-z]+)?")


def check_locale(code: str, where: str = "LANG", line: int | None = None) -> str:
    """Return ``code`` if it is a gettext locale Babel knows (``es``, ``zh_CN``, ``sr@latin``), else raise."""
    if not _CODE.fullmatch(code):
        hint = ""
        if re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*", code):
            parts = re.split(r"[-_]", code)
            guess = "_".join([parts[0].lower()] + [p.title() if len(p) == 4 else p.upper() for p in parts[1:]])
            hint = f" (did you mean {guess}?)"
        raise HandoutsError(where, f"malformed locale code {code!r}: use a gettext code such as es, pt_BR or zh_CN{hint}", line)
    from babel import localedata

    base, _, modifier = code.partition("@")
    parts = base.split("_")
    if modifier in _MODIFIER_SCRIPTS:
        parts.insert(1, _MODIFIER_SCRIPTS[modifier])
    if not localedata.exists("_".join(parts)) and not localedata.exists(parts[0]):
        raise HandoutsError(where, f"unknown locale {code!r}: Babel has no CLDR data for it", line)
    return code


def read_linguas(locale_dir: Path) -> list[str]:
    path = locale_dir / "LINGUAS"
    try:
        text = read_text(path)
    except HandoutsError:
        if not path.exists() and not path.is_symlink():
            return []
        raise
    codes = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        for code in line.split():
            codes.append(check_locale(code, str(path), number))
    return sorted(dict.fromkeys(codes))


def write_linguas(locale_dir: Path, codes: list[str]) -> bool:
    text = "# Languages the handouts are translated into (gettext codes), one per line.\n"
    text += "".join(f"{c}\n" for c in sorted(dict.fromkeys(codes)))
    return write_text(locale_dir / "LINGUAS", text)


# ---------------------------------------------------------------------------
# Plural forms of new catalogs


@functools.cache
def _plural_table() -> dict[str, str]:
    path = DATA / "plural-forms.csv"
    rows = [line for line in read_text(path).splitlines() if not line.startswith("#")]
    return {row["language"]: row["plural_forms"] for row in csv.DictReader(rows)}


def plural_forms(code: str) -> str:
    """The Plural-Forms a new catalog for ``code`` gets (GNU conventions; never from the installed Babel)."""
    table = _plural_table()
    base = code.split("@")[0]
    for key in (base, base.split("_")[0]):
        if key in table:
            return table[key]
    return "nplurals=2; plural=(n != 1);"


# ---------------------------------------------------------------------------
# Names and tags

# gettext's @modifiers and the BCP 47 subtags they stand for
_MODIFIER_SCRIPTS = {"latin": "Latn", "cyrillic": "Cyrl", "arabic": "Arab", "devanagari": "Deva",
                     "hebrew": "Hebr", "mongolian": "Mong", "shavian": "Shaw"}
_MODIFIER_VARIANTS = {"valencia": "valencia", "saaho": "saaho"}


def babel_locale(code: str):
    """The Babel locale of a gettext code; ``sr@latin`` is ``sr_Latn``."""
    from babel import Locale

    base, _, modifier = code.partition("@")
    if modifier in _MODIFIER_SCRIPTS:
        parts = base.split("_")
        base = "_".join([parts[0], _MODIFIER_SCRIPTS[modifier]] + parts[1:])
    return Locale.parse(base)


def bcp47(code: str) -> str:
    """The BCP 47 tag for ``lang=""``: ``pt_BR`` -> ``pt-BR``, ``sr@latin`` -> ``sr-Latn``, ``ca@valencia`` -> ``ca-valencia``."""
    base, _, modifier = code.partition("@")
    parts = base.split("_")
    if modifier in _MODIFIER_SCRIPTS:
        parts.insert(1, _MODIFIER_SCRIPTS[modifier])
    elif modifier in _MODIFIER_VARIANTS:
        parts.append(_MODIFIER_VARIANTS[modifier])
    elif modifier:
        parts.append(f"x-{modifier[:8]}")
    return "-".join(parts)


_SCRIPT_CLASSES = {"Arab": "arab", "Hans": "hans", "Hant": "hant", "Jpan": "jpan", "Kore": "kore", "Hebr": "hebr"}
_DEFAULT_SCRIPTS = {"ar": "Arab", "fa": "Arab", "ur": "Arab", "ps": "Arab", "zh": "Hans", "ja": "Jpan",
                    "ko": "Kore", "he": "Hebr", "yi": "Hebr"}


def language(code: str) -> dict:
    """What templates need to show a language: its code, BCP 47 tag, direction, names and script."""
    locale = babel_locale(code)
    name = locale.get_display_name(locale) or code
    name = name[:1].upper() + name[1:]
    script = locale.script or _DEFAULT_SCRIPTS.get(locale.language, "Latn")
    if locale.language == "zh" and (locale.script == "Hant" or locale.territory in ("TW", "HK", "MO")):
        script = "Hant"
    return {
        "code": code,
        "lang": bcp47(code),
        "dir": locale.text_direction,
        "name": name,
        "english_name": locale.get_display_name("en"),
        "script": _SCRIPT_CLASSES.get(script, "latn"),
    }
