# distutils: sources = fastnn/backends/native/probe/fma_peak.c fastnn/backends/native/probe/triad.c fastnn/backends/native/common/isa_link.c
"""Compiled side of the machine probes (probe.h): peak FMA throughput per ISA
level and STREAM-triad bandwidth, one nogil call each; fastnn/bench/roofline.py
times them."""
from ..common cimport _isa

_isa.fastnn_isa_link(_isa.level_address())

cdef extern from "probe/probe.h" nogil:
    double probe_fma(int isa, long iters, int nthreads)
    void probe_triad(double *a, const double *b, const double *c, double s, long n, long reps,
                     int nthreads)


def fma(int level, long iters, int nthreads):
    """Run the FMA loop of ISA level ``level`` (0 generic, 1 avx2, 2 avx512) for
    ``iters`` rounds on ``nthreads`` threads; the floating-point operations done."""
    cdef double flops
    with nogil:
        flops = probe_fma(level, iters, nthreads)
    return flops


def triad(double[::1] a, const double[::1] b, const double[::1] c, double s, long reps, int nthreads):
    """reps passes of a = b + s * c (equal lengths, checked by the caller)."""
    with nogil:
        probe_triad(&a[0], &b[0], &c[0], s, a.shape[0], reps, nthreads)


def isa_level():
    """The ISA level this module's C code runs now, as a number (see common/isa.h)."""
    return _isa.fastnn_isa()
