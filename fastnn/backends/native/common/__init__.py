"""What every native family shares: the CPU dispatch (_isa: one ISA level for
every family, see isa.h), the thread policy (parallel.h), index ranges
(range.h), the OpenMP controls (_openmp) and the Ctrl-C flag that long loops
poll (_interrupt: interrupt.h, docs/interrupts.md)."""
