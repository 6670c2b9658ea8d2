"""Tensor's methods, one family per module; ``fastnn._tensor.Tensor`` derives from these mixins.

- arithmetic.py: operators (+ - * / ** @), comparisons, elementwise math, clamp
- reduction.py: sum, mean, var, max, argmax, sort, topk, norm, softmax
- shape.py: view/reshape, squeeze, permute, transpose, expand, repeat, split, cat-free views
- indexing.py: t[i], gather, scatter, masked_fill, index_select, cumsum, tril/triu
- inplace.py: the ``_``-suffixed methods (add_, zero_, exp_, ...) and ``+=``
- conversion.py: dtype and device (to, float, cuda), Python values (item, tolist, numpy)
- creation.py: new_zeros / new_tensor / new, diagonals, sparse and shared-memory forms

Why mixins rather than one long class: each file reads as an ordinary class body,
and Python finds an inherited method through the type's method cache, so a call
costs what it cost when everything sat in one class. These modules cannot import
Tensor (it is built from them); fastnn/_tensor.py sets each module's ``Tensor``
once the class exists, and the methods annotate ``self: Tensor`` so that mypy
checks them against the whole class.
"""
