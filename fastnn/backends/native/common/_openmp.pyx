# OpenMP thread-count control for the native kernels.
# Compiled without OpenMP, these report one thread and ignore requests.
cimport openmp


def set_num_threads(int n):
    openmp.omp_set_num_threads(n)


def get_max_threads():
    return openmp.omp_get_max_threads()


def have_openmp():
    # omp_get_max_threads is a stub returning 1 when Cython builds without OpenMP;
    # _OPENMP is the reliable marker.
    return bool(_compiled_with_openmp())


cdef extern from *:
    """
    #ifdef _OPENMP
    static int fastnn_compiled_with_openmp(void) { return 1; }
    #else
    static int fastnn_compiled_with_openmp(void) { return 0; }
    #endif
    """
    int fastnn_compiled_with_openmp()


cdef int _compiled_with_openmp():
    return fastnn_compiled_with_openmp()
