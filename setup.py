"""Build fastnn's native kernels.

Every ``.pyx`` under ``fastnn/backends/native/`` (one folder per kernel family,
plus ``common/``) becomes one extension module. A .pyx that needs C files of its
own names them in its header with Cython's directive
``# distutils: sources = fastnn/backends/native/<family>/xxx_kernel.c``; C files
include each other's headers by their path under ``fastnn/backends/native/``
(``"common/parallel.h"``).

OpenMP is used when the compiler accepts it (probed below) and left out
otherwise: the kernels then run single-threaded but still build. No
``-march=native``: per-CPU variants are chosen at run time inside the kernels.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

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


class BuildExt(build_ext):
    """Add OpenMP and optimisation flags the compiler understands."""

    def build_extensions(self):
        ctype = self.compiler.compiler_type
        if ctype == "msvc":
            compile_args, link_args = ["/O2", "/openmp"], []
        else:
            compile_args = ["-O3", "-fno-math-errno", "-Wno-unused-function", "-Wno-unreachable-code"]
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
        nthreads=int(os.environ.get("FASTNN_BUILD_JOBS", "0")) or None,
    )


setup(ext_modules=native_extensions(), cmdclass={"build_ext": BuildExt})
