"""One fresh-process worker of ``python -m fastnn.bench``: times one side of the cases.

The parent (``runner.run_fresh``) starts it through ``runner.BOOTSTRAP``, which
does the imports a user's script would do before anything else, then calls
``main(spec_path)``. The spec (JSON) says which side ('numpy', 'native' or
'torch'), which thread setting (an int, or 'default' for no call at all), which
cases, and the loop counts an earlier round settled on. The worker writes its
results, as JSON, to the spec's ``out`` path, so that anything a kernel prints
cannot garble them.
"""
import contextlib
import json
import sys


def _apply_threads(side, threads):
    """The library's own knob, called first as a user would; 'default' calls nothing."""
    if threads == "default":
        return
    if side == "torch":
        import torch
        torch.set_num_threads(threads)
    else:
        import fastnn
        fastnn.set_num_threads(threads)


def _thread_counts(side):
    """The thread counts this process ran with, by pool."""
    from .machine import blas_threads
    if side == "torch":
        import torch
        return {"torch": torch.get_num_threads()}
    if side == "native":
        import fastnn
        return {"native": fastnn.get_num_threads(), "blas": blas_threads()}
    return {"blas": blas_threads()}


def _side_context(side):
    """Where a side's cases run: the NumPy reference side under
    ``use_backend("numpy")``, as a user of that backend writes it (fastnn sizes
    NumPy's BLAS by the backend in use)."""
    if side == "numpy":
        from fastnn import use_backend
        return use_backend("numpy")
    return contextlib.nullcontext()


def main(spec_path):
    with open(spec_path) as fh:
        spec = json.load(fh)
    side, threads = spec["side"], spec["threads"]
    _apply_threads(side, threads)

    import numpy as np
    from .cases import STANDARD
    from .runner import time_one
    makers = dict(STANDARD)
    dtype = np.dtype(spec["dtype"])
    results, skipped = {}, {}
    with _side_context(side):
        for name in spec["cases"]:
            try:
                fn = makers[name](dtype).get(side)
            except (AttributeError, ImportError, NotImplementedError) as exc:
                skipped[name] = f"{type(exc).__name__}: {exc}"
                continue
            if fn is None:
                continue  # the case has no implementation on this side (e.g. no NumPy Adam)
            seconds, loops = time_one(fn, spec["target_s"], spec["loops"].get(name))
            results[name] = {"seconds": seconds, "loops": loops}
            del fn  # the case's arrays go before the next case is built
        counts = _thread_counts(side)
    out = {"results": results, "skipped": skipped, "num_threads": counts}
    if side == "native":
        from .machine import thread_thresholds
        out["thresholds"] = thread_thresholds()
    with open(spec["out"], "w") as fh:
        json.dump(out, fh)


if __name__ == "__main__":
    main(sys.argv[1])
