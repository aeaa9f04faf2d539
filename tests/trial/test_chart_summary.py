"""The SVG timeline (self-contained, accessible, colour-blind-safe) and the CENT-style summary."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gutskin.trial import analyze, cent_summary, simulate_diary, timeline_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_timeline_svg_is_self_contained_and_accessible(plan):
    diary = simulate_diary(plan, effect=2.0, phi=0.5, tau=2.0, missing=0.15, adherence=0.9, seed=3)
    result = analyze(plan, diary)
    svg = timeline_svg(plan, diary, result)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert set(root.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}
    assert "dairy" in title.text and "90% interval" in desc.text and result["verdict"] != ""
    # nothing external, nothing executable
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert "href=\"http" not in svg and "@import" not in svg
    # Okabe–Ito tints for the phases, and text labels so colour is not the only cue
    assert "#E69F00" in svg and "#56B4E9" in svg
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for words in ("baseline · eating", "elimination · avoiding", "reintroduction · eating", "Next:"):
        assert words in texts
    assert f"{result['effect']:+.1f}" in texts
    # the three kinds of day use different shapes
    assert root.find(f".//{SVG}circle") is not None and root.find(f".//{SVG}path") is not None
    assert timeline_svg(plan, diary) == svg  # result computed when not given


def test_cent_summary(plan):
    diary = simulate_diary(plan, effect=0.0, phi=0.5, tau=2.0, missing=0.2, adherence=0.9, seed=3)
    result = analyze(plan, diary)
    s = cent_summary(plan, diary, result)
    for key in ("design", "participant", "intervention", "outcome", "periods", "washout", "adherence",
                "missing_data", "statistical_method", "results", "harms", "limitations", "text"):
        assert key in s
    assert s["design"]["sequence"] == "ABA" and len(s["periods"]) == 3
    assert s["washout"]["analytic_days"] == 2
    assert sum(p["used"] for p in s["periods"]) == result["n_days_used"]
    assert s["missing_data"]["recorded_days"] == result["n_days_recorded"]
    assert s["adherence"]["elimination_slips"] >= 1
    text = s["text"]
    for words in ("Design:", "Periods:", "Washout:", "Adherence:", "Missing data:", "Method:", "Result:"):
        assert words in text
