"""Gettext catalogs on disk: a strict reader and a writer that matches GNU gettext.

The reader follows GNU's PO grammar (``po-lex.c``, ``read-catalog.c``): only ``\\n``
ends a line (so U+2028 or \\x1c inside a string is just a character), the C escapes
GNU knows are decoded (``\\a``, ``\\x3f``, ``\\101``), and every problem that
``msgfmt -c`` would reject is an error with its line: a syntax error, an unknown
escape, a NUL, a duplicate message, ``msgstr[N]`` beyond the catalog's own plural
count, a python-format string that does not match its msgid, a msgid and msgstr
that do not both begin and end with a newline.  It runs in linear time.

The header of an existing catalog belongs to its translator: it is kept verbatim,
comments and all, and its ``Plural-Forms`` rules the catalog's plural entries.

The writer wraps strings as GNU does (``powrap``), writes references, flags and
previous strings in GNU's order, and keeps everything it does not own.
"""
from __future__ import annotations

import functools
import gettext
import re
from dataclasses import dataclass, field

import polib

from . import heap
from .errors import HandoutsError

DEFAULT_PLURAL = "nplurals=2; plural=(n != 1);"
"""What GNU gettext assumes when a catalog has no Plural-Forms."""


@dataclass(slots=True)
class Catalog:
    """One .po or .pot file: its header, kept as written, and its entries in file order."""

    path: str
    """As written in messages: ``locale/de/LC_MESSAGES/ketamine.po``."""
    header: list[str] = field(default_factory=list)
    """The header entry's lines exactly as read (comments included); empty if it has none."""
    metadata: dict[str, str] = field(default_factory=dict)
    """The header's fields (``Language``, ``Plural-Forms``, ...) in file order."""
    entries: list[polib.POEntry] = field(default_factory=list)
    """Every message, active and obsolete, in file order (the header excluded)."""
    data: bytes | None = None
    """The bytes this catalog was read from (None when it was made, not read)."""
    header_line: int = 1
    """The file line where the header entry starts."""
    asked: tuple[str, ...] = ()
    """Source texts a merge looked up in the language's other catalogs (to pre-fill new units)."""
    header_msgstr: str = ""
    """The header's msgstr as read (GNU looks for ``nplurals=`` and ``plural=`` anywhere in it)."""

    @property
    def plural_forms(self) -> str:
        return self.metadata.get("Plural-Forms", "").strip() or DEFAULT_PLURAL

    @property
    def nplurals(self) -> int:
        try:
            return parse_plural_forms(self.plural_forms)[0]
        except ValueError:  # GNU ignores a value without nplurals= and plural= (the check says so)
            return parse_plural_forms(DEFAULT_PLURAL)[0]

    def active(self) -> list[polib.POEntry]:
        return [e for e in self.entries if not e.obsolete]

    def find(self, msgid: str, msgctxt: str | None = None) -> polib.POEntry | None:
        for entry in self.entries:
            if not entry.obsolete and entry.msgid == msgid and entry.msgctxt == msgctxt:
                return entry
        return None


# ---------------------------------------------------------------------------
# Plural forms


_PLURAL_FORMS = re.compile(r"^\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*$", re.S)


def parse_plural_forms(value: str) -> tuple[int, str]:
    """``nplurals=2; plural=(n != 1);`` -> (2, '(n != 1)'); raises ValueError."""
    m = _PLURAL_FORMS.match(value)
    if not m:
        raise ValueError(f"not a Plural-Forms value: {value!r}")
    n = int(m.group(1))
    if not 1 <= n <= 10:
        raise ValueError(f"nplurals={n} is out of range (1 to 10)")
    return n, m.group(2)


@functools.lru_cache(maxsize=64)
def plural_function(value: str):
    """The catalog's own plural rule as a function of n (GNU's C expression syntax)."""
    _, expr = parse_plural_forms(value)
    return gettext.c2py(expr)


def has_plural_rule(value: str) -> bool:
    """Does a header name both ``nplurals=`` and ``plural=`` (else GNU ignores them)?"""
    return "nplurals=" in value and "plural=" in value


def _compile_plural(expr: str):
    """GNU's C plural expression as a function of n; unlike ``gettext.c2py``, a long expression is
    not refused (GNU has no length limit).  Raises ValueError or SyntaxError."""
    if len(expr) <= 1000:
        return gettext.c2py(expr)
    result, nexttok = gettext._parse(gettext._tokenize(expr))  # c2py without its 1,000-character limit
    if nexttok:
        raise ValueError(f"unexpected {nexttok!r}")
    namespace = {"_as_int": gettext._as_int}
    exec(f"def func(n):\n    return int({result})\n", namespace)
    return namespace["func"]


def gnu_plural(header: str) -> tuple[str | None, int | None, dict[int, int] | None]:
    """What ``msgfmt -c`` says of the plural rule in a header's msgstr (msgl-check.c): an error or
    None, nplurals, and how many of the numbers 0 to 1000 each form stands for (None without a rule)."""
    if not has_plural_rule(header):
        return None, None, None
    m = re.match(r"[ \t\n\r\f\v]*(\d+)", header[header.find("nplurals=") + 9:])
    if not m:
        return "invalid Plural-Forms: invalid nplurals value", None, None
    expr = re.split(r"[;\n]", header[header.find("plural=") + 7:], maxsplit=1)[0]
    return _plural_rule(int(m.group(1)), expr)


