"""course_utils.errors: short, path-free tracebacks in a real IPython shell."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from course_utils.errors import HIDDEN_NOTE, MAX_LINES, relative_paths, show_tracebacks

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MACHINE_PATH = re.compile(r"(?<![\w.~])/(?:home|root|work|usr|tmp|opt|Users)/|site-packages")

FAILING_CELL = 'import json\nsettings = "{"\njson.loads(settings)\n'


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    yield shell
    shell.set_custom_exc((), None)


def run(shell, capsys, code):
    capsys.readouterr()
    result = shell.run_cell(code)
    return result, ANSI.sub("", capsys.readouterr().out)


def test_short_form_has_type_learner_line_and_message_only(shell, capsys):
    show_tracebacks("short", shell=shell)
    result, text = run(shell, capsys, FAILING_CELL)
    assert not result.success and type(result.error_in_exec).__name__ == "JSONDecodeError"
    assert "JSONDecodeError" in text and "json.loads(settings)" in text
    assert "Expecting property name enclosed in double quotes" in text
    assert HIDDEN_NOTE in text
    assert "decoder.py" not in text  # the library frames are gone
    assert not MACHINE_PATH.search(text), text
    assert len(text.strip().splitlines()) <= MAX_LINES


def test_full_form_keeps_every_frame_with_relative_paths(shell, capsys):
    show_tracebacks("full", shell=shell)
    _, text = run(shell, capsys, FAILING_CELL)
    assert "File json/decoder.py:" in text and "json.loads(settings)" in text
    assert not re.search(r"\S+/lib/python3\.\d+/", text) and not MACHINE_PATH.search(text)
    assert HIDDEN_NOTE not in text


def test_ipython_form_is_untouched_and_shows_the_machine_path(shell, capsys):
    show_tracebacks("ipython", shell=shell)
    _, text = run(shell, capsys, FAILING_CELL)
    assert re.search(r"\S+/lib/python3\.\d+/json/decoder\.py", text)  # what the two forms above remove


def test_an_error_in_the_learners_own_function_keeps_both_of_their_frames(shell, capsys):
    show_tracebacks("short", shell=shell)
    _, text = run(shell, capsys, 'def pick(table):\n    return table["missing"]\n\npick({})\n')
    assert "----> 4 pick({})" in text and '----> 2     return table["missing"]' in text
    assert HIDDEN_NOTE not in text  # nothing of a library was hidden
    assert text.strip().endswith("KeyError: 'missing'")


def test_a_chained_error_shows_only_the_last_one(shell, capsys):
    show_tracebacks("short", shell=shell)
    code = 'import json\ntry:\n    json.loads("{")\nexcept ValueError as error:\n    raise KeyError("no settings") from error\n'
    result, text = run(shell, capsys, code)
    assert "KeyError: 'no settings'" in text and "JSONDecodeError" not in text
    assert result.error_in_exec.__cause__ is not None  # the exception object itself is left as it was


def test_a_long_message_is_cut_to_the_line_budget(shell, capsys):
    show_tracebacks("short", shell=shell)
    message = "\\n".join(f"line {i}" for i in range(60))
    _, text = run(shell, capsys, f'raise ValueError("{message}")\n')
    lines = text.strip().splitlines()
    assert len(lines) <= MAX_LINES
    assert "ValueError: line 0" in text and "more lines" in lines[-1]
    assert "----> 1 raise ValueError(" in text  # the learner's line survives the cut


def test_bad_mode_and_no_shell():
    with pytest.raises(ValueError, match="'short', 'full', 'ipython'"):
        show_tracebacks("compact")
    if InteractiveShell.initialized():
        InteractiveShell.clear_instance()
    with pytest.raises(RuntimeError, match="inside Jupyter or IPython"):
        show_tracebacks("short")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("File /srv/env/lib/python3.12/site-packages/keras/src/ops/core.py:7", "File keras/src/ops/core.py:7"),
        ("/usr/local/lib/python3.13/dist-packages/numpy/x.py", "numpy/x.py"),
        ("File /usr/lib/python3.11/json/decoder.py:355", "File json/decoder.py:355"),
        ("File ~/.pyenv/versions/3.11.7/lib/python3.11/json/decoder.py:3", "File json/decoder.py:3"),
        (f"{Path.home()}/course/model.py", "~/course/model.py"),
        (f"{Path(__file__).resolve().parent.parent}/course_utils/graph.py", "course_utils/graph.py"),
        ("Cell In[3], line 2", "Cell In[3], line 2"),
    ],
)
def test_relative_paths(text, expected):
    assert relative_paths(text) == expected
