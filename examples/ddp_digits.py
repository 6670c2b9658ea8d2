"""Data-parallel training of a small CNN on the bundled digits, over MPI (PyTorch's DDP recipe).

Every rank runs this same script: it takes its share of each global batch
(DistributedSampler), DistributedDataParallel averages the gradients across
ranks during backward, and every replica takes the same optimizer step.
Rank 0 prints. See docs/distributed.md.

    mpirun -n 2 python examples/ddp_digits.py            # 2 ranks on this machine
    mpirun -n 2 python examples/ddp_digits.py --quick    # one short epoch (CI)
    srun -n 8 python examples/ddp_digits.py              # 8 ranks under Slurm
    python examples/ddp_digits.py                        # one rank, same result as -n 1

Needs mpi4py and an MPI library: pip install "fastnn[mpi]".
"""
import argparse
import time

import numpy as np

import fastnn
import fastnn.distributed as dist
from fastnn import nn
from fastnn.datasets import load_digits
from fastnn.nn.parallel import DistributedDataParallel
from fastnn.utils.data import DataLoader, TensorDataset
from fastnn.utils.data.distributed import DistributedSampler


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(64 * 2 * 2, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        F = nn.functional
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch (split over the ranks)")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--quick", action="store_true", help="1 epoch on a subset (smoke test)")
    args = parser.parse_args(argv)

    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must divide by the {world} ranks")
    say = print if rank == 0 else (lambda *a, **k: None)

    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    epochs = args.epochs
    if args.quick:
        x_train, y_train, epochs = x_train[:512], y_train[:512], 1
    train_set = TensorDataset(fastnn.tensor(x_train), fastnn.tensor(y_train))
    sampler = DistributedSampler(train_set, shuffle=True, seed=0)
    loader = DataLoader(train_set, batch_size=args.batch_size // world, sampler=sampler)

    fastnn.manual_seed(rank)   # replicas may start different: DDP copies rank 0's weights
    model = DistributedDataParallel(Net())
    opt = fastnn.optim.Adam(model.parameters(), lr=args.lr)
    say(f"{world} rank(s), {fastnn.get_num_threads()} thread(s) each, global batch {args.batch_size}, "
        f"{len(loader)} steps per epoch, {len(model.reducer.buckets)} gradient bucket(s)")

    for epoch in range(epochs):
        sampler.set_epoch(epoch)   # a new shuffle, the same on every rank
        model.train()
        start = time.perf_counter()
        sums = np.zeros(2)
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()        # gradients averaged over the ranks in here
            opt.step()
            sums += (loss.item() * len(yb), len(yb))
        total = fastnn.tensor(sums)
        dist.all_reduce(total)     # the epoch's mean loss over all ranks' samples
        elapsed = time.perf_counter() - start
        say(f"epoch {epoch + 1}/{epochs}  loss {total[0].item() / total[1].item():.4f}  {elapsed:.2f}s  "
            f"all-reduced {model.communication_stats['bytes'] / 1e6:.2f} MB per step")

    # each rank scores its share of the test set; the counts are summed
    test_sampler = DistributedSampler(range(len(x_test)), shuffle=False)
    mine = np.array(list(test_sampler))
    model.eval()
    with fastnn.no_grad():
        pred = model.module(fastnn.tensor(x_test[mine])).argmax(1).numpy()
    counts = fastnn.tensor(np.array([(pred == y_test[mine]).sum(), len(mine)], dtype=np.int64))
    dist.all_reduce(counts)
    accuracy = counts[0].item() / counts[1].item()
    say(f"test accuracy {accuracy * 100:.2f}% ({counts[1].item()} digits scored over {world} rank(s))")
    dist.destroy_process_group()
    return accuracy


if __name__ == "__main__":
    main()
