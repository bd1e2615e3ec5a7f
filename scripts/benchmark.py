"""Print how fast the pipeline is: the repair step, and whole builds of a clinic-sized library.

    python scripts/benchmark.py                       # both, default sizes
    python scripts/benchmark.py repair [MEGABYTES] [--against CHECKOUT] [--rounds 3] [--cpu]
    python scripts/benchmark.py build [--documents 100] [--locales 8] [--jobs N] [--long | --length N]
                                      [--vs-sphinx] [--vs-po4a] [--base CHECKOUT] [--library DIR] [--keep]
                                      [--watch ROUNDS] [--rounds N] [--rest SECONDS]

`repair` prints the MB/s of the repair's automatic layer one document at a time, as the
pipeline repairs: the 29 clean leaflets and the 38 spun texts of tests/corpus, with the
language model's reading and without it (its margins set out of reach), each the first
time in a fresh process and again; the time to load its resources (rules, thesauri,
word-pair counts, trigram model) with the cache of parsed resources cold and warm; and
(wall clock only) a clean library of 100 and of 1,000 generated leaflets repaired as the
pipeline repairs a library, loaded once and shared among forked workers, one per core.  Every
figure is the best of the rounds, each measured in a fresh process.  `--against` times
another checkout's code (e.g. `git worktree add /tmp/base main`) in the same run,
alternating with this one's, and prints the ratios; `--cpu` times each process's CPU seconds
instead of the wall clock, which other work on a shared machine disturbs less.  With MEGABYTES it also repairs one
text of that size built from the seed and the corpus, half clean and half spun, and runs
the real command line on it.

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
same --documents, --locales and --length) instead of making it.  `--watch ROUNDS` then runs the
live preview (`watch`) on each checkout's library: its CPU while nothing is saved, and the seconds
from a save (a new msgstr, a new source paragraph, ROUNDS of each) until the served page is told
that a newer build is there; then the command line after each kind of save while the watch runs;
then, with `[tool.handouts] resident = true` and no watch, the first command (which starts the
resident) and the command line after each kind of save again.  `--rounds N` times the full build
N times, each from the library as it was, by turns with each peer's build, and sets the medians
against each other: a noisy machine disturbs a one-second run more, in proportion, than a
twenty-second one.  With `--rounds`, each timed full build, ours and the peers' alike, starts after
`--rest` seconds (default 5) of an idle machine: a one-second build right after another tool's twenty
seconds on both cores ran a tenth slower (1.19 against 1.06 s, medians of 4, after 15 s of load and
after 8 s idle).
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

import math  # noqa: E402

from handouts.repair import repair  # noqa: E402


def build_input(megabytes: float) -> str:
    parts = [(ROOT / "source" / "ketamine.md").read_text(encoding="utf-8")]
    corpus = ROOT / "tests" / "corpus"
    parts += [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*/*.md"))]
    block = "\n\n".join(parts)
    size = int(megabytes * 1_000_000)
    return (block * (size // len(block.encode("utf-8")) + 1)).encode("utf-8")[:size].decode("utf-8", "ignore")


# Run in a fresh process with a checkout's root as its first argument, so that the same
# measurement can time another checkout (an older version) with that one's own code.  Uses
# only what every version of the repair has: load_rules, repair, Finder, the loaders.
_CHILD = r"""
import dataclasses, json, math, os, sys, time
root, mode = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
clock = time.process_time if os.environ.get("BENCHMARK_CLOCK") == "cpu" else time.perf_counter
t0 = clock()
from handouts.repair import load_rules, repair
from handouts.repair.counts import load_model
from handouts.repair.lm import load_trigram
from handouts.repair.statistical import Finder, load_settings
from handouts.repair.thesaurus import load_broad, load_thesaurus
t1 = clock()
rules = load_rules()
t2 = clock()
settings = load_settings(); load_thesaurus(); load_model(); load_broad(); load_trigram()
t3 = clock()
if mode == "load":
    print(json.dumps({"import": t1 - t0, "rules": t2 - t1, "statistical": t3 - t2}))
    raise SystemExit
