"""Every fixed sentence a report shows, in one place (section titles and leads, labels, limits).

The builder (:mod:`.build`) fills numbers into the templates here; renderers add no words of their own
beyond layout labels. Change wording here, and only here.
"""

from __future__ import annotations

import functools
import re

NOT_AVAILABLE = "not available in this version"

#: section id -> (title, lead)
SECTIONS = {
    "summary": ("The main points",
                "The few things that matter most in this report, most important first. Each links to its details."),
    "diversity": ("Diversity compared with healthy people",
                  "Diversity describes how many different microbes live in your gut and how evenly they share it. "
                  "Each chart shows the spread of healthy people as a shaded shape and where you are as an orange "
                  "marker. Higher diversity is common in healthy adults, but on its own it is a weak sign: the "
                  "published health indices below do better at telling health from disease."),
    "composition": ("What your gut community is made of",
                    "Microbes are grouped in families of relatives. Phyla are the broadest groups; genera are closer "
                    "relatives. Shares are of the part of the sample the profiler could name. Where the reference "
                    "knows a genus, the blue bar shows the typical range (10th to 90th percentile) among healthy "
                    "people who carry it."),
    "key_taxa": ("Key microbes and groups",
                 "Groups of microbes that share a job (for example making butyrate, a fuel for gut-lining cells) "
                 "and single microbes that studies single out. The strip under each one shows where you fall "
                 "among healthy people: the orange dot is you, the black line the uncertainty of that estimate."),
    "indices": ("Published gut health indices",
                "Scores from published studies that summarise a whole profile in one number. They were built to "
                "tell people without a recorded disease from people with gut, metabolic or other diseases. "
                "None was developed with skin conditions, and their training data contain no one with psoriasis, "
                "eczema, acne or rosacea."),
    "skin": ("Skin conditions: what studies of the gut report",
             "For each skin condition, what studies comparing people with and without it found in the gut, "
             "with the strength of the evidence (grade A strongest to D weakest) and its sources. Where "
             "studies disagree, both sides are shown. None of this says whether you have a condition."),
    "recommendations": ("What you could try",
                        "Suggestions matched to your results and answers, each with the strength of its evidence, "
                        "safety notes and sources. They are options to discuss, not treatment. Change one thing at "
                        "a time so you can tell what helped."),
    "trial": ("Testing a suspected food: an elimination trial",
              "The only way to know whether a food affects your skin is to test it fairly: avoid it for a set "
              "time, then bring it back, and score your skin every day. gutskin plans such trials one food at "
              "a time and analyses the diary."),
    "methods": ("Methods, sources and limits",
                "Where every number in this report came from, and what a stool profile cannot tell."),
}

METRICS = {
    "shannon": ("Shannon diversity",
                "How many kinds of microbes there are and how evenly they share the gut, in one number "
                "(natural log). Higher means a richer, more even community."),
    "observed": ("Species found",
                 "How many species the profiler detected. It depends on how deeply the sample was sequenced "
                 "and on the profiler's database, so compare it only with references made the same way."),
    "inv_simpson": ("Inverse Simpson",
                    "Roughly how many equally common species would give the same diversity. It is driven by "
                    "the most common species, so one dominant microbe pulls it down."),
    "pielou": ("Evenness (Pielou)",
               "How evenly the community is spread, from 0 (one species dominates) to 1 (all equally common)."),
}
#: the same words where diversity was measured on genera (a genus-only table: 16S genus exports)
METRICS_AT_GENUS = {
    "observed": ("Genera found",
                 "How many genera the profile holds. It depends on how deeply the sample was sequenced and on the "
                 "database used, so compare it only with references made the same way."),
    "inv_simpson": ("Inverse Simpson",
                    "Roughly how many equally common genera would give the same diversity. It is driven by the "
                    "most common genera, so one dominant microbe pulls it down."),
    "pielou": ("Evenness (Pielou)",
               "How evenly the community is spread, from 0 (one genus dominates) to 1 (all equally common)."),
}


