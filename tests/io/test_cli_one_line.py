"""At the command line every refusal is one line and exit 2, never "internal error" (run in-process)."""

from __future__ import annotations

import gzip

import pytest

from gutskin.cli import main
from tests.conftest import fixture

KRAKEN_GZ = fixture("kraken2/taxpasta__2611_se-ERR5766174-db2.kraken2.report.txt.gz")


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main([*args])
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def one_line(code: int, err: str, *needles: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, err
    assert "internal error" not in err and "Traceback" not in err
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.mark.parametrize(("args", "needle"), [
    (["--food", "x" * 100_000, "--start", "2027-01-04"], "--food"),
    (["--food", "milk", "--start", "9999-12-28"], "--start"),
    (["--food", "milk", "--start", "9999-12-01"], "dates must lie between"),
    (["--food", "milk", "--start", "2027-01-01", "--baseline-days", "800"], "at most 731 days"),
])
def test_trial_plan_limits_are_one_line(tmp_path, capsys, args, needle):
    out = tmp_path / "plan.json"
    code, _, err = run(capsys, "trial", "plan", "--condition", "acne", "--age", "30", *args, "-o", str(out))
    one_line(code, err, needle)
    assert not out.exists()


def test_corrupt_gzip_is_one_line_naming_the_file(tmp_path, capsys):
    raw = bytearray(KRAKEN_GZ.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    bad = tmp_path / "bad.kreport.gz"
    bad.write_bytes(bytes(raw))
    code, _, err = run(capsys, "convert", str(bad), "-o", str(tmp_path / "out.tsv"))
    one_line(code, err, str(bad))
    assert [p.name for p in tmp_path.iterdir()] == ["bad.kreport.gz"]  # no output, no temp file


def test_a_bomb_is_refused_at_the_command_line(tmp_path, capsys):
    from gutskin import io as gio

    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(gzip.compress(b"0" * (4 * 1024**2), compresslevel=9))
    old = gio.limits()
    gio.configure(ratio_floor_bytes=1024**2)
    try:
        code, _, err = run(capsys, "inspect", str(bomb))
    finally:
        gio.configure(ratio_floor_bytes=old.ratio_floor_bytes)
    one_line(code, err, str(bomb), "bomb")
