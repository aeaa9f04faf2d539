"""Every real fixture reads the same from a binary stream (an upload, no temporary file) as from its path."""

from __future__ import annotations

import io

import numpy as np
import pytest

import gutskin
from gutskin.errors import InputError
from tests.conftest import FIXTURES

ALL = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*") if p.is_file() and p.name != "PROVENANCE.md")


@pytest.mark.slow  # reads all 81 fixtures twice
def test_every_fixture_reads_the_same_from_a_stream():
    compared = 0
    for rel in ALL:
        path = FIXTURES / rel
        try:
            by_path = gutskin.read(path)
        except InputError as exc:  # refused from a path (a taxonomy alone, an empty report): refused the same way
            with pytest.raises(InputError) as err:
                gutskin.read(io.BytesIO(path.read_bytes()), name=path.name)
            assert err.value.message == exc.message, rel
            continue
        by_stream = gutskin.read(io.BytesIO(path.read_bytes()), name=path.name)
        assert by_stream.values.shape == by_path.values.shape, rel
        assert np.array_equal(by_stream.values.toarray(), by_path.values.toarray()), rel
        assert list(by_stream.taxa.index) == list(by_path.taxa.index), rel
        assert [i.format for i in by_stream.info] == [i.format for i in by_path.info], rel
        if by_path.n_samples > 1:
            assert by_stream.samples == by_path.samples, rel
        compared += 1
    assert compared > 60
