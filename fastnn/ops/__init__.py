"""Functions (forward + backward on arrays) behind the Tensor methods.

One module per kind of op: ``arithmetic`` (elementwise binary/unary, matmul),
``reduction`` (sum, mean, max, var, ...), ``shape`` (reshape, permute, cat,
indexing, ...). fastnn/_tensor.py binds them to Tensor methods.
"""
