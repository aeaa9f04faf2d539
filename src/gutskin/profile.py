"""The one data model: a :class:`Profile` is samples × taxa, sparse, with lineages and provenance.

Two layouts exist because profilers report two kinds of rows:

* ``clades``: every row is a clade *total* at its own rank (MetaPhlAn, Kraken-style reports, CAMI,
  sylph-tax, uBiome). Rows of different ranks overlap; each rank on its own sums to the sample.
* ``features``: rows are disjoint leaves (ASVs/OTUs, genomes, mOTUs) that carry a lineage; higher
  ranks come from rolling leaves up by lineage.

Values are kept exactly as the tool wrote them (``counts``, ``percent`` or ``fraction``), because the
published indices are defined on those numbers and a rescale would cost their last digits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import InputError, RefusedError
from .taxonomy.lineage import Lineage
from .taxonomy.ranks import RANK_INDEX, RANKS, is_canonical

UNITS = ("counts", "percent", "fraction")
METHODS = ("shotgun", "16S", "other", "unknown")
LINEAGE_COLUMNS = list(RANKS)
TAXA_COLUMNS = ["rank", "name", "taxid", "lineage", *LINEAGE_COLUMNS]
#: a taxon name longer than this is damage (the longest real names are a few hundred characters)
MAX_NAME_CHARS = 2_000
LONG_COLUMNS = ["sample", "rank", "name", "taxid", "lineage", "count", "relative_abundance"]


@dataclass(frozen=True)
class SampleInfo:
    """Where one sample's numbers came from."""

    source: str
    format: str
    units: str
    profiler: str | None = None
    profiler_version: str | None = None
    database: str | None = None
    method: str = "unknown"
    #: the unclassified / UNKNOWN / unassigned value, in the table's own units (``None``: not reported)
    unclassified: float | None = None
    #: share of all reads (or of all abundance) left unclassified, 0–1 (``None``: not reported)
    unclassified_share: float | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.units not in UNITS:
            raise ValueError(f"units must be one of {UNITS}, not {self.units!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, not {self.method!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def taxon_key(lineage: Lineage, rank: str, name: str, taxid: int | None = None) -> str:
    """A stable identity for a row: its canonical lineage, plus its own rank when that is not canonical."""
    base = lineage.to_string()
    if is_canonical(rank) and lineage.get(rank) == name:
        return base
    tail = f"{rank}:{name}" if taxid is None else f"{rank}:{name}:{taxid}"
    return f"{base}|{tail}" if base else tail


class ProfileBuilder:
    """Collects (sample, taxon, value) triples and builds a :class:`Profile`; readers use it.

    Duplicate (sample, taxon) entries are refused: two values for one taxon in one sample means the
    file is not what it claims to be.
    """

    def __init__(self, layout: str = "clades") -> None:
        if layout not in ("clades", "features"):
            raise ValueError("layout is 'clades' or 'features'")
        self.layout = layout
        self._taxa: dict[str, int] = {}
        self._taxa_rows: list[dict[str, Any]] = []
        self._samples: list[str] = []
        self._info: list[SampleInfo] = []
        self._rows: list[int] = []
        self._cols: list[int] = []
        self._vals: list[float] = []
        self._seen: set[tuple[int, int]] = set()

    def add_taxon(
        self,
        lineage: Lineage,
        rank: str,
        name: str,
        taxid: int | None = None,
        key: str | None = None,
    ) -> int:
        if len(name) > MAX_NAME_CHARS:
            raise InputError(f"a taxon name of {len(name):,} characters (at most {MAX_NAME_CHARS:,}); the file is "
                             "damaged or not a profile")
        key = key or taxon_key(lineage, rank, name)
        idx = self._taxa.get(key)
        if idx is None:
            idx = len(self._taxa_rows)
            self._taxa[key] = idx
            row: dict[str, Any] = {
                "key": key,
                "rank": rank,
                "name": name,
                "taxid": taxid,
                "lineage": lineage.to_string(),
            }
            row.update(dict(zip(RANKS, lineage.names, strict=True)))
            self._taxa_rows.append(row)
        elif taxid is not None and self._taxa_rows[idx]["taxid"] is None:
            self._taxa_rows[idx]["taxid"] = taxid
        return idx

    def add_sample(self, name: str, info: SampleInfo) -> int:
        self._samples.append(str(name))
        self._info.append(info)
        return len(self._samples) - 1

    def add_value(self, sample: int, taxon: int, value: float, *, where: str | None = None) -> None:
        if (sample, taxon) in self._seen:
            key = self._taxa_rows[taxon]["key"]
            raise InputError(f"taxon {key!r} appears twice in sample {self._samples[sample]!r}", where)
        self._seen.add((sample, taxon))
        if value != 0:
            self._rows.append(sample)
            self._cols.append(taxon)
            self._vals.append(value)

    def build(self) -> Profile:
        n_s, n_t = len(self._samples), len(self._taxa_rows)
        values = sp.csr_matrix(
            (np.asarray(self._vals, dtype=np.float64), (np.asarray(self._rows, dtype=np.int64),
                                                        np.asarray(self._cols, dtype=np.int64))),
            shape=(n_s, n_t),
        )
        values.sum_duplicates()
        taxa = _taxa_frame(self._taxa_rows)
        return Profile(values, self._samples, taxa, self._info, layout=self.layout)


def _taxa_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["key", *TAXA_COLUMNS])
    frame["taxid"] = pd.array(frame["taxid"].tolist(), dtype="Int64")
    for col in ["key", "rank", "name", "lineage", *LINEAGE_COLUMNS]:
        frame[col] = frame[col].astype(object)
    return frame.set_index("key")


