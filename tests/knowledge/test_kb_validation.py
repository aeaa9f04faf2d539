"""The shipped knowledge base validates; a broken copy fails with an error naming the file, row and field."""

from __future__ import annotations

import re

import pytest

from gutskin.errors import InputError
from gutskin.knowledge import load_kb, validate_kb
from gutskin.knowledge.schema import DESIGN_GRADE_CAP, GRADE_RANK

from .conftest import edit_yaml, row

# Every gut-feature row of section 1b of the evidence notes, as (condition, feature, study). Multi-study rows of
# the notes are split into one row per study here, as the knowledge base stores them.
SECTION_1B = [
    ("acne", "diversity-alpha", "ACNE-DENG18"),
    ("acne", "taxon-firmicutes", "ACNE-DENG18"),
    ("acne", "taxon-bacteroidetes", "ACNE-DENG18"),
    ("acne", "taxon-lachnospiraceae", "ACNE-DENG18"),
    ("acne", "taxon-ruminococcaceae", "ACNE-DENG18"),
    ("acne", "taxon-actinobacteria", "ACNE-JDERM18"),
    ("acne", "taxon-proteobacteria", "ACNE-JDERM18"),
    ("acne", "taxon-bifidobacterium", "ACNE-JDERM18"),
    ("acne", "taxon-butyricicoccus", "ACNE-JDERM18"),
    ("acne", "taxon-butyricicoccus", "ACNE-SEX21"),
    ("acne", "taxon-lactobacillus", "ACNE-JDERM18"),
    ("acne", "taxon-coprobacillus", "ACNE-JDERM18"),
    ("acne", "taxon-allobaculum", "ACNE-JDERM18"),
    ("acne", "taxon-blautia", "ACNE-SEX21"),
    ("acne", "taxon-ruminococcus", "ACNE-SEX21"),
    ("acne", "taxon-faecalibaculum", "ACNE-SEX21"),
    ("acne", "taxon-clostridium-sensu-stricto", "ACNE-SEX21"),
    ("acne", "taxon-oscillibacter", "ACNE-SEX21"),
    ("acne", "taxon-odoribacter", "ACNE-SEX21"),
    ("acne", "taxon-lactobacillus-iners", "ACNE-MINO"),
    ("acne", "taxon-lactobacillus-zeae", "ACNE-MINO"),
    ("acne", "taxon-bifidobacterium-animalis", "ACNE-MINO"),
    ("atopic_dermatitis", "diversity-alpha", "AD-SR-ADULT25"),
    ("atopic_dermatitis", "taxon-enterobacteriaceae", "AD-SR-ADULT25"),
    ("atopic_dermatitis", "taxon-clostridium-perfringens", "AD-SR-ADULT25"),
    ("atopic_dermatitis", "guild-scfa-producers", "AD-SR-ADULT25"),
    ("atopic_dermatitis", "diversity-alpha", "AD-AOAD"),
    ("atopic_dermatitis", "taxon-escherichia", "AD-AOAD"),
    ("atopic_dermatitis", "taxon-agathobacter", "AD-AOAD"),
    ("atopic_dermatitis", "taxon-dorea", "AD-AOAD"),
    ("atopic_dermatitis", "diversity-alpha", "AD-ABRAHAMSSON12"),
    ("atopic_dermatitis", "diversity-alpha", "AD-WANG08"),
    ("atopic_dermatitis", "diversity-alpha", "AD-FORNO08"),
    ("atopic_dermatitis", "diversity-within-bacteroides", "AD-ABRAHAMSSON12"),
    ("atopic_dermatitis", "taxon-proteobacteria", "AD-ABRAHAMSSON12"),
    ("atopic_dermatitis", "taxon-bifidobacterium", "AD-ZHENG16"),
    ("atopic_dermatitis", "taxon-bifidobacterium-breve", "AD-ISMAIL"),
    ("atopic_dermatitis", "taxon-bifidobacterium-catenulatum", "AD-ISMAIL"),
    ("atopic_dermatitis", "taxon-bifidobacterium-pseudocatenulatum", "AD-GORE08"),
    ("atopic_dermatitis", "taxon-ruminococcus-bromii", "AD-SASAKI22"),
    ("atopic_dermatitis", "taxon-akkermansia-muciniphila", "AD-SASAKI22"),
    ("atopic_dermatitis", "taxon-akkermansia-muciniphila", "AD-ZHENG16"),
    ("atopic_dermatitis", "metabolite-faecal-butyrate", "AD-SASAKI22"),
    ("atopic_dermatitis", "metabolite-faecal-butyrate", "AD-LEE22"),
    ("atopic_dermatitis", "metabolite-faecal-butyrate", "AD-SONG16"),
    ("atopic_dermatitis", "taxon-faecalibacterium-prausnitzii", "AD-SONG16"),
    ("atopic_dermatitis", "taxon-faecalibacterium-prausnitzii", "AD-ZHENG16"),
    ("atopic_dermatitis", "taxon-ruminococcus-gnavus", "AD-ZHENG16"),
    ("atopic_dermatitis", "taxon-escherichia", "AD-ZHENG16"),
    ("atopic_dermatitis", "taxon-veillonella", "AD-ZHENG16"),
    ("atopic_dermatitis", "taxon-bacteroides-fragilis", "AD-ZHENG16"),
    ("atopic_dermatitis", "taxon-streptococcus-salivarius", "AD-ZHENG16"),
    ("psoriasis", "diversity-alpha", "PSO-SR-SIKORA20"),
    ("psoriasis", "diversity-alpha", "PSO-SCHER15"),
    ("psoriasis", "diversity-alpha", "PSO-WANG22"),
    ("psoriasis", "diversity-alpha", "PSO-PRJNA938297"),
    ("psoriasis", "taxon-firmicutes", "PSO-SR-SIKORA20"),
    ("psoriasis", "taxon-firmicutes", "PSO-DEICAS20"),
    ("psoriasis", "taxon-bacteroidetes", "PSO-SR-SIKORA20"),
    ("psoriasis", "taxon-bacteroidetes", "PSO-DEICAS20"),
    ("psoriasis", "taxon-bacteroidetes", "PSO-WANG22"),
    ("psoriasis", "taxon-actinobacteria", "PSO-SR-YAN17"),
    ("psoriasis", "taxon-coprococcus", "PSO-SCHER15"),
    ("psoriasis", "taxon-coprococcus", "PSO-SUN21"),
    ("psoriasis", "taxon-akkermansia", "PSO-SCHER15"),
    ("psoriasis", "taxon-ruminococcus", "PSO-SCHER15"),
    ("psoriasis", "taxon-pseudobutyrivibrio", "PSO-SCHER15"),
    ("psoriasis", "taxon-faecalibacterium", "PSO-DEICAS20"),
    ("psoriasis", "taxon-faecalibacterium-prausnitzii", "PSO-FPRAU-REV"),
    ("psoriasis", "taxon-blautia", "PSO-DEICAS20"),
    ("psoriasis", "taxon-blautia", "PSO-SUN21"),
    ("psoriasis", "taxon-bacteroides", "PSO-DEICAS20"),
    ("psoriasis", "taxon-paraprevotella", "PSO-DEICAS20"),
    ("psoriasis", "taxon-eubacterium-rectale", "PSO-PRJNA938297"),
    ("psoriasis", "taxon-alistipes-finegoldii", "PSO-PRJNA938297"),
    ("psoriasis", "taxon-alistipes-shahii", "PSO-PRJNA938297"),
    ("psoriasis", "taxon-subdoligranulum", "PSO-WANG22"),
    ("psoriasis", "taxon-romboutsia", "PSO-WANG22"),
    ("psoriasis", "taxon-dorea", "PSO-WANG22"),
    ("psoriasis", "taxon-lactobacillus", "PSO-WANG22"),
    ("psoriasis", "taxon-dialister", "PSO-WANG22"),
    ("psoriasis", "taxon-proteobacteria", "PSO-WANG22"),
    ("rosacea", "diversity-alpha", "ROS-GUERTLER24"),
    ("rosacea", "diversity-alpha", "ROS-JFMA21"),
    ("rosacea", "taxon-faecalibacterium-prausnitzii", "ROS-GUERTLER24"),
    ("rosacea", "taxon-ruminococcaceae", "ROS-GUERTLER24"),
    ("rosacea", "taxon-lachnospiraceae-nd3007", "ROS-GUERTLER24"),
    ("rosacea", "taxon-oscillibacter", "ROS-GUERTLER24"),
    ("rosacea", "taxon-flavonifractor-plautii", "ROS-GUERTLER24"),
    ("rosacea", "taxon-roseburia", "ROS-JFMA21"),
    ("rosacea", "taxon-lactobacillus", "ROS-JFMA21"),
    ("rosacea", "taxon-megasphaera", "ROS-JFMA21"),
    ("rosacea", "taxon-acidaminococcus", "ROS-JFMA21"),
    ("rosacea", "taxon-haemophilus", "ROS-JFMA21"),
    ("rosacea", "taxon-citrobacter", "ROS-JFMA21"),
    ("rosacea", "taxon-bifidobacterium", "ROS-JFMA21"),
    ("rosacea", "taxon-ruminococcus", "ROS-JFMA21"),
    ("rosacea", "taxon-sarcina", "ROS-JFMA21"),
    ("rosacea", "taxon-rhabdochlamydia", "ROS-JFMA21"),
    ("rosacea", "taxon-helicobacter-pylori", "ROS-MA-GAO24"),
    ("rosacea", "taxon-helicobacter-pylori", "ROS-MA-JORG17"),
    ("rosacea", "state-sibo", "ROS-MA-SIBO25"),
    ("rosacea", "state-sibo", "ROS-PARODI08"),
    ("hidradenitis_suppurativa", "diversity-alpha", "HS-MCCARTHY"),
    ("hidradenitis_suppurativa", "taxon-ruminococcus-gnavus", "HS-MCCARTHY"),
    ("chronic_spontaneous_urticaria", "diversity-alpha", "CSU-WANG20"),
    ("chronic_spontaneous_urticaria", "diversity-alpha", "CSU-LIU21"),
    ("chronic_spontaneous_urticaria", "diversity-alpha", "CSU-FIMMU21"),
    # (the unsourced urticaria "diversity up" citation statement was dropped in KB 1.0: no identifiable source)
    ("chronic_spontaneous_urticaria", "taxon-enterobacteriaceae", "CSU-WANG20"),
    ("chronic_spontaneous_urticaria", "taxon-faecalibacterium", "CSU-WANG20"),
    ("chronic_spontaneous_urticaria", "taxon-bifidobacterium", "CSU-WANG20"),
    ("chronic_spontaneous_urticaria", "taxon-bacteroides", "CSU-WANG20"),
    ("chronic_spontaneous_urticaria", "taxon-ruminococcaceae", "CSU-WANG20"),
    ("chronic_spontaneous_urticaria", "taxon-subdoligranulum", "CSU-LIU21"),
    ("chronic_spontaneous_urticaria", "taxon-ruminococcus-bromii", "CSU-LIU21"),
    ("chronic_spontaneous_urticaria", "taxon-lactobacillus", "CSU-FIMMU21"),
    ("chronic_spontaneous_urticaria", "taxon-turicibacter", "CSU-FIMMU21"),
    ("chronic_spontaneous_urticaria", "taxon-lachnobacterium", "CSU-FIMMU21"),
    ("chronic_spontaneous_urticaria", "taxon-phascolarctobacterium", "CSU-FIMMU21"),
]

