"""Render: a parsed document plus its translations -> HTML and plain-text handouts.

The document's Markdown tokens are rendered once per language with each
translatable inline replaced by its translation (parsed as inline Markdown
again, raw HTML off, so a ``<script>`` in a translation comes out as text).
The HTML goes through ``templates/handout.html.j2`` (autoescaped); the text
version is laid out here, wrapped by display width so CJK characters count two
columns, then put in ``templates/handout.txt.j2``.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import HandoutsError
from .units import Parsed, Unit, markdown, parse_inline, translated_inline

if TYPE_CHECKING:
    from markdown_it.token import Token

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEXT_WIDTH = 72


def template_text(path: Path, where: str) -> str:
    """A template's text (``where``: its name in messages); one that is not UTF-8 is ``path:line: error:``."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HandoutsError(where, f"the template is not UTF-8 (byte 0x{data[exc.start]:02x})",
                            data.count(b"\n", 0, exc.start) + 1) from None

Lookup = Callable[[Unit], "str | None"]


def translate_tokens(parsed: Parsed, lookup: Lookup, fallback_lang: str | None = None) -> tuple[list[Token], int]:
    """A copy of the document's tokens with every unit translated where ``lookup`` has it.

    A unit without a translation stays in the source language; when
    ``fallback_lang`` is given its block is marked ``lang``/``dir``/``class`` so
    that readers, screen readers and print can tell.  Returns the tokens and the
    number of such passages.
    """
    out = list(parsed.tokens)
    untranslated = 0
    for index, token in enumerate(parsed.tokens):
        unit = parsed.slots.get(index)
        if unit is None:
            continue
        translation = lookup(unit)
        if translation is None:
            if fallback_lang is not None:
                untranslated += 1
                opener = _block_opener(parsed.tokens, index)
                if opener is not None:
                    marked = out[opener].copy()
                    marked.attrs = {**marked.attrs, "lang": fallback_lang, "dir": "ltr", "class": "untranslated"}
                    out[opener] = marked
            continue
        source = translated_inline(unit, token.content, translation)
        copy = token.copy()
        copy.content = source
        copy.children = parse_inline(source, parsed.env)
        out[index] = copy
    return out, untranslated


def _block_opener(tokens: list[Token], index: int) -> int | None:
    """The visible element that holds the inline token at ``index``."""
    k = index - 1
    while k >= 0 and (tokens[k].hidden or not tokens[k].type.endswith("_open")):
        k -= 1
    return k if k >= 0 else None


def body_html(tokens: list[Token]) -> str:
    md = markdown()
    return md.renderer.render(tokens, md.options, {})


def blocks(tokens: list[Token]) -> list[tuple[int, int]]:
    """(start, end) of each top-level block: a heading, a paragraph, a whole list, a table, a code block."""
    spans = []
    start = None
    depth = 0
    for i, token in enumerate(tokens):
        if depth == 0:
            start = i
        depth += token.nesting
        if depth == 0:
            spans.append((start, i + 1))
    return spans


def passages(translated: list[Token], original: list[Token], english: list[str] | None = None) -> list[tuple[str, str]]:
    """HTML of each top-level block in the translation and in the English, side by side.

    Both token lists come from the same parse (the translation only replaces inline
    content), so their blocks line up one to one.  ``english``: the English side, as
    ``english_passages`` gives it (the same for every language of the document).
    """
    spans = blocks(original)
    english = english if english is not None else english_passages(original)
    return [(body_html(translated[a:b]), html) for (a, b), html in zip(spans, english)]


def english_passages(original: list[Token]) -> list[str]:
    """HTML of each top-level block of the document as written."""
    return [body_html(original[a:b]) for a, b in blocks(original)]


def lead_end(tokens: list[Token]) -> int:
    """End of the document's leading heading (its title) in ``tokens``; 0 if it does not open with one."""
    if tokens and tokens[0].type == "heading_open":
        return next((i + 1 for i, t in enumerate(tokens) if t.type == "heading_close"), 0)
    return 0


def inline(source: str, env: dict | None = None) -> tuple[str, str]:
    """HTML and plain text of one piece of inline Markdown (raw HTML off, as everywhere)."""
    md = markdown()
    children = parse_inline(source, env)
    return md.renderer.renderInline(children, md.options, {}), inline_text(children)


def title_of(tokens: list[Token]) -> str:
    """Plain text of the first heading."""
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            return inline_text(tokens[i + 1].children or [])
    return ""


# ---------------------------------------------------------------------------
# Plain text


