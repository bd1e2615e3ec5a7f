"""Repair: undo an article spinner's damage, flag what is only suspected.

One module per layer, each readable alone:

* ``tokens``      words, punctuation and opaque pieces; the facts rules ask about a token
* ``rules``       the phrase table and word lists of ``handouts/rules/``, compiled
* ``phrases``     matching phrase entries; the guards (numbers, units, drug names)
* ``detectors``   spam keywords next to a drug, a/an, stray capitals, names
* ``scan``        one pass of the phrase table and detectors over a paragraph
* ``counts``, ``thesaurus``, ``statistical``
                  the statistical layer: candidates from a thesaurus, readings scored
                  by a language model and the document's own wording
* ``cache``       the parsed resources kept between processes (a pickle per resource,
                  named by the digest of its sources; any failure falls back to parsing)
* ``speedups``    the compiled inner loops (``_speedups.c``) where the install built them;
                  the Python code beside each runs otherwise, with the same output
* ``engine``      paragraphs, passes, evidence of spinning, offsets into the input
* ``records``     Fix, Flag, Repair: what the step gives the rest of the pipeline
* ``report``      the report an editor reads
* ``decisions``   an editor's decisions (``source/<doc>.review.toml``), applied over the repair
* ``learning``    what the repair learns from every decisions file: swaps, kept wordings
* ``evaluation``  scoring against the corpus (``scripts/evaluate_repair.py``)
"""
import importlib

_EXPORTS = {"drug_key": "detectors", "repair": "engine", "LAYERS": "records", "Fix": "records", "Flag": "records",
            "Repair": "records", "RULES_DIR": "rules", "Rules": "rules", "load_rules": "rules", "tokenize": "tokens"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """The package's names, each imported from its layer when first asked for: a command that repairs
    nothing (a no-op build, ``status``) starts without the repair's modules (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    return value
