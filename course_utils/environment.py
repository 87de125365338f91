"""The set-up check of lesson 00: is everything the course needs here, and if not, what to do.

Example:
    >>> report = check_environment()   # doctest: +SKIP
    >>> report                          # doctest: +SKIP
    ✔ Python 3.11 ...
"""

from __future__ import annotations

import importlib
import importlib.metadata
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Check", "EnvironmentReport", "check_dot", "check_environment"]

_INSTALL = (
    "run `make lab` in the course's repository (it installs the pinned requirements), or reinstall the course "
    "package: `pip install --force-reinstall <the course's wheel or repository>`"
)


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it passed, what to do if not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "✔" if self.ok else "✘"
        text = f"{mark} {self.name}: {self.detail}"
        return text if self.ok else f"{text}\n    fix: {self.fix}"


@dataclass(frozen=True)
class EnvironmentReport:
    """All checks; ``ok`` is True when every one passed."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def __repr__(self) -> str:
        lines = [check.line() for check in self.checks]
        lines.append("All set: the course is ready." if self.ok else "Fix the lines marked ✘, then restart the kernel.")
        return "\n".join(lines)


def check_environment() -> EnvironmentReport:
    """Check Python, TensorFlow, Keras, Graphviz (package and ``dot``), widgets (kernel and front end) and matplotlib."""
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


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:2]))
    ok = (3, 11) <= sys.version_info[:2] <= (3, 13)
    return Check(
        "Python", ok, version,
        "the course is tested on Python 3.11, 3.12 and 3.13; `make lab PYTHON=python3.12` creates a virtual "
        "environment with one of them, or install the course into one: `pip install functional-keras-course`",
    )


def _package(module: str, label: str, minimum: tuple[int, ...]) -> Check:
    try:
        importlib.import_module(module)
        version = importlib.metadata.version(_distribution(module))
    except (ImportError, importlib.metadata.PackageNotFoundError):
        return Check(label, False, "not installed", _INSTALL)
    ok = _version_tuple(version) >= minimum
    need = ".".join(map(str, minimum))
    return Check(label, ok, version, f"version {need} or newer is needed; {_INSTALL}")


def _keras() -> Check:
    try:
        import keras
    except ImportError:
        return Check("Keras", False, "not installed", _INSTALL)
    version = keras.version()
    if _version_tuple(version) < (3, 0):
        return Check("Keras", False, version, f"the course needs Keras 3; {_INSTALL}")
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
        return Check(name, False, "jupyter_core is missing", _INSTALL)
    for folder in jupyter_path("labextensions"):
        if (Path(folder) / "@jupyter-widgets" / "jupyterlab-manager" / "package.json").is_file():
            return Check(name, True, "installed")
    return Check(name, False, "not found", fix)


def check_dot() -> Check:
    """Graphviz's ``dot`` program: on the PATH, and it runs."""
    path = shutil.which("dot")
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
