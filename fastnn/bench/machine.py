"""What a benchmark report says about the machine, so that two machines' reports compare.

Every field degrades to ``None`` where the platform cannot tell (no
/proc/cpuinfo on macOS or Windows, an old NumPy, no native build). Nothing here
imports PyTorch or changes a thread setting: the parent process of a
fresh-process run collects this while its workers do the timing.
"""
import os
import platform
import subprocess
import sys


def _cpuinfo_fields():
    """/proc/cpuinfo's ``key: value`` fields, first occurrence of each (Linux), or {}.
    The whole file is read: ARM kernels put "Hardware" after the processor blocks."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, sep, value = line.partition(":")
                if sep:
                    fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields


def cpu_model():
    """The CPU's marketing name, e.g. 'AMD EPYC 9R14' (a VM may show less)."""
    info = _cpuinfo_fields()
    # x86 names the CPU in "model name"; ARM boards use "Hardware" or "Model".
    for key in ("model name", "Hardware", "Model", "cpu model"):
        if info.get(key):
            return info[key]
    if sys.platform == "darwin":
        try:
            out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                 text=True, timeout=5).stdout.strip()
            if out:
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    if sys.platform == "win32":
        try:
            import winreg
            key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE,
                                 r"HARDWARE\DESCRIPTION\System\CentralProcessor\0")
            return winreg.QueryValueEx(key, "ProcessorNameString")[0].strip()
        except OSError:
            pass
    return platform.processor() or platform.machine() or None


def cpu_id():
    """x86 family/model/stepping from /proc/cpuinfo: it tells CPU generations apart
    where a VM hides the full name (e.g. 'AMD EPYC' alone)."""
    info = _cpuinfo_fields()
    if "cpu family" in info and "model" in info:
        return f"family {info['cpu family']} model {info['model']} stepping {info.get('stepping', '?')}"
    return None


def usable_cores():
    """The cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


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
