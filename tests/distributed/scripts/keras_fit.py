"""Keras ``fit`` under mpirun -n 2, and the same fit in one process (imported by the test).

Run by mpirun, each rank fits its half of every global batch; rank 0 then saves
the weights and the History as JSON into the directory given as argv[1], where
the test compares them with a one-process fit of the same model and data.
"""
import json
import os
import sys

import numpy as np

import fastnn
from fastnn.keras import Sequential, callbacks
from fastnn.keras.layers import Dense


def build():
    fastnn.manual_seed(0)
    model = Sequential([Dense(16, activation="relu", input_shape=(6,)), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    g = np.random.default_rng(2)
    x = g.standard_normal((64, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)
    return x[:48], y[:48], x[48:], y[48:]


def fit(model, out_dir, rank=0, verbose=1):
    x, y, xv, yv = data()
    cbs = [callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0, verbose=1),
           callbacks.CSVLogger(os.path.join(out_dir, f"log-{rank}.csv")),
           callbacks.ModelCheckpoint(os.path.join(out_dir, f"ckpt-{rank}-{{epoch}}.safetensors"),
                                     monitor="loss")]
    # shuffle=False: one process's batch k is then the union of the ranks' batches k
    return model.fit(x, y, batch_size=16, epochs=3, shuffle=False, validation_data=(xv, yv),
                     callbacks=cbs, verbose=verbose)


if __name__ == "__main__":
    import fastnn.distributed as dist
    out_dir = sys.argv[1]
    model = build()
    history = fit(model, out_dir, rank=int(os.environ.get("OMPI_COMM_WORLD_RANK", "0")))
    # fit started the process group itself (the script never called init_process_group)
    rank = dist.get_rank()
    assert dist.get_world_size() == 2
    x, y, xv, yv = data()
    loss, acc = model.evaluate(xv, yv, verbose=0)       # collective: every rank calls it
    assert abs(loss - history.history["val_loss"][-1]) < 1e-6
    both = [None, None]
    dist.all_gather_object(both, history.history)
    assert both[0] == both[1], both                      # every rank saw the averaged logs

    # a DataLoader is dealt out by batches; one with a DistributedSampler is used as it is
    from fastnn.utils.data import DataLoader, TensorDataset
    from fastnn.utils.data.distributed import DistributedSampler
    ds = TensorDataset(fastnn.tensor(x), fastnn.tensor(y))
    for loader in (DataLoader(ds, batch_size=8),                               # 6 batches: 3 each
                   DataLoader(ds, batch_size=8, sampler=DistributedSampler(ds, shuffle=False))):
        m = build()
        steps = []
        m.fit(loader, epochs=1, verbose=0,
              callbacks=[callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps.append(b))])
        assert steps == [0, 1, 2], steps
        flat = fastnn.tensor(np.concatenate([p.detach().numpy().ravel() for p in m.parameters()]))
        mine_and_theirs = [fastnn.zeros_like(flat), fastnn.zeros_like(flat)]
        dist.all_gather(mine_and_theirs, flat)
        assert np.array_equal(mine_and_theirs[0]._data, mine_and_theirs[1]._data)
        if isinstance(loader.sampler, DistributedSampler):
            assert abs(m.evaluate(loader, verbose=0)[0] - m.evaluate(x, y, verbose=0)[0]) < 1e-6

    if rank == 0:
        np.savez(os.path.join(out_dir, "weights.npz"),
                 *[p.detach().numpy() for p in model.parameters()])
        with open(os.path.join(out_dir, "history.json"), "w") as f:
            json.dump(history.history, f)
    print(f"rank {rank} ok", flush=True)