@functools.lru_cache(maxsize=256)
def _plural_rule(n: int, expr: str) -> tuple[str | None, int | None, dict[int, int] | None]:
    """``gnu_plural`` for one rule: evaluated once per run, whatever the catalog."""
    try:
        func = _compile_plural(expr)
    except (ValueError, SyntaxError, RecursionError):
        return f"invalid Plural-Forms: invalid plural expression: {expr.strip()[:60]!r}", None, None
    sizes: dict[int, int] = {}
    for number in range(0, 1001):
        try:
            index = func(number)
        except ZeroDivisionError:
            return f"invalid Plural-Forms: division by zero for n={number}", None, None
        except (RecursionError, OverflowError):
            return "invalid Plural-Forms: the plural expression overflows", None, None
        if index < 0:
            return f"invalid Plural-Forms: the plural expression gives {index} for n={number}", None, None
        if index >= n:
            return (f"invalid Plural-Forms: the plural expression gives {index} for n={number}, "
                    f"but nplurals={n}"), None, None
        sizes[index] = sizes.get(index, 0) + 1
    return None, n, sizes


@functools.lru_cache(maxsize=256)
def _check_plural_forms(value: str) -> str | None:
    """What is wrong with a Plural-Forms value, as msgfmt -c sees it, or None."""
    if not has_plural_rule(value):
        return None
    try:
        n, _ = parse_plural_forms(value)
        func = plural_function(value)
    except (ValueError, SyntaxError) as exc:
        return f"invalid Plural-Forms: {exc}"
    for number in range(0, 1001):
        try:
            index = func(number)
        except ZeroDivisionError:
            return f"invalid Plural-Forms: division by zero for n={number}"
        if not 0 <= index < n:
            return f"invalid Plural-Forms: the plural expression gives {index} for n={number}, but nplurals={n}"
    return None


# ---------------------------------------------------------------------------
# Reading


_WHITESPACE = " \t\r\f\v"
"""What GNU's lexer skips between tokens (po-lex.c); any other character there is a syntax error."""
_KEYWORD = re.compile(r'(msgctxt|msgid_plural|msgid|msgstr(?:[ \t\r\f\v]*\[[ \t\r\f\v]*(\d+)[ \t\r\f\v]*\])?)'
                      r'[ \t\r\f\v]*(".*)$')
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"[ \t\r\f\v]*')
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]+|[0-7]{1,3}|.)")
ASCII_CHARSETS = ("ASCII", "US-ASCII", "ANSI_X3.4-1968", "646", "ISO646-US", "ISO_646.IRV:1991", "US", "CP367",
                  "IBM367")
"""Names of ASCII, which is a subset of UTF-8: such a catalog is read as UTF-8."""
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


class _Entry:
    """An entry being read: raw pieces, turned into a polib.POEntry when complete."""

    __slots__ = ("start", "tcomment", "comment", "occurrences", "flags", "previous", "fields", "obsolete",
                 "lines", "last", "keyword_line")

    def __init__(self, start: int):
        self.start = start
        self.tcomment: list[str] = []
        self.comment: list[str] = []
        self.occurrences: list[tuple[str, str]] = []
        self.flags: list[str] = []
        self.previous: dict[str, str] = {}
        self.fields: dict[str, str] = {}
        self.obsolete = False
        self.lines: dict[str, int] = {}
        self.last: tuple[str, str] | None = None  # ("field"|"previous", keyword) that a continuation extends
        self.keyword_line = 0

    @property
    def has_strings(self) -> bool:
        return bool(self.fields)


def _unescape(body: str, path: str, line: int, column: int) -> str:
    def replace(m: re.Match) -> str:
        code = m.group(1)
        if code in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[code]
        if code[0] == "x":
            if len(code) == 1:  # GNU: a \\x needs at least one hex digit; it then reads all that follow
                raise HandoutsError(path, f"invalid escape sequence '\\x' with no hex digit after it "
                                          f"(column {column + m.start() + 1})", line)
            return chr(int(code[1:], 16) & 0xFF)
        if code[0] in "01234567":
            return chr(int(code, 8) & 0xFF)
        raise HandoutsError(path, f"invalid escape sequence '\\{code}' in a string (column {column + m.start() + 1})", line)

    if "\\" not in body:
        return body
    return _ESCAPE.sub(replace, body)


def parse(text: str, path: str) -> Catalog:
    """Parse a catalog's text.  Raises HandoutsError(path, message, line) on anything GNU rejects.

    Linear in the size of the catalog: the cyclic garbage collector, which would rescan
    every entry made so far again and again, is paused while the entries are made.
    """
    with heap.paused():
        return _parse_plain(text, path) or _parse(text, path)


