"""What every native family shares: the CPU dispatch (_isa: one ISA level for
every family, see isa.h), the thread policy (parallel.h), index ranges
(range.h) and the OpenMP controls (_openmp)."""
