"""Segmentation: which parts of a Markdown document become translatable units.

Golden pairs live in tests/segmentation/: `<case>.md` and `<case>.units`, one unit
per block: `line kind` then the msgid, exactly as the translator will see it.
Regenerate with UPDATE_GOLDEN=1 and read the diff before committing it.
"""
import os
from pathlib import Path

import pytest

from handouts.units import parse

CASES = sorted((Path(__file__).parent / "segmentation").glob("*.md"))


def describe(path: Path) -> str:
    parsed = parse(path.name, path.read_text(encoding="utf-8"))
    out = []
    for unit in parsed.units:
        out.append(f"{unit.line} {unit.kind} [{unit.comment}]\n{unit.msgid}\n")
    return "\n".join(out)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_segmentation_golden(case):
    golden = case.with_suffix(".units")
    actual = describe(case)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")


def test_code_blocks_are_not_units():
    parsed = parse("x.md", "```\ndose = 15 mg/kg\n```\n\n    indented\n\nText.\n")
    assert [u.msgid for u in parsed.units] == ["Text."]


def test_inline_markup_stays_in_the_unit():
    parsed = parse("x.md", "Call **999** or see [NHS 111](https://111.nhs.uk) and `code`.\n")
    assert [u.msgid for u in parsed.units] == ["Call **999** or see [NHS 111](https://111.nhs.uk) and `code`."]


def test_reflowing_the_source_does_not_change_the_msgid():
    a = parse("x.md", "One two\nthree four.\n").units[0].msgid
    b = parse("x.md", "One two three\nfour.\n").units[0].msgid
    assert a == b == "One two three four."