def _parse(text: str, path: str) -> Catalog:
    catalog = Catalog(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    logical = _join_continued(lines, path)
    # a '#' inside a line can start a comment there; else none does, unless a backslash joined two
    # lines into one (``#~ "a"\`` then ``#~ "b"``: the second "#~" is inside the joined line)
    if _NEEDS_SPLIT.search(text) or not isinstance(logical, enumerate):
        logical = _split_comments(logical)
    has_cr, has_nul = "\r" in text, "\x00" in text  # asked of each line only when the file holds one
    current = _Entry(1)
    entries: list[_Entry] = []

    def finish(entry: _Entry, end: int) -> None:
        if not entry.has_strings:
            if entry.tcomment or entry.comment or entry.occurrences or entry.flags or entry.previous:
                # comments at the end of the file, with no message: GNU keeps them as a
                # comment-only entry; we keep translator comments by attaching nothing
                raise HandoutsError(path, "comments that belong to no message (missing msgid?)", entry.start)
            return
        entry_end[id(entry)] = end
        entries.append(entry)

    entry_end: dict[int, int] = {}
    for number, raw in logical:
        line = raw[:-1] if has_cr and raw.endswith("\r") else raw
        stripped = line.strip(_WHITESPACE)
        if has_nul and "\x00" in line:
            raise HandoutsError(path, "NUL character in the file", number)
        if not stripped:
            continue
        obsolete = False
        previous = False
        body = stripped
        second = body[1:2] if body[0] == "#" else ""
        if second == "~":
            obsolete = True
            body = body[2:].lstrip(_WHITESPACE)
            if body.startswith("|"):
                previous = True
                body = body[1:].lstrip(_WHITESPACE)
            if not body:
                continue
        elif second == "|":
            previous = True
            body = body[2:].lstrip(_WHITESPACE)
        elif body[0] == "#":
            # a comment starts a new entry when the current one already has its strings
            if current.has_strings:
                finish(current, number - 1)
                current = _Entry(number)
            _read_comment(current, body)
            continue
        if previous:
            if current.has_strings:
                finish(current, number - 1)
                current = _Entry(number)
            m = _KEYWORD.match(body)
            if m and m.group(1) in ("msgctxt", "msgid", "msgid_plural"):
                current.previous[m.group(1)] = _string(m.group(3), path, number, line)
                current.last = ("previous", m.group(1))
            elif body.startswith('"') and current.last and current.last[0] == "previous":
                current.previous[current.last[1]] += _string(body, path, number, line)
            else:
                raise HandoutsError(path, f"syntax error in a previous-string line: {line.strip()[:60]!r}", number)
            if obsolete:
                current.obsolete = True
            continue
        m = _KEYWORD.match(body)
        if m:
            keyword = m.group(1) if m.group(2) is None else f"msgstr[{int(m.group(2))}]"
            starts_entry = keyword in ("msgctxt", "msgid") and (
                current.has_strings and not (keyword == "msgid" and set(current.fields) == {"msgctxt"}))
            if starts_entry:
                finish(current, number - 1)
                current = _Entry(number)
            if current.fields and obsolete != current.obsolete:
                raise HandoutsError(path, "an entry mixes obsolete (#~) and active lines", number)
            current.obsolete = obsolete
            if keyword in current.fields:
                raise HandoutsError(path, f"syntax error: a second {keyword} in one entry", number)
            _check_order(current, keyword, path, number)
            current.fields[keyword] = _string(m.group(3), path, number, line)
            current.lines[keyword] = number
            current.last = ("field", keyword)
            continue
        if body.startswith('"'):
            if not current.last or current.last[0] != "field" or obsolete != current.obsolete:
                raise HandoutsError(path, f"syntax error: a string with no keyword before it: {line.strip()[:60]!r}", number)
            current.fields[current.last[1]] += _string(body, path, number, line)
            continue
        raise HandoutsError(path, f"syntax error: not a valid PO line: {line.strip()[:60]!r}", number)
    finish(current, len(lines))

    # turn raw entries into polib entries; the first msgid "" is the header
    seen: dict[tuple[str | None, str], int] = {}
    for raw in entries:
        _check_complete(raw, path)
        msgid = raw.fields["msgid"]
        msgctxt = raw.fields.get("msgctxt")
        if msgid == "" and msgctxt is None and not raw.obsolete and not catalog.header:
            # the header: GNU takes the entry with an empty msgid wherever it stands
            if not raw.fields.get("msgstr", "").strip(_WHITESPACE + "\n"):
                raise HandoutsError(path, 'the header entry (msgid "") is empty: it needs at least '
                                          '"Content-Type: text/plain; charset=UTF-8\\n" (msgfmt -c rejects it)',
                                    raw.lines.get("msgstr", raw.start))
            seen[(None, "")] = raw.lines["msgid"]
            end = entry_end[id(raw)]
            catalog.header = [l[:-1] if l.endswith("\r") else l for l in lines[raw.start - 1: end]]
            catalog.header_line = raw.start
            while catalog.header and not catalog.header[-1].strip():
                catalog.header.pop()
            catalog.metadata = _parse_metadata(raw.fields.get("msgstr", ""))
            catalog.header_msgstr = raw.fields.get("msgstr", "")
            continue
        key = (msgctxt, msgid)
        if key in seen:
            raise HandoutsError(path, f"duplicate message definition (the first is at line {seen[key]})",
                                raw.lines["msgid"])
        seen[key] = raw.lines["msgid"]
        catalog.entries.append(_to_polib(raw))
    if not catalog.header:
        raise HandoutsError(path, 'no header entry: a catalog starts with msgid "" and a msgstr that holds at least '
                                  '"Content-Type: text/plain; charset=UTF-8\\n" (msgfmt -c rejects a catalog '
                                  'without one; was the header cut or moved?)', 1)
    return catalog


# -- the common case, read whole entries at a time -----------------------------------------
#
# A catalog as the pipeline, msgmerge, Poedit and Weblate write it: each line at its start, one string
# a line, only C's one-letter escapes, no CR, a single space after each keyword and after "#~" and
# "#|", no backslash at a line's end, blank lines empty.  ``_parse_plain`` reads such a catalog an
# entry at a time with one regular expression, to the same Catalog ``_parse`` makes (the tests
# compare the two on every catalog the fuzz test makes); anything else, and anything wrong, it
# leaves to ``_parse``, which gives the errors.

_BODY = r'[^"\\\n]*(?:\\[^\n][^"\\\n]*)*'
"""The inside of a string (unrolled, so that the engine does not try a branch per character)."""


def _entry_pattern(prefix: str) -> re.Pattern:
    """An active entry (``prefix`` "") or an obsolete one ("#~ "), from its comments to the blank lines
    after it."""
    p = re.escape(prefix)
    s = f'"({_BODY})"\\n'  # a string, its inside captured
    more = f'((?:{p}"{_BODY}"\\n)*)'  # the strings that continue it, together
    return re.compile(
        r"((?:#(?![~|])[^\n]*\n)*)"  # 1: comments (not #~ or #|)
        + (r"((?:#\| [^\n]*\n)*)" if not prefix else "()")  # 2: previous strings (#|)
        + f"(?:{p}msgctxt {s}{more})?"  # 3, 4: msgctxt
        + f"{p}msgid {s}{more}"  # 5, 6: msgid
        + f'(?:{p}msgid_plural {s}{more}((?:{p}msgstr\\[[0-9]+\\] (?:"{_BODY}"\\n)(?:{p}"{_BODY}"\\n)*)+)'  # 7-9
        + f"|{p}msgstr {s}{more})"  # 10, 11: msgstr
        + r"\n*")


_PLAIN_ENTRY = _entry_pattern("")
_PLAIN_OBSOLETE = _entry_pattern("#~ ")
_PLAIN_FORM = {prefix: re.compile(f'{re.escape(prefix)}msgstr\\[([0-9]+)\\] "({_BODY})"\\n((?:{re.escape(prefix)}"{_BODY}"\\n)*)')
               for prefix in ("", "#~ ")}
_PLAIN_PREVIOUS = re.compile(f'#\\| (msgctxt|msgid|msgid_plural) "({_BODY})"\\n((?:#\\| "{_BODY}"\\n)*)')
_PLAIN_ESCAPE = re.compile(r"\\(.)")


def _plain_value(first: str, more: str | None, prefix: str = "") -> str | None:
    """A string and its continued lines' (``"a"\n"b"\n``, each after ``prefix``), or None for an escape
    beyond one letter."""
    if more:
        first += "".join(more[len(prefix) + 1 : -2].split(f'"\n{prefix}"'))
    if "\\" not in first:
        return first
    try:
        return _PLAIN_ESCAPE.sub(lambda m: _SIMPLE_ESCAPES[m.group(1)], first)
    except KeyError:  # \x3f, \101, or one GNU rejects: _parse reads them
        return None


def _plain_previous(block: str) -> dict[str, str] | None:
    """An entry's previous strings (``#| msgid "..."``), each once and in GNU's order, or None."""
    found: dict[str, str] = {}
    at = 0
    for m in _PLAIN_PREVIOUS.finditer(block):
        value = _plain_value(m.group(2), m.group(3), "#| ")
        if m.start() != at or value is None or any(k >= m.group(1) for k in found):
            return None  # (msgctxt < msgid < msgid_plural, as text)
        found[m.group(1)] = value
        at = m.end()
    return found if at == len(block) else None


def _parse_plain(text: str, path: str) -> Catalog | None:
    """``_parse``'s Catalog for a plain catalog (above), or None to leave the text to ``_parse``."""
    # (a line that starts or ends with white space, among others, is not matched)
    if not text.endswith("\n") or text.startswith("\n") or "\r" in text or "\x00" in text or "\x04" in text:
        return None
    catalog = Catalog(path)
    seen: set[tuple[str | None, str]] = set()
    entries = catalog.entries
    at, line, size = 0, 1, len(text)
    while at < size:
        prefix = ""
        m = _PLAIN_ENTRY.match(text, at)
        if m is None:
            prefix = "#~ "
            m = _PLAIN_OBSOLETE.match(text, at)
            if m is None:
                return None
        start = line
        line += text.count("\n", at, m.end())
        comments, previous, ctx, ctx_more, msgid, id_more, plural, plural_more, forms, msgstr, str_more = m.groups()
        msgid = _plain_value(msgid, id_more, prefix)
        if ctx is not None:
            ctx = _plain_value(ctx, ctx_more, prefix)
            if ctx is None:
                return None
        if msgid is None:
            return None
        key = (ctx, msgid)
        if key in seen:
            return None  # (a duplicate: _parse says where the first is)
        seen.add(key)
        if msgid == "" and ctx is None and not prefix and not catalog.header:
            msgstr = _plain_value(msgstr, str_more) if forms is None else None
            if not msgstr or not msgstr.strip(_WHITESPACE + "\n") or previous \
                    or comments and _plain_comments(comments) is None:
                return None  # (an empty header: _parse says so)
            header = text[at : m.end()].split("\n")
            while header and not header[-1].strip():
                header.pop()
            catalog.header, catalog.header_line = header, start
            catalog.metadata, catalog.header_msgstr = _parse_metadata(msgstr), msgstr
            at = m.end()
            continue
        if forms is None:
            msgstr = _plain_value(msgstr, str_more, prefix)
            if msgstr is None:
                return None
        if comments:
            found = _plain_comments(comments)
            if found is None:
                return None
            tcomment, comment, occurrences, flags = found
        else:
            tcomment, comment, occurrences, flags = "", "", [], []
        entry = polib.POEntry(msgid=msgid, msgstr=msgstr if forms is None else "", msgctxt=ctx,
                              tcomment=tcomment, comment=comment, occurrences=occurrences, flags=flags,
                              obsolete=bool(prefix))
        if previous:
            before = _plain_previous(previous)
            if before is None:
                return None
            entry.previous_msgctxt = before.get("msgctxt")
            entry.previous_msgid = before.get("msgid")
            entry.previous_msgid_plural = before.get("msgid_plural")
        if forms is not None:
            plural = _plain_value(plural, plural_more, prefix)
            if plural is None:
                return None
            entry.msgid_plural = plural
            strings: dict[int, str] = {}
            for n, form in enumerate(_PLAIN_FORM[prefix].finditer(forms)):
                value = _plain_value(form.group(2), form.group(3), prefix)
                if int(form.group(1)) != n or value is None:
                    return None
                strings[n] = value
            entry.msgstr_plural = strings
        entry.linenum = start
        entries.append(entry)
        at = m.end()
    return catalog if catalog.header else None


def _plain_comments(block: str) -> tuple[str, str, list, list] | None:
    """A plain entry's comment lines as ``_parse`` reads them: (translator comments, extracted
    comments, references, flags); None for a line a backslash continues."""
    read = _Entry(0)
    for body in block[:-1].split("\n"):
        if body[-1] in _WHITESPACE or body[-1] == "\\":
            if body.endswith("\\"):
                return None
            body = body.rstrip(_WHITESPACE)
        _read_comment(read, body)
    return "\n".join(read.tcomment), "\n".join(read.comment), read.occurrences, read.flags


def _read_comment(entry: _Entry, body: str) -> None:
    """One comment line (``#.``, ``#:``, ``#,`` or a translator's ``#``), stripped, into ``entry``."""
    kind = body[1:2]
    if kind == ".":
        entry.comment.append(_comment_text(body[2:]))
    elif kind == ":":
        for ref in body[2:].split():
            file, sep, lineno = ref.rpartition(":")
            entry.occurrences.append((file, lineno) if sep and lineno.isdigit() else (ref, ""))
    elif kind == ",":
        entry.flags.extend(f.strip() for f in body[2:].split(",") if f.strip())
    else:
        entry.tcomment.append(_comment_text(body[1:]))


def _join_continued(lines: list[str], path: str):
    """(line number, line) with GNU's backslash-newline continuations (po-lex.c removes a backslash
    right before a newline anywhere).  Inside a string or a comment, or in the middle of a keyword,
    the two lines become one; between tokens, where a newline is white space, they stay two."""
    if not any(line.endswith("\\") for line in lines):
        return enumerate(lines, 1)
    out = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines, 1):
        if pending is not None:
            first, body = pending
            pending = None
            if (body.lstrip(_WHITESPACE).startswith("#") or _open_string(body)
                    or (body[-1:].isalnum() or body[-1:] in "_[]") and (line[:1].isalnum() or line[:1] in "_[]")):
                number, line = first, body + line
            else:
                out.append((first, body))
        if line.endswith("\\"):
            pending = (number, line[:-1])
        else:
            out.append((number, line))
    if pending is not None:  # GNU: a line continued past the end of the file is a syntax error
        raise HandoutsError(path, "syntax error: a backslash continues the last line, but nothing follows",
                            pending[0])
    return out


