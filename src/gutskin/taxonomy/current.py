"""One current taxonomy before any comparison: the current species name, and the one rule for its genus.

Profiles and references written under different namings (MetaPhlAn 2 ``Ruminococcus obeum``, MetaPhlAn 3 putting
*R. gnavus* under ``g__Blautia``, MetaPhlAn 4 ``GGB…_SGB…`` placeholders, GTDB ``Blautia_A``, Greengenes
``[Ruminococcus]``) are mapped here to one set of keys, and *both* sides of every comparison go through the same
functions, so a genus means the same thing in the person and in the reference.

The rule for the genus of a species name (the only one in gutskin):

1. brackets and ``Candidatus`` are read through, underscores are spaces;
2. the binomial (first two words) is resolved through the rename table (``Ruminococcus obeum`` → ``Blautia obeum``,
   ``Eubacterium rectale`` → ``Agathobacter rectalis``, the 2020 *Lactobacillus* split, …); strain or CAG suffixes
   (``Ruminococcus obeum CAG 39``) follow their binomial;
3. the genus is the first word of the current name, through the genus table (``Peptoclostridium`` →
   ``Clostridioides``; GTDB suffixes ``Blautia_A`` / ``Phocaeicola_A_858004`` → the named genus);
4. a name whose first word is not a genus (``Lachnospiraceae bacterium``, ``Firmicutes bacterium CAG 110``,
   ``Clostridiales unclassified``) has **no** genus: it counts in the denominator of genus shares, never as a genus;
5. MetaPhlAn 4 placeholders (``GGB3614 SGB4886``, ``SGB15346``) keep their GGB as a *placeholder genus*, which never
   matches a named genus; ``Faecalibacterium SGB15346`` is a Faecalibacterium.

The genus assigned by the profiler's own lineage is deliberately **not** used when the species name says otherwise
(MetaPhlAn 3 files *R. gnavus* and *R. torques* under Blautia; current NCBI has them in Mediterraneibacter).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .synonyms import NAME_CACHE, load, normalise

#: a MetaPhlAn 4 placeholder: species-level genome bin, genus-level bin, family-level bin
PLACEHOLDER = re.compile(r"^(?:[a-z]__)?(?:GGB|SGB|FGB|OFGB|CFGB|EGB)\d+", re.IGNORECASE)
_GTDB_SUFFIX = re.compile(r"^([A-Z][a-z]+)(?:_[A-Z]+)?(?:_\d+)?$")
_NOT_A_GENUS_SUFFIXES = ("aceae", "ales", "etes", "utes", "ota", "idae", "ineae", "mycetes")
_NOT_A_GENUS_WORDS = {"unclassified", "uncultured", "unidentified", "unknown", "bacterium", "environmental",
                      "metagenome", "other", "incertae", "mixed"}
#: words after a genus that mean "some member of the genus" (kept in the genus)
_SP_WORDS = {"sp", "sp.", "spp", "spp.", "unclassified", "bacterium", "cf", "cf."}


@lru_cache(maxsize=NAME_CACHE)  # pure (the rename table is fixed per process); asked once per sample
def clean(name: str) -> str:
    """Read a name as a person would: rank prefix, underscores, brackets and ``Candidatus`` removed."""
    text = re.sub(r"^[a-zA-Z]__", "", str(name).strip()).replace("_", " ")
    text = text.replace("[", "").replace("]", "")
    text = re.sub(r"^(Candidatus|Ca\.)\s+", "", text)
    return " ".join(text.split())


def is_placeholder(name: str) -> bool:
    """MetaPhlAn 4 ``GGB``/``SGB``/``FGB`` placeholders name a bin, not a described taxon."""
    return bool(PLACEHOLDER.match(str(name).strip().replace(" ", "_")))


@cache
def _genus_table() -> dict[str, str]:
    """Old genus name (normalised) → current genus, for genera that moved *wholesale* (partial moves excluded)."""
    out: dict[str, str] = {}
    for r in load().renames:
        if r.rank != "genus" or r.partial:
            continue
        for old in r.old:
            out[normalise(old)] = r.current
    return out


@lru_cache(maxsize=NAME_CACHE)  # pure (the rename table is fixed per process); asked once per sample
def current_species(name: str) -> str:
    """The current name of a species (its binomial resolved; a strain/CAG tail kept off)."""
    text = clean(name)
    if is_placeholder(text.replace(" ", "_")):
        return text.replace(" ", "_")
    words = text.split(" ")
    table = load()
    full = table.resolve(text)
    if full != text:
        return full
    if len(words) > 2:
        binomial = " ".join(words[:2])
        resolved = table.resolve(binomial)
        if resolved != binomial:
            return resolved + " " + " ".join(words[2:])
    return text


def _looks_like_genus(word: str) -> bool:
    if not word or not word[0].isupper():
        return False
    low = word.lower()
    if low in _NOT_A_GENUS_WORDS:
        return False
    return not low.endswith(_NOT_A_GENUS_SUFFIXES)


@lru_cache(maxsize=NAME_CACHE)  # pure (the rename table is fixed per process); asked once per sample
def current_genus(name: str) -> str | None:
    """The current genus for a *genus* name (GTDB suffixes dropped, wholesale renames applied); ``None`` if not one.

    Greengenes' bracketed ``[Ruminococcus]`` (the Lachnospiraceae *R. gnavus*/*R. torques* group) is read as
    Mediterraneibacter; other bracketed Greengenes names keep their plain name.
    """
    raw = str(name).strip()
    raw = re.sub(r"^[a-zA-Z]__", "", raw)
    if not raw:
        return None
    if raw.replace(" ", "_").lower() in ("[ruminococcus]",):
        return "Mediterraneibacter"
    if is_placeholder(raw):
        return raw.replace(" ", "_").split("_")[0].upper() if raw[:3].upper() == "GGB" else None
    text = clean(raw)
    parts = text.split(" ")
    if len(parts) > 1:
        # "Blautia unclassified", "Escherichia-Shigella"-style labels, "Lachnospiraceae UCG-004"
        if not _looks_like_genus(parts[0]):
            return None
        text = parts[0]
    if "-" in text:  # "Escherichia-Shigella" is read as its first genus; GTDB "CAG-110" stays a placeholder
        head, tail = text.split("-", 1)
        if re.fullmatch(r"[A-Z][a-z]+", head) and re.fullmatch(r"[A-Z][a-z]+", tail):
            text = head
    m = _GTDB_SUFFIX.match(text.replace(" ", "_"))
    base = m.group(1) if m else text
    if not _looks_like_genus(base):
        return None
    return _genus_table().get(normalise(base), base)


@lru_cache(maxsize=NAME_CACHE)  # pure (the rename table is fixed per process); asked once per sample
def genus_of(species: str) -> str | None:
    """The current genus of a species name, by the one rule in the module docstring (``None``: none known)."""
    raw = str(species).strip()
    if is_placeholder(re.sub(r"^[a-zA-Z]__", "", raw)):
        first = re.sub(r"^[a-zA-Z]__", "", raw).replace(" ", "_").split("_")[0]
        return first.upper() if first.upper().startswith("GGB") else None
    text = current_species(raw)
    words = text.split(" ")
    if len(words) >= 2 and words[1].lower() == "bacterium" and not _looks_like_genus(words[0]):
        return None
    return current_genus(words[0])


def genus_key(name: str) -> str:
    """Comparison key for a genus (normalised current name)."""
    g = current_genus(name)
    return normalise(g) if g else normalise(name)


def species_key(name: str) -> str:
    """Comparison key for a species (normalised current name)."""
    return normalise(current_species(name))


#: genera whose older (and 16S) meaning was wider than the current genus: studies that counted "Bacteroides" by 16S
#: included today's Phocaeicola, and so on. A shotgun profile rolled up to current genera measures the narrow genus.
SPLIT_GENERA: dict[str, tuple[str, ...]] = {
    "Bacteroides": ("Phocaeicola",),
    "Prevotella": ("Segatella", "Leyella", "Hoylesella", "Xylanibacter", "Palleniella", "Hallella"),
    "Lactobacillus": ("Lacticaseibacillus", "Lactiplantibacillus", "Limosilactobacillus", "Ligilactobacillus",
                      "Levilactobacillus", "Latilactobacillus", "Lentilactobacillus", "and 18 more genera (2020)"),
    "Ruminococcus": ("Blautia (R. obeum)", "Mediterraneibacter (R. gnavus, R. torques)"),
    "Eubacterium": ("Agathobacter (E. rectale)", "Anaerobutyricum (E. hallii)", "Lachnospira (E. eligens)"),
    "Clostridium": ("Enterocloster", "Clostridioides", "Hungatella", "Thomasclavelia"),
}
