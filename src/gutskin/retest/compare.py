"""Compare two or more tests of one person: what changed beyond usual variation, what did not, what cannot be known.

:func:`compare_tests` takes single-sample profiles in time order (optional dates and lab names) and returns a
:class:`~gutskin.retest.model.Retest`: one :class:`~gutskin.retest.model.PairComparison` per consecutive pair (and
first → last when there are three or more). No I/O here; faces read the files.

Rules, in order (see ``docs/retest.md``):

1. **Method differs** (16S amplicon vs shotgun metagenomics) → the pair is refused with the reason: the two
   methods measure different things, and no quantity survives.
2. **Profiler differs** (e.g. MetaPhlAn vs Kraken) → only share quantities (phyla, guilds, key genera) are compared,
   each with the caveat; diversity, indices and distances depend on the database's naming and are not compared.
3. **Profiler version or database differs** (MetaPhlAn 3 vs 4) → the same.
4. A lab or kit change can be stated (``labs``); by the NIST study it alone can be as large as two people's
   difference, so it is flagged first. When labs are not given the person is told gutskin cannot see them.
5. Very low depth (< 10,000 reads when counts are given) or a high unclassified share (> 50 %) is said; below
   1,000 reads richness is not compared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import pandas as pd

from .. import __version__
from ..profile import Profile, SampleInfo
from . import model as M
from .distances import profile_pair_distances
from .quantities import SHARE_FLOOR, fold, measure, spec
from .variability import Variability, family_of, load_variability, percentile_of
from .wording import direction_evidence, summarise

LOW_DEPTH = 10_000
VERY_LOW_DEPTH = 1_000
HIGH_UNCLASSIFIED = 0.5
SHARE_GROUPS = {"phylum", "guild", "taxon"}
RICHNESS = {"observed", "chao1", "ace"}
SERVETAS = ("by the NIST study (Servetas 2026) the same stool sent to different companies differed as much as "
            "two different people do")


def _norm(text: str | None) -> str:
    return (text or "").strip().lower()


def _total_reads(profile: Profile) -> float | None:
    return float(profile.values.sum()) if profile.is_counts else None


def test_info(profile: Profile, label: str, when: date | None = None, lab: str | None = None) -> M.TestInfo:
    info = profile.info[0]
    return M.TestInfo(label=label, sample=profile.samples[0], source=str(info.source).rsplit("/", 1)[-1],
                      date=when.isoformat() if when else None, lab=lab, method=info.method,
                      profiler=info.profiler, profiler_version=info.profiler_version, database=info.database,
                      unclassified_share=info.unclassified_share, total_reads=_total_reads(profile))


def _method(info: SampleInfo, profile: Profile) -> str:
    if info.method in ("16S", "shotgun"):
        return info.method
    return "shotgun" if "species" in profile.ranks else "16S"


def _flags(a: Profile, b: Profile, ta: M.TestInfo, tb: M.TestInfo) -> tuple[list[M.Flag], str, set[str]]:
    """Flags, a refusal reason ('' if none) and the quantity groups that survive."""
    ia, ib = a.info[0], b.info[0]
    flags: list[M.Flag] = []
    survive = {"alpha", "index", "phylum", "guild", "taxon", "distance", "panel"}
    ma, mb = _method(ia, a), _method(ib, b)
    if ma != mb:
        reason = (f"{ta.label} is {ma} and {tb.label} is {mb}: 16S amplicon sequencing reads one marker gene and "
                  "names mostly genera, shotgun metagenomics reads all DNA and names species; their diversities, "
                  "shares and indices are on different footings, so no quantity can be compared between them")
        flags.append(M.Flag(code="method_differs", severity="refusal", text=reason))
        return flags, reason, set()
    if ta.lab and tb.lab and _norm(ta.lab) != _norm(tb.lab):
        flags.append(M.Flag(code="lab_differs", severity="warning",
                            text=f"The tests come from different labs or kits ({ta.lab} → {tb.lab}); {SERVETAS}. "
                                 "Every change below may be the change of lab, not of your gut."))
    elif not (ta.lab and tb.lab):
        flags.append(M.Flag(code="lab_unknown", severity="note",
                            text="gutskin cannot see the lab or collection kit in the files. If they differ "
                                 f"between the tests, treat every change with caution: {SERVETAS}."))
    shares_only = False
    if _norm(ia.profiler) != _norm(ib.profiler):
        shares_only = True
        flags.append(M.Flag(code="profiler_differs", severity="warning",
                            text=f"Different profilers ({ia.profiler or 'unknown'} → {ib.profiler or 'unknown'}): "
                                 "diversity, indices and whole-community distances depend on the profiler's naming "
                                 "and are not compared; shares are compared with a caveat."))
    else:
        if _norm(ia.profiler_version) != _norm(ib.profiler_version):
            shares_only = True
            flags.append(M.Flag(code="version_differs", severity="warning",
                                text=f"Different {ia.profiler or 'profiler'} versions ({ia.profiler_version} → "
                                     f"{ib.profiler_version}): only shares are compared, with a caveat."))
        elif _norm(ia.database) != _norm(ib.database):
            shares_only = True
            flags.append(M.Flag(code="database_differs", severity="warning",
                                text=f"Different reference databases ({ia.database} → {ib.database}): only shares "
                                     "are compared, with a caveat."))
    if shares_only:
        survive &= SHARE_GROUPS
    for t in (ta, tb):
        if t.total_reads is not None and t.total_reads < LOW_DEPTH:
            flags.append(M.Flag(code="low_depth", severity="warning",
                                text=f"{t.label} has only {t.total_reads:,.0f} reads: small shares and richness are "
                                     "uncertain" + ("; richness is not compared" if t.total_reads < VERY_LOW_DEPTH
                                                    else "") + "."))
        if t.unclassified_share is not None and t.unclassified_share > HIGH_UNCLASSIFIED:
            flags.append(M.Flag(code="high_unclassified", severity="warning",
                                text=f"{t.label}: {t.unclassified_share:.0%} of reads were not classified; shares "
                                     "describe the classified part only."))
    return flags, "", survive


def _change_text(sp, before: float, after: float, change: float) -> str:
    if sp.scale in ("log", "logshare"):
        if sp.scale == "logshare" and max(before, after) < SHARE_FLOOR:
            return "absent or below 0.1 % both times"
        return f"×{fold(math.exp(change))}" if change >= 0 else f"÷{fold(math.exp(-change))}"
    return f"{change:+.3g}"


def _quantity(key: str, before: float, after: float, family: str, var: Variability, survive: set[str],
              caveat: str, low_depth: bool) -> M.QuantityChange:
    sp = spec(key)
    est = var.estimate(family, key)
    clean = [None if (v is None or not math.isfinite(v)) else float(v) for v in (before, after)]
    base = {"key": key, "label": sp.label, "group": sp.group, "scale": sp.scale, "before": clean[0],
            "after": clean[1]}
    if sp.group not in survive:
        why = ("its usual variation is known only against another healthy reference (see the notes above)"
               if sp.group == "panel" and "phylum" in survive else
               "not comparable after the change of profiler, version or database")
        return M.QuantityChange(**base, verdict=M.Verdict.cannot, reason=why)
    if None in clean:
        which = "both tests" if clean == [None, None] else "one test"
        why = ("needs integer read counts; a relative-abundance profile cannot give it" if key in ("chao1", "ace")
               else f"the analysis gives this panel no lean for {which}" if sp.group == "panel"
               else f"not computed, or not finite, for {which}")
        return M.QuantityChange(**base, verdict=M.Verdict.cannot, reason=why)
    if low_depth and key in RICHNESS:
        return M.QuantityChange(**base, verdict=M.Verdict.cannot, reason="richness needs more than 1,000 reads")
    change = sp.change(clean[0], clean[1])
    if math.isnan(change):
        return M.QuantityChange(**base, verdict=M.Verdict.cannot, reason="zero for one test, so no ratio")
    text = _change_text(sp, clean[0], clean[1], change)
    if est is None:
        return M.QuantityChange(**base, change=change, change_text=text, verdict=M.Verdict.cannot,
                                reason=var.why_no_estimate(family, key))
    limit = var.limit(family, key)
    verdict = M.Verdict.changed if abs(change) > limit else M.Verdict.within
    return M.QuantityChange(**base, change=change, change_text=text, usual_variation=limit,
                            mdc95=float(est["mdc95"]), verdict=verdict, reason=caveat,
                            evidence=direction_evidence(key) if sp.group == "taxon" else "")


def _distribution(block: dict | None) -> M.Distribution | None:
    if not block:
        return None
    p = block["percentiles"]
    return M.Distribution(n_pairs=block["n_pairs"], p5=p[5], p25=p[25], p50=p[50], p75=p[75], p95=p[95])


def _distances(a: Profile, b: Profile, family: str, var: Variability, survive: set[str]) -> list[M.DistanceChange]:
    out = []
    values = profile_pair_distances(a, b) if "distance" in survive else {}
    for metric in ("braycurtis", "aitchison"):
        sp = spec(metric)
        ref = var.distances(family, metric)
        same, diff = ref.get("same_person"), ref.get("different_people")
        value = values.get(metric)
        if "distance" not in survive:
            out.append(M.DistanceChange(metric=metric, label=sp.label, value=None, verdict=M.Verdict.cannot,
                                        reason="taxon naming differs between the tests"))
            continue
        if value is None or math.isnan(value) or not same:
            out.append(M.DistanceChange(metric=metric, label=sp.label, value=None if value is None or
                                        math.isnan(value) else value, verdict=M.Verdict.cannot,
                                        reason="no distance or no same-person distances for this method"))
            continue
        limit = same.get("limit", same["percentiles"][95])  # schema 2: the new-person quantile
        out.append(M.DistanceChange(
            metric=metric, label=sp.label, value=value,
            same_person_percentile=percentile_of(value, same["percentiles"]),
            different_people_percentile=percentile_of(value, diff["percentiles"]) if diff else None,
            usual_variation=limit, verdict=M.Verdict.changed if value > limit else M.Verdict.within,
            same_person=_distribution(same), different_people=_distribution(diff)))
    return out


def _measured(p: Profile, panels: bool, memo: dict | None) -> pd.DataFrame:
    """measure() once per test (the panels need the engine's full analysis, the slow part)."""
    if memo is None:
        return measure(p, panels=panels)
    key = (id(p), panels)
    if key not in memo:
        memo[key] = measure(p, panels=panels)
    return memo[key]


def compare_pair(a: Profile, b: Profile, ta: M.TestInfo, tb: M.TestInfo, ia: int, ib: int,
                 var: Variability | None = None, trial: dict | None = None,
                 memo: dict | None = None) -> M.PairComparison:
    """One pair of single-sample profiles (``a`` before ``b``)."""
    var = var or load_variability()
    flags, refusal, survive = _flags(a, b, ta, tb)
    if refusal:
        return M.PairComparison(before=ia, after=ib, status="refused", refusal=refusal, flags=flags,
                                unknowable=[f"Nothing: {refusal}."])
    family = family_of(a.info[0], a.ranks)
    caveat = ""
    if family == "shotgun" and not (_norm(a.info[0].profiler) == "metaphlan" and a.info[0].profiler_version == "3"):
        flags.append(M.Flag(code="borrowed_estimate", severity="note",
                            text="The usual variation comes from repeated MetaPhlAn 3 profiles; for this profiler "
                                 "it is an approximation."))
    if survive != {"alpha", "index", "phylum", "guild", "taxon", "distance", "panel"}:
        caveat = "compared across a change of profiler, version or database: a change may be the method's"
    low = any(t.total_reads is not None and t.total_reads < VERY_LOW_DEPTH for t in (ta, tb))
    # panel leans need the engine's full analysis; worth it only where their usual variation is known
    with_panels = family == "shotgun" and "panel" in survive and bool(var.family(family).get("panel_references"))
    ma, mb = _measured(a, with_panels, memo), _measured(b, with_panels, memo)
    va, vb = ma.iloc[0], mb.iloc[0]
    refs = {next(iter(m.attrs.get("reference", {}).values()), None) for m in (ma, mb)}
    estimated_with = set(var.family(family).get("panel_references", []))
    if with_panels and len(refs) > 1:
        survive = survive - {"panel"}
        flags.append(M.Flag(code="reference_differs", severity="note",
                            text="The skin panels of the two tests were measured against different healthy "
                                 "references, so their leans are not compared."))
    elif with_panels and not refs <= estimated_with:
        survive = survive - {"panel"}
        flags.append(M.Flag(code="reference_differs", severity="note",
                            text=f"The skin panels were measured against {', '.join(sorted(map(str, refs)))}; their "
                                 "usual variation was estimated against "
                                 f"{', '.join(sorted(estimated_with)) or 'no reference'}, so their leans are not "
                                 "compared."))
    keys = [k for k in va.index if k in vb.index]
    quantities = []
    for key in keys:
        sp = spec(key)
        if family == "16S" and sp.group == "index" and key in ("gmhi", "gmwi2"):
            continue  # defined on shotgun species only; the driver does not compute them for genus tables
        q = _quantity(key, float(va[key]), float(vb[key]), family, var, survive, caveat, low)
        if sp.group == "taxon" and q.verdict != M.Verdict.changed and max(q.before or 0, q.after or 0) < SHARE_FLOOR:
            continue  # a key genus absent from both tests says nothing
        quantities.append(q)
    if not with_panels:
        quantities.append(M.QuantityChange(
            key="panels", label="Skin panel leans", group="panel", scale="diff", before=None, after=None,
            verdict=M.Verdict.cannot,
            reason="their test–retest variation is estimated for shotgun profiles only" if family == "16S" else
            "not comparable after the change of profiler, version or database" if "panel" not in survive else
            "their test–retest variation has not been estimated for this build"))
    distances = _distances(a, b, family, var, survive)
    changed, unchanged, unknowable = summarise(quantities, distances, family)
    trial_text = _trial_text(trial, ta, tb)
    return M.PairComparison(before=ia, after=ib, status="compared", family=family, flags=flags,
                            quantities=quantities, distances=distances, changed=changed, unchanged=unchanged,
                            unknowable=unknowable, trial=trial_text)


def _trial_text(trial: dict | None, ta: M.TestInfo, tb: M.TestInfo) -> str:
    """A trial that ran between the two tests is named, without claiming it caused anything."""
    if not trial or not ta.date or not tb.date:
        return ""
    start, end = str(trial.get("start", "")), str(trial.get("end", ""))
    if not start or not (ta.date <= start <= tb.date):
        return ""
    food = trial.get("food", "a food")
    return (f"Your elimination trial of {food} ({start} to {end or 'ongoing'}) ran between these tests. Two stool "
            "tests cannot tell whether it caused any change above: the gut also moves on its own, and the trial's "
            "skin result is the one to go by.")


def compare_tests(profiles: Sequence[Profile], *, labels: Sequence[str] | None = None,
                  dates: Sequence[date | None] | None = None, labs: Sequence[str | None] | None = None,
                  trial: dict | None = None, variability: Variability | None = None) -> M.Retest:
    """Compare tests of one person given in time order (each a single-sample profile)."""
    if len(profiles) < 2:
        raise ValueError("a retest needs at least two tests")
    var = variability or load_variability()
    n = len(profiles)
    labels = list(labels) if labels else [f"Test {i + 1}" for i in range(n)]
    dates = list(dates) if dates else [None] * n
    labs = list(labs) if labs else [None] * n
    tests = [test_info(p, lab_, d, lb) for p, lab_, d, lb in zip(profiles, labels, dates, labs, strict=True)]
    pairs = [(i, i + 1) for i in range(n - 1)] + ([(0, n - 1)] if n > 2 else [])
    memo: dict = {}
    comparisons = [compare_pair(profiles[i], profiles[j], tests[i], tests[j], i, j, var, trial, memo)
                   for i, j in pairs]
    notes = [
        "“Usual variation” is how much the quantity moves between two tests of the same person when nothing was "
        "done, estimated from real repeated samples (see the method notes). A change inside it may be noise.",
        "About 1 in 20 quantities crosses its line by chance alone, so a single ‘changed’ among many is weak news.",
        var.data.get("first_for_indices", ""),
    ]
    return M.Retest(gutskin_version=__version__, variability_version=var.version, tests=tests,
                    comparisons=comparisons, anchors=[M.Anchor(**a) for a in var.anchors],
                    notes=[x for x in notes if x])


__all__ = ["compare_pair", "compare_tests", "test_info", "trial_from_plan"]


def trial_from_plan(plan: dict) -> dict:
    """The food and dates of an elimination-trial plan (the JSON ``gutskin trial plan`` writes)."""
    phases = plan.get("phases") or []
    return {"food": plan.get("food", "a food"), "start": phases[0].get("start") if phases else None,
            "end": phases[-1].get("end") if phases else None}
