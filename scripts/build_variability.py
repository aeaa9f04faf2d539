#!/usr/bin/env python
"""Build ``src/gutskin/retest/data/variability.json``: how much each quantity moves between two tests of the same
person when nothing was done, estimated from the real repeated samples in ``../shared/data``.

    .venv/bin/python scripts/build_variability.py [--shared ../shared/data] \
        [-o src/gutskin/retest/data/variability.json]

Method families and their repeat data (see each folder's PROVENANCE.md):

* ``shotgun``  — kefir study (GMWI2 examples, MetaPhlAn 3.0.13, MIT): 13 people sampled at 2–3 time points.
  Biological + technical together. The one re-extracted sample has no original in the set, so no technical pair.
* ``16S``      — biological: Poyet BIO-ML donors (GTDB r207 genera, MIT), TwinsUK repeats (Greengenes, CC0),
  Moving Pictures (2 people, near-daily, Greengenes, CC0); technical: HMP1 V3–V5 stool specimens sequenced in two
  to four runs (same SRS specimen accession, different runs; CC0).

Only summaries leave this script (standard deviations, quantiles, counts): no sample's values are written.
The module is also imported by ``scripts/retest_calibration.py`` and the tests for its loaders.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import gutskin  # noqa: E402
from gutskin.profile import Profile  # noqa: E402
from gutskin.retest.distances import genus_table, pair_distances  # noqa: E402
from gutskin.retest.quantities import SHARE_FLOOR, measure, spec  # noqa: E402

SEED = 20261203
#: 16S samples below this many reads are left out (HMP1 and TwinsUK hold a few near-empty samples).
MIN_READS = 1000
#: Dense series (Moving Pictures): pairs at least this many days apart, at most this many per person.
MIN_GAP_DAYS = 7
MAX_PAIRS_PER_PERSON = 300
#: Different-people pairs drawn per cohort (one sample per person).
BETWEEN_PAIRS = 600
PERCENTILES = list(range(0, 101))
#: A quantity gets an estimate only when at least this many people with repeats have it (above the share floor).
MIN_PEOPLE_PRESENT = 5
#: Biological pairs further apart than this are left out of the estimate: retests are meant weeks to months apart,
#: and over years the gut drifts (TwinsUK pairs are mostly 1–2 years apart). They are kept aside (``within_long``)
#: for the calibration's out-of-window check. Undated pairs (kefir visits, technical re-runs) are kept.
MAX_GAP_DAYS = 365


@dataclass
class RepeatSet:
    """One cohort's samples with who gave them and when."""

    cohort: str
    family: str  # shotgun | 16S
    kind: str  # biological | technical
    profile: Profile
    meta: pd.DataFrame  # index sample; columns subject, day (float or NaN)
    licence: str
    note: str


def _set_method(profile: Profile, method: str, profiler: str, database: str) -> Profile:
    info = [dataclasses.replace(i, method=method, profiler=profiler, database=database) for i in profile.info]
    return Profile(profile.values, profile.samples, profile.taxa, info, profile.layout)


def read_genus_table(path: Path, samples_are_rows: bool = False) -> Profile:
    """A 16S genus-count table whose lineages may end above genus (``…;f__Lachnospiraceae;g__``).

    Those rows pool the reads not resolved to a genus; they are kept as a placeholder genus named after the
    deepest named rank (``Lachnospiraceae (unresolved genus)``), so every read counts at every rank. (Read as
    they are, a lineage ending at phylum makes ``Profile.at_rank("phylum")`` keep only such rows — reported.)
    """
    frame = pd.read_csv(path, sep="\t", index_col=0)
    if samples_are_rows:
        frame = frame.T
    labels = []
    for label in frame.index.astype(str):
        parts = label.split(";")
        named = [p for p in parts if p.partition("__")[2]]
        if parts[-1].startswith("g__") and not parts[-1][3:]:
            deepest = named[-1].partition("__")[2] if named else "Unassigned"
            parts[-1] = f"g__{deepest} (unresolved genus)"
        labels.append(";".join(parts))
    frame.index = pd.Index(labels, name="genus_lineage")
    frame = frame.groupby(level=0).sum()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / (path.name.split(".")[0] + ".tsv")
        out.write_text(frame.to_csv(sep="\t"))
        return gutskin.read(out)


