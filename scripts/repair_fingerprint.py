"""Record everything the repair decides on every text this repository has, to compare two versions.

    python scripts/repair_fingerprint.py OUT.json          # repair and record
    python scripts/repair_fingerprint.py --compare A.json B.json

Repairs every ``tests/corpus/**/*.md`` and ``source/*.md``, three ways: as the pipeline
does (with what ``source/*.review.toml`` teaches), with nothing learned, and with the
language model's reading switched off (its margins out of reach, as ``scripts/benchmark.py``
times it); all in one process, in order, then again in reverse order (so that no cache
kept across documents changes a result).  For each it records the repaired text and every
fix and flag: start, end, text, suggestion, rule, margin (rounded to 1e-6), alternatives.

``--compare`` says whether two recordings are the same: margins may differ by float
rounding (at most 2e-6), nothing else may.  A change meant only to make the repair faster
must leave this unchanged: record with the old code (a worktree of main), then with the
new, and compare.  ``python scripts/evaluate_repair.py`` must print the same figures too.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handouts.repair import learning, load_rules, repair  # noqa: E402
from handouts.repair.statistical import Finder, load_settings  # noqa: E402


def texts() -> list[Path]:
    return sorted((ROOT / "tests" / "corpus").rglob("*.md")) + sorted((ROOT / "source").glob("*.md"))


def _margin(m: float | None):
    if m is None:
        return None
    if math.isinf(m):
        return "inf" if m > 0 else "-inf"
    return round(m, 6)


def record(result) -> dict:
    return {
        "text": result.text,
        "fixes": [[f.start, f.end, f.before, f.after, f.rule, _margin(f.margin), list(f.alternatives)]
                  for f in result.fixes],
        "flags": [[f.start, f.end, f.text, f.reason, f.suggestion, f.rule, _margin(f.margin), list(f.alternatives)]
                  for f in result.flags],
    }


def fingerprint() -> dict:
    rules = load_rules()
    settings = load_settings()
    off = dataclasses.replace(settings, lm_repair_margin=math.inf, lm_flag_margin_spun=math.inf,
                              lm_flag_margin_rules=math.inf, lm_flag_margin_clean=math.inf)
    learned = learning.learn(ROOT / "source")
    paths = texts()
    out: dict = {}
    ways = {
        "pipeline": lambda text: repair(text, learned=learned),
        "nothing learned": lambda text: repair(text, rules, Finder(rules.drugs | rules.units, rules.common)),
        "no language model": lambda text: repair(text, rules, Finder(rules.drugs | rules.units, rules.common, off)),
    }
    for way, run in ways.items():
        for order, seq in (("forward", paths), ("reverse", paths[::-1])):
            for path in seq:
                name = f"{way} | {order} | {path.relative_to(ROOT)}"
                out[name] = record(run(path.read_text(encoding="utf-8")))
    return dict(sorted(out.items()))


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 2e-6
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def compare(a: dict, b: dict) -> list[str]:
    problems = [f"only in the first: {k}" for k in a.keys() - b.keys()]
    problems += [f"only in the second: {k}" for k in b.keys() - a.keys()]
    for k in sorted(a.keys() & b.keys()):
        if not _same(a[k], b[k]):
            for part in ("text", "fixes", "flags"):
                if not _same(a[k][part], b[k][part]):
                    x, y = a[k][part], b[k][part]
                    if part == "text":
                        problems.append(f"{k}: repaired text differs")
                    else:
                        only_a = [r for r in x if not any(_same(r, s) for s in y)]
                        only_b = [r for r in y if not any(_same(r, s) for s in x)]
                        problems.append(f"{k}: {part} differ: {only_a} vs {only_b}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", help="where to write the recording (JSON)")
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"))
    args = parser.parse_args(argv)
    if args.compare:
        a, b = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args.compare)
        problems = compare(a, b)
        for p in problems:
            print(p)
        n = sum(len(v["fixes"]) + len(v["flags"]) for v in a.values())
        print(f"{len(a)} repairs, {n} fixes and flags: " + ("identical" if not problems else f"{len(problems)} differ"))
        return 1 if problems else 0
    if not args.out:
        parser.error("give OUT.json or --compare A B")
    data = fingerprint()
    Path(args.out).write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")
    n = sum(len(v["fixes"]) + len(v["flags"]) for v in data.values())
    print(f"{len(data)} repairs, {n} fixes and flags written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
