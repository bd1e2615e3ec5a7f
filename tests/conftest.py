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