def _depth_ok(profile: Profile) -> np.ndarray:
    return np.asarray(profile.values.sum(axis=1)).ravel() >= MIN_READS


def kefir(shared: Path) -> RepeatSet:
    folder = shared / "gmwi2_metaphlan3_examples" / "kefir"
    files = sorted(folder.glob("*_metaphlan.txt"))
    profile = Profile.merge([gutskin.read(f) for f in files])
    rows = []
    for s in profile.samples:
        subj, _, rest = s.partition("_time")
        # visits are numbered, not dated: order only (``visit``), no day count
        rows.append({"sample": s, "subject": subj, "day": float(rest.split("_")[0]) * 1e-6})
    meta = pd.DataFrame(rows).set_index("sample")
    return RepeatSet("kefir (GMWI2 examples)", "shotgun", "biological", profile, meta, "MIT (danielchang2002/GMWI2)",
                     "MetaPhlAn 3.0.13 profiles of a kefir-drinking study; time points are study visits (dates not "
                     "given); people drank kefir between visits, so a real effect would inflate this estimate")


def moving_pictures(shared: Path) -> RepeatSet:
    folder = shared / "movingpictures_16s_gut_467"
    profile = read_genus_table(folder / "genus_counts.tsv.gz")
    meta = pd.read_csv(folder / "metadata.tsv", sep="\t", index_col="sample_id")
    meta = meta.loc[profile.samples]
    keep = (meta["mislabeled"].fillna(0).astype(int) == 0).to_numpy() & _depth_ok(profile)
    profile = profile.take_samples(np.flatnonzero(keep))
    meta = meta.loc[profile.samples]
    out = pd.DataFrame({"subject": meta["host_subject_id"].astype(str),
                        "day": meta["days_since_experiment_start"].astype(float)}, index=meta.index)
    return RepeatSet("Moving Pictures", "16S", "biological",
                     _set_method(profile, "16S", "QIIME closed-reference", "Greengenes 13_8"), out, "CC0",
                     "2 healthy adults sampled almost daily for 6–15 months (16S V4)")


def poyet(shared: Path) -> RepeatSet:
    folder = shared / "poyet_bioml_16s_longitudinal"
    profile = read_genus_table(folder / "genera.counts.tsv.gz", samples_are_rows=True)
    keep = _depth_ok(profile)
    profile = profile.take_samples(np.flatnonzero(keep))
    meta = pd.read_csv(folder / "metadata.tsv", sep="\t", index_col="Sample").loc[profile.samples]
    date = pd.to_datetime(meta["Collection_Date"], format="%d-%b-%Y", errors="coerce")
    out = pd.DataFrame({"subject": meta["Subject"].astype(str),
                        "day": (date - pd.Timestamp("2000-01-01")).dt.days.astype(float)}, index=meta.index)
    return RepeatSet("Poyet BIO-ML donors", "16S", "biological",
                     _set_method(profile, "16S", "DADA2", "GTDB r207 (SBDI)"), out, "MIT (borenstein-lab)",
                     "screened-healthy stool donors, 2–9 dated samples over 6–526 days (16S V4, DADA2, GTDB genera)")


