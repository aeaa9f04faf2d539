"""The hand-written SVG charts: accessible, well-formed, and drawn from the numbers given."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from gutskin.report import charts

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{NS}svg" and root.get("role") == "img"
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert set(root.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}
    return root


def test_distribution_chart_marks_the_person_and_describes_it():
    probs = list(np.linspace(0, 1, 41))
    values = list(np.quantile(np.random.default_rng(1).normal(3, 0.5, 5000), probs))
    svg = charts.distribution_chart(probabilities=probs, values=values, n=5000, person=1.9, label="Shannon",
                                    value_text="1.9", percentile_text="2nd", threshold=0.0)
    root = parse(svg)
    desc = root.find(f"{NS}desc").text
    assert "5000 people" in desc and "This person: 1.9, 2nd percentile" in desc
    assert "You: 1.9 (2nd percentile)" in "".join(root.itertext())


def test_density_from_quantiles_integrates_to_one():
    probs = np.linspace(0, 1, 41)
    values = np.quantile(np.random.default_rng(2).gamma(2.0, 1.0, 20000), probs)
    xs = np.linspace(values[0] - 1, values[-1] + 1, 4001)
    dens = charts.density_from_quantiles(list(probs), list(values), list(xs), bandwidth=0.2)
    assert np.trapezoid(dens, xs) == pytest.approx(1.0, abs=0.01)
    assert min(dens) >= 0


@pytest.mark.parametrize("p, lo, hi", [(0.5, 0.4, 0.6), (0.02, 0.0, 0.05), (None, None, None)])
def test_percentile_band(p, lo, hi):
    root = parse(charts.percentile_band(percentile=p, ci_low=lo, ci_high=hi, label="Akkermansia"))
    circles = root.findall(f".//{NS}circle")
    assert len(circles) == (0 if p is None else 1)
    if p is not None:
        assert f"{charts.fmt_percentile(p)} percentile" in root.find(f"{NS}desc").text


def test_stacked_bar_and_range_dots_carry_every_value_in_text():
    parts = [("Bacillota", 0.41), ("Pseudomonadota", 0.40), ("Bacteroidota", 0.14), ("Other", 0.05)]
    root = parse(charts.stacked_bar(parts, label="Phyla"))
    desc = root.find(f"{NS}desc").text
    for name, v in parts:
        assert f"{name} {charts.fmt_share(v)}" in desc
    rows = [{"name": "Escherichia", "share": 0.4, "typical_low": 0.0001, "typical_high": 0.026},
            {"name": "Agathobaculum", "share": 0.03, "typical_low": None, "typical_high": None,
             "note": "not in reference"}]
    root = parse(charts.range_dots(rows, label="Genera"))
    desc = root.find(f"{NS}desc").text
    assert "Escherichia: you 40%, typical 0.01%–2.6%" in desc and "not in reference" in desc


def test_timeline_has_phases_points_and_legend():
    phases = [{"name": "baseline", "label": "Eat as usual", "start_day": 1, "end_day": 14},
              {"name": "elimination", "label": "Avoid the food", "start_day": 15, "end_day": 42}]
    points = [{"day": d, "score": 5.0 - (d > 14)} for d in range(1, 43)]
    root = parse(charts.timeline_chart(phases=phases, points=points, outcome="skin score"))
    text = "".join(root.itertext())
    assert "Eat as usual" in text and "Avoid the food" in text and "day 1" in text and "day 42" in text
    assert len(root.findall(f".//{NS}circle")) == 42


def test_ids_are_unique_within_a_document(example_html):
    ids = re.findall(r'\sid="([^"]+)"', example_html)
    assert len(ids) == len(set(ids))


def test_number_formats():
    assert charts.fmt_share(0.4002) == "40%" and charts.fmt_share(0.0076) == "0.76%"
    assert charts.fmt_share(0.0) == "0%" and charts.fmt_share(None) == "–"
    assert charts.fmt_number(54.0) == "54" and charts.fmt_number(1.9305) == "1.93"
    assert charts.fmt_tick(0.25) == "0.25" and charts.fmt_tick(100.0) == "100"
    assert [charts.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]
    assert charts.nice_ticks(0, 1, 5) == [0, 0.25, 0.5, 0.75, 1.0]
