"""The terminal form of the review: ``python pipeline.py fix -i FILE`` (as ``codespell -i``).

For each flag and statistical repair that no decision covers yet (``decisions.review_items``)
it shows the line with the span marked, the reason and numbered suggestions, and reads one
key: ``a`` or Enter accepts the first suggestion, ``1``-``9`` picks one, ``k`` keeps the
text as received, ``e`` edits (asks for the text), ``s`` skips, ``q`` quits.  Each decision
is saved at once in ``<FILE stem>.review.toml`` beside FILE, so quitting (or Ctrl-C) loses
nothing decided.

On a terminal a key is read as soon as it is pressed (cbreak mode, restored on the way out);
from a pipe or a file, one line is one answer (its first character; an empty line is Enter,
and the line after an ``e`` is the edited text), so a script or a test can drive it.
"""
from __future__ import annotations

import codecs
import contextlib
import os
import sys
from pathlib import Path
from typing import TextIO

from .repair import decisions
from .repair.records import Repair

KEYS = "[a]ccept (Enter), [1-9] pick, [k]eep as received, [e]dit, [s]kip, [q]uit"
CONTEXT = 60
"""Characters of the line shown on each side of the span."""


class Answers:
    """One key per question from a terminal, or one line per answer from anything else."""

    def __init__(self, stdin: TextIO, out: TextIO):
        self.stdin = stdin
        self.out = out
        try:
            self.fd = stdin.fileno() if stdin.isatty() else None
        except (AttributeError, OSError, ValueError):
            self.fd = None

    @contextlib.contextmanager
    def session(self):
        """Cbreak mode on a terminal for the whole session, restored however it ends."""
        if self.fd is None:
            yield
            return
        import termios
        import tty

        saved = termios.tcgetattr(self.fd)
        try:
            tty.setcbreak(self.fd)
            yield
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)

    def key(self, prompt: str) -> str | None:
        """The key pressed (``"\\n"`` for Enter), or None at end of input."""
        self.out.write(prompt)
        self.out.flush()
        if self.fd is None:
            line = self.stdin.readline()
            if not line:
                self.out.write("\n")
                return None
            answer = line.strip()
            self.out.write(f"{answer}\n")
            return answer[:1] or "\n"
        data = os.read(self.fd, 1)
        if not data or data == b"\x04":
            self.out.write("\n")
            return None
        if data[0] >= 0x80:  # the rest of a UTF-8 character
            need = 1 if data[0] < 0xE0 else 2 if data[0] < 0xF0 else 3
            data += os.read(self.fd, need)
        key = data.decode("utf-8", "replace")
        key = "\n" if key == "\r" else key
        self.out.write(("" if key == "\n" else key if key.isprintable() else "?") + "\n")
        self.out.flush()
        return key

    def line(self, prompt: str) -> str | None:
        """A line of text (the edit), or None at end of input."""
        self.out.write(prompt)
        self.out.flush()
        if self.fd is None:
            line = self.stdin.readline()
            if not line:
                self.out.write("\n")
                return None
            text = line.rstrip("\r\n")
            self.out.write(text + "\n")
            return text
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        chars: list[str] = []
        while True:
            data = os.read(self.fd, 1)
            if not data or (data == b"\x04" and not chars):
                self.out.write("\n")
                return None
            if data in (b"\n", b"\r"):
                self.out.write("\n")
                self.out.flush()
                return "".join(chars)
            if data in (b"\x7f", b"\x08"):
                if chars:
                    chars.pop()
                    self.out.write("\b \b")
                    self.out.flush()
                continue
            text = decoder.decode(data)
            if text and text.isprintable():
                chars.append(text)
                self.out.write(text)
                self.out.flush()


def show(item: decisions.Item, original_lines: list[str], path: str, number: int, total: int, out: TextIO) -> None:
    """The item as the editor sees it: where, why, the line with the span marked, the suggestions."""
    what = (f'repaired: "{item.before}" → "{item.suggestions[0]}"' if item.kind == "repair" and item.suggestions
            else f'flag: "{item.before}"')
    out.write(f"\n[{number}/{total}] {path}:{item.line}:{item.column}: {what}: {item.reason}  [{item.layer}]\n")
    text = original_lines[item.line - 1] if item.line <= len(original_lines) else ""
    a = item.column - 1
    b = min(len(text), a + len(item.before.split("\n", 1)[0]))
    lo, hi = max(0, a - CONTEXT), min(len(text), b + CONTEXT)
    left = ("…" if lo else "") + text[lo:a]
    right = text[b:hi] + ("…" if hi < len(text) else "")
    gutter = f"{item.line:>5} | "
    out.write(f"{gutter}{left}{text[a:b]}{right}\n")
    out.write(" " * (len(gutter) - 2) + "| " + " " * len(left) + "^" * max(1, b - a) + "\n")
    for k, s in enumerate(item.suggestions[:9], 1):
        out.write(f"  {k}) \"{s}\"\n")
    if not item.suggestions:
        out.write("  (no suggestion: keep it, or edit it)\n")


def review(path: str, original: str, automatic: Repair, review_path: Path, stdin: TextIO | None = None,
           out: TextIO | None = None) -> tuple[int, int]:
    """Ask about every unreviewed item of ``automatic`` (= the repair of ``original``), saving
    each decision at once; returns (decided, left)."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    answers = Answers(stdin, out)
    chosen = decisions.load(review_path)
    lines = original.split("\n")
    todo = [i for i in decisions.review_items(original, automatic, chosen) if not i.reviewed]
    decided = 0
    if todo:
        out.write(f"{path}: {len(todo)} to review; decisions go to {review_path}\n{KEYS}\n")
    with answers.session():
        for number, item in enumerate(todo, 1):
            current = decisions.review_items(original, automatic, chosen)
            if any(i.start == item.start and i.end == item.end and i.reviewed for i in current):
                continue  # an earlier decision in this session covers it
            show(item, lines, path, number, len(todo), out)
            made = _ask(item, answers, out, original)
            if made == "quit":
                break
            if made is None:
                continue
            chosen = decisions.decide(chosen, made)
            decisions.save(review_path, chosen)
            decided += 1
    left = sum(1 for i in decisions.review_items(original, automatic, chosen) if not i.reviewed)
    out.write(f"{decided} decided, {left} left\n")
    out.flush()
    return decided, left


def _ask(item: decisions.Item, answers: Answers, out: TextIO, original: str):
    """The editor's decision for ``item``; None to skip it, ``"quit"`` to stop."""
    while True:
        key = answers.key("decision? ")
        if key is None or key in ("q", "Q"):
            return "quit"
        key = key.lower()
        if key in ("a", "\n") or (len(key) == 1 and key in "123456789"):
            k = 0 if key in ("a", "\n") else int(key) - 1
            if k >= len(item.suggestions):
                out.write("no such suggestion; " + KEYS + "\n")
                continue
            return decisions.decision_for(original, item, after=item.suggestions[k])
        if key == "k":
            return decisions.decision_for(original, item, keep=True)
        if key == "e":
            text = answers.line("replace with: ")
            if text is None:
                return "quit"
            if text == "":
                out.write("nothing typed; " + KEYS + "\n")
                continue
            if text == item.before:
                return decisions.decision_for(original, item, keep=True)
            return decisions.decision_for(original, item, after=text)
        if key == "s":
            return None
        out.write(KEYS + "\n")
