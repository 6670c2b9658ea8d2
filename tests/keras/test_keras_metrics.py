"""keras.metrics objects: counts and ratios against NumPy, AUC against the exact rank
AUC and against values recorded from Keras 3.15, names, state handling."""
import numpy as np
import pytest

from fastnn.keras import metrics as M


def _data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random(n) > 0.6).astype("float32"), rng.random(n).astype("float32")


def test_confusion_counts_and_ratios_match_numpy():
    yt, yp = _data(200, 1)
    w = np.random.default_rng(2).random(200)
    thr = [0.1, 0.5, 0.77]
    for weights in (None, w):
        ww = np.ones(200) if weights is None else w
        pos = yp[None, :] > np.array(thr)[:, None]
        truth = yt > 0
        tp = (ww * (pos & truth)).sum(1)
        fp = (ww * (pos & ~truth)).sum(1)
        tn = (ww * (~pos & ~truth)).sum(1)
        fn = (ww * (~pos & truth)).sum(1)
        for cls, want in ((M.TruePositives, tp), (M.FalsePositives, fp), (M.TrueNegatives, tn),
                          (M.FalseNegatives, fn), (M.Precision, tp / (tp + fp)),
                          (M.Recall, tp / (tp + fn))):
            m = cls(thresholds=thr)
            # two batches accumulate to the same as one
            m.update_state(yt[:70], yp[:70], None if weights is None else weights[:70])
            m.update_state(yt[70:], yp[70:], None if weights is None else weights[70:])
            np.testing.assert_allclose(m.result().numpy(), want, rtol=1e-6)
            m.reset_state()
            assert float(np.sum(m.result().numpy())) == 0.0


def test_precision_top_k_and_class_id():
    m = M.Precision(top_k=2)
    m.update_state([[0, 1, 1, 0]], [[0.9, 0.8, 0.1, 0.7]])
    assert float(m.result()) == 0.5  # top-2 are columns 0 and 1: one hit, one miss
    m = M.Recall(class_id=1)
    m.update_state([[0, 1], [1, 0], [0, 1]], [[0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    assert float(m.result()) == 0.5


def test_empty_ratios_are_zero():
    assert float(M.Precision().result()) == 0.0
    assert float(M.AUC().result()) == 0.0


def _rank_auc(yt, yp):
    pos, neg = yp[yt > 0], yp[yt == 0]
    return np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))


def test_auc_roc_approaches_rank_auc():
    yt, yp = _data(400, 3)
    yp = np.clip(yp * 0.5 + 0.5 * yt * np.random.default_rng(4).random(400), 0, 1)
    m = M.AUC(num_thresholds=2000)
    m.update_state(yt, yp)
    assert abs(float(m.result()) - _rank_auc(yt, yp)) < 2e-3


def test_auc_matches_values_recorded_from_keras():
    # keras 3.15 (jax backend), same data: AUC(**kw).update_state(yt, yp); result()
    yt, yp = _data()
    recorded = [({}, 0.5224359035491943), (dict(curve="PR"), 0.5367685556411743),
                (dict(summation_method="minoring"), 0.5208333134651184),
                (dict(curve="PR", summation_method="majoring"), 0.5524810552597046),
                (dict(num_thresholds=7), 0.4767628312110901)]
    for kw, want in recorded:
        m = M.AUC(**kw)
        m.update_state(yt, yp)
        assert float(m.result()) == pytest.approx(want, abs=2e-6), kw


def test_accuracy_family():
    m = M.SparseCategoricalAccuracy()
    m.update_state(np.array([[1], [2]]), np.array([[0.1, 0.8, 0.1], [0.5, 0.4, 0.1]]))
    assert float(m.result()) == 0.5
    m = M.CategoricalAccuracy()
    m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    assert float(m.result()) == 0.5
    m = M.Accuracy()
    m.update_state([[1], [2], [3]], [[1], [2], [4]])
    assert float(m.result()) == pytest.approx(2 / 3)
    m = M.BinaryAccuracy(threshold=0.7)  # strictly greater than the threshold
    m.update_state([[1], [0]], [[0.7], [0.8]], sample_weight=[1, 3])
    assert float(m.result()) == 0.0
    m = M.BinaryAccuracy()
    assert float(m([1, 0, 1, 1], [0.9, 0.2, 0.4, 0.6])) == 0.75  # __call__ updates and returns


def test_names_like_keras():
    assert M.AUC(name="roc").name == "roc"
    a, b = M.FalseNegatives(), M.FalseNegatives()
    assert a.name.startswith("false_negatives") and b.name != a.name
    assert M.get("precision").name.startswith("precision")
    assert isinstance(M.get("auc"), M.AUC)


def test_bad_arguments():
    with pytest.raises(ValueError, match="curve"):
        M.AUC(curve="XY")
    with pytest.raises(ValueError, match="thresholds"):
        M.Precision(thresholds=[1.5])
    with pytest.raises(ValueError, match="unknown metric"):
        M.get("nope")