def twinsuk(shared: Path) -> RepeatSet:
    folder = shared / "twinsuk_16s_v4_greengenes_1024"
    profile = read_genus_table(folder / "genus_counts.tsv.gz")
    meta = pd.read_csv(folder / "metadata.tsv", sep="\t", index_col="#SampleID").loc[profile.samples]
    keep = _depth_ok(profile)
    # every person with a repeat, plus 300 people with one sample for the different-people comparisons
    counts = meta.loc[keep, "host_subject_id"].value_counts()
    repeat = set(counts[counts > 1].index)
    rng = np.random.default_rng(SEED)
    singles = sorted(set(counts.index) - repeat)
    chosen = repeat | set(rng.choice(singles, size=min(300, len(singles)), replace=False).tolist())
    keep &= meta["host_subject_id"].isin(chosen).to_numpy()
    profile = profile.take_samples(np.flatnonzero(keep))
    meta = meta.loc[profile.samples]
    date = pd.to_datetime(meta["collection_date"], format="%m/%d/%y", errors="coerce")
    out = pd.DataFrame({"subject": meta["host_subject_id"].astype(str),
                        "day": (date - pd.Timestamp("2000-01-01")).dt.days.astype(float)}, index=meta.index)
    return RepeatSet("TwinsUK", "16S", "biological",
                     _set_method(profile, "16S", "QIIME closed-reference", "Greengenes 13_8"), out, "CC0",
                     "population volunteers (mostly older women), 88 with 2–3 samples 2–812 days apart (16S V4)")


def hmp1_technical(shared: Path) -> RepeatSet:
    folder = shared / "hmp1_16s_stool_greengenes"
    profile = read_genus_table(folder / "v35_genus_counts.tsv.gz")
    keep = _depth_ok(profile)
    profile = profile.take_samples(np.flatnonzero(keep))
    meta = pd.read_csv(folder / "v35_metadata.tsv", sep="\t", index_col="sample_id").loc[profile.samples]
    # the repeats share the SRS specimen accession: the same stool specimen sequenced in different runs
    specimen = pd.Series([s.split(".")[1] for s in profile.samples], index=profile.samples)
    out = pd.DataFrame({"subject": specimen, "day": np.nan}, index=meta.index)
    return RepeatSet("HMP1 V3–V5 re-sequenced specimens", "16S", "technical",
                     _set_method(profile, "16S", "QIIME closed-reference", "Greengenes 13_8"), out, "CC0",
                     "healthy adults; every repeat is the same specimen (SRS accession) sequenced in another run")


