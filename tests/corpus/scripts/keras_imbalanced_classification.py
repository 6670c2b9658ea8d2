"""Imbalanced classification, the Keras way: standardise with training statistics,
weight the classes by their inverse frequency (class_weight), and watch confusion
counts, precision and recall through keras.metrics objects (the layout of the Keras
credit-card fraud example; a synthetic table stands in for the download)."""
import argparse

import numpy as np
import keras

from local_data import imbalanced

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
if args.quick:
    args.epochs = 8
keras.utils.set_random_seed(0)

features, targets = imbalanced()
num_val_samples = int(len(features) * 0.2)
train_features = features[:-num_val_samples]
train_targets = targets[:-num_val_samples]
val_features = features[-num_val_samples:]
val_targets = targets[-num_val_samples:]
print("Number of training samples:", len(train_features))
print("Number of validation samples:", len(val_features))

counts = np.bincount(train_targets)
print(f"Number of positive samples in training data: {counts[1]} "
      f"({100 * float(counts[1]) / len(train_targets):.2f}% of total)")
weight_for_0 = 1.0 / counts[0]
weight_for_1 = 1.0 / counts[1]

mean = np.mean(train_features, axis=0)
train_features -= mean
val_features -= mean
std = np.std(train_features, axis=0)
train_features /= std
val_features /= std

model = keras.Sequential(
    [
        keras.Input(shape=train_features.shape[1:]),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.summary()

metrics = [
    keras.metrics.FalseNegatives(name="fn"),
    keras.metrics.FalsePositives(name="fp"),
    keras.metrics.TrueNegatives(name="tn"),
    keras.metrics.TruePositives(name="tp"),
    keras.metrics.Precision(name="precision"),
    keras.metrics.Recall(name="recall"),
    keras.metrics.AUC(name="auc"),
]
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=metrics)
class_weight = {0: weight_for_0, 1: weight_for_1}
history = model.fit(
    train_features,
    train_targets,
    batch_size=256,
    epochs=args.epochs,
    verbose=2,
    validation_data=(val_features, val_targets),
    class_weight=class_weight,
)
val = {k: v[-1] for k, v in history.history.items() if k.startswith("val_")}
print(f"Validation: fn={val['val_fn']:.0f} fp={val['val_fp']:.0f} "
      f"recall={val['val_recall']:.3f} auc={val['val_auc']:.3f}")
print(f"RESULT val_auc={val['val_auc']:.4f}")