def _split_comments(logical):
    """GNU's lexer reads a '#' outside a string as a comment to the end of the line, wherever it
    stands: ``msgstr "b" # note`` is a msgstr line and a comment line (which ends the entry).
    The same holds after the prefix of an obsolete line: ``#~ msgstr "b" # note``."""
    for number, line in logical:
        if "#" in line:
            body = line.lstrip(_WHITESPACE)
            prefix = _PREFIX.match(body)
            start = len(line) - len(body) + (prefix.end() if prefix else 0)
            if not body.startswith("#") or prefix:
                cut = _comment_start(line[start:])
                if cut is not None:
                    yield number, line[: start + cut]
                    yield number, line[start + cut :]
                    continue
        yield number, line


_NEEDS_SPLIT = re.compile(r"^[^#\n]+#|^#~[^\n]*#", re.MULTILINE)
"""A line with a '#' that may start a comment inside it (``_split_comments``): one after other
characters, or a second one on an obsolete line."""
_PREFIX = re.compile(r"#~(?![ \t]*\|)")
"""The prefix of an obsolete line (``#~``).  A previous line (``#|``, ``#~|``) is left whole: GNU
reads the comment there too, but a comment between the previous msgid and the msgid is a syntax
error to it, and so it stays one here ("'#' after a string")."""