_BY_TAXA: dict[tuple[int, Any], tuple[pd.DataFrame, Any]] = {}
_BY_TAXA_LIMIT = 256


def by_taxa(taxa: pd.DataFrame, what: Any, build: Callable[[], Any]) -> Any:
    """``build()``, remembered per taxa table and ``what`` (anything hashable naming the computation).

    For things that depend only on a profile's taxa (names, lineages, ranks), never on its values: rank
    roll-up plans, name keys, lineage columns. The samples of one table share its taxa frame (slicing samples
    keeps it), so a report that measures thousands of one-sample slices of a partition works each out once
    instead of once per slice. Safe because a Profile and its taxa frame are never changed after they are
    built; the entry holds the frame itself, so its id cannot be reused while the entry lives. Bounded (oldest
    first out) so a long-running server does not grow.
    """
    key = (id(taxa), what)
    hit = _BY_TAXA.get(key)
    if hit is not None and hit[0] is taxa:
        return hit[1]
    value = build()
    if len(_BY_TAXA) >= _BY_TAXA_LIMIT:
        _BY_TAXA.pop(next(iter(_BY_TAXA)))
    _BY_TAXA[key] = (taxa, value)
    return value


def _roll_up_plan(taxa: pd.DataFrame, rank: str, best: str | None
                  ) -> tuple[np.ndarray | None, sp.csr_matrix, pd.DataFrame]:
    """Which taxa columns roll up into which groups at ``rank``, and the groups' rows: (columns or None for
    all, taxa × groups 0/1 matrix, taxa frame of the groups). It depends only on the taxa (and, for clade
    tables, on the source rank chosen from the values), so it is worked out once per taxa table."""
    return by_taxa(taxa, ("roll-up", rank, best), lambda: _make_plan(taxa, rank, best))


