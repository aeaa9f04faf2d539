"""Taxonomy-only inputs (feature id → lineage) and attaching them to feature tables.

QIIME 2 keeps abundances (``FeatureTable``) and lineages (``FeatureData[Taxonomy]`` or an exported
``taxonomy.tsv``) apart; a user gives both files together.

Taxon strings seen in the wild, all parsed by :func:`lineage_from_taxonomy`:

* Greengenes 13_8 ``k__Bacteria; p__Bacteroidetes; …; g__Bacteroides; s__`` — ``"; "`` separators, empty
  trailing ranks, brackets (``c__[Rhodothermi]``) and a species *epithet only* (``s__uniformis``), which
  is joined to its genus (``Bacteroides uniformis``);
* Greengenes2 / GTDB ``d__Bacteria; p__Firmicutes_D; …; s__Phocaeicola_A_858004 vulgatus`` (kept verbatim:
  the suffixes name distinct taxa);
* SILVA ``D_0__Bacteria;D_1__…`` and plain rank-ordered lists;
* ``Unassigned`` (no lineage at all).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io import Peek, peek, read_text
from ..profile import Profile, ProfileBuilder
from ..taxonomy.taxon_strings import (  # noqa: F401 - re-exported: readers and tests import them from here
    _HAS_PREFIX,
    UNASSIGNED_WORDS,
    feature_rank,
    is_unassigned,
    lineage_from_taxonomy,
    parse_canonical,
    taxonomy_style,
)

FORMAT = "qiime2_taxonomy"
DESCRIPTION = "QIIME 2 taxonomy.tsv (Feature ID, Taxon[, Confidence]); give it with its feature table"

_ID_HEADERS = ("Feature ID", "#OTUID", "#OTU ID", "Feature.ID", "FeatureID", "OTU ID", "#Feature ID")


def _is_header(cols: list[str]) -> bool:
    return len(cols) >= 2 and cols[0] in _ID_HEADERS and cols[1].lower() in ("taxon", "taxonomy")


def _looks_like_taxon(cell: str) -> bool:
    cell = cell.strip()
    return bool(_HAS_PREFIX.match(cell)) or cell.lower() in ("unassigned", "unclassified")


def _headerless(lines: list[str]) -> bool:
    """QIIME 2's legacy and headerless taxonomy formats: ``<id><TAB><taxon>[<TAB>confidence]``, no header."""
    rows = [ln.rstrip("\r").split("\t") for ln in lines if ln.strip() and not ln.startswith("#")][:50]
    return bool(rows) and all(
        2 <= len(r) <= 3 and r[0].strip() and not _looks_like_taxon(r[0]) and _looks_like_taxon(r[1])
        and (len(r) == 2 or _is_float(r[2]) or not r[2].strip()) for r in rows)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def sniff(p: Peek) -> bool:
    if p.is_binary:
        return False
    first = next((ln for ln in p.lines if ln.strip()), "")
    cols = [c.strip() for c in first.split("\t")]
    return _is_header(cols) or _headerless(p.lines)


def is_taxonomy(path: str | Path) -> bool:
    """True for a taxonomy.tsv or a FeatureData[Taxonomy] artifact."""
    p = peek(path)
    if sniff(p):
        return True
    from . import qiime2

    return qiime2.is_taxonomy_artifact(p)


# ---------------------------------------------------------------------------------------------- loading
def _parse_taxonomy_tsv(text: str, path: Path) -> pd.Series:
    lines = text.split("\n")
    header_idx = None
    for i, ln in enumerate(lines):
        if ln.strip():
            header_idx = i
            break
    if header_idx is None:
        raise InputError("the taxonomy file is empty", path)
    header = [c.strip() for c in lines[header_idx].rstrip("\r").split("\t")]
    if not _is_header(header):
        if not _headerless(lines[header_idx:header_idx + 50]):
            raise InputError(f"expected a header 'Feature ID<TAB>Taxon[<TAB>Confidence]', found {header[:3]}",
                             path, header_idx + 1)
        header, header_idx = ["Feature ID", "Taxon"], header_idx - 1  # headerless: data from the first line
    ids: list[str] = []
    taxa: list[str] = []
    seen: dict[str, int] = {}
    for i in range(header_idx + 1, len(lines)):
        ln = lines[i].rstrip("\r")
        if not ln.strip() or ln.startswith("#"):  # '#q2:types' directives and comments
            continue
        cells = ln.split("\t")
        if len(cells) < 2:
            raise InputError("expected a feature id and a taxon separated by a tab", path, i + 1)
        fid, taxon = cells[0].strip(), cells[1].strip()
        if not fid:
            raise InputError("empty feature id", path, i + 1, header[0])
        if fid in seen:
            raise InputError(f"feature {fid!r} is listed twice (first on line {seen[fid]})", path, i + 1,
                             header[0])
        seen[fid] = i + 1
        try:
            lineage_from_taxonomy(taxon)
        except ValueError as exc:
            raise InputError(f"cannot read the taxon {taxon!r} ({exc})", path, i + 1, header[1]) from None
        ids.append(fid)
        taxa.append(taxon)
    if not ids:
        raise InputError("the taxonomy file has a header but no features", path)
    return pd.Series(taxa, index=pd.Index(ids, dtype=object, name="feature"), dtype=object, name="taxon")


