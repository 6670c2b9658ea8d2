"""L-BFGS (PyTorch's algorithm, step for step): a quasi-Newton method over all the
parameters flattened into one vector, with an optional strong-Wolfe line search.

Each ``step(closure)`` runs up to ``max_iter`` iterations. An iteration builds the
search direction d = -H g from the last ``history_size`` pairs (s = step taken,
y = change of gradient) by the two-loop recursion, scaled by H_diag = y.s / y.y,
then moves t along d: t = lr (the first iteration ever: min(1, 1/|g|_1) * lr),
or the t the line search returns. It stops early when the gradient's largest
entry is <= tolerance_grad, or when the step or the loss change drops under
tolerance_change. ``closure`` must clear the gradients, compute the loss, call
``backward()`` and return the loss.

Plain NumPy vector arithmetic (no native kernel): scalars stay NumPy scalars of
the parameters' dtype, so float32 runs round as PyTorch's float32 tensors do.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .optimizer import Optimizer, ParamsT

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``
    (default: the interval between x1 and x2); the midpoint when the cubic has none."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(disc)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find t with sufficient decrease (f(t) <= f + c1 t g.d) and curvature (|g(t).d| <= c2 |g.d|).

    First bracket a minimum by growing t (cubic extrapolation), then zoom into the
    bracket by cubic interpolation, keeping clear of its ends. ``evaluate(t)`` returns
    (loss, flat gradient) at x + t d. Returns (loss, gradient, t, evaluations).
    """
    d_norm = np.abs(d).max()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g.copy(), gtd
    done = False
    ls_iter = 0
    bracket = bracket_f = bracket_g = bracket_gtd = None
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # still descending: extrapolate, at least 1% further and at most 10x
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.copy(), gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    insufficient = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(bracket[0], bracket_f[0], bracket_gtd[0],
                           bracket[1], bracket_f[1], bracket_gtd[1])
        # a point too close to an end of the bracket makes no progress: move it inside
        b_min, b_max = min(bracket), max(bracket)
        margin = 0.1 * (b_max - b_min)
        if min(b_max - t, t - b_min) < margin:
            if insufficient or t >= b_max or t <= b_min:
                t = b_max - margin if abs(t - b_max) < abs(t - b_min) else b_min + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


def _array(v):
    if v is None or isinstance(v, np.ndarray):
        return v
    return np.asarray(v._data if hasattr(v, "_data") else v)


def _arrays(vs):
    return None if vs is None else [_array(v) for v in vs]


def _scalar(v, dtype):
    if v is None or isinstance(v, (int, float, np.generic)):
        return v
    return dtype(np.asarray(v._data if hasattr(v, "_data") else v).reshape(()))


