"""How fast is drawing a model? course_utils.graph against keras.utils.model_to_dot, in one run.

For each keras.applications model (weights=None, nothing downloaded) it times, with
the model already built:

* ours:     model_graph(model) + .svg()                       (graph walk, DOT text, dot -> SVG)
* baseline: keras.utils.model_to_dot(model, show_shapes=True)
            + .create(format="svg")                           (what plot_model does, minus the PNG file)

Each side is run REPEATS times alternately; the table shows medians and the ratio
baseline / ours (above 1 means ours is faster).

``.svg()`` hands the graph to one long-lived ``dot`` process per Python process
(:mod:`course_utils.dot`), so a kernel pays dot's start-up once; the baseline starts
``dot`` for every drawing, as plot_model does. The column "ours, cold" times one
drawing that has to start that helper first (what the very first drawing of a
kernel costs); the ratio uses the usual, warm drawings.

Run:  .venv/bin/python benchmarks/graph_render.py [--repeats 3] [--models ResNet50 ...]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time

import course_utils  # noqa: F401  (quiet TensorFlow)
import keras

from course_utils.dot import close_helper
from course_utils.graph import dot_available, model_graph

DEFAULT_MODELS = ["MobileNetV3Small", "ResNet50", "EfficientNetB0", "InceptionV3", "DenseNet121", "ConvNeXtTiny"]


def ours(model: keras.Model) -> int:
    return len(model_graph(model).svg())


def baseline(model: keras.Model) -> int:
    return len(keras.utils.model_to_dot(model, show_shapes=True).create(format="svg"))


def cold(model: keras.Model) -> float:
    close_helper()
    return timed(ours, model)


def timed(function, model) -> float:
    start = time.perf_counter()
    function(model)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side and model (default 3)")
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, help="keras.applications constructors")
    args = parser.parse_args(argv)
    if not dot_available():
        print("Graphviz's `dot` is needed for this benchmark: run `make lab` or `apt-get install graphviz`.")
        return 2
    print(f"keras {keras.version()}, {args.repeats} timed runs per side (after one warm-up), medians in seconds\n")
    header = f"{'model':<18} {'layers':>6} {'edges':>6} {'ours, cold':>10} {'ours (s)':>9} {'model_to_dot (s)':>17} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    ratios: list[float] = []
    failures: list[str] = []
    for name in args.models:
        model = getattr(keras.applications, name)(weights=None)
        graph = model_graph(model)
        ours(model)  # warm-up: imports, first dot start
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):  # pydot prints dot's output when dot fails
                baseline(model)
        except Exception as error:  # pydot raises a bare AssertionError when dot crashes
            text = (str(error) + "\n" + printed.getvalue()).replace("\\n", "\n")  # dot's stderr arrives as a bytes repr
            said = [line.strip(" b'\"") for line in text.splitlines()]
            reason = next((line for line in said if "overflow" in line or "Error" in line), type(error).__name__)[:80]
            first = cold(model)
            mine = statistics.median(timed(ours, model) for _ in range(args.repeats))
            print(f"{name:<18} {len(graph.nodes):>6} {len(graph.edges):>6} {first:>10.3f} {mine:>9.3f} {'FAILED':>17} {'-':>7}")
            failures.append(f"{name}: model_to_dot's SVG failed in dot: {reason}")
            continue
        first = cold(model)
        ours_times, base_times = [], []
        for _ in range(args.repeats):
            ours_times.append(timed(ours, model))
            base_times.append(timed(baseline, model))
        mine, theirs = statistics.median(ours_times), statistics.median(base_times)
        ratios.append(theirs / mine)
        print(f"{name:<18} {len(graph.nodes):>6} {len(graph.edges):>6} {first:>10.3f} {mine:>9.3f} {theirs:>17.3f} {theirs / mine:>6.1f}x")
        sys.stdout.flush()
    print("-" * len(header))
    if ratios:
        print(f"geometric mean speed-up: {statistics.geometric_mean(ratios):.1f}x  (target: 2x or more)")
    for failure in failures:
        print(failure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
