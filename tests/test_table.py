"""Score-table builder: the seed table, rescaling formulas, and label/cell errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from conftest import assert_one_line_error
from simmatrix import io
from simmatrix.builders.table import build_table, from_table, read_labelled_csv
from simmatrix.errors import BuildError
from simmatrix.validate import validate

SEED = Path(__file__).parent / "data" / "seed_scores.csv"
# The same numbers as tests/data/seed_scores.csv, typed in independently.
SEED_SCORES = np.array([[2, 1, 0, -1], [1, 2, 0.5, -1], [0, 0.5, 2, 0], [-1, -1, 0, 2]], float)


def seed_global():
    """S of the seed table rescaled globally, as a float64 formula."""
    expected = (SEED_SCORES + 1.0) / 3.0  # scores -1..2 -> [0, 1]
    np.fill_diagonal(expected, 1.0)
    return expected


def test_seed_table_global():
    S = build_table(SEED, rescale="global")
    assert S.classes == ("c1", "c2", "c3", "c4")
    assert_allclose(S.values, seed_global(), rtol=0, atol=1e-15)
    assert S["c1", "c2"] == pytest.approx(2 / 3)  # "c1 and c2 score 1.0"
    assert S["c1", "c4"] == 0.0  # "c1 and c4 score -1.0"
    report = validate(S)
    assert report.ok and not report.warnings
    assert S.metadata["score_range"] == [-1.0, 2.0]
    assert S.metadata["sources"][0]["path"] == "seed_scores.csv"


def test_seed_table_row():
    S = build_table(SEED, rescale="row")
    lo = SEED_SCORES.min(axis=1, keepdims=True)
    hi = SEED_SCORES.max(axis=1, keepdims=True)
    expected = (SEED_SCORES - lo) / (hi - lo)
    np.fill_diagonal(expected, 1.0)
    assert_allclose(S.values, expected, rtol=0, atol=1e-15)
    assert validate(S).ok


def test_columns_in_any_order(tmp_path):
    cols = ["c3", "c1", "c4", "c2"]
    rows = ["c2", "c4", "c1", "c3"]
    idx = {c: i for i, c in enumerate(["c1", "c2", "c3", "c4"])}
    lines = ["," + ",".join(cols)]
    for r in rows:
        lines.append(r + "," + ",".join(f"{SEED_SCORES[idx[r], idx[c]]:g}" for c in cols))
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    S = build_table(tmp_path / "t.csv", rescale="global")
    assert S.classes == tuple(rows)
    order = [idx[r] for r in rows]
    assert_allclose(S.values, seed_global()[np.ix_(order, order)], rtol=0, atol=1e-15)
    ref = build_table(SEED, rescale="global").select(rows)
    assert_allclose(S.values, ref.values, rtol=0, atol=0)


def test_blank_diagonal_allowed(tmp_path):
    (tmp_path / "t.csv").write_text(",a,b,c\na,,3,1\nb,2,,0\nc,1,0,\n")
    S = build_table(tmp_path / "t.csv", rescale="global")
    assert_allclose(S.values, [[1, 1, 1 / 3], [2 / 3, 1, 0], [1 / 3, 0, 1]], atol=1e-15)
    assert validate(S).warnings  # the top off-diagonal score became 1: reported


def test_label_errors_name_everything(tmp_path):
    (tmp_path / "t.csv").write_text(",a,b,b,x\na,1,0,0,0\nb,0,1,0,0\ny,0,0,1,0\nz,0,0,0,1\n")
    with pytest.raises(BuildError) as exc:
        read_labelled_csv(tmp_path / "t.csv")
    msg = str(exc.value)
    assert "duplicated in the header row: 'b'" in msg
    assert "in the header row but not the first column: 'x'" in msg
    assert "in the first column but not the header row: 'y', 'z'" in msg


def test_non_numeric_cell_named_by_position(tmp_path):
    (tmp_path / "t.csv").write_text(",c1,c2,c3\nc1,2,1,0\nc2,1,2,0\nc3,abc,0,2\n")
    with pytest.raises(BuildError, match=r"row 'c3', column 'c1': 'abc' is not a number"):
        read_labelled_csv(tmp_path / "t.csv")


def test_rescale_is_required_and_checked():
    with pytest.raises(TypeError):
        from_table(SEED_SCORES, ["a", "b", "c", "d"])  # no default rescale
    with pytest.raises(BuildError, match="'global' or 'row'"):
        from_table(SEED_SCORES, rescale="minmax")
    with pytest.raises(BuildError, match="every score in the table is 3"):
        from_table(np.full((2, 2), 3.0), rescale="global")
    with pytest.raises(BuildError, match=r"1 row\(s\) hold one score only"):
        from_table([[1, 1], [0, 1]], rescale="row")


# -- CLI ------------------------------------------------------------------------------------
def test_cli_seed(tmp_path, cli):
    out = tmp_path / "S.csv"
    res = cli("build", "table", "--table", SEED, "--rescale", "global", "-o", out)
    assert res.code == 0, res
    S = io.load(out)
    assert S.classes == ("c1", "c2", "c3", "c4")
    assert S["c1", "c2"] == pytest.approx(2 / 3) and S["c1", "c4"] == 0.0


@pytest.mark.parametrize(
    "text, expected",
    [
        (",a,b\na,1,0\nc,0,1\n", "in the first column but not the header row: 'c'"),
        (",a,a\na,1,0\nb,0,1\n", "duplicated in the header row: 'a'"),
        (",c1,c2\nc1,2,x\nc2,y,2\n", "2 cells are not a number: row 'c1', column 'c2': 'x'"),
        (",c1,c2,c3\nc1,2,1,0\nc2,1,2,0\nc3,abc,0,2\n",
         "row 'c3', column 'c1': 'abc' is not a number"),
    ],
)
def test_cli_errors_one_line_no_file(tmp_path, cli, text, expected):
    (tmp_path / "t.csv").write_text(text)
    res = cli("build", "table", "--table", tmp_path / "t.csv", "--rescale", "row",
              "-o", tmp_path / "S.npy")
    assert_one_line_error(res, 2)
    assert expected in res.err
    assert not list(tmp_path.glob("S.*"))


def test_cli_rescale_required(tmp_path, cli):
    res = cli("build", "table", "--table", SEED, "-o", tmp_path / "S.npy")
    assert_one_line_error(res, 2)
    assert "--rescale" in res.err


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: arrays(
    np.float64, (n, n), elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False))),
    st.sampled_from(["global", "row"]))
def test_any_scores_give_a_valid_matrix(x, how):
    lo = x.min(axis=None if how == "global" else 1)
    hi = x.max(axis=None if how == "global" else 1)
    assume(np.all(hi - lo > 1e-9 * np.maximum(1.0, np.abs(hi))))
    S = from_table(x, rescale=how)
    assert validate(S).ok
    # order within a row is kept (ties may merge, never swap)
    for i in range(len(x)):
        off = np.arange(len(x)) != i
        a, b = x[i, off], S.values[i, off]
        assert np.all(np.diff(b[np.argsort(a, kind="stable")]) >= -1e-12)


def test_tsv_table(tmp_path):
    text = SEED.read_text().replace(",", "\t")
    (tmp_path / "t.tsv").write_text(text)
    assert_allclose(build_table(tmp_path / "t.tsv", rescale="global").values, seed_global(),
                    rtol=0, atol=1e-15)
    assert build_table(tmp_path / "t.tsv", rescale="global").equals(
        build_table(SEED, rescale="global"))
