"""`gutskin report` as a user runs it: in-process through the CLI's own entry point (the same exit codes and
one-line errors), and once as a real process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from tests.conftest import fixture

from .conftest import EXAMPLE

MERGED = fixture("metaphlan_merged/generated__metaphlan-3.0.14-merge__kefir_v31_3samples.txt")


def run(*args: str | Path) -> subprocess.CompletedProcess:
    """``gutskin report ARGS`` in this process, through :func:`gutskin.cli.main` (exit status and stderr as a user
    sees them)."""
    from gutskin.cli import main

    argv = ["report", *map(str, args)]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def run_process(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gutskin", "report", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_one_build_several_formats(tmp_path, questionnaire_path):
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    extra = ["-q", questionnaire_path] if questionnaire_path else []
    proc = run_process(EXAMPLE, "-o", html, "-o", js, *extra)  # once as a real process
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {html}" in proc.stderr and f"wrote {js}" in proc.stderr
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["sample"] == "SRR1761667_metaphlan"
    assert data["generated_at"] in html.read_text(encoding="utf-8")


def test_several_samples_make_a_folder_of_reports(tmp_path):
    out = tmp_path / "reports"
    proc = run(MERGED, "-o", out, "--to", "json")
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 3 and all(f.endswith(".json") for f in files)
    assert "wrote 3 JSON reports" in proc.stderr
    samples = {json.loads((out / f).read_text(encoding="utf-8"))["sample"] for f in files}
    assert len(samples) == 3


def test_one_sample_of_several(tmp_path):
    import gutskin

    name = gutskin.read(MERGED).samples[2]
    proc = run(MERGED, "--sample", name, "-o", tmp_path / "one.json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))["sample"] == name


def test_bad_requests_are_one_line_errors(tmp_path):
    assert_one_line_error(run(MERGED, "-o", tmp_path / "r.html"), "3 samples", "--sample")
    assert_one_line_error(run(EXAMPLE, "-o", tmp_path / "r.docx"), ".html, .pdf or .json")
    assert_one_line_error(run(EXAMPLE, "-o", tmp_path / "r.html", "-q", tmp_path / "missing.yaml"), "not found")
    assert_one_line_error(run(EXAMPLE, "-o", tmp_path / "r.html", "--sample", "nobody"), "nobody")
    assert_one_line_error(run(EXAMPLE, "-o", tmp_path / "r.html", "--reference", "no-such-ref"), "no-such-ref")
    assert_one_line_error(run(EXAMPLE, "-o", tmp_path / "missing" / "r.html"), "output folder does not exist")
    assert not any(tmp_path.iterdir())


def test_trial_results_from_the_command_line(tmp_path, trial_files):
    plan, diary = trial_files
    out = tmp_path / "trial.json"
    proc = run(EXAMPLE, "--trial", plan, diary, "-o", out)
    assert proc.returncode == 0, proc.stderr
    trial = json.loads(out.read_text(encoding="utf-8"))["trial"]
    assert trial["mode"] == "results" and trial["result"]["food"] == "dairy"
    assert len(trial["result"]["phases"]) == 3 and trial["result"]["points"]


def test_old_short_reference_flag_works_for_one_release(tmp_path):
    out = tmp_path / "r.json"
    proc = run(EXAMPLE, "-r", "gmhi2020-healthy-mpa2", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "'-r' is deprecated" in proc.stderr and "'--reference'" in proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["methods"]["reference"]["name"] == "gmhi2020-healthy-mpa2"
