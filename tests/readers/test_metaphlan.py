"""MetaPhlAn 2/3/4 single and merged profiles, read from the real files in shared/fixtures."""

from __future__ import annotations

import numpy as np
import pytest

import gutskin
from gutskin.errors import InputError
from tests.conftest import fixture


def value_of(profile, sample: str, rank: str, name: str) -> float:
    view = profile.sample(sample).at_rank(rank)
    hits = np.flatnonzero(view.taxa["name"].to_numpy() == name)
    assert len(hits) == 1, f"{name} at {rank}: {len(hits)} rows"
    return float(view.values[0, hits[0]])


def test_metaphlan4_single_sample():
    path = fixture("metaphlan/taxpasta__ERR7569997.txt")
    assert gutskin.detect_format(path) == "metaphlan"
    p = gutskin.read(path)
    assert p.samples == ["ERR7569997"]  # from the '#ERR7569997\tMetaphlan_Analysis' line
    info = p.info[0]
    assert (info.profiler, info.profiler_version, info.database) == ("MetaPhlAn", "4",
                                                                     "mpa_vOct22_CHOCOPhlAnSGB_202212")
    assert info.units == "percent" and info.unclassified is None
    assert value_of(p, "ERR7569997", "species", "Methanobrevibacter smithii") == pytest.approx(0.03998)
    # 226 species rows in the file; t__SGB rows are strains
    assert int(p.taxa_per_rank()["species"][0]) == 226
    tax = p.taxa[p.taxa["name"] == "Methanobrevibacter smithii"]
    assert tax["taxid"].iloc[0] == 2173 and tax["genus"].iloc[0] == "Methanobrevibacter"


def test_metaphlan3_unknown_row_gives_unclassified_share():
    p = gutskin.read(fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt"))
    info = p.info[0]
    assert info.profiler_version == "3" and info.database == "mpa_v30_CHOCOPhlAn_201901"
    assert info.unclassified == pytest.approx(70.84224)
    assert info.unclassified_share == pytest.approx(0.7084224)
    assert value_of(p, p.samples[0], "genus", "Bacteroides") == 0.024641220673592496  # exact, unrounded
    assert int(p.taxa_per_rank()["species"][0]) == 54


def test_read_stats_layout_and_mpa2_layouts():
    p = gutskin.read(fixture("metaphlan/humann__demo_metaphlan_bugs_list.tsv"))
    assert p.info[0].extra["layout"] == "5-column"
    assert value_of(p, p.samples[0], "phylum", "Actinobacteria") == pytest.approx(52.85687)
    p2 = gutskin.read(fixture("metaphlan/galaxy-iuc__metaphlan2__community_profile.tabular"))
    assert p2.info[0].profiler_version == "2"
    assert value_of(p2, p2.samples[0], "species", "Bacteroides stercoris") == pytest.approx(68.05418)
    assert set(p2.at_rank("strain").taxa["name"]) == {"Bacteroides stercoris unclassified",
                                                      "Bacteroides thetaiotaomicron unclassified"}


def test_gtdb_converted_profile_keeps_gtdb_names():
    p = gutskin.read(fixture("metaphlan/benchpro__MetaPhlAn4__GTDB__r207__0.profile_gtdb.tsv"))
    species = set(p.at_rank("species").taxa["name"])
    assert {"Bordetella pertussis", "Bordetella_A petrii"} <= species  # suffix kept, no underscore folding
    assert "Firmicutes_A" in set(p.at_rank("phylum").taxa["name"])
    assert "GTDB" in p.info[0].database


def test_unknown_only_profile_is_empty_and_fully_unclassified():
    path = fixture("metaphlan/taxpasta__MOCK_001_Minion_R9_se_metaphlan3-db.metaphlan3_profile.txt")
    with pytest.raises(InputError, match="the profile is empty: everything is unclassified"):
        gutskin.read(path)
    p = gutskin.read(path, allow_empty=True)
    assert p.n_taxa == 0 and p.info[0].unclassified_share == 1.0


def test_stray_space_header_and_gzip_and_custom_db():
    p = gutskin.read(fixture("metaphlan/taxpasta__mpa_valid_simple.tsv"))
    assert p.n_taxa == 11
    gz = gutskin.read(fixture("metaphlan/taxpasta__mpa_valid_complex.tsv.gz"))
    assert value_of(gz, gz.samples[0], "phylum", "Bacteroidetes") == pytest.approx(65.30411)
    custom = gutskin.read(fixture("metaphlan/galaxy-iuc__SRS014464-Anterior_nares-abundances.tabular.gz"))
    assert custom.info[0].database == "custom_db"


def test_merged_tables_v2_v3_v4():
    v3 = gutskin.read(fixture("metaphlan_merged/generated__metaphlan-3.0.14-merge__kefir_v31_3samples.txt"))
    assert v3.samples == ["Subj004_time1_S4_metaphlan3", "Subj003_time1_S3_metaphlan3",
                          "Subj001_time1_S1_metaphlan3"]
    assert [i.unclassified for i in v3.info] == [50.74503, 57.09482, 47.50812]
    assert value_of(v3, "Subj003_time1_S3_metaphlan3", "species", "Faecalibacterium prausnitzii") == \
        pytest.approx(0.1695398354686081)
    # the merged table equals the single-sample file it was made from
    single = gutskin.read(fixture("metaphlan/gmwi2__Subj001_time1_S1_metaphlan3.txt"))
    a = single.to_long("species").set_index("name")["relative_abundance"]
    b = v3.sample("Subj001_time1_S1_metaphlan3").to_long("species").set_index("name")["relative_abundance"]
    assert a.sort_index().to_dict() == pytest.approx(b.sort_index().to_dict(), abs=1e-12)

    v4 = gutskin.read(fixture("metaphlan_merged/generated__metaphlan-4.1.1-merge__ERR7569997_ERR7569998.txt"))
    assert v4.samples == ["ERR7569997", "ERR7569998"] and v4.info[0].profiler_version == "4"
    assert value_of(v4, "ERR7569998", "domain", "Archaea") == pytest.approx(11.575)

    v2 = gutskin.read(fixture("metaphlan_merged/galaxy-iuc__metaphlan2__merged_community_profile.tabular"))
    assert v2.samples == ["community_profile", "community_profile.2"]  # duplicate columns made unique
    assert v2.info[0].extra["warnings"]


@pytest.mark.parametrize("rank", ["phylum", "genus", "species"])
def test_proportions_sum_to_one_per_rank(rank):
    p = gutskin.read(fixture("metaphlan_merged/generated__metaphlan-4.1.1-merge__ERR7569997_ERR7569998.txt"))
    sums = np.asarray(p.proportions(rank).values.sum(axis=1)).ravel()
    assert np.allclose(sums, 1.0, atol=1e-12)
    long = p.to_long(rank)
    assert np.allclose(long.groupby("sample")["relative_abundance"].sum(), 1.0, atol=1e-12)


def test_negative_and_nan_values_are_refused(tmp_path):
    src = fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt").read_text()
    bad = src.replace("\t29.031894900524044\t", "\t-29.03\t")
    f = tmp_path / "neg.txt"
    f.write_text(bad)
    with pytest.raises(InputError, match=r"neg.txt:6.*≥ 0"):
        gutskin.read(f)
    f.write_text(src.replace("\t29.031894900524044\t", "\tnan\t"))
    with pytest.raises(InputError, match="finite"):
        gutskin.read(f)
