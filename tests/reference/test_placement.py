"""The placement study's headline numbers, recomputed, and the calibration every report applies."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from gutskin.reference import calibration
from tests.cli_runner import run_gutskin
from tests.conftest import DATA, ROOT, fixture


def _script(name):
    sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_shipped_calibration_keeps_its_own_promises():
    cal = calibration.table()
    assert cal["max_toward"] == 0.40 and cal["max_median_lean"] == 0.15
    assert {"gmhi2020-healthy-mpa2", "camda2024-healthy-mpa4", "hmp1-healthy-16s-gg", "infant-16s-gtdb"} <= set(
        cal["references"])
    for name, ref in cal["references"].items():
        for fid, f in ref["features"].items():
            assert f["placed"] == (f["low"] <= 0.40 and f["high"] <= 0.40), (name, fid)
        for cond, lean in ref["lean"].items():
            if lean["calibrated"]:
                assert abs(lean["median"]) <= 0.15, (name, cond)
    # the headline: leave-study-out on GMHI places most features, cross-cohort pairings far fewer
    gmhi = cal["references"]["gmhi2020-healthy-mpa2"]["features"]
    assert sum(f["placed"] for f in gmhi.values()) >= 0.7 * len(gmhi)


@pytest.mark.slow
def test_placement_study_reproduces_the_shipped_calibration():
    """Rerun one pairing in full (45 healthy psoriasis_143 participants against CAMDA) and compare."""
    study = _script("placement_study")
    kb = study.load_kb()
    conditions = [c.id for c in kb.conditions() if c.gut_evidence != "none"]
    pairing = next(p for p in study.PAIRINGS if p.test == "psoriasis143_controls")
    result = study.run_pairing(pairing, str(DATA), 60, kb, conditions)
    shipped = calibration.table()["references"][pairing.shipped]
    assert result["people"] == shipped["people"] == 45
    for fid, f in shipped["features"].items():
        got = result["features"][fid]
        assert got["low"] + got["absent"] == pytest.approx(f["low"], abs=1e-3)
        assert got["high"] == pytest.approx(f["high"], abs=1e-3)
    # no finding that stays placed puts more than 40 % of these healthy people on the patients' side
    assert result["max_toward_placed"] <= 0.40


def test_a_feature_misplaced_for_healthy_people_is_not_placed_in_a_report():
    import gutskin
    from gutskin.insights.measure import SampleMeasurer
    from gutskin.knowledge.loader import load_kb
    from gutskin.reference import load

    ref = load("camda2024-healthy-mpa4")
    dropped = [fid for fid, f in calibration.table()["references"][ref.name]["features"].items() if not f["placed"]]
    assert dropped
    profile = gutskin.read(fixture("metaphlan/taxpasta__ERR7569997.txt"))
    kb = load_kb()
    measurer = SampleMeasurer(profile, ref, kb)
    for fid in dropped:
        m = measurer.measure(kb.feature(fid))
        assert m.status == "not_measured" and m.healthy_tails is not None


def test_sixteen_s_reaches_insights_through_the_front_door():
    table = fixture("qiime2_qza/q2-composition__table-ancombc.qza")
    tax = fixture("qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-13-8__taxonomy.tsv")
    proc = run_gutskin("insights", table, "--taxonomy", tax, "--sample", "L1S105", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["reference"]["method"] == "16S"


def test_sixteen_s_report_keeps_the_method(tmp_path):
    table = fixture("qiime2_qza/q2-composition__table-ancombc.qza")
    tax = fixture("qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-13-8__taxonomy.tsv")
    out = tmp_path / "r.json"
    proc = run_gutskin("report", table, "--taxonomy", tax, "--sample", "L1S105", "-o", out)
    assert proc.returncode == 0, proc.stderr
    methods = json.loads(out.read_text())["methods"]
    assert methods["reference"]["method"] == "16S"
