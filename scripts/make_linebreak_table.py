#!/usr/bin/env python3
"""Generate handouts/data/linebreak.txt: the line-break class and column width
of every Unicode code point, as GNU gettext's msgcat sees them.

GNU gettext 0.21 wraps PO strings with GNU libunistring (ulc_width_linebreaks,
uc_width).  Debian 12 links it against libunistring 1.0, which implements
UAX #14 for Unicode 14.0 with some deviations of its own.  This script derives
the same classes from the Unicode Character Database:

* LineBreak.txt gives the class; EastAsianWidth.txt splits OP and CP into
  narrow and East Asian wide variants (UAX #14 rule LB30 only applies to the
  narrow ones); emoji-data.txt marks unassigned Extended_Pictographic code
  points (rule LB30b).
* The classes that libunistring resolves at run time are resolved here the
  same way for a UTF-8 catalog: AI, SA and XX become AL, CB becomes ID,
  CJ becomes NS, NL/CR/LF become BK (a mandatory break).
* The Unicode 15.0 files shipped by Debian (package unicode-data) are cut back
  to Unicode 14.0: a code point whose DerivedAge is above --unicode-version is
  treated as unassigned.
* OVERRIDES lists the code points where libunistring 1.0's own classification
  differs from LineBreak.txt.  They were found with --check, which compares
  every code point against the system's libunistring.

Widths follow libunistring's uc_width: 0 for control characters, non-spacing
marks (bidi class NSM), format characters (Cf), "ZERO WIDTH" characters and
conjoining Hangul vowels/finals; 2 for East Asian Wide and Fullwidth; else 1.

Usage:
    python scripts/make_linebreak_table.py [--ucd /usr/share/unicode] [--check]

--check loads libunistring.so.2 with ctypes and verifies, for every code
point, the width and the line-breaking behaviour of handouts.powrap against
the library (it needs the freshly written table, so it runs after writing).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "handouts" / "data" / "linebreak.txt"
MAX = 0x110000

LICENCE = """\
# Derived from the Unicode Character Database (LineBreak.txt, EastAsianWidth.txt,
# UnicodeData.txt, DerivedAge.txt, emoji-data.txt; Unicode 15.0.0 files cut back
# to Unicode {version}, adjusted to GNU libunistring 1.0) by
# scripts/make_linebreak_table.py.  This is modified data: do not edit, regenerate.
#
# COPYRIGHT AND PERMISSION NOTICE
#
# Copyright (c) 1991-2022 Unicode, Inc. All rights reserved.
# Distributed under the Terms of Use in https://www.unicode.org/copyright.html.
#
# Permission is hereby granted, free of charge, to any person obtaining
# a copy of the Unicode data files and any associated documentation
# (the "Data Files") or Unicode software and any associated documentation
# (the "Software") to deal in the Data Files or Software
# without restriction, including without limitation the rights to use,
# copy, modify, merge, publish, distribute, and/or sell copies of
# the Data Files or Software, and to permit persons to whom the Data Files
# or Software are furnished to do so, provided that either
# (a) this copyright and permission notice appear with all copies
# of the Data Files or Software, or
# (b) this copyright and permission notice appear in associated
# Documentation.
#
# THE DATA FILES AND SOFTWARE ARE PROVIDED "AS IS", WITHOUT WARRANTY OF
# ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
# WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
# NONINFRINGEMENT OF THIRD PARTY RIGHTS.
# IN NO EVENT SHALL THE COPYRIGHT HOLDER OR HOLDERS INCLUDED IN THIS
# NOTICE BE LIABLE FOR ANY CLAIM, OR ANY SPECIAL INDIRECT OR CONSEQUENTIAL
# DAMAGES, OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE,
# DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER
# TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR
# PERFORMANCE OF THE DATA FILES OR SOFTWARE.
#
# Except as contained in this notice, the name of a copyright holder
# shall not be used in advertising or otherwise to promote the sale,
# use or other dealings in these Data Files or Software without prior
# written authorization of the copyright holder.
#
# Format: one line per run of code points with the same properties:
#   <first code point, hex> <line-break class> <column width>
# A run ends where the next one starts; the last one ends at 10FFFF.
"""

# Classes after run-time resolution, as handouts.powrap uses them.
# OPW/CPW: East Asian wide opening/closing punctuation.  IDX: unassigned
# Extended_Pictographic (an "ID" that may become an emoji base, LB30b).
RESOLVE = {"AI": "AL", "SA": "AL", "XX": "AL", "SG": "AL", "CB": "ID", "CJ": "NS",
           "NL": "BK", "CR": "BK", "LF": "BK"}

# Code points (Unicode 14.0) where libunistring 1.0 classifies differently
# from LineBreak.txt; found with --check.  Each value is the resolved class.
OVERRIDES: dict[range | int, str] = {
    0x1DCD: "CM",   # COMBINING DOUBLE CIRCUMFLEX ABOVE (LineBreak.txt: GL)
    0x1DFC: "CM",   # COMBINING DOUBLE INVERTED BREVE BELOW (LineBreak.txt: GL)
    0x2057: "AL",   # QUADRUPLE PRIME (LineBreak.txt: PO)
}

# libunistring counts two columns for these blocks even where a code point is
# not assigned yet (its East Asian wide blocks); elsewhere an unassigned code
# point counts one column.
WIDE_BLOCKS = [(0x2E80, 0xA4CF), (0xF900, 0xFAFF), (0xFE10, 0xFE1F), (0xFE30, 0xFE6F),
               (0xFF00, 0xFF60), (0xFFE0, 0xFFE6), (0x1F200, 0x1F2FF), (0x20000, 0x3FFFF)]


def ranges(path: Path):
    """(first, last, fields) for each data line of a UCD file."""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [f.strip() for f in line.split(";")]
        a, _, b = fields[0].partition("..")
        yield int(a, 16), int(b or a, 16), fields[1:]


def version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def derive(ucd: Path, version: str) -> tuple[list[str], list[int]]:
    limit = version_tuple(version)
    assigned = bytearray(MAX)           # 1: assigned in `version`
    for a, b, (age,) in ranges(ucd / "DerivedAge.txt"):
        if version_tuple(age) <= limit:
            assigned[a:b + 1] = b"\1" * (b - a + 1)

    gc = ["Cn"] * MAX
    bidi = [""] * MAX
    names: dict[int, str] = {}
    first = None
    for line in (ucd / "UnicodeData.txt").read_text(encoding="utf-8").splitlines():
        f = line.split(";")
        cp = int(f[0], 16)
        if f[1].endswith(", First>"):
            first = cp
            continue
        lo = first if f[1].endswith(", Last>") else cp
        first = None
        for c in range(lo, cp + 1):
            if assigned[c]:
                gc[c] = f[2]
                bidi[c] = f[4]
        if assigned[cp]:
            names[cp] = f[1]

    eaw = ["N"] * MAX
    for a, b, (w,) in ranges(ucd / "EastAsianWidth.txt"):
        for c in range(a, b + 1):
            eaw[c] = w

    pict = bytearray(MAX)
    for a, b, (prop,) in ranges(ucd / "emoji" / "emoji-data.txt"):
        if prop == "Extended_Pictographic":
            pict[a:b + 1] = b"\1" * (b - a + 1)

    lb = ["XX"] * MAX
    for a, b, (cls,) in ranges(ucd / "LineBreak.txt"):
        for c in range(a, b + 1):
            lb[c] = cls

    classes: list[str] = []
    widths: list[int] = []
    for c in range(MAX):
        cls = lb[c]
        if not assigned[c] and gc[c] == "Cn":
            # Unassigned in `version`: LineBreak.txt's defaults (ID for the CJK
            # and pictographic blocks, PR for the currency block, else XX)
            # hold, but a code point assigned later must get them too.
            cls = _unassigned_default(c, cls)
        cls = RESOLVE.get(cls, cls)
        if cls in ("OP", "CP") and eaw[c] in ("W", "F", "H"):
            cls += "W"
        if cls == "ID" and gc[c] == "Cn" and pict[c]:
            cls = "IDX"
        classes.append(cls)
        widths.append(_width(c, gc[c], bidi[c], names.get(c, ""), eaw[c], bool(assigned[c])))
    for key, cls in OVERRIDES.items():
        for c in (key if isinstance(key, range) else (key,)):
            classes[c] = cls
    return classes, widths


_UNASSIGNED_ID = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FFFD),
                  (0x30000, 0x3FFFD), (0x1F000, 0x1FAFF), (0x1FC00, 0x1FFFD)]


def _unassigned_default(c: int, cls: str) -> str:
    for a, b in _UNASSIGNED_ID:
        if a <= c <= b:
            return "ID"
    if 0x20A0 <= c <= 0x20CF:
        return "PR"
    return "XX"


def _width(c: int, gc: str, bidi: str, name: str, eaw: str, assigned: bool) -> int:
    if 0xE0100 <= c <= 0xE01EF or 0xE0020 <= c <= 0xE007F or c == 0xE0001:
        return 0          # variation selectors and tags, assigned or not
    if not assigned or gc == "Cn":   # (noncharacters have an age but no category)
        return 2 if any(a <= c <= b for a, b in WIDE_BLOCKS) else 1
    if c == 0 or gc in ("Cc", "Cf") or bidi == "NSM" or name.startswith("ZERO WIDTH "):
        return 0          # (a spacing mark, bidi class L, takes a column)
    if 0x1160 <= c <= 0x11FF or 0xD7B0 <= c <= 0xD7FF:
        return 0          # conjoining Hangul vowels and finals
    if eaw in ("W", "F"):
        return 2
    return 1


def write(classes: list[str], widths: list[int], version: str) -> int:
    lines = [LICENCE.format(version=version)]
    prev = None
    runs = 0
    for c in range(MAX):
        key = (classes[c], widths[c])
        if key != prev:
            lines.append(f"{c:X} {key[0]} {key[1]}\n")
            prev = key
            runs += 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(lines), encoding="utf-8")
    return runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ucd", type=Path, default=Path("/usr/share/unicode"))
    ap.add_argument("--unicode-version", default="14.0", help="the Unicode version of the libunistring to match")
    ap.add_argument("--check", action="store_true", help="verify against the system's libunistring.so.2")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not args.no_write:
        classes, widths = derive(args.ucd, args.unicode_version)
        runs = write(classes, widths, args.unicode_version)
        print(f"wrote {OUT.relative_to(ROOT)}: {runs} runs, {OUT.stat().st_size} bytes")
    if args.check:
        return check()
    return 0


# ---------------------------------------------------------------------------
# Verification against GNU libunistring (the library msgcat calls)

def _libunistring():
    import ctypes
    lib = ctypes.CDLL("libunistring.so.2")
    lib.uc_width.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    lib.uc_width.restype = ctypes.c_int
    lib.u32_possible_linebreaks_v2.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p]
    lib.u32_possible_linebreaks_v2.restype = None
    return lib


def check() -> int:
    import ctypes
    sys.path.insert(0, str(ROOT))
    from handouts import powrap

    lib = _libunistring()
    bad_width = [c for c in range(MAX)
                 if not 0xD800 <= c <= 0xDFFF and max(lib.uc_width(c, b"UTF-8"), 0) != powrap._char_width(c)]
    print(f"widths: {len(bad_width)} code points differ from uc_width" +
          (": " + " ".join(f"{c:04X}" for c in bad_width[:40]) if bad_width else ""))

    # Break behaviour: for each code point X, a probe text places X before and
    # after one representative of every class, directly and across a space,
    # each pair separated by U+2028 (a mandatory break that resets the state).
    probes = powrap._class_representatives()
    X = "\ue000"  # placeholder
    parts = []
    for p in probes:
        parts += [X + p, p + X, X + " " + p, p + " " + X, "a" + X + p, p + X + "a"]
    template = "\u2028".join(parts)
    n = len(template)
    out = ctypes.create_string_buffer(n)

    def gnu(text: str) -> bytes:
        data = text.encode("utf-32-le")
        lib.u32_possible_linebreaks_v2(data, n, b"UTF-8", out)
        return out.raw

    mine_by_class: dict[str, bytes] = {}
    diffs: dict[tuple[str, bytes], list[int]] = {}
    for c in range(MAX):
        # Surrogates cannot be written in UTF-8; CR is always escaped ("\\r")
        # in a catalog, and libunistring gives it a class of its own (CR-LF).
        if 0xD800 <= c <= 0xDFFF or c == 0x0D:
            continue
        ch = chr(c)
        text = template.replace(X, ch)
        cls = powrap._class_name(c)
        if cls not in mine_by_class:
            mine_by_class[cls] = powrap._possible_breaks_bytes(template.replace(X, ch))
        got = gnu(text)
        if got != mine_by_class[cls]:
            diffs.setdefault((cls, got), []).append(c)
    print(f"break classes: {sum(len(v) for v in diffs.values())} code points behave differently")
    for (cls, _), cps in sorted(diffs.items(), key=lambda kv: kv[1][0]):
        guess = [k for k, v in mine_by_class.items() if v == _]
        print(f"  ours {cls}, libunistring behaves like {guess or '?'}: {len(cps)} code points: "
              + " ".join(f"{c:04X}" for c in cps[:12]))
    return 1 if bad_width or diffs else 0


if __name__ == "__main__":
    sys.exit(main())
