"""Catalogs: units -> gettext templates (.pot) and per-language catalogs (.po).

Layout (GNU gettext's):

    locale/LINGUAS                               the configured languages, one per line
    locale/<document>.pot                        template per document
    locale/<lang>/LC_MESSAGES/<document>.po      what translators edit

Updating a catalog never loses a translator's work: an entry whose unit is
unchanged keeps its translation; an entry whose unit changed keeps its old
translation marked fuzzy with the previous msgid (``#| msgid``), like GNU
msgmerge; an entry whose unit vanished is kept as obsolete (``#~``).  Output is
deterministic: no creation dates, stable order, polib's standard wrapping, and
a file is only rewritten when its bytes change.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import polib
from babel import Locale, UnknownLocaleError
from babel.messages.plurals import get_plural

from .documents import read_text, write_text
from .errors import HandoutsError
from .powrap import rewrap
from .units import Unit

PROJECT = "handouts"
WRAP = 79
FUZZY_THRESHOLD = 0.6
SHIPPED_DATE = "2026-11-24 00:00+0000"
UI_DOMAIN = "handouts"
"""Catalog of the handout's own words (templates), beside one catalog per document."""


# ---------------------------------------------------------------------------
# Languages


_CODE = re.compile(r"[a-z]{2,3}(?:_[A-Z][a-z]{3})?(?:_(?:[A-Z]{2}|[0-9]{3}))?(?:@[a-z]+)?")


def check_locale(code: str, where: str = "LANG", line: int | None = None) -> str:
    """Return ``code`` if it is a gettext locale Babel knows (``es``, ``zh_CN``), else raise."""
    if not _CODE.fullmatch(code):
        hint = ""
        if re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*", code):
            parts = re.split(r"[-_]", code)
            guess = "_".join([parts[0].lower()] + [p.title() if len(p) == 4 else p.upper() for p in parts[1:]])
            hint = f" (did you mean {guess}?)"
        raise HandoutsError(where, f"malformed locale code {code!r}: use a gettext code such as es, pt_BR or zh_CN{hint}", line)
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError) as exc:
        raise HandoutsError(where, f"unknown locale {code!r}: Babel has no CLDR data for it", line) from exc
    return code


def read_linguas(locale_dir: Path) -> list[str]:
    path = locale_dir / "LINGUAS"
    if not path.exists():
        return []
    codes = []
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        for code in line.split():
            codes.append(check_locale(code, str(path), number))
    return sorted(dict.fromkeys(codes))


def write_linguas(locale_dir: Path, codes: list[str]) -> bool:
    text = "# Languages the handouts are translated into (gettext codes), one per line.\n"
    text += "".join(f"{c}\n" for c in sorted(dict.fromkeys(codes)))
    return write_text(locale_dir / "LINGUAS", text)


def plural_forms(code: str) -> str:
    plural = get_plural(code)
    return f"nplurals={plural.num_plurals}; plural={plural.plural_expr};"


# ---------------------------------------------------------------------------
# Building and merging


@dataclass(frozen=True, slots=True)
class Message:
    """A message for a template: a unit of a document or a string of the templates."""

    msgid: str
    locations: tuple[tuple[str, int], ...]
    comment: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None


def messages_from_units(path: str, units: list[Unit]) -> list[Message]:
    """Merge repeated units (same text) into one message with several locations."""
    merged: dict[str, Message] = {}
    for unit in units:
        old = merged.get(unit.msgid)
        if old is None:
            merged[unit.msgid] = Message(unit.msgid, ((path, unit.line),), unit.comment)
        else:
            comment = old.comment if unit.comment in old.comment.split("; ") else f"{old.comment}; {unit.comment}"
            merged[unit.msgid] = Message(unit.msgid, old.locations + ((path, unit.line),), comment)
    return list(merged.values())