def _make_plan(taxa: pd.DataFrame, rank: str, best: str | None
               ) -> tuple[np.ndarray | None, sp.csr_matrix, pd.DataFrame]:
    keep = np.ones(len(taxa), dtype=bool) if best is None else taxa["rank"].to_numpy() == best
    source = taxa[keep] if not keep.all() else taxa
    names = source[rank].to_numpy()
    known = np.array([n is not None and n == n for n in names], dtype=bool)
    if not known.any():
        if not source[list(RANKS)].notna().to_numpy().any():
            raise RefusedError(f"this table has no taxonomy (its rows carry no lineage), so nothing can be "
                               f"reported at {rank} rank; give the taxonomy with it (e.g. the taxonomy.tsv "
                               "or FeatureData[Taxonomy] .qza made for this table)")
        raise RefusedError(f"no taxon in this profile has a {rank} name in its lineage, "
                           f"so nothing can be reported at {rank} rank")
    keep[np.flatnonzero(keep)[~known]] = False
    source = taxa[keep] if not keep.all() else taxa
    # group leaves by their lineage truncated at the target rank
    cut = RANK_INDEX[rank] + 1
    groups: dict[tuple[Any, ...], int] = {}
    group_rows: list[dict[str, Any]] = []
    col_group = np.empty(len(source), dtype=np.int64)
    lineage_cols = source[list(RANKS[:cut])].to_numpy(dtype=object)
    taxids = source["taxid"]
    own = source["rank"]
    pad = (None,) * (len(RANKS) - cut)
    for j, names_j in enumerate(lineage_cols):
        # the truncated lineage itself is the group key: the Lineage and its text are built once per
        # group, not once per leaf (thousands of leaves fall into hundreds of genera)
        names_t = tuple(None if (n is None or n != n) else n for n in names_j)
        g = groups.get(names_t)
        if g is None:
            lin = Lineage(names_t + pad)
            key = lin.to_string()
            g = groups[names_t] = len(group_rows)
            same_rank = own.iat[j] == rank
            row = {"key": key, "rank": rank, "name": lin.get(rank),
                   "taxid": taxids.iat[j] if same_rank and not pd.isna(taxids.iat[j]) else None,
                   "lineage": key}
            row.update(dict(zip(RANKS, lin.names, strict=True)))
            group_rows.append(row)
        col_group[j] = g
    agg = sp.csr_matrix((np.ones(len(source)), (np.arange(len(source)), col_group)),
                        shape=(len(source), len(group_rows)))
    cols = None if keep.all() else np.flatnonzero(keep)
    return cols, agg, _taxa_frame(group_rows)


