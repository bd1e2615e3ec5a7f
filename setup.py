"""The optional compiled inner loops of the repair step (``handouts/repair/_speedups.c``).

Everything else is in pyproject.toml.  The extension is optional: where it cannot be built
(no C compiler, no Python headers) the install goes on and the repair runs its pure-Python
code, which gives the same output (``handouts/repair/speedups.py``).
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "handouts.repair._speedups", ["handouts/repair/_speedups.c"],
    # no fused multiply-add: the same floating-point operations, in the same order, as Python's
    extra_compile_args=["-O2", "-ffp-contract=off"],
    optional=True,
)])
