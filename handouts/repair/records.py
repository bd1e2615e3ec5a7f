"""The repair's records: a repair (Fix), a suspicion (Flag), and the result (Repair)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .statistical import load_settings


@dataclass(frozen=True, slots=True)
class Fix:
    """One repair, in character offsets of the input text."""

    start: int
    end: int
    before: str
    """The input text that was replaced."""
    after: str
    """What replaced it."""
    rule: str
    """Which rule(s) made the change, e.g. ``phrases:ache administration``."""
    margin: float | None = None
    """For a statistical repair: how much more probable the repaired reading is (natural log)."""
    alternatives: tuple[str, ...] = ()
    """Other readings an editor may prefer, most probable first (statistical repairs)."""

    @property
    def layer(self) -> str:
        return layer_of(self.rule)

    @property
    def confidence(self) -> str:
        return confidence_of(self.layer, self.margin)


@dataclass(frozen=True, slots=True)
class Flag:
    """A suspicion for a human to check, in character offsets of the input text."""

    start: int
    end: int
    text: str
    reason: str
    suggestion: str | None = None
    rule: str = ""
    """The layer and rule that raised it (``statistical:synonym``, ``phrases:...``), if known."""
    margin: float | None = None
    alternatives: tuple[str, ...] = ()
    """Readings after ``suggestion``, most probable first."""

    @property
    def layer(self) -> str:
        return layer_of(self.rule) if self.rule else "detectors"

    @property
    def confidence(self) -> str:
        return confidence_of(self.layer, self.margin)


LAYERS = ("statistical", "learned", "phrases", "grammar", "words", "swaps", "spam", "detectors", "editor")
"""Report order: the statistical repairs first, since they are the ones to review."""


def layer_of(rule: str) -> str:
    """The layer a rule name belongs to: the stem of its rule file, or ``detectors``."""
    first = rule.split("+", 1)[0]
    stem = first.split(":", 1)[0] if ":" in first else ""
    if stem == "statistical" or "+statistical:" in rule:
        return "statistical"
    if stem in ("phrases", "grammar", "words", "swaps", "spam", "learned", "editor"):
        return stem
    return "detectors" if not stem else stem


def confidence_of(layer: str, margin: float | None) -> str:
    """``high`` / ``medium`` / ``low`` for statistical work (by margin); ``rule`` for a rule match."""
    if layer != "statistical" or margin is None:
        return "rule"
    settings = load_settings()
    if margin >= settings.repair_margin + 3:
        return "high"
    if margin >= settings.repair_margin:
        return "medium"
    return "low"


@dataclass(slots=True)
class Repair:
    """The result of repairing one text."""

    text: str
    fixes: list[Fix] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "text": self.text,
            "fixes": [
                {"start": f.start, "end": f.end, "before": f.before, "after": f.after, "rule": f.rule,
                 "layer": f.layer, "confidence": f.confidence, "margin": _round(f.margin),
                 "alternatives": list(f.alternatives)}
                for f in self.fixes
            ],
            "flags": [
                {"start": f.start, "end": f.end, "text": f.text, "reason": f.reason,
                 "suggestion": f.suggestion, "layer": f.layer, "confidence": f.confidence,
                 "margin": _round(f.margin), "alternatives": list(f.alternatives)}
                for f in self.flags
            ],
        }


def _round(margin: float | None) -> float | None:
    return None if margin is None else round(margin, 1)


