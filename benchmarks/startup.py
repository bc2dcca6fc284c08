"""Start-up time of the command line, against a bare Python and the imports it cannot avoid.

    nice python benchmarks/startup.py [--repeats 20]

Each command is a fresh process; the commands run interleaved (one of each per round) so a
change in the machine's load hits all of them alike, and the medians are printed with their
ratio to ``python -c pass``. The floor rows are what any Typer command pays: Typer 0.2x builds
a pydantic ``TypeAdapter`` for every non-boolean option it parses, so pydantic is imported
by the parse itself, and a build needs numpy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def commands(tmp: str) -> dict[str, list[str]]:
    py = sys.executable
    exe = Path(py).with_name("simmatrix")
    cli = [str(exe)] if exe.exists() else [py, "-m", "simmatrix"]
    out = os.path.join(tmp, "x.npy")
    return {
        "python -c pass": [py, "-c", "pass"],
        "floor: import typer, pydantic": [py, "-c", "import typer, pydantic"],
        "floor: import typer, pydantic, numpy": [py, "-c", "import typer, pydantic, numpy"],
        "simmatrix --version": [*cli, "--version"],
        "simmatrix build order --n-classes 90": [*cli, "build", "order", "--n-classes", "90",
                                                  "-o", out, "--force"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(tmp)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for cmd in cmds.values():  # one untimed run each: warm the file cache
            subprocess.run(cmd, check=True, capture_output=True)
        for _ in range(a.repeats):
            for name, cmd in cmds.items():
                t = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True)
                times[name].append(time.perf_counter() - t)
    base = statistics.median(times["python -c pass"])
    load = os.getloadavg()[0]
    print(f"median of {a.repeats} interleaved runs each (load average {load:.1f}):")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:40s} {med * 1e3:7.0f} ms  ({med / base:4.1f}x python -c pass)")


if __name__ == "__main__":
    main()
