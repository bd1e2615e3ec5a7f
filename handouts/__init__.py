"""Turn English health-information texts into printable handouts in many languages.

Stages, one module each: documents (read sources) -> repair (undo article spinning)
-> units -> catalogs -> checks -> render.  The command line lives in cli.py.
"""
__version__ = "0.1.0"
