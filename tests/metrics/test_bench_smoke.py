"""The benchmark script runs end to end on tiny sizes and its results agree with the baselines (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from ..conftest import ROOT


def test_bench_metrics_smoke(tmp_path):
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_metrics.py"), "--alpha-samples", "300", "--queries", "20",
           "--reference", "60", "--repeats", "1", "--results-dir", str(tmp_path)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    files = list(tmp_path.glob("metrics-*.json"))
    assert len(files) == 1
    report = json.loads(files[0].read_text())
    for task in ("alpha", "bray_curtis"):
        methods = report[task]["methods"]
        assert len(methods) >= 2
        for info in methods.values():
            assert info["max_abs_diff_vs_baseline"] <= 1e-12
            assert info["peak_rss_mb"] > 0
    assert "| method |" in res.stdout
