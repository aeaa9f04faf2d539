"""Composition summaries defined as data: phylum shares, the Firmicutes/Bacteroidetes ratio, and guilds.

The definitions, with a citation for each, live in ``metrics/data/composition.yaml`` (see
:func:`definitions`). Every number is a share (0–1) of the sample's *classified* community at the rank it
is computed on; unclassified reads are never in the denominator.

* **Phylum shares** come from the phylum rank (``Profile.proportions("phylum")``), one column per
  phylum under its current name (``Bacillota`` …) whatever the profiler wrote (``Firmicutes`` …).
* **F/B ratio** = Bacillota (Firmicutes) share / Bacteroidota (Bacteroidetes) share; empty when no
  Bacteroidota are present.
* **Guilds** are summed on the deepest rank the profile has (species when present, else genus): a taxon
  counts when its own name or a name in its lineage matches a member. A guild with a member at a rank the
  profile has no names for (e.g. a family member on a table that only knows species and genus) is left
  empty with the reason, rather than reported too low.

Names are compared case- and underscore-insensitively through every known alias: those in the YAML and
those of :mod:`gutskin.taxonomy.synonyms`, so Firmicutes/Bacillota, *Eubacterium rectale*/*Agathobacter
rectalis* and the 2020 *Lactobacillus* split all match. GTDB-suffixed phyla (``Firmicutes_A`` …) are
distinct clades: they are counted into the NCBI-sense phylum only with a warning that names them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml

from ..errors import RefusedError
from ..profile import Profile, by_taxa
from ..taxonomy.ranks import RANK_INDEX
from ..taxonomy.synonyms import aliases as _synonym_aliases  # the shared rename table, beside the YAML's aliases
from ..taxonomy.synonyms import normalise as _normalise
from ._table import rank_resolution


def normalise(name: Any) -> str:
    """Comparison key: lower case, underscores as spaces, single spaces, no ``x__`` rank prefix."""
    if name is None or (isinstance(name, float) and name != name):
        return ""
    return _normalise(str(name))


def name_keys(name: str, extra: list[str] | tuple[str, ...] = ()) -> set[str]:
    """Normalised keys of ``name``, its listed aliases and every synonym the rename table knows."""
    names = {name, *extra}
    for n in list(names):
        names |= set(_synonym_aliases(n))
    return {normalise(n) for n in names if n}


@dataclass(frozen=True)
class Member:
    rank: str
    name: str
    keys: frozenset[str]


@dataclass(frozen=True)
class Guild:
    id: str
    label: str
    marker: str
    direction: str
    evidence: str
    members: tuple[Member, ...]
    citations: tuple[str, ...]
    caveat: str | None = None


@dataclass(frozen=True)
class Phylum:
    id: str
    name: str
    keys: frozenset[str]
    gtdb_suffixes: bool


@dataclass(frozen=True)
class Definitions:
    version: str
    phyla: tuple[Phylum, ...]
    phyla_source: str
    guilds: tuple[Guild, ...]
    ratios: tuple[dict[str, Any], ...]
    not_computed: dict[str, str] = field(default_factory=dict)

    def guild(self, gid: str) -> Guild:
        for g in self.guilds:
            if g.id == gid:
                return g
        raise KeyError(f"no guild {gid!r}; known: {[g.id for g in self.guilds]}")


@cache
def definitions() -> Definitions:
    """The shipped definitions (``gutskin/metrics/data/composition.yaml``), parsed once."""
    text = resources.files(__package__).joinpath("data/composition.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    phyla = tuple(Phylum(id=p["id"], name=p["name"], keys=frozenset(name_keys(p["name"], p.get("aliases") or [])),
                         gtdb_suffixes=bool(p.get("gtdb_suffixes"))) for p in raw["phyla"])
    by_id: dict[str, Guild] = {}
    for g in raw["guilds"]:
        members = [Member(rank=m["rank"], name=m["name"], keys=frozenset(name_keys(m["name"], m.get("aliases") or [])))
                   for m in g.get("members", [])]
        for inc in g.get("includes", []):
            members = list(by_id[inc].members) + members
        by_id[g["id"]] = Guild(id=g["id"], label=g["label"], marker=g["marker"], direction=g["direction"],
                               evidence=g["evidence"], members=tuple(members), citations=tuple(g["citations"]),
                               caveat=g.get("caveat"))
    return Definitions(version=str(raw["version"]), phyla=phyla, phyla_source=" ".join(raw["phyla_source"].split()),
                       guilds=tuple(by_id.values()), ratios=tuple(raw["ratios"]),
                       not_computed=dict(raw.get("not_computed", {})))


# ---------------------------------------------------------------------------------------------- results
@dataclass
class Shares:
    """Shares per sample plus what a reader needs to trust them."""

    values: pd.DataFrame
    labels: dict[str, str]
    warnings: list[str]
    citations: dict[str, list[str]] = field(default_factory=dict)
    found: dict[str, list[str]] = field(default_factory=dict)


def _shares(view: Profile, masks: dict[str, np.ndarray]) -> pd.DataFrame:
    """Σ of proportions over each column mask; NaN for samples with nothing classified."""
    totals = np.asarray(view.values.sum(axis=1)).ravel()
    cols = list(masks)
    if cols:
        # one product with a taxon × column indicator matrix instead of a column copy per mask: on a
        # partition of thousands of samples each copy is a pass over every stored value
        member = sp.csc_matrix(np.column_stack([np.asarray(masks[c], dtype=np.float64) for c in cols]))
        sums = np.asarray((view.values @ member).todense())
    else:
        sums = np.zeros((view.n_samples, 0))
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for j, col in enumerate(cols):
            out[col] = np.where(totals > 0, sums[:, j] / np.where(totals > 0, totals, 1.0), np.nan)
    return pd.DataFrame(out, index=pd.Index(view.samples, name="sample"))


def _gtdb_pattern(keys: frozenset[str]) -> re.Pattern[str]:
    alts = "|".join(re.escape(k) for k in sorted(keys))
    return re.compile(rf"^(?:{alts}) [a-z]{{1,2}}$")


def phylum_shares(profile: Profile) -> Shares:
    """Share of each defined phylum, plus ``other``, at the phylum rank (columns ``phylum.<Name>``)."""
    defs = definitions()
    try:
        view = profile.at_rank("phylum")
    except RefusedError as exc:
        cols = [f"phylum.{p.name}" for p in defs.phyla] + ["phylum.other"]
        frame = pd.DataFrame(np.nan, index=pd.Index(profile.samples, name="sample"), columns=cols)
        return Shares(frame, {c: c for c in cols}, [f"phylum shares not computed: {exc}"])
    names = [normalise(n) for n in view.taxa["name"].tolist()]
    raw_names = view.taxa["name"].tolist()
    masks: dict[str, np.ndarray] = {}
    labels: dict[str, str] = {}
    warnings: list[str] = []
    used = np.zeros(len(names), dtype=bool)
    for p in defs.phyla:
        mask = np.array([n in p.keys for n in names], dtype=bool)
        if p.gtdb_suffixes:
            pat = _gtdb_pattern(p.keys)
            suffixed = np.array([bool(pat.match(n)) for n in names], dtype=bool)
            if suffixed.any():
                which = sorted({str(raw_names[i]) for i in np.flatnonzero(suffixed)})
                warnings.append(f"GTDB-suffixed phyla {', '.join(which)} are distinct GTDB clades, counted here into "
                                f"{p.name} (NCBI sense)")
                mask |= suffixed
        col = f"phylum.{p.name}"
        masks[col] = mask
        old = sorted({a for a in _synonym_aliases(p.name) if a != p.name})
        labels[col] = f"{p.name} ({', '.join(old)}) share" if old else f"{p.name} share"
        used |= mask
    masks["phylum.other"] = ~used
    labels["phylum.other"] = "share of all other phyla"
    frame = _shares(view, masks)
    return Shares(frame, labels, warnings, citations={c: [defs.phyla_source] for c in masks})


def fb_ratio(profile: Profile) -> pd.Series:
    """Firmicutes/Bacteroidetes (Bacillota/Bacteroidota) ratio per sample; NaN without Bacteroidota."""
    shares = phylum_shares(profile).values
    return _ratio(shares)


def _ratio(shares: pd.DataFrame) -> pd.Series:
    num = shares["phylum.Bacillota"].to_numpy()
    den = shares["phylum.Bacteroidota"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return pd.Series(ratio, index=shares.index, name="fb_ratio")


#: Guilds are summed at species rank only when at least this share of the abundance has a species name.
MIN_RESOLUTION = 0.5


def guild_rank(resolution: float) -> str:
    """The rank guilds are summed at, from the (median) share of abundance named at species."""
    return "species" if resolution >= MIN_RESOLUTION else "genus"


def _leaf_view(profile: Profile) -> tuple[Profile | None, str | None, list[str]]:
    """The rank guilds are summed on: species when most abundance is named there, else genus."""
    notes: list[str] = []
    for rank in ("species", "genus"):
        try:
            view = profile.at_rank(rank)
        except RefusedError:
            continue
        res = rank_resolution(profile, rank)
        overall = float(np.nanmedian(res)) if np.isfinite(res).any() else 0.0
        if rank == "species" and guild_rank(overall) == "genus":
            notes.append(f"only {overall:.0%} of the abundance (median over samples) has a species name, so guilds "
                         "are summed at genus rank; guilds with species-level members are left empty")
            continue
        if overall < 0.9:
            notes.append(f"guild shares are of the {overall:.0%} of the abundance (median over samples) that has a "
                         f"{rank} name")
        return view, rank, notes
    return None, None, notes


def guild_shares(profile: Profile, guilds: list[str] | None = None) -> Shares:
    """Share of the classified community in each guild (columns ``guild.<id>``)."""
    defs = definitions()
    chosen = [defs.guild(g) for g in guilds] if guilds else list(defs.guilds)
    cols = [f"guild.{g.id}" for g in chosen]
    labels = {f"guild.{g.id}": g.label for g in chosen}
    citations = {f"guild.{g.id}": list(g.citations) for g in chosen}
    view, leaf, notes = _leaf_view(profile)
    if view is None:
        frame = pd.DataFrame(np.nan, index=pd.Index(profile.samples, name="sample"), columns=cols)
        return Shares(frame, labels, ["guild shares not computed: the profile has no species or genus rows"],
                      citations)
    # which taxa belong to which guild depends only on the view's taxa: worked out once per taxa table
    masks, unresolved, found = by_taxa(view.taxa, ("guild-masks", leaf, tuple(g.id for g in chosen)),
                                       lambda: _guild_masks(view, leaf, chosen))
    frame = _shares(view, masks)
    warnings = list(notes)
    for col, reason in unresolved.items():
        frame[col] = np.nan
        warnings.append(reason)
    # a member is "found" where the table holds some of it, not merely a row with its name: a sample sliced out
    # of a merged table keeps every row of the table, most of them zero for that sample
    held = np.asarray((view.values != 0).sum(axis=0)).ravel() > 0
    found_here = {col: [name for name, cols in members if (cols & held).any()] for col, members in found.items()}
    return Shares(frame, labels, warnings, citations, found_here)


def _guild_masks(view: Profile, leaf: str, chosen: list) -> tuple[dict[str, np.ndarray], dict[str, str],
                                                                  dict[str, list[tuple[str, np.ndarray]]]]:
    lineage_keys = {r: [normalise(n) for n in view.taxa[r].tolist()] for r in
                    ("phylum", "class", "order", "family", "genus", "species")}
    has_rank = {r: any(lineage_keys[r]) for r in lineage_keys}
    masks: dict[str, np.ndarray] = {}
    unresolved: dict[str, str] = {}
    found: dict[str, list[tuple[str, np.ndarray]]] = {}  # per guild: each member named in the taxa, its columns
    for g in chosen:
        col = f"guild.{g.id}"
        missing = sorted({m.rank for m in g.members if not has_rank.get(m.rank, False)
                          or RANK_INDEX[m.rank] > RANK_INDEX[leaf]})
        if missing:
            unresolved[col] = (f"{g.label} not computed: it needs {'/'.join(missing)} names, which this profile does "
                               f"not resolve (guilds summed at {leaf} rank)")
            masks[col] = np.zeros(view.n_taxa, dtype=bool)
            continue
        mask = np.zeros(view.n_taxa, dtype=bool)
        hit_members = []
        for m in g.members:
            keys = lineage_keys[m.rank]
            mm = np.array([k in m.keys for k in keys], dtype=bool)
            if mm.any():
                hit_members.append((m.name, mm))
            mask |= mm
        masks[col] = mask
        found[col] = hit_members
    return masks, unresolved, found


def composition_summary(profile: Profile) -> pd.DataFrame:
    """Phylum shares, the F/B ratio and every guild share, one row per sample.

    ``attrs``: ``labels`` (column → human label), ``citations`` (column → list), ``warnings`` (list),
    ``definitions_version``.
    """
    ph = phylum_shares(profile)
    gu = guild_shares(profile)
    ratio = _ratio(ph.values)
    frame = pd.concat([ph.values, ratio, gu.values], axis=1)
    defs = definitions()
    fb = defs.ratios[0]
    labels = {**ph.labels, "fb_ratio": fb["label"], **gu.labels}
    citations = {**ph.citations, "fb_ratio": list(fb["citations"]), **gu.citations}
    warnings = ph.warnings + gu.warnings
    # each sample's own note, not "N samples …": a person's report reads the same whatever was scored beside it
    no_bacteroidota = (ph.values["phylum.Bacteroidota"] == 0).to_numpy()
    sample_warnings = {s: ["F/B ratio left empty: no Bacteroidota detected"]
                       for s, none in zip(frame.index, no_bacteroidota, strict=True) if none}
    frame.attrs.update({"labels": labels, "citations": citations, "warnings": warnings,
                        "sample_warnings": sample_warnings, "definitions_version": defs.version})
    return frame

