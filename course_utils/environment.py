"""The set-up check of lesson 00: is everything the course needs here, and if not, what to do.

The course installs wherever TensorFlow 2.21 has wheels: Linux (x86-64, aarch64), macOS on Apple
silicon and Windows (x86-64). Elsewhere, an Intel Mac above all, :func:`unsupported_platform` is
the one line that says so and names what works, and the whole report is that line.

Example:
    >>> report = check_environment()   # doctest: +SKIP
    >>> report                          # doctest: +SKIP
    ✔ Python 3.11 ...
"""

from __future__ import annotations

import importlib
import importlib.metadata
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SUPPORTED_PLATFORMS", "Check", "EnvironmentReport", "check_dot", "check_environment", "unsupported_platform"]

_INSTALL = (
    "run `make lab` in the course's repository (it installs the pinned requirements), or reinstall the course "
    "package: `pip install --force-reinstall <the course's wheel or repository>`"
)
# make is for Linux and macOS: on Windows the course is a package.
_INSTALL_WINDOWS = "reinstall the course package: `pip install --force-reinstall <the course's wheel or repository>`"

#: Where TensorFlow 2.21, and so the course, has wheels: (``platform.system()``, machine) pairs,
#: the machine as :func:`_machine` spells it (x86_64, arm64).
SUPPORTED_PLATFORMS: frozenset[tuple[str, str]] = frozenset(
    {("Linux", "x86_64"), ("Linux", "arm64"), ("Darwin", "arm64"), ("Windows", "x86_64")}
)
_RUNS_ON = (
    "The course runs on an Apple-silicon Mac, on Linux (x86-64, ARM64) or Windows (x86-64), "
    "in a Linux container (Docker), or on a JupyterHub or Binder."
)


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it passed, what to do if not.

    A failed check without a ``fix`` is a statement with nothing to fix here (an unsupported
    platform): its ``detail`` already says what works instead.
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "✔" if self.ok else "✘"
        text = f"{mark} {self.name}: {self.detail}"
        return text if self.ok or not self.fix else f"{text}\n    fix: {self.fix}"


