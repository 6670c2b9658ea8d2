# distutils: sources = fastnn/backends/native/fused/fused_kernel.c fastnn/backends/native/fused/fused_isa_generic.c fastnn/backends/native/fused/fused_isa_avx2.c fastnn/backends/native/fused/fused_isa_avx512.c fastnn/backends/native/common/isa_link.c
# A fused inference program: a fixed list of fused kernel calls (pack an
# NCHW input into a padded channels-last buffer, conv + bias [+ ReLU]
# [+ max pool], Linear + bias [+ ReLU]) over buffers planned once, run by one
# Python call with the GIL released: fastnn.compile runs a chain of layers
# through it with one Python -> C crossing (kernels in fused_kernel.c and
# fused_isa_body.h; the builder is fused/__init__.py).
#
# Safety: every op's extents (what it reads from its source, weights and bias,
# what it writes) are checked against the arrays it points into when the
# program is built, and a call checks its input's dtype and shape and makes
# it C-contiguous and aligned; so no call from Python can read or write out
# of bounds. Threads: a conv or linear op with at least FASTNN_PAR_MIN_MACS
# multiply-adds (parallel.h, fastnn's one policy) splits its output
# positions or rows over an OpenMP team; below that -- every layer of a small
# model at batch 1 -- it runs on the calling thread, as waking a team would
# cost more than the work.
# Reference: fastnn/backends/numpy_ref/conv.py, pool.py, gemm.py.
cimport numpy as cnp
from cython.parallel cimport prange
from libc.stdlib cimport calloc, free

import numpy as np

cnp.import_array()

from ..common cimport _isa

_isa.fastnn_isa_link(_isa.level_address())


def isa_level():
    """The ISA level this module's C code runs now, as a number (tests: every
    compiled module follows the one decision in common/_isa)."""
    return _isa.fastnn_isa()


cdef extern from "fused_kernel.h" nogil:
    ctypedef struct fnn_fconv:
        long n, c, hp, wp, kh, kw, sh, sw, dh, dw, cout, coutp, qh, qw, oh, ow
        long ys_n, ys_h, ys_w, ys_c
        int relu
    ctypedef struct fnn_flin:
        long rows, in_ "in", out, outp, xs, ys
        int relu
    ctypedef struct fnn_fpack:
        long n, c, h, w, ph, pw, hp, wp
    int FNN_FUSED_ALIGN
    void fnn_fconv_f32(int isa, const fnn_fconv *g, const float *x, const float *w,
                       const float *b, float *y, long p0, long p1)
    void fnn_fconv_f64(int isa, const fnn_fconv *g, const double *x, const double *w,
                       const double *b, double *y, long p0, long p1)
    void fnn_flin_f32(int isa, const fnn_flin *g, const float *x, const float *w,
                      const float *b, float *y, long r0, long r1)
    void fnn_flin_f64(int isa, const fnn_flin *g, const double *x, const double *w,
                      const double *b, double *y, long r0, long r1)
    void fnn_fpack_f32(const fnn_fpack *g, const float *x, float *xp)
    void fnn_fpack_f64(const fnn_fpack *g, const double *x, double *xp)

cdef extern from "common/parallel.h":
    double FASTNN_PAR_MIN_MACS
    int fastnn_team(double work, double min_work) nogil

ALIGN = FNN_FUSED_ALIGN

cdef enum:
    OP_PACK = 0
    OP_CONV = 1
    OP_LINEAR = 2
    MAX_DIMS = 8

cdef struct Op:
    int kind
    fnn_fpack pack
    fnn_fconv conv
    fnn_flin lin
    char *src  # NULL: the call's input
    char *dst  # NULL: the call's output
    char *w
    char *b
    long work  # positions (conv) or rows (linear), split over threads
    double macs  # multiply-adds, for the thread policy


cdef void _run_op(Op *op, char *src, char *dst, int isa, int typenum, long p0,
                  long p1) noexcept nogil:
    """Positions (conv) or rows (linear) [p0, p1) of one op."""
    if op.kind == OP_CONV:
        if typenum == cnp.NPY_FLOAT:
            fnn_fconv_f32(isa, &op.conv, <float *>src, <float *>op.w, <float *>op.b,
                          <float *>dst, p0, p1)
        else:
            fnn_fconv_f64(isa, &op.conv, <double *>src, <double *>op.w, <double *>op.b,
                          <double *>dst, p0, p1)
    else:
        if typenum == cnp.NPY_FLOAT:
            fnn_flin_f32(isa, &op.lin, <float *>src, <float *>op.w, <float *>op.b,
                         <float *>dst, p0, p1)
        else:
            fnn_flin_f64(isa, &op.lin, <double *>src, <double *>op.w, <double *>op.b,
                         <double *>dst, p0, p1)


