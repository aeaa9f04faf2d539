"""Sample sanity checks: does this profile look like a stool community that can be compared at all?

Run before anything is placed; each check that fires returns a coded :class:`SanityFinding` — codes and numbers,
no words (the engine copies them into ``Analysis.sanity``, most severe first; ``report/wording.py`` words them and the
report shows them as the first main points). Codes:

==========================  ========  =====================================================================
code                        severity  fires when
==========================  ========  =====================================================================
``c_difficile_dominant``    stop      *Clostridioides difficile* is ≥ 30 % of the bacterial community
``enterobacteriaceae_bloom`` stop      Enterobacteriaceae are ≥ 30 % of the bacteria (≥ 60 % in infants)
``dominant_taxon``          warn      one species ≥ 75 % (one genus ≥ 95 % for genus-only profiles)
``not_stool_oral``          stop      oral genera ≥ 30 % and typical stool genera < 10 % (a mouth sample?)
``not_stool_skin``          stop      skin/nose/environment genera ≥ 30 % and typical stool genera < 10 %
``skin_bacteria_high``      warn      skin/nose/environment genera ≥ 20 % in what otherwise looks like stool
``host_dominant``           warn      human reads are ≥ 50 % of what was classified
``viral_dominant``          warn      viruses (in stool mostly bacteriophages) are ≥ 30 % of what was classified
``fungi_high``              warn      fungi are ≥ 5 % of what was classified
``high_unknown``            warn      ≥ 50 % of reads could not be assigned
``low_depth``               warn      fewer than 10,000 classified reads (shotgun) or 1,000 (16S)
==========================  ========  =====================================================================

Bacterial shares (everything gutskin compares) are computed without viruses, host and fungi
(:func:`gutskin.reference.taxa.prokaryotes`). :func:`absence_is_informative` says whether "not detected" can mean
"absent" in this sample.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RefusedError
from ..profile import Profile, by_taxa
from ..taxonomy.current import current_genus, current_species, genus_of

#: one taxon's share of the bacteria above which it "dominates": about the 98th–99th percentile of healthy adults
#: in the GMHI and CAMDA sets at species rank; genus-rank (16S) shares run higher (Bacteroides)
DOMINANT = {"species": 0.75, "genus": 0.95}
CDIFF = 0.30
ENTERO = {"adult": 0.30, "infant": 0.60}  # E. coli is a normal early coloniser of infants
NOT_STOOL = 0.30
STOOL_CORE_MIN = 0.10
#: skin genera in a stool sample: in the stool of other cohorts their 99th percentile is under 1 % (TwinsUK
#: volunteers, 16S: 0.6 %; HMP1 healthy adults, 16S: 0.3 %; the GMHI discovery set of healthy and ill people,
#: shotgun: 0.2 %), and 20 % or more occurs in 2 of 1,021, 3 of 386 and 0 of 4,347 samples; in the Moving Pictures
#: stool series in 12 of 467 (swabs that touched skin). ``scripts/skin_share_check.py`` computes these numbers
SKIN_HIGH = 0.20
HOST = 0.50
VIRAL = 0.30
FUNGI = 0.05
UNKNOWN = 0.50
MIN_READS = {"shotgun": 10_000, "16S": 1_000}

ORAL_GENERA = {"Streptococcus", "Veillonella", "Haemophilus", "Neisseria", "Rothia", "Porphyromonas", "Gemella",
               "Granulicatella", "Actinomyces", "Leptotrichia", "Fusobacterium", "Aggregatibacter", "Capnocytophaga",
               "Oribacterium", "Campylobacter", "Lautropia", "Solobacterium", "Atopobium", "Megasphaera"}
#: skin, nose and environmental genera (a palm or a swab of a surface looks like this, stool does not)
SKIN_GENERA = {"Cutibacterium", "Propionibacterium", "Staphylococcus", "Corynebacterium", "Micrococcus", "Moraxella",
               "Dolosigranulum", "Kocuria", "Anaerococcus", "Finegoldia", "Peptoniphilus", "Malassezia",
               "Acinetobacter", "Pseudomonas", "Psychrobacter", "Enhydrobacter", "Janthinobacterium", "Brevundimonas",
               "Sphingomonas", "Methylobacterium", "Paracoccus", "Deinococcus", "Flavobacterium"}
#: genera that make up most of an adult (and, with Bifidobacterium, an infant) stool community
STOOL_CORE = {"Bacteroides", "Phocaeicola", "Faecalibacterium", "Blautia", "Ruminococcus", "Alistipes", "Roseburia",
              "Agathobacter", "Parabacteroides", "Segatella", "Eubacterium", "Oscillibacter", "Dorea",
              "Coprococcus", "Akkermansia", "Bifidobacterium", "Anaerostipes", "Subdoligranulum", "Collinsella",
              "Mediterraneibacter", "Lachnospira", "Fusicatenibacter", "Oscillospira", "Clostridium",
              "Methanobrevibacter", "Escherichia", "Enterococcus", "Klebsiella"}
FOOD_STREPTOCOCCI = ("Streptococcus thermophilus", "Streptococcus salivarius subsp. thermophilus")
ENTEROBACTERIACEAE = {"Escherichia", "Shigella", "Klebsiella", "Enterobacter", "Citrobacter", "Salmonella",
                      "Proteus", "Morganella", "Serratia", "Cronobacter", "Kluyvera", "Raoultella", "Hafnia"}


@dataclass(frozen=True)
class SanityFinding:
    """One check that fired, as codes and numbers only (the report words it: ``report/wording.py``)."""

    code: str
    severity: str  # stop | warn
    value: float | None = None  # the share (0–1) the check measured; classified reads for ``low_depth``
    taxon: str | None = None
    taxid: int | None = None
    details: dict = field(default_factory=dict, hash=False, compare=False)  # further coded numbers

    def to_dict(self) -> dict:
        return asdict(self)


SEVERITY_ORDER = {"stop": 0, "warn": 1}


def _column_sums(view: Profile) -> np.ndarray:
    return np.asarray(view.values.sum(axis=0)).ravel()


def _domain_shares(view: Profile, vals: np.ndarray) -> dict[str, float]:
    """Share of each domain (lower case; "unknown" when not stated) among the taxa the sample holds."""
    total = vals.sum()
    out: dict[str, float] = {}
    if total <= 0:
        return out
    domains = _lineage_lists(view)[1]["domain"]
    # only the taxa this sample holds (a one-sample slice of a table keeps all the table's taxa), in column order
    for j in np.flatnonzero(vals).tolist():
        d = domains[j]
        key = str(d).lower() if isinstance(d, str) else "unknown"
        out[key] = out.get(key, 0.0) + float(vals[j] / total)
    return out


def _leaf(profile: Profile) -> tuple[Profile | None, str]:
    # amplicon species calls cover little and are unreliable: 16S profiles are read at genus rank
    ranks = ("genus", "species") if profile.info[0].method == "16S" else ("species", "genus")
    for rank in ranks:
        try:
            return profile.at_rank(rank), rank
        except RefusedError:
            continue
    return None, ""


def _genus(name: str, rank: str) -> str | None:
    return genus_of(name) if rank == "species" else current_genus(name)


def check_sample(profile: Profile, age_group: str | None = "adult") -> list[SanityFinding]:
    """Sanity findings for a one-sample profile, most severe first."""
    age = "infant" if age_group == "infant" else "adult"
    if profile.n_samples != 1:
        raise ValueError("check one sample at a time")
    info = profile.info[0]
    out: list[SanityFinding] = []
    view, rank = _leaf(profile)
    if view is None or view.values.sum() <= 0:
        return [SanityFinding("low_depth", "warn", 0.0, details={"nothing_placed": 1.0})]
    vals = _column_sums(view)
    domains = _domain_shares(view, vals)
    human = _share_of(view, "human", vals)
    viral = domains.get("viruses", 0.0)
    fungi = _share_of(view, "fungi", vals)
    if human >= HOST:
        out.append(SanityFinding("host_dominant", "warn", human, "Homo sapiens", 9606))
    if viral >= VIRAL:
        out.append(SanityFinding("viral_dominant", "warn", viral))
    if fungi >= FUNGI:
        top = _top(view, "eukaryote", vals)
        out.append(SanityFinding("fungi_high", "warn", fungi, top[0], top[1]))
    bact = _prokaryote_shares(view, vals)
    if bact:
        names, shares, taxids = bact
        j = int(np.argmax(shares))
        top_name, top_share = current_species(names[j]) if rank == "species" else names[j], float(shares[j])
        genera = [_genus(n, rank) for n in names]
        entero_idx = [k for k, g in enumerate(genera) if g in ENTEROBACTERIACEAE]
        entero = float(sum(shares[k] for k in entero_idx))
        core = float(sum(s for g, s in zip(genera, shares, strict=True) if g in STOOL_CORE))
        # S. thermophilus is a yoghurt/kefir starter, not a mouth bacterium
        oral = float(sum(s for n, g, s in zip(names, genera, shares, strict=True)
                         if g in ORAL_GENERA and not current_species(n).startswith(FOOD_STREPTOCOCCI)))
        skin = float(sum(s for g, s in zip(genera, shares, strict=True) if g in SKIN_GENERA))
        cdiff = float(sum(s for n, s in zip(names, shares, strict=True)
                          if rank == "species" and current_species(n).startswith("Clostridioides difficile")))
        if cdiff >= CDIFF:
            out.append(SanityFinding("c_difficile_dominant", "stop", cdiff, "Clostridioides difficile", 1496))
        elif entero >= ENTERO[age]:
            k = max(entero_idx, key=lambda x: shares[x])  # the largest member names the bloom
            name = current_species(names[k]) if rank == "species" else names[k]
            out.append(SanityFinding("enterobacteriaceae_bloom", "stop", entero, name, taxids[k],
                                     details={"threshold": ENTERO[age]}))
        elif top_share >= DOMINANT.get(rank, DOMINANT["species"]):
            out.append(SanityFinding("dominant_taxon", "warn", top_share, top_name, taxids[j],
                                     details={"genus_rank": float(rank == "genus")}))
        if core < STOOL_CORE_MIN and oral >= NOT_STOOL:
            out.append(SanityFinding("not_stool_oral", "stop", oral, details={"oral": oral, "stool_core": core}))
        elif core < STOOL_CORE_MIN and skin >= NOT_STOOL:
            out.append(SanityFinding("not_stool_skin", "stop", skin, details={"skin": skin, "stool_core": core}))
        elif skin >= SKIN_HIGH:
            # stool, but with a share of skin bacteria healthy stool almost never has: every gut share is diluted,
            # and skin genera some studies link to skin conditions (Staphylococcus …) would be read as gut findings
            out.append(SanityFinding("skin_bacteria_high", "warn", skin, details={"skin": skin, "stool_core": core}))
    unknown = info.unclassified_share
    if unknown is not None and unknown >= UNKNOWN:
        out.append(SanityFinding("high_unknown", "warn", float(unknown)))
    reads = classified_reads(profile)
    floor = MIN_READS.get(info.method, MIN_READS["shotgun"])
    if reads is not None and reads < floor:
        out.append(SanityFinding("low_depth", "warn", float(reads), details={"reads": float(reads),
                                                                              "floor": float(floor)}))
    return sorted(out, key=lambda f: SEVERITY_ORDER[f.severity])


def check(profile: Profile, age_group: str | None = "adult") -> dict[str, list[SanityFinding]]:
    """Sanity findings for every sample."""
    return {s: check_sample(profile.take_samples([i]), age_group) for i, s in enumerate(profile.samples)}


def classified_reads(profile: Profile) -> float | None:
    """Classified reads of a one-sample count profile (``None`` when the values are not counts)."""
    if not profile.is_counts:
        return None
    view, _ = _leaf(profile)
    if view is None:
        return 0.0
    # the deepest rank's total undercounts reads classified only higher up; the domain total is the better count
    try:
        dom = profile.at_rank("domain")
        total = float(dom.values.sum())
        if total > 0:
            return total
    except RefusedError:
        pass
    return float(view.values.sum())


_UNSET: Any = object()


def absence_is_informative(profile: Profile, typical_share: float | None = None, *,
                           reads: float | None = _UNSET) -> tuple[bool, str | None]:
    """Whether "not detected" can be read as "absent" in this one-sample profile, and why not.

    Not when most reads are unassigned, when depth is low, or when the taxon's typical share among healthy
    carriers (``typical_share``, e.g. the reference's 10th percentile) is below what this depth can detect
    (about 3 reads).
    """
    info = profile.info[0]
    if info.unclassified_share is not None and info.unclassified_share >= UNKNOWN:
        return False, (f"{info.unclassified_share:.0%} of reads are unassigned, so a taxon not detected may simply "
                       "have been missed")
    if reads is _UNSET:  # callers measuring many taxa of one profile pass it once (classified_reads)
        reads = classified_reads(profile)
    if reads is not None:
        floor = MIN_READS.get(info.method, MIN_READS["shotgun"])
        if reads < floor:
            return False, f"only {reads:,.0f} reads were classified, too few to call a taxon absent"
        if typical_share is not None and np.isfinite(typical_share) and typical_share > 0 and \
                typical_share * reads < 3:
            return False, (f"at {reads:,.0f} reads a taxon at its typical share ({typical_share:.2%}) would give "
                           "fewer than 3 reads, so not detecting it says little")
    return True, None


_LINEAGE_RANKS = ("domain", "phylum", "family", "genus")


def _lineage_lists(view: Profile) -> tuple[list[str], dict[str, list[Any]]]:
    """Names and the lineage columns the checks read, as plain lists (once per taxa table, not per taxon)."""
    return by_taxa(view.taxa, "sanity-lineage", lambda: (
        view.taxa["name"].astype(str).tolist(), {r: view.taxa[r].tolist() for r in _LINEAGE_RANKS}))


def _taxids(view: Profile) -> list[int | None]:
    return by_taxa(view.taxa, "sanity-taxids", lambda: [None if pd.isna(t) else int(t)
                                                       for t in view.taxa["taxid"].tolist()])


def _taxon_dict(view: Profile, j: int) -> dict:
    cols = _lineage_lists(view)[1]
    return {r: cols[r][j] for r in _LINEAGE_RANKS}


#: the groups of taxa the checks add up, as a test of (name, lineage)
_GROUPS = {
    "human": lambda n, _t: current_species(n) == "Homo sapiens",
    "fungi": lambda n, t: (t.get("domain") in ("Eukaryota", "Eukarya") and current_species(n) != "Homo sapiens"
                           and t.get("phylum") not in ("Chordata",)),
    "eukaryote": lambda _n, t: t.get("domain") in ("Eukaryota", "Eukarya") and t.get("phylum") != "Chordata",
}


def _members(view: Profile, group: str) -> np.ndarray:
    """Which taxa of the table belong to ``group`` (:data:`_GROUPS`): it depends only on the taxa, so it is
    worked out once per taxa table, not once per sample and taxon."""
    def build() -> np.ndarray:
        names, test = _lineage_lists(view)[0], _GROUPS[group]
        return np.array([bool(test(names[j], _taxon_dict(view, j))) for j in range(len(names))], dtype=bool)

    return by_taxa(view.taxa, ("sanity-group", group), build)


def _share_of(view: Profile, group: str, vals: np.ndarray) -> float:
    total = vals.sum()
    if total <= 0:
        return 0.0
    # only the taxa this sample holds (a one-sample slice of a table keeps all the table's taxa), in column order
    return float(sum(vals[j] for j in np.flatnonzero(_members(view, group) & (vals > 0)).tolist()) / total)


def _top(view: Profile, group: str, vals: np.ndarray) -> tuple[str | None, int | None]:
    best, best_j = 0.0, None
    names = _lineage_lists(view)[0]
    for j in np.flatnonzero(_members(view, group) & (vals > 0)).tolist():
        v = vals[j]
        if v > best:
            best, best_j = v, j
    if best_j is None:
        return None, None
    return names[best_j], _taxids(view)[best_j]


def _prokaryote_shares(view: Profile, vals: np.ndarray
                       ) -> tuple[list[str], np.ndarray, list[int | None]] | None:
    """Names, shares among bacteria and archaea, and taxids of the prokaryotes the sample holds."""
    from ..reference.taxa import prokaryote_mask

    mask = prokaryote_mask(view.taxa)
    pro = vals if mask.all() else vals[mask]
    total = pro.sum()
    if total <= 0:
        return None
    held = np.flatnonzero(mask & (vals > 0)).tolist()
    names, taxids = _lineage_lists(view)[0], _taxids(view)
    return [names[j] for j in held], vals[held] / total, [taxids[j] for j in held]