def _scan_strings(text: str, stop_at_comment: bool) -> tuple[int | None, bool]:
    """Walk ``text`` through its string literals: (where a '#' outside a string starts, if asked and
    found; whether the text ends inside a string)."""
    inside = escaped = False
    for index, ch in enumerate(text):
        if escaped:
            escaped = False
        elif inside and ch == "\\":
            escaped = True
        elif ch == '"':
            inside = not inside
        elif stop_at_comment and ch == "#" and not inside:
            return index, False
    return None, inside


def _comment_start(text: str) -> int | None:
    return _scan_strings(text, True)[0]


def _open_string(text: str) -> bool:
    """Does ``text`` end inside a string literal?"""
    return _scan_strings(text, False)[1]


def _comment_text(rest: str) -> str:
    return rest[1:] if rest.startswith(" ") else rest


_PLAIN_STRING = re.compile(r'"([^"\\]*)"[ \t\r\f\v]*')
"""One string with no escape in it: most lines of a catalog, read without ``_unescape``."""


def _string(part: str, path: str, number: int, line: str) -> str:
    m = _PLAIN_STRING.fullmatch(part)
    if m is not None and "\x00" not in part:
        return m.group(1)
    column = line.index(part) + 1
    pieces = []
    at = 0
    while at < len(part):  # GNU reads any number of strings on a line: "a" "b"
        m = _STRING.match(part, at)
        if not m:
            if at and part[at] != '"':
                raise HandoutsError(path, f"syntax error: {part[at]!r} (U+{ord(part[at]):04X}) after a string "
                                          f"(column {column + at})", number)
            raise HandoutsError(path, f"unterminated or malformed string: {line.strip()[:60]!r}", number)
        pieces.append(_unescape(m.group(1), path, number, column + at))
        at = m.end()
    value = "".join(pieces)
    if "\x00" in value:
        raise HandoutsError(path, "NUL character (\\0) in a string", number)
    return value


