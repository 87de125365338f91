"""How fast does a live explorer answer? Control change -> new graph and summary ready, per explorer.

For every lesson (or the notebooks given) it executes the notebook top to bottom in a
fresh kernel (the course kernel, as a learner's JupyterLab would), then, in that same
kernel, finds every ModelExplorer and PlotExplorer the lesson made (through the garbage
collector, so explorers that are not bound to a name count too) and, for each of them:

* picks several new values for each control (slider steps across its range, every
  dropdown option, both checkbox states), one control at a time;
* before each change, empties the explorer's cache (so each change is a real rebuild);
* times ``control.value = new``: the observer runs synchronously, so when the assignment
  returns, the model is rebuilt, its graph drawn to SVG by Graphviz and the summary and
  graph widgets hold their new values (PlotExplorer: figure drawn and encoded as PNG).
  That is the kernel's share of the latency; the browser adds about 0.1 s to show it.

It also times the parts of one rebuild separately (ModelExplorer: builder, model_graph,
SVG; PlotExplorer: draw, PNG) to show where the time goes. The table gives the median
and the 90th percentile per explorer. Target: median <= 150 ms for lesson-sized models.
Settings the builder rejects (the explorer then shows a message instead of a graph, which
is quick) are left out of the statistics and counted in the "rejects" column.

Run:  .venv/bin/python benchmarks/widget_latency.py [notebooks/04_merging.ipynb ...]
          [--values 6] [--profile]   (--profile: cProfile of the slowest explorer's rebuild)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 150.0
MARKER = "@@WIDGET_LATENCY@@"

# Runs inside the lesson's kernel, after the lesson itself; prints one JSON line.
PROBE = r'''
def __widget_latency_probe(values_per_control, profile):
    import cProfile, gc, io, json, pstats, resource, time

    def cpu():  # this kernel (all threads) + finished children (Graphviz's dot)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime
    import ipywidgets as widgets
    from course_utils import widgets as cw
    from course_utils.graph import model_graph

    def candidates(control, limit):
        current = control.value
        if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
            return [not current]
        options = getattr(control, "options", None)
        if options is not None and not isinstance(control, (widgets.IntSlider, widgets.FloatSlider)):
            values = [o[1] if isinstance(o, tuple) else o for o in options]
            if isinstance(options, dict):
                values = list(options.values())
        elif isinstance(control, (widgets.IntSlider, widgets.BoundedIntText, widgets.IntRangeSlider)):
            step = control.step or 1
            values = list(range(control.min, control.max + 1, step))
        elif isinstance(control, (widgets.FloatSlider, widgets.FloatLogSlider, widgets.BoundedFloatText)):
            n = max(limit, 2)
            values = [round(control.min + (control.max - control.min) * k / (n - 1), 6) for k in range(n)]
            if isinstance(control, widgets.FloatLogSlider):
                values = [control.base ** v for v in values]
        else:
            return []
        values = [v for v in values if v != current]
        if len(values) > limit:  # spread the picks across the range
            values = [values[round(k * (len(values) - 1) / (limit - 1))] for k in range(limit)]
        return values

    found = []
    for obj in gc.get_objects():
        try:
            if isinstance(obj, (cw.ModelExplorer, cw.PlotExplorer)):
                found.append(obj)
        except Exception:
            pass
    report = []
    for explorer in found:
        kind = type(explorer).__name__
        start_values = dict(explorer.values)
        label = ", ".join(f"{k}={v!r}" for k, v in start_values.items())
        totals, cpus, rejects, parts = [], [], 0, {}
        for name, control in explorer.controls.items():
            original = control.value
            for value in candidates(control, values_per_control):
                explorer._cache.clear()
                c0, t0 = cpu(), time.perf_counter()
                control.value = value
                wall, used = time.perf_counter() - t0, cpu() - c0
                if kind == "ModelExplorer" and explorer.view.error is not None:
                    rejects += 1  # the builder refused this setting: a message, no graph (not timed)
                    continue
                if kind == "PlotExplorer" and explorer._message.value:
                    rejects += 1
                    continue
                totals.append(wall)
                cpus.append(used)
                # where the time goes: the same rebuild, in parts
                params = explorer.values
                if kind == "ModelExplorer":
                    from course_utils.training import reset
                    t0 = time.perf_counter(); reset(explorer.seed)
                    t1 = time.perf_counter()
                    try:
                        model = explorer.builder(**params)
                    except Exception:
                        continue
                    t2 = time.perf_counter(); graph = model_graph(model, **explorer.graph_options)
                    t3 = time.perf_counter(); graph.svg()
                    t4 = time.perf_counter()
                    for part, seconds in (("reset", t1 - t0), ("build", t2 - t1), ("graph", t3 - t2), ("svg", t4 - t3)):
                        parts.setdefault(part, []).append(seconds)
                    parts.setdefault("layers", []).append(len(graph.nodes))
                else:
                    import matplotlib.pyplot as plt
                    t0 = time.perf_counter()
                    figure = explorer.draw(**params)
                    t1 = time.perf_counter()
                    cw._figure_png(figure if figure is not None else plt.gcf())
                    t2 = time.perf_counter()
                    parts.setdefault("draw", []).append(t1 - t0)
                    parts.setdefault("png", []).append(t2 - t1)
            explorer._cache.clear()
            control.value = original
        entry = {"kind": kind, "setting": label, "times": totals, "cpu": cpus, "rejects": rejects, "parts": parts}
        if profile and totals:
            explorer._cache.clear()
            name, control = next(iter(explorer.controls.items()))
            values = candidates(control, 2)
            if values:
                profiler = cProfile.Profile()
                original = control.value
                profiler.enable(); control.value = values[0]; profiler.disable()
                explorer._cache.clear(); control.value = original
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(18)
                entry["profile"] = text.getvalue()
        report.append(entry)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print("@@WIDGET_LATENCY@@" + json.dumps({"explorers": report, "peak_rss_mb": peak_mb}))

__widget_latency_probe(%(values)d, %(profile)s)
'''


def measure(path: Path, values: int, profile: bool) -> dict:
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE % {"values": values, "profile": profile}))
    client = NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent.resolve())}}
    )
    client.execute()
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.get("output_type") == "stream")
    line = next((ln for ln in text.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"{path.name}: the probe printed nothing: {notebook.cells[-1].outputs}")
    return json.loads(line[len(MARKER):])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lesson in notebooks/")
    parser.add_argument("--values", type=int, default=6, help="new values tried per control (default 6)")
    parser.add_argument("--profile", action="store_true", help="cProfile one rebuild of each explorer over target")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(f"control change -> new graph + summary ready, in the lesson's kernel; target median <= {TARGET_MS:.0f} ms")
    print("median / p90: wall time; cpu: median CPU time of the kernel + dot (what a busy machine cannot inflate)")
    print("parts = median wall time per rebuild: builder / model_graph / SVG (ModelExplorer), draw / PNG (PlotExplorer)\n")
    header = f"{'lesson':<28} {'explorer':<14} {'layers':>6} {'n':>3} {'rejects':>7} {'median ms':>9} {'p90 ms':>7} {'cpu ms':>6}  parts (ms)"
    print(header)
    print("-" * (len(header) + 14))
    results, slow, peaks = {}, [], {}
    for path in paths:
        try:
            measured = measure(path, args.values, args.profile)
            explorers = measured["explorers"]
            peaks[path.stem] = measured["peak_rss_mb"]
        except Exception as error:  # a lesson that does not run is reported, the others still measured
            print(f"{path.stem:<28} could not be measured: {type(error).__name__}: {str(error).splitlines()[0][:120]}")
            continue
        results[path.stem] = measured
        if not explorers:
            print(f"{path.stem:<28} (no explorer)")
        for entry in explorers:
            times = entry["times"]
            if not times:
                print(f"{path.stem:<28} {entry['kind']:<14} (no new setting that builds; rejects: {entry['rejects']})")
                continue
            median, p90 = statistics.median(times), percentile(times, 0.9)
            parts = entry["parts"]
            layers = f"{max(parts['layers'])}" if parts.get("layers") else "-"
            names = ("build", "graph", "svg") if entry["kind"] == "ModelExplorer" else ("draw", "png")
            split = " / ".join(ms(statistics.median(parts[n])) if parts.get(n) else "-" for n in names)
            flag = "" if median * 1000 <= TARGET_MS else "  <-- over target"
            print(
                f"{path.stem:<28} {entry['kind']:<14} {layers:>6} {len(times):>3} {entry['rejects']:>7}"
                f" {ms(median):>9} {ms(p90):>7} {ms(statistics.median(entry['cpu'])):>6}  {split}{flag}"
            )
            if flag:
                slow.append((path.stem, entry))
        sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print()
    if peaks:
        stem = max(peaks, key=peaks.get)
        print(f"kernel memory (peak RSS after the lesson and its explorers): up to {peaks[stem]:.0f} MB ({stem})")
    if slow:
        print(f"{len(slow)} explorer(s) over the {TARGET_MS:.0f} ms median target:")
        for stem, entry in slow:
            print(f"  {stem}: {entry['kind']} starting at {entry['setting']}")
            if entry.get("profile"):
                print("\n".join("      " + ln for ln in entry["profile"].splitlines() if ln.strip()))
    else:
        print(f"every explorer answers within the {TARGET_MS:.0f} ms median target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
