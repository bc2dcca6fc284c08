"""SimilarityMatrix <-> pandas / polars tables, checked with pandas and polars themselves.

The reference for "the labelled table the parquet file holds" is what pandas.read_parquet
and polars.read_parquet make of a saved file, and plain numpy indexing of the values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse as sp

import simmatrix
from simmatrix import SimilarityMatrix
from simmatrix.errors import InvalidMatrixError
from simmatrix.transforms import top_k

CLASSES = ["rose", "tulip", "oak", "pickup truck", "0"]


def _asymmetric(dtype=np.float64) -> SimilarityMatrix:
    rng = np.random.default_rng(3)
    v = rng.uniform(0, 0.9, size=(5, 5))
    np.fill_diagonal(v, 1.0)
    return SimilarityMatrix(v.astype(dtype), CLASSES, {"builder": "test", "params": {"k": 1}})


def _sparse() -> SimilarityMatrix:
    S = _asymmetric()
    return SimilarityMatrix(sp.csr_array(top_k(S, 2).to_dense()), CLASSES)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pandas_square_labels_orientation_and_dtype(dtype):
    S = _asymmetric(dtype)
    df = S.to_pandas()
    assert list(df.index) == CLASSES and list(df.columns) == CLASSES
    assert (df.index.name, df.columns.name) == ("true_class", "predicted_class")
    assert all(df.dtypes == np.dtype(dtype))
    v = np.asarray(S.values)
    for i, a in enumerate(CLASSES):
        for j, b in enumerate(CLASSES):
            assert df.loc[a, b] == v[i, j]  # row = true class, column = predicted
    df.iloc[0, 1] = 0.123  # a copy: the matrix stays read-only and unchanged
    assert S.values[0, 1] != 0.123
    back = SimilarityMatrix.from_pandas(df)
    assert back.dtype == np.dtype(dtype) and back.classes == tuple(CLASSES)
    assert back["rose", "tulip"] == pytest.approx(0.123)
    assert back.metadata["builder"] == "test"  # provenance travels in df.attrs


def test_pandas_round_trip_exact_and_columns_matched_by_name():
    S = _asymmetric()
    df = S.to_pandas()
    assert SimilarityMatrix.from_pandas(df).equals(S)
    shuffled = df[list(reversed(CLASSES))]  # columns in another order: matched by name
    assert SimilarityMatrix.from_pandas(shuffled).equals(S)
    reordered = SimilarityMatrix.from_pandas(df, classes=["oak", "rose"])
    np.testing.assert_array_equal(reordered.to_dense(), S.to_dense()[np.ix_([2, 0], [2, 0])])


def test_pandas_equals_what_pandas_reads_from_the_parquet_file(tmp_path):
    S = _asymmetric()
    simmatrix.save(S, tmp_path / "S.parquet")
    read = pd.read_parquet(tmp_path / "S.parquet")
    pd.testing.assert_frame_equal(S.to_pandas(), read, check_names=False,
                                  check_index_type=False, check_column_type=False)
    assert SimilarityMatrix.from_pandas(read).equals(S)


def test_pandas_sparse_is_long_form_like_the_parquet_file(tmp_path):
    S = _sparse()
    df = S.to_pandas()
    assert list(df.columns) == ["true_class", "predicted_class", "similarity"]
    coo = S.values.tocoo()
    assert len(df) == coo.nnz
    assert list(df["true_class"].cat.categories) == CLASSES
    got = {(t, p): v for t, p, v in df.itertuples(index=False)}
    assert got == {(CLASSES[i], CLASSES[j]): v for i, j, v in zip(coo.row, coo.col, coo.data)}
    simmatrix.save(S, tmp_path / "S.parquet")
    read = pd.read_parquet(tmp_path / "S.parquet")
    key = ["true_class", "predicted_class"]
    mine = df.astype({k: str for k in key}).sort_values(key).reset_index(drop=True)
    theirs = read.astype({k: str for k in key}).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    back = SimilarityMatrix.from_pandas(df)
    assert back.is_sparse and back.equals(S) and back.classes == S.classes
    assert SimilarityMatrix.from_pandas(read).equals(S)
    square = S.to_pandas(layout="square")  # dense on request; absent entries are 0
    np.testing.assert_array_equal(square.to_numpy(), S.to_dense())


def test_pandas_long_without_categories_keeps_first_seen_order():
    df = pd.DataFrame({"true_class": ["b", "b", "a"], "predicted_class": ["b", "a", "a"],
                       "similarity": [1.0, 0.5, 1.0]})
    S = SimilarityMatrix.from_pandas(df)
    assert S.classes == ("b", "a")
    np.testing.assert_array_equal(S.to_dense(), [[1.0, 0.5], [0.0, 1.0]])


def test_pandas_tables_that_are_not_matrices_are_refused():
    bad = pd.DataFrame([[1.0, 0.2], [0.3, 1.0]], index=["a", "b"], columns=["a", "c"])
    with pytest.raises(InvalidMatrixError, match="only rows: 'b'; only columns: 'c'"):
        SimilarityMatrix.from_pandas(bad)
    dup = pd.DataFrame({"true_class": ["a", "a"], "predicted_class": ["a", "a"],
                        "similarity": [1.0, 1.0]})
    with pytest.raises(InvalidMatrixError, match="more than once"):
        SimilarityMatrix.from_pandas(dup)
    stray = pd.DataFrame({"true_class": ["a"], "predicted_class": ["z"], "similarity": [1.0]})
    with pytest.raises(InvalidMatrixError, match="'z'"):
        SimilarityMatrix.from_pandas(stray)
    with pytest.raises(ValueError, match="layout"):
        _asymmetric().to_pandas(layout="wide")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_polars_square_and_round_trip(dtype, tmp_path):
    S = _asymmetric(dtype)
    df = S.to_polars()
    assert df.columns == ["true_class", *CLASSES]
    assert df["true_class"].to_list() == CLASSES
    assert all(df[c].dtype == (pl.Float32 if dtype == np.float32 else pl.Float64)
               for c in CLASSES)
    v = np.asarray(S.values)
    for i, a in enumerate(CLASSES):
        row = df.filter(pl.col("true_class") == a)
        for j, b in enumerate(CLASSES):
            assert row[b].item() == v[i, j]
    assert SimilarityMatrix.from_polars(df).equals(S)
    assert SimilarityMatrix.from_polars(df).dtype == np.dtype(dtype)
    simmatrix.save(S, tmp_path / "S.parquet")
    read = pl.read_parquet(tmp_path / "S.parquet")  # first column 'class', as written
    assert read.columns[0] == "class"
    assert SimilarityMatrix.from_polars(read).equals(S)


def test_polars_long_form_and_refusals(tmp_path):
    S = _sparse()
    df = S.to_polars()
    assert df.columns == ["true_class", "predicted_class", "similarity"]
    assert list(df["true_class"].dtype.categories) == CLASSES
    coo = S.values.tocoo()
    got = {(t, p): v for t, p, v in df.iter_rows()}
    assert got == {(CLASSES[i], CLASSES[j]): v for i, j, v in zip(coo.row, coo.col, coo.data)}
    back = SimilarityMatrix.from_polars(df)
    assert back.is_sparse and back.equals(S) and back.classes == S.classes
    simmatrix.save(S, tmp_path / "S.parquet")
    assert SimilarityMatrix.from_polars(pl.read_parquet(tmp_path / "S.parquet")).equals(S)
    with pytest.raises(InvalidMatrixError, match="first column 'true_class'"):
        SimilarityMatrix.from_polars(pl.DataFrame({"a": [1.0]}))
    named = SimilarityMatrix(np.eye(2), ["true_class", "x"])
    with pytest.raises(InvalidMatrixError, match="layout='long'"):
        named.to_polars()
    assert SimilarityMatrix.from_polars(named.to_polars(layout="long")).equals(named)


def test_import_simmatrix_does_not_import_pandas_or_polars():
    import subprocess
    import sys

    code = ("import sys, simmatrix; S = simmatrix.SimilarityMatrix([[1.0]]); "
            "print('pandas' in sys.modules, 'polars' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
