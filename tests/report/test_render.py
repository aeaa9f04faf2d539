"""The outputs: one self-contained HTML page, a PDF from the same content, JSON; written atomically."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from gutskin.errors import InputError
from gutskin.report import render, write_report
from gutskin.report.model import SECTION_ORDER


def test_html_is_self_contained(example_html):
    html = example_html
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html and 'name="viewport"' in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<script" not in html.lower() and "<link" not in html.lower() and "<img" not in html.lower()
    assert not re.search(r"""src\s*=\s*["']?(https?:)?//""", html), "nothing is loaded from the network"
    # the only outside addresses are links to sources (DOI, PubMed, the source's page) a reader may follow;
    # nothing loads them, and they are https
    outside = re.findall(r"""href\s*=\s*["']?((?:https?:)?//[^"' >]+)""", html)
    assert outside and all(u.startswith("https://") for u in outside), outside
    assert len(re.findall(r'<a href="https://', html)) == len(outside)
    assert "@import" not in html and "url(" not in html
    assert "&#34;" not in html.split("</style>")[0], "CSS must be inlined verbatim, not HTML-escaped"


def test_html_has_every_section_and_its_charts(example_report, example_html):
    for sid in SECTION_ORDER:
        assert f'<section id="{sid}"' in example_html
    n_charts = example_html.count('role="img"')
    assert n_charts >= len(example_report.diversity.metrics) + 2
    assert example_html.count("<title id=") == n_charts and example_html.count("<desc id=") == n_charts
    assert "This is not a diagnosis." in example_html


def test_every_cited_source_is_listed(example_html):
    cited = {int(n) for n in re.findall(r'href="#src-(\d+)"', example_html)}
    listed = {int(n) for n in re.findall(r'<li id="src-(\d+)"', example_html)}
    assert cited and cited == listed == set(range(1, len(listed) + 1))


def test_pdf_from_the_same_content(example_report, tmp_path):
    out = write_report(example_report, tmp_path / "report.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for sid, sec in example_report.sections():
        assert sec.title.split(":")[0] in text, sid
    assert "This is not a diagnosis." in text


def test_format_from_extension_and_errors(tmp_path):
    assert render.format_for("a/b/report.HTML") == "html"
    assert render.format_for("r.json") == "json" and render.format_for("r.pdf") == "pdf"
    assert render.format_for("folder", "pdf") == "pdf"
    with pytest.raises(InputError, match=r"\.html, \.pdf or \.json"):
        render.format_for("report.docx")
    with pytest.raises(InputError, match="html, pdf or json"):
        render.format_for("x", "docx")


def test_writes_are_atomic(example_report, tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("the previous good report", encoding="utf-8")

    def broken(report):
        raise RuntimeError("renderer failed")

    monkeypatch.setitem(render.RENDERERS, "html", broken)
    with pytest.raises(RuntimeError):
        write_report(example_report, target)
    assert target.read_text(encoding="utf-8") == "the previous good report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    with pytest.raises(InputError, match="folder does not exist"):
        render.write_atomic(tmp_path / "missing" / "r.json", "{}")


def test_evidence_and_sources_written_in_python_escape_their_text(example_report):
    # the evidence line and the source list are written outside Jinja's autoescape: text with markup in it
    # (a citation, a grade label, a link) must come out as text, exactly as the template escaped it
    hostile = '<script>alert("x")</script> & "Smith" et al.'
    rep = example_report.model_copy(deep=True)
    item = next(it for it in rep.summary.items if it.evidence and it.evidence.citations)
    ev = item.evidence
    ev.label = hostile
    ev.citations[0].text = hostile
    ev.citations[0].doi = 'x"><b>doi'
    ev.citations[0].pmid = None
    html = render.render_html(rep)
    assert "<script>" not in html and "<b>doi" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Smith&#34; et al." in html
    assert 'href="https://doi.org/x&#34;&gt;&lt;b&gt;doi"' in html
