"""``simmatrix catalogue``: list the ready-made matrices, and rebuild them from their recipes."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from simmatrix import catalogue, io
from simmatrix._text import shown
from simmatrix.errors import BuildError

from ._common import JsonOption, echo_json, run, say
from ._help import examples

app = typer.Typer(name="catalogue", no_args_is_help=True,
                  help="Ready-made matrices: list them, or rebuild them from their recipes.")


@app.command("list", epilog=examples(
    "simmatrix catalogue list",
    "simmatrix catalogue list --json",
))
def list_(json: JsonOption = False) -> None:
    """Show the catalogue: name, classes, builder and file size."""
    rows = catalogue.entries()
    if json:
        echo_json(rows)
        return
    if not rows:
        say("the catalogue is empty")
        return
    width = max(len(shown(e["name"])) for e in rows)
    for e in rows:
        size = e.get("bytes")
        size = f"{size / 1024:>7.0f} KiB" if isinstance(size, (int, float)) else "      ? KiB"
        say(f"{shown(e['name']):<{width}}  {shown(e.get('n_classes', '?')):>5} classes  "
            f"{shown(e.get('builder', '?')):<10} {size}  {shown(e.get('description', ''))}")


@contextlib.contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_recipe(recipe: catalogue.Recipe, out: Path, root: Path, app: Any) -> None:
    """Run ``recipe``'s command on ``app`` (the root app: :data:`simmatrix.cli.app`, or the
    running one) with ``root`` (which holds ``sources/``) as working folder."""
    out = out.resolve()
    with _cwd(root):
        try:
            run(app, recipe.argv(out))
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise BuildError(f"recipe {recipe.name!r} failed (exit {exc.code})") from None


@app.command("build", epilog=examples(
    "simmatrix catalogue build",
    "simmatrix catalogue build cifar10-glove",
))
def build(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Entries to rebuild (default: all).",
                                                       show_default=False)] = None,
    root: Annotated[Path, typer.Option("--dir", help="The catalogue folder (matrices/).")]
    = Path("matrices"),
) -> None:
    """Rebuild catalogue entries from their recipes and rewrite index.json and README.md."""
    recipes = catalogue.recipes()
    unknown = [n for n in names or [] if n not in recipes]
    if unknown:
        raise BuildError(f"unknown catalogue entries: {', '.join(unknown)}; "
                         f"known: {', '.join(recipes)}")
    if not (root / "sources").is_dir():
        raise BuildError(f"'{root}' has no sources/ folder; run from the repository root or "
                         "pass --dir")
    for name in names or list(recipes):
        r = recipes[name]
        tmp = root / f".{r.file}.new.parquet"
        tmp.unlink(missing_ok=True)
        run_recipe(r, tmp, root, ctx.find_root().command)
        os.replace(tmp, root / r.file)
        say(f"built {r.name}", err=True)
    _write_index(root, recipes)


def _write_index(root: Path, recipes: dict[str, catalogue.Recipe]) -> None:
    rows = []
    for r in recipes.values():
        path = root / r.file
        if not path.exists():
            continue
        S = io.load(path)
        meta = S.metadata
        rows.append({
            "name": r.name,
            "description": r.description,
            "file": r.file,
            "command": r.command(),
            "n_classes": len(S),
            "classes_preview": list(S.classes[:5]),
            "builder": meta.get("builder"),
            "params": meta.get("params", {}),
            "transforms": meta.get("transforms", []),
            "dtype": str(S.dtype),
            "bytes": path.stat().st_size,
            "values_sha256": S.fingerprint(),
        })
    (root / catalogue.INDEX).write_text(json.dumps({"entries": rows}, indent=1) + "\n",
                                        encoding="utf-8")
    lines = [
        "# Ready-made matrices",
        "",
        "Validated similarity matrices with class names and provenance, loadable by name:",
        "`simmatrix.load(\"NAME\")`, `simmatrix inspect NAME`, `simmatrix catalogue list`.",
        "Each is rebuilt, from this folder, by the command shown (class lists in `sources/`);",
        "`simmatrix catalogue build` reruns them all and rewrites this table and",
        "`index.json`, and a test checks that every shipped file equals its rebuild.",
        "Files are float32 parquet with zstd compression: these values repeat a lot, so the",
        "files are far smaller than C² floats.",
        "",
        "| name | classes | builder | size | command |",
        "|---|---|---|---|---|",
    ]
    for e in rows:
        lines.append(f"| `{e['name']}` | {e['n_classes']} | {e['builder']} | "
                     f"{e['bytes'] / 1024:.0f} KiB | `{e['command']}` |")
    lines += ["", "Descriptions:", ""]
    lines += [f"- `{e['name']}`: {e['description']}" for e in rows]
    (root / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
