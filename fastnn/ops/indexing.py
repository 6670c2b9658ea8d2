"""Index-driven and structural ops a training script reaches for: scatter /
scatter_add, cumsum / cumprod, roll, tril / triu, einsum, sort / topk.

Each backward sends the gradient to where the forward took the value from:
scatter's to the written slots of ``src`` (and the untouched slots of the input),
cumsum's is a reversed cumsum, roll's rolls back, einsum's is an einsum of the
output gradient with the other operands.
"""
import string

import numpy as np

from ..autograd.function import Function


def _grid(index, axis):
    """Index arrays addressing, for every entry of ``index``, the slot it names along
    ``axis`` (its own position along every other dim), as PyTorch's scatter reads it."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[axis] = index
    return tuple(grid)


class Scatter(Function):
    """out = a; out[... index[i][j] ...] = src[i][j] along ``axis`` (``add`` sums instead).
    Only the leading index.shape block of ``src`` is read."""

    def forward(self, a, index, src, axis, add):
        self.grid = _grid(index, axis)
        self.add = add
        self.src_shape = np.shape(src)
        out = a.copy()
        vals = src[tuple(slice(0, s) for s in index.shape)] if np.ndim(src) else src
        if add:
            np.add.at(out, self.grid, vals)
        else:
            out[self.grid] = vals
        return out

    def backward(self, g):
        ga = gs = None
        if self.needs_input_grad[0]:
            if self.add:
                ga = g
            else:
                ga = g.copy()
                ga[self.grid] = 0
        if self.needs_input_grad[2]:
            gs = np.zeros(self.src_shape, dtype=g.dtype)
            block = tuple(slice(0, s) for s in np.broadcast_shapes(*[i.shape for i in self.grid]))
            gs[block] = g[self.grid]
        return ga, None, gs, None, None


class Cumsum(Function):
    def forward(self, a, axis):
        self.axis = axis
        return np.cumsum(a, axis=axis)

    def backward(self, g):
        ax = self.axis
        return np.flip(np.cumsum(np.flip(g, ax), axis=ax), ax), None


class Cumprod(Function):
    """Backward by the quotient rule where the input has no zeros, else by the
    O(n^2) sum of partial products along the axis (exact with zeros)."""

    def forward(self, a, axis):
        self.a = a
        self.axis = axis
        self.out = np.cumprod(a, axis=axis)
        return self.out

    def backward(self, g):
        a, ax, out = self.a, self.axis, self.out
        if np.all(a != 0):
            r = np.flip(np.cumsum(np.flip(g * out, ax), axis=ax), ax)
            return r / a, None
        am = np.moveaxis(a, ax, -1)
        gm = np.moveaxis(g, ax, -1)
        n = am.shape[-1]
        res = np.zeros_like(am)
        for k in range(n):
            # d out_j / d a_k = prod_{i<=j, i!=k} a_i for j >= k
            others = am.copy()
            others[..., k] = 1
            prods = np.cumprod(others, axis=-1)[..., k:]
            res[..., k] = (gm[..., k:] * prods).sum(-1)
        return np.moveaxis(res, -1, ax), None


class Roll(Function):
    def forward(self, a, shifts, axes):
        self.args = (tuple(-s for s in shifts), axes)
        return np.roll(a, shifts, axes)

    def backward(self, g):
        return np.roll(g, *self.args), None, None


class TriMask(Function):
    """tril (upper=False) / triu (upper=True) over the last two dims."""

    def forward(self, a, diagonal, upper):
        self.args = (diagonal, upper)
        return np.triu(a, diagonal) if upper else np.tril(a, diagonal)

    def backward(self, g):
        d, upper = self.args
        return (np.triu(g, d) if upper else np.tril(g, d)), None, None


def parse_einsum(equation, shapes):
    """Subscripts of each operand and of the output, with '...' spelt out as letters."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs, out = eq, None
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum(): {len(ins)} operand subscripts for {len(shapes)} operands")
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in string.ascii_letters if c not in used]
    n_ell = max((len(s) - (len(sub) - 3) for sub, s in zip(ins, shapes) if "..." in sub), default=0)
    ell = "".join(spare[:n_ell])
    subs = []
    for sub, s in zip(ins, shapes):
        if "..." in sub:
            k = len(s) - (len(sub) - 3)
            sub = sub.replace("...", ell[n_ell - k:])
        if len(sub) != len(s):
            raise ValueError(f"einsum(): subscripts '{sub}' do not match an operand of {len(s)} dims")
        subs.append(sub)
    if out is None:
        counts = {}
        for sub in subs:
            for c in sub:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return subs, out


class Einsum(Function):
    def forward(self, *arrays, equation):
        self.subs, self.out = parse_einsum(equation, [a.shape for a in arrays])
        self.arrays = arrays
        return np.asarray(np.einsum(",".join(self.subs) + "->" + self.out, *arrays))

    def backward(self, g):
        grads = []
        for k, (sub, a) in enumerate(zip(self.subs, self.arrays)):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            # A repeated letter ('ii', 'bii') reads a diagonal: differentiate with respect to
            # that diagonal (the operand's distinct letters), then write it back in place.
            uniq = "".join(dict.fromkeys(sub))
            ushape = [a.shape[sub.index(c)] for c in uniq]
            others = [(s, x) for i, (s, x) in enumerate(zip(self.subs, self.arrays)) if i != k]
            avail = set(self.out).union(*[set(s) for s, _ in others])
            # letters only this operand has were summed away: broadcast back over them
            kept = "".join(c for c in uniq if c in avail)
            part = np.einsum(",".join([self.out] + [s for s, _ in others]) + "->" + kept,
                             g, *[x for _, x in others])
            shape = [n if c in avail else 1 for c, n in zip(uniq, ushape)]
            part = np.broadcast_to(part.reshape(shape), ushape)
            if uniq == sub:
                grads.append(part.astype(a.dtype, copy=False))
                continue
            gx = np.zeros(a.shape, a.dtype)
            np.einsum(sub + "->" + uniq, gx)[...] = part  # a writable view of the diagonal
            grads.append(gx)
        return tuple(grads)
