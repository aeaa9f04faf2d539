"""Fuzz the readers with seeded mutations of the real fixtures, in-process.

Each case: pick a fixture, mutate it (``tests/fuzz/mutate.py``), write it to a scratch folder, and do what
``gutskin convert`` does (read, merge, write the long table) inside a time limit. The outcome must be one of

* ``refused``: an :class:`~gutskin.errors.InputError` whose message is one line and names the damaged file
  (exit 2 at the command line);
* ``read``: a profile in which every sample holding values appears in the long table written, with every
  value finite and ≥ 0 and as many rows as the profile has values at the ranks written (nothing dropped).

Anything else is a finding: ``internal`` (any other exception: "internal error" at the command line),
``hang`` (over the time limit), ``loss`` (a read that lost a sample or rows), ``unnamed`` (a refusal that does
not name the file, or spans lines).

Short run (what ``make test`` does through ``test_fuzz_smoke.py``)::

    .venv/bin/python -m tests.fuzz.harness --cases 300 --seed 1

Long run (documented in docs/reliability.md; ≥ 50,000 cases, about an hour on one core)::

    nice -n 10 .venv/bin/python -m tests.fuzz.harness --cases 50000 --seed 13 --slow --report fuzz-report.json
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"
#: taxonomy files are fuzzed together with the feature table they belong to
PAIRS = {
    "qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-13-8__taxonomy.tsv":
        "qiime2_qza/q2-composition__table-ancombc.qza",
    "qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-2__taxonomy.tsv":
        "qiime2_qza/q2-composition__table-ancombc.qza",
    "qiime2_qza/q2-feature-table__moving-pics-taxonomy-gg-13-8.qza": "qiime2_qza/q2-composition__table-ancombc.qza",
    "qiime2_qza/q2-feature-table__moving-pics-taxonomy-gg-2.qza": "qiime2_qza/q2-composition__table-ancombc.qza",
}
#: fixtures that are refused even undamaged (empty reports): any refusal of their variants is fine
EMPTY = {"kaiju/multiqc__issue_2160__empty.txt", "kraken2/multiqc__issue_2876_empty__empty.report"}


@dataclass
class Outcome:
    seed: int
    fixture: str
    mutation: str
    kind: str  # refused | read | internal | hang | loss | unnamed
    detail: str = ""
    seconds: float = 0.0


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def fixtures() -> list[str]:
    return sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*")
                  if p.is_file() and p.name != "PROVENANCE.md")


def check_profile(profile, out: Path) -> str | None:
    """None when the read accounts for every sample and value; else what was lost."""
    from gutskin.writers import write_profile

    data = profile.values.data
    if not np.isfinite(data).all() or (data < 0).any():
        return "a value is not finite or is negative"
    if profile.n_samples == 0:
        return "no samples"
    if profile.n_samples > 20 and profile.n_samples * profile.n_taxa > 100_000:
        profile = profile.take_samples(range(20))  # a wide table: its first 20 samples keep the check quick
    n_rows = write_profile(profile, out)
    if profile.values.nnz and n_rows == 0:
        return "the long table written is header-only"
    import pandas as pd

    table = pd.read_csv(out, sep="\t", keep_default_na=False, dtype={"sample": str})
    if len(table) != n_rows:
        return f"{n_rows} rows reported, {len(table)} written"
    holding = {s for s, total in zip(profile.samples, np.asarray(abs(profile.values).sum(axis=1)).ravel(),
                                     strict=True) if total > 0}
    missing = holding - set(table["sample"].astype(str))
    if missing:
        return f"samples with values missing from the long table: {sorted(missing)[:3]}"
    return None


def run_case(seed: int, names: list[str], scratch: Path, *, timeout: float = 20.0,
             allow_slow: bool = False) -> Outcome:
    from gutskin.errors import InputError
    from gutskin.readers import read_many

    from .mutate import mutate

    rng = random.Random(seed)
    rel = rng.choice(names)
    src = FIXTURES / rel
    mutation, damaged = mutate(src.read_bytes(), rng, allow_slow=allow_slow)
    folder = scratch / f"case{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / src.name
    target.write_bytes(damaged)
    inputs = [target]
    if rel in PAIRS:  # a damaged taxonomy given with its (good) table
        inputs.append(FIXTURES / PAIRS[rel])
    t0 = time.perf_counter()
    old = signal.signal(signal.SIGVTALRM, _alarm)
    signal.setitimer(signal.ITIMER_VIRTUAL, timeout)  # CPU seconds: a busy machine is not a hang
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # a warning printed before a clean error is a finding
            profile = read_many(inputs)
            lost = check_profile(profile, folder / "out.tsv")
        kind, detail = ("loss", lost) if lost else ("read", "")
    except _Timeout:
        kind, detail = "hang", f"over {timeout:g} CPU seconds"
    except InputError as exc:
        text = str(exc)
        if "\n" in text:
            kind, detail = "unnamed", "message spans lines: " + text[:300]
        elif str(target) not in text and (rel not in PAIRS or str(inputs[-1]) in text):
            kind, detail = "unnamed", text[:300]
        else:
            kind, detail = "refused", text[:300]
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        at = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb) if "gutskin" in f.filename), "?")
        kind, detail = "internal", f"{type(exc).__name__} at {at}: {' '.join(str(exc).split())[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, old)
    seconds = time.perf_counter() - t0
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
    return Outcome(seed, rel, mutation, kind, detail, round(seconds, 3))


#: the trial and questionnaire inputs, fuzzed with the same mutations (shipped examples: real-shaped files)
DOCUMENTS = {
    "questionnaire": ROOT / "examples" / "questionnaire.yaml",
    "plan": ROOT / "examples" / "trial" / "dairy-eczema-plan.json",
    "diary": ROOT / "examples" / "trial" / "dairy-eczema-diary.csv",
}


def _load_document(kind: str, path: Path) -> None:
    if kind == "questionnaire":
        from gutskin.knowledge.questionnaire import load_questionnaire

        load_questionnaire(path)
    elif kind == "plan":
        from gutskin.trial.plan import load_plan

        load_plan(path)
    else:
        from gutskin.trial.diary import load_diary
        from gutskin.trial.plan import load_plan

        load_diary(path, load_plan(DOCUMENTS["plan"]))


def run_document_case(seed: int, scratch: Path, *, timeout: float = 20.0) -> Outcome:
    """A damaged questionnaire, plan or diary: refused naming the file, or loaded."""
    from gutskin.errors import InputError

    from .mutate import mutate

    rng = random.Random(seed)
    kind = rng.choice(sorted(DOCUMENTS))
    src = DOCUMENTS[kind]
    mutation, damaged = mutate(src.read_bytes(), rng)
    folder = scratch / f"doc{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / src.name
    target.write_bytes(damaged)
    t0 = time.perf_counter()
    old = signal.signal(signal.SIGVTALRM, _alarm)
    signal.setitimer(signal.ITIMER_VIRTUAL, timeout)  # CPU seconds: a busy machine is not a hang
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            _load_document(kind, target)
        kind_, detail = "read", ""
    except _Timeout:
        kind_, detail = "hang", f"over {timeout:g} CPU seconds"
    except InputError as exc:
        text = str(exc)
        ok = "\n" not in text and str(target) in text
        kind_, detail = ("refused" if ok else "unnamed"), text[:300]
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        at = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb) if "gutskin" in f.filename), "?")
        kind_, detail = "internal", f"{type(exc).__name__} at {at}: {' '.join(str(exc).split())[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, old)
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
    return Outcome(seed, f"examples:{kind}", mutation, kind_, detail, round(time.perf_counter() - t0, 3))


FINDINGS = ("internal", "hang", "loss", "unnamed")


def _watchdog(current: dict, stuck_after: float) -> None:
    """Stop the run when one case is stuck in native code, where the CPU-time signal never gets through.

    A loop inside a C library (HDF5 did this on a damaged global heap) never returns to Python, so the
    SIGVTALRM handler never runs and the run would stall silently. After ``stuck_after`` wall seconds on one
    case this prints the case as a ``hang`` finding (its seed reproduces it) and ends the process, status 3.
    """
    while True:
        time.sleep(min(5.0, stuck_after / 4))
        since = current.get("since")
        if since is not None and time.monotonic() - since > stuck_after:
            finding = {"seed": current["seed"], "fixture": "", "mutation": "", "kind": "hang",
                       "detail": f"stuck over {stuck_after:g} wall seconds in native code; the run stops here",
                       "seconds": round(time.monotonic() - since, 1)}
            print("finding: " + json.dumps(finding), file=sys.stderr, flush=True)
            os._exit(3)


def run(cases: int, seed: int, *, allow_slow: bool = False, timeout: float = 20.0, progress: bool = False,
        only: str | None = None) -> list[Outcome]:
    names = [n for n in fixtures() if only is None or only in n]
    out: list[Outcome] = []
    current: dict = {}
    if progress:  # long runs from the command line; the smoke test in make test has its own limits
        threading.Thread(target=_watchdog, args=(current, max(120.0, 6 * timeout)), daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="gutskin-fuzz-") as tmp:
        for i in range(cases):
            case_seed = seed * 1_000_003 + i
            current.update(seed=case_seed, since=time.monotonic())
            if only is None and i % 8 == 7:  # one case in eight: a questionnaire, plan or diary
                res = run_document_case(case_seed, Path(tmp), timeout=timeout)
            else:
                res = run_case(case_seed, names, Path(tmp), timeout=timeout, allow_slow=allow_slow)
            out.append(res)
            if progress and res.kind in FINDINGS:
                print("finding: " + json.dumps(asdict(res)), file=sys.stderr, flush=True)
            if progress and (i + 1) % 500 == 0:
                counts = collections.Counter(o.kind for o in out)
                print(f"{i + 1} cases: {dict(counts)}", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=20.0, help="CPU seconds per case before it counts as a hang")
    ap.add_argument("--slow", action="store_true", help="include compression bombs (slower cases)")
    ap.add_argument("--only", help="only fixtures whose path contains this text")
    ap.add_argument("--report", type=Path, help="write every finding (and the totals) as JSON here")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    outcomes = run(args.cases, args.seed, allow_slow=args.slow, timeout=args.timeout, progress=True,
                   only=args.only)
    counts = collections.Counter(o.kind for o in outcomes)
    findings = [o for o in outcomes if o.kind in FINDINGS]
    slowest = sorted(outcomes, key=lambda o: -o.seconds)[:5]
    summary = {"cases": len(outcomes), "seed": args.seed, "seconds": round(time.perf_counter() - t0, 1),
               "counts": dict(counts), "slowest": [asdict(o) for o in slowest]}
    print(json.dumps(summary))
    for o in findings[:50]:
        print(json.dumps(asdict(o)))
    if args.report:
        args.report.write_text(json.dumps({"summary": summary, "findings": [asdict(o) for o in findings]},
                                          indent=1))
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
