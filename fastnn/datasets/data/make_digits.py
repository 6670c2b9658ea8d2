"""How digits.npz was produced (kept for reproducibility; not imported by fastnn).

Input: sklearn/datasets/data/digits.csv.gz from the scikit-learn wheel
(``pip download --no-deps scikit-learn`` and unzip it), a copy of the UCI
"Optical Recognition of Handwritten Digits" test set: 1,797 rows of 64 pixel
counts in 0..16 followed by the label.

Output: digits.npz (compressed) with
  images   uint8 (1797, 8, 8), values 0..16, in the CSV's row order
  labels   uint8 (1797,)
  is_test  bool  (1797,)  the fixed stratified split: 36 samples of every class
           (360 in all), chosen with numpy.random.default_rng(20240501); the
           other 1,437 are the training split.  Stored, so the split never
           depends on NumPy's generator implementation.

Usage: python make_digits.py path/to/digits.csv.gz path/to/digits.npz
"""
import gzip
import sys

import numpy as np

TEST_PER_CLASS = 36
SEED = 20240501


def main(src, dst):
    with gzip.open(src, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    assert table.shape == (1797, 65), table.shape
    images = table[:, :64].reshape(-1, 8, 8)
    labels = table[:, 64]
    assert images.min() >= 0 and images.max() <= 16 and set(labels.tolist()) == set(range(10))
    rng = np.random.default_rng(SEED)
    is_test = np.zeros(len(labels), dtype=bool)
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        is_test[rng.choice(idx, TEST_PER_CLASS, replace=False)] = True
    np.savez_compressed(dst, images=images.astype(np.uint8), labels=labels.astype(np.uint8),
                        is_test=is_test)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
