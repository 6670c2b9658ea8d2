"""fastnn.backends.cuda: torch.backends.cuda's switches scripts set, as harmless settings.

fastnn's GPU matmul runs in the tensors' own precision (no TF32, no reduced-precision
reductions), so ``matmul.allow_tf32`` and friends are recorded and have no effect.
"""


class _MatmulSettings:
    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True
        self.fp32_precision = "ieee"


matmul = _MatmulSettings()


def is_built():
    """Whether fastnn can use CUDA at all (CuPy importable with a GPU)."""
    from .. import cuda
    return cuda.is_available()


def preferred_linalg_library(backend=None):
    return "default"
