"""An editor's decisions on the repair, kept beside the source, and applied on every run.

``source/<doc>.review.toml`` holds one ``[[decision]]`` table per reviewed place::

    [[decision]]
    line = 5                          # line in source/<doc>.md (1-based)
    before = "ache administration"    # the text as received
    after = "pain management"         # what the editor chose; or: keep = true

A decision is found again by its line and its text as received: ``before`` must still be
on ``line`` of the source (if it is there more than once, the first place counts).  When it
is not, the decision is *stale*: it is reported, and applied nowhere, rather than wander to
another place of the document.

What is decided overrides the automatic repair on that span: ``after`` replaces the text
as received (undoing an automatic repair there if there was one), and ``keep`` leaves the
text as received (undoing an automatic repair, silencing a flag).  Every flag and every
statistical repair that no decision covers is *unreviewed* (:func:`review_items`).
"""
from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..documents import write_text
from ..errors import HandoutsError
from .records import Fix, Flag, Repair

SUFFIX = ".review.toml"


@dataclass(frozen=True, slots=True)
class Decision:
    """What an editor decided for one place of a source document."""

    line: int
    """1-based line of the source document where ``before`` starts."""
    before: str
    """The text as received."""
    after: str | None = None
    """What the editor chose instead; None with ``keep``."""
    keep: bool = False
    """The editor kept the text as received."""
    origin: int | None = None
    """Line of the ``[[decision]]`` in the decisions file, for messages (not written)."""


@dataclass(frozen=True, slots=True)
class Item:
    """A place an editor reviews: a flag or a statistical repair, in the text as received."""

    start: int
    end: int
    line: int
    """1-based line of ``start``."""
    column: int
    """1-based column of ``start``."""
    before: str
    """The text as received."""
    kind: str
    """``flag`` or ``repair``."""
    reason: str
    layer: str
    suggestions: tuple[str, ...]
    """Most probable first; for a repair the first is what the repair wrote."""
    decision: Decision | None = None
    """The decision that covers it, if any."""

    @property
    def reviewed(self) -> bool:
        return self.decision is not None


@dataclass(slots=True)
class Applied:
    """A repair with the editor's decisions applied."""

    result: Repair
    """Text, fixes and flags after the decisions (offsets into the text as received)."""
    decided: list[tuple[Decision, int, int]] = field(default_factory=list)
    """Each decision that applied, with the span of the text as received it covers."""
    stale: list[Decision] = field(default_factory=list)
    """Decisions whose text is no longer at their line."""


def path_for(source: Path) -> Path:
    """``source/<doc>.md`` -> ``source/<doc>.review.toml``."""
    return source.with_name(source.stem + SUFFIX)


# -- reading and writing ---------------------------------------------------------------------------