if mode == "library":  # as the pipeline repairs a library: loaded once, then forked workers share it
    import concurrent.futures, gc, multiprocessing
    sys.path.insert(0, os.path.join(root, "scripts"))
    from library import documents
    texts = [text for _, text in documents(int(sys.argv[3]), 1)]

    def one(text):
        repair(text, rules, Finder(rules.drugs | rules.units, rules.common, settings))

    gc.freeze()
    t = clock()
    with concurrent.futures.ProcessPoolExecutor(int(sys.argv[4]), mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(one, texts, chunksize=max(1, len(texts) // (4 * int(sys.argv[4])))))
    print(json.dumps({"load": t3 - t1, "repair": clock() - t, "bytes": sum(len(x.encode("utf-8")) for x in texts)}))
    raise SystemExit
paths = sys.argv[4:]
if sys.argv[3] == "without":  # the language model's margins out of reach: it reads nothing
    settings = dataclasses.replace(settings, lm_repair_margin=math.inf, lm_flag_margin_spun=math.inf,
                                   lm_flag_margin_rules=math.inf, lm_flag_margin_clean=math.inf)
texts = [open(p, encoding="utf-8").read() for p in paths]
spent = []
for _ in range(2):  # first pass: nothing cached in the process yet; second: what a process has learnt
    t = clock()
    for text in texts:  # one document at a time, as the pipeline repairs
        repair(text, rules, Finder(rules.drugs | rules.units, rules.common, settings))
    spent.append(clock() - t)
print(json.dumps({"first": spent[0], "again": spent[1]}))
"""


def _child(root: Path, args: list[str], env: dict[str, str]) -> dict:
    import json
    import os

    out = subprocess.run([sys.executable, "-c", _CHILD, str(root), *args], cwd=root, check=True,
                         capture_output=True, text=True, env={**os.environ, **env})
    return json.loads(out.stdout)


def per_document(against: Path | None = None, rounds: int = 3, cpu: bool = False) -> None:
    """The automatic layer's MB/s, one document at a time: clean leaflets and spun texts, with
    the language model and without; and the time to load its resources, with the cache of
    parsed resources cold and warm.  With ``against`` (another checkout, e.g. a worktree of
    main), the same measurements of its code alternate with this checkout's, in one run."""
    corpus = ROOT / "tests" / "corpus"
    sets = {"clean leaflets": sorted(corpus.glob("clean/*.md")),
            "spun texts": sorted(corpus.glob("spun/*.spun.md")) + sorted(corpus.glob("heldout/*.spun.md"))}
    roots = [ROOT] + ([against.resolve()] if against else [])
    best: dict[tuple, float] = {}

    def keep(key, value):
        best[key] = min(best.get(key, math.inf), value)

    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for root in roots:
                cache = {"XDG_CACHE_HOME": str(Path(tmp) / f"cache-{r}-{roots.index(root)}"), "HANDOUTS_CACHE": "on",
                         "BENCHMARK_CLOCK": "cpu" if cpu else "wall"}
                for temperature in ("cold", "warm"):
                    t = _child(root, ["load"], cache)
                    keep((root, f"load {temperature}"), t["rules"] + t["statistical"])
                for name, paths in sets.items():
                    for model in ("with", "without"):
                        t = _child(root, ["repair", model, *map(str, paths)], cache)
                        keep((root, name, model, "first"), t["first"])
                        keep((root, name, model, "again"), t["again"])
    head = f"{'':68}{'this checkout':>15}"
    if against:
        head += f"{str(against):>22}{'ratio':>8}"
    print(f"best of {rounds} rounds, {'CPU time of the process' if cpu else 'wall clock'}, each in a fresh process"
          + (", the two checkouts alternating" if against else ""))
    print(head)

    def line(label: str, values: list[float], unit: str, higher_better: bool) -> None:
        text = f"{label:68}" + f"{values[0]:>15.3f}"
        if len(values) > 1:
            ratio = values[0] / values[1] if higher_better else values[1] / values[0]
            text += f"{values[1]:>22.3f}{ratio:>7.1f}x"
        print(text + f"  {unit}")

    for temperature in ("cold", "warm"):
        line(f"loading the resources, {temperature} cache", [best[(root, f'load {temperature}')] for root in roots],
             "s", False)
    for name, paths in sets.items():
        size = sum(len(p.read_bytes()) for p in paths) / 1e6
        for model in ("with", "without"):
            for when, what in (("first", "first in a process"), ("again", "again")):
                line(f"{name} ({len(paths)}, {size:.2f} MB), {model} the model, {what}",
                     [size / best[(root, name, model, when)] for root in roots], "MB/s", True)
    if not cpu:  # wall clock only: the CPU time of one process says nothing of two
        library(roots, rounds, line)


def library(roots: list[Path], rounds: int, line) -> None:
    """A clean library repaired as the pipeline repairs one: the resources loaded once, then the
    documents shared among forked workers, one per core (the benchmark library's leaflets,
    ``scripts/library.py``); MB/s of the repair alone, and with the loading counted."""
    import os

    workers = os.cpu_count() or 1
    for count in (100, 1000):
        best: dict[tuple, float] = {}
        size = 0.0
        for _ in range(rounds):
            for root in roots:
                t = _child(root, ["library", str(count), str(workers)], {"BENCHMARK_CLOCK": "wall"})
                size = t["bytes"] / 1e6
                for key, value in (("repair", t["repair"]), ("with load", t["repair"] + t["load"])):
                    best[(root, key)] = min(best.get((root, key), math.inf), value)
        line(f"clean library ({count} documents, {size:.2f} MB) on {workers} workers",
             [size / best[(root, "repair")] for root in roots], "MB/s", True)
        line(f"clean library ({count} documents, {size:.2f} MB) on {workers} workers, loading counted",
             [size / best[(root, "with load")] for root in roots], "MB/s", True)


def repair_benchmark(megabytes: float | None = None, against: Path | None = None, rounds: int = 3,
                     cpu: bool = False) -> None:
    """Time the repair step's automatic layer one document at a time; with ``megabytes``, also
    ``repair`` on one text of that size and one run of the real command line on it."""
    per_document(against, rounds, cpu)
    if not megabytes:
        return
    text = build_input(megabytes)
    t3 = time.perf_counter()
    result = repair(text)
    t4 = time.perf_counter()
    size = len(text.encode("utf-8")) / 1e6
    print(f"repair: {size:.1f} MB in one text, {len(text.split())} words in {t4 - t3:.2f} s "
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
    rep.add_argument("megabytes", nargs="?", type=float, default=None,
                     help="also repair one text of this size (half clean, half spun)")
    rep.add_argument("--against", type=Path, default=None,
                     help="another checkout (e.g. a worktree of main) timed in the same run")
    rep.add_argument("--rounds", type=int, default=3)
    rep.add_argument("--cpu", action="store_true",
                     help="time the CPU seconds of each process instead of the wall clock (less disturbed by "
                          "other work on a shared machine; what waiting on the disk costs is not counted)")
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
    bld.add_argument("--rounds", dest="full_rounds", type=int, default=1, metavar="N",
                     help="time the full build N times, by turns with the peers, and compare medians (default 1)")
    bld.add_argument("--rest", type=float, default=5.0, metavar="SECONDS",
                     help="with --rounds: the machine left idle this long before each timed full build, ours and "
                          "the peers' alike (default 5)")
    bld.add_argument("--watch", type=int, default=0, metavar="ROUNDS",
                     help="then time the live preview: ROUNDS saves of each kind")
    args = parser.parse_args()
    if args.what in (None, "repair"):
        print("== repair step")
        repair_benchmark(getattr(args, "megabytes", None), getattr(args, "against", None),
                         getattr(args, "rounds", 3), getattr(args, "cpu", False))
    if args.what in (None, "build"):
        import bench_build

        print("== library build")
        documents, length = getattr(args, "documents", 100), getattr(args, "length", 1)
        if getattr(args, "long", False):
            documents, length = max(1, documents // 10), 10
        bench_build.main(documents, getattr(args, "locales", 8), getattr(args, "jobs", None),
                         getattr(args, "vs_sphinx", False), getattr(args, "vs_po4a", False), getattr(args, "keep", False),
                         length, getattr(args, "base", None), getattr(args, "library", None),
                         getattr(args, "watch", 0), getattr(args, "full_rounds", 1), getattr(args, "rest", 5.0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
