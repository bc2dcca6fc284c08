"""The fast paths of load/save: the validation stamp, the rows layout, the tiled stats."""

import json
import os

import numpy as np
import pandas as pd
import polars as pl
import pytest

from simmatrix import io
from simmatrix._tiles import dense_pass, value_range
from simmatrix.errors import InvalidMatrixError
from simmatrix.matrix import SimilarityMatrix
from simmatrix.validate import check, validate


def banded(n, dtype=np.float64):
    i = np.arange(n)
    return (0.9 ** np.abs(i[:, None] - i)).astype(dtype)


def test_saved_npy_carries_a_stamp_that_a_rewrite_breaks(tmp_path):
    path = tmp_path / "m.npy"
    io.save(SimilarityMatrix(banded(4)), path)
    assert io.was_validated(path)
    side = json.loads(io.sidecar_path(path).read_text())
    assert side["validated"]["size"] == os.path.getsize(path)
    # someone rewrites the values in place (same size): the stamp no longer holds
    bad = banded(4)
    bad[0, 1] = 1.5
    np.save(path, bad)
    assert not io.was_validated(path)
    # the sidecar's digest no longer matches: the pair is refused before anything is trusted
    with pytest.raises(InvalidMatrixError, match="does not belong"):
        io.load(path)
    # without a digest to compare, the values themselves are validated again
    io.sidecar_path(path).write_text(json.dumps({k: v for k, v in side.items()
                                                 if k != "array_sha256"}))
    with pytest.raises(InvalidMatrixError, match=r"S\[0, 1\] = 1.5"):
        io.load(path)


def test_unvalidated_save_has_no_stamp(tmp_path):
    path = tmp_path / "m.npy"
    io.save(SimilarityMatrix(banded(3)), path, validate=False)
    assert not io.was_validated(path)
    assert io.load(path).shape == (3, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_dense_parquet_uses_rows_layout(tmp_path, dtype):
    n = io.WIDE_MAX_CLASSES + 1
    S = SimilarityMatrix(banded(n, dtype), [f"c{i}" for i in range(n)])
    path = tmp_path / "m.parquet"
    io.save(S, path)
    back = io.load(path)
    assert back.classes == S.classes and back.dtype == dtype
    np.testing.assert_array_equal(back.values, S.values)
    df = pd.read_parquet(path)
    assert list(df["class"]) == list(S.classes)
    np.testing.assert_array_equal(np.stack(df["similarity"]), S.values)
    pdf = pl.read_parquet(path)
    np.testing.assert_array_equal(pdf["similarity"].to_numpy(), S.values)
    assert os.path.getsize(path) < S.values.nbytes


def test_wide_parquet_is_no_larger_than_npy(tmp_path):
    # what the embedding builder makes: cosines of vectors, negatives clipped to 0
    v = np.random.default_rng(0).normal(size=(300, 50))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    a = np.clip(v @ v.T, 0, 1)
    np.fill_diagonal(a, 1)
    io.save(SimilarityMatrix(a), tmp_path / "m.parquet")
    io.save(SimilarityMatrix(a), tmp_path / "m.npy")
    assert os.path.getsize(tmp_path / "m.parquet") <= os.path.getsize(tmp_path / "m.npy")


@pytest.mark.parametrize("n,tile", [(1, 16), (17, 16), (50, 16), (64, 32)])
def test_dense_pass_matches_numpy(n, tile):
    rng = np.random.default_rng(n)
    a = rng.uniform(0, 1, (n, n))
    a[a < 0.2] = 0
    a[a > 0.9] = 1
    t = dense_pass(a, tile)
    assert (t.lo, t.hi) == (a.min(), a.max())
    assert t.total == pytest.approx(a.sum(), rel=1e-12)
    assert (t.zeros, t.ones) == (np.count_nonzero(a == 0), np.count_nonzero(a == 1))
    assert t.asym == np.abs(a - a.T).max()


def test_dense_pass_reads_non_finite_as_zero():
    a = np.eye(20)
    a[3, 4], a[5, 6] = np.nan, np.inf
    t = dense_pass(a, 16)
    assert np.isnan(t.lo) and np.isnan(t.hi)
    assert (t.lo_finite, t.hi_finite) == (0.0, 1.0)
    assert t.zeros == np.count_nonzero(np.nan_to_num(a, posinf=0) == 0)


def test_value_range_chunks_and_nan():
    a = np.linspace(-1, 2, 300_001)
    assert value_range(a.reshape(1, -1)) == (-1.0, 2.0)
    a[-1] = np.nan
    assert np.isnan(value_range(a.reshape(1, -1))[0])


@pytest.mark.parametrize("bad", [(0, 0, 0.5), (0, 1, -0.1), (1, 2, np.nan), (2, 1, 1.01)])
def test_fast_check_raises_what_validate_reports(bad):
    a = banded(3)
    i, j, v = bad
    a[i, j] = v
    with pytest.raises(InvalidMatrixError) as exc:
        check(SimilarityMatrix(a))
    assert str(exc.value).startswith(validate(a).errors[0])