@dataclass(frozen=True)
class EnvironmentReport:
    """All checks; ``ok`` is True when every one passed."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def __repr__(self) -> str:
        lines = [check.line() for check in self.checks]
        if self.ok:
            lines.append("All set: the course is ready.")
        elif any(check.fix for check in self.checks if not check.ok):
            lines.append("Fix the lines marked ✘, then restart the kernel.")
        return "\n".join(lines)


def check_environment() -> EnvironmentReport:
    """Check Python, TensorFlow, Keras, Graphviz (package and ``dot``), widgets (kernel and front end) and matplotlib.

    Where TensorFlow 2.21 has no wheel (:func:`unsupported_platform`), the report is that one line.
    """
    problem = unsupported_platform()
    if problem:
        return EnvironmentReport((Check("Platform", False, problem),))
    return EnvironmentReport(
        (
            _python(),
            _package("tensorflow", "TensorFlow", minimum=(2, 16)),
            _keras(),
            _package("graphviz", "graphviz (Python package)", minimum=(0, 20)),
            check_dot(),
            _package("ipywidgets", "ipywidgets", minimum=(8, 0)),
            _widget_front_end(),
            _package("matplotlib", "matplotlib", minimum=(3, 5)),
        )
    )


def unsupported_platform(system: str | None = None, machine: str | None = None, rosetta: bool | None = None) -> str | None:
    """The one line that says the course cannot be installed here, and what works; ``None`` where it can.

    ``system`` and ``machine`` default to this Python's (``platform.system()``, ``platform.machine()``);
    ``rosetta`` says whether an x86-64 Python on a Mac runs translated on Apple silicon (default: asked
    of macOS for this Python, assumed not for a ``system`` and ``machine`` given). Only the platforms of
    :data:`SUPPORTED_PLATFORMS` have TensorFlow 2.21 wheels; ``make lab`` prints the same line.

    >>> unsupported_platform("Linux", "aarch64") is None
    True
    >>> print(unsupported_platform("Darwin", "x86_64"))   # doctest: +ELLIPSIS
    macOS on Intel (x86-64) is not supported: TensorFlow 2.21 has no wheel for Intel Macs. The course runs on ...
    """
    this_python = system is None and machine is None
    system = system or platform.system()
    machine = _machine(machine or platform.machine())
    if (system, machine) in SUPPORTED_PLATFORMS:
        return None
    if system == "Darwin" and machine == "x86_64":
        if rosetta is None:
            rosetta = this_python and _runs_under_rosetta()
        if rosetta:
            return (
                "This Python runs as x86-64 under Rosetta on an Apple-silicon Mac, and TensorFlow 2.21 has no wheel "
                "for that: use a native arm64 Python (python.org's installer, or Homebrew's in /opt/homebrew)."
            )
        return f"macOS on Intel (x86-64) is not supported: TensorFlow 2.21 has no wheel for Intel Macs. {_RUNS_ON}"
    label = {"Darwin": "macOS"}.get(system, system or "this system")
    return f"{label} on {machine or 'this processor'} is not supported: TensorFlow 2.21 has no wheel for it. {_RUNS_ON}"


def _machine(name: str) -> str:
    """One spelling per processor family: ``AMD64``/``x64`` → ``x86_64``, ``aarch64`` → ``arm64``."""
    lowered = name.lower()
    if lowered in {"x86_64", "amd64", "x64"}:
        return "x86_64"
    if lowered in {"arm64", "aarch64"}:
        return "arm64"
    return name


def _runs_under_rosetta() -> bool:
    """Whether this process is x86-64 code translated by Rosetta 2 (macOS answers ``sysctl.proc_translated``)."""
    try:
        result = subprocess.run(["sysctl", "-n", "sysctl.proc_translated"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.stdout.strip() == "1"


def _windows() -> bool:
    return platform.system() == "Windows"


def _install_fix() -> str:
    return _INSTALL_WINDOWS if _windows() else _INSTALL


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:2]))
    ok = (3, 11) <= sys.version_info[:2] <= (3, 13)
    if _windows():
        fix = (
            "the course is tested on Python 3.11, 3.12 and 3.13; create a virtual environment with one of them "
            "(`py -3.12 -m venv course-env`) and install the course into it"
        )
    else:
        fix = (
            "the course is tested on Python 3.11, 3.12 and 3.13; `make lab PYTHON=python3.12` creates a virtual "
            "environment with one of them, or install the course into one: `pip install functional-keras-course`"
        )
    return Check("Python", ok, version, fix)


def _package(module: str, label: str, minimum: tuple[int, ...]) -> Check:
    try:
        importlib.import_module(module)
        version = importlib.metadata.version(_distribution(module))
    except (ImportError, importlib.metadata.PackageNotFoundError):
        return Check(label, False, "not installed", _install_fix())
    ok = _version_tuple(version) >= minimum
    need = ".".join(map(str, minimum))
    return Check(label, ok, version, f"version {need} or newer is needed; {_install_fix()}")


def _keras() -> Check:
    try:
        import keras
    except ImportError:
        return Check("Keras", False, "not installed", _install_fix())
    version = keras.version()
    if _version_tuple(version) < (3, 0):
        return Check("Keras", False, version, f"the course needs Keras 3; {_install_fix()}")
    backend = keras.backend.backend()
    ok = backend == "tensorflow"
    return Check("Keras", ok, f"{version} (backend: {backend})", "unset KERAS_BACKEND (or set it to tensorflow) and restart")


def _widget_front_end() -> Check:
    """The JupyterLab side of ipywidgets: without it explorers show as plain text."""
    name = "JupyterLab widget front end"
    fix = "install it where JupyterLab runs: `pip install jupyterlab_widgets` (it comes with ipywidgets 8), then reload the page"
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return Check(name, False, "jupyter_core is missing", _install_fix())
    for folder in jupyter_path("labextensions"):
        if (Path(folder) / "@jupyter-widgets" / "jupyterlab-manager" / "package.json").is_file():
            return Check(name, True, "installed")
    return Check(name, False, "not found", fix)


def check_dot() -> Check:
    """Graphviz's ``dot`` program: on the PATH, and it runs.

    The fix names this system's installers; on Windows, where Graphviz's installer leaves ``dot``
    off the PATH, it says which folder to add.

    >>> check_dot().name
    'Graphviz `dot`'
    """
    path = shutil.which("dot")
    if _windows():
        fix = (
            "install Graphviz: `winget install graphviz` (or `choco install graphviz`), add its bin folder "
            "(C:\\Program Files\\Graphviz\\bin) to your PATH, then open a new terminal and start "
            "`functional-keras-course lab` again"
        )
    else:
        fix = (
            "install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
            "or `conda install -c conda-forge graphviz`; then restart the kernel"
        )
    if path is None:
        return Check("Graphviz `dot`", False, "not found on the PATH", fix)
    try:
        result = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check("Graphviz `dot`", False, f"found but does not run ({error})", fix)
    ok = result.returncode == 0
    return Check("Graphviz `dot`", ok, "installed and working" if ok else "found but failed to run", fix)


def _distribution(module: str) -> str:
    if module == "tensorflow":
        for name in ("tensorflow-cpu", "tensorflow"):
            try:
                importlib.metadata.version(name)
                return name
            except importlib.metadata.PackageNotFoundError:
                continue
    return module


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)