SECTION_2_MARKERS = ["M01", "M01b", "M02", "M03", "M04", "M05", "M06", "M07", "M08", "M09", "M10", "M11", "M12",
                     "M13", "M14", "M15"]


# ------------------------------------------------------------------------------------------------ shipped KB


def test_shipped_knowledge_base_validates(kb):
    assert validate_kb() == []
    counts = kb.counts()
    assert counts["associations"] >= len(SECTION_1B)
    assert counts["conditions"] == 7
    assert re.fullmatch(r"\d+\.\d+\.\d+", kb.version) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", kb.date)


def test_every_section_1b_row_is_encoded(kb):
    have = {(a.condition, a.feature, a.study) for a in kb.association_rows}
    missing = [t for t in SECTION_1B if t not in have]
    assert not missing, missing


def test_every_section_2_marker_is_encoded_with_citations(kb):
    assert sorted(kb.markers_by_id) == sorted(SECTION_2_MARKERS)
    for m in kb.markers():
        assert m.citations and m.grade in "ABCD"
    assert kb.marker("M10").computable is False  # the LPS gap must never become a score


def test_every_row_has_a_citation_a_grade_and_a_legal_design_cap(kb):
    for a in kb.association_rows:
        assert a.citation.authors and a.grade in "ABCD"
        assert GRADE_RANK[a.grade] <= GRADE_RANK[DESIGN_GRADE_CAP[a.design.value]], a.id
        assert a.size and a.method
    for r in kb.rules():
        assert r.evidence and r.grade in "ABCD"


def test_conditions_with_data_and_the_no_gut_data_condition(kb):
    with_rows = {a.condition for a in kb.association_rows}
    assert {"acne", "atopic_dermatitis", "psoriasis", "rosacea", "hidradenitis_suppurativa",
            "chronic_spontaneous_urticaria"} <= with_rows
    assert kb.condition("seborrhoeic_dermatitis").gut_evidence == "none"
    assert "seborrhoeic_dermatitis" not in with_rows


def test_unverified_identifiers_are_never_invented(kb):
    for key, study in kb.studies_by_key.items():
        c = study.citation
        if c.id_status.value in ("seen", "mirror"):
            assert c.identifiers, key
    # rows the notes list as "not verified" carry no PMID/DOI of their own
    for key in ("ACNE-LGL-SMITH", "ACNE-DAIRY-AGHASI", "ROS-MA-JORG17"):
        c = kb.study(key).citation
        assert c.id_status.value == "not_verified" and c.pmid is None and c.doi is None
        assert c.missing_id_reason  # says why there is no identifier
    # found later on a publisher or repository page: a URL, never an invented PMID/DOI
    for key in ("AD-WANG08", "HS-MCCARTHY"):
        c = kb.study(key).citation
        assert c.url and c.pmid is None and c.doi is None


# ------------------------------------------------------------------------------------------------ broken copies


