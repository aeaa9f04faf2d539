"""Shared inputs for the cohort tests: real profiles from ../shared (a modest subset, to stay fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gutskin.cohort.ingest import ingest

from ..conftest import DATA, FIXTURES

KEFIR = sorted((DATA / "gmwi2_metaphlan3_examples" / "kefir").glob("*_metaphlan.txt"))[:12]
PSORIASIS_100 = DATA / "psoriasis_gut_metaphlan_100" / "abundance_counts.tsv.gz"
PSORIASIS_143 = DATA / "psoriasis_gut_metaphlan4_143" / "abundance_counts.tsv.gz"
MERGED_MPA4 = FIXTURES / "metaphlan_merged" / "generated__metaphlan-4.1.1-merge__ERR7569997_ERR7569998.txt"


def crash_at_partition(monkeypatch: pytest.MonkeyPatch, n: int, *, written: bool = False) -> None:
    """Make the ``n``-th partition an ingest commits raise KeyboardInterrupt (a crash or Ctrl-C); ``written``:
    after its files are written into the temporary folder, before it is renamed into place."""
    from gutskin.cohort import store as store_mod

    real = store_mod.write_partition
    calls = {"n": 0}

    def crashing(folder, profile, pid):
        calls["n"] += 1
        if calls["n"] == n:
            if written:
                real(folder, profile, pid)
            raise KeyboardInterrupt
        return real(folder, profile, pid)

    monkeypatch.setattr(store_mod, "write_partition", crashing)


def inputs() -> list[Path]:
    """Single-sample MetaPhlAn 3 files, a MetaPhlAn 4 merged table and a 100-sample counts table."""
    for p in [*KEFIR, PSORIASIS_100, MERGED_MPA4]:
        if not p.exists():
            pytest.skip(f"missing real data {p}; is ../shared beside the project?")
    return [*KEFIR, MERGED_MPA4, PSORIASIS_100]


@pytest.fixture(scope="session")
def cohort_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The inputs ingested once, in partitions of 40 samples (so the 100-sample table spans three)."""
    out = tmp_path_factory.mktemp("cohort") / "store"
    ingest(inputs(), out, partition_size=40)
    return out
