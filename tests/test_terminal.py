"""Commands stop quietly when their reader does (``python -m course_utils.progress | head``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

LONG_COMMAND = textwrap.dedent(
    """
    import sys
    from course_utils.terminal import quiet_when_cut_short

    @quiet_when_cut_short
    def main():
        for number in range(200_000):  # far more than a pipe holds
            print("line", number)
        return 0

    sys.exit(main())
    """
)


def _cut_short(source: str) -> subprocess.CompletedProcess[str]:
    process = subprocess.Popen([sys.executable, "-c", source], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # the reader stops, as `head -1` does
    stderr = process.stderr.read()
    process.wait(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, first, stderr)


def test_a_command_cut_short_ends_without_a_traceback():
    result = _cut_short(LONG_COMMAND)
    assert result.stdout == "line 0\n"
    assert result.stderr == "", result.stderr
    assert result.returncode == 141


def test_without_the_wrapper_the_same_command_shows_a_traceback():
    """Negative control: the pipe really breaks in this test."""
    result = _cut_short(LONG_COMMAND.replace("@quiet_when_cut_short\n", ""))
    assert "BrokenPipeError" in result.stderr
