"""A synthetic clinic library for the build benchmark: N documents × M languages, fully translated.

    from library import make_library
    make_library(root, documents=100, locales=8)

Documents are made from the clean leaflets in tests/corpus/clean/ (correct English, so the
repair step leaves them alone), each with its own title and a numbered sentence so that
no two documents share every message.  Translations are pseudo-translations: every
letter outside markup, link targets, code, numbers, units and drug names is changed
(vowels get accents), and a negated English sentence gets the language's word for
"not", so every translation passes every error-level check and differs from the English.
The same texts are written for Sphinx (MyST Markdown) and po4a when they are compared.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ["de", "es", "fr", "it", "nl", "pl", "pt", "sv", "da", "fi", "cs", "ro", "hu", "tr", "ca", "el"]
NEGATION = {"de": "nicht", "es": "no", "fr": "pas", "it": "non", "pt": "não"}
_ACCENT = str.maketrans("aeiouAEIOU", "áéíóúÁÉÍÓÚ")
_PROTECT = re.compile(
    r"`[^`]*`"                                      # inline code
    r"|\]\([^)]*\)"                                 # a link's target
    r"|<[^>\s]+>"                                    # autolinks
    r"|%\(\w+\)s|%%"                                 # placeholders
    r"|\d[\d.,/]*\s*(?:mmol/L|mmol|mmHg|mcg|mg|mL|ml|kg|g|°C|°F|%|cm|mm|IU)?(?![A-Za-z])"  # numbers and units
)


def _drugs() -> set[str]:
    lines = (ROOT / "handouts" / "rules" / "drugs.txt").read_text(encoding="utf-8").splitlines()
    return {l.strip().lower() for l in lines if l.strip() and not l.startswith("#")}


_DRUGS = None


def pseudo_translate(text: str, locale: str) -> str:
    """A translation that passes the checks: same numbers, markup, links, drug names."""
    core = text.strip()
    if not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    return lead + _pseudo(core, locale) + trail


def _pseudo(text: str, locale: str) -> str:
    global _DRUGS
    if _DRUGS is None:
        _DRUGS = _drugs()
    out = []
    pos = 0
    for m in _PROTECT.finditer(text):
        out.append(_letters(text[pos:m.start()]))
        out.append(_number(m.group(0), locale) if m.group(0)[:1].isdigit() else m.group(0))
        pos = m.end()
    out.append(_letters(text[pos:]))
    result = "".join(out)
    word = NEGATION.get(locale)
    if word and re.search(r"\b(?:not|no|never|none|nothing|nobody|neither|nor|without|cannot)\b|n['’]t\b",
                          re.sub(r"\b(?:no|not)\s+(?:more|less|longer|later|fewer|earlier|sooner)\s+than\b", " ",
                                 text, flags=re.I), re.I):
        result = f"{word} {result}" if not result.startswith(("#", "-", "*")) else result + f" {word}"
    return result


def _number(text: str, locale: str) -> str:
    """English digits written the language's way: "1,200" -> "1200", "2.5" -> "2,5" in German."""
    from babel.numbers import get_decimal_symbol

    decimal = get_decimal_symbol(locale)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    return re.sub(r"(?<=\d)\.(?=\d)", decimal, text)


def _letters(text: str) -> str:
    def swap(m: re.Match) -> str:
        w = m.group(0)
        return w if w.lower() in _DRUGS else w.translate(_ACCENT)

    return re.sub(r"[A-Za-z]+", swap, text)


def documents(count: int, length: int = 1) -> list[tuple[str, str]]:
    """(name, Markdown) for ``count`` documents made from the clean leaflets; with ``length`` > 1 each
    document is that many leaflets in a row (the first one's title, the others' as sections)."""
    leaflets = sorted((ROOT / "tests" / "corpus" / "clean").glob("*.md"))
    rnd = random.Random(1)
    docs = []
    for n in range(count):
        parts = []
        for k in range(length):
            text = leaflets[(n * length + k) % len(leaflets)].read_text(encoding="utf-8").rstrip("\n")
            if k:  # a later leaflet is a section of the first: its headings one level down
                text = re.sub(r"^(#+) ", r"#\1 ", text, flags=re.M)
            parts.append(text)
        lines = "\n\n".join(parts).split("\n")
        if lines and lines[0].startswith("# "):
            lines[0] = f"{lines[0]} ({n + 1})"
        body = "\n".join(lines).rstrip("\n")
        body += f"\n\nThis leaflet is number {n + 1} of the library, revised in week {rnd.randint(1, 52)}.\n"
        docs.append((f"leaflet-{n + 1:04d}", body))
    return docs


