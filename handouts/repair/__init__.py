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
from .detectors import drug_key
from .engine import repair
from .records import LAYERS, Fix, Flag, Repair
from .rules import RULES_DIR, Rules, load_rules
from .tokens import tokenize

__all__ = ["LAYERS", "RULES_DIR", "Fix", "Flag", "Repair", "Rules", "drug_key", "load_rules", "repair", "tokenize"]
