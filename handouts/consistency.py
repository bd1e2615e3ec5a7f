"""Consistency across a language's catalogs (what translate-toolkit's ``poconflicts`` and
``porestructure``-style reviews look for):

* the same English unit translated differently in two places (``translated-differently``);
* one translation standing for two different English units (``shared-translation``).

Only checked translations count (translated, not fuzzy, not obsolete, singular).  A translator
who means the difference marks either entry with the flag ``ignore-inconsistent`` (Weblate's
name for the same check), and the pair is no longer reported.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

SILENCE = "ignore-inconsistent"
"""The flag (``#, ignore-inconsistent``) that says a difference is deliberate."""


@dataclass(frozen=True, slots=True)
class Place:
    """A checked translation and where it is."""

    path: str
    line: int
    msgid: str
    msgstr: str
    silenced: bool = False


@dataclass(frozen=True, slots=True)
class Inconsistency:
    kind: str
    """``translated-differently`` or ``shared-translation``."""
    here: Place
    there: Place
    """The first place (in catalog order) the other translation or English is found."""

    @property
    def message(self) -> str:
        there = f"{self.there.path}:{self.there.line}"
        if self.kind == "translated-differently":
            return (f"consistency: the same English is translated differently in {there}: "
                    f"{_short(self.there.msgstr)} (here {_short(self.here.msgstr)}); "
                    f"if that is meant, mark one with #, {SILENCE}")
        return (f"consistency: this translation also stands for other English in {there}: "
                f"{_short(self.there.msgid)} (here {_short(self.here.msgid)}); "
                f"if that is meant, mark one with #, {SILENCE}")


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return f'"{text}"' if len(text) <= width else f'"{text[: width - 1]}…"'


def places(catalog, path: str) -> list[Place]:
    """The checked translations of one catalog (a ``pofile.Catalog``)."""
    found = []
    for entry in catalog.entries:
        if entry.obsolete or "fuzzy" in entry.flags or entry.msgid_plural or not entry.msgstr:
            continue
        found.append(Place(path, entry.linenum, entry.msgid, entry.msgstr, SILENCE in entry.flags))
    return found


def find(places_: list[Place]) -> list[Inconsistency]:
    """Every inconsistency among a language's translations: each place that disagrees with the first
    place of the same English (or the same translation), in the order the places were given."""
    found = []
    for kind, key, other in (("translated-differently", "msgid", "msgstr"), ("shared-translation", "msgstr", "msgid")):
        groups: dict[str, list[Place]] = defaultdict(list)
        for place in places_:
            groups[getattr(place, key)].append(place)
        for group in groups.values():
            if len(group) < 2:
                continue
            firsts: dict[str, Place] = {}
            for place in group:
                firsts.setdefault(getattr(place, other), place)
            if len(firsts) < 2:
                continue
            first = group[0]
            for place in group[1:]:
                if getattr(place, other) != getattr(first, other) and not (place.silenced or first.silenced):
                    found.append(Inconsistency(kind, place, first))
    order = {id(p): n for n, p in enumerate(places_)}
    found.sort(key=lambda i: (order[id(i.here)], i.kind))
    return found
