"""``gutskin cohort compare``: two groups of a scored cohort, metric by metric and feature by feature.

For every numeric column of the scores table (metrics, indices, composition, knowledge-base taxa from
``cohort score --features``; percentile and interval columns are left out, they restate the metrics):

* the median of each group and their difference (B − A);
* Cliff's delta, P(B > A) − P(B < A) = 2·AUC − 1, a rank effect size that needs no distribution assumption
  (microbiome measures are skewed and zero-inflated), with a 95 % interval from the Hanley–McNeil
  standard error of the AUC;
* the two-sided Mann–Whitney U p-value and the Benjamini–Hochberg q-value across all variables.

Written as ``compare.tsv`` and a forest plot of the deltas (``compare.svg``, ``compare.png``).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from ..io import atomic_path, write_atomic
from .scoring import ID_COLUMNS, read_scores

SKIP_SUFFIXES = ("_percentile", "_ci_low", "_ci_high", "_coverage")
COLUMNS = ["variable", "kind", "n_a", "n_b", "median_a", "median_b", "median_difference", "cliffs_delta",
           "delta_ci_low", "delta_ci_high", "p_value", "q_value"]


@dataclass
class CompareResult:
    table: pd.DataFrame
    a: str
    b: str
    n_a: int
    n_b: int

    @property
    def n_variables(self) -> int:
        return len(self.table)

    @property
    def n_significant(self) -> int:
        return int((self.table["q_value"] < 0.05).sum())


def read_metadata(path: Path, id_column: str | None) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("file not found", path)
    try:
        text_head = path.read_text(encoding="utf-8-sig", errors="replace")[:4096]
        sep = "\t" if text_head.count("\t") >= text_head.count(",") else ","
        meta = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=True, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the metadata table ({exc})", path) from None
    col = id_column or meta.columns[0]
    if col not in meta.columns:
        raise InputError(f"no column {col!r}; columns are {', '.join(map(str, meta.columns))}", path,
                         field="--id-column")
    meta = meta.set_index(col)
    meta.index = meta.index.astype(str)
    if meta.index.duplicated().any():
        dup = meta.index[meta.index.duplicated()][0]
        raise InputError(f"sample {dup!r} appears twice in the metadata", path, field=col)
    return meta


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
    """(delta, ci_low, ci_high, p) for B against A: delta = 2·AUC − 1, where AUC = P(B > A) + ½ P(B = A)."""
    n1, n2 = a.size, b.size
    u = stats.mannwhitneyu(b, a, alternative="two-sided")
    auc = u.statistic / (n1 * n2)
    # Hanley & McNeil (1982): the variance of the AUC from its two rank components
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n2 - 1) * (q1 - auc * auc) + (n1 - 1) * (q2 - auc * auc)) / (n1 * n2)
    se = float(np.sqrt(max(var, 0.0)))
    lo, hi = max(0.0, auc - 1.959963984540054 * se), min(1.0, auc + 1.959963984540054 * se)
    return 2 * auc - 1, 2 * lo - 1, 2 * hi - 1, float(u.pvalue)


def compare(scores: pd.DataFrame, labels: pd.Series, a: str, b: str) -> CompareResult:
    """Compare samples labelled ``a`` with those labelled ``b`` on every numeric column of ``scores``."""
    labels = labels.reindex(scores.index)
    in_a = (labels == a).to_numpy()
    in_b = (labels == b).to_numpy()
    rows = []
    for col in scores.columns:
        if col in ID_COLUMNS or col.endswith(SKIP_SUFFIXES) or col == "warnings":
            continue
        values = pd.to_numeric(scores[col], errors="coerce").to_numpy(dtype=np.float64)
        if not np.isfinite(values).any():
            continue
        va = values[in_a & np.isfinite(values)]
        vb = values[in_b & np.isfinite(values)]
        row = {"variable": col, "kind": _kind(col), "n_a": va.size, "n_b": vb.size,
               "median_a": np.nan, "median_b": np.nan, "median_difference": np.nan, "cliffs_delta": np.nan,
               "delta_ci_low": np.nan, "delta_ci_high": np.nan, "p_value": np.nan}
        if va.size and vb.size:
            row["median_a"], row["median_b"] = float(np.median(va)), float(np.median(vb))
            row["median_difference"] = row["median_b"] - row["median_a"]
            if np.ptp(np.concatenate([va, vb])) > 0:
                d, lo, hi, p = cliffs_delta(va, vb)
                row.update(cliffs_delta=d, delta_ci_low=lo, delta_ci_high=hi, p_value=p)
        rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS[:-1])
    ok = table["p_value"].notna().to_numpy()
    q = np.full(len(table), np.nan)
    if ok.any():
        q[ok] = stats.false_discovery_control(table.loc[ok, "p_value"].to_numpy(), method="bh")
    table["q_value"] = q
    table = table.sort_values(["q_value", "p_value"], kind="stable", na_position="last").reset_index(drop=True)
    return CompareResult(table, a, b, int(in_a.sum()), int(in_b.sum()))


def _kind(col: str) -> str:
    if col.startswith("kb."):
        return "knowledge-base taxon"
    if col.startswith("phylum.") or col == "fb_ratio":
        return "composition"
    if col.startswith("guild."):
        return "guild"
    if col in ("gmhi", "gmwi2", "gevers_md", "hmp2_dysbiosis", "hmp2_dysbiotic"):
        return "index"
    return "diversity"


def compare_files(scores_path: str | os.PathLike[str], metadata_path: str | os.PathLike[str], group: str,
                  out: str | os.PathLike[str], *, groups: str | None = None,
                  id_column: str | None = None) -> CompareResult:
    scores = read_scores(scores_path)
    meta = read_metadata(Path(metadata_path), id_column)
    if group not in meta.columns:
        raise InputError(f"no column {group!r}; columns are {', '.join(map(str, meta.columns))}", metadata_path,
                         field="--group")
    labels = meta[group].reindex(scores.index)
    missing = int(labels.isna().sum())
    if missing == len(scores):
        raise InputError("no sample of the scores table is named in the metadata; check --id-column",
                         metadata_path)
    if groups:
        parts = [g.strip() for g in groups.split(",")]
        if len(parts) != 2:
            raise InputError("give two values, 'A,B'", field="--groups")
        present = set(labels.dropna())
        for g in parts:
            if g not in present:
                raise InputError(f"no scored sample has {group} = {g!r}; values are {', '.join(sorted(present))}",
                                 field="--groups")
        a, b = parts
    else:
        values = sorted(labels.dropna().unique())
        if len(values) != 2:
            raise InputError(f"column {group!r} has {len(values)} values among the scored samples "
                             f"({', '.join(values[:10])}); choose two with --groups A,B", field="--group")
        a, b = values
    result = compare(scores, labels, a, b)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "compare.tsv") as tmp:
        result.table.to_csv(tmp, sep="\t", index=False, na_rep="", float_format="%.6g")
    write_atomic(folder / "compare.svg", forest_svg(result))
    with atomic_path(folder / "compare.png") as tmp:
        forest_png(result, tmp)
    return result


# ---------------------------------------------------------------------------------------------- plots
_W, _LABEL, _ROW, _TOP = 860, 330, 18, 56


def _plot_rows(result: CompareResult, limit: int = 40) -> pd.DataFrame:
    t = result.table.dropna(subset=["cliffs_delta"])
    return t.head(limit)


def forest_svg(result: CompareResult, limit: int = 40) -> str:
    """Forest plot: Cliff's delta with its 95 % interval for the ``limit`` variables with the smallest q."""
    rows = _plot_rows(result, limit)
    height = _TOP + _ROW * max(len(rows), 1) + 40
    x0, x1 = _LABEL, _W - 30

    def sx(d: float) -> float:
        return x0 + (d + 1) / 2 * (x1 - x0)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" viewBox="0 0 {_W} {height}" '
           'font-family="sans-serif" font-size="12" role="img">',
           f"<title>{html.escape(result.b)} vs {html.escape(result.a)}: Cliff's delta per variable</title>",
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="20" font-size="14" font-weight="bold">{html.escape(result.b)} (n={result.n_b}) vs '
           f"{html.escape(result.a)} (n={result.n_a}): Cliff's delta, 95 % interval</text>",
           f'<text x="10" y="38" fill="#555">filled: BH q &lt; 0.05; right of 0: higher in {html.escape(result.b)}'
           "</text>"]
    for tick in (-1, -0.5, 0, 0.5, 1):
        x = sx(tick)
        out.append(f'<line x1="{x:.1f}" y1="{_TOP - 6}" x2="{x:.1f}" y2="{height - 30}" stroke="'
                   f'{"#333" if tick == 0 else "#ddd"}"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 14}" text-anchor="middle">{tick:g}</text>')
    for i, r in enumerate(rows.itertuples(index=False)):
        y = _TOP + _ROW * i + _ROW / 2
        sig = r.q_value < 0.05
        colour = "#b2182b" if r.cliffs_delta > 0 else "#2166ac"
        out.append(f'<text x="{_LABEL - 8}" y="{y + 4:.1f}" text-anchor="end">{html.escape(r.variable[:48])}</text>')
        out.append(f'<line x1="{sx(r.delta_ci_low):.1f}" y1="{y:.1f}" x2="{sx(r.delta_ci_high):.1f}" y2="{y:.1f}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<circle cx="{sx(r.cliffs_delta):.1f}" cy="{y:.1f}" r="4" stroke="{colour}" '
                   f'fill="{colour if sig else "white"}"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def forest_png(result: CompareResult, path: str, limit: int = 40) -> None:
    """The same forest plot as a PNG (drawn with Pillow)."""
    from PIL import Image, ImageDraw

    rows = _plot_rows(result, limit)
    height = _TOP + _ROW * max(len(rows), 1) + 40
    img = Image.new("RGB", (_W, height), "white")
    draw = ImageDraw.Draw(img)
    x0, x1 = _LABEL, _W - 30

    def sx(d: float) -> float:
        return x0 + (d + 1) / 2 * (x1 - x0)

    draw.text((10, 10), f"{result.b} (n={result.n_b}) vs {result.a} (n={result.n_a}): Cliff's delta, 95% interval",
              fill="black")
    draw.text((10, 28), f"filled: BH q < 0.05; right of 0: higher in {result.b}", fill="#555555")
    for tick in (-1, -0.5, 0, 0.5, 1):
        x = sx(tick)
        draw.line([(x, _TOP - 6), (x, height - 30)], fill="#333333" if tick == 0 else "#dddddd")
        draw.text((x - 8, height - 24), f"{tick:g}", fill="black")
    for i, r in enumerate(rows.itertuples(index=False)):
        y = _TOP + _ROW * i + _ROW / 2
        colour = "#b2182b" if r.cliffs_delta > 0 else "#2166ac"
        label = r.variable[:48]
        width = draw.textlength(label)
        draw.text((_LABEL - 8 - width, y - 6), label, fill="black")
        draw.line([(sx(r.delta_ci_low), y), (sx(r.delta_ci_high), y)], fill=colour, width=2)
        cx = sx(r.cliffs_delta)
        draw.ellipse([(cx - 4, y - 4), (cx + 4, y + 4)], outline=colour,
                     fill=colour if r.q_value < 0.05 else "white")
    img.save(path, format="PNG")
