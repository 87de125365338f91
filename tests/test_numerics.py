"""The numeric set-up of course kernels and the tolerant comparison of numbers (course_utils.numerics).

The fast half: the rules on strings and environments. The plugin half runs nbval for real on
a one-cell notebook whose stored output is edited: a number moved within the tolerance passes
only in the tolerant mode, a number moved beyond it, or a whole number changed, fails in both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils import numerics
from course_utils.nbval_numbers import agree_within_tolerance
from course_utils.numerics import (
    PINNED,
    QUIET,
    TOLERANCE,
    apply_kernel_environment,
    comparison_mode,
    kernel_environment,
    number_differences,
    numbers_agree,
)

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ the set-up
def test_x86_64_kernels_get_the_quiet_start_up_and_every_pin():
    assert kernel_environment(machine="x86_64") == {**QUIET, **PINNED}
    assert kernel_environment(machine="AMD64")["ONEDNN_MAX_CPU_ISA"] == "AVX2"  # Windows' name for it


def test_other_processors_get_no_x86_instruction_set_cap():
    for machine in ("arm64", "aarch64"):
        env = kernel_environment(machine=machine)
        assert "ONEDNN_MAX_CPU_ISA" not in env
        assert env["TF_NUM_INTRAOP_THREADS"] == "1"


def test_apply_keeps_what_is_already_set_and_fills_the_rest():
    env = {"ONEDNN_MAX_CPU_ISA": "SSE41"}
    apply_kernel_environment(env)
    assert env["ONEDNN_MAX_CPU_ISA"] == "SSE41"
    assert env["TF_NUM_INTRAOP_THREADS"] == "1" and env["TF_ENABLE_ONEDNN_OPTS"] == "0"


def test_importing_course_utils_gives_the_process_the_set_up():
    code = "import os, course_utils; print(sorted((k, os.environ[k]) for k in course_utils.numerics.kernel_environment()))"
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == str(sorted(kernel_environment().items()))


# ------------------------------------------------------------------ comparing numbers
@pytest.mark.parametrize(
    ("stored", "fresh"),
    [
        ("loss 0.414  accuracy 0.967", "loss 0.414  accuracy 0.967"),
        ("loss 0.414  accuracy 0.967", "loss 0.420  accuracy 0.960"),
        ("mean 97.5 %", "mean 98.9 %"),  # relative part: 2 % of 98.9 is 1.98
        ("lr 1e-05", "lr 1.01e-05"),
        ("norm 1.2e-03", "norm 1.22e-03"),
        ("delta -0.003", "delta 0.004"),
        ("nan vs 0.5", "nan vs 0.5"),
    ],
)
def test_numbers_within_the_tolerance_agree(stored, fresh):
    assert numbers_agree(stored, fresh)


@pytest.mark.parametrize(
    ("stored", "fresh"),
    [
        ("loss 0.414", "loss 0.514"),  # beyond the tolerance
        ("norm 1.2e-03", "norm 1.5e-03"),  # exponents: the absolute part counts in the number's own units
        ("val_accuracy 1.000", "val_accuracy 0.958"),
        ("(None, 8, 8, 16)", "(None, 8, 8, 17)"),  # whole numbers are exact
        ("Total params: 1,234", "Total params: 1,235"),
        ("loss 0.414", "lost 0.414"),  # words are exact
        ("loss 0.414", "loss 0.414 0.1"),  # one number more
        ("epoch 3/4  loss 0.414", "epoch 4/4  loss 0.414"),
    ],
)
def test_other_differences_never_agree(stored, fresh):
    assert not numbers_agree(stored, fresh)


def test_number_differences_name_the_numbers_beyond_the_tolerance():
    assert number_differences("a 0.100 b 0.200", "a 0.105 b 0.300") == [("0.200", "0.300")]
    assert number_differences("a 0.1", "b 0.1") is None


def test_the_tolerance_is_stated_once_and_printed_in_the_header():
    assert str(TOLERANCE) in comparison_mode({numerics.COMPARISON_VARIABLE: "tolerant"}).header()
    assert str(TOLERANCE) in (ROOT / "README.md").read_text()


def test_paired_outputs_take_the_stored_text_only_when_they_agree():
    stored = [
        {"output_type": "stream", "name": "stdout", "text": "loss 0.414\n"},
        {"output_type": "execute_result", "data": {"text/plain": "0.25", "text/html": "<b>0.25</b>"}},
    ]
    fresh = [
        {"output_type": "stream", "name": "stdout", "text": "loss 0.900\n"},
        {"output_type": "execute_result", "data": {"text/plain": "0.26", "text/html": "<i>0.26</i>"}},
    ]
    out = agree_within_tolerance(fresh, stored)
    assert out[0]["text"] == "loss 0.900\n"  # beyond: left for nbval to report
    assert out[1]["data"] == {"text/plain": "0.25", "text/html": "<i>0.26</i>"}
    assert fresh[1]["data"]["text/plain"] == "0.26"  # the fresh outputs themselves are not changed


# ------------------------------------------------------------------ which mode
def test_the_mode_can_be_chosen_by_hand_and_a_bad_value_is_named():
    assert comparison_mode({numerics.COMPARISON_VARIABLE: "Exact"}).name == "exact"
    with pytest.raises(ValueError, match="'exact' or 'tolerant', not 'loose'"):
        comparison_mode({numerics.COMPARISON_VARIABLE: "loose"})


def test_exact_only_on_linux_x86_64_with_avx2_a_32_kib_l1_and_the_pins(monkeypatch):
    monkeypatch.setattr(numerics.sys, "platform", "linux")
    monkeypatch.setattr(numerics.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(numerics, "_cpu_has_avx2", lambda: True)
    monkeypatch.setattr(numerics, "l1_data_cache", lambda: 32 * 1024)
    assert comparison_mode(kernel_environment()).name == "exact"
    changed = comparison_mode({**kernel_environment(), "ONEDNN_MAX_CPU_ISA": "SSE41"})
    assert changed.tolerant and "ONEDNN_MAX_CPU_ISA=SSE41" in changed.reason
    assert comparison_mode({**kernel_environment(), "TF_NUM_INTRAOP_THREADS": "4"}).tolerant
    monkeypatch.setattr(numerics, "l1_data_cache", lambda: 48 * 1024)  # Intel since Ice Lake, AMD Zen 5
    assert "L1 data cache 48 KiB" in comparison_mode(kernel_environment()).reason
    monkeypatch.setattr(numerics, "l1_data_cache", lambda: None)
    assert comparison_mode(kernel_environment()).tolerant
    monkeypatch.setattr(numerics, "l1_data_cache", lambda: 32 * 1024)
    monkeypatch.setattr(numerics, "_cpu_has_avx2", lambda: False)
    assert "no AVX2" in comparison_mode({}).reason
    monkeypatch.setattr(numerics.platform, "machine", lambda: "aarch64")
    assert comparison_mode({}).tolerant
    monkeypatch.setattr(numerics.platform, "machine", lambda: "AMD64")
    monkeypatch.setattr(numerics.sys, "platform", "win32")
    assert comparison_mode({}).tolerant  # Windows' TensorFlow is built by another compiler


# ------------------------------------------------------------------ the plugin, through nbval
def _notebook(folder: Path, stored_text: str) -> Path:
    cell = nbformat.v4.new_code_cell('print("epoch 1/1  loss 0.414  layers 3")')
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored_text)]
    cell.execution_count = 1
    path = folder / "numbers.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


def _nbval(path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    # The plugin loaded by name, as the README tells someone with an installed course to run nbval.
    command = [
        sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-p", "course_utils.nbval_numbers",
        "--nbval", "--nbval-current-env", "--rootdir", str(path.parent), str(path),
    ]
    env = {**os.environ, numerics.COMPARISON_VARIABLE: mode}
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


@pytest.mark.parametrize(
    ("stored", "mode", "passes"),
    [
        ("epoch 1/1  loss 0.414  layers 3\n", "exact", True),
        ("epoch 1/1  loss 0.420  layers 3\n", "exact", False),  # exact means exact
        ("epoch 1/1  loss 0.420  layers 3\n", "tolerant", True),
        ("epoch 1/1  loss 0.514  layers 3\n", "tolerant", False),  # the negative control: beyond the tolerance
        ("epoch 1/1  loss 0.414  layers 4\n", "tolerant", False),  # a whole number never drifts
    ],
)
def test_nbval_compares_numbers_as_the_mode_says(tmp_path, stored, mode, passes):
    result = _nbval(_notebook(tmp_path, stored), mode)
    assert f"course outputs: {mode}" in result.stdout  # the header says which comparison ran
    assert (result.returncode == 0) == passes, result.stdout[-3000:]


def test_the_examples_in_the_docstrings_hold():
    import doctest

    from course_utils import nbval_numbers

    for module in (numerics, nbval_numbers):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_storing_refuses_where_outputs_would_not_reproduce(tmp_path, monkeypatch):
    from course_utils.notebooks import NotTheReferenceMachine, execute_notebook

    path = tmp_path / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(0.5)")]), path)
    before = path.read_bytes()
    monkeypatch.setenv(numerics.COMPARISON_VARIABLE, "tolerant")
    with pytest.raises(NotTheReferenceMachine, match="not stored"):
        execute_notebook(path)
    assert path.read_bytes() == before
