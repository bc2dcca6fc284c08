"""Confusion-matrix builder: counts from sklearn, values from float64 formulas."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import confusion_matrix

from conftest import assert_one_line_error
from simmatrix import io
from simmatrix.builders.confusion import (
    ConfusionScalingWarning,
    build_confusion,
    counts_from_pairs,
    from_confusion,
    read_counts,
)
from simmatrix.errors import BuildError
from simmatrix.validate import validate

NAMES = ("cat", "dog", "fox", "owl", "yak")


def ref_scale(counts, alpha=0.0):
    """S_ij = min(1, P_ij / P_ii), P the smoothed row-normalised counts (float64)."""
    N = np.asarray(counts, dtype=np.float64) + alpha
    P = N / N.sum(axis=1, keepdims=True)
    d = np.diag(P)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        S = np.minimum(1.0, P / d)
    S = np.where(d > 0, S, (P > 0).astype(float))  # never recognised: 1 where confused
    np.fill_diagonal(S, 1.0)
    return S


@pytest.fixture
def pairs():
    rng = np.random.default_rng(0)
    y = rng.integers(0, len(NAMES), size=400)
    noise = rng.integers(0, len(NAMES), size=400)
    pred = np.where(rng.random(400) < 0.7, y, noise)  # 70 % right: diagonal dominates
    return y, pred


def test_counts_match_sklearn(pairs):
    y, pred = pairs
    names_t = np.array(NAMES)[y]
    names_p = np.array(NAMES)[pred]
    counts, classes = counts_from_pairs(names_t, names_p, NAMES)
    assert classes == NAMES
    assert_array_equal(counts, confusion_matrix(y, pred, labels=range(len(NAMES))))
    by_index, _ = counts_from_pairs(y, pred, NAMES)
    assert_array_equal(by_index, counts)


def test_default_scaling_formula(pairs):
    y, pred = pairs
    cm = confusion_matrix(y, pred)
    S = from_confusion(cm, NAMES)
    assert_allclose(S.values, ref_scale(cm), rtol=0, atol=1e-15)
    assert S.metadata["confusion_orientation"].startswith("rows are true classes")
    assert S.metadata["builder"] == "confusion"
    assert validate(S).ok


def test_orientation_rows_are_true_classes():
    # 'a' is often predicted as 'b', never the other way: only S[a, b] is positive.
    S = from_confusion([[6, 4], [0, 10]], ["a", "b"])
    assert S["a", "b"] == pytest.approx(4 / 6)
    assert S["b", "a"] == 0.0


def test_smoothing_formula(pairs):
    y, pred = pairs
    cm = confusion_matrix(y, pred)
    S = from_confusion(cm, NAMES, smoothing=0.5)
    assert_allclose(S.values, ref_scale(cm, 0.5), rtol=0, atol=1e-15)
    assert (S.values > 0).all()  # smoothing gives every pair some credit


def test_row_max_scaling():
    cm = np.array([[2, 6, 2], [1, 8, 1], [0, 0, 5]], dtype=float)
    S = from_confusion(cm, ["a", "b", "c"], scale="row-max")
    expected = cm / cm.max(axis=1, keepdims=True)
    np.fill_diagonal(expected, 1.0)
    assert_allclose(S.values, expected, rtol=0, atol=1e-15)
    assert S.metadata["clipped"] == []


def test_mostly_confused_class_is_clipped_and_reported():
    cm = np.array([[2, 6, 2], [1, 8, 1], [0, 0, 5]], dtype=float)
    with pytest.warns(ConfusionScalingWarning, match="'a'"):
        S = from_confusion(cm, ["a", "b", "c"])
    assert S["a", "b"] == 1.0  # P_ab = 0.6 > P_aa = 0.2
    assert S["a", "c"] == pytest.approx(1.0)  # 0.2 / 0.2
    (entry,) = S.metadata["clipped"]
    assert entry["class"] == "a" and entry["n_clipped"] == 1
    assert entry["recognised"] == pytest.approx(0.2)


def test_never_recognised_class_gets_ones_where_confused():
    cm = np.array([[0, 3, 0], [1, 9, 0], [0, 0, 4]], dtype=float)
    with pytest.warns(ConfusionScalingWarning):
        S = from_confusion(cm, ["a", "b", "c"])
    assert S.row("a").tolist() == [1.0, 1.0, 0.0]


@pytest.mark.parametrize("how", ["mean", "max"])
def test_symmetrize(pairs, how):
    y, pred = pairs
    cm = confusion_matrix(y, pred)
    R = ref_scale(cm)
    expected = (R + R.T) / 2 if how == "mean" else np.maximum(R, R.T)
    S = from_confusion(cm, NAMES, symmetrize=how)
    assert_allclose(S.values, expected, rtol=0, atol=1e-15)
    assert S.metadata["transforms"][-1]["name"] == "symmetrize"


def test_never_seen_true_class_names_all():
    cm = np.array([[5, 1, 0, 0], [0, 0, 0, 0], [1, 1, 3, 0], [0, 0, 0, 0]])
    with pytest.raises(BuildError, match=r"2 classes never occur as a true label.*'b', 'd'"):
        from_confusion(cm, ["a", "b", "c", "d"])
    S = from_confusion(cm, ["a", "b", "c", "d"], missing="identity")
    assert_array_equal(S.values[[1, 3]], np.eye(4)[[1, 3]])
    assert S.metadata["missing_rows"] == ["b", "d"]


def test_pairs_without_class_list_sorted_names():
    counts, classes = counts_from_pairs(["b", "a", "b"], ["a", "a", "b"])
    assert classes == ("a", "b")
    assert counts.tolist() == [[1, 0], [1, 1]]


def test_unknown_labels_are_listed():
    with pytest.raises(BuildError, match=r"2 labels are not in the class list: 'emu', 'gnu'"):
        counts_from_pairs(["cat", "emu", "gnu"], ["cat", "cat", "dog"], NAMES)


def test_bad_counts():
    with pytest.raises(BuildError, match=r"finite and >= 0; 1 are not: \[0, 1\] = -1"):
        from_confusion([[1, -1], [0, 1]])


def test_csv_matrix_any_column_order(tmp_path, pairs):
    y, pred = pairs
    cm = confusion_matrix(y, pred)
    perm = [3, 0, 4, 1, 2]
    lines = ["true\\pred," + ",".join(NAMES[j] for j in perm)]
    lines += [NAMES[i] + "," + ",".join(str(cm[i, j]) for j in perm) for i in range(5)]
    (tmp_path / "cm.csv").write_text("\n".join(lines) + "\n")
    N, classes = read_counts(tmp_path / "cm.csv")
    assert classes == NAMES
    assert_array_equal(N, cm)
    # with a class list the result follows the list's order
    N2, classes2 = read_counts(tmp_path / "cm.csv", NAMES[::-1])
    assert_array_equal(N2, cm[::-1, ::-1])
    with pytest.raises(BuildError, match="1 not in the class list: 'yak'"):
        read_counts(tmp_path / "cm.csv", NAMES[:4])


def test_build_from_files_agree(tmp_path, pairs):
    y, pred = pairs
    np.save(tmp_path / "y.npy", np.array(NAMES)[y])
    np.save(tmp_path / "p.npy", pred)  # indices for one, names for the other
    (tmp_path / "pairs.csv").write_text(
        "label,prediction\n" + "".join(f"{NAMES[a]},{b}\n" for a, b in zip(y, pred, strict=True)))
    np.save(tmp_path / "cm.npy", confusion_matrix(y, pred))
    a = build_confusion(labels=tmp_path / "y.npy", predictions=tmp_path / "p.npy", classes=NAMES)
    b = build_confusion(pairs=tmp_path / "pairs.csv", classes=NAMES)
    c = build_confusion(matrix=tmp_path / "cm.npy", classes=NAMES)
    assert a.equals(b) and b.equals(c)
    assert c.classes == NAMES
    assert_allclose(c.values, ref_scale(confusion_matrix(y, pred)), rtol=0, atol=1e-15)
    assert c.metadata["sources"][0]["path"] == "cm.npy"


# -- CLI ------------------------------------------------------------------------------------
def test_cli_pairs(tmp_path, cli, pairs):
    y, pred = pairs
    (tmp_path / "pairs.csv").write_text("".join(f"{a},{b}\n" for a, b in zip(y, pred, strict=True)))
    (tmp_path / "classes.txt").write_text("\n".join(NAMES) + "\n")
    out = tmp_path / "S.npy"
    res = cli("build", "confusion", "--pairs", tmp_path / "pairs.csv", "--classes",
              tmp_path / "classes.txt", "--smoothing", "1", "--symmetrize", "max", "-o", out)
    assert res.code == 0, res
    S = io.load(out)
    R = ref_scale(confusion_matrix(y, pred), 1.0)
    assert S.classes == NAMES
    assert_allclose(S.values, np.maximum(R, R.T), rtol=0, atol=1e-15)


def test_cli_labels_and_predictions(tmp_path, cli, pairs):
    y, pred = pairs
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "p.npy", pred)
    out = tmp_path / "S.csv"
    res = cli("build", "confusion", "--labels", tmp_path / "y.npy", "--predictions",
              tmp_path / "p.npy", "--scale", "row-max", "-o", out)
    assert res.code == 0, res
    cm = confusion_matrix(y, pred).astype(float)
    expected = cm / cm.max(axis=1, keepdims=True)  # row-max, typed in as in test_row_max_scaling
    np.fill_diagonal(expected, 1.0)
    S = io.load(out)
    assert S.classes == ("0", "1", "2", "3", "4")
    assert_allclose(S.values, expected, rtol=0, atol=1e-15)
    assert S.equals(from_confusion(confusion_matrix(y, pred), scale="row-max"), atol=1e-15)


def test_cli_never_seen_class_one_line_no_file(tmp_path, cli):
    np.save(tmp_path / "cm.npy", np.array([[3, 1, 0], [0, 0, 0], [1, 0, 2]]))
    (tmp_path / "classes.txt").write_text("ant\nbee\ncow\n")
    out = tmp_path / "S.npy"
    args = ["build", "confusion", "--matrix", tmp_path / "cm.npy", "--classes",
            tmp_path / "classes.txt", "-o", out]
    res = cli(*args)
    assert_one_line_error(res, 2)
    assert "1 classes never occur as a true label" in res.err and "'bee'" in res.err
    assert not list(tmp_path.glob("S.*"))
    assert cli(*args, "--missing", "identity").code == 0
    assert io.load(out).row("bee").tolist() == [0.0, 1.0, 0.0]


def test_cli_clipping_warning_is_one_line(tmp_path, cli):
    np.save(tmp_path / "cm.npy", np.array([[1, 3], [0, 4]]))
    res = cli("build", "confusion", "--matrix", tmp_path / "cm.npy", "-o", tmp_path / "S.npy")
    assert res.code == 0, res
    assert "simmatrix: warning: 1 classes are predicted as another class" in res.err
    assert "Traceback" not in res.err


def test_cli_needs_exactly_one_input(tmp_path, cli):
    np.save(tmp_path / "cm.npy", np.eye(2))
    (tmp_path / "p.csv").write_text("0,1\n")
    res = cli("build", "confusion", "--matrix", tmp_path / "cm.npy", "--pairs",
              tmp_path / "p.csv", "-o", tmp_path / "S.npy")
    assert_one_line_error(res, 2)
    assert "exactly one input" in res.err
    assert not (tmp_path / "S.npy").exists()


def test_builder_is_quiet_without_clipping(pairs):
    y, pred = pairs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_confusion(confusion_matrix(y, pred), NAMES)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: arrays(np.int64, (n, n), elements=st.integers(0, 50))),
       st.floats(0, 3), st.sampled_from(["diagonal", "row-max"]),
       st.sampled_from([None, "mean", "max"]))
def test_any_counts_give_a_valid_matrix(cm, alpha, scale, sym):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfusionScalingWarning)
        S = from_confusion(cm, smoothing=alpha, scale=scale, symmetrize=sym, missing="identity")
    assert validate(S).ok
    seen = cm.sum(axis=1) > 0
    if scale == "diagonal" and sym is None and seen.all():
        assert_allclose(S.values, ref_scale(cm, alpha), rtol=1e-12, atol=1e-15)
