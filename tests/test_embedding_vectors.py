"""Vector files as users have them, written by gensim itself, read back by simmatrix.

Each format is written in ``tmp_path`` from 300 real GloVe words (word2vec binary and
text, GloVe text without a header, gzip, a gensim KeyedVectors save) or trained on the spot
(a tiny fastText model saved in Facebook's ``.bin`` format); the round trip must give back
gensim's own vectors.
"""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from numpy.testing import assert_allclose

from simmatrix.builders.embedding import embedding_matrix
from simmatrix.errors import MatrixFileError
from simmatrix.sources.vectors import detect_format, load_vectors

gensim_kv = pytest.importorskip("gensim.models.keyedvectors")

CLASSES = ["apple", "pear", "truck", "whale", "aquarium_fish"]


@pytest.fixture(scope="module")
def small_kv():
    """A gensim KeyedVectors of 300 real GloVe words, the classes' words among them."""
    glove = load_vectors("glove-6b-50d")
    words = list(dict.fromkeys(list(glove.keys[:295]) + ["apple", "pear", "truck", "whale",
                                                          "aquarium", "fish"]))
    kv = gensim_kv.KeyedVectors(vector_size=glove.dim)
    idx = [glove.index(w) for w in words]
    kv.add_vectors(words, np.asarray(glove.vectors[idx]))
    return kv


def write(kv, tmp_path, fmt):
    if fmt == "word2vec-bin":
        path = tmp_path / "vectors.bin"
        kv.save_word2vec_format(str(path), binary=True)
    elif fmt == "word2vec":
        path = tmp_path / "vectors.txt"
        kv.save_word2vec_format(str(path), binary=False)
    elif fmt == "glove":
        path = tmp_path / "glove.txt"
        kv.save_word2vec_format(str(path), binary=False, write_header=False)
    else:
        path = tmp_path / "vectors.kv"
        kv.save(str(path))
    return path


@pytest.mark.parametrize("fmt", ["word2vec-bin", "word2vec", "glove", "gensim"])
def test_round_trip_of_each_format(small_kv, tmp_path, fmt):
    path = write(small_kv, tmp_path, fmt)
    if fmt == "gensim":  # a pickle: loaded only when asked for by name
        with pytest.raises(MatrixFileError, match="format='gensim'"):
            detect_format(path)
        wv = load_vectors(path, format="gensim")
    else:
        assert detect_format(path) == fmt
        wv = load_vectors(path)
    assert list(wv.keys) == list(small_kv.index_to_key)
    assert_allclose(np.asarray(wv.vectors), small_kv.vectors, rtol=0, atol=1e-6)
    assert wv.source["format"] == fmt and len(wv.source["sha256"]) == 64
    S = embedding_matrix(CLASSES, wv)
    ref = embedding_matrix(CLASSES, "glove-6b-50d")
    assert_allclose(S.values, ref.values, rtol=0, atol=1e-5)
    assert S.metadata["params"]["format"] == fmt


def test_kv_is_memory_mapped(small_kv, tmp_path):
    path = tmp_path / "big.kv"
    small_kv.save(str(path), sep_limit=0)  # vectors in their own .npy, as for large files
    wv = load_vectors(path, format="gensim")
    assert isinstance(wv.vectors, np.memmap) or isinstance(wv.vectors.base, np.memmap)


