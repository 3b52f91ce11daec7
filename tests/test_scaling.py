from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seqlab import DataError, MinMaxScaler, StandardScaler
from seqlab.data.scaling import scaler_from_dict

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32)


@pytest.mark.parametrize("cls", [StandardScaler, MinMaxScaler])
@given(
    x=arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.integers(1, 5), st.integers(1, 3)),
        elements=finite,
    )
)
def test_inverse_transform_round_trips(cls: type[StandardScaler], x: np.ndarray) -> None:
    scaler = cls().fit(x)
    back = scaler.inverse_transform(scaler.transform(x))
    np.testing.assert_allclose(back, x, rtol=1e-5, atol=1e-5 * (1 + np.abs(x).max()))
    again = scaler_from_dict(scaler.to_dict())
    np.testing.assert_array_equal(again.transform(x), scaler.transform(x))


def test_standard_scaler_statistics_and_zero_variance() -> None:
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    scaler = StandardScaler().fit(x)
    np.testing.assert_allclose(scaler.mean_, [2.0, 5.0])
    np.testing.assert_allclose(scaler.scale_, [1.0, 1.0])  # second column: zero variance -> 1
    np.testing.assert_allclose(scaler.transform(x), [[-1.0, 0.0], [1.0, 0.0]])


def test_scaler_errors() -> None:
    with pytest.raises(DataError, match="not fitted"):
        StandardScaler().transform([[1.0]])
    scaler = StandardScaler().fit(np.zeros((3, 2)))
    with pytest.raises(DataError, match=r"fitted on 2 feature\(s\)"):
        scaler.transform(np.zeros((3, 3)))
    with pytest.raises(DataError, match="NaN"):
        StandardScaler().fit([[np.nan]])