def make_library(root: Path, documents_count: int, locales: list[str], length: int = 1) -> list[tuple[str, str]]:
    """A project folder with the documents and fully translated catalogs for ``locales``."""
    import polib

    docs = documents(documents_count, length)
    (root / "source").mkdir(parents=True, exist_ok=True)
    for name, text in docs:
        (root / "source" / f"{name}.md").write_text(text, encoding="utf-8")
    (root / "locale").mkdir(exist_ok=True)
    (root / "locale" / "LINGUAS").write_text("".join(f"{c}\n" for c in locales), encoding="utf-8")
    import subprocess
    import sys

    subprocess.run([sys.executable, str(ROOT / "pipeline.py"), "-C", str(root), "update"], check=True,
                   stderr=subprocess.DEVNULL)
    for code in locales:
        for path in sorted((root / "locale" / code / "LC_MESSAGES").glob("*.po")):
            po = polib.pofile(str(path))
            for entry in po:
                if entry.msgid_plural:
                    for i in entry.msgstr_plural:
                        entry.msgstr_plural[i] = pseudo_translate(entry.msgid if i == 0 else entry.msgid_plural, code)
                else:
                    entry.msgstr = pseudo_translate(entry.msgid, code)
            po.save()
    return docs


# ---------------------------------------------------------------------------
# The same documents in reStructuredText, for Sphinx at its fastest (no Markdown parser)


def _rst_inline(text: str) -> str:
    """Markdown inline markup as reST: links anonymous, code literal; bold and emphasis are written alike."""
    out = []
    pos = 0
    for m in re.finditer(r"`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)", text):
        out.append(_rst_text(text[pos:m.start()]))
        out.append(f"``{m.group(1)}``" if m.group(1) is not None else f"`{m.group(2)} <{m.group(3)}>`__")
        pos = m.end()
    out.append(_rst_text(text[pos:]))
    return "".join(out)


def _rst_text(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return re.sub(r"(?<=\w)_(?=\W|$)", r"\\_", text)  # "word_" would be a reference


def to_rst(markdown: str) -> str:
    """The Markdown the library is made of (headings, paragraphs, lists, pipe tables, emphasis, links, code) as
    reStructuredText: what a project written for Sphinx would hold."""
    out: list[str] = []
    underline = {1: "=", 2: "-", 3: "~", 4: "^"}
    for block in re.split(r"\n\s*\n", markdown.strip("\n")):
        lines = block.split("\n")
        first = lines[0]
        heading = re.match(r"(#+) (.*)", first)
        if heading and len(lines) == 1:
            title = _rst_inline(heading.group(2))
            out.append(f"{title}\n{underline[len(heading.group(1))] * max(4, len(title))}")
        elif first.startswith("|"):
            rows = [[c.strip() for c in l.strip().strip("|").split("|")] for l in lines
                    if not re.fullmatch(r"\|?[\s:|-]+\|?", l.strip())]
            table = [".. list-table::", "   :header-rows: 1", ""]
            for row in rows:
                table += [f"   * - {_rst_inline(row[0])}"] + [f"     - {_rst_inline(c)}" for c in row[1:]]
            out.append("\n".join(table))
        elif re.match(r"[-*] ", first):
            items: list[str] = []
            for line in lines:
                if re.match(r"[-*] ", line):
                    items.append(line[2:].strip())
                else:
                    items[-1] += " " + line.strip()
            out.append("\n".join(f"- {_rst_inline(item)}" for item in items))
        else:
            out.append(_rst_inline(" ".join(l.strip() for l in lines)))
    return "\n\n".join(out) + "\n"
