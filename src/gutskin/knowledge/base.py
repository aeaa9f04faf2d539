"""The loaded knowledge base and the queries other parts of gutskin use.

Obtain one with :func:`gutskin.knowledge.load_kb`; every cross-reference in it has been checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ..taxonomy.synonyms import normalise
from .grading import EvidenceRow, GradeSummary, grade_rows, is_small, rows_from_associations
from .schema import (
    Association,
    Condition,
    Feature,
    FeatureKind,
    KBMeta,
    Marker,
    Population,
    RecommendationRule,
    Study,
)

#: Population filters: asking for one age group also returns rows that span or do not state ages.
_POPULATION_ALSO = {"mixed", "unspecified"}

_EFFECT_DIRECTION = {"benefit": "up", "association": "up", "no_effect": "no_difference", "harm": "down"}


# one comparison key for taxon names across gutskin (lower case, ``_`` as space, no rank prefix)
normalise_name = normalise


_ROWS_MEMO_LIMIT = 4096


@dataclass(eq=False)
class KnowledgeBase:
    """Conditions, features, studies, association rows, markers and recommendation rules, cross-checked."""

    meta: KBMeta
    conditions_by_id: dict[str, Condition]
    features_by_id: dict[str, Feature]
    studies_by_key: dict[str, Study]
    association_rows: list[Association]
    markers_by_id: dict[str, Marker]
    rules_by_id: dict[str, RecommendationRule]
    source_files: dict[str, str] = field(default_factory=dict)  # object id -> file it came from
    _names: dict[str, str] = field(default_factory=dict, repr=False)
    #: grades already derived, by (condition, feature, population, row count); see :meth:`grade`
    _grade_memo: dict[tuple, GradeSummary | None] = field(default_factory=dict, repr=False)
    #: (number of conditions, spelling -> condition id); see :meth:`resolve_condition`
    _condition_keys: tuple[int, dict[str, str]] | None = field(default=None, repr=False)
    #: association queries already answered, by their arguments and the row count; see :meth:`associations`
    _rows_memo: dict[tuple, tuple[Association, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for f in self.features_by_id.values():
            for n in (f.id, *f.all_names()):
                self._names.setdefault(normalise_name(n), f.id)
        for m in self.markers_by_id.values():
            if m.features:
                self._names.setdefault(normalise_name(m.id), m.features[0])

    # ------------------------------------------------------------------------------------ identity

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def date(self) -> str:
        return self.meta.date

    # ------------------------------------------------------------------------------------ conditions

    def conditions(self) -> list[Condition]:
        return list(self.conditions_by_id.values())

    def condition(self, condition_id: str) -> Condition:
        key = self.resolve_condition(condition_id)
        if key is None:
            raise KeyError(f"unknown condition {condition_id!r}; known: {', '.join(self.conditions_by_id)}")
        return self.conditions_by_id[key]

    def resolve_condition(self, name: str) -> str | None:
        """Condition id for an id, name or alias (case-insensitive), or None."""
        wanted = normalise_name(name).replace("-", " ")
        # every condition's spellings, worked out once per set of conditions (a report resolves a few
        # conditions thousands of times); rebuilt if conditions were added after loading
        if self._condition_keys is None or self._condition_keys[0] != len(self.conditions_by_id):
            keys: dict[str, str] = {}
            for c in self.conditions_by_id.values():
                for k in (c.id, c.name, *c.aliases):
                    keys.setdefault(normalise_name(k).replace("-", " "), c.id)
            self._condition_keys = (len(self.conditions_by_id), keys)
        return self._condition_keys[1].get(wanted)

    # ------------------------------------------------------------------------------------ features

    def features(self, kind: str | FeatureKind | None = None) -> list[Feature]:
        """Unique features, each with rank, NCBI taxid (when known) and synonyms."""
        out = list(self.features_by_id.values())
        if kind is not None:
            out = [f for f in out if f.kind == kind]
        return out

    def feature(self, key: str) -> Feature:
        fid = self.resolve_feature(key)
        if fid is None:
            raise KeyError(f"unknown feature {key!r}")
        return self.features_by_id[fid]

    def resolve_feature(self, key: str) -> str | None:
        """Feature id for a feature id, marker id (M01…), taxon name or synonym in any naming, or None.

        Names are compared case-insensitively, with ``_`` read as a space and rank prefixes (``s__``) dropped,
        so ``s__Eubacterium_rectale`` and ``Agathobacter rectalis`` both resolve.
        """
        if key in self.features_by_id:
            return key
        if key in self.markers_by_id and self.markers_by_id[key].features:
            return self.markers_by_id[key].features[0]
        return self._names.get(normalise_name(key))

    def feature_by_taxid(self, taxid: int) -> Feature | None:
        for f in self.features_by_id.values():
            if f.ncbi_taxid == taxid:
                return f
        return None

    def descendants(self, feature_id: str) -> list[str]:
        """Feature ids below ``feature_id`` through ``parent`` links (species of a genus), not itself."""
        out: list[str] = []
        frontier = [feature_id]
        while frontier:
            cur = frontier.pop()
            kids = [f.id for f in self.features_by_id.values() if f.parent == cur]
            out.extend(kids)
            frontier.extend(kids)
        return out

    # ------------------------------------------------------------------------------------ studies

    def study(self, key: str) -> Study:
        return self.studies_by_key[key]

    def studies(self) -> list[Study]:
        return list(self.studies_by_key.values())

    # ------------------------------------------------------------------------------------ associations

    def associations(
        self,
        condition: str | None = None,
        feature: str | None = None,
        *,
        population: str | Population | None = None,
        grade: str | None = None,
        include_descendants: bool = False,
    ) -> list[Association]:
        """Association rows, optionally filtered.

        ``condition`` and ``feature`` accept ids, names or synonyms. ``population`` keeps rows for that age
        group plus rows that span ages or do not state them. ``include_descendants`` adds rows on finer
        features (a genus also gets its species' rows).
        """
        # a report asks the same few hundred questions for every sample (each panel, each feature); a scan of
        # every row with its population worked out was most of building the panels. The row count in the key
        # keeps a knowledge base grown after loading from answering from a stale list
        key = (condition, feature, None if population is None else str(population), grade, include_descendants,
               len(self.association_rows))
        hit = self._rows_memo.get(key)
        if hit is None:
            if len(self._rows_memo) >= _ROWS_MEMO_LIMIT:  # a server answering arbitrary queries does not grow
                self._rows_memo.clear()
            hit = self._rows_memo[key] = tuple(self._associations(condition, feature, population, grade,
                                                                   include_descendants))
        return list(hit)

    def _associations(self, condition: str | None, feature: str | None, population: str | Population | None,
                      grade: str | None, include_descendants: bool) -> list[Association]:
        rows = self.association_rows
        if condition is not None:
            cid = self.resolve_condition(condition)
            rows = [a for a in rows if a.condition == cid]
        if feature is not None:
            fid = self.resolve_feature(feature)
            wanted = {fid} | (set(self.descendants(fid)) if include_descendants and fid else set())
            rows = [a for a in rows if a.feature in wanted]
        if population is not None:
            pop = Population(population).value
            rows = [a for a in rows if a.effective_population.value in ({pop} | _POPULATION_ALSO)]
        if grade is not None:
            rows = [a for a in rows if a.grade == grade.upper()]
        return list(rows)

    def association(self, association_id: str) -> Association:
        for a in self.association_rows:
            if a.id == association_id:
                return a
        raise KeyError(f"unknown association {association_id!r}")

    # ------------------------------------------------------------------------------------ grades

    def grade(
        self,
        condition: str,
        feature: str,
        *,
        population: str | Population | None = None,
        include_descendants: bool = True,
    ) -> GradeSummary | None:
        """Derived grade for one feature in one condition, with its conflict flag; None when there are no rows.

        The one grading path: every caller (``kb grades``, skin panels, reports) gets the same answer. Rows on
        finer features (species of a genus) are always included — shown, able to reveal a disagreement, never
        counted towards replication — so ``include_descendants`` is accepted for compatibility and ignored.
        """
        del include_descendants  # one code path for grades everywhere
        cid = self.resolve_condition(condition)
        fid = self.resolve_feature(feature)
        if cid is None or fid is None:
            return None
        pop = None if population is None else Population(population).value
        # a report grades the same pairs for every sample: remember each answer (a GradeSummary is frozen; the
        # row count in the key keeps a knowledge base grown after loading from reading a stale grade)
        key = (cid, fid, pop, len(self.association_rows))
        memo = self._grade_memo
        if key not in memo:
            rows = self.associations(cid, fid, population=population, include_descendants=True)
            memo[key] = self._flag(grade_rows(rows_from_associations(rows, fid), condition=cid, feature=fid,
                                              population=pop)) if rows else None
        return memo[key]

    def _flag(self, summary: GradeSummary) -> GradeSummary:
        """Mark features the condition lists as not to be scored (the grade stays what the evidence says)."""
        cond = self.conditions_by_id.get(summary.condition or "")
        if cond is None or summary.feature not in cond.avoid_as_marker:
            return summary
        return replace(summary, marker_to_avoid=True,
                       rationale=summary.rationale + "; not used as a marker for this condition (conditions.yaml: "
                                                     "avoid_as_marker)")

    def ancestors(self, feature_id: str) -> list[str]:
        """Feature ids above ``feature_id`` through ``parent`` links (genus of a species), nearest first."""
        out: list[str] = []
        cur = self.features_by_id[feature_id].parent
        while cur is not None and cur not in out:
            out.append(cur)
            cur = self.features_by_id[cur].parent
        return out

    def grades(
        self,
        condition: str | None = None,
        *,
        by_population: bool = False,
        include_descendants: bool = True,
    ) -> list[GradeSummary]:
        """Derived grades for every (condition, feature) pair that has rows.

        With ``include_descendants`` (default) a genus also gets its species' rows (and a genus with only species
        rows gets a summary of its own), so disagreeing species show up as a genus-level conflict. With
        ``by_population`` one summary per age group is added for pairs whose rows span several groups.
        """
        include_descendants = True  # one code path for grades everywhere (see grade())
        cid = self.resolve_condition(condition) if condition else None
        base = self.associations(cid) if condition else self.association_rows
        pairs: dict[tuple[str, str], None] = {}
        for a in base:
            pairs[(a.condition, a.feature)] = None
            if include_descendants:
                for anc in self.ancestors(a.feature):
                    pairs[(a.condition, anc)] = None
        out = []
        for c, fid in pairs:
            rows = self.associations(c, fid, include_descendants=include_descendants)
            out.append(self._flag(grade_rows(rows_from_associations(rows, fid), condition=c, feature=fid)))
            if by_population:
                pops = {a.effective_population.value for a in rows} - _POPULATION_ALSO
                if len(pops) > 1:
                    for pop in sorted(pops):
                        sub = [a for a in rows if a.effective_population.value in ({pop} | _POPULATION_ALSO)]
                        out.append(self._flag(grade_rows(rows_from_associations(sub, fid), condition=c,
                                                         feature=fid, population=pop)))
        return out

    def conflicts(self, condition: str | None = None) -> list[GradeSummary]:
        return [g for g in self.grades(condition) if g.conflict]

    # ------------------------------------------------------------------------------------ markers & rules

    def markers(self) -> list[Marker]:
        return list(self.markers_by_id.values())

    def marker(self, marker_id: str) -> Marker:
        return self.markers_by_id[marker_id]

    def rules(self, condition: str | None = None) -> list[RecommendationRule]:
        out = list(self.rules_by_id.values())
        if condition is not None:
            cid = self.resolve_condition(condition)
            out = [r for r in out if not r.conditions or cid in r.conditions]
        return out

    def rule(self, rule_id: str) -> RecommendationRule:
        return self.rules_by_id[rule_id]

    def rule_evidence_rows(self, rule: RecommendationRule) -> list[EvidenceRow]:
        """Evidence links as rows for grading; links about safety are cited but do not grade the benefit."""
        links = [e for e in rule.evidence if e.outcome != "safety"] or list(rule.evidence)
        pooled_by = {k: self.studies_by_key[e.study].cohort_key for e in links
                     for k in self.studies_by_key[e.study].pools}
        rows = []
        for link in links:
            study = self.studies_by_key[link.study]
            rows.append(EvidenceRow(id=link.study, direction=_EFFECT_DIRECTION[link.effect],
                                    grade=study.grade_cap, cohort=pooled_by.get(link.study, study.cohort_key),
                                    weight=0.5 if is_small(study) else 1.0))
        return rows

    def rule_grade(self, rule: RecommendationRule) -> GradeSummary:
        """Grade derived from a rule's evidence links (the stored grade may be lower, never higher)."""
        return grade_rows(self.rule_evidence_rows(rule), feature=rule.id)

    # ------------------------------------------------------------------------------------ look-up by id

    def get(self, key: str) -> tuple[str, Any]:
        """(kind, object) for any id in the knowledge base: association, feature, study, condition, marker, rule."""
        for a in self.association_rows:
            if a.id == key:
                return "association", a
        if key in self.rules_by_id:
            return "rule", self.rules_by_id[key]
        if key in self.markers_by_id:
            return "marker", self.markers_by_id[key]
        if key in self.studies_by_key:
            return "study", self.studies_by_key[key]
        if key in self.conditions_by_id:
            return "condition", self.conditions_by_id[key]
        fid = self.resolve_feature(key)
        if fid is not None:
            return "feature", self.features_by_id[fid]
        cid = self.resolve_condition(key)
        if cid is not None:
            return "condition", self.conditions_by_id[cid]
        raise KeyError(key)

    def counts(self) -> dict[str, int]:
        return {
            "conditions": len(self.conditions_by_id),
            "features": len(self.features_by_id),
            "studies": len(self.studies_by_key),
            "associations": len(self.association_rows),
            "markers": len(self.markers_by_id),
            "rules": len(self.rules_by_id),
        }

    def cited_study_keys(self) -> set[str]:
        used = {a.study for a in self.association_rows}
        for m in self.markers_by_id.values():
            used.update(m.citations)
        for c in self.conditions_by_id.values():
            used.update(c.citations)
        for r in self.rules_by_id.values():
            used.update(e.study for e in r.evidence)
        for f in self.features_by_id.values():
            used.update(rv.source for rv in f.reference_values)
        return used

    def iter_citations(self) -> Iterable[tuple[str, Study]]:
        for key in sorted(self.cited_study_keys()):
            yield key, self.studies_by_key[key]