class LBFGS(Optimizer):
    """L-BFGS (PyTorch's algorithm): a quasi-Newton method over all the parameters as one
    vector, with an optional strong-Wolfe line search. Only one param group.

    Each :meth:`step` runs up to ``max_iter`` iterations of::

        d = -H g            (two-loop recursion over the last history_size (s, y) pairs,
                             H scaled by y.s / y.y)
        t = lr              (first iteration ever: min(1, 1 / |g|_1) * lr),
                            or the t a strong-Wolfe line search returns
        p = p + t * d

    stopping early when ``max|g| <= tolerance_grad`` or the step or the loss change falls
    under ``tolerance_change``. ``step`` needs a ``closure`` that clears the gradients,
    computes the loss, calls ``backward()`` and returns the loss.

    Args:
        params (iterable): Tensors to optimise (one group).
        lr (float): step length. Default: ``1``
        max_iter (int): iterations per ``step``. Default: ``20``
        max_eval (int, optional): closure evaluations per ``step``. Default: ``max_iter * 5 // 4``
        tolerance_grad (float): stop when the gradient's largest entry is below. Default: ``1e-7``
        tolerance_change (float): stop when the step or loss change is below. Default: ``1e-9``
        history_size (int): (s, y) pairs kept. Default: ``100``
        line_search_fn (str, optional): ``'strong_wolfe'`` or ``None``. Default: ``None``

    Example::

        >>> w = nn.Parameter(fastnn.tensor([1.0, -2.0]))
        >>> opt = optim.LBFGS([w])
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((w - fastnn.tensor([3.0, 1.0])) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> w.detach()
        tensor([3.0000, 1.0000])
    """

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if int(max_iter) < 1:
            raise ValueError(f"max_iter must be >= 1, got {max_iter}")
        if int(history_size) < 1:
            raise ValueError(f"history_size must be >= 1, got {history_size}")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        if any(p._data.dtype.kind == "c" for p in self._params):
            raise TypeError("LBFGS: complex parameters are not supported")

    # --- the parameters as one flat vector ---------------------------------------
    def _flat_grad(self):
        parts = []
        for p in self._params:
            if p.grad is None:
                parts.append(np.zeros(p._data.size, p._data.dtype))
            else:
                g = p.grad._data if hasattr(p.grad, "_data") else p.grad
                parts.append(np.asarray(g, dtype=p._data.dtype).reshape(-1))
        return np.concatenate(parts)

    def _add(self, t, d):
        """x += t d, the flat vector d cut back into the parameters' shapes."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += (t * d[offset:offset + n]).reshape(p._data.shape).astype(p._data.dtype, copy=False)
            offset += n

    def _evaluate_at(self, closure, t, d):
        """(loss, flat gradient) at x + t d; the parameters are put back afterwards."""
        saved = [p._data.copy() for p in self._params]
        self._add(t, d)
        loss = float(self._call_closure(closure))
        grad = self._flat_grad()
        for p, x in zip(self._params, saved):
            p._data[...] = x
        return loss, grad

    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        if closure is None:
            raise TypeError("LBFGS.step needs a closure that re-evaluates the model and "
                            "returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search = group["history_size"], group["line_search_fn"]
        dtype = self._params[0]._data.dtype.type
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._call_closure(closure)
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max() <= tol_grad:
            return orig_loss

        # (a state restored by load_state_dict holds Tensors: back to arrays and dtype scalars)
        d, t = _array(state.get("d")), _scalar(state.get("t"), dtype)
        old_y, old_s = _arrays(state.get("old_dirs")), _arrays(state.get("old_stps"))
        ro: Any = None if state.get("ro") is None else [_scalar(r, dtype) for r in state["ro"]]
        h_diag, prev_g = _scalar(state.get("H_diag"), dtype), _array(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -g
                old_y, old_s, ro, h_diag = [], [], [], 1
            else:
                y = g - prev_g
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only when the curvature is positive
                    if len(old_y) == history_size:
                        old_y.pop(0), old_s.pop(0), ro.pop(0)
                    old_y.append(y)
                    old_s.append(s)
                    ro.append(dtype(1.0) / ys)
                    h_diag = ys / y.dot(y)
                # two-loop recursion: d = -H g
                alpha = [None] * len(old_y)
                q = -g
                for i in range(len(old_y) - 1, -1, -1):
                    alpha[i] = old_s[i].dot(q) * ro[i]
                    q = q - dtype(alpha[i]) * old_y[i]
                r = q * h_diag
                for i in range(len(old_y)):
                    beta = old_y[i].dot(r) * ro[i]
                    r = r + dtype(alpha[i] - beta) * old_s[i]
                d = r
            prev_g = g.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(dtype(1.0), dtype(1.0) / np.abs(g).sum()) * lr
            else:
                t = lr
            gtd = g.dot(d)
            if gtd > -tol_change:  # not a descent direction
                break

            ls_evals = 0
            if line_search is not None:
                loss, g, t, ls_evals = _strong_wolfe(
                    lambda step: self._evaluate_at(closure, step, d), t, d, loss, g, gtd,
                    max_ls=max_eval - evals)
                self._add(t, d)
                converged = np.abs(g).max() <= tol_grad
            else:
                self._add(t, d)
                converged = False
                if n_iter != max_iter:
                    loss = float(self._call_closure(closure))
                    g = self._flat_grad()
                    converged = np.abs(g).max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or evals >= max_eval or converged:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=old_y, old_stps=old_s, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return orig_loss
