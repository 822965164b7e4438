"""Ids' rows by binary search, sorted vocabulary or not."""

import numpy as np
import pytest

from recsys.vocabulary import IdRows


@pytest.mark.parametrize("vocabulary", [[3, 10, 42, 7], [3, 7, 10, 42], [5], []])
def test_id_rows_find_each_id_s_row_and_minus_one_for_the_unknown(vocabulary):
    rows = IdRows.of(np.array(vocabulary, dtype=np.int64))
    expected = {movie_id: row for row, movie_id in enumerate(vocabulary)}
    asked = np.array([*vocabulary, 0, 8, 100, -1], dtype=np.int64)
    np.testing.assert_array_equal(rows.rows(asked), [expected.get(int(i), -1) for i in asked])
    assert all(rows.row(i) == expected.get(int(i), -1) for i in asked)
    # A sorted vocabulary (as training writes it) needs no order array.
    assert (rows.order is None) == (vocabulary == sorted(vocabulary))
