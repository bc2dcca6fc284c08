"""``simmatrix data wordnet``: an offline install of WordNet 3.0 that nltk's own reader opens."""

from __future__ import annotations

import gzip
import re
import warnings
from pathlib import Path

import pytest

from simmatrix.cli import main
from simmatrix.sources.wordnet.data import DEBIAN_WORDNET, LEXNAMES, WORDNET_FILES, lexnames_text

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
