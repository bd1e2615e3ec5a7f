"""The repair report an editor reads: `fix` prints it, the pipeline writes output/repair/<doc>.txt.

One compiler-style line per change and per suspicion, grouped so that what most needs a
human eye comes first:

0. the editor's decisions (``source/<doc>.review.toml``): texts chosen, originals kept;
1. statistical repairs (review first): made by the language model, not by a rule;
2. phrase table: known spinner swaps (``phrases``, ``grammar``, ``words``);
3. detectors: injected keywords, stray capitals, "a"/"an";
4. flags: suspicions left for the editor, statistical ones first;
5. stale decisions: ones whose text is no longer on their line, applied nowhere.

Each line ends with ``[layer:rule, confidence]``: ``high``/``medium``/``low`` and the
margin (natural log odds) for the statistical layer; ``sure`` for a phrase-table entry
that is repaired everywhere, ``spun`` for one repaired only in a spun text, ``rule`` for
a detector.
"""
from __future__ import annotations

from .decisions import Lines
from .records import Fix, Flag, Repair
from .rules import load_rules

GROUPS = (
    ("editor", "editor's decisions"),
    ("statistical", "statistical repairs (review first)"),
    ("learned", "learned from editors' decisions"),
    ("phrase table", "phrase table"),
    ("detectors", "detectors"),
)
_GROUP_OF_LAYER = {"statistical": "statistical", "phrases": "phrase table", "grammar": "phrase table",
                   "words": "phrase table", "swaps": "phrase table", "spam": "detectors", "detectors": "detectors",
                   "learned": "learned", "editor": "editor"}


def _q(text: str) -> str:
    return '"' + text.replace("\n", "\\n") + '"'


def _confidence(item: Fix | Flag) -> str:
    if item.layer == "statistical" and item.margin is not None:
        return f"{item.confidence} {item.margin:.1f}"
    if item.layer == "learned":
        return "spun"  # a learned swap is repaired only where the text shows evidence of spinning
    if item.layer == "editor":
        return "decided"
    rule = item.rule.split("+", 1)[0] if item.rule else ""
    when = _entry_when().get(rule)
    if when == "always":
        return "sure"
    return when or "rule"


def _entry_when() -> dict[str, str]:
    return {e.name: e.when for e in load_rules().entries}


def format_report(path: str, original: str, result: Repair, decided: list | tuple = (), stale: list | tuple = (),
                  review_path: str | None = None) -> str:
    """The human-readable report: repairs grouped by layer, then flags, then a summary.

    ``result`` is the repair with the editor's decisions applied (``decisions.apply``);
    ``decided`` and ``stale`` are that ``Applied``'s lists, and ``review_path`` the decisions
    file as written in messages."""
    where = Lines(original).position  # offset -> (line, column), 1-based
    lines: list[str] = []
    counts: dict[str, int] = {}
    kept = sorted((a, b, d) for d, a, b in decided if d.keep)
    for group, title in GROUPS:
        fixes = [f for f in result.fixes if _GROUP_OF_LAYER.get(f.layer, "detectors") == group]
        counts[group] = len(fixes)
        shown: list[tuple[int, str]] = []
        for f in fixes:
            line, col = where(f.start)
            shown.append((f.start, f"{path}:{line}:{col}: fixed: {_q(f.before)} → {_q(f.after)}  "
                                   f"[{f.rule}, {_confidence(f)}]"))
        if group == "editor":
            for a, _b, d in kept:
                line, col = where(a)
                shown.append((a, f"{path}:{line}:{col}: kept: {_q(d.before)}  [editor:decision, decided]"))
        if not shown:
            continue
        lines.append(f"# {title}: {len(shown)}")
        lines += [text for _, text in sorted(shown, key=lambda s: s[0])]
    if result.flags:
        lines.append(f"# flags: {len(result.flags)}")
        ordered = sorted(result.flags, key=lambda f: (f.layer != "statistical", f.start, f.end))
        for f in ordered:
            line, col = where(f.start)
            hint = f"; suggestion: {_q(f.suggestion)}" if f.suggestion is not None else ""
            tag = f"  [{f.rule}, {_confidence(f)}]" if f.rule else ""
            lines.append(f"{path}:{line}:{col}: flag: {_q(f.text)}: {f.reason}{hint}{tag}")
    if stale:
        lines.append(f"# stale decisions (applied nowhere): {len(stale)}")
        for d in sorted(stale, key=lambda d: (d.line, d.before)):
            where_d = f"{review_path}:{d.origin}" if review_path and d.origin else (review_path or path)
            lines.append(f"{where_d}: warning: stale decision: {_q(d.before)} is no longer on line {d.line} of {path}")
    detail = ", ".join(f"{counts[g]} {t.split(' (')[0]}" for g, t in GROUPS if counts[g])
    extra = f", {len(kept)} kept as received" if kept else ""
    extra += f", {len(stale)} stale decision(s)" if stale else ""
    lines.append(f"{path}: {len(result.fixes)} fixed{f' ({detail})' if detail else ''}, "
                 f"{len(result.flags)} flagged{extra}")
    return "\n".join(lines) + "\n"