_ORDER = ["msgctxt", "msgid", "msgid_plural", "msgstr"]


def _check_order(entry: _Entry, keyword: str, path: str, number: int) -> None:
    base = "msgstr" if keyword.startswith("msgstr") else keyword
    have = [("msgstr" if k.startswith("msgstr") else k) for k in entry.fields]
    if have and _ORDER.index(base) < _ORDER.index(have[-1]):
        raise HandoutsError(path, f"syntax error: {keyword} after {have[-1]}", number)
    if base == "msgstr" and "msgid" not in entry.fields:
        raise HandoutsError(path, f"syntax error: {keyword} without a msgid before it", number)
    if base == "msgid_plural" and "msgid" not in entry.fields:
        raise HandoutsError(path, "syntax error: msgid_plural without a msgid before it", number)


def _check_complete(raw: _Entry, path: str) -> None:
    where = raw.lines.get("msgid", raw.start)
    if "msgid" not in raw.fields:
        raise HandoutsError(path, "syntax error: an entry without msgid", raw.start)
    for key in raw.fields:
        if "\x04" in raw.fields[key]:
            raise HandoutsError(path, f"the context separator \\x04 (EOT) within {key}", raw.lines[key])
    plural_keys = [k for k in raw.fields if k.startswith("msgstr[")]  # in file order, as GNU wants them
    if "msgid_plural" in raw.fields:
        if "msgstr" in raw.fields:
            raise HandoutsError(path, "syntax error: a plural entry (msgid_plural) needs msgstr[0], msgstr[1], ..., not msgstr",
                                raw.lines["msgstr"])
        if not plural_keys:
            raise HandoutsError(path, "syntax error: msgid_plural without msgstr[0]", where)
        for expected, key in enumerate(plural_keys):
            if int(key[7:-1]) != expected:
                raise HandoutsError(path, f"plural forms out of order: {key} where msgstr[{expected}] belongs",
                                    raw.lines[key])
    else:
        if plural_keys:
            raise HandoutsError(path, f"syntax error: {plural_keys[0]} without msgid_plural", raw.lines[plural_keys[0]])
        if "msgstr" not in raw.fields:
            raise HandoutsError(path, "syntax error: msgid without msgstr", where)


def _to_polib(raw: _Entry) -> polib.POEntry:
    f = raw.fields
    entry = polib.POEntry(
        msgid=f["msgid"], msgstr=f.get("msgstr", ""), msgctxt=f.get("msgctxt"),
        tcomment="\n".join(raw.tcomment), comment="\n".join(raw.comment),
        occurrences=raw.occurrences, flags=raw.flags, obsolete=raw.obsolete,
        previous_msgctxt=raw.previous.get("msgctxt"), previous_msgid=raw.previous.get("msgid"),
        previous_msgid_plural=raw.previous.get("msgid_plural"),
    )
    if "msgid_plural" in f:
        entry.msgid_plural = f["msgid_plural"]
        entry.msgstr_plural = {int(k[7:-1]): v for k, v in f.items() if k.startswith("msgstr[")}
    entry.linenum = raw.start  # where the entry starts, as polib and editors count it
    return entry


def _parse_metadata(msgstr: str) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in msgstr.split("\n"):
        name, sep, value = line.partition(":")
        if sep and name.strip():
            meta[name.strip()] = value.strip()
    return meta


# ---------------------------------------------------------------------------
# What msgfmt -c rejects in a catalog that parses


