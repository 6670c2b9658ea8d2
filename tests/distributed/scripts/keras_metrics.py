"""Keras metric objects under mpirun -n 2: each rank's running state (Mean's total and
count, the confusion counts behind Precision/Recall/AUC) is summed over the ranks at
the end of an epoch, so the History equals one process's on the whole data.

Rank 0 writes its History as JSON into argv[1]; the test compares it with a
one-process fit of the same model and data (``fit`` below, imported by the test).
"""
import json
import os
import sys

import numpy as np

import fastnn
from fastnn.keras import Sequential, metrics
from fastnn.keras.layers import Dense


def build():
    fastnn.manual_seed(0)
    model = Sequential([Dense(8, activation="relu", input_shape=(5,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", metrics.Precision(), metrics.Recall(thresholds=[0.3, 0.6]),
                           metrics.AUC(num_thresholds=50), metrics.TruePositives()])
    return model


def data():
    g = np.random.default_rng(3)
    x = g.standard_normal((80, 5)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] + 0.3 * g.standard_normal(80) > 0.2).astype(np.float32)[:, None]
    return x[:64], y[:64], x[64:], y[64:]


def fit(model, verbose=0):
    x, y, xv, yv = data()
    # unequal weights, so a plain average of per-rank ratios would differ from the true one
    sw = np.linspace(0.5, 2.0, len(x)).astype(np.float32)
    return model.fit(x, y, batch_size=16, epochs=2, shuffle=False, sample_weight=sw,
                     validation_data=(xv, yv), verbose=verbose)


if __name__ == "__main__":
    import fastnn.distributed as dist
    history = fit(build())
    if dist.get_rank() == 0:
        with open(os.path.join(sys.argv[1], "history.json"), "w") as f:
            json.dump(history.history, f)
    print(f"rank {dist.get_rank()} ok", flush=True)
