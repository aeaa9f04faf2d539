"""`gutskin inspect` and `gutskin convert` as a user runs them, including every kind of bad input."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_runner import run_gutskin
from tests.conftest import fixture

MPA3 = fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt")
MPA4 = fixture("metaphlan/taxpasta__ERR7569997.txt")


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """In-process through the real entry point (tests/cli_runner.py says why)."""
    return run_gutskin(*args, cwd=cwd)


def run_process(*args: str | Path) -> subprocess.CompletedProcess:
    """As a user runs it, in its own interpreter."""
    return subprocess.run([sys.executable, "-m", "gutskin", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_inspect_json_reports_format_database_and_unclassified():
    proc = run("inspect", MPA3, "--json")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)[0]
    assert rec["format"] == "metaphlan" and rec["database"] == "mpa_v30_CHOCOPhlAn_201901"
    assert rec["values"] == "percent" and abs(rec["unclassified_share"] - 0.7084224) < 1e-12
    assert rec["taxa_per_rank"]["species"] == 54


def test_inspect_table_is_readable():
    proc = run("inspect", MPA4)
    assert proc.returncode == 0
    assert "MetaPhlAn 4" in proc.stdout and "mpa_vOct22_CHOCOPhlAnSGB_202212" in proc.stdout


def test_convert_merges_inputs_into_the_standard_long_table(tmp_path):
    # SRR1761667 and the kefir profiles were made with different MetaPhlAn databases (mpa_v30, mpa_v31),
    # so the merge takes copies of the same real profile under other sample names
    others = []
    for i in range(2):
        copy = tmp_path / f"copy{i}.txt"
        copy.write_text(MPA3.read_text())
        others.append(copy)
    out = tmp_path / "long.tsv"
    proc = run("convert", MPA3, *others, "-o", out, "--rank", "genus")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["sample", "rank", "name", "taxid", "lineage", "count", "relative_abundance"]
    assert set(table["rank"]) == {"genus"}
    assert table["sample"].nunique() == 3
    sums = table.groupby("sample")["relative_abundance"].sum()
    assert ((sums - 1).abs() < 1e-12).all()
    assert table["count"].isna().all()  # proportions carry no counts
    bact = table[(table["sample"] == "gmwi2__SRR1761667_metaphlan") & (table["name"] == "Bacteroides")]
    # the genus share of the classified community at genus rank, computed from the file's own numbers
    genus_rows = [ln.split("\t") for ln in MPA3.read_text().splitlines()
                  if "|g__" in ln and "|s__" not in ln and not ln.startswith("#")]
    total = sum(float(r[2]) for r in genus_rows)
    assert bact["relative_abundance"].iloc[0] == pytest.approx(0.024641220673592496 / total, rel=1e-12)


@pytest.mark.parametrize("to", ["csv", "parquet", "biom"])
def test_convert_output_types(tmp_path, to):
    out = tmp_path / f"x.{to}"
    proc = run("convert", MPA4, "-o", out, "--rank", "species")
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0


def test_empty_file(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("")
    assert_one_line_error(run("inspect", f), "empty.txt", "empty")


def test_truncated_gzip(tmp_path):
    data = gzip.compress(MPA3.read_bytes())
    f = tmp_path / "cut.txt.gz"
    f.write_bytes(data[: len(data) // 2])
    assert_one_line_error(run("inspect", f), "cut.txt.gz", "truncated")


def test_truncated_text_names_the_line(tmp_path):
    text = MPA3.read_text()
    f = tmp_path / "cut.txt"
    f.write_text(text[: text.index("k__Bacteria|p__Bacteroidetes\t") + 20])
    proc = run("convert", f, "-o", tmp_path / "o.tsv")
    assert_one_line_error(proc, "cut.txt:")


def test_binary_file(tmp_path):
    f = tmp_path / "image.png"
    f.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert_one_line_error(run_process("inspect", f), "image.png", "binary")


def test_wrong_format(tmp_path):
    f = tmp_path / "notes.csv"
    f.write_text("name,city\nAda,London\nGrace,Arlington\n")
    assert_one_line_error(run("inspect", f), "notes.csv", "not a recognised profile format")


def test_negative_value_names_file_line_and_field(tmp_path):
    f = tmp_path / "neg.txt"
    f.write_text(MPA3.read_text().replace("\t70.84224\t", "\t-70.84224\t"))
    assert_one_line_error(run("inspect", f), "neg.txt:5", "relative_abundance", "≥ 0")


def test_nan_value(tmp_path):
    f = tmp_path / "nan.txt"
    f.write_text(MPA3.read_text().replace("\t70.84224\t", "\tNaN\t"))
    assert_one_line_error(run("inspect", f), "nan.txt:5", "finite")


def test_duplicate_sample_names_across_files(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(MPA3, a / "s.txt")
    shutil.copy(MPA3, b / "s.txt")
    assert_one_line_error(run("convert", a / "s.txt", b / "s.txt", "-o", tmp_path / "o.tsv"),
                          "duplicate sample names")


def test_merging_different_databases_is_refused(tmp_path):
    proc = run("convert", MPA3, MPA4, "-o", tmp_path / "o.tsv")
    assert_one_line_error(proc, "different databases", "mpa_v30", "mpa_vOct22")


def test_taxonomy_given_alone_is_refused(tmp_path):
    tax = fixture("qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-13-8__taxonomy.tsv")
    assert_one_line_error(run("convert", tax, "-o", tmp_path / "o.tsv"), "taxonomy", "feature table")


def test_failed_convert_leaves_existing_output_untouched(tmp_path):
    out = tmp_path / "o.tsv"
    out.write_text("precious\n")
    bad = tmp_path / "bad.txt"
    bad.write_text(MPA3.read_text().replace("\t70.84224\t", "\t-1\t"))
    assert run("convert", bad, "-o", out).returncode == 2
    assert out.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".o.tsv")] == []


def test_unknown_rank_and_format_options(tmp_path):
    assert_one_line_error(run("convert", MPA3, "-o", tmp_path / "o.tsv", "--rank", "tribe"), "tribe")
    assert_one_line_error(run("inspect", MPA3, "--format", "nosuch"), "nosuch")


def test_format_override_reads_as_named_format():
    proc = run("inspect", MPA3, "--format", "metaphlan", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)[0]["format"] == "metaphlan"


def test_user_text_is_never_console_markup(tmp_path):
    # a file (or sample) name that looks like rich markup is printed as written, not interpreted or crashed on
    odd = tmp_path / "[red]odd[bold].txt"
    shutil.copy(MPA3, odd)
    proc = run("inspect", odd)
    assert proc.returncode == 0, proc.stderr
    assert "[red]odd[bold]" in proc.stdout.replace("\n", "")  # the sample row, and the (wrapped) path