class Profile:
    """Samples × taxa abundance table with lineages, taxids and per-sample provenance.

    Attributes
    ----------
    values:
        ``scipy.sparse.csr_matrix`` of shape (samples, taxa), float64, exactly as written.
    samples:
        Sample names, unique.
    taxa:
        DataFrame indexed by taxon key with ``rank, name, taxid, lineage`` and one column per
        canonical rank.
    info:
        One :class:`SampleInfo` per sample.
    layout:
        ``"clades"`` or ``"features"`` (see the module docstring).
    """

    def __init__(
        self,
        values: sp.spmatrix | np.ndarray,
        samples: Sequence[str],
        taxa: pd.DataFrame,
        info: Sequence[SampleInfo],
        layout: str = "clades",
    ) -> None:
        self.values = sp.csr_matrix(values, dtype=np.float64)
        self.samples = [str(s) for s in samples]
        self.taxa = taxa
        self.info = list(info)
        self.layout = layout
        n_s, n_t = self.values.shape
        if n_s != len(self.samples) or n_t != len(self.taxa) or n_s != len(self.info):
            raise ValueError("values, samples, taxa and info disagree in size")
        # a set answers "all distinct?" without building an index (every rank view of every partition gets here)
        if len(set(self.samples)) != n_s:
            dupes = pd.Index(self.samples)[pd.Index(self.samples).duplicated()].unique().tolist()
            raise InputError(f"duplicate sample names {dupes}; every sample needs its own name",
                             self.info[0].source if self.info else None)

    @staticmethod
    def _view(values: sp.csr_matrix, like: Profile, taxa: pd.DataFrame, layout: str) -> Profile:
        """A Profile of ``like``'s samples with other columns, from parts that need no checking: ``values`` is
        already float64 CSR of the right shape and the samples and provenance were checked when ``like`` was
        built (rank views are made thousands of times in a cohort run; checking again cost more than making
        them)."""
        view = Profile.__new__(Profile)
        view.values, view.samples, view.taxa, view.info, view.layout = values, like.samples, taxa, like.info, layout
        return view

    # ------------------------------------------------------------------ basic facts
    @property
    def n_samples(self) -> int:
        return self.values.shape[0]

    @property
    def n_taxa(self) -> int:
        return self.values.shape[1]

    @property
    def units(self) -> str:
        """``counts``, ``percent``, ``fraction``, or ``mixed`` when merged samples differ."""
        kinds = {i.units for i in self.info}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    @property
    def is_counts(self) -> bool:
        return self.units == "counts"

    @property
    def ranks(self) -> list[str]:
        """Ranks present as rows, canonical ones first in lineage order."""
        present = set(self.taxa["rank"].unique())
        canonical = [r for r in RANKS if r in present]
        return canonical + sorted(present - set(canonical))

    def __repr__(self) -> str:
        return (f"Profile({self.n_samples} samples × {self.n_taxa} taxa, {self.units}, {self.layout}, "
                f"ranks={self.ranks})")

    # ------------------------------------------------------------------ selection
    def sample(self, name: str) -> Profile:
        try:
            i = self.samples.index(name)
        except ValueError:
            raise InputError(f"no sample named {name!r}; samples are {self.samples[:10]}",
                             field="sample") from None
        return self.take_samples([i])

    def take_samples(self, idx: Sequence[int]) -> Profile:
        idx = list(idx)
        return Profile(self.values[idx], [self.samples[i] for i in idx], self.taxa,
                       [self.info[i] for i in idx], self.layout)

    def take_taxa(self, mask: np.ndarray | pd.Series) -> Profile:
        mask = np.asarray(mask, dtype=bool)
        if mask.all():
            # a Profile is never changed after it is built, so keeping every taxon can share this one; a copy
            # of a sample × taxon matrix by column costs a pass over every stored value (most roll-ups and
            # rank views of species-only tables ask for all of them)
            return self
        # the same subset of one taxa frame is the same frame, so what is remembered per taxa table (roll-up
        # plans, name keys) is found again for every one-sample slice
        taxa = by_taxa(self.taxa, ("subset", mask.tobytes()), lambda: self.taxa[mask])
        return Profile._view(self.values[:, np.flatnonzero(mask)], self, taxa, self.layout)

    def drop_empty_taxa(self) -> Profile:
        nz = np.asarray((self.values != 0).sum(axis=0)).ravel() > 0
        return self.take_taxa(nz)

    # ------------------------------------------------------------------ ranks
    def has_rank(self, rank: str) -> bool:
        """Whether :meth:`at_rank` can form ``rank`` (natively or by rolling up)."""
        try:
            self.at_rank(rank)
        except RefusedError:
            return False
        return True

    def roll_up_sources(self, rank: str) -> tuple[list[str], list[np.ndarray]]:
        """For a clade table: the native ranks below ``rank`` that :meth:`at_rank` may roll up (nearest first),
        and for each a mask of its rows that name a taxon at ``rank``. At rank chooses the one placing the most
        abundance (:mod:`gutskin.engine.batch` checks the choice per sample against these)."""
        own = self.taxa["rank"].to_numpy()
        named = self.taxa[rank].notna().to_numpy()
        deeper = [r for r in RANKS[RANK_INDEX[rank] + 1:] if (own == r).any()]
        return deeper, [(own == r) & named for r in deeper]

    def at_rank(self, rank: str) -> Profile:
        """One canonical rank: native rows where the tool wrote that rank, else leaves rolled up.

        Leaves with no name at ``rank`` are left out (they are unassigned at that rank).
        Raises :class:`RefusedError` when the profile holds nothing that can be placed at ``rank``.
        """
        if rank not in RANK_INDEX:
            raise InputError(f"unknown rank {rank!r}; expected one of {', '.join(RANKS)}", field="rank")
        ranks = self.taxa["rank"].to_numpy()
        if self.layout == "clades" and (ranks == rank).any():
            return self.take_taxa(ranks == rank)
        return self._roll_up(rank)

    def rank_totals(self, rank: str) -> np.ndarray:
        """Per sample, the total at ``rank``: ``at_rank(rank).values.sum(axis=1)`` without building the view.

        One product of the values with a 0/1 vector over the columns the view would keep or roll up, so the
        sums agree with the view's to rounding (they add the same values in another order). Raises like
        :meth:`at_rank`.
        """
        if rank not in RANK_INDEX:
            raise InputError(f"unknown rank {rank!r}; expected one of {', '.join(RANKS)}", field="rank")
        ranks = self.taxa["rank"].to_numpy()
        if self.layout == "clades" and (ranks == rank).any():
            return np.asarray(self.values @ (ranks == rank).astype(np.float64)).ravel()
        cols, agg, _ = _roll_up_plan(self.taxa, rank, self._roll_up_source(rank))
        weight = np.zeros(self.n_taxa)
        weight[slice(None) if cols is None else cols] = np.asarray(agg.sum(axis=1)).ravel()
        return np.asarray(self.values @ weight).ravel()

    def _roll_up_source(self, rank: str) -> str | None:
        """For a clade table: the native rank below ``rank`` to roll up (see :meth:`_roll_up`); None otherwise."""
        if self.layout != "clades":
            return None
        # roll up the native canonical rank below the target that places the most abundance there (ties: the
        # nearest). Each rank of a clade table holds totals at that rank, and a deeper one misses whatever was
        # classified only down to a shallower one: always rolling up the deepest (species) dropped every row
        # whose lineage stops at family or order
        deeper, columns = self.roll_up_sources(rank)
        if not deeper:
            raise RefusedError(f"this profile names nothing at {rank} rank or below")
        if len(deeper) == 1:  # nothing to choose (a species-only table): no pass over the values to compare ranks
            return deeper[0]
        column_sums = np.asarray(self.values.sum(axis=0)).ravel()
        placed = [float(column_sums[c].sum()) for c in columns]
        return deeper[int(np.argmax(placed))]  # argmax keeps the first (nearest) of equal totals

    def _roll_up(self, rank: str) -> Profile:
        cols, agg, taxa = _roll_up_plan(self.taxa, rank, self._roll_up_source(rank))
        values = self.values if cols is None else self.values[:, cols]
        return Profile._view(sp.csr_matrix(values @ agg), self, taxa, "clades")

    def proportions(self, rank: str) -> Profile:
        """Per-sample proportions at ``rank`` (each row sums to 1; an empty sample stays all zero)."""
        view = self.at_rank(rank)
        totals = np.asarray(view.values.sum(axis=1)).ravel()
        inv = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
        values = sp.diags(inv) @ view.values
        info = [replace(i, units="fraction") for i in view.info]
        return Profile(values, view.samples, view.taxa, info, layout="clades")

    def taxa_per_rank(self) -> dict[str, np.ndarray]:
        """Number of taxa with a non-zero value, per rank, per sample."""
        out = {}
        present = self.values != 0
        for rank in self.ranks:
            cols = np.flatnonzero(self.taxa["rank"].to_numpy() == rank)
            out[rank] = np.asarray(present[:, cols].sum(axis=1)).ravel()
        return out

    # ------------------------------------------------------------------ export
    def to_long(self, rank: str | None = None) -> pd.DataFrame:
        """The standard long table: ``sample, rank, name, taxid, lineage, count, relative_abundance``.

        ``relative_abundance`` is the share of the sample's classified total at that rank. With
        ``rank=None`` every canonical rank the tool wrote is included; ``count`` is filled only for
        count data.
        """
        if rank:
            ranks = [rank]
        elif self.layout == "features":
            # every rank the leaves' lineages name, not only the ranks leaves stop at: a table whose OTUs stop at
            # order, family or genus has phylum totals too, and a long table without them cannot give them back
            ranks = [r for r in RANKS if self.taxa[r].notna().any()]
        else:
            ranks = [r for r in RANKS if r in set(self.taxa["rank"])]
        frames = [self._long_at(r) for r in ranks]
        if rank is None:
            # rows no canonical rank holds (features without a lineage, taxpasta ids without names) are kept
            # under their own rank label: a table without its taxonomy must not become a header-only file
            own = self.taxa["rank"].to_numpy()
            unranked = np.array([not is_canonical(r) for r in own], dtype=bool)
            leaves = any(i.extra.get("unranked_rows_are_leaves") for i in self.info)  # e.g. kaiju's Viruses
            if unranked.any() and (self.layout == "features" or not frames or leaves):
                frames.append(self._long_rows(self.take_taxa(unranked), "unranked"))
        frames = [f for f in frames if len(f)] or frames[:1]
        if not frames:
            return pd.DataFrame(columns=LONG_COLUMNS)
        return pd.concat(frames, ignore_index=True)

    def _long_at(self, rank: str) -> pd.DataFrame:
        return self._long_rows(self.at_rank(rank), rank)

    @staticmethod
    def _long_rows(view: Profile, rank: str) -> pd.DataFrame:
        """Long-table rows of ``view``; ``rank="unranked"`` keeps each row's own rank label."""
        coo = view.values.tocoo()
        totals = np.asarray(view.values.sum(axis=1)).ravel()
        rel = coo.data / totals[coo.row]
        taxa = view.taxa
        counts_mask = np.array([view.info[i].units == "counts" for i in range(view.n_samples)])
        count = pd.array(np.where(counts_mask[coo.row], coo.data, np.nan), dtype="Float64")
        frame = pd.DataFrame({
            "sample": np.asarray(view.samples, dtype=object)[coo.row],
            "rank": taxa["rank"].to_numpy()[coo.col] if rank == "unranked" else rank,
            "name": taxa["name"].to_numpy()[coo.col],
            "taxid": taxa["taxid"].array[coo.col],
            "lineage": taxa["lineage"].to_numpy()[coo.col],
            "count": count,
            "relative_abundance": rel,
        })
        order = np.lexsort((-frame["relative_abundance"].to_numpy(), coo.row))
        return frame.iloc[order].reset_index(drop=True)

    def to_dataframe(self, rank: str | None = None, proportions: bool = False) -> pd.DataFrame:
        """Dense samples × taxa DataFrame (columns are taxon keys). Meant for small tables."""
        view = self if rank is None else (self.proportions(rank) if proportions else self.at_rank(rank))
        return pd.DataFrame(view.values.toarray(), index=view.samples, columns=view.taxa.index)

    # ------------------------------------------------------------------ combine
    @staticmethod
    def merge(profiles: Iterable[Profile]) -> Profile:
        """Stack samples of several profiles into one; taxa are united by key.

        Refuses to mix reference databases or profilers: their taxon names are different languages,
        and a merged table would compare words, not microbes.
        """
        profiles = list(profiles)
        if not profiles:
            raise ValueError("nothing to merge")
        if len(profiles) == 1:
            return profiles[0]
        _check_mergeable(profiles)
        keys: dict[str, int] = {}
        rows: list[pd.DataFrame] = []
        for p in profiles:
            new = [k for k in p.taxa.index if k not in keys]
            for k in new:
                keys[k] = len(keys)
            rows.append(p.taxa.loc[new])
        taxa = pd.concat(rows)
        blocks = []
        for p in profiles:
            cols = np.fromiter((keys[k] for k in p.taxa.index), dtype=np.int64, count=p.n_taxa)
            coo = p.values.tocoo()
            blocks.append(sp.csr_matrix((coo.data, (coo.row, cols[coo.col])), shape=(p.n_samples, len(keys))))
        layout = "features" if any(p.layout == "features" for p in profiles) else "clades"
        samples = [s for p in profiles for s in p.samples]
        info = [i for p in profiles for i in p.info]
        dupes = sorted({s for s in samples if samples.count(s) > 1})
        if dupes:
            sources = sorted({i.source for i, s in zip(info, samples, strict=True) if s in dupes})
            raise InputError(f"duplicate sample names {dupes} across {', '.join(sources)}; rename the "
                             "samples or files so each is unique")
        return Profile(sp.vstack(blocks, format="csr"), samples, taxa, info, layout)

    @classmethod
    def from_long(cls, frame: pd.DataFrame, source: str = "<dataframe>") -> Profile:
        """Build a Profile from the standard long table (the inverse of :meth:`to_long`)."""
        return profile_from_long(frame, source)

    def write(self, path: str, to: str | None = None, rank: str | None = None) -> None:
        from .writers import write_profile

        write_profile(self, path, to=to, rank=rank)


def profile_from_long(frame: pd.DataFrame, source: str = "<dataframe>", first_line: int | None = None) -> Profile:
    """A Profile from the standard long table (the inverse of :meth:`Profile.to_long`), for callers that hold
    a DataFrame rather than a file (the web app, the store). Same checks as reading the file: one bad cell
    refuses the table, naming its row."""
    from .readers.generic import profile_from_long as _from_long  # local import: readers depend on this module

    return _from_long(frame, source, first_line)


def _check_mergeable(profiles: list[Profile]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for p in profiles:
        for i in p.info:
            if i.profiler is None:
                continue
            family = i.profiler.split()[0].lower()
            db = i.database or ""
            for (fam, other_db), src in seen.items():
                if fam != family or (db and other_db and db != other_db):
                    a = f"{fam}{' ' + other_db if other_db else ''}"
                    b = f"{family}{' ' + db if db else ''}"
                    raise InputError(
                        f"cannot merge profiles from different databases: {a} ({src}) and {b}; "
                        "profile all samples with one profiler and database", i.source)
            seen.setdefault((family, db), i.source)