def covid_ward_mpa4(shared: Path) -> RepeatSet:
    """CAMDA 2024's 35 COVID-19 ward pairs (MetaPhlAn 4): the only same-person MetaPhlAn 4 pairs in the shared
    data. A *check*, not an estimate a verdict uses: admission vs last ward sample of hospitalised patients and
    some controls, with no labels, so illness and treatment between the samples are real changes."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import cohorts

    c = cohorts.camda2024_covid(shared)
    meta = pd.DataFrame({"subject": c.metadata["subject"].astype(str), "day": np.nan}, index=c.metadata.index)
    return RepeatSet("CAMDA 2024 COVID-19 ward pairs", "shotgun_mpa4", "biological",
                     _set_method(c.profile, "shotgun", "MetaPhlAn", "MetaPhlAn 4 (CAMDA organisers' table)"), meta,
                     "CAMDA 2024 challenge data (no licence in the source repository; summaries only)",
                     "day of hospital admission vs last sample of the ward stay; COVID-19 patients and healthy "
                     "controls, unlabelled; species table without lineages (no phylum shares)")


LOADERS = (kefir, poyet, twinsuk, moving_pictures, hmp1_technical, covid_ward_mpa4)


def load_all(shared: Path) -> list[RepeatSet]:
    return [f(shared) for f in LOADERS]


# ---------------------------------------------------------------------------------------------- pairs
def within_pairs(rs: RepeatSet, rng: np.random.Generator) -> list[tuple[str, str, str]]:
    """(subject, sample a, sample b) for same-subject pairs; dense series thinned (≥ 7 days apart, ≤ 300)."""
    out = []
    for subject, group in rs.meta.groupby("subject"):
        samples = group.sort_values("day").index.tolist()
        if len(samples) < 2:
            continue
        pairs = list(combinations(samples, 2))
        if len(samples) > 10:
            days = group["day"]
            pairs = [(a, b) for a, b in pairs if abs(days[b] - days[a]) >= MIN_GAP_DAYS]
            if len(pairs) > MAX_PAIRS_PER_PERSON:
                idx = rng.choice(len(pairs), size=MAX_PAIRS_PER_PERSON, replace=False)
                pairs = [pairs[i] for i in sorted(idx)]
        out.extend((str(subject), a, b) for a, b in pairs)
    return out


def between_pairs(rs: RepeatSet, rng: np.random.Generator) -> list[tuple[str, str]]:
    """Pairs of samples from two different people (one random sample per person)."""
    first = rs.meta.groupby("subject").sample(n=1, random_state=int(rng.integers(1 << 31)))
    samples = first.index.tolist()
    pairs = list(combinations(samples, 2))
    if len(pairs) > BETWEEN_PAIRS:
        idx = rng.choice(len(pairs), size=BETWEEN_PAIRS, replace=False)
        pairs = [pairs[i] for i in sorted(idx)]
    return pairs


@dataclass
class Measured:
    """A repeat set with its quantities on the comparison scale and its pair lists."""

    rs: RepeatSet
    scaled: pd.DataFrame  # samples × quantities, transformed
    genus: pd.DataFrame
    within: list[tuple[str, str, str]]
    between: list[tuple[str, str]]
    references: list[str] = dataclasses.field(default_factory=list)  # the panels' reference(s)
    within_long: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # > MAX_GAP_DAYS apart


def split_by_gap(rs: RepeatSet, pairs: list[tuple[str, str, str]]) -> tuple[list, list]:
    """(pairs at most MAX_GAP_DAYS apart or undated, pairs further apart)."""
    day = rs.meta["day"]
    near, far = [], []
    for p in pairs:
        gap = abs(day[p[2]] - day[p[1]])
        (far if gap > MAX_GAP_DAYS else near).append(p)  # NaN gap compares False: undated pairs stay
    return near, far


def scaled_values(values: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in values.columns:
        sp_ = spec(col)
        out[col] = [sp_.transform(v) for v in values[col].to_numpy(dtype=float)]
    return pd.DataFrame(out, index=values.index)


def measure_set(rs: RepeatSet, rng: np.random.Generator) -> Measured:
    values = measure(rs.profile, panels=rs.family == "shotgun")  # panels need a shotgun reference
    if rs.family == "16S":  # the published indices are defined on shotgun MetaPhlAn species only
        values = values.drop(columns=[c for c in ("gmhi", "gmwi2") if c in values.columns])
    near, far = split_by_gap(rs, within_pairs(rs, rng))
    out = Measured(rs, scaled_values(values), genus_table(rs.profile), near, between_pairs(rs, rng), within_long=far)
    out.references = sorted({r for r in values.attrs.get("reference", {}).values() if r})
    return out


def pair_distance_frame(m: Measured, pairs: list[tuple[str, str]]) -> pd.DataFrame:
    g = m.genus
    rows = []
    for a, b in pairs:
        rows.append(pair_distances(g.loc[a].to_numpy(dtype=float), g.loc[b].to_numpy(dtype=float)))
    return pd.DataFrame(rows, columns=["braycurtis", "aitchison"])


# ---------------------------------------------------------------------------------------------- estimates
#: On the log-share scale a share below the floor ε reads as ln(ε); "present" is a share of at least ε.
PRESENT = math.log(2 * SHARE_FLOOR)


def pair_changes(scaled: pd.DataFrame, pairs: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Signed change per pair and quantity, on the comparison scale; a share below the floor in *both* samples
    gives NaN, not 0. A retest does not judge such a pair ("absent or below 0.1 % both times"), so counting its
    zero would shrink the usual variation of rare taxa — and of genera a cohort's taxonomy cannot name at all
    (Agathobacter in Greengenes) — for the people in whom they are present."""
    if not pairs:
        return pd.DataFrame(columns=["subject", *scaled.columns])
    a = scaled.loc[[p[1] for p in pairs]].to_numpy(dtype=float)
    b = scaled.loc[[p[2] for p in pairs]].to_numpy(dtype=float)
    d = b - a
    share = np.array([spec(c).scale == "logshare" for c in scaled.columns], dtype=bool)
    with np.errstate(invalid="ignore"):
        absent = (a < PRESENT) & (b < PRESENT) & share[None, :]
    d[absent] = np.nan
    frame = pd.DataFrame(d, columns=scaled.columns)
    frame.insert(0, "subject", [p[0] for p in pairs])
    return frame


