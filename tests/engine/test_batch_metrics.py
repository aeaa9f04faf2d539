"""Measuring a table's samples at once gives each sample exactly what measuring it alone gives.

``gutskin.engine.batch.metrics_by_sample`` (and ``rank_rows_by_sample`` for taxon shares) hands a sample its
row of a whole-table run only where the table-wide choices of the scoring driver (guild rank, clade roll-up
source, name matching) are the ones the sample would get alone. These tests hold the rows equal to one-sample
runs on real cohorts of every kind the references cover (MetaPhlAn 3 clade tables, MetaPhlAn 4 SGB lineages, a
16S genus table placed at genus rank), and an analysis with the batch equal to one without it.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import gutskin
from gutskin.engine import analyse
from gutskin.engine import analysis as engine_analysis
from gutskin.engine.batch import metrics_by_sample, rank_rows_by_sample
from gutskin.profile import Profile
from gutskin.reference.measures import metric_values
from gutskin.reference.taxa import TAXON_RANKS, rank_table
from tests import cohorts
from tests.conftest import data


def _as_16s(profile: Profile) -> Profile:
    info = [replace(i, method="16S", profiler="QIIME 2 (DADA2)", database="Greengenes 13_8") for i in profile.info]
    return Profile(profile.values, profile.samples, profile.taxa, info, profile.layout)


def _profiles() -> dict[str, Profile]:
    out = {
        "metaphlan3": cohorts.gmwi2_examples().profile,
        "metaphlan4": cohorts.psoriasis_143().profile.take_samples(range(0, 143, 4)),
        "16S genus": _as_16s(gutskin.read(data("movingpictures_16s_gut_467/genus_counts.tsv.gz"))
                             ).take_samples(range(0, 467, 15)),
    }
    return out


PROFILES = _profiles()


@pytest.mark.parametrize("name", list(PROFILES))
def test_each_batched_row_is_the_sample_measured_alone(name, resources):
    profile = PROFILES[name]
    ref = resources.references.choose(profile).reference
    batch = metrics_by_sample(profile, ref.metric_rank)
    # the batch is used (a homogeneous real cohort), not an empty dict that trivially passes
    assert len(batch) >= profile.n_samples // 2, (name, len(batch), profile.n_samples)
    for sample, (row, _warnings) in batch.items():
        alone, _ = metric_values(profile.take_samples([profile.samples.index(sample)]), ref.metric_rank)
        assert list(row.columns) == list(alone.columns), (name, sample)
        assert list(row.index) == list(alone.index) == [sample]
        np.testing.assert_allclose(row.to_numpy(dtype=float), alone.to_numpy(dtype=float), rtol=1e-12, atol=0,
                                   equal_nan=True, err_msg=f"{name} {sample}")


@pytest.mark.parametrize("name", list(PROFILES))
def test_each_batched_rank_row_is_the_sample_alone(name):
    profile = PROFILES[name]
    batch = rank_rows_by_sample(profile)
    assert len(batch) >= profile.n_samples // 2, (name, len(batch), profile.n_samples)
    formed = 0
    for sample, rows in batch.items():
        assert set(rows) == set(TAXON_RANKS)
        for rank, (table, i) in rows.items():
            alone = rank_table(profile.take_samples([profile.samples.index(sample)]), rank)
            assert (table is None) == (alone is None), (name, sample, rank)
            if alone is None:
                continue
            formed += 1
            assert (table.keys, table.names, table.taxids, table.basis) == (alone.keys, alone.names, alone.taxids,
                                                                            alone.basis)
            # bit for bit: the measurer reads these rows as the sample's own
            assert np.array_equal(table.values[i].toarray(), alone.values[0].toarray()), (name, sample, rank)
    assert formed, name


def test_mixed_provenance_is_measured_alone(resources):
    profile = PROFILES["metaphlan3"]
    info = list(profile.info)
    info[0] = replace(info[0], database="mpa_vJan21")
    mixed = Profile(profile.values, profile.samples, profile.taxa, info, profile.layout)
    assert metrics_by_sample(mixed, "species") == {}
    assert rank_rows_by_sample(mixed) == {}


def test_a_sample_on_the_other_side_of_the_guild_rank_choice_is_measured_alone():
    # a 16S genus table has no species: the table and every sample alone sum guilds at genus (all batched);
    # a shotgun table where one sample has almost nothing named at species is split
    profile = PROFILES["metaphlan3"]
    species = np.asarray(profile.taxa["rank"].to_numpy() == "species")
    values = profile.values.tolil(copy=True)
    values[0, np.flatnonzero(species)] = 0.0  # sample 0: nothing at species rank
    damaged = Profile(values.tocsr(), profile.samples, profile.taxa, profile.info, profile.layout)
    batch = metrics_by_sample(damaged, "species")
    assert damaged.samples[0] not in batch
    assert len(batch) == damaged.n_samples - 1


@pytest.mark.parametrize("name", ["metaphlan3", "metaphlan4"])
def test_an_analysis_is_the_same_with_and_without_the_batch(name, resources, monkeypatch):
    profile = PROFILES[name].take_samples(range(6))
    batched = [a.model_dump(mode="json") for a in analyse(profile, resources)]
    monkeypatch.setattr(engine_analysis, "metrics_by_sample", lambda *a, **k: {})
    monkeypatch.setattr(engine_analysis, "rank_rows_by_sample", lambda *a, **k: {})
    alone = [a.model_dump(mode="json") for a in analyse(profile, resources)]
    assert json.dumps(batched, sort_keys=True) == json.dumps(alone, sort_keys=True)
