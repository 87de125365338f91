"""The course installs wherever TensorFlow 2.21 does, and says so in one line where it does not.

TensorFlow 2.21 has wheels for Linux (x86-64, aarch64), macOS on Apple silicon and Windows (x86-64),
each for CPython 3.11, 3.12 and 3.13. For each of these 12 targets, pip resolves the whole pinned
set (requirements.txt's pins and the package's dependencies and extras) from the package registry in
a dry run, wheels only (``--only-binary=:all:``), and must find a wheel for every pin. Each takes
pip about 8 s of CPU with its cache warm (reading the index pages of ~155 projects), so the 12 run
four at a time: about a minute on an idle 2-core machine, up to three while other work runs, hence
the ``slow`` marker.

pip's ``--platform`` and ``--python-version`` choose wheels, but pip evaluates environment markers
against the interpreter that runs it, not the target. So, for each target:

* our own pins' markers (TensorFlow's two lines) are evaluated here, for the target
  (:func:`marker_environment`), and pip gets the pins that apply, without markers;
* the dependencies' own requirements, read back from pip's ``--report``, are evaluated for the
  target too: what only the target needs (``pywinpty`` and ``colorama`` on Windows, ``appnope`` on
  macOS), and pip therefore left out, is resolved in a further round, held to the versions already
  chosen (a constraints file), until nothing is missing.

Intel Macs, where TensorFlow 2.21 has no wheel, get one line from ``make lab`` and from
``functional-keras-course check`` (:func:`course_utils.environment.unsupported_platform`), the same
line as the README's; ``make`` on Windows says it is for Linux and macOS.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from course_utils import environment
from course_utils.environment import check_environment, unsupported_platform
from test_deployment import ROOT, TENSORFLOW_DISTRIBUTIONS, canonical, package_dependencies, pins

PYTHONS = ("3.11", "3.12", "3.13")
TENSORFLOW_VERSION = "2.21.0"


def manylinux(arch: str, newest_glibc: int = 27) -> tuple[str, ...]:
    """pip's ``--platform`` values for a Linux with glibc 2.``newest_glibc``: pip does not add the older
    ``manylinux_2_x`` tags itself (only manylinux2014 → 2010 → 1), so every one is listed.

    >>> manylinux("aarch64", 18)
    ('manylinux_2_18_aarch64', 'manylinux_2_17_aarch64', 'manylinux2014_aarch64')
    """
    return (*(f"manylinux_2_{minor}_{arch}" for minor in range(newest_glibc, 16, -1)), f"manylinux2014_{arch}")


@dataclass(frozen=True)
class Target:
    """A platform to install on: pip's ``--platform`` values and the PEP 508 markers it has."""

    name: str
    platforms: tuple[str, ...]
    markers: dict[str, str] = field(hash=False)
    tensorflow: str  # the TensorFlow distribution the pins must choose there


