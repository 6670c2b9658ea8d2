"""What a benchmark report says about the machine, so that two machines' reports compare.

Every field degrades to ``None`` where the platform cannot tell (no
/proc/cpuinfo on macOS or Windows, an old NumPy, no native build). Nothing here
imports PyTorch or changes a thread setting: the parent process of a
fresh-process run collects this while its workers do the timing.
"""
import os
import platform

# The CPU's facts are the ones fastnn's thread tuning keys its cache on.
from ..backends.native.tuning import cpu_id, cpu_model, usable_cores


def isa_variant():
    """The instruction-set variant fastnn's GEMM picked on this CPU (e.g. 'avx512')."""
    try:
        from ..backends.native import _gemm
        return _gemm.current_variant()
    except (ImportError, AttributeError):
        return None


def blas_info():
    """Vendor, version and build configuration of NumPy's BLAS."""
    import numpy as np
    try:
        # NumPy >= 1.25 returns its build configuration as a dict.
        deps = np.show_config(mode="dicts")["Build Dependencies"]
        blas = deps.get("blas", {})
        info = {"name": blas.get("name"), "version": blas.get("version"),
                "config": blas.get("openblas configuration")}
    except (TypeError, KeyError, AttributeError):
        # Older NumPy keeps distutils-style dicts, which name the libraries only.
        cfg = getattr(np, "__config__", None)
        opt = {}
        for attr in ("blas_ilp64_opt_info", "blas_opt_info"):
            opt = getattr(cfg, attr, None) or {}
            if opt:
                break
        info = {"name": ",".join(opt.get("libraries", [])) or None, "version": None, "config": None}
    # threadpoolctl, where installed, also knows the kernels OpenBLAS chose at run
    # time (its DYNAMIC_ARCH builds pick them per CPU); the report does not need it.
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                info["runtime"] = {k: pool.get(k) for k in ("internal_api", "version", "architecture")}
                break
    except ImportError:
        pass
    return info


def blas_threads():
    """NumPy's BLAS pool size: through fastnn's own BLAS control where it knows the
    library, else threadpoolctl where installed; None when neither can tell."""
    try:
        from .. import _blas
        n = _blas.get_num_threads()
        if n is not None:
            return n
    except (ImportError, AttributeError):
        pass
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            return pool.get("num_threads")
    return None


def thread_thresholds():
    """The work sizes from which fastnn's kernels use more than one thread, where
    set (by fastnn's import from the user's tuning cache, ``python -m fastnn.bench
    --tune``, or by hand); None means the built-in default."""
    return {name: os.environ.get(name) for name in ("FASTNN_PAR_MIN_ELEMS", "FASTNN_PAR_MIN_MACS")}


def torch_version():
    """PyTorch's version from its package metadata, without importing it."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:
        return None
    try:
        return version("torch")
    except PackageNotFoundError:
        return None


def machine_info():
    """The machine and library fields that open a report."""
    import numpy as np
    import fastnn
    return {
        "cpu": cpu_model(),
        "cpu_id": cpu_id(),
        "cores": os.cpu_count(),
        "cores_usable": usable_cores(),
        "isa_variant": isa_variant(),
        "blas": blas_info(),
        "fastnn": fastnn.__version__,
        "numpy": np.__version__,
        "torch": torch_version(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "system": platform.system(),
    }
