"""``simmatrix data wordnet``: an offline install of WordNet 3.0 that nltk's own reader opens."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from simmatrix.cli import main
from simmatrix.sources.wordnet.data import (
    DEBIAN_WORDNET,
    LEXNAMES,
    WORDNET_FILES,
    is_wordnet_dir,
    lexnames_text,
)

MAN_PAGE = Path("/usr/share/man/man5/lexnames.5WN.gz")


def run(capsys, *argv):
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """One copy from Debian's wordnet-base + wordnet-sense-index into a fresh data folder."""
    assert (DEBIAN_WORDNET / "data.noun").is_file(), (
        "CI installs Debian's wordnet-base and wordnet-sense-index")
    dest = tmp_path_factory.mktemp("nltk_data")
    with pytest.raises(SystemExit) as exc:
        main(["data", "wordnet", "--dir", str(dest)])
    assert exc.value.code == 0
    return dest


def test_install_copies_every_file_nltk_opens(installed):
    folder = installed / "corpora" / "wordnet"
    assert sorted(p.name for p in folder.iterdir()) == sorted(WORDNET_FILES)
    assert not any(p.is_symlink() for p in folder.iterdir())
    for name in WORDNET_FILES:
        if name != "lexnames":
            assert (folder / name).read_bytes() == (DEBIAN_WORDNET / name).read_bytes()


def test_nltk_reads_the_install(installed, monkeypatch):
    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    monkeypatch.setattr(nltk.data, "path", [str(installed), *nltk.data.path])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wn = WordNetCorpusReader(str(installed / "corpora" / "wordnet"), None)
    assert wn.get_version() == "3.0"
    assert wn.synset("dog.n.01").lexname() == "noun.animal"
    assert wn.synset("run.v.01").lexname() == "verb.motion"
    assert wn.synsets("mouse", "n")[0].name() == "mouse.n.01"


def test_lexnames_match_the_manual_page():
    lines = lexnames_text().splitlines()
    assert len(lines) == 45 == len(LEXNAMES)
    assert lines[0] == "00\tadj.all\t3" and lines[44] == "44\tadj.ppl\t3"
    if MAN_PAGE.is_file():  # the table of lexnames(5WN), shipped by wordnet-base
        text = gzip.decompress(MAN_PAGE.read_bytes()).decode()
        table = re.findall(r"^(\d\d)\t(\S+)\s", text, flags=re.M)
        assert [(f"{i:02d}", n) for i, n in enumerate(LEXNAMES)] == table


