"""`python pipeline.py fix FILE`: the command as a content editor uses it."""
import json

from conftest import ROOT

SPUN = "Ketamine is used for ache administration.\nIt can help inside of several hours.\n"


def test_fix_prints_repaired_text_and_a_report(pipeline, tmp_path):
    src = tmp_path / "doc.md"
    src.write_text(SPUN, encoding="utf-8")
    r = pipeline("fix", str(src))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Ketamine is used for pain management.\nIt can help within several hours.\n"
    assert f'{src}:1:22: fixed: "ache administration" → "pain management"' in r.stderr
    assert f'{src}:2:13: fixed: "inside of several hours" → "within several hours"' in r.stderr
    assert src.read_text(encoding="utf-8") == SPUN  # only --write touches the file


def test_fix_json_is_one_object_with_offsets_into_the_input(pipeline, tmp_path):
    src = tmp_path / "doc.md"
    src.write_text(SPUN, encoding="utf-8")
    r = pipeline("fix", "--json", str(src))
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) == {"text", "fixes", "flags"}
    assert data["text"].startswith("Ketamine is used for pain management.")
    for fix in data["fixes"]:
        # the original fields, (since the statistical layer) which layer and how sure, and
        # (since the editor's review) the other readings an editor may choose
        assert set(fix) == {"start", "end", "before", "after", "rule", "layer", "confidence", "margin", "alternatives"}
        assert fix["layer"] in ("statistical", "phrases", "grammar", "words", "swaps", "spam", "detectors")
        assert SPUN[fix["start"]:fix["end"]] == fix["before"]
    # applying the fixes to the input gives the text
    out, pos = [], 0
    for fix in sorted(data["fixes"], key=lambda f: f["start"]):
        out += [SPUN[pos:fix["start"]], fix["after"]]
        pos = fix["end"]
    assert "".join(out) + SPUN[pos:] == data["text"]


def test_fix_json_flags_have_the_documented_shape(pipeline, tmp_path):
    src = tmp_path / "doc.md"
    src.write_text("Take the {tablets|pills} with water.\n", encoding="utf-8")
    data = json.loads(pipeline("fix", "--json", str(src)).stdout)
    assert data["text"] == "Take the {tablets|pills} with water.\n"
    (flag,) = data["flags"]
    assert set(flag) == {"start", "end", "text", "reason", "suggestion", "layer", "confidence", "margin", "alternatives"}
    assert flag["text"] == "{tablets|pills}"
    assert flag["suggestion"] == "tablets"


def test_fix_write_rewrites_in_place_and_leaves_no_temp_files(pipeline, tmp_path):
    src = tmp_path / "doc.md"
    src.write_text(SPUN, encoding="utf-8")
    r = pipeline("fix", "--write", str(src))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "pain management" in src.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["doc.md"]
    again = pipeline("fix", "--write", str(src))
    assert again.returncode == 0 and "0 fixed" in again.stderr


def test_missing_file(pipeline, tmp_path):
    r = pipeline("fix", str(tmp_path / "nope.md"))
    assert r.returncode == 2
    assert r.stderr.startswith(f"{tmp_path / 'nope.md'}: error: no such file")
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_directory(pipeline, tmp_path):
    r = pipeline("fix", str(tmp_path))
    assert r.returncode == 2
    assert r.stderr.startswith(f"{tmp_path}: error: is a directory")
    assert "Traceback" not in r.stderr


def test_bad_utf8_names_the_byte_offset_and_leaves_the_file(pipeline, tmp_path):
    src = tmp_path / "latin1.md"
    data = "Fever\nTake paracetamol at 38.5°C\n".encode("latin-1")
    src.write_bytes(data)
    r = pipeline("fix", "--write", str(src))
    assert r.returncode == 2
    assert r.stderr.startswith(f"{src}:2: error: not valid UTF-8: byte offset 30 (byte ")
    assert "0xb0" in r.stderr
    assert "Traceback" not in r.stderr
    assert src.read_bytes() == data


def test_unknown_command_and_missing_argument_exit_2(pipeline):
    r = pipeline("frobnicate")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = pipeline("fix")
    assert r.returncode == 2 and "FILE" in r.stderr


def test_every_command_has_help(pipeline):
    from handouts.cli import build_parser

    r = pipeline("--help")
    assert r.returncode == 0
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    commands = list(sub.choices)
    assert {"fix", "update", "build", "init", "status", "check", "watch", "review"} <= set(commands)
    for command in commands:
        assert f"    {command} " in r.stdout, command
        sub = pipeline(command, "--help")
        assert sub.returncode == 0, command
        assert "usage: pipeline.py " + command in sub.stdout


def test_pipeline_py_stays_thin():
    lines = [l for l in (ROOT / "pipeline.py").read_text().splitlines() if l.strip() and not l.startswith(("#", '"""'))]
    assert len(lines) <= 4
