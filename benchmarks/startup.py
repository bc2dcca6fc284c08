"""Start-up time of the command line, against a bare Python and the imports it cannot avoid.

    nice python benchmarks/startup.py [--repeats 20] [--baseline OTHER/bin/simmatrix]

Each command is a fresh process; the commands run interleaved (one of each per round) so a
change in the machine's load hits all of them alike, and the medians are printed with their
ratio to ``python -c pass``, in wall time and in CPU time (user + system of the child, which
a loaded machine distorts less). The floor rows are what any Typer command pays: Typer 0.2x
builds a pydantic ``TypeAdapter`` for every non-boolean option it parses, so pydantic is
imported by the parse itself, and a build needs numpy. ``simmatrix --help`` loads every
command (it lists them all); a real command loads only its own module.

``--baseline`` adds the commands of another install (a venv with an older commit installed)
to the same rounds, so a change is measured before and after in the same conditions.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def commands(tmp: str, baseline: str | None = None) -> dict[str, list[str]]:
    py = sys.executable
    exe = Path(py).with_name("simmatrix")
    cli = [str(exe)] if exe.exists() else [py, "-m", "simmatrix"]
    out = os.path.join(tmp, "x.npy")
    cmds = {
        "python -c pass": [py, "-c", "pass"],
        "floor: import typer, pydantic": [py, "-c", "import typer, pydantic"],
        "floor: import typer, pydantic, numpy": [py, "-c", "import typer, pydantic, numpy"],
        # pydantic imports its validators on first use: the parse pays for them too
        "floor: the same + TypeAdapter(int)": [
            py, "-c", "import typer, numpy; from pydantic import TypeAdapter; TypeAdapter(int)"],
    }
    for tag, run in (("", cli), (" (baseline)", [baseline] if baseline else None)):
        if run:
            cmds.update({
                f"simmatrix --version{tag}": [*run, "--version"],
                f"simmatrix build order --n-classes 90{tag}": [
                    *run, "build", "order", "--n-classes", "90", "-o", out, "--force"],
                f"simmatrix --help{tag}": [*run, "--help"],
            })
    return cmds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--baseline", metavar="SIMMATRIX",
                   help="another install's simmatrix executable, timed in the same rounds")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(tmp, a.baseline)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        cpu: dict[str, list[float]] = {k: [] for k in cmds}
        for cmd in cmds.values():  # one untimed run each: warm the file cache
            subprocess.run(cmd, check=True, capture_output=True)
        for _ in range(a.repeats):
            for name, cmd in cmds.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True)
                times[name].append(time.perf_counter() - t)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after.ru_utime + after.ru_stime
                                 - before.ru_utime - before.ru_stime)
    base = statistics.median(times["python -c pass"])
    cpu_base = statistics.median(cpu["python -c pass"])
    load = os.getloadavg()[0]
    print(f"median of {a.repeats} interleaved runs each (load average {load:.1f}):")
    for name, ts in times.items():
        med, c = statistics.median(ts), statistics.median(cpu[name])
        print(f"  {name:51s} {med * 1e3:5.0f} ms ({med / base:4.1f}x python -c pass), "
              f"CPU {c * 1e3:4.0f} ms ({c / cpu_base:4.1f}x)")


if __name__ == "__main__":
    main()