def subject_variances(scaled: pd.DataFrame, pairs: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Per subject and quantity: mean of d²/2 over the subject's judged pairs (= within-subject variance)."""
    d = pair_changes(scaled, pairs)
    cols = [c for c in d.columns if c != "subject"]
    d[cols] = d[cols] ** 2 / 2
    return d.groupby("subject").mean()


def abs_differences(scaled: pd.DataFrame, pairs: list[tuple[str, str, str]]) -> pd.DataFrame:
    d = pair_changes(scaled, pairs)
    cols = [c for c in d.columns if c != "subject"]
    d[cols] = d[cols].abs()
    return d


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    ok = ~np.isnan(values)
    values, weights = values[ok], weights[ok]
    if not len(values):
        return math.nan
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cum, v))


def subject_weights(subjects: pd.Series) -> np.ndarray:
    """Weight 1/(pairs of that subject): every person counts once, however densely sampled."""
    counts = subjects.map(subjects.value_counts())
    return (1.0 / counts).to_numpy(dtype=float)


def limit_level(n_people: int, coverage: float = 0.95) -> float:
    """The quantile of same-person changes that keeps a *new* person's pair inside the limit with probability
    about ``coverage``: (n + 1)/n · coverage for n people. The plain 95th percentile of n people covers a new
    person only about n/(n + 1) · 95 % of the time (the finite-sample rule behind prediction limits and
    split-conformal prediction, without its rounding up to a whole person, which would make the largest change
    the limit for every quantity seen in fewer than 39 people). At or above 1 when n ≤ 19: then the largest
    change seen is the limit and 95 % cannot be promised (the doc says so)."""
    return (n_people + 1) / n_people * coverage if n_people else math.inf


def upper_quantile(values: np.ndarray, weights: np.ndarray, level: float) -> float:
    """The weighted quantile at ``level``, or the largest value when ``level`` ≥ 1."""
    ok = ~np.isnan(values)
    if not ok.any():
        return math.nan
    return float(values[ok].max()) if level >= 1 else weighted_quantile(values, weights, level)


def estimate(variances: pd.DataFrame, diffs: pd.DataFrame, column: str) -> dict[str, float] | None:
    """SEM, MDC95 and the empirical 95th percentile of |change| for one quantity, every person weighted once."""
    if column not in variances.columns:
        return None
    var = variances[column].dropna()
    if len(var) < 3:
        return None
    sem = math.sqrt(float(var.mean()))
    if not math.isfinite(sem) or sem == 0:  # never moved: no usable limit
        return None
    d = diffs[["subject", column]].dropna()
    vals, w = d[column].to_numpy(dtype=float), subject_weights(d["subject"])
    q95 = weighted_quantile(vals, w, 0.95)
    level = limit_level(d["subject"].nunique())
    return {"sem": sem, "mdc95": 1.96 * math.sqrt(2) * sem, "q95_abs_change": q95,
            "q_new_person": upper_quantile(vals, w, level), "q_level": min(level, 1.0),
            "n_people": len(var), "n_pairs": len(d)}


