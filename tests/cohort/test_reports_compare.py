"""Cohort reports through the engine, and group comparisons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gutskin.cli import main
from gutskin.cohort.compare import cliffs_delta, compare, compare_files
from gutskin.cohort.ingest import ingest
from gutskin.cohort.reports import ReportJob, file_name, report_cohort
from gutskin.cohort.scoring import ScoreJob, read_scores, score_cohort
from gutskin.errors import InputError

from ..conftest import DATA
from .conftest import KEFIR

META_100 = DATA / "psoriasis_gut_metaphlan_100" / "metadata.tsv"


def test_json_reports_one_per_sample_and_resume(tmp_path: Path) -> None:
    store = tmp_path / "c"
    ingest(KEFIR[:3], store, partition_size=2)
    out = tmp_path / "reports"
    run = report_cohort(store, out, job=ReportJob(str(store), fmt="json"))
    files = sorted(out.glob("*.json"))
    assert run.n_reports == 3 and len(files) == 3
    doc = json.loads(files[0].read_text())
    assert doc["sample"] in {p.stem.replace("_metaphlan", "") for p in KEFIR[:3]} | {p.stem for p in KEFIR[:3]}
    again = report_cohort(store, out, job=ReportJob(str(store), fmt="json"))
    assert again.n_reports == 0 and again.n_skipped == 3


def test_reports_written_a_chunk_at_a_time_are_those_of_the_whole_partition(tmp_path: Path, monkeypatch) -> None:
    from gutskin.cohort import reports

    store = tmp_path / "c"
    ingest([DATA / "psoriasis_gut_metaphlan4_143" / "abundance_counts.tsv.gz"], store, partition_size=30)
    job = ReportJob(str(store), fmt="json", generated_at="2026-12-04T00:00:00Z", limit=30)
    monkeypatch.setattr(reports, "REPORT_CHUNK", 7)  # 30 samples in 5 chunks
    chunked = report_cohort(store, tmp_path / "chunked", job=job)
    monkeypatch.setattr(reports, "REPORT_CHUNK", 1000)
    whole = report_cohort(store, tmp_path / "whole", job=job)
    assert chunked.n_reports == whole.n_reports == 30
    for path in sorted((tmp_path / "whole").glob("*.json")):
        assert (tmp_path / "chunked" / path.name).read_text() == path.read_text(), path.name


def test_automatic_collection_is_off_while_reporting_and_restored() -> None:
    import gc
    import threading

    from gutskin.cohort import reports

    before = gc.get_threshold()
    inside: list[int] = []
    entered, release = threading.Barrier(2), threading.Event()

    def task() -> None:
        with reports._fewer_collections():
            entered.wait()
            release.wait()
            inside.append(gc.get_threshold()[0])

    # two overlapping tasks (Dask runs them in threads): the second out restores, not the first
    t = threading.Thread(target=task)
    t.start()
    with reports._fewer_collections():
        entered.wait()
        assert gc.get_threshold() == (reports.YOUNG_COLLECTION_EVERY, *before[1:])
        assert reports.YOUNG_COLLECTION_EVERY == 0  # 0: no automatic collections
        release.set()
        t.join()
        assert gc.get_threshold()[0] == reports.YOUNG_COLLECTION_EVERY
    assert inside == [reports.YOUNG_COLLECTION_EVERY]
    assert gc.get_threshold() == before


def test_file_names_are_safe() -> None:
    assert file_name("../etc/passwd") == "etc_passwd"
    assert file_name("a b/c") == "a_b_c"
    assert file_name("...") == "sample"


def test_cliffs_delta_equals_the_pairwise_definition() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(0, 1, 40).round(1)
    b = rng.normal(0.5, 1, 55).round(1)
    d, lo, hi, p = cliffs_delta(a, b)
    pairwise = (np.sign(b[:, None] - a[None, :])).mean()
    assert abs(d - pairwise) < 1e-12
    assert lo < d < hi and 0 < p < 1


@pytest.fixture(scope="module")
def psoriasis_scores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pso")
    ingest([DATA / "psoriasis_gut_metaphlan_100" / "abundance_counts.tsv.gz"], root / "c", partition_size=60)
    out = root / "scores.parquet"
    score_cohort(root / "c", out, job=ScoreJob(str(root / "c"), features=True))
    return out


def test_compare_table_and_plots(psoriasis_scores: Path, tmp_path: Path) -> None:
    result = compare_files(psoriasis_scores, META_100, "Diagnosis", tmp_path / "cmp")
    assert (result.a, result.b) == ("control", "psoriasis") and (result.n_a, result.n_b) == (47, 53)
    table = pd.read_csv(tmp_path / "cmp" / "compare.tsv", sep="\t")
    assert {"shannon", "gmhi", "kb.taxon-faecalibacterium-prausnitzii"} <= set(table["variable"])
    assert not table["variable"].str.endswith("_percentile").any()
    ok = table.dropna(subset=["p_value"])
    assert (ok["q_value"] >= ok["p_value"] - 1e-15).all() and (ok["q_value"] <= 1).all()
    # the Shannon row is the Mann–Whitney test on the scores themselves
    scores = read_scores(psoriasis_scores)
    meta = pd.read_csv(META_100, sep="\t", dtype=str).set_index("ID")
    labels = meta["Diagnosis"].reindex(scores.index)
    direct = compare(scores[["shannon"]], labels, "control", "psoriasis").table.iloc[0]
    row = table.set_index("variable").loc["shannon"]
    assert abs(row["cliffs_delta"] - direct["cliffs_delta"]) < 1e-6
    assert (tmp_path / "cmp" / "compare.svg").read_text().startswith("<svg")
    assert (tmp_path / "cmp" / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_needs_two_groups(psoriasis_scores: Path, tmp_path: Path) -> None:
    meta = tmp_path / "meta.tsv"
    frame = pd.read_csv(META_100, sep="\t", dtype=str)
    frame["three"] = ["x", "y", "z", "x"] * 25
    frame.to_csv(meta, sep="\t", index=False)
    with pytest.raises(InputError, match="--groups"):
        compare_files(psoriasis_scores, meta, "three", tmp_path / "o")
    result = compare_files(psoriasis_scores, meta, "three", tmp_path / "o", groups="x,y")
    assert (result.n_a, result.n_b) == (50, 25)
    with pytest.raises(InputError, match="no column"):
        compare_files(psoriasis_scores, meta, "nope", tmp_path / "o")


def test_cli_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["cohort", "score", str(tmp_path), "-o", str(tmp_path / "s.parquet")])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not a cohort folder" in err


def test_cli_ingest_score_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, scores = tmp_path / "c", tmp_path / "s.tsv"
    with pytest.raises(SystemExit) as exc:
        main(["cohort", "ingest", *map(str, KEFIR[:3]), str(tmp_path / "missing.txt"), "-o", str(store),
              "--workers", "1"])
    assert exc.value.code in (0, None)
    assert "1 file(s) could not be read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["cohort", "score", str(store), "-o", str(scores), "--workers", "1", "--intervals"])
    assert exc.value.code in (0, None)
    table = read_scores(scores)
    assert len(table) == 3 and "shannon_ci_low" in table.columns

