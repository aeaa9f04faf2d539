"""``gutskin score``: one row per sample, metric columns, coverage and warnings; refusals as specified."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gutskin
from gutskin.cli import main
from gutskin.cli.score import parse_metrics, score_profile
from gutskin.errors import InputError, RefusedError
from gutskin.indices import gmhi, gmwi2
from gutskin.metrics import alpha_diversity

from ..conftest import DATA, FIXTURES

KEFIR = sorted((DATA / "gmwi2_metaphlan3_examples" / "kefir").glob("*_metaphlan.txt"))[:4]
BRACKEN = FIXTURES / "bracken" / "multiqc__bracken__v2.6.0__bracken_species_abundances.tsv"


def run(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code, capsys.readouterr()


def test_score_all_on_metaphlan_percent(tmp_path, capsys):
    out = tmp_path / "scores.tsv"
    code, _ = run(["score", *map(str, KEFIR), "-o", str(out)], capsys)
    assert code == 0
    table = pd.read_csv(out, sep="\t", index_col="sample", keep_default_na=True)
    profile = gutskin.read_many(KEFIR)
    assert list(table.index) == profile.samples
    for col in ("observed", "shannon", "simpson", "inv_simpson", "pielou", "chao1", "ace", "gmhi", "gmwi2",
                "gevers_md", "fb_ratio", "guild.butyrate_producers", "phylum.Bacillota", "gmhi_coverage",
                "gmwi2_coverage", "warnings"):
        assert col in table.columns, col
    # chao1/ace left empty with the reason, nothing else failed
    assert table["chao1"].isna().all() and table["ace"].isna().all()
    assert table["warnings"].str.contains("chao1: left empty: Chao1 and ACE need integer read counts").all()
    # values equal the library's
    assert np.allclose(table["gmwi2"], gmwi2(profile).to_numpy(), rtol=0, atol=1e-12)
    assert np.allclose(table["gmhi"], gmhi(profile).to_numpy(), rtol=0, atol=1e-12)
    alpha = alpha_diversity(profile, ["shannon", "observed"])
    assert np.allclose(table["shannon"], alpha["shannon"], rtol=0, atol=1e-12)
    assert (table["observed"] == alpha["observed"]).all()
    # the GMHI naming warning travels into every row
    assert table["warnings"].str.contains("gmhi: GMHI was built on MetaPhlAn 2").all()
    assert table["gmwi2_coverage"].str.contains("of 95").all()


def test_chao1_asked_explicitly_on_proportions_is_refused(tmp_path, capsys):
    out = tmp_path / "x.tsv"
    code, captured = run(["score", str(KEFIR[0]), "--metrics", "shannon,chao1", "-o", str(out)], capsys)
    assert code == 2
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "chao1 refused" in lines[0] and "integer read counts" in lines[0]
    assert not out.exists()


def test_counts_input_gives_chao1(tmp_path, capsys):
    out = tmp_path / "counts.tsv"
    code, _ = run(["score", str(BRACKEN), "--metrics", "alpha", "-o", str(out)], capsys)
    assert code == 0
    table = pd.read_csv(out, sep="\t", index_col="sample")
    profile = gutskin.read(BRACKEN)
    expected = alpha_diversity(profile)
    assert np.allclose(table[list(expected.columns)].to_numpy(dtype=float), expected.to_numpy(dtype=float),
                       rtol=0, atol=1e-12, equal_nan=True)


def test_reference_enables_dysbiosis(tmp_path, capsys):
    out = tmp_path / "d.tsv"
    ref = sorted((DATA / "gmwi2_metaphlan3_examples" / "kefir").glob("*_metaphlan.txt"))[10:30]
    argv = ["score", *map(str, KEFIR), "--metrics", "hmp2_dysbiosis,shannon", "-o", str(out)]
    for r in ref:
        argv += ["--reference", str(r)]
    code, _ = run(argv, capsys)
    assert code == 0
    table = pd.read_csv(out, sep="\t", index_col="sample")
    assert table["hmp2_dysbiosis"].between(0, 1).all()
    assert "hmp2_dysbiosis_coverage" in table and "hmp2_dysbiotic" in table


def test_metric_parsing():
    names, explicit = parse_metrics("all")
    assert "hmp2_dysbiosis" not in names and "chao1" in names and not explicit
    names, explicit = parse_metrics("shannon, gmhi,composition", with_reference=True)
    assert names == ["shannon", "gmhi", "phyla", "fb_ratio", "guilds"] and explicit == {"shannon", "gmhi"}
    assert "hmp2_dysbiosis" in parse_metrics("all", with_reference=True)[0]
    with pytest.raises(InputError, match="unknown metric"):
        parse_metrics("shanon")
    profile = gutskin.read(KEFIR[0])
    with pytest.raises(InputError, match="reference"):
        score_profile(profile, "hmp2_dysbiosis")
    with pytest.raises(RefusedError):
        score_profile(profile, "ace")


def test_unknown_metric_is_one_line_exit_2(tmp_path, capsys):
    code, captured = run(["score", str(KEFIR[0]), "--metrics", "bogus", "-o", str(tmp_path / "o.tsv")], capsys)
    assert code == 2 and "unknown metric" in captured.err


def test_low_species_resolution_is_warned(tmp_path, capsys):
    out = tmp_path / "b.tsv"
    code, _ = run(["score", str(FIXTURES / "biom" / "unifrac__crawford.biom"), "--metrics", "shannon,guilds",
                   "-o", str(out)], capsys)
    assert code == 0
    table = pd.read_csv(out, sep="\t", index_col="sample")
    assert table["warnings"].str.contains("alpha: only").all()
    assert table["guild.butyrate_producers"].isna().all()


def test_genus_only_table_is_scored_at_genus_without_asking(tmp_path, capsys):
    """A 16S genus table names no species: the default rank falls back to genus (as `gutskin report` does)."""
    genus = DATA / "movingpictures_16s_gut_467" / "genus_counts.tsv.gz"
    out = tmp_path / "genus.tsv"
    code, captured = run(["score", str(genus), "--metrics", "alpha", "-o", str(out)], capsys)
    assert code == 0
    assert "measured at genus rank" in captured.err
    table = pd.read_csv(out, sep="\t", index_col=0)
    expected = alpha_diversity(gutskin.read(genus), ["shannon", "observed"], rank="genus")
    np.testing.assert_allclose(table["shannon"].to_numpy(), expected["shannon"].to_numpy(), rtol=1e-12)
    assert (table["observed"].to_numpy() == expected["observed"].to_numpy()).all()
    # asked for by name, species is still refused in one line
    code, captured = run(["score", str(genus), "--rank", "species", "-o", str(tmp_path / "s.tsv")], capsys)
    assert code == 2 and "species" in captured.err
