"""Run under mpirun -n 2: rank 1 raises while rank 0 waits in a collective.

Without init_process_group's abort hook rank 0 would wait in barrier()
forever; with it, the job ends at once with rank 1's error and a non-zero status.
"""
import fastnn.distributed as dist

dist.init_process_group("mpi")
if dist.get_rank() == 1:
    raise ValueError("rank 1 failed on purpose")
dist.barrier()
print("rank 0 got past the barrier", flush=True)