def problems(catalog: Catalog) -> list[tuple[int, str]]:
    """(line, message) for everything ``msgfmt -c`` would reject; empty when it accepts the catalog."""
    found: list[tuple[int, str]] = []
    header_line = catalog.header_line + next(
        (n for n, l in enumerate(catalog.header) if "Plural-Forms:" in l),
        next((n for n, l in enumerate(catalog.header) if l.startswith("msgid")), 0))
    header = catalog.header_msgstr or "".join(f"{k}: {v}\n" for k, v in catalog.metadata.items())
    plural_error, gnu_nplurals, sizes = gnu_plural(header)
    if plural_error:  # GNU checks the expression whether or not the catalog has plural entries
        found.append((header_line, plural_error))
    if not has_plural_rule(header) and any(
            e.msgid_plural and "fuzzy" not in e.flags and e.msgstr_plural.get(0) for e in catalog.active()):
        first = next(e for e in catalog.active() if e.msgid_plural and "fuzzy" not in e.flags
                     and e.msgstr_plural.get(0))
        found.append((first.linenum, "this entry has plural translations, but the header has no Plural-Forms "
                                     "(add e.g. \"Plural-Forms: nplurals=2; plural=(n != 1);\\n\")"))
    charset = declared_charset(catalog.metadata)
    if charset is not None and charset.upper() in ASCII_CHARSETS:
        # ASCII is read as UTF-8; GNU then refuses any other character in a string
        for entry in catalog.entries:
            strings = [entry.msgid, entry.msgid_plural or "", entry.msgctxt or "", entry.msgstr,
                       *entry.msgstr_plural.values()]
            if not entry.obsolete and any(not t.isascii() for t in strings):
                found.append((entry.linenum, f"a character that is not ASCII, but the header says charset={charset} "
                                             f"(make it charset=UTF-8)"))
                break
    elif charset is not None and charset.upper() not in ("UTF-8", "UTF8", "CHARSET"):
        found.append((header_line, legacy_charset_message(charset)))
    nplurals = None if plural_error else gnu_nplurals
    for entry in catalog.entries:
        if entry.obsolete:
            continue
        line = entry.linenum
        plural = bool(entry.msgid_plural or entry.msgstr_plural)  # msgid_plural "" is still a plural entry
        if plural:
            forms = entry.msgstr_plural
            if nplurals is not None and len(forms) > nplurals:
                found.append((line, f"msgstr[{nplurals}] and beyond: the catalog's Plural-Forms has nplurals={nplurals} "
                                    f"but this entry has {len(forms)} forms (remove the extra forms or correct Plural-Forms)"))
            elif nplurals is not None and len(forms) < nplurals and any(forms.values()):
                found.append((line, f"this entry has {len(forms)} plural forms, the catalog's Plural-Forms has "
                                    f"nplurals={nplurals}"))
            pairs = [(entry.msgid if i == 0 else entry.msgid_plural, s) for i, s in sorted(forms.items())]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        if "fuzzy" in entry.flags or not pairs[0][1]:
            continue  # GNU checks an entry whose (first) translation is there, every form of it
        for source, translation in pairs:
            for edge, word in ((source.startswith("\n"), "begin"), (source.endswith("\n"), "end")):
                other = translation.startswith("\n") if word == "begin" else translation.endswith("\n")
                if edge != other:
                    found.append((line, f"msgid and msgstr do not both {word} with a newline (\\n)"))
        if "python-format" in entry.flags:
            # GNU's rule (format.c): every form against msgid_plural if there is one; strictly (the
            # same arguments) unless the entry has several forms and this one covers fewer than
            # five of the numbers 0 to 1000 (it may then leave an argument out)
            for index, (source, translation) in enumerate(pairs):
                strict = not plural or len(pairs) < 2 or (sizes is not None and sizes.get(index, 0) >= 5)
                message = _python_format_mismatch(entry.msgid_plural if plural else entry.msgid, translation, strict)
                if message:
                    found.append((line, message))
    return found


def declared_charset(metadata: dict[str, str]) -> str | None:
    """The charset a header's Content-Type names, or None."""
    m = re.search(r"charset=([^\s;]+)", metadata.get("Content-Type", ""))
    return m.group(1) if m else None


def legacy_charset_message(charset: str) -> str:
    return (f"the header says charset={charset}; this project reads catalogs in UTF-8 only: convert it with "
            f"`msgconv -t UTF-8 FILE -o FILE` (GNU gettext), which also rewrites the header")


_PY_DIRECTIVE = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<flags>[-#0 +]*)(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?"
                           r"(?P<length>[hlL])?(?P<conv>.?)", re.S)
_PY_CONV = {"d": "i", "i": "i", "o": "i", "u": "i", "x": "i", "X": "i", "e": "f", "E": "f", "f": "f", "F": "f",
            "g": "f", "G": "f", "c": "c", "s": "s", "r": "s", "a": "s"}


class FormatError(ValueError):
    pass


def python_format(text: str) -> tuple[dict[str, str], list[str]]:
    """A Python %-format string's arguments: ({name: type}, [unnamed types]); raises FormatError."""
    named: dict[str, str] = {}
    unnamed: list[str] = []
    i = 0
    number = 0
    while True:
        i = text.find("%", i)
        if i < 0:
            break
        m = _PY_DIRECTIVE.match(text, i)
        conv = m.group("conv")
        if conv == "%" and not m.group("name") and m.end() - i == 2:
            i = m.end()
            continue
        number += 1
        if conv == "":
            raise FormatError("the string ends in the middle of a directive")
        if conv not in _PY_CONV:
            raise FormatError(f"in the directive number {number}, the character {conv!r} is not a valid conversion specifier")
        name = m.group("name")
        kind = _PY_CONV[conv]
        if name is not None:
            if unnamed:
                raise FormatError("the string mixes named and unnamed arguments")
            if named.get(name, kind) != kind:
                raise FormatError(f"the argument {name!r} is used with two different types")
            named[name] = kind
        else:
            if named:
                raise FormatError("the string mixes named and unnamed arguments")
            unnamed.append(kind)
        i = m.end()
    return named, unnamed


def _python_format_mismatch(msgid: str, translation: str, strict: bool) -> str | None:
    try:
        source = python_format(msgid)
    except FormatError:
        return None  # msgfmt does not check a msgid that is not a valid format string
    try:
        target = python_format(translation)
    except FormatError as exc:
        return f"python-format: the translation is not a valid Python format string: {exc}"
    s_named, s_unnamed = source
    t_named, t_unnamed = target
    if s_named or t_named:
        for name in s_named:
            if name not in t_named and strict:
                return f"python-format: the translation lacks %({name})s"
        for name, kind in t_named.items():
            if name not in s_named:
                return f"python-format: the translation has %({name})s, which the English does not have"
            if s_named[name] != kind:
                return f"python-format: %({name}) has another type in the translation"
        return None
    if len(s_unnamed) != len(t_unnamed) and (strict or len(t_unnamed) > len(s_unnamed)):
        return f"python-format: the English has {len(s_unnamed)} arguments, the translation {len(t_unnamed)}"
    if s_unnamed[: len(t_unnamed)] != t_unnamed[: len(s_unnamed)]:
        return "python-format: the translation's arguments have other types"
    return None


