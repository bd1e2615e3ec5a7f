"""Print how well the repair step does on the test corpus.

    python scripts/evaluate_repair.py [--missed] [CORPUS_DIR]

For every spun pair (`spun/<name>.original.md`, `spun/<name>.spun.md`): garbled
phrases repaired / flagged / missed, and words that were right but were changed.
For every clean text (`clean/*.md`): words changed and flags raised.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handouts.documents import read_text  # noqa: E402
from handouts.evaluation import Score, score_clean, score_pair  # noqa: E402
from handouts.repair import repair  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(ROOT / "tests" / "corpus"))
    parser.add_argument("--missed", action="store_true", help="list every missed phrase")
    args = parser.parse_args()
    corpus = Path(args.corpus)

    total = Score()
    print(f"{'spun text':36} {'garbled':>7} {'repaired':>8} {'flagged':>7} {'missed':>6} {'damaged':>7}")
    for spun_path in sorted((corpus / "spun").glob("*.spun.md")):
        name = spun_path.name.removesuffix(".spun.md")
        original = read_text(spun_path.with_name(f"{name}.original.md"))
        spun = read_text(spun_path)
        s = score_pair(original, spun, repair(spun))
        total += s
        print(f"{name:36} {s.garbled:7} {s.repaired:8} {s.flagged:7} {s.missed:6} {s.damaged:7}")
    if total.garbled:
        print(f"{'TOTAL':36} {total.garbled:7} {total.repaired:8} {total.flagged:7} {total.missed:6} {total.damaged:7}")
        print(f"repaired {total.repaired / total.garbled:.0%}, flagged {total.flagged / total.garbled:.0%}, "
              f"missed {total.missed / total.garbled:.0%} of {total.garbled} garbled phrases")
    words = changed = flags = 0
    clean_files = sorted((corpus / "clean").glob("*.md"))
    for path in clean_files:
        text = read_text(path)
        result = repair(text)
        words += sum(1 for _ in text.split())
        changed += score_clean(text, result).damaged
        flags += len(result.flags)
        for f in result.flags:
            print(f"  {path.name}: flag {f.text!r}: {f.reason}")
    print(f"clean texts: {len(clean_files)} files, {words} words, {changed} words changed, {flags} flags")
    for context in total.damaged_words:
        print(f"  damaged: {context}")
    if args.missed:
        for spun, orig in total.missed_phrases:
            print(f"  missed: {spun!r} (was {orig!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
