"""``Profile.at_rank`` for lineages that stop above genus, on real fixtures.

The Crawford et al. BIOM table (unifrac fixture) holds 365 OTUs whose Greengenes lineages stop at order (148),
family (118), genus (70) or species (29). Every OTU has a phylum, so the phylum totals are the whole sample —
also after the table went through the long table ``convert`` writes (read back as clade totals).
"""

from __future__ import annotations

import numpy as np
import pytest

import gutskin
from gutskin.profile import Profile
from gutskin.taxonomy.ranks import RANKS
from gutskin.writers import write_profile
from tests.conftest import fixture

CRAWFORD = "biom/unifrac__crawford.biom"
RICH = "biom/biom-format__rich_sparse_otu_table.biom"


def _totals(profile: Profile) -> np.ndarray:
    return np.asarray(profile.values.sum(axis=1)).ravel()


def _with_name_at(profile: Profile, rank: str) -> np.ndarray:
    """Per sample, the sum of the leaves whose lineage names ``rank`` (computed from the leaves, not at_rank)."""
    cols = np.flatnonzero(profile.taxa[rank].notna().to_numpy())
    return np.asarray(profile.values[:, cols].sum(axis=1)).ravel()


def test_leaves_ending_at_order_and_family_count_at_phylum():
    p = gutskin.read(fixture(CRAWFORD))
    assert p.layout == "features" and {"order", "family"} <= set(p.taxa["rank"])
    phyla = p.at_rank("phylum")
    np.testing.assert_allclose(_totals(phyla), _totals(p))  # every OTU has a phylum
    # Firmicutes: the sum of the OTUs whose lineage says p__Firmicutes, whatever rank the lineage stops at
    firm = np.flatnonzero((p.taxa["phylum"] == "Firmicutes").to_numpy())
    col = int(np.flatnonzero((phyla.taxa["name"] == "Firmicutes").to_numpy())[0])
    np.testing.assert_allclose(phyla.values[:, col].toarray().ravel(),
                               np.asarray(p.values[:, firm].sum(axis=1)).ravel())


@pytest.mark.parametrize("relpath", [CRAWFORD, RICH])
@pytest.mark.parametrize("target", ["tsv", "parquet"])
def test_every_rank_survives_the_long_table(relpath, target, tmp_path):
    """The long table carries every rank the lineages name, so phylum totals are the same read back."""
    original = gutskin.read(fixture(relpath))
    out = tmp_path / f"long.{target}"
    write_profile(original, out)
    back = gutskin.read(out)
    named = [r for r in RANKS if original.taxa[r].notna().any()]
    assert set(back.ranks) >= set(named)
    for rank in named:
        np.testing.assert_allclose(_totals(back.at_rank(rank)), _with_name_at(original, rank), rtol=1e-12,
                                   err_msg=rank)


def test_clade_roll_up_uses_the_nearest_rank_below():
    """A clade table without the asked rank rolls up the nearest rank below it, which covers the most.

    Built from the real table: its long table at order and species only (as a file holding just those ranks
    would be). Rolling species up to phylum would keep only the 29 species-level OTUs.
    """
    original = gutskin.read(fixture(CRAWFORD))
    long = original.to_long()
    partial = Profile.from_long(long[long["rank"].isin(["order", "species"])].reset_index(drop=True))
    assert "phylum" not in partial.ranks
    np.testing.assert_allclose(_totals(partial.at_rank("phylum")), _with_name_at(original, "order"))
    np.testing.assert_allclose(_totals(partial.at_rank("phylum")), _totals(original))
