"""Default schedules, analytic washout and lag assumptions for elimination-diet trials, by skin condition.

Every number here comes from the evidence notes in ``shared/research`` (``features.md`` sections 4–6 and
``skin_gut_evidence.md`` section 3c) or is a stated design choice of ours; the keys in :data:`SOURCES` say which.

Why these durations
-------------------
* Skin responds slowly. For **atopic eczema** the usual diagnostic elimination lasts 4–6 weeks and must be
  followed by a food challenge [AD-elim]; professional guidance caps a diagnostic diet at 6–8 weeks [BSACI];
  the randomised trials pooled by Oykhman 2022 eliminated for 2–32 weeks [ELIM-MA]. Reintroduction: eat the
  food 2–3 times a week for 2 weeks; a flare 1–2 days after each exposure suggests a trigger [ECO].
  Default 14 days baseline, 28 days elimination, 14 days reintroduction (the "ABA 14/28/14" design).
* **Acne** diet trials ran 8–12 weeks (low-glycaemic-load RCTs: 12 weeks [ACNE-LGL-SMITH], 10 weeks
  [ACNE-LGL-KWON], 8 weeks [ACNE-LGI-REYNOLDS]); lesions lag diet by days to weeks, so a one-week elimination is
  a screening step, not an answer [ACNE-RCT]. Default 14/42/28 (12 weeks in all, the longest trial length), which
  keeps the elimination inside the 6–8-week cap [BSACI].
* **Psoriasis** has no published food elimination–reintroduction protocol in our sources; skin turnover is slow,
  so we use the acne schedule (our choice, stated as such).
* **Rosacea** and anything else: the eczema-style 14/28/14 schedule.
* No phase is ever shorter than one week, the seed advice [SEED]; the elimination should not run past 8 weeks
  without a dietitian [BSACI].

Why these washout and lag values
--------------------------------
Skin does not switch with the diet. The analysis (see :mod:`gutskin.trial.analysis`) handles this twice:

* an **analytic washout**: the first ``washout_days`` of each phase that changes the diet are left out, because
  delayed reactions appear up to 48 h after eating [RPAH] (a flare 1–2 days after exposure [ECO]) — 2 days by
  default, 3 for the slow conditions;
* a **lag model**: the response approaches its new level exponentially with an unknown time constant, averaged
  over 0…``lag_max_days`` days (6 by default, 10 for acne and psoriasis, whose lesions take days to weeks
  [ACNE-RCT]). Adjusting for lag rather than throwing days away is what the N-of-1 literature advises against
  carry-over [SENN].
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import InputError

# Short keys → full citations (what the plan output and docs cite).
SOURCES: dict[str, str] = {
    "AD-elim": "AAD stepwise approach to food elimination in atopic dermatitis: 4–6-week diagnostic elimination "
               "followed by an oral food challenge (summary cited in shared/research/features.md §6 [AD-elim])",
    "AD-avoid": "Eigenmann PA et al., Pediatr Allergy Immunol 2020;31:19–26: avoidance diets do not cure atopic "
                "dermatitis and are indicated only after a confirmed challenge (features.md §6 [AD-avoid])",
    "BSACI": "BSACI 'Diagnostic diets' (bsaci.org, professional resources › food allergy): a set period not "
             "exceeding 6–8 weeks, dietitian-guided (skin_gut_evidence.md §3c)",
    "ECO": "Eczema Care Online 'food challenge' (eczemacareonline.org.uk/en/food-challenge): never cut more than "
           "one food at a time; reintroduce 2–3 times a week for 2 weeks; a flare 1–2 days after exposure "
           "suggests a trigger; cutting a food for more than 2 weeks: talk to a doctor or nurse first "
           "(skin_gut_evidence.md §3c)",
    "ELIM-MA": "Oykhman P et al., J Allergy Clin Immunol Pract 2022, PMID 35987995: elimination diets may "
               "slightly improve atopic dermatitis (low certainty); trial elimination periods 2–32 weeks "
               "(skin_gut_evidence.md §3c)",
    "ELIM-RISK-CHANG": "Chang A et al., J Allergy Clin Immunol Pract 2016: 19% of children on elimination "
                       "developed new immediate reactions, 30% of those anaphylaxis (skin_gut_evidence.md §3c)",
    "ACNE-LGL-SMITH": "Smith RN et al., Am J Clin Nutr 2007;86:107–115: low-glycaemic-load diet RCT, 12 weeks "
                      "(skin_gut_evidence.md §3b)",
    "ACNE-LGL-KWON": "Kwon HH et al., Acta Derm Venereol 2012;92:241–246: low-glycaemic-load diet RCT, 10 weeks "
                     "(skin_gut_evidence.md §3b)",
    "ACNE-LGI-REYNOLDS": "Reynolds RC et al., Nutrients 2010;2:1060–1072: low- vs high-GI diet RCT, 8 weeks "
                         "(skin_gut_evidence.md §3b)",
    "ACNE-RCT": "Acne diet trials run about 12 weeks and lesions lag diet by days to weeks; a one-week "
                "elimination is a screening step (features.md §5–6 [ACNE-RCT])",
    "RPAH": "Elimination diet (RPAH-style, secondary source): improvement usually within 2–4 weeks; reactions "
            "may be delayed up to 48 h (skin_gut_evidence.md §3c)",
    "SEED": "gutskin seed advice: at least one week per phase",
    "SENN": "Senn S, on N-of-1 washout: adequate washout is essential and pre-testing for carry-over is "
            "inappropriate (features.md §6 [SENN])",
    "AHRQ": "Kravitz RL, Duan N et al. Design and Implementation of N-of-1 Trials: A User's Guide. AHRQ 2014 "
            "(features.md §6 [AHRQ])",
    "CENT": "Vohra S et al. CONSORT extension for reporting N-of-1 trials (CENT) 2015, BMJ 2015;350:h1738 "
            "(features.md §6 [CENT])",
}

MIN_PHASE_DAYS = 7          # seed advice: never less than one week [SEED]
MAX_ELIMINATION_DAYS = 56   # 6–8-week cap on a diagnostic diet [BSACI]


@dataclass(frozen=True)
class ConditionDefaults:
    """Schedule and analysis defaults for one condition (all durations in days)."""

    condition: str
    baseline_days: int
    elimination_days: int
    reintroduction_days: int
    washout_days: int
    lag_max_days: int
    sources: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


_ECZEMA = ConditionDefaults(
    "atopic_dermatitis", 14, 28, 14, washout_days=2, lag_max_days=6,
    sources=("AD-elim", "BSACI", "ELIM-MA", "ECO", "RPAH", "SEED"),
    notes=(
        "Eczema guidance: a diagnostic elimination is followed by a food challenge; do not keep avoiding a food "
        "long term without a confirmed challenge [AD-avoid].",
        "Eczema Care Online advises talking to a doctor or nurse before cutting a food for more than 2 weeks "
        "[ECO].",
    ),
)
_ACNE = ConditionDefaults(
    "acne", 14, 42, 28, washout_days=3, lag_max_days=10,
    sources=("ACNE-LGL-SMITH", "ACNE-LGL-KWON", "ACNE-LGI-REYNOLDS", "ACNE-RCT", "BSACI", "SEED"),
    notes=("Acne lesions take days to weeks to follow a diet change; a one-week elimination only screens "
           "[ACNE-RCT].",),
)
_PSORIASIS = ConditionDefaults(
    "psoriasis", 14, 42, 28, washout_days=3, lag_max_days=10,
    sources=("BSACI", "SEED"),
    notes=("No published food elimination protocol for psoriasis was found; the slow acne schedule is used.",),
)
_ROSACEA = ConditionDefaults("rosacea", 14, 28, 14, washout_days=2, lag_max_days=6,
                             sources=("BSACI", "RPAH", "SEED"))
_OTHER = ConditionDefaults("other", 14, 28, 14, washout_days=2, lag_max_days=6,
                           sources=("AD-elim", "BSACI", "RPAH", "SEED"))

#: keyed by the knowledge base's condition ids (one condition vocabulary); conditions without a schedule of their
#: own use the generic one
CONDITIONS: dict[str, ConditionDefaults] = {d.condition: d for d in (_ECZEMA, _ACNE, _PSORIASIS, _ROSACEA, _OTHER)}
for _cid in ("hidradenitis_suppurativa", "chronic_spontaneous_urticaria", "seborrhoeic_dermatitis"):
    CONDITIONS[_cid] = replace(_OTHER, condition=_cid)

ALIASES: dict[str, str] = {
    "eczema": "atopic_dermatitis", "atopic-dermatitis": "atopic_dermatitis", "atopic dermatitis": "atopic_dermatitis",
    "ad": "atopic_dermatitis", "atopic_eczema": "atopic_dermatitis", "atopic eczema": "atopic_dermatitis",
    "dermatitis": "atopic_dermatitis",
    "acne_vulgaris": "acne", "acne vulgaris": "acne",
    "psoriasis_vulgaris": "psoriasis", "plaque_psoriasis": "psoriasis",
    "general": "other", "generic": "other", "skin": "other", "unspecified": "other",
}


def normalise_condition(name: str | None) -> str:
    """The knowledge base's condition id (``atopic_dermatitis``, ``acne``, ``psoriasis``, ``rosacea``, … or
    ``other``); ``eczema`` and other common names are accepted."""
    if name is None:
        return "other"
    key = " ".join(name.strip().lower().split())
    key = ALIASES.get(key, ALIASES.get(key.replace(" ", "_"), key))
    if key not in CONDITIONS:
        raise InputError(f"unknown condition {name!r}; expected one of {', '.join(sorted(CONDITIONS))} "
                         "(or eczema)", field="condition")
    return key


def defaults_for(condition: str | None) -> ConditionDefaults:
    """The :class:`ConditionDefaults` of ``condition`` (aliases accepted; ``None`` → ``other``)."""
    return CONDITIONS[normalise_condition(condition)]


# Outcome and covariate columns a diary may hold: (low, high, description). Values outside are refused.
KNOWN_COLUMNS: dict[str, tuple[float, float, str]] = {
    "skin_score": (0.0, 10.0, "overall skin today, self-rated: 0 = clear, 10 = worst ever"),
    "itch": (0.0, 10.0, "worst itch in the last 24 h (itch NRS): 0 = none, 10 = worst imaginable"),
    "lesions": (0.0, 1000.0, "count of spots / lesions today (optional)"),
    "adhered": (0.0, 1.0, "1 = followed the plan today, 0 = did not (e.g. ate the food while eliminating it)"),
    "stress": (0.0, 10.0, "stress today: 0 = none, 10 = extreme"),
    "sleep_hours": (0.0, 24.0, "hours slept last night (no longer asked: the analysis does not use it)"),
    "cycle_day": (1.0, 60.0, "day of the menstrual cycle (no longer asked: the analysis does not use it)"),
    "new_skincare": (0.0, 1.0, "1 = started a new skin product or treatment today"),
}
OUTCOME_COLUMNS = ("skin_score", "itch", "lesions")
COVARIATE_COLUMNS = ("stress", "new_skincare")  # asked because the analysis uses them (as warnings)
TEXT_COLUMNS = ("notes", "phase")  # free text; ``phase`` is pre-filled by the template, informational only
DEFAULT_MID = 1.0  # smallest change that matters on a 0–10 self-rating (our default; the person can change it)
