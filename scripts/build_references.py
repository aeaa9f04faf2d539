#!/usr/bin/env python
"""Build the shipped reference cohorts from the real cohort tables in ../shared/data.

Only derived summaries (quantiles, prevalences) are written into the package; the source tables (some
without a redistribution licence) stay in ../shared. Run from the repository root:

    .venv/bin/python scripts/build_references.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gutskin import cohorts
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
             notes=["species rows only (313 species kept by the source table, renormalised to 100 %); genus values "
                    "are sums of species, so genus-level 'unclassified' reads are not represented"]),
        dict(cohort=camda, name="camda2024-healthy-mpa4",
             title="CAMDA 2024 healthy controls (MetaPhlAn 4)",
             source="CAMDA 2024 challenge table (HMP2 and two other projects)",
             licence="no licence stated by the distributor; only derived summaries are shipped",
             citation=CAMDA_CITATION, healthy_definition="diagnosis 'Healthy' in the organisers' metadata",
             countries=None,
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
             notes=["controls of a disease study, not a population sample"]),
        dict(cohort=pso143, name="psoriasis143-controls-mpa4",
             title="Healthy participants of a psoriasis gut study (MetaPhlAn 4 SGB naming)",
             source="qqwxp1987/psoriasis_microbiome, 45 healthy participants",
             licence="no licence in the source repository; only derived summaries are shipped",
             citation="Psoriasis gut microbiome and virome study, qqwxp1987/psoriasis_microbiome (GitHub)",
             healthy_definition="'Healthy' in the study metadata", countries=None,
             notes=["28 of the 45 healthy participants are relatives living with a patient"]),
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
        ref = build_reference(cohort.profile, cohort.metadata["healthy"].to_numpy(), countries=countries, **spec)
        path = out / f"{ref.name}{SUFFIX}"
        ref.save(path)
        print(f"{ref.name}: n={ref.n}, metrics={sorted(ref.metrics)}, "
              f"taxa={ {k: len(v) for k, v in ref.taxa.items()} }, {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
