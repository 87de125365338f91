"""How long does each lesson take? Wall time against a floor measured in the same run.

For every lesson (or the notebooks given), it executes the notebook top to bottom in
a fresh kernel (nbclient, outputs discarded) and times it. The floor is a fresh
kernel that only imports TensorFlow and Keras (through course_utils, as every lesson
does), timed the same way. The table shows each lesson's wall time, the floor, the
lesson's own compute (wall − floor) and the ratio wall / floor. The course's
budget is 20 s of compute per lesson.

Run:  .venv/bin/python benchmarks/notebooks.py [notebooks/03_branching.ipynb ...] [--repeats 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 20.0


def run(notebook: nbformat.NotebookNode, folder: Path) -> float:
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def floor_notebook() -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import course_utils\nimport keras\nimport tensorflow")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: every lesson in notebooks/)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per notebook; the median is shown")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
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
