"""DistributedDataParallel: one model replica per rank, gradients averaged in backward.

Every rank runs the same script on its own share of each global batch
(DistributedSampler). At construction the wrapper checks that every rank built
the same parameters, then copies rank 0's parameters and buffers to all, so
the replicas start equal; during each backward the reducer (_reducer.py)
averages the gradients across ranks in buckets, overlapping communication with
the rest of backward; the optimizer steps that follow are then identical on
every rank, and the replicas stay equal without ever sending parameters again.
"""
import contextlib

from ..modules.module import Module

__all__ = ["DistributedDataParallel"]


def _collect_tensors(obj, out):
    from ..._tensor import Tensor
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _collect_tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _collect_tensors(o, out)
    return out


def _leaves_reached(outputs):
    """ids of the leaf tensors the graphs of ``outputs`` lead to."""
    seen_nodes, leaves = set(), set()
    stack = [t._ctx for t in outputs if t._ctx is not None]
    for t in outputs:
        if t._ctx is None and t.requires_grad:
            leaves.add(id(t))
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        for a, e in zip(node.inputs, node.edges):
            if e is None:
                continue
            if e[0] is None:
                leaves.add(id(a))
            elif id(e[0]) not in seen_nodes:
                stack.append(e[0])
    return leaves


class DistributedDataParallel(Module):
    """Data parallelism over MPI (``torch.nn.parallel.DistributedDataParallel``).

    ``module`` is the replica on this rank. ``bucket_cap_mb`` (default 25, as in
    PyTorch) caps each gradient bucket; ``broadcast_buffers`` copies rank 0's
    buffers (e.g. BatchNorm's running statistics) to all ranks before each
    forward; ``find_unused_parameters`` searches every forward's graph for
    parameters it did not use, so that backward does not wait for their
    gradients. ``state_dict()`` keys carry PyTorch's ``module.`` prefix; the
    wrapped model is ``.module``. CPU only: ``device_ids`` must be None.
    ``check_reduction``, ``gradient_as_bucket_view`` and ``static_graph`` are
    accepted for PyTorch scripts and change nothing (they tune memory and speed
    there, never results).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        from ... import distributed as dist
        from ...distributed.process_group import _check_group, _comm, _import_mpi
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a fastnn.nn.Module, "
                            f"got {type(module).__name__}")
        if device_ids is not None or output_device is not None:
            raise ValueError("DistributedDataParallel: device_ids and output_device must be None "
                             "(fastnn's data parallelism runs on CPU tensors)")
        if dim != 0:
            raise ValueError(f"DistributedDataParallel: dim must be 0, got {dim}")
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                or bucket_cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive number, "
                             f"got {bucket_cap_mb!r}")
        _check_group(process_group)
        comm = _comm("DistributedDataParallel")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        self.dim = dim
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self._check_same_parameters(dist)
        self._sync_from_rank0(dist)
        from ._reducer import Reducer
        self.reducer = Reducer([p for _, p in named], comm, _import_mpi(),
                               int(bucket_cap_mb * 1024 * 1024),
                               rebuild=not self.find_unused_parameters)

    # --- construction ----------------------------------------------------------------
    def _check_same_parameters(self, dist):
        """Every rank must hold the same parameters and buffers (all are broadcast)."""
        m = self.module
        mine = [("parameter", n, tuple(p.shape), str(p.dtype), p.requires_grad)
                for n, p in m.named_parameters()]
        mine += [("buffer", n, tuple(b.shape), str(b.dtype), False) for n, b in m.named_buffers()]
        everyone = [None] * dist.get_world_size()
        dist.all_gather_object(everyone, mine)  # every rank sees every list: all raise together
        for rank, theirs in enumerate(everyone):
            if theirs == everyone[0]:
                continue
            for a, b in zip(everyone[0], theirs):
                if a != b:
                    raise ValueError(
                        f"DistributedDataParallel: {a[0]} {a[1]!r} is {a[2]} {a[3]} (requires_grad="
                        f"{a[4]}) on rank 0 but {b[0]} {b[1]!r} is {b[2]} {b[3]} (requires_grad={b[4]}) "
                        f"on rank {rank}; every rank must build the same model")
            raise ValueError(f"DistributedDataParallel: rank {rank} has {len(theirs)} parameters and "
                             f"buffers, rank 0 has {len(everyone[0])}; every rank must build the "
                             "same model")

    def _sync_from_rank0(self, dist):
        for p in self.module.parameters():
            self._broadcast_array(dist, p)
        self._sync_buffers(dist)

    def _sync_buffers(self, dist):
        """Rank 0's buffers to every rank: one broadcast per dtype, not one per buffer
        (a network with many BatchNorms would otherwise pay a message per buffer)."""
        import numpy as np
        from ..._tensor import Tensor
        by_dtype = {}
        for b in self.module.buffers():
            by_dtype.setdefault(b._data.dtype, []).append(b)
        for group in by_dtype.values():
            flat = np.concatenate([b._data.reshape(-1) for b in group])
            dist.broadcast(Tensor._wrap(flat), src=0)
            lo = 0
            for b in group:
                part = flat[lo:lo + b._data.size].reshape(b._data.shape)
                lo += b._data.size
                if b._data.flags.writeable:
                    b._data[...] = part
                else:
                    b._data = part.copy()

    @staticmethod
    def _broadcast_array(dist, t):
        import numpy as np
        from ..._tensor import Tensor
        if not t._data.flags.c_contiguous or not t._data.flags.writeable:
            t._data = np.ascontiguousarray(t._data).copy()
        dist.broadcast(Tensor._wrap(t._data), src=0)

    # --- calling -----------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        self._pre_forward()
        out = self.module(*inputs, **kwargs)
        self._post_forward(out)
        return out

    # (the Keras front end calls these two around its own forward of the module)
    def _pre_forward(self):
        from ... import distributed as dist
        if self.broadcast_buffers:  # also inside no_sync, as PyTorch does
            self._sync_buffers(dist)

    def _post_forward(self, out):
        """Expect a synchronised backward from ``out``, unless no_sync or no grad mode."""
        from ...autograd.grad_mode import is_grad_enabled
        if is_grad_enabled() and self.require_backward_grad_sync:
            unused = None
            if self.find_unused_parameters:
                reached = _leaves_reached(_collect_tensors(out, []))
                unused = [p for p in self.module.parameters()
                          if p.requires_grad and id(p) not in reached]
            self.reducer.arm(unused)

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes of forwards run inside this block only accumulate local
        gradients; the first synchronised backward after it averages the sums."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    @property
    def communication_stats(self):
        """What the last synchronised backward all-reduced: bytes, buckets, and the
        seconds backward waited for MPI after the last bucket had started."""
        return dict(self.reducer.stats)

    def extra_repr(self):
        return f"bucket_cap_mb={self.bucket_cap_mb}, buckets={len(self.reducer.buckets)}"