def between_sd(m: Measured, column: str) -> float:
    first = m.rs.meta.groupby("subject").head(1).index
    vals = m.scaled.loc[first, column].dropna() if column in m.scaled.columns else pd.Series(dtype=float)
    return float(vals.std(ddof=1)) if len(vals) > 2 else math.nan


def family_estimates(sets: list[Measured]) -> dict:
    bio = [m for m in sets if m.rs.kind == "biological"]
    tech = [m for m in sets if m.rs.kind == "technical"]
    columns = sorted({c for m in bio for c in m.scaled.columns})

    def pooled(ms: list[Measured]) -> tuple[pd.DataFrame, pd.DataFrame]:
        if not ms:
            return pd.DataFrame(), pd.DataFrame()
        var, dif = [], []
        for m in ms:  # people are named per cohort, so prefix the cohort
            pairs = [(f"{m.rs.cohort}:{s}", a, b) for s, a, b in m.within]
            var.append(subject_variances(m.scaled, pairs))
            dif.append(abs_differences(m.scaled, pairs))
        return pd.concat(var), pd.concat(dif, ignore_index=True)

    bvar, bdiff = pooled(bio)
    tvar, tdiff = pooled(tech)
    quantities = {}
    for col in columns:
        present = _people_present(bio, col)
        if present < MIN_PEOPLE_PRESENT:
            continue
        total = estimate(bvar, bdiff, col)
        if total is None:
            continue
        total["n_people_present"] = present
        entry = {"scale": spec(col).scale, **total}
        t = estimate(tvar, tdiff, col) if tech else None
        if t is not None:
            entry["technical_sem"] = t["sem"]
            entry["technical_n_specimens"] = t["n_people"]
            entry["biological_sem"] = math.sqrt(max(total["sem"] ** 2 - t["sem"] ** 2, 0.0))
        bsd = [between_sd(m, col) for m in bio]
        bsd = [x for x in bsd if not math.isnan(x)]
        if bsd:
            sd_between = float(np.sqrt(np.mean(np.square(bsd))))
            entry["between_sd"] = sd_between
            # share of between-person spread that is stable person-to-person (test–retest ICC)
            entry["icc"] = max(0.0, 1.0 - total["sem"] ** 2 / sd_between**2) if sd_between > 0 else math.nan
        entry["per_cohort_sem"] = {m.rs.cohort: _cohort_sem(m, col) for m in bio}
        quantities[col] = entry
    return quantities


def _people_present(ms: list[Measured], col: str) -> int:
    """People with repeats in whose samples the quantity was measured above the detection floor (shares)."""
    n = 0
    floor = spec(col).transform(0.0) if spec(col).scale == "logshare" else None
    for m in ms:
        if col not in m.scaled.columns:
            continue
        people = {s for s, _, _ in m.within}
        for person in people:
            vals = m.scaled.loc[m.rs.meta.index[m.rs.meta["subject"] == person], col].dropna()
            if len(vals) and (floor is None or (vals > floor + 1e-9).any()):
                n += 1
    return n


def _cohort_sem(m: Measured, col: str) -> float | None:
    if col not in m.scaled.columns:
        return None
    v = subject_variances(m.scaled, m.within)[col].dropna()
    return float(math.sqrt(v.mean())) if len(v) >= 2 else None


