"""Test-data loaders (not shipped): the real cohort tables in the shared data folder, each as a Profile and
its metadata. Tests import ``tests.cohorts``; scripts put the repository root on ``sys.path`` first.

The data are **not** part of the package (several sources carry no licence): every loader reads them from
a data directory given by the caller, else ``$GUTSKIN_SHARED`` (the shared folder or its ``data/``), else
``../shared/data`` beside the repository. Each folder's ``PROVENANCE.md`` gives source and licence.

=========================  ==========================================  ====================================
loader                     samples                                     naming / values
=========================  ==========================================  ====================================
:func:`gmhi_discovery`     4,347 (2,636 healthy / 1,711 non-healthy)   MetaPhlAn 2 species, percent
:func:`gmhi_validation`    782, or the paper's 679 (``subset="679"``)  MetaPhlAn 2 species, percent
:func:`gmhi_example`       25 (GMHI.R demo input, no labels)           MetaPhlAn 2 species, percent
:func:`camda2024`          613 (Healthy 313, CD 193, UC 76, Obese 31)  MetaPhlAn 4 species, percent
:func:`camda2024_covid`    70 unlabeled COVID-19 ward samples          MetaPhlAn 4 species, percent
:func:`psoriasis_143`      143 (Psoriasis 98, Healthy 45)              MetaPhlAn 4 SGB lineages, counts
:func:`psoriasis_100`      100 (psoriasis 53, control 47)              MetaPhlAn 3 species + lineage, counts
:func:`gmwi2_examples`     45 raw MetaPhlAn 3 files (via gutskin.read)  MetaPhlAn 3 all ranks, percent
=========================  ==========================================  ====================================

Every metadata frame is indexed by sample in profile order and has a boolean-or-NA ``healthy`` column.
Species-only tables get species names as display names (underscores → spaces) and a lineage holding the
species and, as genus, the first word of its name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gutskin.errors import InputError
from gutskin.profile import Profile, ProfileBuilder, SampleInfo
from gutskin.taxonomy.lineage import Lineage, parse_positional, parse_prefixed
from gutskin.taxonomy.ranks import RANK_INDEX, RANKS

ENV = "GUTSKIN_SHARED"


@dataclass
class Cohort:
    """A cohort: its Profile and one metadata row per sample (same order). Unpacks as ``profile, metadata``."""

    name: str
    profile: Profile
    metadata: pd.DataFrame
    folder: Path
    description: str = ""
    licence: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def __iter__(self) -> Iterator[object]:
        yield self.profile
        yield self.metadata

    def __repr__(self) -> str:
        return f"Cohort({self.name!r}, {self.profile.n_samples} samples × {self.profile.n_taxa} taxa)"


# ---------------------------------------------------------------------------------------------- locations
def _repo_default() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the shared cohort data live: the argument, else ``$GUTSKIN_SHARED``, else ``../shared/data``."""
    if data_dir is not None:
        candidates = [Path(data_dir)]
    elif os.environ.get(ENV):
        base = Path(os.environ[ENV])
        candidates = [base / "data", base]
    else:
        candidates = [_repo_default(), Path.cwd().parent / "shared" / "data", Path.cwd() / "shared" / "data"]
    for c in candidates:
        if c.is_dir() and any(c.glob("*/PROVENANCE.md")):
            return c
    tried = ", ".join(str(c) for c in candidates)
    raise InputError(f"no shared cohort data found (tried {tried}); pass data_dir or set {ENV}")


def _folder(root: str | os.PathLike[str] | None, name: str) -> Path:
    folder = data_dir(root) / name
    if not folder.is_dir():
        raise InputError(f"cohort folder {name!r} is missing", folder)
    return folder


