#!/usr/bin/env python
"""Build the shipped reference cohorts from the real cohort tables in ../shared/data.

Only derived summaries (quantiles, prevalences) are written into the package; the source tables (some
without a redistribution licence) stay in ../shared. Run from the repository root:

    .venv/bin/python scripts/build_references.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import healthy_sets
import numpy as np

import cohorts
from gutskin.reference import build_reference
from gutskin.reference.registry import SUFFIX

OUT = Path(__file__).resolve().parents[1] / "src" / "gutskin" / "reference" / "data"

GMHI_CITATION = ("Gupta VK, Kim M, Bakshi U, et al. A predictive index for health status using species-level gut "
                 "microbiome profiling. Nat Commun 11:4635 (2020). doi:10.1038/s41467-020-18476-8")
CAMDA_CITATION = ("CAMDA 2024 Gut Microbiome Health Index challenge data (HMP2/IBDMDB, PRJEB1220, PRJNA389280), "
                  "as distributed by the challenge organisers (ccm-bioinfo/Camda25_gut)")


def specs(data: str | None) -> list[dict]:
    gmhi = cohorts.gmhi_discovery(data)
    camda = cohorts.camda2024(data)
    pso100 = cohorts.psoriasis_100(data)
    pso143 = cohorts.psoriasis_143(data)
    projects = camda.metadata.loc[camda.metadata["healthy"], "project"].value_counts().to_dict()
    return [
        dict(cohort=gmhi, name="gmhi2020-healthy-mpa2",
             title="GMHI 2020 pooled healthy adults (MetaPhlAn 2)",
             source="Gupta et al. 2020 discovery set, 34 studies (rebuilt from chanw0/MRS, bioinf-mcb/q2-health-index "
                    "and HUST-NingKang-Lab/GAN-GMHI tables)",
             licence="summaries of public metagenomes; source tables GPL-3.0 / BSD-3-Clause; paper CC BY 4.0",
             citation=GMHI_CITATION,
             healthy_definition="no reported disease and normal BMI (the GMHI 'Healthy' label)",
             countries=gmhi.metadata["geography"].where(gmhi.metadata["geography"].ne(""), None).tolist(),
             taxonomy="MetaPhlAn 2 (mpa_v20)",
             notes=["species rows only (313 species kept by the source table, renormalised to 100 %); genus values "
                    "are sums of species, so genus-level 'unclassified' reads are not represented"]),
        dict(cohort=camda, name="camda2024-healthy-mpa4",
             title="CAMDA 2024 healthy controls (MetaPhlAn 4)",
             source="CAMDA 2024 challenge table (HMP2 and two other projects)",
             licence="no licence stated by the distributor; only derived summaries are shipped",
             citation=CAMDA_CITATION, healthy_definition="diagnosis 'Healthy' in the organisers' metadata",
             countries=None, taxonomy="MetaPhlAn 4",
             notes=[f"healthy samples per project: {projects}",
                    "HMP2 contributes several samples per person over time, so the effective number of people is "
                    "smaller than n",
                    "species rows only; some samples sum to well under 100 % in the organisers' table"]),
        dict(cohort=pso100, name="psoriasis100-controls-mpa3",
             title="Controls of a psoriasis gut study (MetaPhlAn 3 naming)",
             source="yunusbb/Gut-microbiota-in-Psoriasis (phyloseq object), 47 controls",
             licence="no licence in the source repository; only derived summaries are shipped",
             citation="Gut microbiota in psoriasis, yunusbb/Gut-microbiota-in-Psoriasis (GitHub)",
             healthy_definition="study controls (diagnosis 'control')", countries=None,
             taxonomy="MetaPhlAn 3 (mpa_v30)",
             notes=["controls of a disease study, not a population sample",
                    "values are MetaPhlAn estimated read counts, so shares weigh taxa by reads, not by cells"]),
        dict(cohort=pso143, name="psoriasis143-controls-mpa4",
             title="Healthy participants of a psoriasis gut study (MetaPhlAn 4 SGB naming)",
             source="qqwxp1987/psoriasis_microbiome, 45 healthy participants",
             licence="no licence in the source repository; only derived summaries are shipped",
             citation="Psoriasis gut microbiome and virome study, qqwxp1987/psoriasis_microbiome (GitHub)",
             healthy_definition="'Healthy' in the study metadata", countries=None, taxonomy="MetaPhlAn 4",
             notes=["28 of the 45 healthy participants are relatives living with a patient"]),
        *sixteen_s_and_more(data),
    ]


def _all_healthy(hs: healthy_sets.HealthySet) -> dict:
    return {"cohort": hs, "healthy": np.ones(hs.profile.n_samples, dtype=bool)}


def sixteen_s_and_more(data: str | None) -> list[dict]:
    """References from the 16S cohorts, the infant cohort and the kefir study (healthy_sets: one sample a person)."""
    kefir = healthy_sets.kefir_mpa3(data)
    hmp1 = healthy_sets.hmp1_16s(data)
    twins = healthy_sets.twinsuk_16s(data)
    poyet = healthy_sets.poyet_16s(data)
    infant = healthy_sets.infant_16s(data)
    # one sample per infant: the visit closest to 6 months (ages 2, 4, 6 and 12 months exist)
    ages = infant.metadata["Age"].astype(float).to_numpy()
    order = np.lexsort((np.abs(ages - 6.0), infant.metadata["Subject"].to_numpy()))
    seen, keep = set(), []
    for i in order:
        subj = infant.metadata["Subject"].iat[i]
        if subj not in seen:
            seen.add(subj)
            keep.append(i)
    infant_mask = np.zeros(infant.profile.n_samples, dtype=bool)
    infant_mask[keep] = True
    age_counts = infant.metadata.iloc[sorted(keep)]["Age"].value_counts().to_dict()
    return [
        dict(**_all_healthy(kefir), name="kefir-adults-mpa3",
             title="Adults of a kefir-consumption study, first visit (MetaPhlAn 3.0.13)",
             source="danielchang2002/GMWI2 manuscript_raw kefir MetaPhlAn 3 results (44 files, 28 people)",
             licence="MIT (danielchang2002/GMWI2)",
             citation="GMWI2 example data: kefir study profiles, danielchang2002/GMWI2 (GitHub)",
             healthy_definition="study participants; no health labels (not screened-healthy people)",
             countries=None, taxonomy="MetaPhlAn 3 (mpa_v30)",
             notes=["no health labels; kefir drinkers — fermented-milk bacteria (Lactococcus, Streptococcus) and "
                    "Candida are more common than in other stool cohorts"]),
        dict(**_all_healthy(hmp1), name="hmp1-healthy-16s-gg",
             title="HMP1 screened-healthy adults, stool 16S V3–V5 (Greengenes 13_8)",
             source="twbattaglia/MicrobeDS HMPv35 (Human Microbiome Project 16S, Qiita 1928), stool, first visit",
             licence="CC0", citation="Human Microbiome Project Consortium. Nature 486:207 (2012)",
             healthy_definition="adults 18–40 y screened healthy by clinical examination (HMP criteria)",
             countries=None, taxonomy="Greengenes 13_8",
             notes=["454 pyrosequencing of V3–V5; Bacteroides shares are much higher than in V4 Illumina data, so "
                    "this reference matches V3–V5 profiles best", "samples with < 1,000 reads left out"]),
        dict(**_all_healthy(twins), name="twinsuk-16s-gg",
             title="TwinsUK volunteers, stool 16S V4 (Greengenes 13_8) — mostly older women",
             source="twbattaglia/MicrobeDS TwinsUK (Goodrich et al. 2014, Qiita 2014), one sample per person",
             licence="CC0", citation="Goodrich JK et al. Human genetics shape the gut microbiome. Cell 159:789 (2014)",
             healthy_definition="population volunteers, not screened for disease (no disease labels)",
             countries={"GB": twins.profile.n_samples}, taxonomy="Greengenes 13_8",
             notes=["mostly women (about 99 %), median age 62: a population sample, not a screened-healthy one",
                    "samples with < 1,000 reads left out"]),
        dict(**_all_healthy(poyet), name="bioml-donors-16s-gtdb",
             title="BIO-ML screened stool donors, 16S (DADA2, GTDB r207 genera)",
             source="borenstein-lab/microbiome-metabolome-curated-data POYET_BIO_ML_2019, first sample per donor",
             licence="MIT (borenstein-lab curated data)",
             citation="Poyet M et al. A library of human gut bacterial isolates paired with longitudinal multiomics "
                      "data. Nat Med 25:1442 (2019). doi:10.1038/s41591-019-0559-3",
             healthy_definition="healthy volunteers screened as stool donors", countries=None, taxonomy="GTDB r207",
             notes=["GTDB genera: suffixed genera (Blautia_A) are read as their named genus; Bacteroides and "
                    "Phocaeicola are separate genera here, unlike Greengenes"]),
        dict(cohort=infant, healthy=infant_mask, name="infant-16s-gtdb",
             title="Healthy term infants, stool 16S (GTDB r207 genera), one visit per infant near 6 months",
             source="borenstein-lab/microbiome-metabolome-curated-data HE_INFANTS_MFGM_2019",
             licence="MIT (borenstein-lab curated data)",
             citation="He X et al. Sci Rep 9:11589 (2019). doi:10.1038/s41598-019-47953-4",
             healthy_definition="healthy full-term infants in a nutrition trial (breast-fed and formula-fed)",
             countries=None, taxonomy="GTDB r207", age_group="infant",
             notes=[f"one visit per infant, the one closest to 6 months (ages in months: {age_counts}); infant "
                    "communities change fast, so a 2-month-old or a 12-month-old sits differently",
                    "infants only: adults are never compared with it, and infants never with adult references"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="shared data folder (default: ../shared/data)")
    parser.add_argument("--out", default=str(OUT), help="where to write (default: the package's reference/data)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for spec in specs(args.data):
        cohort = spec.pop("cohort")
        countries = spec.pop("countries")
        healthy = spec.pop("healthy", None)
        if healthy is None:
            healthy = cohort.metadata["healthy"].to_numpy()
        if isinstance(countries, dict):  # a whole-cohort country count
            countries = [next(iter(countries))] * cohort.profile.n_samples
        ref = build_reference(cohort.profile, healthy, countries=countries, **spec)
        path = out / f"{ref.name}{SUFFIX}"
        ref.save(path)
        print(f"{ref.name}: n={ref.n}, metrics={sorted(ref.metrics)}, "
              f"taxa={ {k: len(v) for k, v in ref.taxa.items()} }, {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
