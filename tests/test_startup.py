"""Start-up stays light: ``import simmatrix`` loads no numpy, ``--version`` no typer.

Timing lives in benchmarks/startup.py; here only what is imported, which can fail.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after(code: str) -> set[str]:
    code += "\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return set(out.split())


def test_import_simmatrix_loads_neither_numpy_nor_typer():
    loaded = _modules_after("import simmatrix")
    assert not {"numpy", "typer", "pydantic", "scipy"} & loaded


def test_public_names_still_load_on_first_use():
    loaded = _modules_after(
        "import simmatrix\n"
        "assert simmatrix.SimilarityMatrix.__name__ == 'SimilarityMatrix'\n"
        "from simmatrix import simloss, load, bayes_decision, metrics\n"
        "assert callable(simloss) and callable(load) and callable(bayes_decision)\n"
        "assert set(simmatrix.__all__) <= set(dir(simmatrix))\n"
        "assert callable(simmatrix.io.load) and callable(simmatrix.transforms.top_k)")
    assert "numpy" in loaded
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        import simmatrix

        simmatrix.nope  # noqa: B018


@pytest.mark.parametrize("argv", [["-m", "simmatrix", "--version"]])
def test_version_does_not_build_the_app(argv):
    code = ("import sys\nsys.argv = ['simmatrix', '--version']\n"
            "from simmatrix.__main__ import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0\n"
            "print('MODULES', ' '.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    version, modules = out.split("MODULES")
    from simmatrix import __version__

    assert version.strip() == f"simmatrix {__version__}"
    assert not {"numpy", "typer", "pydantic", "simmatrix.cli"} & set(modules.split())
    full = subprocess.run([sys.executable, *argv], capture_output=True, text=True)
    assert (full.returncode, full.stdout, full.stderr) == (0, f"simmatrix {__version__}\n", "")



def _lazy_groups():
    """Each lazy group of the command line, by its command path."""
    from simmatrix.cli.app import RootGroup
    from simmatrix.cli.build import BuildGroup

    return {"simmatrix": RootGroup, "simmatrix build": BuildGroup}


def test_the_lazy_tables_name_exactly_the_commands_the_modules_define():
    """Every name in a table loads the command of that name, and every command a CLI module
    registers is in a table: a new command cannot be left out, nor a name point nowhere."""
    import importlib
    import pkgutil

    import typer

    import simmatrix.cli
    from simmatrix.cli._lazy import LazyGroup

    apps = {}  # every module of the CLI with commands: its Typer ``app``
    for info in pkgutil.iter_modules(simmatrix.cli.__path__):
        module = importlib.import_module(f"simmatrix.cli.{info.name}")
        if isinstance(getattr(module, "app", None), typer.Typer):
            apps[info.name] = module.app
    commands: dict[str, set[str]] = {}  # module -> the names the tables give it
    groups = set()  # modules whose app is itself a group (build, catalogue, data)
    tables = LazyGroup.__subclasses__()  # every lazy group, now that every module is loaded
    assert set(tables) == set(_lazy_groups().values())
    for cls in tables:
        group = cls(name=cls.__name__)
        assert list(group.commands) == list(cls.lazy)
        for name, module in cls.lazy.items():
            command = group.commands[name]
            assert command.name == name, (cls.__name__, name, command.name)
            if apps[module].info.name == name:
                groups.add(module)
            else:
                commands.setdefault(module, set()).add(name)
    assert not groups & set(commands)
    assert set(apps) - {"app"} == set(commands) | groups, "a CLI module no table lists"
    for module, names in commands.items():
        defined = {c.name for c in apps[module].registered_commands}
        assert defined == names, f"cli/{module}.py defines {sorted(defined)}; the tables " \
                                 f"list {sorted(names)}"


def test_help_and_suggestions_know_every_command(cli):
    for argv, cls in ((["--help"], _lazy_groups()["simmatrix"]),
                      (["build", "--help"], _lazy_groups()["simmatrix build"])):
        lines = cli(*argv).out.splitlines()
        rows = [next(i for i, ln in enumerate(lines) if ln.startswith(f"│ {name} "))
                for name in cls.lazy]
        assert rows == sorted(rows), f"{argv}: not in the table's order"
    res = cli("buld", "order")
    assert res.code == 2 and "No such command 'buld'. Did you mean 'build'?" in res.err
    res = cli("build", "tabel")
    assert res.code == 2 and "No such command 'tabel'. Did you mean 'table'?" in res.err


def test_build_order_imports_no_other_command():
    """``simmatrix build order`` loads its own module and builder: not the other builders,
    not the other commands, and none of the heavy libraries they use."""
    code = ("import os, sys, tempfile\n"
            "from simmatrix.cli import main\n"
            "out = os.path.join(tempfile.mkdtemp(), 'S.npy')\n"
            "try:\n    main(['build', 'order', '--n-classes', '5', '-o', out])\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print('MODULES', ' '.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    loaded = set(out.split("MODULES")[1].split())
    assert {"simmatrix.cli.build_order", "simmatrix.builders.order"} <= loaded
    others = {f"simmatrix.cli.{m}" for m in (
        "build_wordnet", "build_embedding", "build_text", "build_hierarchy", "build_confusion",
        "build_table", "matrix_commands", "transform", "combine", "plot", "catalogue", "data")}
    others |= {f"simmatrix.builders.{m}" for m in (
        "wordnet", "embedding", "text", "hierarchy", "confusion", "table")}
    heavy = {"nltk", "torch", "gensim", "networkx", "matplotlib", "sentence_transformers",
             "pyarrow", "scipy"}
    assert not (others | heavy) & loaded, sorted((others | heavy) & loaded)
