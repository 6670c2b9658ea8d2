"""Functions (forward + backward on arrays) behind the Tensor methods.

One module per kind of op: ``arithmetic`` (elementwise binary/unary, matmul),
``reduction`` (sum, mean, max, var, ...), ``shape`` (reshape, permute, cat,
indexing, ...). The Tensor methods (fastnn/_tensor_methods/) call them.
"""