def _first_error(kb_dir) -> InputError:
    with pytest.raises(InputError) as info:
        load_kb(kb_dir)
    return info.value


def test_row_without_citation_fails_naming_row_and_field(kb_copy):
    path = kb_copy / "associations" / "psoriasis.yaml"
    edit_yaml(path, lambda d: row(d, "associations", "pso-gut-faecalibacterium-deicas2020").pop("study"))
    err = _first_error(kb_copy)
    assert err.path == str(path)
    assert err.field == "study"
    assert "pso-gut-faecalibacterium-deicas2020" in err.message and "cite" in err.message
    assert err.line is not None and "pso-gut-faecalibacterium-deicas2020" in path.read_text().splitlines()[err.line - 1]


def test_row_without_grade_fails_naming_row_and_field(kb_copy):
    path = kb_copy / "associations" / "acne.yaml"
    edit_yaml(path, lambda d: row(d, "associations", "acne-gut-firmicutes-deng2018").pop("grade"))
    err = _first_error(kb_copy)
    assert err.path == str(path) and err.field == "grade"
    assert "acne-gut-firmicutes-deng2018" in err.message and "evidence grade" in err.message
    assert "acne.yaml" in str(err) and "field 'grade'" in str(err)


def test_study_without_citation_fails_naming_study_and_field(kb_copy):
    path = kb_copy / "studies" / "gut_skin.yaml"
    edit_yaml(path, lambda d: row(d, "studies", "PSO-DEICAS20").pop("citation"))
    err = _first_error(kb_copy)
    assert err.field == "citation" and "PSO-DEICAS20" in err.message