@pytest.mark.parametrize("fmt", ["word2vec", "glove"])
def test_gzip_text_files(small_kv, tmp_path, fmt):
    plain = write(small_kv, tmp_path, fmt)
    gz = plain.with_name(plain.name + ".gz")
    with open(plain, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert detect_format(gz) == fmt
    assert_allclose(np.asarray(load_vectors(gz).vectors), small_kv.vectors, atol=1e-6)


@pytest.mark.parametrize("fmt", ["word2vec-bin", "word2vec", "glove", "gensim"])
def test_limit_reads_the_first_words(small_kv, tmp_path, fmt):
    path = write(small_kv, tmp_path, fmt)
    wv = load_vectors(path, limit=50, format="gensim" if fmt == "gensim" else None)
    assert list(wv.keys) == small_kv.index_to_key[:50]
    assert wv.source["limit"] == 50
    S = embedding_matrix(["the", "of"], wv)
    assert S.metadata["params"]["limit"] == 50
    assert_allclose(np.asarray(wv.vectors), small_kv.vectors[:50], atol=1e-6)


def test_format_override(small_kv, tmp_path):
    path = write(small_kv, tmp_path, "glove")
    wv = load_vectors(path, format="glove")
    assert len(wv) == len(small_kv)
    with pytest.raises(MatrixFileError, match="as word2vec-bin"):
        load_vectors(path, format="word2vec-bin")


@pytest.fixture(scope="module")
def fasttext_bin(tmp_path_factory):
    """A tiny fastText model trained by gensim and saved in Facebook's .bin format."""
    from gensim.models.fasttext import FastText, save_facebook_model

    corpus = [["the", "apple", "and", "the", "pear", "are", "fruit"],
              ["a", "truck", "drives", "on", "the", "road"],
              ["the", "whale", "swims", "in", "the", "sea"],
              ["fish", "live", "in", "an", "aquarium"]] * 20
    model = FastText(vector_size=16, min_count=1, epochs=3, workers=1, seed=3,
                     bucket=2000, min_n=2, max_n=4)
    model.build_vocab(corpus)
    model.train(corpus, total_examples=len(corpus), epochs=3)
    path = tmp_path_factory.mktemp("ft") / "model.bin"
    save_facebook_model(model, str(path))
    return path, model


def test_fasttext_subwords_give_unknown_words_a_vector(fasttext_bin):
    path, model = fasttext_bin
    assert detect_format(path) == "fasttext"
    wv = load_vectors(path)
    assert set(wv.keys) == set(model.wv.index_to_key)
    assert wv.subword is not None
    assert_allclose(wv.subword("apples"), model.wv["apples"], atol=1e-6)
    S = embedding_matrix(["apple", "apples", "pear_tree", "truck"], wv)
    forms = S.metadata["forms"]
    assert forms["apple"] == {"how": "word", "form": "apple"}
    assert forms["apples"] == {"how": "subword", "tokens": ["apples"]}
    assert forms["pear_tree"] == {"how": "subword", "tokens": ["pear", "tree"]}
    a, b = model.wv["apple"].astype(np.float64), model.wv["apples"].astype(np.float64)
    cos = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    assert_allclose(S["apple", "apples"], max(cos, 0.0), atol=1e-6)


def test_fasttext_limit_keeps_subwords(fasttext_bin):
    path, model = fasttext_bin
    wv = load_vectors(path, limit=3)
    assert len(wv) == 3
    assert "whale" not in wv.keys and "aquarium" in wv.keys
    S = embedding_matrix(["whale", "aquarium"], wv)
    assert S.metadata["forms"] == {"whale": {"how": "subword", "tokens": ["whale"]},
                                   "aquarium": {"how": "word", "form": "aquarium"}}
    a, b = model.wv["whale"].astype(np.float64), model.wv["aquarium"].astype(np.float64)
    cos = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    assert_allclose(S["whale", "aquarium"], max(cos, 0.0), atol=1e-6)


def test_unreadable_files(tmp_path):
    junk = tmp_path / "junk.vec"
    junk.write_bytes(b"\x00\x01\x02 not vectors\n\xff\xfe")
    with pytest.raises(MatrixFileError, match="cannot tell the format"):
        load_vectors(junk)
    with pytest.raises(MatrixFileError, match="no such file"):
        load_vectors(tmp_path / "missing.bin")
    with pytest.raises(MatrixFileError, match="is a folder"):
        load_vectors(tmp_path)
    truncated = tmp_path / "trunc.bin"
    truncated.write_bytes(b"100 50\nword " + b"\x01" * 20)
    with pytest.raises(MatrixFileError, match="cannot read word vectors"):
        load_vectors(truncated)


def test_a_whole_saved_gensim_model_gives_its_vectors(tmp_path):
    from gensim.models import Word2Vec

    corpus = [["the", "apple", "and", "the", "pear"], ["a", "truck", "on", "the", "road"]] * 10
    model = Word2Vec(corpus, vector_size=8, min_count=1, workers=1, seed=1)
    path = tmp_path / "w2v.model"
    model.save(str(path))
    wv = load_vectors(path, format="gensim")
    assert list(wv.keys) == model.wv.index_to_key
    assert_allclose(np.asarray(wv.vectors), model.wv.vectors)
