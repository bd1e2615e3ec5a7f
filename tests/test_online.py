"""With [tool.handouts] base-url, a printed handout carries a QR code of its address and its language's index."""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, run_pipeline

BASE = "https://clinic.example/handouts/"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("online")
    for name in ("source", "locale"):
        shutil.copytree(ROOT / name, root / name)
    (root / "locale" / "LINGUAS").write_text("ar\nde\n", encoding="utf-8")
    (root / "pyproject.toml").write_text(f'[tool.handouts]\nbase-url = "{BASE}"\n', encoding="utf-8")
    pdf = ("--pdf",) if shutil.which("chromium") else ()
    r = run_pipeline("-C", str(root), "build", *pdf)
    assert r.returncode == 0, r.stderr
    return root


def test_the_page_and_its_plain_text_give_the_address_of_the_handout_and_of_the_languages_index(published):
    html = (published / "output" / "de" / "ketamine.html").read_text(encoding="utf-8")
    assert f'Dieses Merkblatt online: <a href="{BASE}de/ketamine.html" dir="ltr">' in html
    assert f'Alle Merkblätter in Ihrer Sprache: <a href="{BASE}de/index.html" dir="ltr">' in html
    assert html.count('<svg width="') == 1 and f"<title>{BASE}de/ketamine.html</title>" in html
    bilingual = (published / "output" / "de" / "ketamine.bilingual.html").read_text(encoding="utf-8")
    assert f'href="{BASE}de/ketamine.bilingual.html"' in bilingual
    text = (published / "output" / "ar" / "ketamine.txt").read_text(encoding="utf-8")
    assert f"{BASE}ar/ketamine.txt\n" in text and f"{BASE}ar/index.html\n" in text


def test_without_a_base_url_there_is_no_qr_code(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "help.md").write_text("# Help\n\nRest.\n", encoding="utf-8")
    assert run_pipeline("-C", str(tmp_path), "build").returncode == 0
    assert "<svg" not in (tmp_path / "output" / "en" / "help.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("value", ['"clinic.example"', '"https://"', "3", '"https://a b"'])
def test_a_base_url_that_is_not_a_web_address_is_an_error(tmp_path, value):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "help.md").write_text("# Help\n\nRest.\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(f"[tool.handouts]\nbase-url = {value}\n", encoding="utf-8")
    r = run_pipeline("-C", str(tmp_path), "build")
    assert r.returncode == 2 and "pyproject.toml: error: [tool.handouts] base-url must be a web address" in r.stderr


@pytest.mark.parametrize("code, name", [("de", "ketamine"), ("ar", "ketamine"), ("ar", "ketamine.bilingual")])
def test_the_qr_code_on_paper_reads_back_as_the_handouts_address(published, code, name, tmp_path):
    tools = [t for t in ("chromium", "pdftoppm", "zbarimg") if shutil.which(t) is None]
    if tools:
        message = f"missing {', '.join(tools)} (apt-get install -y chromium poppler-utils zbar-tools)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    pdf = published / "output" / code / f"{name}.pdf"
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    last = int(pages.split("Pages:")[1].split()[0])
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-f", str(last), "-l", str(last), str(pdf),
                    str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True).stdout.split()
    assert found == [f"{BASE}{code}/{name}.html"]
    text = subprocess.run(["pdftotext", "-f", str(last), "-l", str(last), str(pdf), "-"], capture_output=True,
                          text=True).stdout
    assert f"{BASE}{code}/index.html" in text.replace("\n", "")
