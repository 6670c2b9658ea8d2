"""The cupy backend exports exactly the reference's names, importable without CuPy."""
import importlib
import subprocess
import sys

import pytest

from fastnn.backends import FAMILIES


@pytest.mark.parametrize("family", FAMILIES)
def test_same_names_as_reference(family):
    ref = importlib.import_module(f"fastnn.backends.numpy_ref.{family}")
    gpu = importlib.import_module(f"fastnn.backends.cupy.{family}")
    assert sorted(gpu.__all__) == sorted(ref.__all__)
    for name in gpu.__all__:
        assert callable(getattr(gpu, name)), name


def test_importing_fastnn_and_the_backend_does_not_import_cupy():
    code = ("import sys, fastnn, fastnn.cuda, fastnn.device, fastnn._device_move\n"
            "from fastnn.backends import backend\n"
            "names = backend('cupy').kernel_names()\n"
            "assert len(names) > 20, names\n"
            "assert 'cupy' not in sys.modules, 'cupy was imported'\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
