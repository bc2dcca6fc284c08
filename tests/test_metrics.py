"""Metrics against scikit-learn and plain loop references; explicit class lists."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from simmatrix import SimilarityMatrix, SimMatrixError
from simmatrix import metrics as M

RNG = np.random.default_rng(11)
C, N = 7, 200
T = RNG.integers(0, C, size=N)
PRED = np.where(RNG.uniform(size=N) < 0.5, T, RNG.integers(0, C, size=N))
NAMES = ["apple", "pear", "oak", "pine", "rose", "tulip", "maple"]
SUPER = {"apple": "fruit", "pear": "fruit", "oak": "tree", "pine": "tree", "maple": "tree",
         "rose": "flower", "tulip": "flower"}
IDX = np.arange(C)
S = np.clip(1.0 - np.abs(IDX[:, None] - IDX[None, :]) / 4.0, 0.0, 1.0)


def test_quadratic_weighted_kappa_matches_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    ref = sk.cohen_kappa_score(T, PRED, labels=list(range(C)), weights="quadratic")
    assert_allclose(M.quadratic_weighted_kappa(T, PRED, classes=C), ref, rtol=1e-12)
    # a batch in which the highest classes never occur: the class list still fixes the weights
    t, p = T[T < 4], PRED[T < 4]
    p = np.minimum(p, 5)
    ref = sk.cohen_kappa_score(t, p, labels=list(range(C)), weights="quadratic")
    assert_allclose(M.quadratic_weighted_kappa(t, p, classes=NAMES), ref, rtol=1e-12)


def test_accuracy_mae_mse_match_sklearn_on_class_values():
    sk = pytest.importorskip("sklearn.metrics")
    values = np.array([0.0, 1.0, 2.0, 4.0, 8.0, 9.0, 15.0])
    assert_allclose(M.accuracy(T, PRED, classes=C), sk.accuracy_score(T, PRED))
    assert_allclose(M.mean_absolute_error(T, PRED, classes=C, values=values),
                    sk.mean_absolute_error(values[T], values[PRED]))
    assert_allclose(M.mean_squared_error(T, PRED, classes=C, values=values),
                    sk.mean_squared_error(values[T], values[PRED]))
    by_name = dict(zip(NAMES, values, strict=True))
    names_t, names_p = np.array(NAMES)[T], np.array(NAMES)[PRED]
    assert_allclose(M.mean_absolute_error(names_t, names_p, classes=NAMES, values=by_name),
                    sk.mean_absolute_error(values[T], values[PRED]))
    assert_allclose(M.mean_absolute_error(T, PRED, classes=C),
                    sk.mean_absolute_error(T, PRED))


def test_superclass_and_failed_superclass_accuracy():
    names_t = [NAMES[i] for i in T]
    names_p = [NAMES[i] for i in PRED]
    same = [SUPER[a] == SUPER[b] for a, b in zip(names_t, names_p, strict=True)]
    wrong = [a != b for a, b in zip(names_t, names_p, strict=True)]
    ref_sa = sum(same) / N
    ref_fsa = sum(s for s, w in zip(same, wrong, strict=True) if w) / sum(wrong)
    assert_allclose(M.superclass_accuracy(T, PRED, classes=NAMES, superclass=SUPER), ref_sa)
    assert_allclose(M.failed_superclass_accuracy(names_t, names_p, classes=NAMES,
                                                 superclass=SUPER), ref_fsa)
    assert np.isnan(M.failed_superclass_accuracy(T, T, classes=NAMES, superclass=SUPER))


def test_mistake_severity_and_top_k():
    D = np.abs(IDX[:, None] - IDX[None, :]).astype(float)  # a stand-in for LCA heights
    mistakes = [(t, p) for t, p in zip(T, PRED, strict=True) if t != p]
    ref = np.mean([D[t, p] for t, p in mistakes])
    assert_allclose(M.mistake_severity(T, PRED, classes=C, distance=D), ref)
    ref = np.mean([1 - S[t, p] for t, p in mistakes])
    sim = SimilarityMatrix(S, NAMES)
    assert_allclose(M.mistake_severity(T, PRED, classes=sim, similarity=sim), ref)
    scores = RNG.normal(size=(N, C))
    for k in (1, 3, C):
        ref = np.mean([np.mean([S[t, j] for j in np.argsort(-s)[:k]])
                       for t, s in zip(T, scores, strict=True)])
        assert_allclose(M.top_k_average_similarity(T, scores, k, classes=C, similarity=S), ref)
    assert_allclose(M.top_k_average_similarity(T, scores, C, classes=C, distance=D),
                    D[T].mean())


def test_unimodal_share():
    p = np.array([
        [0.1, 0.2, 0.4, 0.2, 0.1],  # unimodal
        [0.5, 0.3, 0.1, 0.05, 0.05],  # mode first, falling
        [0.3, 0.1, 0.3, 0.2, 0.1],  # dip before the mode
        [0.1, 0.1, 0.6, 0.05, 0.15],  # rise after the mode
    ])
    assert M.unimodal_share(p) == 0.5
    assert M.unimodal_share(p, atol=0.2) == 1.0


def test_torch_and_jax_labels_are_accepted():
    torch = pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    ref = M.accuracy(T, PRED, classes=C)
    assert M.accuracy(torch.from_numpy(T), torch.from_numpy(PRED), classes=C) == ref
    assert M.accuracy(jnp.asarray(T), jnp.asarray(PRED), classes=C) == ref


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: M.accuracy(["apple", "kiwi", "fig"], ["apple"] * 3, classes=NAMES),
         "2 unknown classes in y_true: 'fig', 'kiwi'"),
        (lambda: M.accuracy([0, 9, 12], [0, 0, 0], classes=C),
         "2 y_true out of range for 7 classes: 9, 12"),
        (lambda: M.accuracy([0, 1], [0], classes=C), "y_true has 2 labels but y_pred has 1"),
        (lambda: M.superclass_accuracy([0], [0], classes=NAMES, superclass={"apple": "fruit"}),
         "6 classes have no superclass: 'pear', 'oak'"),
        (lambda: M.mistake_severity([0], [1], classes=C), "exactly one of similarity="),
        (lambda: M.mistake_severity([0], [1], classes=C, similarity=np.eye(3)),
         "expected (7, 7)"),
        (lambda: M.mean_absolute_error([0], [1], classes=C, values=[1, 2]),
         "one entry per class (7)"),
        (lambda: M.mean_absolute_error([0], [1], classes=NAMES, values={"apple": 1.0}),
         "6 classes have no value: 'pear', 'oak'"),
        (lambda: M.top_k_average_similarity([0], np.zeros((1, C)), 0, classes=C, similarity=S),
         "k must be in 1..7"),
    ],
)
def test_bad_input_names_every_offender(call, message):
    with pytest.raises(SimMatrixError) as info:
        call()
    assert message in str(info.value)
