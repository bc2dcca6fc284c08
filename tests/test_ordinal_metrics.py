"""Ordinal metrics over the full class list, against plain-Python float64 formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simmatrix import metrics
from simmatrix.errors import SimMatrixError


def _reference(t, p, values):
    """Per-class MAE, recall and 1-off share by explicit loops over the samples."""
    per_mae, recall = {}, {}
    for k in sorted(set(t)):
        idx = [i for i, y in enumerate(t) if y == k]
        per_mae[k] = math.fsum(abs(values[p[i]] - values[t[i]]) for i in idx) / len(idx)
        recall[k] = sum(p[i] == k for i in idx) / len(idx)
    off1 = sum(abs(a - b) <= 1 for a, b in zip(t, p)) / len(t)
    return per_mae, recall, off1


labels = st.integers(2, 9).flatmap(lambda C: st.tuples(
    st.just(C),
    st.lists(st.tuples(st.integers(0, C - 1), st.integers(0, C - 1)), min_size=1,
             max_size=40),
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=C, max_size=C)))


@given(labels)
def test_equal_the_float64_formula(case):
    C, pairs, vals = case
    t, p = [a for a, _ in pairs], [b for _, b in pairs]
    per_mae, recall, off1 = _reference(t, p, vals)
    kw = {"classes": C, "values": vals}
    assert metrics.average_mae(t, p, **kw) == pytest.approx(
        math.fsum(per_mae.values()) / len(per_mae), rel=1e-12, abs=1e-12)
    assert metrics.maximum_mae(t, p, **kw) == pytest.approx(max(per_mae.values()),
                                                            rel=1e-12, abs=1e-12)
    assert metrics.minimum_sensitivity(t, p, classes=C) == min(recall.values())
    assert metrics.off_by_one_accuracy(t, p, classes=C) == off1


def test_a_class_absent_from_the_batch_still_counts_its_distance():
    # dlordinal: accuracy_off1 1.0 and amae 0.5 here (it numbers only the classes seen)
    assert metrics.off_by_one_accuracy([0, 0], [0, 5], classes=6) == 0.5
    assert metrics.average_mae([0, 0], [0, 5], classes=6) == 2.5
    assert metrics.maximum_mae([0, 0], [0, 5], classes=6) == 2.5
    assert metrics.minimum_sensitivity([0, 0], [0, 5], classes=6) == 0.5


def test_names_are_accepted_like_positions():
    names = ["low", "mid", "high"]
    assert metrics.average_mae(["low", "high"], ["mid", "low"], classes=names) == 1.5
    assert metrics.off_by_one_accuracy(np.array(["low", "high"]), ["mid", "low"],
                                       classes=names) == 0.5


def test_integer_class_names_are_names_never_positions():
    values = {1: 0, 2: 10, 3: 11}
    assert metrics.mean_absolute_error([1], [2], classes=[1, 2, 3], values=values) == 10.0
    assert metrics.average_mae(np.array([1, 3]), np.array([2, 3]), classes=[1, 2, 3],
                               values=values) == 5.0
    assert metrics.accuracy([10, 20], [20, 20], classes=[10, 20, 30]) == 0.5
    with pytest.raises(SimMatrixError, match="integer labels are names, not positions"):
        metrics.accuracy([0], [1], classes=[1, 2, 3])  # 0 is no class name


def test_integer_labels_with_mixed_names_are_refused():
    with pytest.raises(SimMatrixError, match="ambiguous"):
        metrics.accuracy([1], [1], classes=["1", "cat", "dog"])
    assert metrics.accuracy(["1"], ["cat"], classes=["1", "cat", "dog"]) == 0.0


def test_default_and_text_names_keep_positions():
    assert metrics.accuracy([0, 1], [0, 0], classes=2) == 0.5
    assert metrics.accuracy([0, 1], [0, 0], classes=["0", "1"]) == 0.5
    assert metrics.accuracy([0, 1], [0, 0], classes=["cat", "dog"]) == 0.5


def test_empty_labels_are_refused():
    with pytest.raises(SimMatrixError, match="empty"):
        metrics.average_mae([], [], classes=3)