def metric_words(key: str, rank: str | None) -> tuple[str, str]:
    """Label and meaning of a diversity metric, in the words of the rank it was measured at."""
    if rank == "genus" and key in METRICS_AT_GENUS:
        return METRICS_AT_GENUS[key]
    return METRICS[key]


#: what each index measures, in words (title, citation and cut-off come from the index module's own metadata)
INDEX_MEANINGS = {
    "gmhi": ("Weighs 7 species seen more often in healthy people against 43 seen more often in people with one "
             "of 12 diseases or an unhealthy weight (Gupta et al. 2020, 4,347 stool metagenomes from 34 "
             "studies). Above 0 leans towards the healthy group, below 0 towards the disease group. It "
             "classified about 70% of people correctly, so many healthy people score below 0."),
    "gmwi2": ("A statistical model trained on 8,069 stool metagenomes from 54 studies to tell people with no "
              "recorded disease from people with one of 11 diseases (Chang et al. 2024). Above 0 leans towards "
              "the healthy group. It was right for about 80% of people in cross-validation and about 72% in "
              "new cohorts."),
    "gevers_md": ("The log ratio of genera that were more common to genera that were less common in children "
                  "with newly diagnosed Crohn's disease (Gevers et al. 2014). Higher means more like that "
                  "pattern. It was built on 16S genus profiles and has no cut-off for health."),
    "hmp2_dysbiosis": ("How far this community is from healthy people's: the median Bray–Curtis distance to the "
                       "reference people's profiles (Lloyd-Price et al. 2019). Above the reference's own 90th "
                       "percentile counts as dysbiotic."),
}

LIMITATIONS = [
    "This report is not a diagnosis and not medical advice. It cannot tell you whether you have, or will get, "
    "any skin or gut condition.",
    "A stool profile is a snapshot of one sample on one day. Diet, medicines (especially antibiotics), travel "
    "and illness change it, and two samples from the same week can differ.",
    "Shares are relative: when one microbe takes up more of the sample, every other share falls, even if "
    "their actual numbers did not change.",
    "A stool profile cannot detect small-intestinal bacterial overgrowth (SIBO), stomach infection with "
    "Helicobacter pylori, food allergy or intolerance, a 'leaky gut', or inflammation. Those need tests "
    "arranged by a clinician.",
    "Gut–skin findings come from studies comparing groups of people. Most are small, and many disagree. They "
    "show associations, not causes, and do not say what will happen for one person.",
    "Numbers are only comparable with a reference profiled the same way (same kind of sequencing, profiler "
    "and database). Differences in method can look like differences in microbes.",
    "If a skin problem is severe, spreading, painful or affecting your mood or sleep, see a GP or "
    "dermatologist. Seek urgent care for swelling of the lips or tongue, trouble breathing, or a rash with "
    "fever.",
]

DIRECTION_WORDS = {
    "up": "higher in people with {c}",
    "down": "lower in people with {c}",
    "no_difference": "no difference found between people with {c} and without",
    "inconsistent": "reviews report that studies of {c} disagree",
    "mixed": "studies of {c} disagree: some found it higher, some lower",
}
GRADE_LABELS = {
    "A": "A: consistent meta-analysis",
    "B": "B: several studies agree",
    "C": "C: a single study, or studies that conflict",
    "D": "D: laboratory, animal or expert opinion only",
}



GUILD_WHY = {
    "higher_favourable": "Usually seen as favourable when higher.",
    "lower_favourable": "Usually seen as favourable when lower.",
    "context_dependent": "Neither more nor less is simply better: studies point both ways.",
    "informational": "Shown for information; no direction is scored.",
}

ALIGNMENT_WORDS = {
    "toward": "You are on the side reported in people with {c}.",
    "away": "You are on the opposite side to people with {c}.",
    "neither": "You are in the middle half of healthy people.",
}