def parse(text: str, rel: str) -> list[Decision]:
    """Read a decisions file; anything malformed is ``rel:line: error:``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line = _toml_error(exc)
        raise HandoutsError(rel, f"bad TOML: {message}", line) from None
    unknown = set(data) - {"decision"}
    if unknown:
        raise HandoutsError(rel, f"unknown table or key {sorted(unknown)[0]!r} (expected [[decision]] tables)",
                            _line_of(text, sorted(unknown)[0]))
    raw = data.get("decision", [])
    if not isinstance(raw, list):
        raise HandoutsError(rel, "'decision' must be written as [[decision]] tables", _line_of(text, "decision"))
    starts = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "[[decision]]"]
    out = []
    for k, entry in enumerate(raw):
        where = starts[k] if k < len(starts) else None

        def bad(message: str) -> HandoutsError:
            return HandoutsError(rel, message, where)

        extra = set(entry) - {"line", "before", "after", "keep"}
        if extra:
            raise bad(f"unknown key {sorted(extra)[0]!r} in a decision (line, before, after, keep)")
        line, before = entry.get("line"), entry.get("before")
        if not isinstance(line, int) or isinstance(line, bool) or line < 1:
            raise bad("a decision needs 'line', a line number of the source (1 or more)")
        if not isinstance(before, str) or not before:
            raise bad("a decision needs 'before', the text as received")
        after, keep = entry.get("after"), entry.get("keep", False)
        if not isinstance(keep, bool):
            raise bad("'keep' must be true or false")
        if after is not None and not isinstance(after, str):
            raise bad("'after' must be a string")
        if keep == (after is not None):
            raise bad("a decision has either 'after' (the editor's text) or 'keep = true', not both or neither")
        out.append(Decision(line, before, after, keep, where))
    return out


def _toml_error(exc: tomllib.TOMLDecodeError) -> tuple[str, int | None]:
    """The message and line of a TOML error (Python before 3.14 has them only in the text)."""
    line = getattr(exc, "lineno", None)
    message = getattr(exc, "msg", None) or str(exc)
    m = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
    if m:
        line = line or int(m.group(1))
        message = message[: m.start()]
    return message, line


def _line_of(text: str, key: str) -> int | None:
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith((key, f"[{key}", f"[[{key}")):
            return n
    return None


def load(path: Path, rel: str | None = None) -> list[Decision]:
    """The decisions in ``path`` (none if the file does not exist); strict UTF-8."""
    rel = rel or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise HandoutsError(rel, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise HandoutsError(rel, f"not valid UTF-8 (byte {exc.start + 1})", line) from None
    return parse(text, rel)


def _toml_string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


HEADER = ("# An editor's decisions on the repair of {name} (python pipeline.py review, or fix -i).\n"
          "# Every run applies them; see the README, \"Reviewing the repair\".\n")


def dumps(decisions: list[Decision], name: str) -> str:
    """The file's text: decisions in source order, one table each, always written the same way."""
    parts = [HEADER.format(name=name)]
    for d in sorted(decisions, key=lambda d: (d.line, d.before, d.after or "", d.keep)):
        parts.append("\n[[decision]]\n")
        parts.append(f"line = {d.line}\n")
        parts.append(f"before = {_toml_string(d.before)}\n")
        parts.append("keep = true\n" if d.keep else f"after = {_toml_string(d.after or '')}\n")
    return "".join(parts)


def save(path: Path, decisions: list[Decision]) -> None:
    """Write the decisions file atomically (a temporary file beside it, flushed, then a rename),
    as every file of the project is written: a symlink is written through, the file's mode is
    kept, an error is ``path: error:``, not a traceback."""
    write_text(path, dumps(decisions, path.name.removesuffix(SUFFIX) + ".md"))


def decide(decisions: list[Decision], new: Decision) -> list[Decision]:
    """The decisions with ``new`` in place of any earlier one for the same place."""
    return [d for d in decisions if (d.line, d.before) != (new.line, new.before)] + [new]


def decision_for(original: str, item: "Item", after: str | None = None, keep: bool = False) -> Decision:
    """The decision that puts ``after`` (or keeps the text) at ``item``'s own place.

    A decision is found again by the *first* place of its text on its line, so when the
    item's text also occurs earlier on that line, ``before`` (and ``after``) take in the
    words before it, one at a time, until the first place is the item's."""
    if keep == (after is not None):
        raise ValueError("a decision has either after or keep")
    lines = Lines(original)
    line_start = lines.starts[item.line - 1]
    a, b = item.start, item.end
    while a > line_start and lines.find(item.line, original[a:b]) != a:
        k = a - 1
        while k > line_start and original[k - 1].isspace():
            k -= 1  # over the spaces
        while k > line_start and not original[k - 1].isspace():
            k -= 1  # over the word before
        a = k
    prefix = original[a : item.start]
    return Decision(item.line, original[a:b], None if keep else prefix + after, keep)


# -- applying -------------------------------------------------------------------------------------


