"""SampleNotes keeps each sample's warnings in the order they were noted, shared or not."""

from __future__ import annotations

import pytest

from gutskin.engine.scoring import SampleNotes


def test_order_and_sharing_follow_the_noting_order() -> None:
    notes = SampleNotes(["a", "b", "c"])
    notes.add(["all one"])
    notes.add(["b only"], ["b"])
    notes.add([])  # nothing to say adds nothing
    notes.add(["all two", "all three"])
    notes.add(["b and c"], ["b", "c"])
    assert notes["a"] == ["all one", "all two", "all three"]
    assert notes["b"] == ["all one", "b only", "all two", "all three", "b and c"]
    assert notes["c"] == ["all one", "all two", "all three", "b and c"]
    assert notes.joined() == [" | ".join(notes[s]) for s in "abc"]
    assert list(notes) == ["a", "b", "c"] and len(notes) == 3
    with pytest.raises(KeyError):
        notes["d"]


def test_no_notes_give_empty_texts_and_later_notes_are_seen() -> None:
    notes = SampleNotes(["x", "y"])
    assert notes.joined() == ["", ""]
    notes.add(["late"], ["y"])  # a note after a read is not lost to the cached index
    assert notes.joined() == ["", "late"] and notes["y"] == ["late"]


def test_many_sample_specific_notes_stay_per_sample() -> None:
    samples = [f"s{i}" for i in range(2000)]
    notes = SampleNotes(samples)
    notes.add(["shared"])
    for i, s in enumerate(samples):
        if i % 2:
            notes.add([f"low resolution {i}"], [s])
    joined = notes.joined()
    assert joined[0] == "shared" and joined[1] == "shared | low resolution 1"
    assert joined[1999] == "shared | low resolution 1999"
