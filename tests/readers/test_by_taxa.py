"""What depends only on a profile's taxa is worked out once per taxa table (``gutskin.profile.by_taxa``), and
sharing it never changes a number: a one-sample slice of a table gets exactly the rank views it would get
built on its own."""

from __future__ import annotations

import numpy as np
import pandas as pd

import gutskin
from gutskin import profile as profile_module
from gutskin.profile import Profile, by_taxa
from tests.conftest import data


def test_remembered_per_taxa_frame_and_bounded():
    taxa = pd.DataFrame({"rank": ["species"]})
    calls = []
    first = by_taxa(taxa, "x", lambda: calls.append(1) or object())
    assert by_taxa(taxa, "x", lambda: calls.append(1) or object()) is first and len(calls) == 1
    other = taxa.copy()  # an equal but different frame is another table
    assert by_taxa(other, "x", lambda: calls.append(1) or object()) is not first and len(calls) == 2
    for i in range(profile_module._BY_TAXA_LIMIT + 5):
        by_taxa(taxa, ("filler", i), object)
    assert len(profile_module._BY_TAXA) <= profile_module._BY_TAXA_LIMIT


def test_slices_share_rank_views_and_match_a_fresh_build():
    table = gutskin.read(data("psoriasis_gut_metaphlan4_143/abundance_counts.tsv.gz"))
    one = table.take_samples([7])
    assert one.taxa is table.taxa  # slicing samples keeps the taxa frame, so the roll-up plan is shared
    shared = one.at_rank("genus")
    # the same sample built from scratch (its own taxa frame: nothing remembered applies)
    fresh = Profile(one.values.copy(), one.samples, one.taxa.copy(), one.info, one.layout).at_rank("genus")
    assert shared.taxa is table.at_rank("genus").taxa
    assert list(shared.taxa.index) == list(fresh.taxa.index)
    assert np.array_equal(shared.values.toarray(), fresh.values.toarray())


def test_a_taxa_subset_is_the_same_frame_each_time():
    table = gutskin.read(data("gmwi2_metaphlan3_examples/SRR1761667_metaphlan.txt"))
    mask = table.taxa["rank"].to_numpy() == "genus"
    assert table.take_taxa(mask).taxa is table.take_taxa(mask).taxa
    assert table.take_taxa(np.ones(table.n_taxa, dtype=bool)) is table  # keeping every taxon copies nothing