def distance_summary(sets: list[Measured]) -> dict:
    out: dict[str, dict] = {}
    kinds = {"same_person": [m for m in sets if m.rs.kind == "biological"],
             "technical": [m for m in sets if m.rs.kind == "technical"],
             "different_people": [m for m in sets if m.rs.kind == "biological"]}
    for metric in ("braycurtis", "aitchison"):
        out[metric] = {}
        for kind, ms in kinds.items():
            vals, weights = [], []
            for m in ms:
                if kind == "different_people":
                    if m.rs.meta["subject"].nunique() < 10:
                        continue  # two people make one pair: no distribution of different people
                    frame = pair_distance_frame(m, m.between)
                    w = np.ones(len(frame))
                else:  # every person counts once, however many pairs they gave
                    frame = pair_distance_frame(m, [(a, b) for _, a, b in m.within])
                    w = subject_weights(pd.Series([s for s, _, _ in m.within]))
                vals.append(frame[metric].to_numpy(dtype=float))
                weights.append(w)
            if not vals:
                continue
            v, w = np.concatenate(vals), np.concatenate(weights)
            if (~np.isnan(v)).sum() < 5:
                continue
            out[metric][kind] = {"percentiles": [round(weighted_quantile(v, w, p / 100), 6) for p in PERCENTILES],
                                 "n_pairs": int((~np.isnan(v)).sum())}
            if kind == "same_person":  # the line a verdict uses: the new-person quantile (see limit_level)
                n_people = sum(len({s for s, _, _ in m.within}) for m in ms)
                out[metric][kind]["n_people"] = n_people
                out[metric][kind]["limit"] = upper_quantile(v, w, limit_level(n_people))
    return out


def cohort_facts(m: Measured) -> dict:
    per = m.rs.meta.groupby("subject").size()
    gaps = [abs(m.rs.meta.loc[b, "day"] - m.rs.meta.loc[a, "day"]) for _, a, b in m.within]
    gaps = [g for g in gaps if not math.isnan(g) and g >= 1]
    return {"cohort": m.rs.cohort, "kind": m.rs.kind, "licence": m.rs.licence, "note": m.rs.note,
            "samples": len(m.rs.meta), "people": len(per), "people_with_repeats": int((per > 1).sum()),
            "people_with_pairs_used": len({s for s, _, _ in m.within}), "pairs_used": len(m.within),
            "pairs_over_a_year": len(m.within_long),
            "gap_days_median": float(np.median(gaps)) if gaps else None,
            "profiler": m.rs.profile.info[0].profiler, "database": m.rs.profile.info[0].database}


ANCHORS = [
    {"id": "vogtmann2017", "citation": "Vogtmann E, Chen J, Amir A, et al. Comparison of collection methods for fecal "
     "samples in microbiome studies. Am J Epidemiol 2017;185(2):115–123. doi:10.1093/aje/kww177",
     "finding": "Duplicate fecal samples of 52 healthy volunteers (16S): technical-reproducibility ICCs 0.64–1.00 "
     "across five collection methods for 3 phyla, 2 alpha-diversity and 4 beta-diversity metrics (as the abstract "
     "states it).", "applies_to": "16S; technical part"},
    {"id": "vandeputte2021", "citation": "Vandeputte D, Commer L, Tito RY, et al. Temporal variability in quantitative "
     "human gut microbiome profiles and implications for clinical research. Nat Commun 2021;12:6740. "
     "doi:10.1038/s41467-021-27098-7",
     "finding": "Daily sampling of 20 women for six weeks: for 78 % of genera the day-to-day variation within a person "
     "exceeded the variation between people (absolute abundances); diversity and evenness also fluctuate; relative "
     "profiles show similar, smaller swings.", "applies_to": "16S; biological part"},
    {"id": "servetas2026", "citation": "Servetas SL, Jackson SA, Hoffmann DE, Ravel J, et al. Evaluating the "
     "analytical performance of direct-to-consumer gut microbiome testing services. Commun Biol 2026 (preprint "
     "doi:10.1101/2024.06.05.596628)",
     "finding": "One homogenised NIST stool material sent in 21 kits to seven consumer companies: differences between "
     "providers were as large as differences between donors; one provider called two replicates healthy and one "
     "unhealthy.", "applies_to": "any method; change of lab/kit/pipeline"},
]


FAMILIES = {"shotgun": "shotgun metagenomics (MetaPhlAn 3 profiles)", "16S": "16S rRNA amplicon (genus tables)",
            "shotgun_mpa4": "MetaPhlAn 4 ward pairs (a check on the shotgun estimate; not used for verdicts)"}


