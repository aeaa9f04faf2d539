"""The versioned knowledge base: gut-skin evidence rows, markers, recommendation rules, questionnaire.

::

    from gutskin.knowledge import load_kb
    kb = load_kb()
    kb.associations(condition="psoriasis", feature="Faecalibacterium")
    kb.grade("psoriasis", "Faecalibacterium")      # derived grade with its conflict flag

See ``docs/knowledge-base.md`` for the schema, the grading rubric and the interfaces.
"""

from __future__ import annotations

from .base import KnowledgeBase, normalise_name
from .grading import RUBRIC, EvidenceRow, GradeSummary, grade_rows
from .loader import DATA_DIR, load_kb, validate_kb
from .questionnaire import Questionnaire, load_questionnaire, parse_questionnaire
from .schema import Association, Citation, Condition, Feature, Marker, RecommendationRule, Study

__all__ = [
    "DATA_DIR", "RUBRIC", "Association", "Citation", "Condition", "EvidenceRow", "Feature", "GradeSummary",
    "KnowledgeBase", "Marker", "Questionnaire", "RecommendationRule", "Study", "grade_rows", "load_kb",
    "load_questionnaire", "normalise_name", "parse_questionnaire", "validate_kb",
]
