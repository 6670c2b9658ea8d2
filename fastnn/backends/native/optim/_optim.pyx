# distutils: sources = fastnn/backends/native/optim/optim_kernel.c fastnn/backends/native/common/isa_link.c
# distutils: extra_compile_args = -ffp-contract=off
# Fused optimizer steps: SGD, Adam/AdamW, RMSprop, Adagrad over all the
# parameters of one param group in one call.
#
# The update loops are in optim_kernel.c (one streaming pass per element, the
# reference's operations in the reference's order; -ffp-contract=off above
# keeps the compiler from fusing a * b + c, which would change the rounding).
# This module collects the base pointers of every array of the group into a
# table, checks them, then releases the GIL and splits the concatenation of
# all parameters (a virtual vector of sum(p.size) elements) into one
# contiguous range per OpenMP thread (common/_parallel.pxd's shell, shared with
# conv and pool); each thread walks the parameters its
# range covers and calls the kernel on each piece. Large and small parameters
# thus share the threads evenly in one parallel region per group, and since
# every element is updated independently the result does not depend on the
# number of threads.
#
# Checks before the GIL is released (the kernels have no bounds checks):
# every array a C-contiguous, aligned ndarray of the group's dtype (float32
# or float64) with as many elements as its parameter, written ones writeable,
# and no two arrays overlapping in memory (the kernels read and write each
# element once, with restrict pointers; an aliased call would not be the
# reference's sequence of whole-array operations). Anything else raises
# TypeError/ValueError naming the argument, before anything is written; the
# wrapper (fastnn/backends/native/optim/__init__.py) then hands the group to the
# NumPy reference (fastnn/backends/numpy_ref/optim.py).
cimport numpy as cnp
from libc.stdint cimport int64_t, uintptr_t
from libc.stdlib cimport free, malloc, qsort

cnp.import_array()


cdef extern from "optim/optim_kernel.h" nogil:
    int FNN_WD_NONE, FNN_WD_L2, FNN_WD_DECOUPLED
    int FNN_MOM_NONE, FNN_MOM_HEAVY, FNN_MOM_NESTEROV
    ctypedef struct fnn_optim_args:
        double sign
        int wd_mode
        double weight_decay
        double decay
        double lr
        double eps
        int momentum_mode
        double momentum
        double damp1
        int lerp_small
        double lerp_w
        double lerp_wc
        double keep
        double keep_c
        int amsgrad
        int centered
    ctypedef void (*fnn_optim_kernel)(void *const *a, int64_t i0, int64_t i1,
                                      const fnn_optim_args *c, const double *per) noexcept nogil
    void fnn_sgd_f32(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,
            const double *per)
    void fnn_sgd_f64(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,
            const double *per)
    void fnn_adam_f32(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,
            const double *per)
    void fnn_adam_f64(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,
            const double *per)
    void fnn_rmsprop_f32(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,
            const double *per)
    void fnn_rmsprop_f64(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,
            const double *per)
    void fnn_adagrad_f32(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,
            const double *per)
    void fnn_adagrad_f64(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,
            const double *per)


# The CPU dispatch's level, common to every family (common/isa.h): this
# module's C code reads it with fastnn_isa(), through the pointer linked here.
from ..common cimport _isa
# The loop shell shared with conv and pool (common/_parallel.pxd). An update is
# not interruptible: it runs to its end, so a Ctrl-C never leaves a group half
# updated (KeyboardInterrupt is raised when it returns, as for any C call).
from ..common._interrupt cimport fastnn_flag_t
from ..common._parallel cimport each_item

_isa.fastnn_isa_link(_isa.level_address())


def isa_level():
    """The ISA level this module's C code runs now, as a number (tests: every
    compiled module follows the one decision in common/_isa)."""
    return _isa.fastnn_isa()


cdef extern from "common/parallel.h":
    double FASTNN_PAR_MIN_ELEMS
    int fastnn_team(double work, double min_work) nogil


cdef struct _Span:          # the bytes one array occupies, for the overlap check
    uintptr_t lo, hi


