"""The healthy people in ../shared/data, one loader per set, for building references and the placement study.

Not part of the package (several sources have no licence; only summaries are shipped). Every set gives a
Profile with honest provenance (method, profiler, naming database), its metadata, and ONE sample per person
where a person was sampled more than once (the first visit), so repeat samples never pose as extra people.

    import healthy_sets
    s = healthy_sets.load("hmp1_16s")
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

import cohorts
import gutskin
from gutskin.profile import Profile, ProfileBuilder, SampleInfo
from gutskin.taxonomy.lineage import Lineage, parse_prefixed


@dataclass
class HealthySet:
    name: str
    profile: Profile  # healthy people only, one sample each
    metadata: pd.DataFrame
    description: str
    method: str  # shotgun | 16S
    naming: str  # e.g. "MetaPhlAn 3 (mpa_v30)", "Greengenes 13_8", "GTDB r207"
    age_group: str = "adult"
    group: pd.Series | None = None  # a grouping for leave-group-out (e.g. study), when the set is pooled
    notes: list[str] = field(default_factory=list)


def _root(data: str | None) -> Path:
    return cohorts.data_dir(data)


def _first_per(meta: pd.DataFrame, subject: str, order: str | None = None) -> np.ndarray:
    """Positions of the first sample of each person (by ``order`` when given, else file order)."""
    frame = meta.reset_index(drop=True).copy()
    frame["_pos"] = np.arange(len(frame))
    if order is not None:
        frame = frame.sort_values([subject, order, "_pos"])
    return np.sort(frame.drop_duplicates(subject)["_pos"].to_numpy())


def _as_16s(profile: Profile, profiler: str, database: str) -> Profile:
    info = [replace(i, method="16S", profiler=profiler, database=database) for i in profile.info]
    return Profile(profile.values, profile.samples, profile.taxa, info, profile.layout)


def _rows_table(path: Path, info: SampleInfo) -> Profile:
    """Samples-as-rows genus table with GTDB lineage column names (borenstein-lab curated data)."""
    frame = pd.read_csv(path, sep="\t", index_col=0)
    builder = ProfileBuilder("features")
    taxa = []
    for col in frame.columns:
        if "__" not in str(col):  # the curated tables' "Unclassified" column: reads with no lineage at all
            taxa.append(builder.add_taxon(Lineage.empty("gtdb"), "no rank", str(col), key=str(col)))
            continue
        lineage, rank, name = parse_prefixed(str(col), "gtdb")
        taxa.append(builder.add_taxon(lineage, rank or "domain", name or str(col), key=str(col)))
    rows = [builder.add_sample(s, info) for s in frame.index.astype(str)]
    values = frame.to_numpy(dtype=float)
    r, c = np.nonzero(values)
    for i, j in zip(r.tolist(), c.tolist(), strict=True):
        builder.add_value(rows[i], taxa[j], float(values[i, j]))
    return builder.build()


# ---------------------------------------------------------------------------------------------- shotgun
def gmhi_mpa2(data=None) -> HealthySet:
    c = cohorts.gmhi_discovery(data)
    keep = np.flatnonzero(c.metadata["healthy"].to_numpy())
    meta = c.metadata.iloc[keep]
    study = meta["study"] if "study" in meta.columns else meta.iloc[:, 0]
    return HealthySet("gmhi_mpa2", c.profile.take_samples(keep), meta,
                      "GMHI 2020 discovery set, healthy (34 studies)", "shotgun", "MetaPhlAn 2 (mpa_v20)",
                      group=study.astype(str))


def camda_mpa4(data=None) -> HealthySet:
    c = cohorts.camda2024(data)
    keep = np.flatnonzero(c.metadata["healthy"].to_numpy())
    meta = c.metadata.iloc[keep]
    return HealthySet("camda_mpa4", c.profile.take_samples(keep), meta,
                      "CAMDA 2024 healthy (HMP2 and two more projects; HMP2 repeats people)", "shotgun",
                      "MetaPhlAn 4", group=meta["project"].astype(str),
                      notes=["HMP2 samples several visits per person; no subject column is available here"])


def psoriasis100_controls(data=None) -> HealthySet:
    c = cohorts.psoriasis_100(data)
    keep = np.flatnonzero(c.metadata["healthy"].to_numpy())
    return HealthySet("psoriasis100_controls", c.profile.take_samples(keep), c.metadata.iloc[keep],
                      "controls of a psoriasis gut study (MetaPhlAn 3 species, estimated read counts)", "shotgun",
                      "MetaPhlAn 3 (mpa_v30)")


def psoriasis143_controls(data=None) -> HealthySet:
    c = cohorts.psoriasis_143(data)
    keep = np.flatnonzero(c.metadata["healthy"].to_numpy())
    return HealthySet("psoriasis143_controls", c.profile.take_samples(keep), c.metadata.iloc[keep],
                      "healthy participants of a psoriasis gut study (28 of 45 are patients' relatives)",
                      "shotgun", "MetaPhlAn 4")


def kefir_mpa3(data=None) -> HealthySet:
    c = cohorts.gmwi2_examples(data)
    meta = c.metadata
    kefir = meta["study"].eq("kefir") & ~meta["reextract"].astype(bool)
    sub = meta[kefir]
    pos = np.flatnonzero(kefir.to_numpy())[_first_per(sub, "subject", "time")]
    return HealthySet("kefir_mpa3", c.profile.take_samples(pos), meta.iloc[pos],
                      "adults of a kefir-consumption study, first sample per person (MetaPhlAn 3.0.13 files)",
                      "shotgun", "MetaPhlAn 3 (mpa_v30)",
                      notes=["no health labels: study participants, not screened-healthy people"])


# ---------------------------------------------------------------------------------------------- 16S
def hmp1_16s(data=None) -> HealthySet:
    folder = _root(data) / "hmp1_16s_stool_greengenes"
    profile = _as_16s(gutskin.read(folder / "v35_genus_counts.tsv.gz"), "QIIME closed-reference OTUs",
                      "Greengenes 13_8")
    meta = pd.read_csv(folder / "v35_metadata.tsv", sep="\t", index_col="sample_id", dtype=str)
    meta = meta.loc[profile.samples]
    depth = np.asarray(profile.values.sum(axis=1)).ravel()
    ok = depth >= 1000
    pos = np.flatnonzero(ok)[_first_per(meta[ok], "host_subject_id")]
    return HealthySet("hmp1_16s", profile.take_samples(pos), meta.iloc[pos],
                      "HMP1 screened-healthy adults 18–40 y, stool 16S V3–V5 (454), first sample per person, "
                      "≥ 1,000 reads", "16S", "Greengenes 13_8")


def twinsuk_16s(data=None) -> HealthySet:
    folder = _root(data) / "twinsuk_16s_v4_greengenes_1024"
    profile = _as_16s(gutskin.read(folder / "genus_counts.tsv.gz"), "QIIME closed-reference OTUs",
                      "Greengenes 13_8")
    meta = pd.read_csv(folder / "metadata.tsv", sep="\t", index_col="#SampleID", dtype=str)
    meta = meta.loc[profile.samples]
    depth = np.asarray(profile.values.sum(axis=1)).ravel()
    ok = depth >= 1000
    pos = np.flatnonzero(ok)[_first_per(meta[ok], "host_subject_id", "collection_date")]
    return HealthySet("twinsuk_16s", profile.take_samples(pos), meta.iloc[pos],
                      "TwinsUK population volunteers, stool 16S V4 (MiSeq), one sample per person, ≥ 1,000 reads",
                      "16S", "Greengenes 13_8",
                      notes=["mostly women (1,009 of 1,024 samples), median age 62; a population sample, "
                             "not screened for disease"])


def poyet_16s(data=None) -> HealthySet:
    folder = _root(data) / "poyet_bioml_16s_longitudinal"
    path = folder / "genera.counts.tsv.gz"
    info = SampleInfo(source=str(path), format="table", units="counts", profiler="DADA2 ASVs",
                      database="GTDB r207", method="16S")
    profile = _rows_table(path, info)
    meta = pd.read_csv(folder / "metadata.tsv", sep="\t", index_col="Sample", dtype=str).loc[profile.samples]
    meta["_date"] = pd.to_datetime(meta["Collection_Date"], format="%d-%b-%Y", errors="coerce")
    pos = _first_per(meta, "Subject", "_date")
    return HealthySet("poyet_16s", profile.take_samples(pos), meta.iloc[pos],
                      "BIO-ML screened stool donors, 16S (DADA2, GTDB r207 genera), first sample per donor", "16S",
                      "GTDB r207")


def infant_16s(data=None) -> HealthySet:
    folder = _root(data) / "infant_he_mfgm_16s_277"
    path = folder / "genera.counts.tsv.gz"
    info = SampleInfo(source=str(path), format="table", units="counts", profiler="DADA2 ASVs",
                      database="GTDB r207", method="16S")
    profile = _rows_table(path, info)
    meta = pd.read_csv(folder / "metadata.tsv", sep="\t", index_col="Sample", dtype=str).loc[profile.samples]
    return HealthySet("infant_16s", profile, meta,
                      "healthy term infants at 2, 4, 6 and 12 months (nutrition RCT with a breast-fed group), 16S, "
                      "GTDB r207 genera; every infant appears at up to 4 ages", "16S", "GTDB r207",
                      age_group="infant", group=meta["Age"].astype(str),
                      notes=["infants at 4 ages: each age band holds one sample per infant"])


LOADERS: dict[str, Callable[..., HealthySet]] = {
    f.__name__: f for f in (gmhi_mpa2, camda_mpa4, psoriasis100_controls, psoriasis143_controls, kefir_mpa3,
                            hmp1_16s, twinsuk_16s, poyet_16s, infant_16s)
}


def load(name: str, data: str | None = None) -> HealthySet:
    return LOADERS[name](data)


def subject_of(sample: str) -> str:
    m = re.match(r"^(Subj\d+)_", sample)
    return m.group(1) if m else sample
