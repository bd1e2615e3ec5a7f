"""Units: split a (repaired) Markdown document into translatable pieces.

A real CommonMark parser (markdown-it-py, with tables) reads the document.
Every heading, paragraph, list item, table cell and stand-alone image's alt
text becomes a unit; inline emphasis, code and links stay inside the unit as
Markdown, so the translator sees ``Call **999** or go to [A&E](...)`` and puts
the markup where their language needs it.  Code blocks are not translated.

Raw HTML is not recognised (``html`` off): it stays text, and comes out escaped,
so nothing a translation contains can inject markup into a handout.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import HandoutsError

if TYPE_CHECKING:  # (imported when first parsed: a command that parses nothing starts without it)
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@functools.cache
def markdown() -> MarkdownIt:
    """The parser every stage uses, so that extraction and rendering agree (one instance, reused)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def parse_inline(source: str, env: dict | None = None) -> list[Token]:
    """The inline tokens of ``source``, as ``markdown().parseInline`` gives them.

    Text holding none of the characters at which markdown-it's inline parser stops to look for
    syntax (its ``terminator_re``: ``*``, ``[``, ``\\``, ``&``, a line break, ...) is one text
    token whatever the rules (its first rule takes everything up to such a character), so that
    token is made directly: most translated sentences, in a tenth of the time of the parse
    (``tests/test_render.py`` compares the two)."""
    if plain_text(source):
        from markdown_it.token import Token

        return [Token("text", "", 0, content=source)]
    return markdown().parseInline(source, dict(env or {}))[0].children or []


def plain_text(source: str) -> bool:
    """Is ``source`` one text token to markdown-it's inline parser (``parse_inline``): no markup?"""
    return bool(source) and markdown().inline.terminator_re.search(source) is None


@dataclass(frozen=True, slots=True)
class Unit:
    """One translatable piece of a document."""

    msgid: str
    """The Markdown source of the piece, soft line breaks made spaces."""
    kind: str
    """``heading 1`` ... ``heading 6``, ``paragraph``, ``list item``, ``table header``,
    ``table cell``, ``image alt``."""
    line: int
    """1-based line of the source where the piece starts."""
    section: str
    """Plain text of the heading the piece sits under ('' before the first heading)."""
    path: str = ""
    """Where the piece is written when it is not in the document itself (the urgent passage,
    in ``source/<doc>.toml``); '' for the document."""

    @property
    def comment(self) -> str:
        """The ``#.`` comment a translator sees."""
        if self.kind == URGENT:
            return "urgent passage, shown in a box on the first page"
        where = f' under "{self.section}"' if self.section and not self.kind.startswith("heading") else ""
        return f"{self.kind}{where}"


URGENT = "urgent"
"""The kind of a document's urgent passage (``urgent = "..."`` in ``source/<doc>.toml``)."""


@dataclass(slots=True)
class Parsed:
    """A document parsed once, for both extraction and rendering."""

    path: str
    """Path as written in catalogs and messages, e.g. ``source/ketamine.md``."""
    tokens: list[Token]
    env: dict = field(default_factory=dict)
    """markdown-it's environment: link reference definitions, needed to render units."""
    units: list[Unit] = field(default_factory=list)
    slots: dict[int, Unit] = field(default_factory=dict)
    """Index of each translatable inline token (or image-only inline) -> its unit."""


_SOFT_BREAK = re.compile(r"(?<![ \\])[ \t]*\n[ \t]*")
_HARD_BREAK = re.compile(r"(?: {2,}|\t+)\n[ \t]*|\\\n[ \t]*")
_IMAGE_ONLY = re.compile(r"!\[(?P<alt>(?:[^\]\\\n]|\\.)*)\]\((?P<rest>[^()\s]*(?:\s+\"[^\"\n]*\")?)\)")


def normalise_inline(content: str) -> str:
    """Inline Markdown as a msgid: soft breaks become spaces, hard breaks ``\\`` + newline."""
    content = _HARD_BREAK.sub("\\\\\n", content.strip())
    return _SOFT_BREAK.sub(" ", content)


def _plain(token: Token) -> str:
    return "".join(c.content for c in token.children or () if c.type in ("text", "code_inline")) or token.content


def parse(path: str, text: str) -> Parsed:
    """Parse ``text`` (the document at ``path``) and collect its units.

    Raises HandoutsError where the parser would silently drop content: markdown-it stops
    reading blocks nested deeper than its limit (lists or quotes about ten levels deep).
    """
    env: dict = {}
    md = markdown()
    tokens = md.parse(text, env)
    limit = md.options["maxNesting"]
    for token in tokens:
        if token.level >= limit - 1 and token.map:
            raise HandoutsError(path, f"lists or quotes nested too deeply ({limit // 2 - 1} levels at most): "
                                      "Markdown would drop everything from here on", token.map[0] + 1)
    parsed = Parsed(path, tokens, env)
    section = ""
    kinds: list[str] = []  # what the current inline token sits in
    for index, token in enumerate(tokens):
        if token.type.endswith("_open"):
            kinds.append(token.type[: -len("_open")] + (token.tag if token.type == "heading_open" else ""))
            continue
        if token.type.endswith("_close"):
            kinds.pop()
            continue
        if token.type != "inline":
            continue
        context = kinds[-1] if kinds else ""
        line = (token.map[0] + 1) if token.map else 1
        if context.startswith("heading"):
            kind = f"heading {context[-1]}"
        elif context == "th":
            kind = "table header"
        elif context == "td":
            kind = "table cell"
        elif "list_item" in kinds:
            kind = "list item"
        else:
            kind = "paragraph"
        content = normalise_inline(token.content)
        if not content:
            continue
        image = _IMAGE_ONLY.fullmatch(content)
        if image:
            if not image.group("alt").strip():
                continue
            unit = Unit(image.group("alt"), "image alt", line, section)
        else:
            unit = Unit(content, kind, line, section)
        if kind.startswith("heading"):
            section = _plain(token)
            unit = Unit(content, kind, line, "")
        parsed.units.append(unit)
        parsed.slots[index] = unit
    return parsed


def add_urgent(parsed: Parsed, text: str, path: str, line: int) -> Unit:
    """Make ``text`` (inline Markdown from ``path``:``line``) the document's urgent passage.

    It becomes a unit of its own, right after the title (or first, without one), so that
    a translator meets it where a reader does.  Raises HandoutsError if it is empty or is
    more than one paragraph (the box holds one).
    """
    content = normalise_inline(text)
    if not content:
        raise HandoutsError(path, "urgent is empty: write the passage to show in a box on the first page", line)
    if "\n\n" in text.strip() or any(t.type != "paragraph_open" for t in markdown().parse(content)[:1]):
        raise HandoutsError(path, "urgent must be one paragraph of text (inline Markdown: **bold**, links)", line)
    unit = Unit(content, URGENT, line, "", path)
    at = 1 if parsed.units and parsed.units[0].kind == "heading 1" else 0
    parsed.units.insert(at, unit)
    return unit


def urgent_unit(parsed: Parsed) -> Unit | None:
    """The document's urgent passage, if it has one."""
    return next((u for u in parsed.units[:2] if u.kind == URGENT), None)


def translated_inline(unit: Unit, original: str, translation: str) -> str:
    """The Markdown to render in place of ``original`` given a unit's translation."""
    if unit.kind == "image alt":
        image = _IMAGE_ONLY.fullmatch(normalise_inline(original))
        if image:
            alt = re.sub(r"(?<!\\)\]", r"\\]", translation)
            return f"![{alt}]({image.group('rest')})"
    return translation
