"""Every shell command and Python block of the documentation runs, so no page drifts.

Collected: each fenced block tagged ``bash``, ``sh``, ``console`` or ``python`` in README.md,
docs/*.md and examples/README.md (new pages are picked up by the glob). One test per block,
named ``page:line`` (the fence's line), so a failure names the block.

How a block runs
- The blocks of one page run in page order in one temporary folder (empty at the start,
  the sandbox of tests/conftest.py as environment: real WordNet, empty HOME), and the
  Python blocks of a page share one namespace, as a reader goes down the page. Under
  pytest-xdist a block's test replays the page's earlier blocks in its worker first when
  that worker has not run them, so every block always sees the state the page promises.
- ``bash``/``sh``: the block is one ``bash -e -o pipefail`` script. ``console``: each
  ``$ `` line (with ``\\`` continuations) is a command and the lines after it, up to the next
  ``$ ``, are its expected output: they must appear in what it prints (whitespace
  normalised, ``...`` matches anything); it must exit 0 unless that output shows
  ``error:``. ``python``: executed; with ``>>>`` prompts it runs as a doctest.
- ``pip install ...`` (alone or before ``&&``) is not run: the suite's environment already
  has the package and its extras, and a test must not change it. ``simmatrix``, ``python``
  and ``python3`` on PATH are this interpreter's.

Markers, on the line(s) just above the fence:
- ``<!-- doc-test: skip REASON -->``: not run (the reason is shown as the skip reason).
- ``<!-- doc-test: setup CODE -->``: CODE (same language as the block; the comment may span
  lines) runs first, in the same folder/namespace, unshown on the rendered page. It finds
  the repository in ``$DOC_REPO`` (shell) or ``DOC_REPO`` (Python), to copy a file it ships.
- ``<!-- doc-test: slow REASON -->``: runs, marked ``slow`` (a block over ~30 s).
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGS = {"bash": "shell", "sh": "shell", "console": "console", "python": "python"}
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
MARKER = re.compile(r"<!--\s*doc-test:\s*(?P<kind>[a-z-]+)\b(?P<body>.*?)-->", re.S)
PIP = re.compile(r"^\s*(sudo\s+)?(python3?\s+-m\s+)?pip3?\s+install\b")
SHELL_TIMEOUT = 600


def pages() -> list[Path]:
    """README.md, every docs/*.md (sorted) and examples/README.md."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
            ROOT / "examples" / "README.md"]


@dataclass
class Block:
    page: str  # relative to the repository
    line: int  # 1-based line of the opening fence
    lang: str  # shell | console | python
    code: str
    skip: str | None = None
    slow: str | None = None
    setup: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _markers(lines: list[str], fence_index: int) -> list[tuple[str, str]]:
    """The ``doc-test`` comments directly above line ``fence_index`` (blank lines allowed)."""
    end = fence_index
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    found: list[tuple[str, str]] = []
    while end > 0 and lines[end - 1].rstrip().endswith("-->"):
        start = end - 1
        while start > 0 and "<!--" not in lines[start]:
            start -= 1
        text = "\n".join(lines[start:end])
        match = MARKER.search(text)
        if match is None or "<!--" not in lines[start]:
            break
        found.append((match["kind"], match["body"].strip()))
        end = start
        while end > 0 and not lines[end - 1].strip():
            end -= 1
    return found[::-1]


def parse(path: Path, root: Path = ROOT) -> list[Block]:
    """The runnable fenced blocks of one page, in page order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rel = path.relative_to(root).as_posix()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start = m["fence"], i
        i += 1
        body = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(m["indent"]):] if lines[i].startswith(m["indent"])
                        else lines[i])
            i += 1
        i += 1
        lang = LANGS.get(m["info"].lower())
        if lang is None:
            continue
        block = Block(rel, start + 1, lang, "\n".join(body) + "\n")
        for kind, text in _markers(lines, start):
            if kind == "skip":
                block.skip = text or "no reason given"
            elif kind == "slow":
                block.slow = text or "no reason given"
            elif kind == "setup":
                block.setup.append(text)
            else:
                raise ValueError(f"{block.id}: unknown doc-test marker {kind!r} "
                                 "(skip, setup or slow)")
        blocks.append(block)
    return blocks


BLOCKS = [b for p in pages() for b in parse(p)]


def _params():
    for b in BLOCKS:
        marks = []
        if b.skip:
            marks.append(pytest.mark.skip(reason=f"doc-test: {b.skip}"))
        if b.slow:
            marks.append(pytest.mark.slow)
        yield pytest.param(b, id=b.id, marks=marks)


# -- running -------------------------------------------------------------------------------
def _without_pip(line: str) -> str:
    """``line`` with its ``pip install`` commands left out (see the module docstring)."""
    parts = [p for p in line.split("&&") if not PIP.match(p)]
    if len(parts) == len(line.split("&&")):
        return line
    return " && ".join(p.strip() for p in parts) or ": # pip install: already installed"


def _shell_script(code: str) -> str:
    return "\n".join(_without_pip(ln) for ln in code.splitlines()) + "\n"


@pytest.fixture(scope="session")
def doc_env(tmp_path_factory) -> dict[str, str]:
    """The environment of shell blocks: this interpreter's python/simmatrix first on PATH."""
    shim = tmp_path_factory.mktemp("doc-bin")
    # Scripts, not symlinks: a venv's python finds its venv only when run by its own path.
    commands = {"python": "", "python3": "", "simmatrix": "-m simmatrix "}
    console = Path(sys.executable).parent / "simmatrix"
    if console.is_file():  # the console script itself, as a user runs it
        (shim / "simmatrix").symlink_to(console)
        del commands["simmatrix"]
    for name, args in commands.items():
        (shim / name).write_text(f'#!/bin/sh\nexec "{sys.executable}" {args}"$@"\n')
        (shim / name).chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{shim}{os.pathsep}{env.get('PATH', '')}"
    env["DOC_REPO"] = str(ROOT)  # for setup markers that copy a file the repository ships
    env.pop("SIMMATRIX_DEBUG", None)
    return env


def _run_shell(script: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=SHELL_TIMEOUT,
                          stdin=subprocess.DEVNULL)


def _console_commands(code: str) -> list[tuple[str, list[str]]]:
    """``(command, expected output lines)`` for each ``$ `` prompt of a console block."""
    out: list[tuple[str, list[str]]] = []
    lines = code.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        cmd = [lines[i][2:]]
        while cmd[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd.append(lines[i])
        i += 1
        expected = []
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i])
            i += 1
        out.append(("\n".join(cmd), expected))
    return out


def _expected_pattern(expected: list[str]) -> re.Pattern | None:
    text = " ".join(" ".join(expected).split())
    if not text:
        return None
    return re.compile(".*?".join(re.escape(part.strip()) for part in text.split("...")),
                      re.S)


def _fail(block: Block, what: str, proc: subprocess.CompletedProcess) -> None:
    pytest.fail(f"{block.id}: {what} exited {proc.returncode}\n--- stdout\n"
                f"{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}", pytrace=False)


def _run_python(block: Block, code: str, ns: dict, name: str) -> None:
    if re.search(r"^\s*>>> ", code, re.M):
        parser = doctest.DocTestParser()
        test = parser.get_doctest(code, ns, name, block.page, block.line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS
                                       | doctest.NORMALIZE_WHITESPACE)
        report: list[str] = []
        runner.run(test, out=report.append, clear_globs=False)
        if runner.failures:
            pytest.fail(f"{block.id}: doctest failed\n{''.join(report)}", pytrace=False)
        return
    # Padded so a traceback's line numbers are the page's own.
    source = "\n" * (block.line if name == block.id else 0) + code
    try:
        exec(compile(source, name, "exec"), ns)  # noqa: S102 - the documentation's own code
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == name]
        where = ""
        if frames:
            n = frames[-1].lineno
            where = f" (line {n}: {source.splitlines()[n - 1].strip()})"
        pytest.fail(f"{name}: {type(exc).__name__}: {exc}{where}", pytrace=False)


def run_block(block: Block, folder: Path, ns: dict, env: dict[str, str]) -> None:
    """Run ``block`` (setup first) in ``folder``; fail naming the block if it does not do
    what the page says."""
    old = Path.cwd()
    os.chdir(folder)
    try:
        for code in block.setup:
            if block.lang == "python":
                _run_python(block, code + "\n", ns, f"{block.id} (setup)")
            else:
                proc = _run_shell(code, folder, env)
                if proc.returncode:
                    _fail(block, "the setup marker", proc)
        if block.lang == "python":
            _run_python(block, block.code, ns, block.id)
        elif block.lang == "shell":
            proc = _run_shell(_shell_script(block.code), folder, env)
            if proc.returncode:
                _fail(block, "the block", proc)
        else:
            for cmd, expected in _console_commands(block.code):
                if PIP.match(cmd):
                    continue
                proc = _run_shell(_shell_script(cmd), folder, env)
                shown = " ".join((proc.stdout + "\n" + proc.stderr).split())
                wants_error = any("error:" in ln for ln in expected)
                if proc.returncode and not wants_error:
                    _fail(block, f"`{cmd}`", proc)
                if wants_error and not proc.returncode:
                    _fail(block, f"`{cmd}` (the page shows an error)", proc)
                pattern = _expected_pattern(expected)
                if pattern is not None and not pattern.search(shown):
                    pytest.fail(f"{block.id}: `{cmd}` printed\n{shown}\nwhich does not "
                                f"contain what the page shows:\n" + "\n".join(expected),
                                pytrace=False)
    finally:
        os.chdir(old)


class _Page:
    def __init__(self, folder: Path) -> None:
        # DOC_REPO: the repository, for setup markers that copy a file it ships
        self.folder, self.done = folder, -1
        self.ns = {"__name__": "__doc_test__", "DOC_REPO": str(ROOT)}


_STATE: dict[str, _Page] = {}


@pytest.mark.parametrize("block", list(_params()))
def test_doc_block(block: Block, tmp_path_factory, doc_env):
    page_blocks = [b for b in BLOCKS if b.page == block.page]
    k = page_blocks.index(block)
    state = _STATE.get(block.page)
    if state is None or state.done >= k:  # first visit, or run out of page order: start anew
        name = re.sub(r"\W+", "-", block.page)
        state = _STATE[block.page] = _Page(tmp_path_factory.mktemp(name))
    for earlier in page_blocks[state.done + 1:k]:  # replay what this worker has not run
        if earlier.skip:
            continue
        try:
            run_block(earlier, state.folder, state.ns, doc_env)
        except BaseException as exc:
            state.done = k  # the page's state is broken; the next block starts anew
            pytest.fail(f"{block.id} needs {earlier.id}, which failed: {exc}", pytrace=False)
    state.done = k
    run_block(block, state.folder, state.ns, doc_env)


# -- the collection itself -----------------------------------------------------------------
UNTAGGED_COMMAND = re.compile(r"^\s*(\$ )?(simmatrix|python3?) \S")
INDENTED_COMMAND = re.compile(r"^( {4,}|\t)(\$ )?(simmatrix|python3?) \S")  # an indented code block


def test_commands_sit_in_tagged_blocks():
    """A command in an untagged fence or an indented code block would escape this test: put
    it in a tagged fence (```bash, ```console), or tag an output ```text."""
    offenders = []
    for path in pages():
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if not m:
                if INDENTED_COMMAND.match(lines[i]):
                    offenders.append(f"{path.relative_to(ROOT)}:{i + 1}: {lines[i].strip()}")
                i += 1
                continue
            start, fence, info = i, m["fence"], m["info"]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                if not info and UNTAGGED_COMMAND.match(lines[i]):
                    offenders.append(f"{path.relative_to(ROOT)}:{start + 1}: {lines[i].strip()}")
                i += 1
            i += 1
    assert not offenders, "commands in untagged fences:\n" + "\n".join(offenders)


def test_collection_finds_the_pages_and_markers(tmp_path):
    """The parser sees fences, markers (also multi-line) and line numbers as written."""
    page = ROOT / "README.md"
    assert any(b.page == "README.md" for b in BLOCKS)
    assert {b.page for b in BLOCKS} <= {p.relative_to(ROOT).as_posix() for p in pages()}
    first = parse(page)[0]
    assert page.read_text().splitlines()[first.line - 1].startswith("```")
    sample = tmp_path / "sample.md"
    sample.write_text("x\n<!-- doc-test: setup a = 1\nb = 2 -->\n<!-- doc-test: slow big -->"
                          "\n```python\nprint(a + b)\n```\n\n<!-- doc-test: skip why -->\n\n"
                      "```console\n$ simmatrix --version\n```\n```text\nignored\n```\n")
    one, two = parse(sample, tmp_path)
    assert (one.line, one.lang, one.setup, one.slow, one.skip) == (4 + 1, "python",
                                                                   ["a = 1\nb = 2"], "big", None)
    assert (two.line, two.lang, two.skip) == (11, "console", "why")
    assert _without_pip("pip install . && simmatrix inspect x") == "simmatrix inspect x"
    assert _without_pip('pip install "simmatrix[wordnet]"').startswith(":")
    assert _console_commands("$ a \\\n  b\nout 1\n$ c\n") == [("a \\\n  b", ["out 1"]),
                                                              ("c", [])]


def test_tools_on_path_are_this_interpreter_and_this_checkout(doc_env, tmp_path):
    assert shutil.which("simmatrix", path=doc_env["PATH"]) is not None
    code = "import sys, simmatrix; print(sys.prefix); print(simmatrix.__file__)"
    proc = _run_shell(f'python -c "{code}"', tmp_path, doc_env)
    prefix, module = proc.stdout.split()
    assert prefix == sys.prefix
    assert Path(module).resolve() == Path(__import__("simmatrix").__file__).resolve()


def test_wordnet_tree_help_names_the_format_it_writes(cli):
    """``data wordnet-tree -o`` takes only .tsv; its help said .npy/.parquet/.csv."""
    res = cli("data", "wordnet-tree", "--help")
    assert res.code == 0, res
    text = " ".join(res.out.split())
    assert ".tsv" in text and ".npy" not in text and ".parquet" not in text, text
