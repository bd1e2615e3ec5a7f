"""Write PO files the way GNU gettext does, so that `msgcat` and Poedit change nothing.

polib wraps long strings with Python's textwrap, which breaks before a space and
inside words; GNU gettext (write-po.c) breaks *after* a space, after a hyphen, and
between CJK characters (Unicode line breaking), at 79 columns counting the quotes,
with a forced break after every ``\\n``.  A translator's diff must only show what
changed, so the catalogs are written with the same rules.
"""
from __future__ import annotations

import re

from wcwidth import wcwidth

PAGE_WIDTH = 79

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a", "\b": "\\b",
            "\f": "\\f", "\v": "\\v"}

# Unicode line-breaking classes, the few that matter in catalog text (UAX #14)
_CLOSE = set("、。，．：；？！）」』】〕〉》｝〗〙〛’”％‰)]},.;:!?…")
_OPEN = set("（「『【〔〈《｛〖〘〚‘“([{")
_NO_BREAK_AFTER = _OPEN | set("\"'")


def _is_ideograph(c: str) -> bool:
    o = ord(c)
    return (0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7A3 or 0xF900 <= o <= 0xFAFF or
            0xFF00 <= o <= 0xFF60 or 0x20000 <= o <= 0x3FFFD or 0x3040 <= o <= 0x30FF)


def _width(text: str) -> int:
    return sum(max(wcwidth(c), 0) for c in text)


def _escape(c: str) -> str:
    return _ESCAPES.get(c, c)


def _break_after(s: str, i: int) -> bool:
    """May a line end after s[i] (with s[i+1] starting the next line)?"""
    a, b = s[i], s[i + 1]
    if b in (" ",) or b in _CLOSE:
        return False
    if a == " ":
        return True
    if a in _NO_BREAK_AFTER:
        return False
    if a in "-\u2010" and i > 0 and s[i - 1].isalpha() and b.isalpha():
        return True
    if a == "/" and b != "/" and not b.isdigit():
        return True  # inside a URL: "https://" | "example.org/path/" | "next"
    if a == "." and i > 0 and s[i - 1].isalpha() and b.isalpha():
        return True  # inside a host name: "example." | "org"
    if a == "\u2014" and b != "\u2014":
        return True
    if b == "\u2014" and a != "\u2014" and a != " ":
        return True
    if _is_ideograph(a) and not b.isspace():
        return True
    if _is_ideograph(b) and a not in _NO_BREAK_AFTER and not a.isspace():
        return not (a.isalnum() and _is_ideograph(b) and False)
    return False


def _segments(text: str) -> list[str]:
    """Split at the forced breaks: after every newline."""
    parts = re.split(r"(?<=\n)", text)
    return [p for p in parts if p != ""]


def wrap_string(keyword: str, text: str, prefix: str = "", wrap: bool = True) -> list[str]:
    """The lines GNU gettext writes for ``<prefix><keyword> "text"``."""
    if not wrap:
        escaped = "".join(_escape(c) for c in text)
        first = f'{prefix}{keyword} "{escaped}"'
        if "\n" not in text[:-1]:
            return [first]
        return [f'{prefix}{keyword} ""'] + [f'{prefix}"{"".join(_escape(c) for c in seg)}"' for seg in _segments(text)]
    escaped = "".join(_escape(c) for c in text)
    first = f'{prefix}{keyword} "{escaped}"'
    if "\n" not in text[:-1] and _width(first) <= PAGE_WIDTH:
        return [first]
    lines = [f'{prefix}{keyword} ""']
    room = PAGE_WIDTH - 2 - _width(prefix)
    for segment in _segments(text):
        lines.extend(f'{prefix}"{part}"' for part in _wrap_segment(segment, room))
    return lines


def _wrap_segment(segment: str, room: int) -> list[str]:
    out: list[str] = []
    start = 0
    n = len(segment)
    while start < n:
        width = 0
        last_break = -1
        i = start
        while i < n:
            w = _width(_escape(segment[i]))
            if width + w > room and i > start:
                break
            width += w
            if i + 1 < n and _break_after(segment, i):
                last_break = i
            i += 1
        if i >= n:
            out.append("".join(_escape(c) for c in segment[start:]))
            break
        end = last_break + 1 if last_break >= start else i
        # spaces at the break stay on the line that ends there
        while end < n and segment[end] == " ":
            end += 1
        out.append("".join(_escape(c) for c in segment[start:end]))
        start = end
    return out


_KEYWORD = re.compile(r'^(#~ |#\| |#~\| )?(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$')
_CONTINUATION = re.compile(r'^(#~ |#\| |#~\| )?"(.*)"$')
_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), "\\" + m.group(1)), s)


def rewrap(po_text: str) -> str:
    """Re-wrap every string of a PO file's text the way GNU gettext writes it."""
    out: list[str] = []
    lines = po_text.split("\n")
    i = 0
    while i < len(lines):
        m = _KEYWORD.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        prefix, keyword, body = m.group(1) or "", m.group(2), m.group(3)
        value = _unescape(body)
        i += 1
        while i < len(lines):
            c = _CONTINUATION.match(lines[i])
            if not c or (c.group(1) or "") != prefix:
                break
            value += _unescape(c.group(2))
            i += 1
        out.extend(_wrap_prefixed(prefix, keyword, value))
    return "\n".join(out)


def _wrap_prefixed(prefix: str, keyword: str, value: str) -> list[str]:
    escaped = "".join(_escape(c) for c in value)
    first = f'{prefix}{keyword} "{escaped}"'
    if "\n" not in value[:-1] and _width(first) <= PAGE_WIDTH:
        return [first]
    room = PAGE_WIDTH - 2 - _width(prefix)
    return [f'{prefix}{keyword} ""'] + [f'{prefix}"{part}"' for seg in _segments(value)
                                         for part in _wrap_segment(seg, room)]


def wrap_references(refs: list[str], prefix: str = "") -> list[str]:
    """``#: a:1 b:2`` lines, filled up to the page width without splitting a reference."""
    lines: list[str] = []
    line = ""
    for ref in refs:
        if line and len(line) + 1 + len(ref) > PAGE_WIDTH:
            lines.append(line)
            line = ""
        line = f"{line} {ref}" if line else f"{prefix}#: {ref}"
    if line:
        lines.append(line)
    return lines
