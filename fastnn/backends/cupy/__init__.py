"""The CuPy backend: fastnn's kernels on NVIDIA GPUs.

One module per kernel family (gemm, conv, pool, elementwise, rnn), exporting
the same names and signatures as fastnn/backends/numpy_ref, on cupy.ndarray
inputs. GEMMs go to cuBLAS through cupy.matmul; everything else is a custom
kernel whose CUDA source lives in kernels/*.cu (compiled at first use by
NVRTC through cupy.RawModule, and compile-checked by nvcc in the tests).

Importing this package (or any family module) does not import CuPy: the
modules import it on the first kernel call, so the registry and the tests can
read their ``__all__`` on a machine without CuPy or a GPU.
"""
