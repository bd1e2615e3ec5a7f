import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"


def run_pipeline(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real command line, as a user would."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), *args],
        capture_output=True, text=True, encoding="utf-8", cwd=cwd or ROOT, env=env,
    )


@pytest.fixture
def pipeline():
    return run_pipeline


def ctrl_c_as_at_a_terminal() -> None:
    """``preexec_fn`` of a child that the tests stop with SIGINT: Ctrl-C reaches it as at a terminal,
    even where the test run itself was started with SIGINT ignored (under nohup, or as a background
    job of a script), which a child inherits and Python then leaves alone."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def small_project(root: Path, name: str, text: str, langs: tuple[str, ...]) -> Path:
    """A project folder with one source document and these languages, catalogs updated."""
    (root / "source").mkdir()
    (root / "source" / f"{name}.md").write_text(text, encoding="utf-8")
    (root / "locale").mkdir()
    (root / "locale" / "LINGUAS").write_text("".join(f"{l}\n" for l in langs), encoding="utf-8")
    r = run_pipeline("-C", str(root), "update")
    assert r.returncode == 0, r.stderr
    return root


def translate(root: Path, lang: str, domain: str, work: dict[str, str], fuzzy: tuple[str, ...] = ()) -> Path:
    """Do what a translator does: fill msgstr (and mark some fuzzy) in a catalog on disk."""
    import polib

    path = root / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"
    po = polib.pofile(str(path))
    for msgid, msgstr in work.items():
        po.find(msgid).msgstr = msgstr
    for msgid in fuzzy:
        po.find(msgid).flags.append("fuzzy")
    path.write_text(str(po), encoding="utf-8")
    return path