ALIGNMENT_KINDS = ("toward", "away", "neither", "no_direction", "unknown")
DESIGN_WORDS = {"MA": "meta-analysis", "SR": "systematic review", "RCT": "randomised trial", "CC": "case-control study",
                "COH": "cohort study", "CS": "cross-sectional study", "MR": "Mendelian randomisation",
                "REV": "review", "ANIM": "animal study", "NRS": "non-randomised study", "GL": "guideline",
                "POOLED": "pooled analysis"}

PHASE_LABELS = {"baseline": "Eat as usual", "elimination": "Avoid the food", "reintroduction": "Eat it again"}

#: verdicts for an unblinded personal diary: what the scores did, never how "sure" anyone is (issue #12)
TRIAL_VERDICTS = {"trigger": "your scores were worse while eating it",
                  "not_trigger": "your scores were not noticeably worse while eating it",
                  "inconclusive": "the diary does not settle it"}
#: before the plan's last day there is no verdict, only what the diary shows so far
TRIAL_NOT_FINAL = "no verdict yet: the plan has not ended"
TRIAL_SO_FAR = {"trigger": "so far, scores were worse while eating it",
                "not_trigger": "so far, scores were not noticeably worse while eating it",
                "inconclusive": "so far, not leaning either way"}


def trial_verdict_words(result: dict) -> str:
    """The words for a trial analysis (``trial.analyze_diary``'s dict): the verdict once the plan has ended, before
    that only what the diary shows so far. The report, ``gutskin trial analyze`` and the web trial page all say it
    this way."""
    verdict = str(result.get("verdict"))
    if result.get("final") is not False:
        return TRIAL_VERDICTS.get(verdict, verdict)
    so_far = result.get("so_far")
    return TRIAL_NOT_FINAL + (f" ({TRIAL_SO_FAR[so_far]})" if so_far in TRIAL_SO_FAR else "")
#: the facts listed under a trial result (no probabilities: a diary of one unblinded person is not a verdict
#: machine, and "chance it makes things worse" read as one)
TRIAL_FACTS = (("n_days_planned", "Days planned"), ("n_days_recorded", "Days recorded"),
               ("n_days_used", "Days used in the analysis"), ("design", "Design"), ("method", "Method"))
TRIAL_INTERVAL = ("{level} interval {low} to {high}: the interval the decision reads. The food counts as worsening "
                  "your scores only when the whole interval is above 0 (a one-sided rule).")
STATUS_WORDS = {"below typical": "below the typical range", "above typical": "above the typical range",
                "typical": "within the typical range"}

