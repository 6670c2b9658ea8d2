"""Build fastnn's native kernels.

Every ``.pyx`` under ``fastnn/backends/native/`` (one folder per kernel family,
plus ``common/``) becomes one extension module. A .pyx that needs C files of its
own names them in its header with Cython's directive
``# distutils: sources = fastnn/backends/native/<family>/xxx_kernel.c``; C files
include each other's headers by their path under ``fastnn/backends/native/``
(``"common/parallel.h"``).

OpenMP is used when the compiler accepts it (probed below) and left out
otherwise: the kernels then run single-threaded but still build. No
``-march=native``: the hot loops are compiled once per ISA level and the level
is chosen at run time (fastnn/backends/native/common/isa.h).

Build time: everything compiles in parallel by default, on every core (or
FASTNN_BUILD_JOBS; ``-j N`` on build_ext still wins): Cython's translation, the
extensions, and the C files inside one extension (the convolution's per-level
kernels are its slowest). Debug information is left out (``-g0``, after
Python's ``-g``): it was a third of the compile time of the big kernels;
FASTNN_DEBUG_BUILD=1 keeps it.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

NATIVE_DIR = os.path.join("fastnn", "backends", "native")


def _compiler_accepts(compiler, flags, link_flags):
    """Compile and link a tiny OpenMP program with ``compiler`` and ``flags``."""
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as fh:
            fh.write("#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n")
        exe = os.path.join(tmp, "probe")
        cmd = list(compiler) + flags + [src, "-o", exe] + link_flags
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_jobs():
    """Compiler processes to run at once: FASTNN_BUILD_JOBS, else one per core."""
    env = os.environ.get("FASTNN_BUILD_JOBS", "").strip()
    return max(1, int(env)) if env.isdigit() else (os.cpu_count() or 1)


class BuildExt(build_ext):
    """Add OpenMP and optimisation flags the compiler understands; build in parallel."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:  # no -j given (pip never gives one): every core
            self.parallel = build_jobs()

    def _compile_sources_in_parallel(self):
        """Compile the C files of one extension side by side, at most self.parallel
        compiler processes in all (extensions are built side by side too)."""
        jobs = int(self.parallel or 1)
        if jobs <= 1 or self.compiler.compiler_type != "unix":
            return
        slots = threading.BoundedSemaphore(jobs)
        compile_all = self.compiler.compile

        def compile_each(sources, *args, **kwargs):
            def one(src):
                with slots:
                    return compile_all([src], *args, **kwargs)
            with ThreadPoolExecutor(max_workers=max(1, len(sources))) as pool:
                return [obj for objs in pool.map(one, sources) for obj in objs]

        self.compiler.compile = compile_each

    def build_extensions(self):
        ctype = self.compiler.compiler_type
        if ctype == "msvc":
            # C11 for `restrict`, _Pragma and designated initializers; LLVM's
            # OpenMP runtime for `omp simd` (MSVC's own /openmp is OpenMP 2.0)
            compile_args, link_args = ["/O2", "/std:c11", "/openmp:llvm"], []
        else:
            compile_args = ["-O3", "-fno-math-errno", "-Wno-unused-function", "-Wno-unreachable-code"]
            if os.environ.get("FASTNN_DEBUG_BUILD") != "1":
                compile_args.append("-g0")
            link_args = []
            cc = self.compiler.compiler_so[:1]
            if os.environ.get("FASTNN_NO_OPENMP") != "1" and _compiler_accepts(cc, ["-fopenmp"], ["-fopenmp"]):
                compile_args.append("-fopenmp")
                link_args.append("-fopenmp")
            else:
                print("fastnn: compiler has no OpenMP; native kernels will be single-threaded", file=sys.stderr)
        for ext in self.extensions:
            ext.extra_compile_args = compile_args + list(ext.extra_compile_args or [])
            ext.extra_link_args = link_args + list(ext.extra_link_args or [])
        self._compile_sources_in_parallel()
        super().build_extensions()


def native_extensions():
    exts = []
    # Hand-written C sources and headers (Cython's output is _<module>.c): a
    # change to any of them rebuilds the extensions (cythonize itself only
    # tracks .pyx/.pxd files).
    def under(pattern):
        return glob.glob(os.path.join(NATIVE_DIR, "**", pattern), recursive=True)

    c_depends = sorted(under("*.h") + [c for c in under("*.c") if not os.path.basename(c).startswith("_")])
    for pyx in sorted(under("*.pyx")):
        mod = os.path.splitext(pyx)[0].replace(os.sep, ".")
        exts.append(Extension(
            mod, [pyx],
            include_dirs=[numpy.get_include(), NATIVE_DIR],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            depends=c_depends,
        ))
    return cythonize(
        exts,
        compiler_directives={"language_level": 3, "boundscheck": False, "wraparound": False,
                             "cdivision": True, "initializedcheck": False},
        nthreads=build_jobs(),
    )


# setuptools runs this file as __main__; the guard keeps cythonize's worker
# processes, which re-import it where processes are spawned (Windows, macOS),
# from starting a build of their own.
if __name__ == "__main__":
    setup(ext_modules=native_extensions(), cmdclass={"build_ext": BuildExt})
