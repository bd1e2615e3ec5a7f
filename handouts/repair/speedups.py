"""The repair's compiled inner loops, when they were built; None otherwise.

``pip install -e .`` compiles ``_speedups.c`` (``setup.py``) where a C compiler and Python's
headers are at hand; the modules that use it (``tokens``, ``statistical``, ``scan``) keep the
pure-Python code beside each compiled function and fall back to it when :data:`compiled` is
None.  Both give the same output to the last bit (the C code does the same floating-point
operations in the same order, with no fused multiply-add); ``tests/test_repair_speedups.py``
compares them and checks that the compiled code is the one used wherever it was built.

``HANDOUTS_PURE=1`` in the environment runs the pure-Python code even where the module was
built (to compare the two, or to rule the compiled code out).
"""
from __future__ import annotations

import os

compiled = None
"""The compiled module (``handouts.repair._speedups``), or None: the pure-Python code runs."""

if os.environ.get("HANDOUTS_PURE", "").lower() in ("", "0", "no", "false", "off"):
    try:
        from . import _speedups as compiled  # type: ignore[no-redef]
    except ImportError:  # not built: no compiler at install time, or a checkout never installed
        compiled = None
