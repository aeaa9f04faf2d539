"""``gutskin retest`` in-process: HTML and JSON written atomically, bad input as one line with exit status 2."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from gutskin.cli import main
from gutskin.retest import Retest
from tests.conftest import ROOT, fixture

A = ROOT / "examples" / "retest" / "Subj054_time1_S41_metaphlan.txt"
B = ROOT / "examples" / "retest" / "Subj054_time2_S42_metaphlan.txt"


def run(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code, capsys.readouterr()


def test_html_and_json(tmp_path, capsys):
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    code, out = run(["retest", str(A), str(B), "--dates", "2026-01-10,2026-04-12", "-o", str(html)], capsys)
    assert code == 0 and html.read_text().startswith("<!doctype html>")
    assert "usual variation" in out.out
    code, _ = run(["retest", str(A), str(B), "--labs", "Lab A,Lab A", "-o", str(js)], capsys)
    assert code == 0
    r = Retest.model_validate(json.loads(js.read_text()))
    assert [t.lab for t in r.tests] == ["Lab A", "Lab A"]
    assert "lab_unknown" not in {f.code for f in r.comparisons[0].flags}


@pytest.mark.parametrize(("extra", "needle"), [
    (["--dates", "2026-04-12,2026-01-10"], "oldest first"),
    (["--dates", "2026-01-10"], "expected 2"),
    (["--dates", "January,2026-01-10"], "YYYY-MM-DD"),
    (["-o", "retest.pdf"], ".html or .json"),
])
def test_bad_options_one_line(extra, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out = run(["retest", str(A), str(B), *extra], capsys)
    assert code == 2 and needle in out.err and len(out.err.strip().splitlines()) == 1


def test_one_test_and_multi_sample_files_refused(capsys):
    code, out = run(["retest", str(A)], capsys)
    assert code == 2 and "at least two" in out.err
    multi = fixture("biom/unifrac__crawford.biom")
    code, out = run(["retest", str(A), str(multi)], capsys)
    assert code == 2 and "one sample per file" in out.err and "Traceback" not in out.err


def test_report_with_previous_has_since_your_last_test(tmp_path, capsys):
    out = tmp_path / "report.html"
    code, io = run(["report", str(B), "--previous", str(A), "-o", str(out)], capsys)
    assert code == 0, io.err
    html = out.read_text()
    at = html.find('<section class="retest"')
    assert at > 0 and "Since your last test" in html
    assert at < html.find('<section id="methods"')  # placed before the methods
    code, io = run(["report", str(B), "--previous", str(A), "-o", str(tmp_path / "r.json")], capsys)
    assert code == 0 and "HTML and PDF reports only" in io.err


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_report_pdf_with_previous_carries_the_section(tmp_path, capsys):
    out = tmp_path / "report.pdf"
    code, io = run(["report", str(B), "--previous", str(A), "-o", str(out)], capsys)
    assert code == 0, io.err
    assert out.read_bytes()[:5] == b"%PDF-" and "only" not in io.err
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    text = " ".join(text.split())  # words wrap across lines in the layout
    at = text.find("Since your last test")
    assert at > 0
    section = text[at:]
    assert "Your last test → This test" in section
    assert "gutskin cannot see the lab or collection kit" in section  # the lab flag comes with the section
    assert "within usual variation" in section and "Bray–Curtis distance" in section
    assert "usual variation" in section and "improved" not in section.lower() and "worse" not in section.lower()
