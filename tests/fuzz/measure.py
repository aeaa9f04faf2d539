"""Measurements quoted in docs/reliability.md: wide-table read time and peak memory of a large long table.

    .venv/bin/python -m tests.fuzz.measure wide 10000 100000     # taxpasta wide tables, seconds per read
    .venv/bin/python -m tests.fuzz.measure memory 5               # the 875-sample .qza's long table × 5, peak RSS

Each measurement runs in a fresh process (peak RSS is per process) and prints one line. Timings depend on
the machine and its load; the docs give the machine's state with them.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
TAXIDS = [0, 1, 2, 816, 976, 1239, 817, 818, 820, 821, 853, 1263, 204475, 239935, 28116, 29347, 39948, 40520,
          46503, 47678, 1301, 1350, 1351, 1352, 1578, 1579, 1613, 1654, 1678, 1680, 1681, 1685, 1727, 1730, 1743,
          1766, 2093, 2172, 28025, 28111]


def _read(path: str) -> None:
    import gutskin

    t0 = time.perf_counter()
    profile = gutskin.read(path)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{Path(path).name}: {profile.n_samples} samples × {profile.n_taxa} taxa, {seconds:.2f} s, "
          f"peak RSS {peak:.0f} MB", flush=True)


def wide(columns: int, folder: Path) -> Path:
    counts = np.random.default_rng(0).poisson(3, size=(len(TAXIDS), columns))
    path = folder / f"wide{columns}.tsv"
    with open(path, "w") as fh:
        fh.write("taxonomy_id\t" + "\t".join(f"s{i}" for i in range(columns)) + "\n")
        for t, row in zip(TAXIDS, counts, strict=True):
            fh.write(f"{t}\t" + "\t".join(map(str, row)) + "\n")
    return path


def long_table(copies: int, folder: Path) -> Path:
    import gutskin
    from gutskin.writers import write_profile

    one = folder / "one.tsv"
    write_profile(gutskin.read(FIXTURES / "qiime2_qza" / "q2-longitudinal__ecam-table-taxa.qza"), one)
    lines = one.read_text().split("\n")
    path = folder / f"long_x{copies}.tsv"
    with open(path, "w") as fh:
        fh.write(lines[0] + "\n")
        for k in range(copies):
            for line in lines[1:]:
                if line:
                    sample, rest = line.split("\t", 1)
                    fh.write(f"{sample}_r{k}\t{rest}\n")
    return path


def main(argv: list[str]) -> None:
    if argv[:1] == ["read"]:
        _read(argv[1])
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = ([wide(int(n), folder) for n in argv[1:]] if argv[:1] == ["wide"]
                 else [long_table(int(argv[1]) if len(argv) > 1 else 5, folder)])
        for path in paths:
            size = path.stat().st_size / 1e6
            print(f"{path.name}: {size:.1f} MB", flush=True)
            subprocess.run([sys.executable, "-m", "tests.fuzz.measure", "read", str(path)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