cdef char *_place(object where, int typenum, Py_ssize_t extent, Py_ssize_t io_size,
                  str what) except? NULL:
    """The address of `where` -- "in"/"out" (NULL: bound per call, io_size
    elements) or (array, element offset) -- after checking that `extent`
    elements from there lie inside it."""
    cdef cnp.ndarray a
    cdef Py_ssize_t off
    if isinstance(where, str):
        if extent > io_size:
            raise ValueError(f"{what}: reaches {extent} elements of a {io_size}-element {where}put")
        return NULL
    a, off = where
    if not isinstance(a, np.ndarray) or cnp.PyArray_TYPE(a) != typenum \
            or not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_ISALIGNED(a) \
            or not cnp.PyArray_ISWRITEABLE(a):
        raise TypeError(f"{what}: expected an aligned, writeable, C-contiguous array "
                        f"of the program's dtype")
    if off < 0 or off + extent > cnp.PyArray_SIZE(a):
        raise ValueError(f"{what}: elements [{off}, {off + extent}) outside an array of "
                         f"{cnp.PyArray_SIZE(a)}")
    return <char *>cnp.PyArray_DATA(a) + off * cnp.PyArray_ITEMSIZE(a)


cdef class Program:
    """Program(dtype, in_shape, out_shape, ops): see fused/__init__.py (build)
    for the op tuples. ``run(x)`` returns a new array of out_shape."""
    cdef Op *ops
    cdef int n_ops
    cdef int typenum
    cdef int in_nd, out_nd
    cdef cnp.npy_intp in_dims[MAX_DIMS]
    cdef cnp.npy_intp out_dims[MAX_DIMS]
    cdef readonly tuple in_shape, out_shape
    cdef readonly object dtype
    cdef list keep

    def __cinit__(self, dtype, in_shape, out_shape, ops):
        cdef Op *op
        cdef Py_ssize_t i, n_in, n_out
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype: expected float32 or float64, got {self.dtype}")
        self.typenum = self.dtype.num
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        for name, shape in (("in_shape", self.in_shape), ("out_shape", self.out_shape)):
            if not 1 <= len(shape) <= MAX_DIMS or any(int(d) < 1 for d in shape):
                raise ValueError(f"{name}: expected 1 to {MAX_DIMS} positive sizes, got {shape}")
        self.in_nd, self.out_nd = len(self.in_shape), len(self.out_shape)
        for i, d in enumerate(self.in_shape):
            self.in_dims[i] = d
        for i, d in enumerate(self.out_shape):
            self.out_dims[i] = d
        n_in, n_out = int(np.prod(self.in_shape)), int(np.prod(self.out_shape))
        ops = list(ops)
        self.ops = <Op *>calloc(max(1, len(ops)), sizeof(Op))
        if self.ops == NULL:
            raise MemoryError()
        self.keep = []
        for i in range(len(ops)):
            op = &self.ops[i]
            spec = ops[i]
            kind = spec[0]
            if kind == "pack":
                self._pack(op, spec, n_in, n_out)
            elif kind == "conv":
                self._conv(op, spec, n_in, n_out)
            elif kind == "linear":
                self._linear(op, spec, n_in, n_out)
            else:
                raise ValueError(f"ops[{i}]: expected 'pack', 'conv' or 'linear', got {kind!r}")
            self.keep.append(spec)
            self.n_ops = i + 1

    def __dealloc__(self):
        free(self.ops)

    cdef _pack(self, Op *op, tuple spec, Py_ssize_t n_in, Py_ssize_t n_out):
        _, geo, src, dst = spec
        n, c, h, w, ph, pw, hp, wp = [int(v) for v in geo]
        if min(n, c, h, w) < 1 or ph < 0 or pw < 0 or ph + h > hp or pw + w > wp:
            raise ValueError(f"pack: bad geometry {geo}")
        op.kind = OP_PACK
        op.pack = fnn_fpack(n=n, c=c, h=h, w=w, ph=ph, pw=pw, hp=hp, wp=wp)
        op.src = _place(src, self.typenum, n * c * h * w, n_in, "pack source")
        op.dst = _place(dst, self.typenum, n * hp * wp * c, n_out, "pack destination")

    cdef _conv(self, Op *op, tuple spec, Py_ssize_t n_in, Py_ssize_t n_out):
        _, geo, wt, b, src, dst = spec
        (n, c, hp, wp, kh, kw, sh, sw, dh, dw, cout, coutp, qh, qw, oh, ow,
         ys_n, ys_h, ys_w, ys_c, relu) = [int(v) for v in geo]
        if min(n, c, hp, wp, kh, kw, sh, sw, dh, dw, cout, qh, qw, oh, ow) < 1 \
                or coutp < cout or coutp % FNN_FUSED_ALIGN or min(ys_n, ys_h, ys_w, ys_c) < 0 \
                or (oh * qh - 1) * sh + (kh - 1) * dh >= hp \
                or (ow * qw - 1) * sw + (kw - 1) * dw >= wp:
            raise ValueError(f"conv: bad geometry {geo}")
        op.kind = OP_CONV
        op.conv = fnn_fconv(n=n, c=c, hp=hp, wp=wp, kh=kh, kw=kw, sh=sh, sw=sw, dh=dh, dw=dw,
                            cout=cout, coutp=coutp, qh=qh, qw=qw, oh=oh, ow=ow, ys_n=ys_n,
                            ys_h=ys_h, ys_w=ys_w, ys_c=ys_c, relu=1 if relu else 0)
        op.w = _place((wt, 0), self.typenum, kh * kw * c * coutp, 0, "conv weight")
        op.b = _place((b, 0), self.typenum, coutp, 0, "conv bias")
        op.src = _place(src, self.typenum, n * hp * wp * c, n_in, "conv source")
        last = (n - 1) * ys_n + (oh - 1) * ys_h + (ow - 1) * ys_w + (cout - 1) * ys_c + 1
        op.dst = _place(dst, self.typenum, last, n_out, "conv destination")
        op.work = n * oh * ow
        op.macs = <double>op.work * qh * qw * cout * c * kh * kw

    cdef _linear(self, Op *op, tuple spec, Py_ssize_t n_in, Py_ssize_t n_out):
        _, geo, wt, b, src, dst = spec
        rows, n_i, out, outp, xs, ys, relu = [int(v) for v in geo]
        if min(rows, n_i, out) < 1 or outp < out or outp % FNN_FUSED_ALIGN or xs < n_i \
                or ys < out:
            raise ValueError(f"linear: bad geometry {geo}")
        op.kind = OP_LINEAR
        op.lin = fnn_flin(rows=rows, in_=n_i, out=out, outp=outp, xs=xs, ys=ys,
                          relu=1 if relu else 0)
        op.w = _place((wt, 0), self.typenum, n_i * outp, 0, "linear weight")
        op.b = _place((b, 0), self.typenum, outp, 0, "linear bias")
        op.src = _place(src, self.typenum, (rows - 1) * xs + n_i, n_in, "linear source")
        op.dst = _place(dst, self.typenum, (rows - 1) * ys + out, n_out, "linear destination")
        op.work = rows
        op.macs = <double>rows * n_i * out

    cdef void _exec(self, char *x, char *y, int isa) noexcept nogil:
        cdef int i, t, team
        cdef Op *op
        cdef char *src
        cdef char *dst
        for i in range(self.n_ops):
            op = &self.ops[i]
            src = op.src if op.src != NULL else x
            dst = op.dst if op.dst != NULL else y
            if op.kind == OP_PACK:
                if self.typenum == cnp.NPY_FLOAT:
                    fnn_fpack_f32(&op.pack, <float *>src, <float *>dst)
                else:
                    fnn_fpack_f64(&op.pack, <double *>src, <double *>dst)
                continue
            team = fastnn_team(op.macs, FASTNN_PAR_MIN_MACS)
            if team > op.work:
                team = <int>op.work
            if team <= 1:
                _run_op(op, src, dst, isa, self.typenum, 0, op.work)
            else:
                for t in prange(team, num_threads=team, schedule="static"):
                    _run_op(op, src, dst, isa, self.typenum, op.work * t // team,
                            op.work * (t + 1) // team)

    def run(self, x):
        """The program's output for input x (an ndarray of in_shape and the
        program's dtype), as a new array."""
        cdef cnp.ndarray a
        cdef int i
        if not isinstance(x, np.ndarray):
            raise TypeError(f"x: expected a numpy.ndarray, got {type(x).__name__}")
        a = <cnp.ndarray>x
        if cnp.PyArray_TYPE(a) != self.typenum:
            raise TypeError(f"x: expected dtype {self.dtype}, got {x.dtype}")
        if cnp.PyArray_NDIM(a) != self.in_nd:
            raise ValueError(f"x: expected shape {self.in_shape}, got {x.shape}")
        for i in range(self.in_nd):
            if cnp.PyArray_DIMS(a)[i] != self.in_dims[i]:
                raise ValueError(f"x: expected shape {self.in_shape}, got {x.shape}")
        if not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_ISALIGNED(a):
            a = np.ascontiguousarray(a)
            if not cnp.PyArray_ISALIGNED(a):
                a = a.copy()
        cdef cnp.ndarray y = cnp.PyArray_EMPTY(self.out_nd, self.out_dims, self.typenum, 0)
        cdef char *xp = <char *>cnp.PyArray_DATA(a)
        cdef char *yp = <char *>cnp.PyArray_DATA(y)
        cdef int isa = _isa.fastnn_isa()
        with nogil:
            self._exec(xp, yp, isa)
        return y

    __call__ = run
