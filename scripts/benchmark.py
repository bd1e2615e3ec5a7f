"""Print how fast the repair step is.

    python scripts/benchmark.py [MEGABYTES]

Builds an input of the given size (default 5 MB) from the seed document and the
test corpus, half clean and half spun, and times `repair` on it, plus one run of
the real command line on a file of that size.  Also times loading the rules and,
separately, the statistical layer's resources (thesaurus and word-pair counts),
which are loaded lazily, the first time a paragraph needs them.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handouts.lm import load_model  # noqa: E402
from handouts.repair import load_rules, repair  # noqa: E402
from handouts.statistical import load_settings  # noqa: E402
from handouts.thesaurus import load_thesaurus  # noqa: E402


def build_input(megabytes: float) -> str:
    parts = [(ROOT / "source" / "ketamine.md").read_text(encoding="utf-8")]
    corpus = ROOT / "tests" / "corpus"
    parts += [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*/*.md"))]
    block = "\n\n".join(parts)
    size = int(megabytes * 1_000_000)
    return (block * (size // len(block.encode("utf-8")) + 1)).encode("utf-8")[:size].decode("utf-8", "ignore")


def repair_benchmark(megabytes: float = 5.0) -> None:
    """Time the repair step: loading its resources, then repairing ``megabytes`` of text."""
    t0 = time.perf_counter()
    load_rules()
    t1 = time.perf_counter()
    load_settings()
    load_thesaurus()
    load_model()
    t2 = time.perf_counter()
    print(f"rules loaded in {t1 - t0:.2f} s; statistical resources (thesaurus, word pairs) in {t2 - t1:.2f} s")
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
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    repair_benchmark(megabytes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
