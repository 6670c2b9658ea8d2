"""keras.ops.arange / sin / cos: Keras's dtype rule (int32 for all-int arguments, float32
otherwise), NumPy's values, and the step check."""
import numpy as np
import pytest

from fastnn.keras import ops


def test_arange_values_and_dtypes():
    a = ops.arange(5)
    assert str(a.dtype).endswith("int32")
    np.testing.assert_array_equal(a.numpy(), np.arange(5))
    b = ops.arange(start=1, stop=2, step=0.25)
    assert str(b.dtype).endswith("float32")
    np.testing.assert_allclose(b.numpy(), [1.0, 1.25, 1.5, 1.75])
    np.testing.assert_array_equal(ops.arange(6, 0, -2).numpy(), [6, 4, 2])
    assert str(ops.arange(3, dtype="float64").dtype).endswith("float64")
    with pytest.raises(ValueError, match="step"):
        ops.arange(0, 3, 0)


def test_sin_cos():
    x = np.linspace(-2, 2, 9).astype(np.float32)
    np.testing.assert_allclose(ops.sin(x).numpy(), np.sin(x), rtol=1e-6)
    np.testing.assert_allclose(ops.cos(x).numpy(), np.cos(x), rtol=1e-6)
