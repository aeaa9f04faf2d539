"""The engine's own contract: one scoring driver, a versioned Analysis, settings instead of the environment,
and nothing process-global that one request could change for another."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gutskin.cli import app
from gutskin.engine import SCHEMA_VERSION, Analysis, Resources, Settings, analyse, score
from gutskin.reference.features import sample_metrics

from .conftest import EXAMPLE


def test_score_is_what_the_cli_writes_and_what_references_summarise(example_profile, tmp_path):
    scores = score(example_profile)
    out = tmp_path / "s.tsv"
    res = CliRunner().invoke(app, ["score", str(EXAMPLE), "-o", str(out)])
    assert res.exit_code == 0, res.output
    written = pd.read_csv(out, sep="\t", index_col="sample")
    cols = scores.metric_columns
    assert list(written.columns) == list(scores.table.columns)
    assert np.allclose(written[cols].to_numpy(float), scores.table[cols].to_numpy(float), rtol=1e-12, atol=0,
                       equal_nan=True)
    ref_values, _ = sample_metrics(example_profile)
    shared = [c for c in ref_values.columns if c in scores.table.columns]
    assert {"shannon", "gmhi", "gmwi2", "fb_ratio"} <= set(shared)
    assert np.allclose(ref_values[shared].to_numpy(float), scores.table[shared].to_numpy(float), rtol=0, atol=0,
                       equal_nan=True)


def test_analysis_is_versioned_and_round_trips(example_profile, resources):
    a = analyse(example_profile, resources, input_name="folder/not/kept.txt")[0]
    assert a.schema_version == SCHEMA_VERSION
    assert Analysis.model_validate_json(a.model_dump_json()) == a
    assert a.scores["shannon"] == pytest.approx(score(example_profile).table["shannon"].iloc[0], rel=1e-12)
    assert {x.key for x in a.indices} == {"gmhi", "gmwi2", "gevers_md", "hmp2_dysbiosis"}
    assert a.index("hmp2_dysbiosis").status == "refused" and a.index("hmp2_dysbiosis").reason
    assert a.provenance.gutskin_version and a.provenance.kb_version
    assert all(t.key for t in a.composition.genera)


def test_settings_come_from_the_face_not_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GUTSKIN_HOME", "/nowhere/at/all")
    s = Settings.from_environ({"GUTSKIN_HOME": str(tmp_path), "GUTSKIN_MAX_SAMPLES": "2"})
    assert s.references_dir == tmp_path / "references" and s.max_samples == 2
    store = Resources.load(s).references
    assert store.user_dir == tmp_path / "references"  # the environment variable above is ignored


def test_a_user_reference_in_the_settings_home_is_listed_and_pinnable(example_profile, resources, tmp_path):
    from dataclasses import replace

    from gutskin.reference.registry import SUFFIX

    shipped = resources.references.load("psoriasis100-controls-mpa3")
    (tmp_path / "references").mkdir()
    replace(shipped, name="lab-copy").save(tmp_path / "references" / f"lab-copy{SUFFIX}")
    mine = Resources.load(Settings(home=tmp_path))
    assert "lab-copy" in mine.references.names() and "lab-copy" not in resources.references.names()
    a = analyse(example_profile, mine, reference="lab-copy")[0]
    assert a.provenance.reference.name == "lab-copy" and a.provenance.reference.match == "pinned"


def test_sample_limit_from_settings(resources):
    import gutskin
    from tests.conftest import fixture

    profile = gutskin.read(fixture("metaphlan_merged/generated__metaphlan-3.0.14-merge__kefir_v31_3samples.txt"))
    limited = Resources(settings=Settings(max_samples=2), knowledge=resources.knowledge,
                        references=resources.references, synonyms=resources.synonyms, guilds=resources.guilds,
                        index_info=resources.index_info)
    from gutskin.errors import InputError

    with pytest.raises(InputError, match="at most 2"):
        analyse(profile, limited)


def test_backend_switch_and_chart_ids_are_per_thread():
    from gutskin.metrics import backend, use_backend
    from gutskin.report import charts

    seen: dict[str, str] = {}
    inside = threading.Event()
    release = threading.Event()

    def forcing_numpy():
        with use_backend("numpy"):
            seen["worker"] = backend()
            inside.set()
            release.wait(5)

    t = threading.Thread(target=forcing_numpy)
    before = backend()
    t.start()
    inside.wait(5)
    seen["main"] = backend()  # while the other thread has forced numpy
    release.set()
    t.join()
    assert seen["worker"] == "numpy" and seen["main"] == before

    charts.reset_ids()
    first = charts._uid("t")
    other: list[str] = []
    th = threading.Thread(target=lambda: other.append(charts._uid("t")))
    th.start()
    th.join()
    assert first == "t1" and other == ["t1"], "each thread numbers its own document"
