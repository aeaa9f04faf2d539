"""Per-sample insight: where a sample's gut features sit in the evidence, per skin condition, and what to do.

    from gutskin.insights import analyze
    result = analyze(profile, questionnaire)      # panels per condition + recommendations
"""

from __future__ import annotations

from .analysis import Insights, analyze
from .recommend import Findings, Recommendation, evaluate_rules, recommend

__all__ = ["Findings", "Insights", "Recommendation", "analyze", "evaluate_rules", "recommend"]