def test_second_run_is_a_no_op(installed, capsys):
    folder = installed / "corpora" / "wordnet"
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    code, out, _ = run(capsys, "data", "wordnet", "--dir", str(installed), "--json")
    assert code == 0 and '"action": "present"' in out
    assert before == {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_bad_source_is_one_line_and_installs_nothing(tmp_path, capsys):
    src = tmp_path / "half"
    src.mkdir()
    (src / "data.noun").write_text("not really\n")
    dest = tmp_path / "dest"
    code, _, err = run(capsys, "data", "wordnet", "--from", str(src), "--dir", str(dest))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "13 files missing" in err and "'index.noun'" in err
    assert not (dest / "corpora" / "wordnet").exists()


# --- a machine that has never had WordNet: the whole user path, in fresh processes ------------

def _fresh_env(tmp_path, **extra):
    """The environment of a new user: an empty HOME, no NLTK_DATA, no cache of ours."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("NLTK_DATA", "XDG_CACHE_HOME", "MPLCONFIGDIR")}
    env.update(HOME=str(home), **{k: str(v) for k, v in extra.items()})
    return env


def _simmatrix(env, *argv, code=None):
    out = subprocess.run([sys.executable, "-m", "simmatrix", *map(str, argv)], env=env,
                         capture_output=True, text=True, timeout=600)
    if code is not None:
        assert out.returncode == code, out
    return out


def _nltk_wup(data_dir, pairs):
    """nltk's own Wu-Palmer on the install in ``data_dir``, synset names as nltk gives them."""
    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    saved = list(nltk.data.path)
    nltk.data.path[:] = [str(data_dir)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wn = WordNetCorpusReader(str(data_dir / "corpora" / "wordnet"), None)
        return [wn.synset(a).wup_similarity(wn.synset(b)) for a, b in pairs]
    finally:
        nltk.data.path[:] = saved


@pytest.mark.slow
def test_fresh_machine_install_then_build(tmp_path):
    """NLTK_DATA names a folder that does not exist yet; HOME is empty; nothing is cached."""
    data = tmp_path / "new" / "nested" / "nltk_data"
    env = _fresh_env(tmp_path, NLTK_DATA=data)
    out = _simmatrix(env, "data", "wordnet", code=0)
    assert str(data / "corpora" / "wordnet") in out.stdout
    assert sorted(p.name for p in (data / "corpora" / "wordnet").iterdir()) == sorted(WORDNET_FILES)
    assert [p.name for p in data.iterdir()] == ["corpora"]  # no staging folder left behind

    names = ["dog", "cat", "car", "oak"]
    _simmatrix(env, "build", "wordnet", "--names", ",".join(names), "--measure", "wup",
               "-o", tmp_path / "S.npy", code=0)
    S = np.load(tmp_path / "S.npy", allow_pickle=False)
    meta = json.loads((tmp_path / "S.npy.json").read_text())
    synsets = [meta["metadata"]["synsets"][n]["synset"] for n in names]
    pairs = [(a, b) for a in synsets for b in synsets if a != b]
    expected = _nltk_wup(data, pairs)
    got = [S[i, j] for i in range(4) for j in range(4) if i != j]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert (tmp_path / "home" / ".cache" / "simmatrix").is_dir()  # the graph cache, in HOME


def test_install_into_a_dir_nltk_does_not_search(tmp_path):
    env = _fresh_env(tmp_path)
    dest = tmp_path / "elsewhere"
    out = _simmatrix(env, "data", "wordnet", "--dir", dest, code=0)
    assert f"set NLTK_DATA={dest}" in out.stderr
    assert is_wordnet_dir(dest / "corpora" / "wordnet")
    assert not (tmp_path / "home" / "nltk_data").exists()


def _damaged_copy(tmp_path) -> Path:
    """Every file WordNet needs, a 3.0 header, but data.noun cut after its licence header."""
    bad = tmp_path / "damaged"
    bad.mkdir()
    for name in WORDNET_FILES:
        if (DEBIAN_WORDNET / name).is_file():
            shutil.copyfile(DEBIAN_WORDNET / name, bad / name)
    head = (DEBIAN_WORDNET / "data.noun").read_bytes()[:3000]
    (bad / "data.noun").write_bytes(head[: head.rindex(b"\n") + 1])
    return bad


def test_failed_check_keeps_the_old_install(installed, tmp_path, capsys):
    folder = installed / "corpora" / "wordnet"
    before = {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir()}
    code, _, err = run(capsys, "data", "wordnet", "--dir", str(installed),
                       "--from", str(_damaged_copy(tmp_path)), "--force")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "nltk cannot read" in err
    assert before == {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir()}
    assert sorted(p.name for p in installed.iterdir()) == ["corpora"]
    assert sorted(p.name for p in (installed / "corpora").iterdir()) == ["wordnet"]


def test_failed_install_creates_nothing(tmp_path, capsys):
    dest = tmp_path / "a" / "b" / "nltk_data"
    code, _, err = run(capsys, "data", "wordnet", "--dir", str(dest),
                       "--from", str(_damaged_copy(tmp_path)))
    assert code == 2 and "nltk cannot read" in err
    assert not (tmp_path / "a").exists()


def test_without_nltk_one_line_names_the_extra(tmp_path):
    dest = tmp_path / "nltk_data"
    code = ("import sys; sys.modules['nltk'] = None\n"  # nltk cannot be imported
            "from simmatrix.cli import main; main()")
    out = subprocess.run([sys.executable, "-c", code, "data", "wordnet", "--dir", str(dest)],
                         env=_fresh_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert 'pip install "simmatrix[wordnet]"' in out.stderr
    assert not dest.exists()
