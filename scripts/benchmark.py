"""Print how fast the pipeline is: the repair step, and whole builds of a clinic-sized library.

    python scripts/benchmark.py                       # both, default sizes
    python scripts/benchmark.py repair [MEGABYTES]    # the repair step on MEGABYTES of text (default 5)
    python scripts/benchmark.py build [--documents 100] [--locales 8] [--jobs N] [--long | --length N]
                                      [--vs-sphinx] [--vs-po4a] [--base CHECKOUT] [--library DIR] [--keep]

`repair` builds an input of the given size from the seed document and the test corpus,
half clean and half spun, and times `repair` on it, plus one run of the real command line.

`build` generates a library of N documents × M languages with complete translations that
pass every check (scripts/library.py), then times, with the real command line: a full
build (no output/, no cache), a no-op rebuild, a rebuild after one translator edit in one
.po file, and one after an edit to one source paragraph; with peak memory of the whole
process tree.  `--vs-sphinx` builds the same library with Sphinx + sphinx-intl (gettext,
update, html and text per language; needs `pip install sphinx myst-parser sphinx-intl`), twice:
from Markdown through MyST, and from the same documents in reStructuredText (Sphinx's own reader,
its fastest path); `--vs-po4a` with po4a (needs `apt-get install -y po4a`), in the same run, and
prints ratios.  `--long` makes a library of long documents: each is 10 leaflets in a row, and there
are 10 times fewer of them (the same words in all); `--length N` makes each N leaflets long.
`--base CHECKOUT` times another checkout of the project on a copy of the same library, step by
step in turn with this one.  `--library DIR` copies a library an earlier run made (`--keep`; the
same --documents, --locales and --length) instead of making it.

`repair` also times loading the rules and, separately, the statistical layer's resources
(thesauri, word-pair counts, the trigram model), which are loaded lazily; and it repairs the
corpus one document at a time, as the pipeline does, clean leaflets and spun texts apart,
with the language model's reading and without it (its margins set out of reach), side by
side in the same run.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataclasses  # noqa: E402
import math  # noqa: E402

from handouts.repair import load_rules, repair  # noqa: E402
from handouts.repair.counts import load_model  # noqa: E402
from handouts.repair.lm import load_trigram  # noqa: E402
from handouts.repair.statistical import Finder, load_settings  # noqa: E402
from handouts.repair.thesaurus import load_broad, load_thesaurus  # noqa: E402


def build_input(megabytes: float) -> str:
    parts = [(ROOT / "source" / "ketamine.md").read_text(encoding="utf-8")]
    corpus = ROOT / "tests" / "corpus"
    parts += [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*/*.md"))]
    block = "\n\n".join(parts)
    size = int(megabytes * 1_000_000)
    return (block * (size // len(block.encode("utf-8")) + 1)).encode("utf-8")[:size].decode("utf-8", "ignore")


def per_document(rounds: int = 3) -> None:
    """MB/s of the repair called once per document, on clean leaflets and on spun texts,
    with and without the language model's reading, interleaved so a busy machine is fair to both."""
    corpus = ROOT / "tests" / "corpus"
    rules = load_rules()
    settings = load_settings()
    off = dataclasses.replace(settings, lm_repair_margin=math.inf, lm_flag_margin_spun=math.inf,
                              lm_flag_margin_rules=math.inf, lm_flag_margin_clean=math.inf)
    sets = {"clean leaflets": sorted(corpus.glob("clean/*.md")),
            "spun texts": sorted(corpus.glob("spun/*.spun.md")) + sorted(corpus.glob("heldout/*.spun.md"))}
    for name, paths in sets.items():
        texts = [p.read_text(encoding="utf-8") for p in paths]
        size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
        spent = {"with": 0.0, "without": 0.0}
        for _ in range(rounds):
            for label, chosen in (("with", settings), ("without", off)):
                t = time.perf_counter()
                for text in texts:
                    repair(text, rules, Finder(rules.drugs | rules.units, rules.common, chosen))
                spent[label] += time.perf_counter() - t
        w, wo = (size * rounds / spent[k] for k in ("with", "without"))
        print(f"{name} ({len(texts)} documents, {size:.2f} MB), one document at a time: "
              f"{w:.3f} MB/s with the language model, {wo:.3f} MB/s without ({wo / w:.1f}x)")


def repair_benchmark(megabytes: float = 5.0) -> None:
    """Time the repair step: loading its resources, then repairing ``megabytes`` of text."""
    t0 = time.perf_counter()
    load_rules()
    t1 = time.perf_counter()
    load_settings()
    load_thesaurus()
    load_model()
    load_broad()
    load_trigram()
    t2 = time.perf_counter()
    print(f"rules loaded in {t1 - t0:.2f} s; statistical resources (thesauri, word pairs, trigram model) "
          f"in {t2 - t1:.2f} s")
    per_document()
    text = build_input(megabytes)
    t3 = time.perf_counter()
    result = repair(text)
    t4 = time.perf_counter()
    size = len(text.encode("utf-8")) / 1e6
    print(f"repair: {size:.1f} MB, {len(text.split())} words in {t4 - t3:.2f} s "
          f"({size / (t4 - t3):.2f} MB/s); {len(result.fixes)} fixes, {len(result.flags)} flags")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.md"
        path.write_text(text, encoding="utf-8")
        t5 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "pipeline.py"), "fix", "--json", str(path)],
                       check=True, stdout=subprocess.DEVNULL)
        t6 = time.perf_counter()
    print(f"python pipeline.py fix --json on {size:.1f} MB: {t6 - t5:.2f} s wall clock")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="what")
    rep = sub.add_parser("repair", help="time the repair step")
    rep.add_argument("megabytes", nargs="?", type=float, default=5.0)
    bld = sub.add_parser("build", help="time builds of a synthetic library")
    bld.add_argument("--documents", type=int, default=100)
    bld.add_argument("--locales", type=int, default=8, help="how many languages (at most 16)")
    bld.add_argument("--jobs", type=int, default=None, help="passed to the pipeline (default: its own)")
    bld.add_argument("--vs-sphinx", action="store_true", help="also build the library with Sphinx + sphinx-intl")
    bld.add_argument("--vs-po4a", action="store_true", help="also build the library with po4a")
    bld.add_argument("--keep", action="store_true", help="keep the generated library and print where it is")
    bld.add_argument("--long", action="store_true", help="10 times longer documents, 10 times fewer of them")
    bld.add_argument("--length", type=int, default=1, help="leaflets per document (default 1)")
    bld.add_argument("--base", type=Path, help="another checkout of the project, timed side by side")
    bld.add_argument("--library", type=Path, help="copy this library (made by an earlier run) instead of making one")
    args = parser.parse_args()
    if args.what in (None, "repair"):
        print("== repair step")
        repair_benchmark(getattr(args, "megabytes", 5.0))
    if args.what in (None, "build"):
        import bench_build

        print("== library build")
        documents, length = getattr(args, "documents", 100), getattr(args, "length", 1)
        if getattr(args, "long", False):
            documents, length = max(1, documents // 10), 10
        bench_build.main(documents, getattr(args, "locales", 8), getattr(args, "jobs", None),
                         getattr(args, "vs_sphinx", False), getattr(args, "vs_po4a", False), getattr(args, "keep", False),
                         length, getattr(args, "base", None), getattr(args, "library", None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
