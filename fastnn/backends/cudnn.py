"""fastnn.backends.cudnn: torch.backends.cudnn's switches, kept as harmless settings.

fastnn does not use cuDNN (its GPU kernels are its own, through CuPy), so
``is_available()`` is False, as on a CPU build of PyTorch, and ``benchmark``,
``deterministic``, ``enabled`` and ``allow_tf32`` are plain module attributes a
script may set (``fastnn.backends.cudnn.benchmark = True``) without effect.
fastnn's kernels are deterministic whatever ``deterministic`` says.
"""
import contextlib

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None


def is_acceptable(tensor):
    return False


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True):
    """Set the switches inside a ``with`` block, as torch.backends.cudnn.flags."""
    mod = globals()
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    saved = {n: mod[n] for n in names}
    mod.update(enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
               deterministic=deterministic, allow_tf32=allow_tf32)
    try:
        yield
    finally:
        mod.update(saved)
