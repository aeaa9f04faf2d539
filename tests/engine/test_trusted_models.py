"""_Model.trusted builds the same instance as model_construct (and as validation, for valid values)."""

from __future__ import annotations

from gutskin.engine.model import FeatureMeasurement, Placement

PLACEMENT = dict(kind="taxon", feature="Bacteroides uniformis", rank="species", key="bacteroides uniformis",
                 value=0.031, percentile=0.62, ci_low=0.55, ci_high=0.69, typical_low=0.002, typical_high=0.08,
                 prevalence=0.93, status="typical", n_reference=924, quantiles=None)


def test_trusted_equals_construct_and_validation() -> None:
    for _ in range(3):  # the first call checks the fast path, later ones take it
        made = Placement.trusted(**PLACEMENT)
        assert made == Placement.model_construct(**PLACEMENT) == Placement(**PLACEMENT)
        assert made.model_dump() == Placement(**PLACEMENT).model_dump()
        assert made.model_dump_json() == Placement(**PLACEMENT).model_dump_json()
        assert made.model_fields_set == set(PLACEMENT)
    fm = dict(feature="akkermansia", status="absent", value=0.0, percentile=None, ci_low=None, ci_high=None,
              typical_low=0.001, typical_high=0.02, prevalence=0.4, measure="genus", matched=[], reason=None)
    for _ in range(2):
        assert FeatureMeasurement.trusted(**fm) == FeatureMeasurement(**fm)


def test_values_missing_a_field_get_its_default() -> None:
    partial = {k: v for k, v in PLACEMENT.items() if k != "quantiles"}
    made = Placement.trusted(**partial)
    assert made.quantiles is None and made == Placement(**partial)


def test_trusted_dict_is_trusted_from_a_dict() -> None:
    from gutskin.engine.model import PanelItem, TaxonShare

    for _ in range(2):  # before and after the class's fast path is checked
        assert Placement.trusted_dict(dict(PLACEMENT)) == Placement(**PLACEMENT)
    partial = {k: v for k, v in PLACEMENT.items() if k != "quantiles"}
    assert Placement.trusted_dict(dict(partial)) == Placement(**partial)  # not every field: the checked path
    share = dict(rank="genus", name="Bacteroides", current_name="Bacteroides", key="bacteroides", taxid=816,
                 share=0.2)
    item = dict(feature="akkermansia", grade="B", direction="down", conflict=False, alignment="toward", weight=0.5,
                associations=["a1"], subgroup=None, main_point_eligible=True)
    for _ in range(2):
        assert TaxonShare.trusted(**share) == TaxonShare(**share)
        assert PanelItem.trusted(**item) == PanelItem(**item)
