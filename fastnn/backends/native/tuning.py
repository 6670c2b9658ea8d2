"""Thread thresholds measured on the user's machine, cached per CPU (like FFTW's wisdom).

A parallel region pays a fork/join (and a wake-up when the team was asleep)
whose cost depends on the CPU, the hypervisor and the OpenMP runtime; below
some amount of work, one thread is faster. fastnn's native kernels ask
``fastnn_team(work, threshold)`` (parallel.h) with two thresholds:

* ``FASTNN_PAR_MIN_ELEMS``: elements touched by a streaming pass
  (elementwise, pooling), default 2**20;
* ``FASTNN_PAR_MIN_MACS``: multiply-adds of a product or convolution,
  default 2**23.

The defaults are on the safe side (two threads won from about there on a
2-core VM whose every region paid a ~100 us wake-up). ``tune()`` measures
the break-even points here instead, in a fresh process (≤ ~2 s): a native
ReLU and fastnn's GEMM at growing sizes, forced onto 1 and onto all threads,
alternating; the threshold is the smallest size from which all threads are at
least 10% faster at every larger size tried. The result is stored in the
user's cache directory under a key of CPU model, core count, ISA setting
(``FASTNN_ISA``) and fastnn version, and applied at ``import fastnn``.

    python -m fastnn.bench --tune     # measure and cache
    FASTNN_NO_TUNE=1                  # ignore the cache: built-in defaults
    FASTNN_PAR_MIN_ELEMS=... / FASTNN_PAR_MIN_MACS=...   # your own values win
"""
import json
import os
import platform
import subprocess
import sys
import time

__all__ = ["cache_path", "machine_key", "load", "tune"]

_SETTINGS = ("FASTNN_PAR_MIN_ELEMS", "FASTNN_PAR_MIN_MACS")
_MARGIN = 0.9  # all threads must take at most this fraction of one thread's time


def cache_path():
    """Where measurements are kept: $FASTNN_CACHE_DIR, else the platform's user cache dir."""
    base = os.environ.get("FASTNN_CACHE_DIR")
    if not base:
        if sys.platform == "win32":
            base = os.path.join(os.environ.get("LOCALAPPDATA", os.path.expanduser("~")), "fastnn")
        elif sys.platform == "darwin":
            base = os.path.expanduser("~/Library/Caches/fastnn")
        else:
            base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                                "fastnn")
    return os.path.join(base, "tuning.json")


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


def l2_cache_bytes(default=1 << 20):
    """The L2 cache of one core, in bytes (Linux sysfs, macOS sysctl), else ``default``.

    The convolution's blocking (conv.py) sizes its working sets from it, so
    that a block stays in the L2 of the machine it runs on (1 MiB on Zen 4
    and Skylake-X, 2 MiB on Sapphire Rapids).
    """
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in sorted(os.listdir(base)):
            with open(os.path.join(base, entry, "level")) as fh:
                if fh.read().strip() != "2":
                    continue
            with open(os.path.join(base, entry, "size")) as fh:
                text = fh.read().strip().upper()
            scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1:], 1)
            return int(text.rstrip("KM")) * scale
    except (OSError, ValueError):
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(["sysctl", "-n", "hw.l2cachesize"], capture_output=True, text=True,
                                 timeout=5)
            return int(out.stdout.strip())
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    return default


def machine_key():
    from ... import __version__
    isa = os.environ.get("FASTNN_ISA", "").strip() or "auto"
    cpu = " ".join(filter(None, (cpu_model() or "unknown CPU", cpu_id())))
    return f"{cpu} | {usable_cores()} cores | isa={isa} | fastnn {__version__}"


