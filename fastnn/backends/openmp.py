"""fastnn.backends.openmp: whether fastnn's native kernels run on OpenMP threads."""


def is_available():
    from . import native_available
    return native_available()