def load_taxonomy(path: str | Path) -> pd.Series:
    """One taxonomy (a taxonomy.tsv or a FeatureData[Taxonomy] .qza): feature id → taxon string."""
    path = Path(path)
    p = peek(path)
    if sniff(p):
        return _parse_taxonomy_tsv(read_text(path), path)
    from . import qiime2

    if qiime2.is_taxonomy_artifact(p):
        return _parse_taxonomy_tsv(qiime2.taxonomy_text(path), path)
    raise InputError("not a taxonomy: expected a taxonomy.tsv (Feature ID, Taxon) or a QIIME 2 "
                     "FeatureData[Taxonomy] artifact", path)


def load_taxonomies(paths: list[Path]) -> pd.Series:
    """Feature id → taxon string from one or more taxonomies; the same id must not disagree."""
    merged: dict[str, str] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        path = Path(path)
        series = load_taxonomy(path)
        for fid, taxon in series.items():
            old = merged.get(fid)
            if old is not None and old != taxon:
                raise InputError(f"feature {fid!r} has taxon {old!r} in {origin[fid]} but {taxon!r} here; "
                                 "give one taxonomy per feature table", path)
            merged[fid] = taxon
            origin.setdefault(fid, path)
    return pd.Series(list(merged.values()), index=pd.Index(list(merged), dtype=object, name="feature"),
                     dtype=object, name="taxon")


def attach(profile: Profile, taxonomy: pd.Series, path: Path, taxonomy_path: str | Path | None = None) -> Profile:
    """Give every feature of a QIIME 2 / BIOM feature table its lineage from ``taxonomy``.

    Feature ids are the table's taxon keys. Features missing from the taxonomy are an error: a silent
    gap would drop their reads from every roll-up.
    """
    if profile.layout != "features":
        formats = sorted({i.format for i in profile.info})
        raise InputError(f"a taxonomy can only be attached to a feature table (QIIME 2 / BIOM), and this is "
                         f"a {', '.join(formats)} profile of clades", path)
    ids = [str(k) for k in profile.taxa.index]
    missing = [i for i in ids if i not in taxonomy.index]
    if missing:
        few = ", ".join(missing[:5])
        if taxonomy_path is None:
            raise InputError(f"{len(missing)} of {len(ids)} features are not in the taxonomy (e.g. {few}); "
                             "give the taxonomy made for this feature table", path)
        # the taxonomy is what falls short (damaged, or made for another table): name it, and the table
        raise InputError(f"lacks {len(missing)} of the {len(ids)} features of {path} (e.g. {few}); give the "
                         "taxonomy made for this feature table", taxonomy_path)
    builder = ProfileBuilder("features")
    old = profile.taxa
    for j, fid in enumerate(ids):
        taxon = taxonomy[fid]
        try:
            lineage = lineage_from_taxonomy(taxon)
        except ValueError as exc:
            raise InputError(f"cannot read the taxon {taxon!r} of feature {fid!r} ({exc})",
                             taxonomy_path or path) from None
        taxid = old["taxid"].iat[j]
        builder.add_taxon(lineage, feature_rank(lineage), str(old["name"].iat[j]),
                          None if pd.isna(taxid) else int(taxid), key=fid)
    style = taxonomy_style(taxonomy)
    info = []
    for i in profile.info:
        extra = dict(i.extra)
        extra["taxonomy"] = "attached"
        if style:
            extra["taxonomy_style"] = style
        method = i.method
        if method == "unknown" and style in ("greengenes", "greengenes2", "silva"):
            method = "16S"
            extra["method_reason"] = f"lineages come from a {style} 16S rRNA reference taxonomy"
        info.append(replace(i, method=method, extra=extra))
    for name, i in zip(profile.samples, info, strict=True):
        builder.add_sample(name, i)
    shell = builder.build()
    return Profile(profile.values, shell.samples, shell.taxa, shell.info, layout="features")


def read(path: Path, peek: Peek | None = None) -> Profile:
    raise InputError("this is a taxonomy (feature id → lineage) with no abundances; give it together "
                     "with its feature table", path)