cdef int _span_cmp(const void *a, const void *b) noexcept nogil:
    cdef uintptr_t x = (<const _Span *>a).lo, y = (<const _Span *>b).lo
    return (x > y) - (x < y)


cdef class _Group:
    """The pointer table of one call: ptr[i * S + s] is array s of parameter i,
    off[i] .. off[i + 1] parameter i's range in the concatenation, per[i * K ..]
    its scalars. Holds references to the arrays while the GIL is released."""
    cdef void **ptr
    cdef int64_t *off
    cdef double *per
    cdef Py_ssize_t P, S, K, streams
    cdef list keep

    def __dealloc__(self):
        free(self.ptr)
        free(self.off)
        free(self.per)


cdef _Group _gather(str fname, tuple names, tuple lists, tuple writable, object per, Py_ssize_t K):
    """Check every array of the group (see the module comment) and fill a _Group."""
    cdef Py_ssize_t P, S = len(lists), i, s, n, nspan = 0
    if type(lists[0]) is not list:
        raise TypeError(f"{fname}: params must be a list of arrays, got {type(lists[0]).__name__}")
    cdef list params = lists[0]
    P = len(params)
    cdef _Group grp = _Group.__new__(_Group)
    cdef cnp.ndarray a
    cdef int typenum = -1
    cdef object obj
    cdef char *data
    grp.P, grp.S, grp.K, grp.keep = P, S, K, []
    grp.ptr = <void **>malloc(max(P * S, 1) * sizeof(void *))
    grp.off = <int64_t *>malloc((P + 1) * sizeof(int64_t))
    grp.per = <double *>malloc(max(P * K, 1) * sizeof(double))
    cdef _Span *spans = <_Span *>malloc(max(P * S, 1) * sizeof(_Span))
    if grp.ptr == NULL or grp.off == NULL or grp.per == NULL or spans == NULL:
        free(spans)
        raise MemoryError()
    try:
        if type(per) is not list or len(<list>per) != P * K:
            raise ValueError(f"{fname}: expected a list of {K} scalars per parameter")
        for i in range(P * K):
            grp.per[i] = per[i]
        grp.off[0] = 0
        grp.streams = 0
        for s in range(S):
            if lists[s] is None:
                continue
            grp.streams += 1
            if type(lists[s]) is not list:
                raise TypeError(f"{fname}: {names[s]} must be a list of arrays, "
                                f"got {type(lists[s]).__name__}")
            if len(<list>lists[s]) != P:
                raise ValueError(f"{fname}: {names[s]} has {len(<list>lists[s])} arrays "
                                 f"for {P} params")
        for i in range(P):
            obj = params[i]
            if type(obj) is not cnp.ndarray:
                raise TypeError(f"{fname}: params[{i}] must be a NumPy ndarray, "
                                f"got {type(obj).__name__}")
            a = <cnp.ndarray>obj
            if typenum < 0:
                typenum = cnp.PyArray_TYPE(a)
                if typenum != cnp.NPY_FLOAT and typenum != cnp.NPY_DOUBLE:
                    raise TypeError(f"{fname}: params[0] must be float32 or float64, got {a.dtype}")
            n = cnp.PyArray_SIZE(a)
            grp.off[i + 1] = grp.off[i] + n
            for s in range(S):
                if lists[s] is None:
                    grp.ptr[i * S + s] = NULL
                    continue
                obj = (<list>lists[s])[i]
                if type(obj) is not cnp.ndarray:
                    raise TypeError(f"{fname}: {names[s]}[{i}] must be a NumPy ndarray, "
                                    f"got {type(obj).__name__}")
                a = <cnp.ndarray>obj
                if cnp.PyArray_TYPE(a) != typenum:
                    raise TypeError(f"{fname}: {names[s]}[{i}] has dtype {a.dtype}, params[0] "
                                    f"{params[0].dtype}: one dtype per call")
                if cnp.PyArray_SIZE(a) != n:
                    raise ValueError(f"{fname}: {names[s]}[{i}] has {cnp.PyArray_SIZE(a)} "
                                     f"elements, params[{i}] {n}")
                if not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_ISALIGNED(a):
                    raise ValueError(f"{fname}: {names[s]}[{i}] must be C-contiguous and aligned")
                if writable[s] and not cnp.PyArray_ISWRITEABLE(a):
                    raise ValueError(f"{fname}: {names[s]}[{i}] is read-only")
                grp.keep.append(a)
                data = <char *>cnp.PyArray_DATA(a)
                if n > 0:
                    spans[nspan].lo = <uintptr_t>data
                    spans[nspan].hi = <uintptr_t>data + <uintptr_t>cnp.PyArray_NBYTES(a)
                    nspan += 1
                grp.ptr[i * S + s] = <void *>(data if data != NULL else <char *>1)
        # no two arrays may share a byte: sort the spans, compare neighbours
        qsort(spans, nspan, sizeof(_Span), _span_cmp)
        for i in range(1, nspan):
            if spans[i].lo < spans[i - 1].hi:
                raise ValueError(f"{fname}: two of the arrays overlap in memory")
    finally:
        free(spans)
    return grp


