"""Regenerate handouts/rules/lowercase_words.txt from the system word lists.

The stray-capital detector needs to know which words are *only* ever written in
lower case in running English ("device", "along", "command"), so that a capital
in mid-sentence is suspicious.  Words that also appear capitalised in the
dictionary ("may"/"May", "bill"/"Bill", "english"/"English") are left out.

Source: the SCOWL-derived lists of Debian's `wamerican` and `wbritish` packages
(/usr/share/dict/american-english, /usr/share/dict/british-english).

    apt-get install -y wamerican wbritish && python scripts/make_wordlist.py
"""
from pathlib import Path

LISTS = ["/usr/share/dict/american-english", "/usr/share/dict/british-english"]
OUT = Path(__file__).resolve().parent.parent / "handouts" / "rules" / "lowercase_words.txt"


def main() -> None:
    words: set[str] = set()
    for name in LISTS:
        words.update(line.strip() for line in open(name, encoding="utf-8"))
    lower = {w for w in words if w.isascii() and w.isalpha() and w.islower() and len(w) >= 2}
    capitalised = {w.lower() for w in words if w[:1].isupper()}
    common = sorted(lower - capitalised)
    OUT.write_text("\n".join(common) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(common)} words")


if __name__ == "__main__":
    main()
