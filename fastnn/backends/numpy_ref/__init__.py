"""The reference kernels: one module per family, each the textbook formula in NumPy
(the argument checks they share with the other backends are in ../_validate/)."""
