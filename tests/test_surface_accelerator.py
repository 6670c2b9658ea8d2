"""fastnn.accelerator and the torch.backends settings modules (cudnn, mps, cuda, openmp)."""
import subprocess
import sys

import pytest

import fastnn
from fastnn._child import package_root

no_gpu = pytest.mark.skipif(fastnn.cuda.is_available(), reason="a GPU is usable here")


@no_gpu
def test_no_accelerator_answers():
    acc = fastnn.accelerator
    assert acc.is_available() is False and acc.current_accelerator() is None
    assert acc.current_accelerator(check_available=True) is None
    assert acc.device_count() == 0
    for call in (acc.current_device_index, acc.synchronize, acc.empty_cache,
                 acc.memory_allocated, lambda: acc.set_device_index(0),
                 acc.get_device_capability):
        with pytest.raises(RuntimeError, match="none is available"):
            call()
    with acc.device_index(None):  # a no-op, allowed without an accelerator
        pass
    with pytest.raises(RuntimeError, match="none is available"):
        with acc.device_index(0):
            pass


@no_gpu
def test_device_idiom():
    acc = fastnn.accelerator
    device = acc.current_accelerator() if acc.is_available() else fastnn.device("cpu")
    assert fastnn.ones(2, device=device).device == fastnn.device("cpu")


@pytest.mark.skipif(not fastnn.cuda.is_available(), reason="needs a usable GPU (CuPy)")
def test_with_gpu():
    acc = fastnn.accelerator
    assert acc.is_available() and acc.current_accelerator() == fastnn.device("cuda")
    assert acc.device_count() == fastnn.cuda.device_count() >= 1
    assert acc.current_device_index() == 0
    t = fastnn.ones(3, device=acc.current_accelerator())
    assert t.is_cuda
    acc.synchronize()
    assert acc.memory_allocated() > 0
    assert acc.get_device_capability()["major"] >= 3


@no_gpu
def test_matches_torch_cpu_build():
    torch = pytest.importorskip("torch")
    if torch.accelerator.is_available():
        pytest.skip("torch sees an accelerator")
    assert fastnn.accelerator.is_available() == torch.accelerator.is_available()
    assert fastnn.accelerator.current_accelerator() == torch.accelerator.current_accelerator()
    assert fastnn.accelerator.device_count() == torch.accelerator.device_count()
    assert fastnn.backends.cudnn.is_available() == torch.backends.cudnn.is_available()
    assert fastnn.backends.mps.is_available() == torch.backends.mps.is_available()
    for name in ("enabled", "benchmark", "deterministic"):
        assert getattr(fastnn.backends.cudnn, name) == getattr(torch.backends.cudnn, name)


def test_backend_settings_modules():
    cudnn = fastnn.backends.cudnn
    before = cudnn.benchmark
    cudnn.benchmark = True
    try:
        import fastnn.backends.cudnn as again
        assert again.benchmark is True
    finally:
        cudnn.benchmark = before
    with cudnn.flags(enabled=False, deterministic=True):
        assert cudnn.enabled is False and cudnn.deterministic is True
    assert cudnn.enabled is True and cudnn.version() is None
    assert fastnn.backends.mps.is_built() is False
    fastnn.backends.cuda.matmul.allow_tf32 = True
    assert fastnn.backends.openmp.is_available() == fastnn.backends.native_available()
    # still the backend registry
    with fastnn.use_backend("numpy"):
        assert fastnn.backends.current_cpu_backend().name == "numpy"


def test_backends_attribute_after_plain_import():
    code = ("import fastnn; fastnn.backends.cudnn.benchmark = True; "
            "print(fastnn.backends.mps.is_available(), fastnn.accelerator.is_available())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=package_root(), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "False"