def build(shared: Path) -> dict:
    rng = np.random.default_rng(SEED)
    sets = [measure_set(rs, rng) for rs in load_all(shared)]
    families = {}
    for fam in FAMILIES:
        ms = [m for m in sets if m.rs.family == fam]
        families[fam] = {
            "label": FAMILIES[fam],
            "sources": [cohort_facts(m) for m in ms],
            "quantities": family_estimates(ms),
            "distances": distance_summary(ms),
            # skin-panel leans depend on the healthy reference they are measured against
            "panel_references": sorted({r for m in ms for r in m.references}),
        }
    families["shotgun"]["gaps"] = ("No technical replicate pair exists in the shotgun data: the kefir study's one "
                                   "re-extracted sample (Subj017_time1_ReExtract_S44) has no original profile, in the "
                                   "shared data or in the source repository, so there are 0 technical pairs and the "
                                   "shotgun estimate is technical + biological together. CAMDA 2024's HMP2 samples "
                                   "carry no participant id (run accessions only), so they could not be paired; the "
                                   "only MetaPhlAn 4 same-person pairs are the COVID-19 ward pairs (family "
                                   "shotgun_mpa4), a check that is not used for verdicts. MetaPhlAn 4 tests use this "
                                   "MetaPhlAn 3 estimate with a caveat.")
    families["16S"]["gaps"] = ("The technical part comes from 454 V3–V5 re-sequencing (HMP1), the biological part from "
                               "Illumina V4 series; the split is indicative across platforms.")
    return {
        "schema": "gutskin.retest.variability/2",
        "built_by": "scripts/build_variability.py",
        "seed": SEED,
        "share_floor": 1e-3,
        "method": ("Per quantity, on its comparison scale: within-person variance per person = mean of d²/2 over that "
                   "person's pairs; SEM = √(mean over people); MDC95 = 1.96·√2·SEM; q95_abs_change = 95th percentile "
                   "of |change| over same-person pairs (every person weighted once); q_new_person = the same "
                   "distribution's quantile at q_level = (n + 1)/n · 0.95 for n people (the largest change when that "
                   "is ≥ 1), so that a new person's pair stays inside with about 95 % probability; the limit a "
                   "verdict uses is max(MDC95, q_new_person). Shares: pairs with the share below the floor "
                   "(0.1 %) in both samples are not counted (a retest does not judge them). Pairs more than "
                   f"{MAX_GAP_DAYS} days apart are left out. Dense series are thinned to pairs ≥ {MIN_GAP_DAYS} days "
                   f"apart (≤ {MAX_PAIRS_PER_PERSON} per person). 16S samples with < {MIN_READS} reads are left "
                   "out."),
        "anchors": ANCHORS,
        "first_for_indices": ("No test–retest figure for GMHI or GMWI2 has been published; the shotgun estimates here "
                              "are, to our knowledge, the first."),
        "families": families,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "src/gutskin/retest/data/variability.json")
    args = ap.parse_args(argv)
    data = build(args.shared)
    text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=True, default=_nan_to_none) + "\n"
    text = _clean(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.output.parent, prefix=".variability.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, args.output)
    print(f"wrote {args.output} ({len(text):,} bytes)")
    return 0


def _nan_to_none(obj: object) -> object:  # numpy scalars
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(type(obj))


def _clean(text: str) -> str:
    """Round floats to 6 significant digits and turn NaN into null so the file diffs well."""
    data = json.loads(text, parse_constant=lambda c: None)

    def walk(x: object) -> object:
        if isinstance(x, float):
            return None if math.isnan(x) else float(f"{x:.6g}")
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    buf = io.StringIO()
    json.dump(walk(data), buf, indent=1, ensure_ascii=False)
    return buf.getvalue() + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
