# The ISA decision (isa.c), owned by the _isa module and shared with every other
# native module: each cimports `level_address` (Cython fetches the function from
# _isa's __pyx_capi__ when the module is imported) and hands the address of the
# decision to its own C code,
#     from ..common cimport _isa
#     _isa.fastnn_isa_link(_isa.level_address())
# so that the kernels of every family follow one decision. See isa.h.

cdef const int *level_address() noexcept nogil

cdef extern from "common/isa.h" nogil:
    void fastnn_isa_link(const int *level)   # isa_link.c, in the importing module
    int fastnn_isa()    # the level now, to read once per kernel call and pass down
