"""Hostile but fair input, faults and races (issue 12): one case per class of failure.

Each case asserts the exit code, exactly one stderr line and no traceback, that no output
(nor a hidden temporary) is left, and that an existing matrix (array and sidecar) is intact.
The fault tests kill a real writer process (SIGINT, SIGTERM, a file-size limit); the race
tests start concurrent writer processes, with and without --force.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import assert_one_line_error
from simmatrix import SimilarityMatrix, io


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _old_pair(tmp_path: Path) -> tuple[Path, bytes, bytes]:
    """An existing 3-class .npy pair that no failed command may touch."""
    out = tmp_path / "old.npy"
    io.save(SimilarityMatrix(np.eye(3), ["a", "b", "c"]), out)
    return out, out.read_bytes(), io.sidecar_path(out).read_bytes()


def _intact(out: Path, array: bytes, side: bytes) -> None:
    assert out.read_bytes() == array
    assert io.sidecar_path(out).read_bytes() == side
    assert io.load(out).classes == ("a", "b", "c")


# -- hostile files given to a reading command: exit 2, one line, nothing written -------------
def _npy_with_header(path: Path, header: str) -> None:
    h = header.encode("latin1")
    pad = 64 - (10 + len(h) + 1) % 64
    path.write_bytes(b"\x93NUMPY\x01\x00" + np.uint16(len(h) + pad + 1).tobytes()
                     + h + b" " * pad + b"\n")


def _sidecar(tmp_path: Path, header) -> Path:
    path = tmp_path / "m.npy"
    np.save(path, np.eye(2))
    io.sidecar_path(path).write_text(json.dumps(header) if not isinstance(header, str)
                                     else header)
    return path


def _parquet(tmp_path: Path, columns: dict, meta: dict | None = None) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "m.parquet"
    table = pa.table(columns)
    if meta is not None:
        table = table.replace_schema_metadata({b"simmatrix": json.dumps(meta).encode()})
    pq.write_table(table, path)
    return path


HOSTILE_READS = {
    "npy header claims 1e6 x 1e6": (
        lambda t: _npy_with_header(t / "m.npy", "{'descr': '<f8', 'fortran_order': False, "
                                   "'shape': (1000000, 1000000), }") or t / "m.npy", 2),
    "npy of Python objects": (
        lambda t: _npy_with_header(t / "m.npy", "{'descr': '|O', 'fortran_order': False, "
                                   "'shape': (2, 2), }") or t / "m.npy", 2),
    "npy that is garbage": (lambda t: (t / "m.npy").write_bytes(b"\x80\x04garbage" * 9)
                            or t / "m.npy", 2),
    "complex npy": (lambda t: np.save(t / "m.npy", np.eye(2) + 0j) or t / "m.npy", 1),
    "sidecar not an object": (lambda t: _sidecar(t, [1, 2]), 2),
    "sidecar classes not a list": (lambda t: _sidecar(t, {"classes": "ab"}), 2),
    "sidecar metadata not an object": (
        lambda t: _sidecar(t, {"classes": ["a", "b"], "metadata": [1]}), 2),
    "sidecar interchangeable not a list": (
        lambda t: _sidecar(t, {"classes": ["a", "b"], "metadata": {"interchangeable": 3}}), 2),
    "sidecar nested 100000 deep": (lambda t: _sidecar(t, "[" * 100_000 + "]" * 100_000), 2),
    "sidecar of another array": (
        lambda t: _sidecar(t, {"classes": ["a", "b"], "array_sha256": "0" * 64}), 1),
    "parquet string similarities": (
        lambda t: _parquet(t, {"class": ["a", "b"], "a": ["1", "0"], "b": ["0", "1"]}), 2),
    "parquet label column missing": (
        lambda t: _parquet(t, {"a": [1.0, 0.0], "b": [0.0, 1.0]},
                           {"layout": "wide", "label_column": "class"}), 2),
    "parquet metadata classes not a list": (
        lambda t: _parquet(t, {"class": ["a", "b"], "a": [1.0, 0.0], "b": [0.0, 1.0]},
                           {"classes": {"a": 1}}), 2),
    "long parquet duplicate entry": (
        lambda t: _parquet(t, {"true_class": ["a", "a", "b", "a"],
                               "predicted_class": ["a", "a", "b", "b"],
                               "similarity": [0.5, 0.5, 1.0, 0.2]}), 1),
}


@pytest.mark.parametrize("command", ["validate", "inspect", "convert"])
@pytest.mark.parametrize("case", sorted(HOSTILE_READS))
def test_hostile_file_is_one_line(cli, tmp_path, case, command):
    make, code = HOSTILE_READS[case]
    path = make(tmp_path)
    before = _files(tmp_path)
    args = [command, path] + ([tmp_path / "out.csv"] if command == "convert" else [])
    res = cli(*args)
    if command == "validate" and code == 1:
        assert res.code == 1 and "Traceback" not in res.err, res
    else:
        assert_one_line_error(res, code)
    assert _files(tmp_path) == before


def test_fifo_is_refused_not_waited_for(cli, tmp_path):
    path = tmp_path / "m.npy"
    np.save(path, np.eye(2))
    os.mkfifo(io.sidecar_path(path))
    res = cli("validate", path)
    assert_one_line_error(res, 2)
    assert "regular file" in res.err
    names = tmp_path / "names.txt"
    os.mkfifo(names)
    res = cli("build", "order", "--names-file", names, "-o", tmp_path / "o.npy")
    assert_one_line_error(res, 2)


def test_catalogue_index_stays_inside_its_folder(cli, tmp_path, monkeypatch):
    secret = tmp_path / "secret.csv"
    io.save(SimilarityMatrix(np.eye(2), ["x", "y"]), secret)
    root = tmp_path / "cat"
    root.mkdir()
    (root / "index.json").write_text(json.dumps(
        {"entries": [{"name": "evil", "file": "../secret.csv"}]}))
    monkeypatch.setenv("SIMMATRIX_CATALOGUE", str(root))
    res = cli("inspect", "evil")
    assert_one_line_error(res, 2)
    assert "outside the catalogue folder" in res.err
    (root / "index.json").write_text('{"entries": 3}')
    assert_one_line_error(cli("catalogue", "list"), 2)


# -- escaping: nothing from a file reaches the terminal raw ----------------------------------
def test_names_are_printed_escaped(cli, tmp_path):
    path = tmp_path / "esc.parquet"
    names = ["red\x1b[31mrose", "tulip\nvalid      yes", "\x1b]0;title\x07", "\u202eevil"]
    io.save(SimilarityMatrix(np.eye(4), names), path)
    for args in (["inspect", path], ["inspect", path, "--json"], ["validate", path]):
        res = cli(*args)
        assert res.code == 0, res
        text = res.out + res.err
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    res = cli("inspect", path)
    assert sum(ln.startswith("valid") for ln in res.out.splitlines()) == 1  # none forged
    assert json.loads(cli("inspect", path, "--json").out)["classes"] == names


# -- round trips: what a build accepts reads back identically --------------------------------
@pytest.mark.parametrize("ext", [".npy", ".parquet", ".csv"])
def test_awkward_names_round_trip(tmp_path, ext):
    names = ["class", "__class__", "__class_1__", "x" * 200_000, " padded ", "a,b\nc"]
    S = SimilarityMatrix(np.eye(len(names)) * 0.5 + 0.5, names)
    io.save(S, tmp_path / f"m{ext}")
    back = io.load(tmp_path / f"m{ext}")
    assert back.classes == tuple(names)
    np.testing.assert_array_equal(back.to_dense(), S.to_dense())


# -- numbers a builder must refuse ---------------------------------------------------------
@pytest.mark.parametrize("cell", ["nan", "inf", "-inf"])
def test_confusion_csv_non_finite_refused(cli, tmp_path, cell):
    src = tmp_path / "c.csv"
    src.write_text(f"true,a,b\na,5,{cell}\nb,1,4\n")
    res = cli("build", "confusion", "--matrix", src, "-o", tmp_path / "o.npy")
    assert_one_line_error(res, 2)
    assert repr(cell) in res.err and "finite" in res.err
    assert not (tmp_path / "o.npy").exists()


def test_confusion_overflowing_counts_refused(cli, tmp_path):
    src = tmp_path / "c.npy"
    np.save(src, np.array([[1e308, 1e308], [1.0, 1e308]]))
    res = cli("build", "confusion", "--matrix", src, "-o", tmp_path / "o.npy")
    assert_one_line_error(res, 2)
    assert "float64" in res.err


@pytest.mark.parametrize("args", [
    ["build", "order", "--n-classes", "1000000"],
    ["build", "order", "--n-classes", "1000000000"],
    ["build", "order", "--values", "1:inf"],
    ["build", "order", "--values", "0:1e9"],
])
def test_impossible_sizes_refused_before_allocating(cli, tmp_path, args):
    res = cli(*args, "-o", tmp_path / "o.npy")
    assert_one_line_error(res, 2)
    assert "finite" in res.err or ("needs" in res.err and "available" in res.err)
    assert _files(tmp_path) == set()


def test_huge_confusion_label_refused(cli, tmp_path):
    pairs = tmp_path / "p.csv"
    pairs.write_text("0,1\n1000000000,0\n")
    res = cli("build", "confusion", "--pairs", pairs, "-o", tmp_path / "o.npy")
    assert_one_line_error(res, 2)
    assert "needs" in res.err and "available" in res.err


# -- the gensim pickle is never loaded because of what a file holds ---------------------------
class _Marker:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_pickle_vectors_run_nothing(cli, tmp_path):
    import pickle

    marker = tmp_path / "PWNED"
    evil = tmp_path / "vectors.txt"  # any extension: the content must not matter
    evil.write_bytes(pickle.dumps(_Marker(str(marker)), protocol=4))
    res = cli("build", "embedding", "--names", "apple,pear", "--vectors", evil,
              "-o", tmp_path / "o.npy")
    assert_one_line_error(res, 2)
    assert "--format gensim" in res.err
    assert not marker.exists() and not (tmp_path / "o.npy").exists()


# -- writing: modes, no-clobber, messages -------------------------------------------------
def test_force_keeps_permission_bits(cli, tmp_path):
    out, _, _ = _old_pair(tmp_path)
    os.chmod(out, 0o600)
    os.chmod(io.sidecar_path(out), 0o640)
    assert cli("build", "order", "--n-classes", "4", "-o", out, "--force").code == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert io.sidecar_path(out).stat().st_mode & 0o777 == 0o640


def test_file_appearing_mid_write_is_kept(tmp_path):
    from simmatrix._files import atomic_path
    from simmatrix.errors import MatrixFileError

    out = tmp_path / "o.txt"
    with pytest.raises(MatrixFileError, match="appeared while"):
        with atomic_path(out) as tmp:
            tmp.write_text("new")
            out.write_text("the user's")
    assert out.read_text() == "the user's"
    assert _files(tmp_path) == {"o.txt"}


def test_mismatched_pair_is_detected(tmp_path):
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    io.save(SimilarityMatrix(np.eye(3), list("xyz")), a)
    io.save(SimilarityMatrix(np.full((3, 3), 0.5) + np.eye(3) * 0.5, list("xyz")), b)
    os.replace(io.sidecar_path(b), io.sidecar_path(a))  # a's array, b's sidecar
    with pytest.raises(ValueError, match="does not belong"):
        io.load(a)


def test_build_shows_validation_warnings(cli, tmp_path):
    # two classes with the same value have similarity 1: valid, but worth a warning
    res = cli("build", "order", "--values", "1,1,2", "--names-file", _names(tmp_path, "abc"),
              "-o", tmp_path / "o.npy")
    assert res.code == 0, res
    warnings = [ln for ln in res.err.splitlines() if "warning" in ln]
    assert len(warnings) >= 1 and all(ln.startswith("simmatrix: warning: ") for ln in warnings)


def _names(folder: Path, names: str) -> Path:
    path = folder / "names.txt"
    path.write_text("\n".join(names) + "\n")
    return path


def test_bare_groups_print_help_once(cli):
    for args in ([], ["build"], ["catalogue"], ["data"]):
        res = cli(*args)
        assert (res.out + res.err).count("Usage:") == 1, args


# -- real writer processes: interrupts, a file-size limit, concurrent writers ----------------
CMD = [sys.executable, "-m", "simmatrix"]


def _writer(out: Path, n: int, *extra: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([*CMD, "build", "order", "--n-classes", str(n), "-o", str(out),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)


def _wait_for_temporary(folder: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Return once the writer has written data into its temporary: the event that puts it
    mid-write (past creating the file, long before the rename), however loaded the machine.
    Whenever the signal lands, the clean-up must leave no temporary (see the every-step
    test); this only makes sure the old file is the expected outcome."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        for p in folder.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if p.name.startswith(".") and p.stat().st_size > 0:
                    return
        time.sleep(0.002)
    pytest.fail("the writer never started writing")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_interrupt_mid_write_keeps_old_file(tmp_path, sig):
    out = tmp_path / "old.csv"
    io.save(SimilarityMatrix(np.eye(3), ["a", "b", "c"]), out)
    old = out.read_bytes()
    proc = _writer(out, 1500, "--force")  # a CSV this size takes seconds to write
    _wait_for_temporary(tmp_path, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["simmatrix: interrupted; nothing was written"]
    assert out.read_bytes() == old
    assert _files(tmp_path) == {"old.csv"}


@pytest.mark.slow
def test_file_size_limit_keeps_old_pair(tmp_path):
    out, array, side = _old_pair(tmp_path)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    proc = _writer(out, 1000, "--force", preexec_fn=limit)  # 8 MB > 1 MiB
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "old.npy" in lines[0] and "Traceback" not in err
    _intact(out, array, side)
    assert _files(tmp_path) == {"old.npy", "old.npy.json"}


@pytest.mark.slow
@pytest.mark.parametrize("force", [False, True])
def test_concurrent_writers(tmp_path, force):
    out = tmp_path / "m.npy"
    sizes = [300, 301, 302, 303]
    procs = [_writer(out, n, *(["--force"] if force else [])) for n in sizes]
    codes = [p.wait(timeout=120) for p in procs]
    errs = [p.stderr.read() for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert all("Traceback" not in e for e in errs), errs
    if force:
        assert codes == [0] * len(sizes), errs
    else:
        assert sorted(codes) == [0] + [2] * (len(sizes) - 1), errs
    S = io.load(out)  # a pair from one run: the digest check would catch a mix
    assert len(S) in sizes
    assert _files(tmp_path) == {"m.npy", "m.npy.json"}


# -- numeric options: nan, inf and out-of-range values refused when the line is parsed ------
OPTION_CASES = [
    (["build", "order", "-n", "5", "--unit", "inf"], "--unit", "inf", "> 0"),
    (["build", "order", "-n", "5", "--unit", "0"], "--unit", "0.0", "> 0"),
    (["build", "order", "-n", "5", "--kernel", "gaussian", "--sigma", "inf"], "--sigma", "inf",
     "> 0"),
    (["build", "order", "-n", "5", "--lower-bound", "nan"], "--lower-bound", "nan", "[0, 1)"),
    (["build", "order", "-n", "5", "--lower-bound", "1"], "--lower-bound", "1.0", "[0, 1)"),
    (["build", "order", "-n", "5", "--reduction", "nan"], "--reduction", "nan", "[0, 1)"),
    (["build", "order", "-n", "5", "--circular", "inf"], "--circular", "inf", "> 0"),
    (["build", "order", "-n", "5", "--kernel", "geometric", "--alpha", "inf"], "--alpha", "inf",
     "[0, 1]"),
    (["build", "order", "-n", "0"], "--n-classes", "0", ">= 1"),
    (["build", "order", "--values", "1,1e308,-1e308"], "--values", "1e308", "overflows"),
    (["build", "confusion", "--matrix", "c.csv", "--smoothing", "nan"], "--smoothing", "nan",
     ">= 0"),
    (["build", "hierarchy", "--graph", "t.txt", "--measure", "soft", "--beta", "inf"],
     "--beta", "inf", "> 0"),
    (["build", "embedding", "--names", "a,b", "--top-k", "-1"], "--top-k", "-1", ">= 0"),
    (["build", "embedding", "--names", "a,b", "--limit", "0"], "--limit", "0", ">= 1"),
    (["build", "text", "--names", "a,b", "--batch-size", "0"], "--batch-size", "0", ">= 1"),
    (["transform", "in.npy", "--power", "inf"], "--power", "inf", "> 0"),
    (["transform", "in.npy", "--lower-bound", "-0.1"], "--lower-bound", "-0.1", "[0, 1)"),
    (["combine", "a.npy", "b.npy", "--weights", "1,nan"], "--weights", "nan", ">= 0"),
    (["combine", "a.npy", "b.npy", "--weights", "1e308,1e308"], "--weights", "inf", "> 0"),
    (["combine", "a.npy", "b.npy", "--lower-bound", "inf"], "--lower-bound", "inf", "[0, 1)"),
]


@pytest.mark.parametrize("args,option,value,valid", OPTION_CASES,
                         ids=[" ".join(c[0]) for c in OPTION_CASES])
def test_numeric_option_out_of_range(cli, tmp_path, monkeypatch, args, option, value, valid):
    monkeypatch.chdir(tmp_path)
    for name in ("in.npy", "a.npy", "b.npy"):
        io.save(SimilarityMatrix(np.eye(2), ["x", "y"]), tmp_path / name)
    before = _files(tmp_path)
    res = cli(*args, "-o", tmp_path / "o.npy")
    assert_one_line_error(res, 2)
    assert option in res.err and value in res.err and valid in res.err, res.err
    assert _files(tmp_path) == before


def test_sigma_without_the_gaussian_kernel_is_refused(cli, tmp_path):
    res = cli("build", "order", "-n", "5", "--sigma", "2", "-o", tmp_path / "o.npy")
    assert_one_line_error(res, 2)
    assert "--sigma" in res.err and "gaussian" in res.err


# -- ownership, links, unwritable places, a full disk: for every format ----------------------
FORMATS = [".npy", ".parquet", ".csv"]


def _old_file(tmp_path: Path, ext: str) -> tuple[Path, dict[str, bytes]]:
    """An existing 3-class matrix in format ``ext``, and the bytes of its files."""
    out = tmp_path / f"old{ext}"
    written = io.save(SimilarityMatrix(np.eye(3), ["a", "b", "c"]), out)
    return out, {p.name: p.read_bytes() for p in written}


def _unchanged(folder: Path, files: dict[str, bytes], *others: str) -> None:
    assert _files(folder) == set(files) | set(others)  # no temporary left either
    for name, data in files.items():
        assert (folder / name).read_bytes() == data, name


def _random_matrix(n: int, seed: int = 0) -> SimilarityMatrix:
    """Valid but incompressible, so every format writes about 8 n² bytes."""
    a = np.random.default_rng(seed).uniform(0.01, 0.99, (n, n))
    np.fill_diagonal(a, 1.0)
    return SimilarityMatrix(a, [f"c{i}" for i in range(n)])


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a file to another user needs root")
@pytest.mark.parametrize("ext", FORMATS)
def test_force_keeps_owner_and_group(cli, tmp_path, ext):
    out, old = _old_file(tmp_path, ext)
    for name in old:
        os.chown(tmp_path / name, 4321, 8765)
        os.chmod(tmp_path / name, 0o640)
    assert cli("build", "order", "-n", "4", "-o", out, "--force").code == 0
    for name in old:
        st = os.stat(tmp_path / name)
        assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (4321, 8765, 0o640), name
    assert len(io.load(out)) == 4


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("which", ["array", "sidecar", "dangling"])
def test_symlink_output_is_refused(cli, tmp_path, which, force):
    real, old = _old_file(tmp_path, ".csv")
    out = tmp_path / "m.npy"
    link = io.sidecar_path(out) if which == "sidecar" else out
    link.symlink_to(tmp_path / "nowhere" if which == "dangling" else real)
    res = cli("build", "order", "-n", "4", "-o", out, *(["--force"] if force else []))
    assert_one_line_error(res, 2)
    assert "symbolic link" in res.err
    assert link.is_symlink()
    _unchanged(tmp_path, old, link.name)


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("folder", ["missing/deeper", "/proc"])
def test_unwritable_output_folder(cli, tmp_path, ext, folder):
    if folder == "/proc" and not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    res = cli("build", "order", "-n", "4", "-o", tmp_path / folder / f"m{ext}")
    assert_one_line_error(res, 2)
    assert "folder" in res.err


@pytest.mark.parametrize("ext", FORMATS)
def test_file_size_limit_in_every_format(cli, tmp_path, ext):
    src = tmp_path / "src.npy"
    io.save(_random_matrix(300), src)  # 720 KB in every format
    out, old = _old_file(tmp_path, ext)
    old.update({p.name: p.read_bytes() for p in (src, io.sidecar_path(src))})
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 10, hard))  # Python ignores SIGXFSZ
    try:
        res = cli("convert", src, out, "--force")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert_one_line_error(res, 2)
    assert out.name in res.err and "nothing was replaced" in res.err
    _unchanged(tmp_path, old)


# -- an interrupt at every step of a convert: deterministic, no temporary ever left ----------
_FILES_PY = str(Path(io.__file__).with_name("_files.py"))
_WRITERS = {"save", "_write_csv", "write_parquet", "_rows_blocks", "_wide_blocks"}


def _writing(code) -> bool:
    return code.co_filename == _FILES_PY or (
        code.co_name in _WRITERS and Path(code.co_filename).parent == Path(io.__file__).parent)


def _hangup_at(n: int):
    """A tracer that sends the main thread a real SIGHUP at the n-th line run in the write
    code (simmatrix/_files.py and the savers); ``seen[0]`` counts the lines reached.

    Under a tracer Python runs a pending handler at the very next instruction, even where
    it never would otherwise (the no-op of a ``try:``), so this is harsher than life."""
    seen = [0]

    def local(frame, event, arg):
        if event == "line":
            seen[0] += 1
            if seen[0] == n:  # to this thread: the save's hashing thread must not take it
                signal.pthread_kill(threading.main_thread().ident, signal.SIGHUP)
        return local

    def call(frame, event, arg):
        return local if _writing(frame.f_code) else None

    return call, seen


@pytest.mark.parametrize("ext", FORMATS)
def test_write_interrupted_at_every_step(tmp_path, ext):
    """A SIGHUP at each line of a --force save in turn, with the CLI's own handlers and its
    end-of-command clean-up: the old file (pair) or the new one, whole, and nothing else."""
    from simmatrix.cli import _run

    new = SimilarityMatrix(np.eye(4) * 0.5 + 0.5, list("wxyz"))
    out, old = _old_file(tmp_path, ext)
    outcomes = set()
    handlers = _run._install_signal_handlers()
    try:
        for n in range(1, 5000):
            tracer, seen = _hangup_at(n)
            previous = sys.gettrace()
            sys.settrace(tracer)
            try:
                io.save(new, out, overwrite=True)
                outcome = "saved"
            except _run.Interrupted:
                outcome = "interrupted"
            finally:
                sys.settrace(previous)
                _run._remove_temporaries()
            assert _files(tmp_path) == set(old), (n, outcome)  # no temporary, no backup
            if all((tmp_path / f).read_bytes() == b for f, b in old.items()):
                outcomes.add(f"{outcome}, old kept")
                assert outcome == "interrupted", n
            else:  # the new matrix, complete: a pair from one save
                assert io.load(out).classes == tuple("wxyz"), (n, outcome)
                outcomes.add(f"{outcome}, new kept")
                if seen[0] < n:  # the signal was never sent: every line has been tried
                    break
                io.save(SimilarityMatrix(np.eye(3), ["a", "b", "c"]), out, overwrite=True)
                old = {f: (tmp_path / f).read_bytes() for f in old}  # its stamp is new
        else:
            pytest.fail("the save never ran to its end")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert {"interrupted, old kept", "interrupted, new kept", "saved, new kept"} <= outcomes


# -- more hostile files: lying sidecars, odd parquet metadata, CSV quirks -------------------
def _rows_parquet(t: Path, classes, values, labels=None) -> Path:
    import pyarrow as pa

    kind = pa.list_(pa.float64(), len(values[0]))
    flat = pa.array(np.asarray(values, dtype=float).reshape(-1))
    return _parquet(t, {"class": labels or classes,
                        "similarity": pa.FixedSizeListArray.from_arrays(flat, type=kind)},
                    {"layout": "rows", "classes": classes})


def _csv(t: Path, text: str) -> Path:
    (t / "m.csv").write_bytes(text.encode("utf-8"))
    return t / "m.csv"


def _forged_stamp(t: Path) -> Path:
    path = t / "m.npy"
    np.save(path, np.full((2, 2), 7.0))
    st = os.stat(path)
    io.sidecar_path(path).write_text(json.dumps({"classes": ["a", "b"], "validated": {
        "size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}}))
    return path


MORE_HOSTILE_READS = {
    "sidecar claims another shape": (
        lambda t: _sidecar(t, {"classes": ["a", "b"], "shape": [3, 3]}), 1),
    "sidecar claims another dtype": (
        lambda t: _sidecar(t, {"classes": ["a", "b"], "dtype": "float32"}), 1),
    "sidecar stamp without a digest": (_forged_stamp, 1),
    "parquet unknown layout": (
        lambda t: _parquet(t, {"class": ["a", "b"], "a": [1.0, 0.0], "b": [0.0, 1.0]},
                           {"layout": "banana"}), 2),
    "parquet rows of the wrong length": (
        lambda t: _rows_parquet(t, ["a", "b"], [[1, 0, 0], [0, 1, 0]]), 2),
    "parquet rows, more rows than classes": (
        lambda t: _rows_parquet(t, ["a", "b"], [[1, 0], [0, 1], [0, 0]], ["a", "b", "c"]), 2),
    "parquet rows, labels differ from metadata": (
        lambda t: _rows_parquet(t, ["a", "b"], [[1, 0], [0, 1]], ["b", "a"]), 2),
    "parquet long, missing class name": (
        lambda t: _parquet(t, {"true_class": ["a", None], "predicted_class": ["a", "b"],
                               "similarity": [1.0, 1.0]}), 2),
    "csv extra row": (lambda t: _csv(t, "class,a,b\na,1,0\nb,0,1\nc,0,0\n"), 1),
    "csv missing row": (lambda t: _csv(t, "class,a,b\na,1,0\n"), 1),
    "csv duplicate header": (lambda t: _csv(t, "class,a,a\na,1,0\na,0,1\n"), 1),
    "csv unterminated quote": (lambda t: _csv(t, 'class,a,b\n"a,1,0\nb,0,1\n'), 2),
    "csv 200000 columns": (lambda t: _csv(t, "class," + ",".join(map(str, range(200_000)))), 2),
    "csv latin-1": (lambda t: (t / "m.csv").write_bytes("class,é\né,1\n".encode("latin1"))
                    or t / "m.csv", 2),
}


@pytest.mark.parametrize("case", sorted(MORE_HOSTILE_READS))
def test_more_hostile_files(cli, tmp_path, monkeypatch, case):
    monkeypatch.setenv("SIMMATRIX_MEMORY_LIMIT", str(8 << 30))  # the same verdict anywhere
    make, code = MORE_HOSTILE_READS[case]
    path = make(tmp_path)
    before = _files(tmp_path)
    for args in (["inspect", path], ["convert", path, tmp_path / "out.npy"]):
        if args[0] == "inspect" and code == 1 and path.suffix == ".npy" and "stamp" in case:
            continue  # inspect shows an invalid matrix; it does not refuse it
        assert_one_line_error(cli(*args), code)
    assert _files(tmp_path) == before
    if "stamp" in case:
        with pytest.raises(ValueError, match="outside"):
            io.load(path)  # a stamp alone (no digest, not from save) proves nothing


@pytest.mark.parametrize("text,classes", [
    ("\ufeffclass,a,b\r\na,1,0\r\nb,0,1\r\n", ("a", "b")),                    # BOM, CRLF
    ('class,"a,x","b\ny"\n"a,x",1,0\n"b\ny",0,1\n', ("a,x", "b\ny")),        # quoting
    ("\n\nclass,a,b\n\na,1,0\n\nb,0,1\n\n", ("a", "b")),                      # blank lines
    ("class,a,b\na,1," + "0" * 300_000 + "\nb,0,1\n", ("a", "b")),            # a huge field
])
def test_csv_quirks_read(tmp_path, text, classes):
    S = io.load(_csv(tmp_path, text))
    assert S.classes == classes
    np.testing.assert_array_equal(S.to_dense(), np.eye(2))
