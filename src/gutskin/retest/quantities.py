"""What a retest compares, and on which scale each quantity behaves.

Every quantity the report shows gets a row in :data:`SPECS`: its label, its group (alpha, index, phylum,
guild, taxon, distance) and its *scale* — the transformation under which same-person differences are roughly
symmetric and of constant size, so one limit fits low and high values alike:

* ``diff``: plain difference (Shannon, Simpson, Pielou, GMHI, GMWI2, Gevers MD — already log-like or bounded);
* ``log``: natural-log ratio (observed richness, inverse Simpson, Chao1, ACE — multiplicative; and the F/B ratio,
  taken as ``(F + ε)/(B + ε)`` with the shares' floor ``ε``);
* ``logshare``: ``ln((b + ε) / (a + ε))`` for shares (phyla, guilds, key genera), ``ε`` = :data:`SHARE_FLOOR`,
  so a taxon moving between 0 and a trace does not look like an infinite change.

All per-sample numbers come from the one scoring driver (:func:`score_table`); key genera are the genus-rank
taxa of the knowledge base, read from the profile's genus proportions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from ..profile import Profile

#: Detection floor added to both shares before a log-ratio (0.1 % of the classified community).
SHARE_FLOOR = 1e-3

ALPHA = ("observed", "shannon", "simpson", "inv_simpson", "pielou", "chao1", "ace")
INDICES = ("gmhi", "gmwi2", "gevers_md")
DISTANCES = ("braycurtis", "aitchison")
_LOG = {"observed", "inv_simpson", "chao1", "ace", "fb_ratio"}
_LABELS = {
    "observed": "Observed taxa (richness)", "shannon": "Shannon diversity", "simpson": "Simpson diversity",
    "inv_simpson": "Inverse Simpson", "pielou": "Pielou evenness", "chao1": "Chao1 richness",
    "ace": "ACE richness", "gmhi": "GMHI (Gut Microbiome Health Index)",
    "gmwi2": "GMWI2 (Gut Microbiome Wellness Index 2)", "gevers_md": "Gevers MD index",
    "fb_ratio": "Firmicutes/Bacteroidetes ratio", "braycurtis": "Bray–Curtis distance (whole community)",
    "aitchison": "Aitchison distance (whole community)",
}


_CONDITIONS = {"atopic_dermatitis": "Eczema (atopic dermatitis)", "acne": "Acne", "psoriasis": "Psoriasis",
               "rosacea": "Rosacea", "hidradenitis_suppurativa": "Hidradenitis suppurativa",
               "chronic_spontaneous_urticaria": "Chronic urticaria", "seborrhoeic_dermatitis": "Seborrhoeic dermatitis"}


@dataclass(frozen=True)
class Spec:
    """How one quantity is compared."""

    key: str
    label: str
    group: str  # alpha | index | phylum | guild | taxon | distance
    scale: str  # diff | log | logshare | distance

    def transform(self, value: float) -> float:
        """The value on the comparison scale (NaN stays NaN)."""
        if value is None or not math.isfinite(value):  # NaN, or ±inf from an index's log of zero
            return math.nan
        if self.scale == "log":
            return math.log(value) if value > 0 else math.nan
        if self.scale == "logshare":
            return math.log(value + SHARE_FLOOR)
        return float(value)

    def change(self, before: float, after: float) -> float:
        """``after − before`` on the comparison scale."""
        return self.transform(after) - self.transform(before)


def fold(x: float) -> str:
    """A multiplicative factor for people: 1.3, 4.7, 33, 260 (never 2.6e+02)."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.2g}" if x < 10 else f"{x:.0f}"


def limit_text(scale: str, limit: float | None) -> str:
    """The usual variation in the quantity's own terms: ±0.87 (plain), up to ×4.1 either way (ratios)."""
    if limit is None:
        return "—"
    if scale in ("log", "logshare"):
        return f"up to ×{fold(math.exp(limit))} either way"
    return f"±{limit:.2g}"


def spec(key: str) -> Spec:
    """The :class:`Spec` of a quantity column name (``shannon``, ``phylum.Bacillota``, ``genus.Blautia`` …)."""
    if key in DISTANCES:
        return Spec(key, _LABELS[key], "distance", "distance")
    if key in ALPHA:
        return Spec(key, _LABELS[key], "alpha", "log" if key in _LOG else "diff")
    if key in INDICES:
        return Spec(key, _LABELS[key], "index", "diff")
    if key == "fb_ratio":
        return Spec(key, _LABELS[key], "phylum", "log")
    group, _, name = key.partition(".")
    if group == "phylum":
        return Spec(key, f"{name} (phylum share)" if name != "other" else "Other phyla (share)", "phylum",
                    "logshare")
    if group == "guild":
        return Spec(key, f"{name.replace('_', ' ')} (guild share)", "guild", "logshare")
    if group == "genus":
        return Spec(key, f"{name} (genus share)", "taxon", "logshare")
    if group == "panel":
        return Spec(key, f"{_CONDITIONS.get(name, name.replace('_', ' '))} panel lean", "panel", "diff")
    raise KeyError(key)