# ---------------------------------------------------------------------------
# Writing

def _flag_rank(flag: str) -> int:
    if flag == "fuzzy":
        return 0
    if flag.endswith("-format"):
        return 1
    if flag.startswith("range:"):
        return 2
    if flag in ("wrap", "no-wrap"):
        return 3
    return 4


@functools.cache
def _wrappers():
    """``powrap``'s two wrappers, imported when a catalog is first written (its tables take a tenth of
    a no-op run's start)."""
    from .powrap import wrap_references, wrap_string

    return wrap_references, wrap_string


def entry_lines(entry: polib.POEntry) -> list[str]:
    """The lines GNU gettext writes for one entry (without the blank line that follows)."""
    wrap_references, wrap_string = _wrappers()
    out: list[str] = []
    if entry.tcomment:
        out.extend(("# " + l) if l else "#" for l in entry.tcomment.split("\n"))
    if entry.comment and not entry.obsolete:
        out.extend(("#. " + l) if l else "#." for l in entry.comment.split("\n"))
    if entry.occurrences and not entry.obsolete:
        out.extend(wrap_references([f"{f}:{n}" if n else f for f, n in entry.occurrences]))
    if entry.flags:
        out.append("#, " + ", ".join(ordered_flags(entry)))
    flags = tuple(entry.flags)  # no-wrap; python-format directives are never broken
    prev = "#~| " if entry.obsolete else "#| "
    if entry.previous_msgctxt is not None:
        out.extend(wrap_string("msgctxt", entry.previous_msgctxt, prefix=prev, flags=flags))
    if entry.previous_msgid is not None:
        out.extend(wrap_string("msgid", entry.previous_msgid, prefix=prev, flags=flags))
    if entry.previous_msgid_plural is not None:
        out.extend(wrap_string("msgid_plural", entry.previous_msgid_plural, prefix=prev, flags=flags))
    prefix = "#~ " if entry.obsolete else ""
    if entry.msgctxt is not None:
        out.extend(wrap_string("msgctxt", entry.msgctxt, prefix=prefix, flags=flags))
    out.extend(_wrapped_msgid(entry.msgid, prefix, flags))
    if entry.msgid_plural:
        out.extend(wrap_string("msgid_plural", entry.msgid_plural, prefix=prefix, flags=flags))
        for index in sorted(entry.msgstr_plural):
            out.extend(wrap_string(f"msgstr[{index}]", entry.msgstr_plural[index], prefix=prefix, flags=flags))
    else:
        out.extend(wrap_string("msgstr", entry.msgstr, prefix=prefix, flags=flags))
    return out


@functools.lru_cache(maxsize=65536)
def _wrapped_msgid(msgid: str, prefix: str, flags: tuple[str, ...]) -> tuple[str, ...]:
    """A msgid's lines: the same English in the template and in every language's catalog, wrapped once."""
    return tuple(_wrappers()[1]("msgid", msgid, prefix=prefix, flags=flags))


def header_lines(comment: str, metadata: dict[str, str], fuzzy: bool) -> list[str]:
    """A new header entry (a catalog that is created, or a template)."""
    out = [("# " + l) if l else "#" for l in comment.split("\n")] if comment else []
    if fuzzy:
        out.append("#, fuzzy")
    out.append('msgid ""')
    out.extend(_wrappers()[1]("msgstr", "".join(f"{k}: {v}\n" for k, v in metadata.items())))
    return out


def text(catalog: Catalog) -> str:
    """The file's text: the header as it was, then every entry as GNU gettext writes it."""
    return text_and_lines(catalog)[0]


def text_and_lines(catalog: Catalog) -> tuple[str, list[int]]:
    """``text``, and the line each entry starts on in it (as ``parse`` numbers ``linenum``)."""
    blocks = []
    starts = []
    line = 1
    if catalog.header:
        blocks.append("\n".join(catalog.header))
        line += len(catalog.header) + 1  # and the blank line after it
    for entry in catalog.entries:
        lines = entry_lines(entry)
        starts.append(line)
        line += len(lines) + 1
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n", starts


def ordered_flags(entry: polib.POEntry) -> list[str]:
    """The entry's flags as ``entry_lines`` writes them (and ``parse`` reads them back)."""
    return sorted(dict.fromkeys(entry.flags), key=_flag_rank)


def same_content(a: Catalog, b: Catalog) -> bool:
    """Do two catalogs say the same thing (whatever the wrapping of their strings, and of their extracted
    comments: polib, and the tools built on it, save a long ``#.`` comment as several lines, which read
    back as one with line breaks; rewritten each time, such a file would change at every save and update)?"""
    return a.header == b.header and [_signature(e) for e in a.entries] == [_signature(e) for e in b.entries]


def _signature(e: polib.POEntry) -> tuple:
    return (e.obsolete, e.msgctxt, e.msgid, e.msgid_plural or "", e.msgstr,
            tuple(sorted(e.msgstr_plural.items())) if e.msgid_plural else (),
            tuple(e.flags), e.tcomment or "", "" if e.obsolete or not e.comment else " ".join(e.comment.split()),
            () if e.obsolete else tuple(tuple(o) for o in e.occurrences),
            e.previous_msgctxt, e.previous_msgid, e.previous_msgid_plural)