def _read_cache():
    try:
        with open(cache_path()) as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def load():
    """Apply this machine's cached thresholds to the environment the kernels read.

    Does nothing when FASTNN_NO_TUNE=1, when nothing is cached for this
    machine, or for a setting the user already made. Returns the values applied.
    """
    if os.environ.get("FASTNN_NO_TUNE", "") not in ("", "0"):
        return {}
    cache = _read_cache()
    entry = cache.get(machine_key()) if cache else None  # no CPU probing without a cache
    if not isinstance(entry, dict):
        return {}
    applied = {}
    for name in _SETTINGS:
        value = entry.get(name)
        if isinstance(value, (int, float)) and value >= 0 and name not in os.environ:
            os.environ[name] = str(int(value))
            applied[name] = int(value)
    return applied


# ---- the measurement, run in a fresh process ---------------------------------------

def _best(fn, reps):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _break_even(sizes, run, threads, budget_s):
    """Smallest size from which ``threads`` threads beat one by _MARGIN at every larger size."""
    import fastnn
    deadline = time.perf_counter() + budget_s
    winning = []
    for size in sizes:
        fn = run(size)
        fn()
        times = {1: float("inf"), threads: float("inf")}
        for _ in range(3):  # alternate, so a noisy spell hits both
            for n in (1, threads):
                fastnn.set_num_threads(n)
                fn()
                times[n] = min(times[n], _best(fn, 5))
        winning.append(times[threads] <= _MARGIN * times[1])
        if time.perf_counter() > deadline:
            break
    fastnn.set_num_threads(threads)
    threshold = None
    for size, wins in zip(reversed(sizes[:len(winning)]), reversed(winning)):
        if not wins:
            break
        threshold = size
    if threshold is None:  # never won (or only at sizes past the budget): beyond what was tried
        threshold = sizes[len(winning) - 1] * 4
    return threshold


def _measure():
    """Child process: print the break-even points as JSON."""
    import numpy as np

    import fastnn
    from . import _gemm, elementwise
    threads = fastnn.get_num_threads()
    if threads < 2:
        print(json.dumps({}))
        return
    rng = np.random.default_rng(0)

    def relu(n):
        x = rng.standard_normal(n).astype(np.float32)
        return lambda: elementwise.relu_forward(x)

    def gemm(macs):
        side = max(8, round(macs ** (1 / 3)))
        a = rng.standard_normal((side, side)).astype(np.float32)
        b = rng.standard_normal((side, side)).astype(np.float32)
        c = np.empty((side, side), np.float32)
        return lambda: _gemm.gemm(a, b, c, False, False, side, side, side, side, side)

    elems = _break_even([1 << s for s in range(14, 25, 2)], relu, threads, 0.8)
    macs = _break_even([1 << s for s in range(15, 27, 2)], gemm, threads, 0.8)
    print(json.dumps({"FASTNN_PAR_MIN_ELEMS": elems, "FASTNN_PAR_MIN_MACS": macs}))


def busy():
    """True when other processes kept more than half a core busy lately (Unix load average)."""
    try:
        return os.getloadavg()[0] > 0.5
    except (AttributeError, OSError):
        return False


def tune(write=True):
    """Measure this machine's thresholds (≤ ~2 s) and, with ``write``, cache them.

    Returns the dict of settings measured ({} on a one-core machine). Measure
    on an otherwise idle machine: another busy process takes the second core,
    and the thresholds then say so (``busy`` warns when the load average says
    the machine was not idle).
    """
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS and k != "FASTNN_PAR_MIN_SCALE"}
    # every size is threaded in the child, so that both team sizes are timed
    env.update({"FASTNN_PAR_MIN_ELEMS": "0", "FASTNN_PAR_MIN_MACS": "0", "FASTNN_NO_TUNE": "1"})
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    from ..._child import package_root
    out = subprocess.run([sys.executable, "-c", "from fastnn.backends.native import tuning; tuning._measure()"],
                         env=env, capture_output=True, text=True, timeout=120, cwd=package_root())
    if out.returncode != 0:
        raise RuntimeError(f"tune: the measuring process failed:\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result and busy():
        result["busy_load_average"] = round(os.getloadavg()[0], 2)
    if write and result:
        data = _read_cache()
        data[machine_key()] = dict(result, measured=time.strftime("%Y-%m-%d %H:%M:%S"))
        path = cache_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    return result
