"""Diary CSV: the documented format loads; every kind of bad row is refused with its line and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gutskin.errors import InputError
from gutskin.trial import load_diary, template_csv, write_template

from .conftest import write_csv

GOOD = """# my diary
date,skin_score,itch,adhered,stress,notes
2026-01-05,4.5,3,1,2,fine
2026-01-06,5,,1,,"itchy, dry"

2026-01-08,6.5,4,,3,
"""


def test_good_diary_loads(tmp_path: Path, plan):
    diary = load_diary(write_csv(tmp_path / "d.csv", GOOD), plan)
    assert len(diary) == 3
    assert diary.dates == [date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 8)]
    assert diary.frame["skin_score"].tolist() == [4.5, 5.0, 6.5]
    assert np.isnan(diary.frame["itch"].iloc[1])
    assert diary.frame["notes"].iloc[1] == "itchy, dry"
    assert diary.line_of[date(2026, 1, 8)] == 6  # physical line: comment and blank lines counted


def test_semicolons_and_decimal_commas(tmp_path: Path, plan):
    text = "date;skin_score;adhered\n2026-01-05;4,5;yes\n2026-01-06;5;no\n"
    diary = load_diary(write_csv(tmp_path / "d.csv", text), plan)
    assert diary.frame["skin_score"].tolist() == [4.5, 5.0]
    assert diary.frame["adhered"].tolist() == [1.0, 0.0]


def test_spreadsheet_datetimes_and_unknown_columns(tmp_path: Path, plan):
    text = "Date,Skin Score,mood,redness\n2026-01-05 00:00:00,4,good,2\n2026-01-06,5,bad,3.5\n"
    diary = load_diary(write_csv(tmp_path / "d.csv", text), plan)
    assert diary.dates[0] == date(2026, 1, 5)
    assert diary.frame["mood"].tolist() == ["good", "bad"]          # text kept as text
    assert diary.frame["redness"].tolist() == [2.0, 3.5]            # numbers kept as numbers


@pytest.mark.parametrize(("text", "line", "field", "message"), [
    ("date,skin_score\n2026-01-05,4\n05/01/2026,5\n", 3, "date", "not YYYY-MM-DD"),
    ("date,skin_score\n2026-01-05,4\n2026-02-30,5\n", 3, "date", "not YYYY-MM-DD"),
    ("date,skin_score\n2026-01-05,4\n,5\n", 3, "date", "missing date"),
    ("date,skin_score\n2026-01-05,4\n2026-01-06,5\n2026-01-05,6\n", 4, "date", "appears twice"),
    ("date,skin_score\n2026-01-04,4\n", 2, "date", "outside the plan"),
    ("date,skin_score\n2026-03-02,4\n", 2, "date", "outside the plan"),
    ("date,skin_score\n2026-01-05,11\n", 2, "skin_score", "outside the allowed range 0–10"),
    ("date,skin_score\n2026-01-05,-1\n", 2, "skin_score", "outside the allowed range"),
    ("date,skin_score,itch\n2026-01-05,4,12\n", 2, "itch", "outside the allowed range"),
    ("date,skin_score\n2026-01-05,four\n", 2, "skin_score", "not a number"),
    ("date,skin_score,adhered\n2026-01-05,4,2\n", 2, "adhered", "not 0 or 1"),
    ("date,skin_score,sleep_hours\n2026-01-05,4,25\n", 2, "sleep_hours", "outside the allowed range"),
    ("date,skin_score\n2026-01-05,4,7\n", 2, None, "header has 2 columns"),
    ("day,skin_score\n2026-01-05,4\n", 1, "date", "no 'date' column"),
    ("date,itch\n2026-01-05,4\n", 1, "skin_score", "outcome column 'skin_score' is missing"),
    ("date,skin_score,skin_score\n2026-01-05,4,4\n", 1, "skin_score", "twice"),
    ("# only a comment\n\ndate,skin_score\n# ignored\n2026-01-05,nan?\n", 5, "skin_score", "not a number"),
])
def test_bad_diaries_raise_input_error_with_line_and_field(tmp_path: Path, plan, text, line, field, message):
    path = write_csv(tmp_path / "diary.csv", text)
    with pytest.raises(InputError, match=message) as err:
        load_diary(path, plan)
    assert err.value.path == str(path)
    assert err.value.line == line
    assert err.value.field == field
    one_line = str(err.value)
    assert "\n" not in one_line and one_line.startswith(f"{path}:{line}")


@pytest.mark.parametrize(("text", "message"), [("", "empty"), ("# nothing\n\n", "empty"),
                                               ("date,skin_score\n", "no rows")])
def test_empty_diaries(tmp_path: Path, plan, text, message):
    with pytest.raises(InputError, match=message):
        load_diary(write_csv(tmp_path / "d.csv", text), plan)


def test_without_a_plan_dates_are_not_checked(tmp_path: Path):
    diary = load_diary(write_csv(tmp_path / "d.csv", "date,skin_score\n2030-01-01,3\n"))
    assert diary.dates == [date(2030, 1, 1)]


def test_custom_outcome_uses_the_plan_range(tmp_path: Path):
    from gutskin.trial import make_plan

    plan = make_plan("dairy", "acne", "2026-01-05", outcome="redness").model_copy(
        update={"outcome_range": (0.0, 4.0)})
    ok = load_diary(write_csv(tmp_path / "d.csv", "date,redness\n2026-01-05,3\n"), plan)
    assert ok.frame["redness"].tolist() == [3.0]
    with pytest.raises(InputError, match="0–4") as err:
        load_diary(write_csv(tmp_path / "e.csv", "date,redness\n2026-01-05,5\n"), plan)
    assert err.value.field == "redness"


def test_dataframe_input_is_validated_the_same_way(plan):
    frame = pd.DataFrame({"date": [date(2026, 1, 5), date(2026, 1, 6)], "skin_score": [4.0, np.nan],
                          "adhered": [1.0, 0.0]})
    diary = load_diary(frame, plan)
    assert diary.frame["adhered"].tolist() == [1.0, 0.0]
    bad = frame.assign(skin_score=[4.0, 10.5])
    with pytest.raises(InputError, match="outside") as err:
        load_diary(bad, plan)
    assert err.value.line == 3  # as if written to CSV: header on line 1


def test_template_lists_every_day_and_loads_back(tmp_path: Path, plan):
    text = template_csv(plan)
    rows = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert rows[0].startswith("date,phase,skin_score,itch,adhered")
    assert len(rows) == 1 + 56
    assert rows[1].startswith("2026-01-05,baseline,") and rows[-1].startswith("2026-03-01,reintroduction,")
    path = write_template(plan, tmp_path / "template.csv")
    diary = load_diary(path, plan)
    assert len(diary) == 56 and diary.frame["skin_score"].isna().all()
