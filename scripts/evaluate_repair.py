"""Print how well the repair step does on the test corpus.

    python scripts/evaluate_repair.py [--split dev|heldout|others|all] [--missed] [CORPUS_DIR]

For every spun pair of a split (`spun/` is the development split, used for tuning;
`heldout/` is never used for tuning and is reported only as a final score; `others/` was
written by other hands, apart from the rules and the other splits, see tests/corpus/README.md):
garbled phrases repaired / flagged / missed, and words that were right but were changed.
For every clean text (`clean/*.md`, `others/clean/*.md`) and every split's originals: words
changed and flags raised.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handouts.repair.evaluation import score_clean_files, score_clean_folder, score_split, score_split_cross  # noqa: E402

SPLITS = {"dev": "spun", "heldout": "heldout", "others": "others"}


def _pct(n: int, total: int) -> str:
    return f"{n / total:.0%}" if total else "-"


def _line(label: str, total) -> str:
    return (f"{label}: {total.garbled} garbled, repaired {total.repaired} "
            f"({_pct(total.repaired, total.garbled)}), flagged {total.flagged} ({_pct(total.flagged, total.garbled)}; "
            f"first suggestion right for {_pct(total.suggested, total.flagged)}), "
            f"repaired or flagged {_pct(total.repaired + total.flagged, total.garbled)}, missed {total.missed} "
            f"({_pct(total.missed, total.garbled)}); {total.damaged} right words changed; "
            f"{total.flags_raised} flags in {total.words} words ({total.flags_per_1000:.0f} per 1,000 words); "
            f"of the {total.flags_on_garbled} flags on garbled phrases, the first suggestion is right "
            f"for {total.flags_right} ({_pct(total.flags_right, total.flags_on_garbled)})")


def _clean(label: str, score, quiet: bool, prefix: str = "") -> str:
    """Print each flag a set of clean texts raised (unless ``quiet``); their summary line."""
    if not quiet:
        for name, f in score.flags:
            print(f"  {prefix}{name}: flag {f.text!r}: {f.reason}")
    return (f"{label} {score.files:3} texts: {score.words} words, {score.changed} words changed, "
            f"{len(score.flags)} flags ({score.flags_per_1000:.2f} per 1,000 words)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(ROOT / "tests" / "corpus"))
    parser.add_argument("--split", choices=["dev", "heldout", "others", "all"], default="all",
                        help="which spun split to score (default: all three)")
    parser.add_argument("--missed", action="store_true", help="list every missed phrase and damaged word")
    parser.add_argument("--quiet", action="store_true", help="totals only")
    parser.add_argument("--clean-files", nargs="+", type=Path, metavar="FILE", default=[],
                        help="also repair these files as clean English (of 150 words or more) and count what "
                             "changed, e.g. /usr/share/common-licenses/* /usr/share/doc/*/README")
    parser.add_argument("--cross", action="store_true",
                        help="also score the development split leaving each text out of the swaps it is "
                             "repaired with (swaps.txt comes from that split)")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    splits = list(SPLITS) if args.split == "all" else [args.split]
    summary = []
    for split in splits:
        folder = corpus / SPLITS[split]
        if not folder.is_dir():
            continue
        total, each = score_split(folder)
        if not args.quiet:
            print(f"\n{split} split ({folder.name}/)")
            print(f"{'spun text':36} {'garbled':>7} {'repaired':>8} {'flagged':>7} {'missed':>6} {'damaged':>7}")
            for name, s in each:
                print(f"{name:36} {s.garbled:7} {s.repaired:8} {s.flagged:7} {s.missed:6} {s.damaged:7}")
        summary.append(_line(f"{split:8} {len(each):3} texts", total))
        if args.missed:
            for context in total.damaged_words:
                print(f"  damaged: {context}")
            for spun, orig in total.missed_phrases:
                print(f"  missed: {spun!r} (was {orig!r})")
    if args.cross and (corpus / SPLITS["dev"]).is_dir():
        total = score_split_cross(corpus / SPLITS["dev"], corpus / "clean")
        summary.append(_line("dev, each text left out of swaps.txt", total))
    summary.append(_clean("clean   ", score_clean_folder(corpus / "clean"), args.quiet))
    if "others" in splits and (corpus / SPLITS["others"] / "clean").is_dir():
        summary.append(_clean("others clean", score_clean_folder(corpus / SPLITS["others"] / "clean"), args.quiet,
                              "others/clean/"))
    for split in splits:  # the originals the spun texts were made from: clean English the rules never saw as such
        folder = corpus / SPLITS[split]
        if folder.is_dir():
            originals = score_clean_folder(folder, pattern="*.original.md")
            flagged = len({name for name, _ in originals.flags})
            summary.append(
                f"{split + ' originals':8} {originals.files:3} texts: {originals.words} words, {originals.changed} words "
                f"changed, {len(originals.flags)} flags ({originals.flags_per_1000:.2f} per 1,000 words) in {flagged} texts")
    if args.clean_files:  # clean English from elsewhere: what it changes and flags
        other = score_clean_files([p for p in args.clean_files if p.is_file()], min_words=150)
        summary.append(_clean("other clean", other, args.quiet))
    print()
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