def _file(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.exists():
        raise InputError("cohort file is missing", path)
    return path


# ---------------------------------------------------------------------------------------------- builders
def _display(name: str) -> str:
    text = str(name).strip()
    if len(text) > 3 and text[1:3] == "__":
        text = text[3:]
    return text.replace("_", " ")


def _species_lineage(display: str) -> Lineage:
    names: list[str | None] = [None] * len(RANKS)
    names[RANK_INDEX["species"]] = display
    names[RANK_INDEX["genus"]] = display.split(" ")[0]
    return Lineage(tuple(names), "metaphlan")


def _profile_from_matrix(values: np.ndarray, samples: list[str], lineages: list[tuple[Lineage, str, str]],
                         info: SampleInfo, layout: str = "clades") -> Profile:
    """Build a Profile from a samples × taxa matrix with ProfileBuilder (zeros are not stored)."""
    builder = ProfileBuilder(layout)
    taxa = [builder.add_taxon(lin, rank, name) for lin, rank, name in lineages]
    rows = [builder.add_sample(s, info) for s in samples]
    r, c = np.nonzero(values)
    for i, j, v in zip(r.tolist(), c.tolist(), values[r, c].tolist(), strict=True):
        builder.add_value(rows[i], taxa[j], v)
    return builder.build()


def _species_table(frame: pd.DataFrame, path: Path, info: SampleInfo) -> Profile:
    """Taxa × samples table with species labels as the index → Profile (species rows)."""
    if frame.index.has_duplicates:
        dupes = frame.index[frame.index.duplicated()].unique().tolist()[:5]
        raise InputError(f"species listed twice: {dupes}", path)
    values = frame.to_numpy(dtype=np.float64).T
    if not np.isfinite(values).all() or (values < 0).any():
        raise InputError("abundances must be finite numbers ≥ 0", path)
    lineages = []
    for raw in frame.index:
        disp = _display(raw)
        lineages.append((_species_lineage(disp), "species", disp))
    return _profile_from_matrix(values, [str(c) for c in frame.columns], lineages, info)


def _info(path: Path, units: str, version: str | None, database: str | None, **extra: object) -> SampleInfo:
    return SampleInfo(source=str(path), format="table", units=units, profiler="MetaPhlAn", profiler_version=version,
                      database=database, method="shotgun", unclassified=None, unclassified_share=None,
                      extra=dict(extra))


def _align_metadata(meta: pd.DataFrame, profile: Profile, path: Path) -> pd.DataFrame:
    missing = [s for s in profile.samples if s not in meta.index]
    if missing:
        raise InputError(f"{len(missing)} samples have no metadata row (e.g. {missing[:3]})", path)
    out = meta.loc[profile.samples].copy()
    out.index.name = "sample"
    return out


# ---------------------------------------------------------------------------------------------- GMHI 2020
GMHI_LICENCE = ("abundances rebuilt from chanw0/MRS (GPL>=3), q2-health-index (BSD-3), GAN-GMHI (GPL-3); "
                "paper CC BY 4.0 — tests only, never shipped")


def gmhi_discovery(data_dir: str | os.PathLike[str] | None = None) -> Cohort:
    """GMHI discovery set: 4,347 stool metagenomes (2,636 Healthy / 1,711 Nonhealthy), 313 species."""
    folder = _folder(data_dir, "gmhi2020_discovery_4347")
    path = _file(folder, "abundance_species_pct.tsv.gz")
    frame = pd.read_csv(path, sep="\t", index_col=0)
    profile = _species_table(frame, path, _info(path, "percent", "2", "mpa_v20", cohort="gmhi2020_discovery_4347"))
    meta = pd.read_csv(_file(folder, "metadata.tsv"), sep="\t", index_col="sample_id", keep_default_na=True)
    meta = _align_metadata(meta, profile, folder / "metadata.tsv")
    meta["healthy"] = meta["health_status"].eq("Healthy")
    return Cohort("gmhi_discovery", profile, meta, folder,
                  "GMHI pooled discovery set (Gupta et al. 2020), MetaPhlAn 2 species in percent", GMHI_LICENCE)


def gmhi_validation(data_dir: str | os.PathLike[str] | None = None, subset: str | None = None) -> Cohort:
    """GMHI independent validation set: 782 samples; ``subset="679"`` drops the 103 OB/OW/UW samples.

    Metadata: ``phenotype`` (short code, e.g. ``LC``, ``OW``), ``phenotype_detail``, ``health_status``
    (Healthy/Unhealthy), ``study``, ``abnormal_bmi``, ``in_679`` and ``healthy``.
    """
    if subset not in (None, "782", "679"):
        raise InputError("subset is None, '782' or '679'", field="subset")
    folder = _folder(data_dir, "gmhi2020_validation_782")
    path = _file(folder, "validation_abundance.csv.gz")
    frame = pd.read_csv(path, index_col=0, encoding="utf-8-sig")
    profile = _species_table(frame, path, _info(path, "percent", "2", "mpa_v20", cohort="gmhi2020_validation_782"))
    raw = pd.read_csv(_file(folder, "validation_metadata_with_study.csv"), encoding="utf-8-sig", index_col="Sample_Ids")
    meta = pd.DataFrame({
        "phenotype": raw["Phenotype_all"].astype(str).str.strip(),
        "phenotype_detail": raw["Phenotype_all1"].astype(str).str.strip(),
        "health_status": raw["Phenotype"].astype(str).str.strip(),
        "study": raw["Batch"].astype(str).str.strip(),
    }, index=raw.index)
    meta = _align_metadata(meta, profile, folder / "validation_metadata_with_study.csv")
    meta["abnormal_bmi"] = meta["phenotype"].isin(["OB", "OW", "UW"])
    meta["in_679"] = ~meta["abnormal_bmi"]
    meta["healthy"] = meta["health_status"].eq("Healthy")
    name = "gmhi_validation"
    if subset == "679":
        keep = np.flatnonzero(meta["in_679"].to_numpy())
        profile = profile.take_samples(keep)
        meta = meta.iloc[keep]
        name = "gmhi_validation_679"
    return Cohort(name, profile, meta, folder,
                  "GMHI validation set (Gupta et al. 2020); 679 = 782 minus 103 OB/OW/UW samples", GMHI_LICENCE)


def gmhi_example(data_dir: str | os.PathLike[str] | None = None) -> Cohort:
    """The 25-sample demo input of GMHI.R (576 MetaPhlAn 2 species, no labels)."""
    folder = _folder(data_dir, "gmhi2020_example_25")
    path = _file(folder, "species_relative_abundances.csv")
    frame = pd.read_csv(path, index_col=0, encoding="utf-8-sig")
    profile = _species_table(frame, path, _info(path, "percent", "2", "mpa_v20", cohort="gmhi2020_example_25"))
    meta = pd.DataFrame({"healthy": pd.array([pd.NA] * profile.n_samples, dtype="boolean")},
                        index=pd.Index(profile.samples, name="sample"))
    return Cohort("gmhi_example", profile, meta, folder, "GMHI.R demo input (25 samples, no labels)",
                  "jaeyunsung/GMHI_2020 (no licence file) — tests only")


# ---------------------------------------------------------------------------------------------- CAMDA 2024
CAMDA_LICENCE = "CAMDA 2024 challenge data via ccm-bioinfo/Camda25_gut (no licence) — tests only"


def camda2024(data_dir: str | os.PathLike[str] | None = None) -> Cohort:
    """CAMDA 2024 gut-health challenge: 613 samples (HMP2 and two more projects), MetaPhlAn 4 species in percent.

    Some samples sum to far less than 100 (the organisers' table); values are kept as written.
    """
    folder = _folder(data_dir, "camda2024_gut_613")
    path = _file(folder, "taxonomy.csv.gz")
    frame = pd.read_csv(path, index_col=0)
    profile = _species_table(frame, path, _info(path, "percent", "4", None, cohort="camda2024_gut_613"))
    meta = pd.read_csv(_file(folder, "metadata.tsv"), sep="\t", index_col="SampleID")
    meta = meta.rename(columns={"Diagnosis": "diagnosis", "Project": "project"})
    meta = _align_metadata(meta, profile, folder / "metadata.tsv")
    meta["healthy"] = meta["diagnosis"].eq("Healthy")
    return Cohort("camda2024", profile, meta, folder, "CAMDA 2024 gut microbiome health index challenge, 613 samples",
                  CAMDA_LICENCE)


def camda2024_covid(data_dir: str | os.PathLike[str] | None = None) -> Cohort:
    """The 70 unlabeled COVID-19 ward samples of CAMDA 2024 (``Sample<N>a`` admission, ``b`` last sample)."""
    folder = _folder(data_dir, "camda2024_gut_613")
    path = _file(folder, "covid_taxa.txt.gz")
    frame = pd.read_csv(path, sep="\t", index_col=0)
    profile = _species_table(frame, path, _info(path, "percent", "4", None, cohort="camda2024_covid"))
    subject, visit = [], []
    for s in profile.samples:
        m = re.match(r"^Sample(\d+)([ab])$", s)
        subject.append(f"Sample{m.group(1)}" if m else s)
        visit.append({"a": "admission", "b": "last"}.get(m.group(2)) if m else None)
    meta = pd.DataFrame({"subject": subject, "visit": visit,
                         "healthy": pd.array([pd.NA] * profile.n_samples, dtype="boolean")},
                        index=pd.Index(profile.samples, name="sample"))
    return Cohort("camda2024_covid", profile, meta, folder, "CAMDA 2024 COVID-19 samples, no public labels",
                  CAMDA_LICENCE)


# ---------------------------------------------------------------------------------------------- psoriasis
PSORIASIS_LICENCE = "no licence in the source repository — internal testing only, cite the authors"


def psoriasis_143(data_dir: str | os.PathLike[str] | None = None) -> Cohort:
    """Psoriasis patients, relatives and controls: 143 samples, MetaPhlAn 4 SGB lineages, estimated read counts."""
    folder = _folder(data_dir, "psoriasis_gut_metaphlan4_143")
    path = _file(folder, "abundance_counts.tsv.gz")
    frame = pd.read_csv(path, sep="\t", index_col=0)
    lineages = []
    for clade in frame.index:
        lineage, rank, name = parse_prefixed(str(clade), "metaphlan")
        if rank is None or name is None:
            raise InputError(f"clade {clade!r} names no taxon", path)
        lineages.append((lineage, rank, name))
    values = frame.to_numpy(dtype=np.float64).T
    profile = _profile_from_matrix(values, [str(c) for c in frame.columns], lineages,
                                   _info(path, "counts", "4", None, cohort="psoriasis_gut_metaphlan4_143"))
    meta = pd.read_csv(_file(folder, "metadata.txt"), sep="\t", index_col=0)
    meta = _align_metadata(meta, profile, folder / "metadata.txt")
    meta = meta.rename(columns={"Disease": "disease"})
    meta["healthy"] = meta["disease"].eq("Healthy")
    return Cohort("psoriasis_143", profile, meta, folder,
                  "Psoriasis gut metagenomes (98 psoriasis, 45 healthy; 28 family pairs), MetaPhlAn 4",
                  PSORIASIS_LICENCE)


def psoriasis_100(data_dir: str | os.PathLike[str] | None = None) -> Cohort:
    """53 psoriasis patients and 47 controls: MetaPhlAn 3-era species with their lineage, read counts."""
    folder = _folder(data_dir, "psoriasis_gut_metaphlan_100")
    path = _file(folder, "abundance_counts.tsv.gz")
    frame = pd.read_csv(path, sep="\t", index_col=0)
    tax = pd.read_csv(_file(folder, "taxonomy.tsv"), sep="\t", index_col=0)
    missing = [s for s in frame.index if s not in tax.index]
    if missing:
        raise InputError(f"{len(missing)} species have no lineage in taxonomy.tsv (e.g. {missing[:3]})", folder)
    cols = ["Kingdom", "Phylum", "Class", "Order", "Family", "Genus", "Species"]
    lineages = []
    for sp_name in frame.index:
        parts = [None if pd.isna(v) else _display(str(v)) for v in tax.loc[sp_name, cols].tolist()]
        lineage = parse_positional([*parts, None], style="metaphlan")
        lineages.append((lineage, "species", _display(sp_name)))
    values = frame.to_numpy(dtype=np.float64).T
    profile = _profile_from_matrix(values, [str(c) for c in frame.columns], lineages,
                                   _info(path, "counts", "3", None, cohort="psoriasis_gut_metaphlan_100"))
    meta = pd.read_csv(_file(folder, "metadata.tsv"), sep="\t", index_col="ID")
    meta = _align_metadata(meta, profile, folder / "metadata.tsv")
    meta = meta.rename(columns={"Diagnosis": "diagnosis"})
    meta["healthy"] = meta["diagnosis"].eq("control")
    return Cohort("psoriasis_100", profile, meta, folder, "Psoriasis gut metagenomes (53 psoriasis, 47 controls)",
                  PSORIASIS_LICENCE)


# ---------------------------------------------------------------------------------------------- GMWI2 examples
def gmwi2_examples(data_dir: str | os.PathLike[str] | None = None) -> Cohort:
    """The 45 raw MetaPhlAn 3 profiles distributed with GMWI2 (44 kefir-study samples + the README example)."""
    from gutskin.readers import read

    folder = _folder(data_dir, "gmwi2_metaphlan3_examples")
    files = sorted(folder.glob("*_metaphlan.txt")) + sorted((folder / "kefir").glob("*_metaphlan.txt"))
    if not files:
        raise InputError("no *_metaphlan.txt files", folder)
    profile = Profile.merge([read(f) for f in files])
    rows = []
    for s, f in zip(profile.samples, files, strict=True):
        m = re.match(r"^(Subj\d+)_time(\d+)_(ReExtract_)?S\d+", s)
        rows.append({"sample": s, "file": f.name, "study": "kefir" if m else "example",
                     "subject": m.group(1) if m else s, "time": int(m.group(2)) if m else pd.NA,
                     "reextract": bool(m and m.group(3))})
    meta = pd.DataFrame(rows).set_index("sample")
    meta["healthy"] = pd.array([pd.NA] * len(meta), dtype="boolean")
    return Cohort("gmwi2_examples", profile, meta, folder, "GMWI2 example MetaPhlAn 3.0.13 profiles (MIT)",
                  "MIT (danielchang2002/GMWI2)")


#: Every loader by name.
LOADERS: dict[str, Callable[..., Cohort]] = {
    "gmhi_discovery": gmhi_discovery,
    "gmhi_validation": gmhi_validation,
    "gmhi_example": gmhi_example,
    "camda2024": camda2024,
    "camda2024_covid": camda2024_covid,
    "psoriasis_143": psoriasis_143,
    "psoriasis_100": psoriasis_100,
    "gmwi2_examples": gmwi2_examples,
}


def load(name: str, data_dir: str | os.PathLike[str] | None = None, **kwargs: object) -> Cohort:
    """Load a cohort by name (see :data:`LOADERS`)."""
    try:
        loader = LOADERS[name]
    except KeyError:
        raise InputError(f"unknown cohort {name!r}; expected one of {', '.join(LOADERS)}", field="name") from None
    return loader(data_dir, **kwargs)
