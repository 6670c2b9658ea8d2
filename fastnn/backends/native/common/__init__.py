"""What every native family shares: the thread policy (parallel.h), index ranges
(range.h) and the OpenMP controls (_openmp)."""