cdef void _walk(fnn_optim_kernel kern, void **ptr, const int64_t *off, const double *per,
                Py_ssize_t P, Py_ssize_t S, Py_ssize_t K, const fnn_optim_args *c,
                int64_t lo, int64_t hi) noexcept nogil:
    """Run the kernel on the pieces of the parameters that [lo, hi) of the concatenation covers."""
    cdef Py_ssize_t a = 0, b = P, i
    cdef int64_t s, e
    if lo >= hi:
        return
    while a < b:                    # the first parameter that ends after lo
        i = (a + b) // 2
        if off[i + 1] <= lo:
            a = i + 1
        else:
            b = i
    i = a
    while i < P and off[i] < hi:
        s = lo if lo > off[i] else off[i]
        e = hi if hi < off[i + 1] else off[i + 1]
        if e > s:
            kern(ptr + i * S, s - off[i], e - off[i], c, per + i * K)
        i += 1


# The job of one call: item t updates [total*t/T, total*(t+1)/T) of the concatenation.
cdef struct _Walk:
    fnn_optim_kernel kern
    void **ptr
    const int64_t *off
    const double *per
    Py_ssize_t P, S, K
    const fnn_optim_args *c
    int64_t total
    int T


cdef void _walk_item(const void *job, Py_ssize_t t, int thread,
                     const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Walk *j = <const _Walk *>job
    _walk(j.kern, j.ptr, j.off, j.per, j.P, j.S, j.K, j.c, j.total * t // j.T,
          j.total * (t + 1) // j.T)


cdef _run(fnn_optim_kernel kern, _Group grp, fnn_optim_args *c):
    cdef _Walk j
    j.kern, j.ptr, j.off, j.per, j.c = kern, grp.ptr, grp.off, grp.per, c
    j.P, j.S, j.K = grp.P, grp.S, grp.K
    j.total = grp.off[grp.P]
    # Threads or not, from parallel.h's threshold for streaming passes
    # (FASTNN_PAR_MIN_ELEMS, measured on this machine by tuning.py when cached):
    # below it one thread finishes before a team's fork/join pays off; above it
    # the pass is memory-bound and a second core adds bandwidth. The threshold
    # is in the unit of _elementwise's ReLU, n elements of x, which touches 2n
    # (reads x, writes y); an update streams each of its `streams` arrays once,
    # so it weighs total * streams / 2 of that unit (Adam: 2 per parameter).
    j.T = fastnn_team(<double>j.total * grp.streams / 2, FASTNN_PAR_MIN_ELEMS)
    with nogil:
        each_item(_walk_item, &j, j.T, j.T, NULL)


cdef inline bint _f32(_Group grp):
    return cnp.PyArray_TYPE(<cnp.ndarray>grp.keep[0]) == cnp.NPY_FLOAT if grp.keep else True


cdef void _lerp(fnn_optim_args *c, double weight) noexcept:
    # the reference's _lerp_: which form, and the two weights it multiplies by
    c.lerp_small = abs(weight) < 0.5
    c.lerp_w = weight
    c.lerp_wc = 1 - weight


cdef fnn_optim_args _common(bint maximize, double lr, double eps, double weight_decay) noexcept:
    cdef fnn_optim_args c
    c.sign = -1.0 if maximize else 1.0
    c.wd_mode = FNN_WD_L2 if weight_decay != 0 else FNN_WD_NONE
    c.weight_decay = weight_decay
    c.decay = 1.0
    c.lr = lr
    c.eps = eps
    c.momentum_mode = FNN_MOM_NONE
    c.momentum = 0.0
    c.damp1 = 1.0
    _lerp(&c, 0.0)
    c.keep = 1.0
    c.keep_c = 0.0
    c.amsgrad = 0
    c.centered = 0
    return c


def sgd(params, grads, momentum_buffers, first, double lr, double momentum, double dampening,
        double weight_decay, bint nesterov, bint maximize):
    """One SGD step of a group; ``first[i]``: parameter i's buffer starts this step."""
    if momentum == 0:
        momentum_buffers = None
    cdef _Group grp = _gather("sgd", ("params", "grads", "momentum_buffers"),
                              (params, grads, momentum_buffers), (True, False, True),
                              [1.0 if f else 0.0 for f in first], 1)
    cdef fnn_optim_args c = _common(maximize, lr, 0.0, weight_decay)
    if momentum != 0:
        c.momentum_mode = FNN_MOM_NESTEROV if nesterov else FNN_MOM_HEAVY
        c.momentum = momentum
        c.damp1 = 1 - dampening
    _run(fnn_sgd_f32 if _f32(grp) else fnn_sgd_f64, grp, &c)


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, per, double lr, double beta1,
         double beta2, double eps, double weight_decay, bint amsgrad, bint decoupled,
         bint maximize):
    """One Adam (``decoupled``: AdamW) step of a group; ``per``: (step_size, sqrt(bias
    correction 2)) of each parameter, flattened."""
    if not amsgrad:
        max_exp_avg_sqs = None
    cdef _Group grp = _gather("adam", ("params", "grads", "exp_avgs", "exp_avg_sqs",
                                       "max_exp_avg_sqs"),
                              (params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs),
                              (True, False, True, True, True), per, 2)
    cdef fnn_optim_args c = _common(maximize, lr, eps, weight_decay)
    if weight_decay != 0 and decoupled:
        c.wd_mode = FNN_WD_DECOUPLED
        c.decay = 1 - lr * weight_decay
    _lerp(&c, 1 - beta1)
    c.keep = beta2
    c.keep_c = 1 - beta2
    c.amsgrad = amsgrad
    _run(fnn_adam_f32 if _f32(grp) else fnn_adam_f64, grp, &c)


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffers, double lr, double alpha,
            double eps, double weight_decay, double momentum, bint centered, bint maximize):
    """One RMSprop step of a group."""
    if not centered:
        grad_avgs = None
    if not momentum > 0:
        momentum_buffers = None
    cdef _Group grp = _gather("rmsprop", ("params", "grads", "square_avgs", "grad_avgs",
                                          "momentum_buffers"),
                              (params, grads, square_avgs, grad_avgs, momentum_buffers),
                              (True, False, True, True, True), [], 0)
    cdef fnn_optim_args c = _common(maximize, lr, eps, weight_decay)
    c.keep = alpha
    c.keep_c = 1 - alpha
    _lerp(&c, 1 - alpha)
    c.centered = centered
    if momentum > 0:
        c.momentum_mode = FNN_MOM_HEAVY
        c.momentum = momentum
    _run(fnn_rmsprop_f32 if _f32(grp) else fnn_rmsprop_f64, grp, &c)


def adagrad(params, grads, state_sums, per, double weight_decay, double eps, bint maximize):
    """One Adagrad step of a group; ``per``: each parameter's decayed learning rate."""
    cdef _Group grp = _gather("adagrad", ("params", "grads", "state_sums"),
                              (params, grads, state_sums), (True, False, True), per, 1)
    cdef fnn_optim_args c = _common(maximize, 0.0, eps, weight_decay)
    _run(fnn_adagrad_f32 if _f32(grp) else fnn_adagrad_f64, grp, &c)