# ---------------------------------------------------------------------------------------------- plain text
#: internal references that must not reach a person: knowledge-base keys in brackets, marker ids in brackets,
#: pointers into research notes, questionnaire field paths
_KB_KEY = re.compile(r"\s*\[[A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)*\]")
_MARKER = re.compile(r"\s*\(M\d{2}(?:,\s*M\d{2})*\)")
_NOTES_FILE = re.compile(r"\s*\([^()]*\.md(?:\s*§[^()]*)?\)")
_FIELD_PATH = re.compile(r"\b(?:about_you|skin|allergies|diet|lifestyle|medicines|gut)\.([a-z0-9_]+)\b")
_GUTSKIN_SEED = re.compile(r"\bgutskin seed advice\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1 << 16)
def plain(text: str) -> str:
    """``text`` without internal ids, research-note pointers or questionnaire field paths (for people).

    Remembered: a report passes every text it shows through here, and most are the knowledge base's own
    sentences, the same for every person (five regular expressions each were a tenth of building a report).
    """
    text = _KB_KEY.sub("", text)
    text = _MARKER.sub("", text)
    text = _NOTES_FILE.sub("", text)
    text = _FIELD_PATH.sub(lambda m: "'" + m.group(1).replace("_", " ") + "'", text)
    text = _GUTSKIN_SEED.sub("Our default", text)
    return " ".join(text.split())


NO_QUESTIONNAIRE = ("Without a questionnaire only general suggestions can be made; answer the gutskin questionnaire "
                    "for suggestions that fit you.")
NOT_CHECKED_GROUP = "Not checked in this profile ({reason}): {names}."
#: recommendations shown before "more"
SHOWN_FIRST = 5
#: findings of a skin panel printed on paper (the web version shows them all)
PRINT_FINDINGS = 8

# ---------------------------------------------------------------------------------------------- badges
SECTION_STATUS_WORDS = {"ok": "complete", "partial": "partly available", "not_available": "not available",
                        "not_applicable": "nothing to show"}
VALIDITY_WORDS = {"valid": "yes", "approximate": "approximately", "not_valid": "no", "unknown": "not known"}
GRADE_WORDS = {"A": "consistent meta-analysis", "B": "several studies agree",
               "C": "one study, or studies conflict", "D": "laboratory, animal or opinion only"}
#: what a recommendation's grade is about, when it is not the skin (shown beside the grade badge)
EVIDENCE_FOR = {"gut_microbiome": "evidence for a gut outcome, not for the skin",
                "safety": "evidence about safety, not about the skin",
                "interpretation": "about reading the test, not about the skin"}
#: panel findings reported only in a subgroup the person is not known to belong to
SUBGROUP_NOT_SCORED = "Reported only in {subgroup}, so not scored for you: {names}."

# ---------------------------------------------------------------------------------------------- sample checks
#: code -> (headline, detail). Filled with: {share} (the share the check measured), {taxon}, {oral}, {skin},
#: {core} (share of the usual stool bacteria), {reads}, {floor}. Shown as the first main points when they fire.
SANITY = {
    "c_difficile_dominant": (
        "Your sample is dominated by Clostridioides difficile ({share})",
        "Clostridioides difficile makes up {share} of the bacteria in this sample. A community this dominated by "
        "C. difficile is not what healthy stool looks like; it is seen after antibiotics and in C. difficile "
        "infection. If you have diarrhoea or recently took antibiotics, contact a doctor. Nothing else in this "
        "report should be read as a comparison with healthy people."),
    "enterobacteriaceae_bloom": (
        "A bloom of Enterobacteriaceae ({share} of the bacteria)",
        "Enterobacteriaceae (E. coli, Klebsiella and relatives; here mostly {taxon}) make up {share} of the "
        "bacteria; in healthy adults they are usually below 1–2%. Such blooms follow antibiotics, infections, "
        "inflammation, or a sample left warm before freezing. Comparisons with healthy people are not meaningful "
        "for a community in this state, so none is among these main points; if you feel unwell, see a doctor."),
    "dominant_taxon": (
        "One microbe dominates your sample: {taxon} ({share})",
        "One taxon, {taxon}, makes up {share} of the bacteria. Fewer than about 2 in 100 healthy people's stool is "
        "this dominated by one taxon; diversity and every other share are pulled by it, so the skin comparisons "
        "are not among these main points."),
    "not_stool_oral": (
        "This does not look like a stool sample",
        "This profile looks like a mouth sample, not stool: {oral} oral bacteria (Streptococcus, Veillonella, "
        "Haemophilus, Neisseria …) and only {core} of the usual stool bacteria. Nothing in it is a comparison with "
        "healthy stool, and no skin pattern is read from it. If this was meant to be stool, ask the lab."),
    "not_stool_skin": (
        "This does not look like a stool sample",
        "This profile looks like a skin or nose sample, not stool: {skin} skin bacteria (Cutibacterium, "
        "Staphylococcus, Corynebacterium …) and only {core} of the usual stool bacteria. Nothing in it is a "
        "comparison with healthy stool, and no skin pattern is read from it. If this was meant to be stool, ask "
        "the lab."),
    "skin_bacteria_high": (
        "Skin bacteria are {share} of this sample",
        "Bacteria that usually live on skin or in the nose (Staphylococcus, Corynebacterium, Cutibacterium …) make "
        "up {skin} of this stool sample; in healthy people's stool they are usually well under 1%. This often "
        "comes from contact with skin while the sample was taken, and it dilutes every gut share in this report. "
        "A repeat sample, taken as the kit describes, would give a clearer picture."),
    "host_dominant": (
        "Mostly human DNA ({share})",
        "{share} of what was classified is human DNA, not microbes; the microbial part is small and its shares "
        "are uncertain."),
    "viral_dominant": (
        "Mostly viruses, which in stool are bacteriophages ({share})",
        "{share} of what was classified is viral. In stool these are mostly bacteriophages — viruses that infect "
        "bacteria, not people — and a large phage share often follows a bloom of their host bacteria (fermented "
        "foods such as kefir bring Lactococcus and its phages). Every bacterial share in this report is computed "
        "without the viruses."),
    "fungi_high": (
        "Fungi are {share} of this sample",
        "Fungi are {share} of what was classified (mostly {taxon}). Only some profilers look for fungi, and "
        "healthy stool usually holds well under 1%; the bacterial shares in this report are computed without "
        "them."),
    "high_unknown": (
        "Most of this sample could not be named ({share})",
        "{share} of the reads could not be assigned to any microbe. Shares describe only the named part, and a "
        "microbe not detected here may simply have been missed, so nothing is called absent."),
    "low_depth": (
        "Too few reads to see rare microbes",
        "Only {reads} reads were classified (below {floor}); rare microbes cannot be seen at this depth and "
        "shares are noisy, so nothing is called absent."),
}
#: the GP page's line for a stop-severity check
SANITY_GP = ("{headline}. Comparisons with healthy stool are not meaningful for this sample; consider the clinical "
             "picture (antibiotics, diarrhoea, sample handling) and repeating the test.")
SANITY_NOTHING_PLACED = ("Nothing in this profile could be placed at species or genus level, so it cannot be "
                         "compared with healthy people.")
#: what the skin section says when a sample check makes its placements meaningless
SKIN_NOT_MAIN = ("Because {why}, where this sample falls on the skin findings below is not meaningful: they are "
                 "shown for what studies report, and none of them is among the main points.")
SKIN_NOT_MAIN_WHY = {
    "c_difficile_dominant": "the sample is dominated by Clostridioides difficile",
    "enterobacteriaceae_bloom": "the sample holds a bloom of Enterobacteriaceae",
    "dominant_taxon": "one microbe dominates the sample",
    "not_stool_oral": "the sample does not look like stool",
    "not_stool_skin": "the sample does not look like stool",
    "skin_bacteria_high": "skin bacteria make up an unusual share of the sample",
}
#: checks that make the comparison with healthy stool meaningless (severity stop); dominant_taxon blocks skin only
SKIN_BLOCKING = frozenset(SKIN_NOT_MAIN_WHY)

# ---------------------------------------------------------------------------------------------- validation
VALIDATION = {
    "validated": ("Validated: tested on people with and without {condition} ({cohorts}), this lean told them apart "
                  "with an AUC of {auc} (95% interval {low} to {high}, where 0.5 is chance)."),
    "validated_no_separation": ("Checked and not supported: tested on people with and without {condition} "
                                "({cohorts}), this lean did not tell them apart (AUC {auc}, 95% interval {low} to "
                                "{high}, where 0.5 is chance). It describes the findings below and is not a main "
                                "point."),
    "not_validated": ("Not validated: no study of people with and without {condition} has tested whether this lean "
                      "tells them apart, so it describes the findings below and is not a main point."),
}
#: one tested cohort inside VALIDATION's {cohorts}
VALIDATION_COHORT = "{patients} patients and {controls} controls: AUC {auc}"

ALIGNMENT_BADGES = {"toward": "you: patients' side", "away": "you: other side", "neither": "you: typical",
                    "no_direction": "studies disagree", "unknown": "not checked"}
