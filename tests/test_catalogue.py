"""The shipped catalogue: every entry loads by name, validates, and equals its rebuild."""

import json
from pathlib import Path

import numpy as np
import pytest

import simmatrix
from conftest import assert_one_line_error
from simmatrix import catalogue
from simmatrix.validate import validate

ROOT = Path(catalogue.folder())
ENTRIES = catalogue.entries()
NAMES = [e["name"] for e in ENTRIES]


def test_every_recipe_is_shipped():
    assert sorted(NAMES) == sorted(catalogue.recipes())


@pytest.mark.parametrize("name", NAMES)
def test_entry_loads_by_name_and_validates(name):
    S = simmatrix.load(name)
    entry = next(e for e in ENTRIES if e["name"] == name)
    assert validate(S).ok
    assert len(S) == entry["n_classes"]
    assert S.fingerprint() == entry["values_sha256"]


@pytest.mark.parametrize("name", NAMES)
def test_entry_equals_its_rebuild(name, tmp_path):
    from simmatrix.cli import app
    from simmatrix.cli.catalogue import run_recipe

    shipped = simmatrix.load(name)
    out = tmp_path / f"{name}.parquet"
    run_recipe(catalogue.recipes()[name], out, ROOT, app)
    rebuilt = simmatrix.load(out)
    assert rebuilt.classes == shipped.classes
    np.testing.assert_allclose(np.asarray(rebuilt), np.asarray(shipped), rtol=0, atol=1e-6)


def test_catalogue_list_and_inspect(cli):
    res = cli("catalogue", "list")
    assert res.code == 0
    for name in NAMES:
        assert name in res.out
    listed = json.loads(cli("catalogue", "list", "--json").out)
    assert [e["name"] for e in listed] == NAMES
    res = cli("inspect", NAMES[0], "--json")
    assert res.code == 0 and json.loads(res.out)["n_classes"] == ENTRIES[0]["n_classes"]


def test_unknown_name_suggests(cli):
    res = cli("inspect", NAMES[0][:-1] + "x")
    assert_one_line_error(res, 2)
    assert "did you mean" in res.err


def test_catalogue_is_small():
    total = sum(p.stat().st_size for p in ROOT.rglob("*") if p.is_file())
    assert total < 8 * 2**20
