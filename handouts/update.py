"""The update stage: templates from the documents and the handout templates, catalogs merged.

Everything is read and checked first, then written, so a bad catalog stops the run
before any file changes.  A catalog is replaced only if it is still exactly what was
read; if a translator saved it meanwhile, it is merged again from their save, and if
it keeps changing the run stops and says so: a translator's save is never lost.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from babel.messages.extract import extract

from . import catalogs, render
from .catalogs import UI_DOMAIN, Message
from .documents import Changed, replace_if_unchanged, write_text
from .errors import HandoutsError
from .pofile import Catalog

RETRIES = 5


def ui_messages() -> list[Message]:
    """The templates' own words, extracted with Babel's Jinja2 extractor."""
    messages: dict[tuple[str, str], Message] = {}
    for path in sorted(render.TEMPLATES.glob("*.j2")):
        with path.open("rb") as f:
            for lineno, msg, _comments, _ctx in extract(
                "jinja2", f, keywords={"ui": (1,), "ui_n": (1, 2)},
                options={"extensions": "jinja2.ext.i18n", "trimmed": "false"},
            ):
                singular, plural = (msg if isinstance(msg, tuple) else (msg, ""))
                loc = (f"handouts/templates/{path.name}", lineno)
                key = (singular, plural)
                old = messages.get(key)
                locations = (old.locations if old else ()) + (loc,)
                messages[key] = Message(singular, locations, "handout template: words of every handout", plural)
    return list(messages.values())


@dataclass(slots=True)
class _Plan:
    path: Path
    new: Catalog
    old: Catalog | None
    remerge: Callable[[Catalog | None], Catalog] | None
    """Merge again from a catalog a translator saved meanwhile (None for templates)."""


def update(locale_dir: Path, codes: list[str], documents: list[tuple[str, list[Message]]],
           rel: Callable[[Path], str]) -> list[Path]:
    """Write ``<domain>.pot`` and every ``<code>/LC_MESSAGES/<domain>.po``; return the files written.

    ``documents`` is (domain, messages) per document; the templates' own words are added.
    """
    domains = list(documents) + [(UI_DOMAIN, ui_messages())]
    names = [d for d, _ in domains]
    loaded: dict[tuple[str, str], Catalog | None] = {}
    for code in codes:
        folder = locale_dir / code / "LC_MESSAGES"
        extra = sorted(p.stem for p in folder.glob("*.po")) if folder.is_dir() else []
        for domain in dict.fromkeys(names + extra):
            path = catalogs.po_path(locale_dir, code, domain)
            loaded[(code, domain)] = catalogs.load(path, rel(path))
    memories = {code: _memory(loaded, code) for code in codes}

    plans: list[_Plan] = []
    for domain, messages in domains:
        pot_path = locale_dir / f"{domain}.pot"
        pot = catalogs.build_template(domain, messages, rel(pot_path))
        catalogs.validate(pot)
        plans.append(_Plan(pot_path, pot, None, None))  # the pipeline's own file: rewritten when its bytes differ
        for code in codes:
            path = catalogs.po_path(locale_dir, code, domain)
            memory = {k: v for (d, k), v in memories[code].items() if d != domain}
            sibling = next((c for (c2, d), c in sorted(loaded.items(), key=lambda kv: kv[0][1])
                            if c2 == code and c is not None and d != domain), None)

            def remerge(old: Catalog | None, pot=pot, code=code, domain=domain, memory=memory,
                        sibling=sibling, path=path) -> Catalog:
                return catalogs.merge(pot, old, code, domain, memory, sibling, rel(path))

            old = loaded[(code, domain)]
            new = remerge(old)
            catalogs.validate(new)
            plans.append(_Plan(path, new, old, remerge))

    written = []
    for plan in plans:
        if _write(plan, rel):
            written.append(plan.path)
    return written


def _write(plan: _Plan, rel: Callable[[Path], str]) -> bool:
    if plan.remerge is None:  # a template: the pipeline's own file
        return write_text(plan.path, catalogs.catalog_text(plan.new))
    new, old = plan.new, plan.old
    for _ in range(RETRIES):
        if not catalogs.needs_writing(new, old):
            return False
        try:
            replace_if_unchanged(plan.path, catalogs.catalog_text(new), old.data if old is not None else None)
            return True
        except Changed:
            # a translator saved while we worked: start again from their file
            old = catalogs.load(plan.path, rel(plan.path))
            new = plan.remerge(old)
            catalogs.validate(new)
    raise HandoutsError(rel(plan.path), "the catalog kept changing on disk while the pipeline was updating it "
                                        "(is a translator saving it?); it was left as saved: run the pipeline again")


def _memory(loaded: dict[tuple[str, str], Catalog | None], code: str) -> dict[tuple[str, str], str]:
    """(domain, source text) -> translation, from every catalog of ``code``: checked work only."""
    memory: dict[tuple[str, str], str] = {}
    for (c, domain), catalog in sorted(loaded.items(), key=lambda kv: kv[0][1]):
        if c != code or catalog is None:
            continue
        for entry in catalog.entries:
            if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags and not entry.msgid_plural:
                memory.setdefault((domain, entry.msgid), entry.msgstr)
    return memory