def test_citation_claiming_a_checked_identifier_needs_one(kb_copy):
    path = kb_copy / "studies" / "gut_skin.yaml"

    def strip_ids(d):
        c = row(d, "studies", "ACNE-DENG18")["citation"]
        c.pop("pmid")
        c.pop("doi")

    edit_yaml(path, strip_ids)
    err = _first_error(kb_copy)
    assert "ACNE-DENG18" in err.message and "identifier" in err.message and err.field == "citation"


def test_rule_without_grade_fails_naming_rule(kb_copy):
    path = kb_copy / "recommendations.yaml"
    edit_yaml(path, lambda d: row(d, "rules", "rec-acne-dairy-trial").pop("grade"))
    err = _first_error(kb_copy)
    assert err.field == "grade" and "rec-acne-dairy-trial" in err.message


def test_grade_above_the_design_cap_is_refused(kb_copy):
    path = kb_copy / "associations" / "acne.yaml"
    edit_yaml(path, lambda d: row(d, "associations", "acne-gut-firmicutes-deng2018").update(grade="A"))
    err = _first_error(kb_copy)
    assert err.field == "grade" and "CC" in err.message and "at most C" in err.message


def test_rule_grade_above_its_evidence_is_refused(kb_copy):
    path = kb_copy / "recommendations.yaml"
    edit_yaml(path, lambda d: row(d, "rules", "rec-hydration").update(grade="A"))
    err = _first_error(kb_copy)
    assert "rec-hydration" in err.message and "evidence supports" in err.message


def test_dangling_references_are_refused(kb_copy):
    path = kb_copy / "associations" / "rosacea.yaml"
    edit_yaml(path, lambda d: row(d, "associations", "ros-gut-alpha-jfma2021").update(feature="taxon-nonexistent"))
    err = _first_error(kb_copy)
    assert "ros-gut-alpha-jfma2021" in err.message and "taxon-nonexistent" in err.message and err.field == "feature"


def test_unknown_fields_and_duplicate_ids_are_refused(kb_copy):
    path = kb_copy / "associations" / "acne.yaml"

    def dup(d):
        d["associations"].append(dict(d["associations"][0]))
        d["associations"][1]["grade_typo"] = "B"

    edit_yaml(path, dup)
    errors = validate_kb(kb_copy)
    text = "\n".join(str(e) for e in errors)
    assert "unknown field 'grade_typo'" in text
    assert "duplicate association id 'acne-gut-alpha-deng2018'" in text


def test_validate_lists_every_problem_and_load_mentions_the_rest(kb_copy):
    path = kb_copy / "associations" / "acne.yaml"

    def two(d):
        row(d, "associations", "acne-gut-firmicutes-deng2018").pop("grade")
        row(d, "associations", "acne-gut-bacteroidetes-deng2018").pop("study")

    edit_yaml(path, two)
    assert len(validate_kb(kb_copy)) == 2
    assert "1 more problem" in _first_error(kb_copy).message


def test_synonym_clash_between_features_is_refused(kb_copy):
    path = kb_copy / "features.yaml"
    text = path.read_text()
    # give Blautia a synonym that already names another feature
    text = text.replace("    name: Blautia\n", "    name: Blautia\n    synonyms: [Mediterraneibacter gnavus]\n", 1)
    path.write_text(text)
    err = _first_error(kb_copy)
    assert "Mediterraneibacter gnavus" in err.message and "taxon-ruminococcus-gnavus" in err.message


def test_invalid_yaml_and_missing_directory_are_input_errors(kb_copy, tmp_path):
    (kb_copy / "markers.yaml").write_text("markers: [unclosed\n")
    err = _first_error(kb_copy)
    assert "not valid YAML" in err.message
    with pytest.raises(InputError):
        load_kb(tmp_path / "nowhere")
