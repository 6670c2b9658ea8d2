"""The gradient reducer behind DistributedDataParallel: buckets and their all-reduces.

Parameters are grouped, in reverse registration order (the order backward
usually produces their gradients: the last layer's first), into buckets of at
most ``bucket_cap_mb`` megabytes of one dtype; as in PyTorch, the first bucket
is capped at 1 MB so that the first all-reduce starts early, and after the
first synchronised backward the buckets are rebuilt in the order rank 0's
gradients actually arrived (not with find_unused_parameters, whose order
depends on the data). Each parameter's post-accumulate-grad hook copies its
gradient into its bucket's flat buffer; once a bucket is full, and every
bucket before it has started, one non-blocking ``MPI_Iallreduce`` (SUM)
starts on it while backward continues with earlier layers. (Buckets start in
one order on every rank because MPI pairs the ranks' collectives by the order
they are called.) MPI advances a started collective only inside MPI calls, so
every hook also tests the buckets in flight. When the last bucket has
started, the reducer waits for all of them, divides by the world size and
copies the averages back into each ``.grad``: the optimizer step that follows
sees the gradient of the global batch.
"""
import time

import numpy as np

_FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    def __init__(self, params, dtype):
        self.params = params
        self.sizes = [int(p._data.size) for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int).tolist()
        self.flat = np.zeros(self.offsets[-1], dtype=dtype)
        self.ready = 0
        self.request = None

    @property
    def nbytes(self):
        return self.flat.nbytes


def build_buckets(params, cap_bytes, first_cap_bytes=_FIRST_BUCKET_BYTES):
    """Group ``params`` (already in reverse order) into buckets by dtype and size cap."""
    buckets = []
    open_ = {}  # dtype -> (params, bytes) of the bucket being filled
    for p in params:
        dt = p._data.dtype
        group, used = open_.get(dt, ([], 0))
        cap = min(first_cap_bytes, cap_bytes) if not buckets else cap_bytes
        if group and used + p._data.nbytes > cap:
            buckets.append(_Bucket(group, dt))
            group, used = [], 0
        group.append(p)
        open_[dt] = (group, used + p._data.nbytes)
    for dt, (group, _) in open_.items():
        if group:
            buckets.append(_Bucket(group, dt))
    return buckets


class Reducer:
    """Averages the gradients of ``params`` across the ranks of ``comm`` during backward."""

    def __init__(self, params, comm, MPI, cap_bytes, rebuild=True):
        self.comm = comm
        self.MPI = MPI
        self.world = comm.Get_size()
        self.params = list(params)
        self.cap_bytes = cap_bytes
        self._set_buckets(build_buckets(list(reversed(self.params)), cap_bytes))
        self.armed = False
        self.track_unused = False
        self.unused_ids = set()
        # the first synchronised backward records the order gradients arrive in;
        # the buckets are then rebuilt in rank 0's order (see arm)
        self.rebuild = rebuild
        self.arrival = [] if rebuild else None
        self.handles = [p.register_post_accumulate_grad_hook(self._on_grad_ready) for p in self.params]
        # what the last synchronised backward cost (read by the bench)
        self.stats = {"bytes": 0, "buckets": 0, "wait_s": 0.0}

    def _set_buckets(self, buckets):
        self.buckets = buckets
        self.where = {}  # id(param) -> (bucket, index in it)
        for b in buckets:
            for i, p in enumerate(b.params):
                self.where[id(p)] = (b, i)
        self.launched = []

    def remove_hooks(self):
        for h in self.handles:
            h.remove()
        self.handles = []

    # --- per backward ----------------------------------------------------------------
    def arm(self, unused=None):
        """Expect one synchronised backward; ``unused`` (a list, or None when not searched
        for) holds the params that this rank's forward did not use."""
        if self.armed and any(b.ready for b in self.buckets):
            raise RuntimeError(
                "DistributedDataParallel: expected the previous iteration's gradient reduction to "
                "finish before a new forward. Some parameters got no gradient in that backward; "
                "pass find_unused_parameters=True if the model does not use all parameters in "
                "every forward, and make sure every rank calls backward on the output.")
        if self.arrival is not None and len(self.arrival) == len(self.params):
            self._rebuild_in_arrival_order()
        for b in self.buckets:
            b.ready = 0
            b.request = None
        self.launched = []
        self.armed = True
        self.track_unused = unused is not None
        self.unused_ids = {id(p) for p in unused or ()}
        for p in unused or ():
            self._mark(p, contributes=False)

    def _rebuild_in_arrival_order(self):
        """Buckets in the order rank 0's gradients arrived (every rank must use one order)."""
        index = {id(p): i for i, p in enumerate(self.params)}
        order = self.comm.bcast([index[id(p)] for p in self.arrival], root=0)
        self.arrival = None
        self._set_buckets(build_buckets([self.params[i] for i in order], self.cap_bytes))

    def _on_grad_ready(self, p):
        if self.armed:
            if self.arrival is not None:
                self.arrival.append(p)
            self._mark(p, contributes=True)

    def _mark(self, p, contributes):
        b, i = self.where.get(id(p), (None, 0))
        if b is None:
            return
        view = b.flat[b.offsets[i]:b.offsets[i + 1]]
        if contributes:
            np.copyto(view, p.grad._data.reshape(-1), casting="same_kind")
        else:
            view[...] = 0
        b.ready += 1
        # Start full buckets strictly in bucket order: MPI matches collectives by
        # the order ranks call them, and ranks may fill buckets in different orders.
        started = False
        while len(self.launched) < len(self.buckets):
            nxt = self.buckets[len(self.launched)]
            if nxt.ready < len(nxt.params):
                break
            nxt.request = self.comm.Iallreduce(self.MPI.IN_PLACE, nxt.flat, self.MPI.SUM)
            self.launched.append(nxt)
            started = True
        if not started and self.launched:
            # let MPI advance the collectives already started (nothing waits on this)
            self.MPI.Request.Testall([x.request for x in self.launched])
        if len(self.launched) == len(self.buckets):
            self._finish()

    def _finish(self):
        t0 = time.perf_counter()
        self.MPI.Request.Waitall([b.request for b in self.launched])
        wait = time.perf_counter() - t0
        used_somewhere = self._used_anywhere() if self.track_unused else None
        for b in self.launched:
            b.flat /= self.world
            for p, lo, hi in zip(b.params, b.offsets[:-1], b.offsets[1:]):
                avg = b.flat[lo:hi].reshape(p._data.shape)
                if used_somewhere is not None and not used_somewhere[id(p)]:
                    continue  # no rank used it: its .grad is left as it was, as in PyTorch
                # a fresh array, never a write into the old one: the engine may hand one
                # gradient array to two leaves (the two inputs of an add)
                if p.grad is None:
                    from ..._tensor import Tensor
                    p.grad = Tensor._wrap(avg.astype(p._data.dtype, copy=True))
                else:
                    p.grad._data = avg.astype(p.grad._data.dtype, copy=True)
            b.ready = 0
            b.request = None
        self.stats = {"bytes": sum(b.nbytes for b in self.launched), "buckets": len(self.launched),
                      "wait_s": wait}
        self.launched = []
        self.armed = False

    def _used_anywhere(self):
        """id(param) -> whether any rank's forward used it (one small all-reduce)."""
        params = [p for b in self.buckets for p in b.params]
        used = np.array([id(p) not in self.unused_ids for p in params], dtype=np.int32)
        self.comm.Allreduce(self.MPI.IN_PLACE, used, self.MPI.SUM)
        return {id(p): bool(u) for p, u in zip(params, used)}
