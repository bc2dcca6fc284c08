import json

import pytest

from simmatrix import MatrixFileError
from simmatrix.sources.classlist import parse_names, read_classes


def test_forms(tmp_path):
    (tmp_path / "a.txt").write_text("# header\nrose\n\npickup truck\n")
    assert read_classes(tmp_path / "a.txt") == ("rose", "pickup truck")
    (tmp_path / "b.csv").write_text("index,name\n0,rose\n1,tulip\n")
    assert read_classes(tmp_path / "b.csv") == ("rose", "tulip")
    (tmp_path / "c.json").write_text(json.dumps(["x", "y"]))
    assert read_classes(tmp_path / "c.json") == ("x", "y")
    (tmp_path / "d.json").write_text(json.dumps({"1": ["n02", "goldfish"],
                                                 "0": ["n01", "tench"]}))
    assert read_classes(tmp_path / "d.json") == ("tench", "goldfish")
    assert read_classes(tmp_path / "d.json", key="id") == ("n01", "n02")
    (tmp_path / "e.json").write_text(json.dumps({"fine_labels": ["apple", "bee"],
                                                 "coarse_labels": ["fruit", "insects"]}))
    assert read_classes(tmp_path / "e.json") == ("apple", "bee")
    assert parse_names(" a, b ,c") == ("a", "b", "c")


def test_errors(tmp_path):
    with pytest.raises(MatrixFileError, match="does not exist"):
        read_classes(tmp_path / "none.txt")
    (tmp_path / "e.txt").write_text("\n")
    with pytest.raises(MatrixFileError, match="is empty"):
        read_classes(tmp_path / "e.txt")
    (tmp_path / "d.txt").write_text("a\nb\na\n")
    with pytest.raises(ValueError, match="duplicated: 'a'"):
        read_classes(tmp_path / "d.txt")
