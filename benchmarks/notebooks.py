"""How long does each lesson take? Wall time against a floor measured in the same run.

For every lesson (or the notebooks given), it executes the notebook top to bottom in
a fresh kernel (nbclient, outputs discarded) and times it. The floor is a fresh
kernel that only imports TensorFlow and Keras (through course_utils, as every lesson
does), timed the same way. The table shows each lesson's wall time, the floor, the
lesson's own compute (wall − floor) and the ratio wall / floor. The course's
budget is 20 s of compute per lesson.

With ``--numerics`` it measures what the course's numeric pin (``course_utils.numerics``: oneDNN
capped at AVX2, one intra-op thread) costs: each lesson runs in a kernel without the pin (the
machine's own instruction set, one thread per core) and in the course kernel, alternating, and
the table shows both and their ratio.

Run:  .venv/bin/python benchmarks/notebooks.py [notebooks/03_branching.ipynb ...] [--repeats 1] [--numerics]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 20.0
sys.path.insert(0, str(ROOT))
from course_utils.numerics import QUIET, kernel_environment  # noqa: E402

#: A kernel without the pin: oneDNN's own choice of instruction set, TensorFlow's own thread count
#: (explicit values, because ``import course_utils`` would otherwise set the pin).
UNPINNED = {**QUIET, "ONEDNN_MAX_CPU_ISA": "ALL", "TF_NUM_INTRAOP_THREADS": "0"}


def run(notebook: nbformat.NotebookNode, folder: Path) -> float:
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def kernel_folder(into: Path, env: dict[str, str]) -> str:
    """A Jupyter data folder whose ``python3`` kernel is this Python with ``env``."""
    spec = into / "kernels" / "python3"
    spec.mkdir(parents=True)
    kernel = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "bench",
              "language": "python", "env": env}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return str(into)


def compare_numerics(paths: list[Path], repeats: int) -> int:
    """Each lesson without and with the pin, alternating; medians and their ratio."""
    with tempfile.TemporaryDirectory() as scratch:
        folders = {
            "unpinned": kernel_folder(Path(scratch) / "unpinned", UNPINNED),
            "pinned": kernel_folder(Path(scratch) / "pinned", kernel_environment()),
        }
        saved = os.environ.get("JUPYTER_PATH")
        header = f"{'notebook':<36} {'unpinned (s)':>13} {'pinned (s)':>11} {'pinned/unpinned':>16}"
        print(f"unpinned: {UNPINNED}\npinned:   {kernel_environment()}\n\n{header}\n{'-' * len(header)}")
        totals = {"unpinned": 0.0, "pinned": 0.0}
        try:
            for path in paths:
                times: dict[str, list[float]] = {"unpinned": [], "pinned": []}
                for repeat in range(repeats):
                    order = ("unpinned", "pinned") if repeat % 2 == 0 else ("pinned", "unpinned")
                    for kind in order:
                        os.environ["JUPYTER_PATH"] = folders[kind]
                        times[kind].append(run(nbformat.read(path, as_version=4), path.parent))
                medians = {kind: statistics.median(values) for kind, values in times.items()}
                for kind in totals:
                    totals[kind] += medians[kind]
                print(f"{path.stem:<36} {medians['unpinned']:>13.1f} {medians['pinned']:>11.1f} {medians['pinned'] / medians['unpinned']:>15.2f}x")
                sys.stdout.flush()
        finally:
            if saved is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = saved
        print("-" * len(header))
        print(f"{'all':<36} {totals['unpinned']:>13.1f} {totals['pinned']:>11.1f} {totals['pinned'] / totals['unpinned']:>15.2f}x")
    return 0


def floor_notebook() -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import course_utils\nimport keras\nimport tensorflow")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: every lesson in notebooks/)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per notebook; the median is shown")
    parser.add_argument("--numerics", action="store_true", help="compare each lesson without and with the numeric pin")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.numerics:
        return compare_numerics(paths, max(1, args.repeats))
    floors = [run(floor_notebook(), ROOT) for _ in range(max(3, args.repeats))]
    floor = statistics.median(floors)
    print(f"floor (fresh kernel + `import tensorflow`): median {floor:.1f} s of {len(floors)} runs\n")
    header = f"{'notebook':<36} {'wall (s)':>9} {'floor (s)':>10} {'compute (s)':>12} {'ratio':>6}  budget"
    print(header)
    print("-" * len(header))
    over = []
    for path in paths:
        times = [run(nbformat.read(path, as_version=4), path.parent) for _ in range(args.repeats)]
        wall = statistics.median(times)
        compute = wall - floor
        ok = compute <= BUDGET_SECONDS
        if not ok:
            over.append(path.stem)
        print(f"{path.stem:<36} {wall:>9.1f} {floor:>10.1f} {compute:>12.1f} {wall / floor:>5.1f}x  {'ok' if ok else 'OVER'}")
        sys.stdout.flush()
    print("-" * len(header))
    print(f"budget: floor + {BUDGET_SECONDS:.0f} s;", "all within" if not over else f"over: {', '.join(over)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
