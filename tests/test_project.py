"""The repository itself: pinned set-up files, the kernel, quiet TensorFlow, and lesson hygiene."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.numerics import kernel_environment

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_requirements_are_pinned_and_install_the_package():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert requirements[-1] == "-e ."
    for requirement in requirements[:-1]:  # an exact pin, with an environment marker where platforms differ
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.]*(; .+)?", requirement), requirement
    names = {r.split("==")[0].lower() for r in requirements[:-1]}
    for needed in ("tensorflow-cpu", "tensorflow", "keras", "jupyterlab", "ipywidgets", "matplotlib", "graphviz", "nbval", "pytest"):
        assert needed in names


def test_apt_txt_lists_graphviz():
    assert "graphviz" in (ROOT / "apt.txt").read_text().split()


def test_ci_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", script, re.M)


def test_readme_gives_the_two_commands_and_every_lesson():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    for lesson in LESSONS:
        assert lesson.stem in readme, f"README does not list {lesson.stem}"


def test_course_kernel_is_registered_with_the_course_numeric_set_up():
    kernel = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    if not kernel.exists():
        pytest.fail("run `make test` (it registers the course kernel) rather than bare pytest")
    spec = json.loads(kernel.read_text())
    assert spec["env"] == kernel_environment()
    assert Path(spec["argv"][0]).resolve() == Path(sys.executable).resolve()


def run_in_kernel(*sources: str) -> list[dict]:
    """Outputs of running ``sources`` in a kernel that forwards fd-level output as JupyterLab does.

    ipykernel stops capturing output written straight to file descriptor 2 (where
    TensorFlow's C++ banner goes) when PYTEST_CURRENT_TEST is set, so it is removed
    from the kernel's environment here.
    """
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    saved = os.environ.pop("PYTEST_CURRENT_TEST", None)
    try:
        NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    finally:
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved
    return [output for cell in notebook.cells for output in cell.outputs]


def test_tensorflow_start_up_is_silent_but_errors_still_show():
    outputs = run_in_kernel(
        "import os\nfor key in ('TF_CPP_MIN_LOG_LEVEL', 'TF_ENABLE_ONEDNN_OPTS'):\n    os.environ.pop(key, None)",
        "import course_utils\nimport keras\nimport tensorflow as tf\nprint(keras.backend.backend())",
        "import warnings\nwarnings.warn('a real problem')",
    )
    streams = [(o["name"], o["text"]) for o in outputs if o["output_type"] == "stream"]
    assert ("stdout", "tensorflow\n") in streams
    stderr = "".join(text for name, text in streams if name == "stderr")
    assert "a real problem" in stderr
    for noise in ("oneDNN", "cpu_feature_guard", "absl::InitializeLog"):
        assert noise not in stderr


def test_the_noise_check_above_can_fail():
    """Negative control: without course_utils and the kernel's env, TensorFlow's start-up noise does reach the notebook.

    Which lines appear depends on the CPU: the oneDNN banner only where TensorFlow turns oneDNN on by
    default (it did on the Intel machines the course was first built on, not on an AMD EPYC), the
    cpu_feature_guard and absl lines on both.
    """
    outputs = run_in_kernel(
        "import os\nfor key in ('TF_CPP_MIN_LOG_LEVEL', 'TF_ENABLE_ONEDNN_OPTS'):\n    os.environ.pop(key, None)",
        "import keras",
    )
    stderr = "".join(o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr")
    assert any(noise in stderr for noise in ("oneDNN", "cpu_feature_guard", "absl::InitializeLog")), stderr


# ------------------------------------------------------------------ lessons
def load(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_the_first_three_lessons_exist():
    stems = [lesson.stem for lesson in LESSONS]
    assert stems[:3] == ["00_welcome", "01_sequential", "02_functional_basics"]


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_was_executed_top_to_bottom(path):
    counts = [cell.execution_count for cell in code_cells(load(path))]
    assert counts == list(range(1, len(counts) + 1)), "re-run with: python -m course_utils.notebooks " + str(path)


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_follows_the_course_conventions(path):
    notebook = load(path)
    assert notebook.metadata.kernelspec.name == "python3"
    cells = code_cells(notebook)
    first = cells[0].source
    assert "import course_utils" in first or "from course_utils" in first
    if "keras" in first:
        assert first.index("course_utils") < first.index("keras"), "import course_utils before keras"
    sources = "\n".join(cell.source for cell in cells)
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown").lower()
    assert "NBVAL_IGNORE_OUTPUT" not in sources and "NBVAL_SKIP" not in sources
    assert "verbose=1" not in sources
    assert "model_graph(" in sources or "compare(" in sources
    assert "Explorer(" in sources, "every lesson has at least one explorer"
    assert "recap" in markdown
    assert "you will learn" in markdown or "objectives" in markdown
    assert not re.search(r"(load_data|get_file|tfds\.|weights=['\"]imagenet)", sources), "no downloads"
    for cell in cells:
        for output in cell.outputs:
            assert output.get("output_type") != "error" or "raises-exception" in cell.metadata.get("tags", [])


# ------------------------------------------------------------------ errors as a learner needs them
SOLUTIONS = sorted((ROOT / "solutions").glob("ex[0-9][0-9]_*.ipynb"))
MACHINE_PATH = re.compile(r"(?<![\w.~])/(?:home|root|work|usr|tmp|opt|srv|var|Users)/|site-packages|dist-packages")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def error_lines(output) -> list[str]:
    return ANSI.sub("", "\n".join(output.traceback)).splitlines()


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=[p.stem for p in LESSONS + SOLUTIONS])
def test_no_stored_output_names_a_machine_path(path):
    for index, cell in enumerate(code_cells(load(path))):
        for output in cell.outputs:
            found = MACHINE_PATH.search(json.dumps(output, ensure_ascii=False))
            assert found is None, f"cell {index} shows a path of this machine ({found.group(0)!r}); see course_utils.errors"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_intended_errors_fit_in_25_lines(path):
    from course_utils.errors import MAX_LINES

    notebook = load(path)
    errors = [(i, o) for i, c in enumerate(code_cells(notebook)) for o in c.outputs if o.output_type == "error"]
    too_long = [i for i, output in errors if len(error_lines(output)) > MAX_LINES]
    if path.stem == "01_sequential":  # where reading a traceback is taught: exactly one full one
        full = [i for i, output in errors if any(line.startswith("File keras/") for line in error_lines(output))]
        assert len(full) == 1, "lesson 01 keeps one full traceback (show_tracebacks('full'))"
        too_long = [i for i in too_long if i not in full]
    assert too_long == [], f"code cells {too_long} store tracebacks longer than {MAX_LINES} lines"
    if errors:
        first = code_cells(notebook)[0].source
        assert 'show_tracebacks("short")' in first, "turn on short tracebacks in the first cell"


def test_widget_ids_are_renumbered_once_even_when_a_notebook_is_written_twice(tmp_path):
    """Ids already numbered in another order (a stored notebook written again) map one to one, never onto each other."""
    from course_utils.notebooks import write_notebook

    first, second = f"{1:032x}", f"{2:032x}"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("w")])
    notebook.cells[0].outputs = [
        nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": second, "version_major": 2, "version_minor": 0}})
    ]
    notebook.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {second: {"model_name": "A"}, first: {"model_name": "B"}}, "version_major": 2, "version_minor": 0}
    }
    path = tmp_path / "twice.ipynb"
    write_notebook(notebook, path)
    stored = json.loads(path.read_text())
    state = stored["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert {key: value["model_name"] for key, value in state.items()} == {first: "A", second: "B"}
    assert stored["cells"][0]["outputs"][0]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] == first