# glibc 2.27 and macOS 12 are TensorFlow 2.21's own floors (its wheels are manylinux_2_27 and macosx_12_0):
# every pin must have a wheel there. pip adds the older macOS versions itself, not the older glibcs.
LINUX = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}
TARGETS = (
    Target("linux-x86_64", manylinux("x86_64"), {**LINUX, "platform_machine": "x86_64"}, "tensorflow-cpu"),
    Target("linux-aarch64", manylinux("aarch64"), {**LINUX, "platform_machine": "aarch64"}, "tensorflow"),
    Target("macos-arm64", ("macosx_12_0_arm64",),
           {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": "arm64"}, "tensorflow"),
    Target("windows-x86_64", ("win_amd64",),
           {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64"}, "tensorflow"),
)
INTEL_MAC = Target("macos-x86_64", ("macosx_14_0_x86_64",),
                   {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": "x86_64"}, "")
CASES = [(target, python) for target in TARGETS for python in PYTHONS]


def marker_environment(target: Target, python: str) -> dict[str, str]:
    """The PEP 508 environment of CPython ``python`` on ``target``, for ``Marker.evaluate``."""
    return {
        **target.markers,
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_version": "",
    }


def pinned_set(target: Target, python: str) -> dict[str, Requirement]:
    """{distribution: pin} of everything the course pins that applies on the target, markers dropped."""
    chosen: dict[str, Requirement] = {}
    for requirement in [*pins(), *package_dependencies()]:
        if requirement.marker is None or requirement.marker.evaluate(marker_environment(target, python)):
            plain = Requirement(str(requirement))
            plain.marker = None
            chosen[canonical(plain.name)] = plain
    return chosen


# ------------------------------------------------------------------ pip, for another platform
@dataclass
class Resolution:
    """What pip would install for one target, after every round."""

    returncode: int
    installed: dict[str, str]  # distribution: version
    output: str  # pip's messages of the last round (its report goes to a file)
    rounds: int = 1
    added: dict[str, str] = field(default_factory=dict)  # target-only requirements added after round 1


def run_pip(
    target: Target, python: str, requirements: list[str], folder: Path,
    extra: tuple[str, ...] = (), constraints: list[str] | None = None,
) -> tuple[int, dict, str]:
    """``pip install --dry-run`` of ``requirements`` for ``target``: (return code, the JSON report, messages)."""
    folder.mkdir(parents=True, exist_ok=True)
    listing, report = folder / "requirements.txt", folder / "report.json"
    listing.write_text("\n".join(requirements) + "\n")
    report.unlink(missing_ok=True)
    if constraints:
        (folder / "constraints.txt").write_text("\n".join(constraints) + "\n")
        extra = (*extra, "-c", str(folder / "constraints.txt"))
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
        "--only-binary=:all:", *(f"--platform={tag}" for tag in target.platforms),
        "--python-version", python, "--implementation", "cp",
        "--target", str(folder / "target"), "--report", str(report), *extra, "-r", str(listing),
    ]
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    # This machine's pip configuration may name local folders that do not exist: not the course's business.
    messages = "\n".join(line for line in (result.stdout + result.stderr).splitlines() if "is ignored: it is neither" not in line)
    data = json.loads(report.read_text()) if result.returncode == 0 and report.exists() else {}
    return result.returncode, data, messages


def left_out_for_target(metadata: dict[str, dict], roots: list[Requirement], env: dict[str, str]) -> dict[str, Requirement]:
    """Requirements the target has and pip did not resolve: the dependencies' markers, evaluated for ``env``.

    ``metadata`` is {distribution: its core metadata} from pip's reports. Walks it from ``roots``,
    following each requirement (and the extras it asks for) whose marker holds on the target; returns
    those naming a distribution that is not there.
    """
    missing: dict[str, Requirement] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    stack = [(canonical(root.name), frozenset(root.extras)) for root in roots]
    while stack:
        name, extras = stack.pop()
        if (name, extras) in seen or name not in metadata:
            continue
        seen.add((name, extras))
        for line in metadata[name].get("requires_dist", []):
            requirement = Requirement(line)
            contexts = [{**env, "extra": extra} for extra in ("", *sorted(extras))]
            if requirement.marker is not None and not any(requirement.marker.evaluate(c) for c in contexts):
                continue
            dependency = canonical(requirement.name)
            if dependency in metadata:
                stack.append((dependency, frozenset(requirement.extras)))
            else:
                plain = Requirement(str(requirement))
                plain.marker = None
                if dependency in missing:  # asked for by two packages: both specifiers hold
                    plain.specifier &= missing[dependency].specifier
                missing[dependency] = plain
    return missing


def resolve(target: Target, python: str, folder: Path) -> Resolution:
    """Resolve the pinned set for ``target`` and ``python``, then what only the target needs, until nothing is missing.

    Round 1 is the pinned set. Each further round resolves only the requirements pip could not see,
    with every version chosen so far as a constraint: they must fit the set, and pip has far less to do.
    """
    roots = list(pinned_set(target, python).values())
    requirements = [str(r) for r in roots]
    metadata: dict[str, dict] = {}
    added: dict[str, str] = {}
    for round_ in range(1, 5):
        constraints = [f"{name}=={meta['version']}" for name, meta in metadata.items()]
        returncode, report, messages = run_pip(target, python, requirements, folder / f"round{round_}", constraints=constraints)
        installed = {name: meta["version"] for name, meta in metadata.items()}
        if returncode != 0:
            return Resolution(returncode, installed, messages, round_, added)
        metadata.update({canonical(item["metadata"]["name"]): item["metadata"] for item in report["install"]})
        installed = {name: meta["version"] for name, meta in metadata.items()}
        missing = left_out_for_target(metadata, roots, marker_environment(target, python))
        if not missing:
            return Resolution(0, installed, messages, round_, added)
        added.update({name: str(requirement) for name, requirement in missing.items()})
        roots += missing.values()
        requirements = [str(requirement) for requirement in missing.values()]
    return Resolution(1, installed, f"still missing after 4 rounds: {sorted(missing)}", round_, added)


@pytest.fixture(scope="module")
def resolutions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Resolution]:
    """Every target × Python, four at a time (each pip also waits on the registry)."""
    base = tmp_path_factory.mktemp("platforms")
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = {f"{t.name}-py{p}": pool.submit(resolve, t, p, base / f"{t.name}-py{p}") for t, p in CASES}
        return {key: job.result() for key, job in jobs.items()}


# ------------------------------------------------------------------ the pins, per platform
@pytest.mark.parametrize(("target", "python"), CASES, ids=[f"{t.name}-py{p}" for t, p in CASES])
def test_exactly_one_tensorflow_distribution_applies(target: Target, python: str):
    """tensorflow-cpu on Linux x86-64, tensorflow elsewhere; never both, never neither."""
    chosen = TENSORFLOW_DISTRIBUTIONS & set(pinned_set(target, python))
    assert chosen == {target.tensorflow}


@pytest.mark.slow
@pytest.mark.parametrize(("target", "python"), CASES, ids=[f"{t.name}-py{p}" for t, p in CASES])
def test_every_pin_has_a_wheel(resolutions: dict[str, Resolution], target: Target, python: str):
    """pip finds a wheel for every pin, and for everything they need there, at exactly the pinned versions."""
    resolution = resolutions[f"{target.name}-py{python}"]
    assert resolution.returncode == 0, f"pip cannot install the pinned set on {target.name}, Python {python}:\n{resolution.output[-3000:]}"
    wrong = {
        name: f"pinned {requirement.specifier}, resolved {resolution.installed.get(name, 'nothing')}"
        for name, requirement in pinned_set(target, python).items()
        if name not in resolution.installed or resolution.installed[name] not in requirement.specifier
    }
    assert not wrong, wrong
    tensorflows = TENSORFLOW_DISTRIBUTIONS & set(resolution.installed)
    assert tensorflows == {target.tensorflow}, f"one TensorFlow distribution, {target.tensorflow}; got {sorted(tensorflows)}"


@pytest.mark.slow
def test_the_target_only_requirements_are_resolved_too(resolutions: dict[str, Resolution]):
    """The markers pip cannot evaluate for another platform were: Windows and macOS needed more than pip saw."""
    windows = resolutions["windows-x86_64-py3.12"]
    assert {"pywinpty", "colorama"} <= set(windows.installed), sorted(windows.added)
    assert "appnope" in resolutions["macos-arm64-py3.12"].installed


def test_intel_macs_have_no_tensorflow_wheel(tmp_path: Path):
    """What the one line says: pip finds no TensorFlow 2.21 wheel for macOS on x86-64."""
    returncode, _, messages = run_pip(INTEL_MAC, "3.12", [f"tensorflow=={TENSORFLOW_VERSION}"], tmp_path, ("--no-deps",))
    assert returncode != 0 and "No matching distribution found for tensorflow==2.21.0" in messages, messages


# ------------------------------------------------------------------ what an unsupported platform is told
INTEL_MAC_LINE = unsupported_platform("Darwin", "x86_64", rosetta=False)


def fake_platform(monkeypatch: pytest.MonkeyPatch, system: str, machine: str, rosetta: bool = False) -> None:
    """``platform.system()`` and ``platform.machine()`` answer as on another computer, for this test."""
    monkeypatch.setattr(environment.platform, "system", lambda: system)
    monkeypatch.setattr(environment.platform, "machine", lambda: machine)
    monkeypatch.setattr(environment, "_runs_under_rosetta", lambda: rosetta)


@pytest.mark.parametrize(("system", "machine"), [("Linux", "x86_64"), ("Linux", "aarch64"), ("Darwin", "arm64"), ("Windows", "AMD64")])
def test_the_supported_platforms_are_supported(system: str, machine: str):
    assert unsupported_platform(system, machine) is None


def test_an_intel_mac_is_told_in_one_line_what_works(monkeypatch: pytest.MonkeyPatch):
    fake_platform(monkeypatch, "Darwin", "x86_64")
    report = check_environment()
    assert not report.ok
    assert repr(report) == f"✘ Platform: {INTEL_MAC_LINE}"
    assert "\n" not in INTEL_MAC_LINE and "no wheel for Intel Macs" in INTEL_MAC_LINE
    for works in ("Apple-silicon Mac", "Linux (x86-64, ARM64)", "Windows (x86-64)", "Docker", "JupyterHub or Binder"):
        assert works in INTEL_MAC_LINE


def test_rosetta_on_apple_silicon_is_told_to_use_an_arm64_python(monkeypatch: pytest.MonkeyPatch):
    fake_platform(monkeypatch, "Darwin", "x86_64", rosetta=True)
    text = repr(check_environment())
    assert text.count("\n") == 0 and "Rosetta" in text and "native arm64 Python" in text


def test_other_unsupported_platforms_get_one_line_too(monkeypatch: pytest.MonkeyPatch):
    fake_platform(monkeypatch, "Windows", "ARM64")
    assert repr(check_environment()).startswith("✘ Platform: Windows on arm64 is not supported: TensorFlow 2.21 has no wheel for it.")


def test_windows_gets_the_windows_fixes(monkeypatch: pytest.MonkeyPatch):
    """Graphviz from winget or Chocolatey with its bin folder on the PATH; the package path, not make."""
    for module in ("tensorflow", "keras", "graphviz", "ipywidgets", "matplotlib"):
        importlib.import_module(module)  # before the fake: some (graphviz) choose their code by platform
    fake_platform(monkeypatch, "Windows", "AMD64")
    monkeypatch.setattr(environment.shutil, "which", lambda name: None)
    real_import = environment.importlib.import_module

    def no_widgets(name: str, *args: object) -> object:
        if name == "ipywidgets":
            raise ImportError("no widgets here")
        return real_import(name, *args)

    monkeypatch.setattr(environment.importlib, "import_module", no_widgets)
    text = repr(check_environment())
    assert "✘ Graphviz `dot`: not found on the PATH" in text
    assert "winget install graphviz" in text and "choco install graphviz" in text
    assert "C:\\Program Files\\Graphviz\\bin) to your PATH" in text
    assert "apt-get" not in text and "brew" not in text and "make lab" not in text
    assert "✘ ipywidgets: not installed\n    fix: reinstall the course package: `pip install --force-reinstall" in text


def test_the_readme_says_the_same_line():
    readme = (ROOT / "README.md").read_text()
    assert INTEL_MAC_LINE in readme


# ------------------------------------------------------------------ make
def make_lab(tmp_path: Path, *variables: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    """``make lab`` into a venv folder that does not exist yet, with ``variables`` on the command line."""
    env = {key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MFLAGS", "UNAME_S", "UNAME_M"}}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        ["make", "-s", "-C", str(ROOT), "lab", f"VENV={tmp_path / 'venv'}", *variables],
        capture_output=True, text=True, timeout=120, env=env,
    )


def test_make_lab_on_an_intel_mac_says_one_line_and_stops(tmp_path: Path):
    result = make_lab(tmp_path, "UNAME_S=Darwin", "UNAME_M=x86_64")
    assert result.returncode != 0
    assert result.stdout == INTEL_MAC_LINE + "\n", result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "ERROR" not in result.stdout + result.stderr
    assert not (tmp_path / "venv").exists(), "nothing is created on a machine the course cannot run on"


def test_make_lab_under_rosetta_says_to_run_as_arm64(tmp_path: Path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "sysctl").write_text("#!/bin/sh\necho 1\n")
    (fake / "sysctl").chmod(0o755)
    result = make_lab(tmp_path, "UNAME_S=Darwin", "UNAME_M=x86_64", path=f"{fake}{os.pathsep}{os.environ['PATH']}")
    assert result.returncode != 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and "Rosetta" in lines[0] and "arch -arm64 make lab" in lines[0], result.stdout


def test_make_on_windows_points_to_the_package(tmp_path: Path):
    result = make_lab(tmp_path, "UNAME_S=MINGW64_NT-10.0-22631", "UNAME_M=x86_64")
    assert result.returncode != 0
    assert result.stdout.splitlines() == [
        "make is for Linux and macOS. On Windows, pip install the course into a virtual environment and run "
        "functional-keras-course lab (README, Install as a package)."
    ]


@pytest.mark.parametrize(("system", "machine"), [("Linux", "x86_64"), ("Linux", "aarch64"), ("Darwin", "arm64")])
def test_make_goes_on_where_the_course_installs(tmp_path: Path, system: str, machine: str):
    """Past the platform line, to the next check: PYTHON=false stops it there, before anything is made."""
    result = make_lab(tmp_path, f"UNAME_S={system}", f"UNAME_M={machine}", "PYTHON=false")
    assert result.returncode != 0
    assert result.stdout.startswith("'false' does not run, or is not Python 3.11, 3.12 or 3.13"), result.stdout