_NARROW = re.compile(r"[\u0020-\u007e\u00a0-\u02ff]*")


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters count two, combining marks none."""
    if _NARROW.fullmatch(text):  # Latin letters with their accents: one column each
        return len(text)
    from wcwidth import wcwidth  # here: its tables take 0.05 s to import, and most runs need none

    return sum(max(wcwidth(c), 0) for c in text)


def inline_text(children: list[Token]) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            out.append(child.content)
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "image":
            out.append("".join(c.content for c in child.children or ()) or child.content)
        elif kind == "link_open":
            links.append((str(child.attrs.get("href", "")), len(out)))
        elif kind == "link_close" and links:
            href, at = links.pop()
            label = "".join(out[at:])
            if href and href != label and not href.startswith("#") and f"mailto:{label}" != href:
                out.append(f" ({href})")
    return "".join(out)


_CJK = (
    "\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
    "\U00020000-\U0002fffd\U00030000-\U0003fffd"
)
# characters that may not start a line (CJK and Western closing punctuation)
_NO_START = "、。，．：；？！）」』】〕〉》｝〗〙〛’”％‰)]}.,;:!?…—－"
_ATOM = re.compile(
    rf"\s+|[{_CJK}][{re.escape(_NO_START)}]*|[^\s{_CJK}]+?(?=\s|[{_CJK}]|$)[{re.escape(_NO_START)}]*"
)


def wrap(text: str, width: int = TEXT_WIDTH, first: str = "", rest: str = "") -> list[str]:
    """Wrap ``text`` to ``width`` display columns; lines start with ``first`` then ``rest``.

    Spaces separate words; CJK text breaks between characters, but never before
    closing punctuation.  A word longer than the line (a URL) gets a line of its own.
    """
    lines: list[str] = []
    for segment in text.split("\n"):
        line = first if not lines else rest
        used = prefix_len = display_width(line)
        spaced: set[int] | None = None  # which words have a space before them (None: all but the first)
        if _NARROW.fullmatch(segment):
            # Latin text: a column a character, and (no CJK) the atoms are the words, a space between them
            words, measure = segment.split(), len
        else:
            words, spaced, measure, space = [], set(), display_width, False
            for atom in _ATOM.findall(segment.strip()):
                if atom.isspace():
                    space = True
                    continue
                if space:
                    spaced.add(len(words))
                words.append(atom)
                space = False
        for k, word in enumerate(words):
            w = measure(word)
            gap = 1 if (k if spaced is None else k in spaced) and used > prefix_len else 0
            if used + gap + w > width and used > prefix_len:
                lines.append(line.rstrip())
                line, used, gap = rest, display_width(rest), 0
                prefix_len = used
            line = f"{line} {word}" if gap else line + word
            used += gap + w
        lines.append(line.rstrip())
    return lines


def body_text(tokens: list[Token], width: int = TEXT_WIDTH) -> str:
    """Lay out the document as plain text: underlined headings, hanging indents."""
    blocks: list[list[str]] = []
    lists: list[list] = []  # [ordered, next number] per open list
    items: list[str] = []  # content indent of each open list item
    pending: str | None = None  # "  - " waiting for the item's first paragraph
    item_block = False  # did the last block come from a tight list item?
    row: list[str] = []
    table: list[list[str]] = []
    for i, token in enumerate(tokens):
        kind = token.type
        indent = items[-1] if items else ""
        if kind == "inline" and tokens[i - 1].type == "heading_open":
            text = inline_text(token.children or []).replace("\n", " ")
            lines = wrap(text, width, indent, indent)
            rule = "=" if tokens[i - 1].tag == "h1" else "-"
            lines.append(indent + rule * max(display_width(l) - len(indent) for l in lines))
            blocks.append(lines)
            item_block = False
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrs.get("start", 1) if kind == "ordered_list_open" else 0
            lists.append([kind == "ordered_list_open", int(start or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            ordered, number = lists[-1]
            marker = f"{number}. " if ordered else "- "
            lists[-1][1] += 1
            pending = indent + marker
            items.append(indent + " " * len(marker))
        elif kind == "list_item_close":
            items.pop()
            if pending is not None:  # an empty item
                blocks.append([pending.rstrip()])
                pending = None
        elif kind == "inline" and tokens[i - 1].type == "paragraph_open":
            text = inline_text(token.children or [])
            first = pending if pending is not None else indent
            lines = wrap(text, width, first, indent)
            tight = tokens[i - 1].hidden
            if tight and pending is not None and item_block and blocks:
                blocks[-1].extend(lines)
            else:
                blocks.append(lines)
            item_block = tight
            pending = None
        elif kind in ("fence", "code_block"):
            code = token.content.rstrip("\n").split("\n")
            blocks.append([indent + "    " + l if l else "" for l in code])
            item_block = False
        elif kind == "hr":
            blocks.append([indent + "* * *"])
            item_block = False
        elif kind == "tr_open":
            row = []
        elif kind == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            row.append(inline_text(token.children or []).replace("\n", " "))
        elif kind == "tr_close":
            table.append(row)
        elif kind == "thead_close" and table:
            table.append([])  # rule under the header
        elif kind == "table_close":
            blocks.append(_table_lines(table, indent, width))
            table = []
            item_block = False
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"


def _table_lines(table: list[list[str]], indent: str, width: int) -> list[str]:
    columns = max((len(r) for r in table), default=0)
    widths = [max((display_width(r[c]) for r in table if c < len(r)), default=0) for c in range(columns)]
    lines = []
    for row in table:
        if not row:
            lines.append(indent + "-+-".join("-" * w for w in widths))
            continue
        cells = [cell + " " * (widths[c] - display_width(cell)) for c, cell in enumerate(row)]
        lines.append((indent + " | ".join(cells)).rstrip())
    return lines