def line_starts(text: str) -> list[int]:
    """The offset at which each line of ``text`` starts (the first is 0)."""
    starts = [0]
    append, find = starts.append, text.find
    k = find("\n")
    while k >= 0:  # a C search per line, not a Python step per character (a long document: 3 ms -> 0.1)
        append(k + 1)
        k = find("\n", k + 1)
    return starts


class Lines:
    """Offsets <-> 1-based (line, column) in a text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """Worked out when first asked (a document with no decisions never asks)."""
        if self._starts is None:
            self._starts = line_starts(self.text)
        return self._starts

    def position(self, offset: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.starts, offset) - 1
        return k + 1, offset - self.starts[k] + 1

    def find(self, line: int, needle: str) -> int | None:
        """Offset of ``needle`` starting on ``line`` (the first place), or None."""
        if not 1 <= line <= len(self.starts):
            return None
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        k = self.text.find(needle, start)
        return k if 0 <= k < end else None


def apply(original: str, result: Repair, decisions: list[Decision]) -> Applied:
    """The repair with the editor's decisions applied.  ``result`` is ``repair(original)``."""
    lines = Lines(original)
    spans: list[tuple[Decision, int, int]] = []
    stale: list[Decision] = []
    for d in sorted(decisions, key=lambda d: (d.line, d.before)):
        k = lines.find(d.line, d.before)
        if k is None:
            stale.append(d)
            continue
        a, b = k, k + len(d.before)
        if any(a < y and x < b for _, x, y in spans):
            stale.append(d)  # overlaps an earlier decision: only one can hold
            continue
        spans.append((d, a, b))
    if not spans:
        return Applied(result, [], stale)

    def covered(start: int, end: int) -> bool:
        return any(a < end and start < b or (start == end and a <= start <= b) for _, a, b in spans)

    edits: list[tuple[int, int, str, Fix | None]] = [(f.start, f.end, f.after, f) for f in result.fixes
                                                     if not covered(f.start, f.end)]
    for d, a, b in spans:
        edits.append((a, b, d.before if d.keep else (d.after or ""), None))
    edits.sort(key=lambda e: (e[0], e[1]))
    out, pos, fixes = [], 0, []
    for a, b, text, fix in edits:
        out.append(original[pos:a])
        out.append(text)
        pos = b
        if fix is not None:
            fixes.append(fix)
    out.append(original[pos:])
    flags = [f for f in result.flags if not covered(f.start, f.end)]
    for d, a, b in spans:
        if not d.keep and d.after != d.before:
            fixes.append(Fix(a, b, d.before, d.after or "", "editor:decision"))
    fixes.sort(key=lambda f: (f.start, f.end))
    return Applied(Repair("".join(out), fixes, flags), spans, stale)


def review_items(original: str, result: Repair, decisions: list[Decision] | None = None) -> list[Item]:
    """Every flag and statistical repair of ``result`` (= ``repair(original)``), in text order,
    each with the decision that covers it, if any."""
    lines = Lines(original)
    placed: list[tuple[Decision, int, int]] = []
    for d in decisions or []:
        k = lines.find(d.line, d.before)
        if k is not None:
            placed.append((d, k, k + len(d.before)))
    items: list[Item] = []
    for obj in list(result.flags) + [f for f in result.fixes if f.layer == "statistical"]:
        if isinstance(obj, Flag):
            kind, before, reason = "flag", obj.text, obj.reason
            suggestions = tuple(s for s in (obj.suggestion, *obj.alternatives) if s is not None)
        else:
            kind, before, reason = "repair", obj.before, "statistical repair: the thesaurus reading is more probable"
            suggestions = (obj.after, *obj.alternatives)
        line, column = lines.position(obj.start)
        decision = next((d for d, a, b in placed if a <= obj.start and obj.end <= b
                         or (a < obj.end and obj.start < b)), None)
        items.append(Item(obj.start, obj.end, line, column, before, kind, reason, obj.layer,
                          tuple(dict.fromkeys(suggestions)), decision))
    items.sort(key=lambda i: (i.start, i.end))
    return items