# ---------------------------------------------------------------------------------------------- scoring adapter
def alpha_rank(profile: Profile) -> str:
    """Species when the profile names species (shotgun), else genus (16S genus tables)."""
    return "species" if "species" in profile.ranks else "genus"


def score_table(profile: Profile) -> pd.DataFrame:
    """Samples × score columns from THE scoring driver (the one place to switch when the engine settles)."""
    rank = alpha_rank(profile)
    # GMHI and GMWI2 are defined on species; a genus table gets the rest of the driver's list
    metrics = "all" if rank == "species" else "alpha,gevers_md,composition"
    try:
        from ..engine import score
    except ImportError:  # pragma: no cover - the engine package not present yet
        from ..cli.score import score_profile

        return score_profile(profile, metrics, rank=rank)
    return score(profile, metrics=metrics, rank=rank).table


@cache
def key_genera() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Genus-rank taxa of the knowledge base: (feature id, display name, normalised names incl. synonyms)."""
    from ..knowledge import load_kb, normalise_name

    out = []
    for f in load_kb().features("taxon"):
        rank = getattr(f.rank, "value", f.rank)
        if rank != "genus":
            continue
        names = {normalise_name(f.name), *(normalise_name(s) for s in f.synonyms)}
        if "-" in f.name:  # "Escherichia-Shigella" (SILVA) is "Escherichia" in NCBI-named profiles
            names |= {normalise_name(part) for part in f.name.split("-")}
        out.append((f.id, f.name, tuple(sorted(names))))
    return tuple(out)


def genus_shares(profile: Profile) -> pd.DataFrame:
    """Samples × key genera: share of the classified community at genus rank (0 when absent)."""
    from ..errors import RefusedError
    from ..knowledge import normalise_name

    try:
        view = profile.proportions("genus")
    except RefusedError:  # no genus names in this profile (e.g. a species table without lineages): unknown, not 0
        cols = [f"genus.{display}" for _f, display, _k in key_genera()]
        return pd.DataFrame(np.nan, index=pd.Index(profile.samples, name="sample"), columns=cols)
    dense = view.values.toarray()
    names = [normalise_name(str(n)) for n in view.taxa["name"].tolist()]
    cols = {}
    for _fid, display, keys in key_genera():
        mask = np.array([n in keys for n in names], dtype=bool)
        cols[f"genus.{display}"] = dense[:, mask].sum(axis=1) if mask.any() else np.zeros(len(view.samples))
    return pd.DataFrame(cols, index=pd.Index(profile.samples, name="sample"))


def panel_leans(profile: Profile) -> pd.DataFrame:
    """Samples × ``panel.<condition>``: each skin panel's lean (−1 away … +1 toward the condition's reported gut
    pattern) from the engine's analysis, against the reference it chooses; ``attrs["reference"]`` names it per
    sample (leans against different references are not comparable)."""
    from ..engine import analyse

    analyses = analyse(profile)
    rows, refs = {}, {}
    for a in analyses:
        rows[a.sample] = {f"panel.{p.condition}": (math.nan if p.score is None else float(p.score))
                          for p in a.skin.panels}
        refs[a.sample] = a.provenance.reference.name if a.provenance.reference else None
    out = pd.DataFrame.from_dict(rows, orient="index").reindex(profile.samples)
    out.index.name = "sample"
    out.attrs["reference"] = refs
    return out


def measure(profile: Profile, *, panels: bool = False) -> pd.DataFrame:
    """Samples × every comparable quantity (numeric columns only), from the scoring driver plus key genera,
    and the skin-panel leans when ``panels`` (shotgun profiles; the engine's full analysis, slower)."""
    table = score_table(profile)
    keep = [c for c in table.columns if c in ALPHA or c in INDICES or c == "fb_ratio"
            or c.startswith(("phylum.", "guild."))]
    out = table[keep].apply(pd.to_numeric, errors="coerce")
    fb = ("phylum.Bacillota", "phylum.Bacteroidota")
    if all(c in out.columns for c in fb):
        # the F/B ratio gets the same floor as every share, so a Bacteroidota share near zero gives a large but
        # finite ratio instead of a missing one or a ×400 swing: ln((F + ε)/(B + ε))
        out["fb_ratio"] = (out[fb[0]] + SHARE_FLOOR) / (out[fb[1]] + SHARE_FLOOR)
    parts = [out, genus_shares(profile).reindex(out.index)]
    if panels:
        leans = panel_leans(profile)
        parts.append(leans.reindex(out.index))
        out.attrs["reference"] = leans.attrs["reference"]
    result = pd.concat(parts, axis=1)
    result.attrs = out.attrs
    return result
