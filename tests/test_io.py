import json
import pickle

import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simmatrix import InvalidMatrixError, MatrixFileError, SimilarityMatrix, io
from simmatrix.builders.order import order_matrix

FORMATS = [".npy", ".parquet", ".csv"]


def sample(dtype="float64"):
    return order_matrix(names=["rose", "tulip", "pickup truck", "a,b"], reduction=0.3,
                        dtype=dtype)


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_lossless(tmp_path, ext, dtype):
    S = sample(dtype)
    path = tmp_path / f"m{ext}"
    io.save(S, path)
    T = io.load(path)
    assert T.classes == S.classes
    np.testing.assert_array_equal(np.asarray(T, dtype=dtype), S.values)
    if ext != ".csv":  # csv keeps values and names only
        assert T.dtype == S.dtype
        assert T.metadata["builder"] == "order"


def test_npy_is_plain_and_has_sidecar(tmp_path):
    S = sample()
    io.save(S, tmp_path / "m.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "m.npy"), S.values)
    side = json.loads((tmp_path / "m.npy.json").read_text())
    assert side["classes"] == list(S.classes)


def test_bare_npy_gets_numbered_classes(tmp_path):
    np.save(tmp_path / "bare.npy", np.eye(3))
    assert io.load(tmp_path / "bare.npy").classes == ("0", "1", "2")


def test_parquet_reads_as_labelled_table(tmp_path):
    S = sample()
    io.save(S, tmp_path / "m.parquet")
    df = pd.read_parquet(tmp_path / "m.parquet")
    assert list(df.index) == list(S.classes) == list(df.columns)
    np.testing.assert_array_equal(df.to_numpy(), S.values)
    pdf = pl.read_parquet(tmp_path / "m.parquet")
    assert pdf.columns == ["class", *S.classes]
    assert pdf["class"].to_list() == list(S.classes)


def test_class_named_class(tmp_path):
    S = SimilarityMatrix(np.eye(2), ["class", "other"])
    io.save(S, tmp_path / "m.parquet")
    assert io.load(tmp_path / "m.parquet").classes == ("class", "other")
    assert list(pd.read_parquet(tmp_path / "m.parquet").index) == ["class", "other"]


def test_sparse_parquet_is_long(tmp_path):
    dense = np.array([[1.0, 0.5, 0], [0, 1.0, 0.2], [0.1, 0, 1.0]])
    S = SimilarityMatrix(sp.csr_array(dense), ["x", "y", "z"])
    io.save(S, tmp_path / "s.parquet")
    df = pd.read_parquet(tmp_path / "s.parquet")
    assert list(df.columns) == ["true_class", "predicted_class", "similarity"]
    assert len(df) == 6
    T = io.load(tmp_path / "s.parquet")
    assert T.is_sparse and T.classes == ("x", "y", "z")
    np.testing.assert_array_equal(T.to_dense(), dense)


def test_existing_file_not_overwritten(tmp_path):
    path = tmp_path / "m.parquet"
    path.write_bytes(b"keep")
    with pytest.raises(MatrixFileError, match="already exists"):
        io.save(sample(), path)
    assert path.read_bytes() == b"keep"
    io.save(sample(), path, overwrite=True)
    assert io.load(path).classes == sample().classes


def test_invalid_matrix_is_not_written(tmp_path):
    bad = SimilarityMatrix([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(InvalidMatrixError, match=r"S\[0, 1\] = 2"):
        io.save(bad, tmp_path / "m.npy")
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(io, "_write_parquet", boom)
    with pytest.raises(KeyboardInterrupt):
        io.save(sample(), tmp_path / "m.parquet")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "setup, match",
    [
        (lambda p: p.with_suffix(".npy").write_bytes(b""), "is empty"),
        (lambda p: p.with_suffix(".npy").write_bytes(pickle.dumps(np.eye(2))), "not a .npy"),
        (lambda p: np.save(p.with_suffix(".npy"), np.array([{"a": 1}], dtype=object),
                           allow_pickle=True), "pickled"),
        (lambda p: p.with_suffix(".npy").write_bytes(b"\x93NUMPY\x01\x00v\x00{'descr': '<f8'"),
         "npy"),
    ],
)
def test_bad_npy(tmp_path, setup, match):
    base = tmp_path / "bad"
    setup(base)
    with pytest.raises(MatrixFileError, match=match):
        io.load(base.with_suffix(".npy"))


def test_truncated_npy(tmp_path):
    np.save(tmp_path / "t.npy", np.eye(50))
    data = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(MatrixFileError):
        io.load(tmp_path / "t.npy")


def test_truncated_parquet(tmp_path):
    io.save(sample(), tmp_path / "m.parquet")
    data = (tmp_path / "m.parquet").read_bytes()
    (tmp_path / "t.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(MatrixFileError, match="not a readable parquet"):
        io.load(tmp_path / "t.parquet")


def test_wrong_length_sidecar(tmp_path):
    io.save(sample(), tmp_path / "m.npy")
    side = tmp_path / "m.npy.json"
    head = json.loads(side.read_text())
    head["classes"] = head["classes"][:3]
    side.write_text(json.dumps(head))
    with pytest.raises(InvalidMatrixError, match="lists 3 classes but .* has 4 rows"):
        io.load(tmp_path / "m.npy")


def test_unknown_extension_and_missing_folder(tmp_path):
    with pytest.raises(MatrixFileError, match="'.txt'"):
        io.save(sample(), tmp_path / "m.txt")
    with pytest.raises(MatrixFileError, match="does not exist"):
        io.save(sample(), tmp_path / "nope" / "m.npy")
    with pytest.raises(MatrixFileError, match="does not exist"):
        io.load(tmp_path / "absent.parquet")


names = st.lists(st.text(min_size=1, max_size=8).filter(lambda s: s.strip() and "\x00" not in s),
                 min_size=1, max_size=6, unique=True)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=names, seed=st.integers(0, 2**32 - 1), ext=st.sampled_from(FORMATS),
       dtype=st.sampled_from(["float32", "float64"]))
def test_round_trip_property(tmp_path_factory, names, seed, ext, dtype):
    rng = np.random.default_rng(seed)
    vals = rng.uniform(0, 1, (len(names), len(names))).astype(dtype)
    np.fill_diagonal(vals, 1)
    S = SimilarityMatrix(vals, names)
    path = tmp_path_factory.mktemp("rt") / f"m{ext}"
    io.save(S, path)
    T = io.load(path)
    assert T.classes == S.classes
    np.testing.assert_array_equal(np.asarray(T, dtype=dtype), vals)


def test_csv_non_number_named_by_position(tmp_path):
    (tmp_path / "m.csv").write_text("class,a,b\na,1,x\nb,0,1\n")
    with pytest.raises(MatrixFileError, match="row 'a', column 'b': 'x' is not a number"):
        io.load(tmp_path / "m.csv")


def test_csv_labels_must_match_header(tmp_path):
    (tmp_path / "m.csv").write_text("class,a,b\nb,1,0\na,0,1\n")
    with pytest.raises(InvalidMatrixError, match="labels must equal"):
        io.load(tmp_path / "m.csv")


def test_saved_files_get_ordinary_permissions(tmp_path):
    import os

    io.save(sample(), tmp_path / "m.npy")
    umask = os.umask(0)
    os.umask(umask)
    for name in ("m.npy", "m.npy.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask
