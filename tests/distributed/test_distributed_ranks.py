"""Multi-rank tests: scripts in scripts/ run under ``mpirun -n 2`` (skipped without MPI)."""
import time


def test_collectives_two_ranks(mpirun):
    mpirun("collectives.py")


def test_collectives_three_ranks_default_threads(mpirun):
    # no OMP_NUM_THREADS: init_process_group gives each rank its share of the cores
    mpirun("collectives.py", n=3, threads=None, env={"EXPECT_THREADS": "shared"})


def test_ddp_matches_one_process_on_the_whole_batch(mpirun):
    # float32 to the 2e-5 after 5 Adam steps; ranks equal bit for bit
    mpirun("ddp_equivalence.py", "float32")


def test_ddp_matches_one_process_float64(mpirun):
    mpirun("ddp_equivalence.py", "float64")


def test_ddp_no_sync_unused_parameters_buffers_and_mismatch(mpirun):
    mpirun("ddp_features.py")


def test_an_exception_on_one_rank_ends_the_job(mpirun):
    t0 = time.monotonic()
    proc = mpirun("rank_fails.py", timeout=60, check=False)
    assert time.monotonic() - t0 < 30
    assert proc.returncode != 0
    assert "rank 1 failed on purpose" in proc.stderr
    assert "got past the barrier" not in proc.stdout