def _header(pofile: polib.POFile, code: str | None, domain: str, old: polib.POFile | None) -> None:
    keep = old.metadata if old is not None else {}
    meta = {
        "Project-Id-Version": f"{PROJECT} {domain}",
        "Report-Msgid-Bugs-To": keep.get("Report-Msgid-Bugs-To", ""),
        "PO-Revision-Date": keep.get("PO-Revision-Date", "YEAR-MO-DA HO:MI+ZONE" if code is None else SHIPPED_DATE),
        "Last-Translator": keep.get("Last-Translator", "FULL NAME <EMAIL@ADDRESS>" if code is None else "Handouts translators <translators@handouts.invalid>"),
        "Language-Team": keep.get("Language-Team", "LANGUAGE <LL@li.org>" if code is None else f"{Locale.parse(code).english_name} <translators@handouts.invalid>"),
        "Language": code or "",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    if code is not None:
        meta["Plural-Forms"] = plural_forms(code)
    pofile.metadata = meta
    pofile.header = (
        f"{domain}: translations of the handout text.\n"
        "Generated by `python pipeline.py update`; translators edit msgstr lines only."
        if code is not None else
        f"{domain}: template generated by `python pipeline.py update`. Do not edit."
    )
    if code is None:
        pofile.metadata_is_fuzzy = True


def _new_pofile() -> polib.POFile:
    pofile = polib.POFile(wrapwidth=WRAP, check_for_duplicates=False)
    pofile.encoding = "utf-8"
    return pofile


def _entry(msg: Message) -> polib.POEntry:
    entry = polib.POEntry(
        msgid=msg.msgid,
        msgstr="",
        occurrences=[(p, str(l)) for p, l in msg.locations],
        comment=msg.comment,
        msgctxt=msg.msgctxt,
    )
    if msg.msgid_plural:
        entry.msgid_plural = msg.msgid_plural
        entry.msgstr_plural = {}
    if "%(" in msg.msgid:
        entry.flags.append("python-format")
    return entry


def build_template(domain: str, messages: list[Message]) -> polib.POFile:
    pot = _new_pofile()
    _header(pot, None, domain, None)
    for msg in messages:
        pot.append(_entry(msg))
    return pot


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def merge(pot: polib.POFile, old: polib.POFile | None, code: str, domain: str,
          memory: dict[str, str] | None = None) -> polib.POFile:
    """A catalog for ``code`` with the template's entries and the old catalog's work.

    ``memory`` maps source text to translations from the language's other catalogs:
    a new unit found there is pre-filled, marked fuzzy.
    """
    po = _new_pofile()
    _header(po, code, domain, old)
    nplurals = get_plural(code).num_plurals
    previous = {(_key(e)): e for e in (old or []) if not e.obsolete}
    previous.update({_key(e): e for e in (old.obsolete_entries() if old else []) if _key(e) not in previous})
    used: set[tuple[str | None, str]] = set()  # old entries whose work now sits in an active entry
    pending = []
    for tmpl in pot:
        entry = polib.POEntry(
            msgid=tmpl.msgid, msgctxt=tmpl.msgctxt, msgstr="",
            occurrences=list(tmpl.occurrences), comment=tmpl.comment, flags=list(tmpl.flags),
        )
        if tmpl.msgid_plural:
            entry.msgid_plural = tmpl.msgid_plural
            entry.msgstr_plural = {i: "" for i in range(nplurals)}
        match = previous.get(_key(tmpl))
        if match is not None:
            used.add(_key(match))
            # the translator's flags, in their order, then any new ones of the template
            entry.flags = list(match.flags) + [f for f in tmpl.flags if f not in match.flags]
            _carry(match, entry, fuzzy=("fuzzy" in match.flags))
            if "fuzzy" in match.flags and match.previous_msgid:
                entry.previous_msgid = match.previous_msgid
        else:
            pending.append(entry)
        po.append(entry)
    # a changed unit: offer the closest unused old translation, marked fuzzy
    candidates = [e for e in previous.values() if _key(e) not in used and _translated(e)]
    for entry in pending:
        best, best_ratio = None, FUZZY_THRESHOLD
        for cand in candidates:
            if _key(cand) in used or bool(cand.msgid_plural) != bool(entry.msgid_plural):
                continue
            matcher = difflib.SequenceMatcher(None, cand.msgid, entry.msgid, autojunk=False)
            if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                best, best_ratio = cand, ratio
        if best is not None:
            used.add(_key(best))
            _carry(best, entry, fuzzy=True)
            entry.previous_msgid = best.msgid
            if best.msgctxt != entry.msgctxt:
                entry.previous_msgctxt = best.msgctxt
        elif memory and not entry.msgid_plural and memory.get(entry.msgid):
            entry.msgstr = memory[entry.msgid]
            entry.flags.insert(0, "fuzzy")
            entry.tcomment = "pre-filled from another document's translation: check it"
    # vanished units: keep the work as obsolete entries, in their old order, even when it
    # was also offered (fuzzy) to an edited unit, so that it comes back, not fuzzy, with its passage
    active = {_key(e) for e in po}
    kept: set[tuple[str | None, str]] = set()
    for old_entry in (old or []):
        if _key(old_entry) in active or _key(old_entry) in kept or not _translated(old_entry):
            continue
        gone = polib.POEntry(
            msgid=old_entry.msgid, msgctxt=old_entry.msgctxt, msgstr=old_entry.msgstr,
            tcomment=old_entry.tcomment, flags=list(old_entry.flags), obsolete=True,
        )
        if old_entry.msgid_plural:
            gone.msgid_plural = old_entry.msgid_plural
            gone.msgstr_plural = dict(old_entry.msgstr_plural)
        kept.add(_key(old_entry))
        po.append(gone)
    return po


def _translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return any(v for v in entry.msgstr_plural.values())
    return bool(entry.msgstr)


def _carry(src: polib.POEntry, dst: polib.POEntry, fuzzy: bool) -> None:
    if dst.msgid_plural:
        n = len(dst.msgstr_plural)
        values = dict(src.msgstr_plural) if src.msgid_plural else {0: src.msgstr}
        dst.msgstr_plural = {i: values.get(i, "") for i in range(n)}
    else:
        dst.msgstr = src.msgstr if not src.msgid_plural else src.msgstr_plural.get(0, "")
    dst.tcomment = src.tcomment
    if fuzzy and (dst.msgstr or any(dst.msgstr_plural.values() if dst.msgid_plural else ())):
        if "fuzzy" not in dst.flags:
            dst.flags.insert(0, "fuzzy")


# ---------------------------------------------------------------------------
# Files


def catalog_text(pofile: polib.POFile) -> str:
    """The file's text, wrapped exactly as GNU gettext wraps it (see powrap)."""
    text = rewrap(str(pofile))
    return text if text.endswith("\n") else text + "\n"


_PO_LINE = re.compile(
    r'\s*(?:#.*|(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+"(?:[^"\\]|\\.)*"|"(?:[^"\\]|\\.)*")?\s*'
)
_BAD_ESCAPE = re.compile(r'\\[^ntr"\\abfv0-7x]')


def check_po_syntax(path: str, text: str) -> None:
    """Reject what polib would silently accept: unterminated strings, stray text, bad escapes."""
    for number, line in enumerate(text.split("\n"), 1):
        if not _PO_LINE.fullmatch(line):
            raise HandoutsError(path, f"not a valid PO line: {line.strip()[:60]!r} (unterminated string or stray text?)", number)
        if not line.lstrip().startswith("#") and _BAD_ESCAPE.search(line):
            raise HandoutsError(path, f"unknown escape sequence in {line.strip()[:60]!r}", number)


def load_po(path: Path) -> polib.POFile | None:
    """Read a catalog strictly; a syntax error becomes ``path:line: error:``."""
    if not path.exists():
        return None
    text = read_text(path)
    check_po_syntax(str(path), text)
    try:
        return polib.pofile(text, wrapwidth=WRAP, check_for_duplicates=True)
    except (OSError, ValueError) as exc:
        message = str(exc)
        m = re.search(r"line (\d+)", message)
        line = int(m.group(1)) if m else None
        detail = re.sub(r"^Syntax error in po file(?: \(line \d+\))?:?\s*", "", message) or "syntax error"
        raise HandoutsError(str(path), f"not a valid PO file: {detail}", line) from None


def po_path(locale_dir: Path, code: str, domain: str) -> Path:
    return locale_dir / code / "LC_MESSAGES" / f"{domain}.po"


def save(path: Path, pofile: polib.POFile) -> bool:
    return write_text(path, catalog_text(pofile))
