"""Classroom deployment: the files repo2docker reads (Binder, JupyterHub) are present, consistent and sufficient.

repo2docker builds the course image from the repository root: ``runtime.txt`` picks the
Python version, ``apt.txt`` the Debian/Ubuntu packages, ``requirements.txt`` is installed with
pip, and an executable ``postBuild`` would run last (the course needs none). A ``Dockerfile``,
an ``environment.yml`` or a ``binder/`` folder would silently take over, so none may exist.

Every pin is exact. Only TensorFlow's two lines carry environment markers (``tensorflow-cpu`` on
Linux x86-64, ``tensorflow`` elsewhere; requirements.txt says why), and the package pins the very
same lines, markers included: ``-e .`` installs its dependencies too. Whether the pins resolve on
every supported platform is ``tests/test_platforms.py``'s business.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_FOLDERS = ("notebooks", "exercises", "solutions")
BINDER_URL = re.compile(
    r"https://mybinder\.org/v2/gh/(?P<repo>[\w.-]+/[\w.-]+)/HEAD\?urlpath=lab/tree/(?P<path>[\w./-]+\.ipynb)"
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


#: The only distributions whose pins carry environment markers: one `tensorflow` module, two builds.
TENSORFLOW_DISTRIBUTIONS = {"tensorflow", "tensorflow-cpu"}
#: Their markers, exactly as both files write them (requirements.txt explains the choice).
TENSORFLOW_MARKERS = {
    "tensorflow-cpu": 'sys_platform == "linux" and platform_machine == "x86_64"',
    "tensorflow": 'sys_platform != "linux" or platform_machine != "x86_64"',
}


def requirement_lines() -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    return [line for line in lines if line]


def pins() -> list[Requirement]:
    """Every pin of requirements.txt (all lines but ``-e .``), markers included."""
    return [Requirement(line) for line in requirement_lines() if line != "-e ."]


def package_dependencies() -> list[Requirement]:
    """What the course package declares: its dependencies and every extra's, markers included."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"]) + [d for extra in project["optional-dependencies"].values() for d in extra]
    return [Requirement(dependency) for dependency in declared]


def exact_version(requirement: Requirement) -> str | None:
    """``"2.21.0"`` for ``name==2.21.0``; ``None`` for anything but one exact pin."""
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator == "==" and "*" not in specifiers[0].version:
        return specifiers[0].version
    return None


def pinned() -> dict[str, str]:
    """{distribution: version} of the pins that apply here: markers evaluated for this interpreter."""
    return {
        canonical(pin.name): exact_version(pin) or str(pin.specifier)
        for pin in pins()
        if pin.marker is None or pin.marker.evaluate()
    }


def same_pin(requirement: Requirement) -> tuple[str, str, str]:
    """A pin as (distribution, version specifier, marker), comparable however either file spells it."""
    return canonical(requirement.name), str(requirement.specifier), str(requirement.marker or "")


def project_name() -> str:
    return canonical(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"])


def own_packages() -> set[str]:
    """The top-level packages the course's own wheel ships (its editable install maps none of them)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])


# ------------------------------------------------------------------ imports
def imports_in(source: str) -> set[str]:
    """Top-level module names imported anywhere in ``source`` (also inside functions and try blocks)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def course_imports() -> dict[str, set[str]]:
    """{top-level module: files that import it} over course_utils and every course notebook."""
    found: dict[str, set[str]] = {}
    sources = [(path, path.read_text()) for path in (ROOT / "course_utils").rglob("*.py")]
    to_python = TransformerManager()  # notebook cells may hold IPython syntax (%magics, !commands)
    for folder in NOTEBOOK_FOLDERS:
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            cells = [to_python.transform_cell(c.source) for c in notebook.cells if c.cell_type == "code"]
            sources.append((path, "\n".join(cells)))
    for path, source in sources:
        for name in imports_in(source):
            found.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_the_import_scan_sees_the_course():
    found = course_imports()
    for needed in ("keras", "ipywidgets", "graphviz", "numpy", "course_utils", "matplotlib"):
        assert needed in found, f"the scan missed {needed}: {sorted(found)}"
    assert imports_in("import a.b as c\nfrom d.e import f\nfrom . import g\ndef h():\n    import i") == {"a", "d", "i"}


def test_every_import_is_satisfied_by_requirements_txt():
    """Each third-party module the course imports comes from a distribution pinned in requirements.txt."""
    distributions = metadata.packages_distributions()
    allowed = set(pinned()) | {project_name()}
    problems = []
    for name, files in sorted(course_imports().items()):
        if name in sys.stdlib_module_names or name == "__future__":
            continue
        if name in own_packages():
            # An editable install (hatchling's .pth) records no files, so packages_distributions()
            # cannot map it: ask for the project's distribution directly.
            assert metadata.distribution(project_name()), f"{name}: the course package is not installed"
            continue
        providers = {canonical(d) for d in distributions.get(name, [])}
        if not providers:
            problems.append(f"{name}: not installed at all (imported by {sorted(files)})")
        elif not providers & allowed:
            problems.append(f"{name}: from {sorted(providers)}, which requirements.txt does not pin (imported by {sorted(files)})")
    assert not problems, "requirements.txt is not sufficient for repo2docker:\n" + "\n".join(problems)


# ------------------------------------------------------------------ requirements.txt
def test_requirements_are_exact_pins_ending_with_the_course_package():
    lines = requirement_lines()
    assert lines[-1] == "-e .", "the last requirement installs the course package itself: -e ."
    for line in lines[:-1]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[\w,-]+\])?==[0-9][0-9A-Za-z.+!]*(; .+)?", line), f"not an exact pin: {line}"
        assert exact_version(Requirement(line)), f"not an exact pin: {line}"
    names = [canonical(pin.name) for pin in pins()]
    assert len(names) == len(set(names)), "a distribution is pinned twice"


def test_only_the_tensorflow_lines_carry_markers():
    """TensorFlow is pinned once per platform, by these two markers; every other pin holds everywhere."""
    for source, requirements in (("requirements.txt", pins()), ("pyproject.toml", package_dependencies())):
        markers = {canonical(r.name): str(r.marker) for r in requirements if r.marker is not None}
        assert markers == TENSORFLOW_MARKERS, f"{source}: markers {markers}, expected {TENSORFLOW_MARKERS}"
    here = TENSORFLOW_DISTRIBUTIONS & set(pinned())
    assert len(here) == 1, f"this interpreter would get {sorted(here) or 'no TensorFlow'}"
    assert pinned()[here.pop()] == "2.21.0"


def test_pins_are_what_the_course_was_run_with():
    """The stored notebooks were executed in this environment: its versions are the pinned ones."""
    mismatches = []
    for name, version in pinned().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            mismatches.append(f"{name}=={version} is not installed (run make test)")
            continue
        if installed != version:
            mismatches.append(f"{name}: pinned {version}, installed {installed}")
    assert not mismatches, "\n".join(mismatches)


def test_pinned_environment_has_no_broken_dependencies():
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_course_package_installs_from_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["build-system"]["requires"] and project["build-system"]["build-backend"] == "hatchling.build"
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["course_utils"]
    assert project["project"]["scripts"]["functional-keras-course"] == "course_utils.cli:main"


def test_the_package_pins_exactly_what_requirements_txt_pins():
    """An installed course must run with the versions its stored outputs were made with.

    Each dependency of the package (and of its extras) is a line of requirements.txt: same version,
    same marker. For TensorFlow's two lines that is not only tidy but needed: ``-e .`` installs the
    package's dependencies into the same environment, so a ``tensorflow`` there beside a
    ``tensorflow-cpu`` here would install both.
    """
    lines = {canonical(pin.name): pin for pin in pins()}
    problems = []
    for dependency in package_dependencies():
        name = canonical(dependency.name)
        if not exact_version(dependency):
            problems.append(f"{dependency}: not an exact pin")
        elif name not in lines:
            problems.append(f"{dependency}: requirements.txt does not pin {name}")
        elif same_pin(dependency) != same_pin(lines[name]):
            problems.append(f"{dependency}: requirements.txt says {lines[name]}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ the other repo2docker files
def test_apt_txt_names_graphviz_and_only_real_package_names():
    packages = [line.strip() for line in (ROOT / "apt.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert "graphviz" in packages, "apt.txt must install Graphviz's dot: the course draws every model with it"
    for package in packages:
        assert re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", package), f"not an apt package name: {package!r}"
    assert "chromium" not in packages, "Chromium is only for the browser tests; learners do not need it"


def test_python_3_11_to_3_13_are_supported():
    runtime = ROOT / "runtime.txt"
    assert runtime.exists(), "runtime.txt pins repo2docker's Python (its default may change)"
    assert runtime.read_text().strip() in {"python-3.11", "python-3.12", "python-3.13"}
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"] == ">=3.11,<3.14"
    assert (3, 11) <= sys.version_info[:2] <= (3, 13), "the tests run on a supported Python"


def test_nothing_overrides_the_root_configuration():
    """repo2docker reads binder/ or .binder/ instead of the root, and a Dockerfile or environment.yml
    would replace requirements.txt; postBuild, if ever added, must be executable."""
    for name in ("binder", ".binder", "Dockerfile", "environment.yml", "Pipfile", "Project.toml", "install.R"):
        assert not (ROOT / name).exists(), f"{name} would change what repo2docker builds"
    post_build = ROOT / "postBuild"
    if post_build.exists():
        assert post_build.stat().st_mode & 0o111, "postBuild must be executable"


def test_every_notebook_asks_for_the_kernel_repo2docker_provides():
    for folder in NOTEBOOK_FOLDERS:
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            kernel = nbformat.read(path, as_version=4).metadata.get("kernelspec", {}).get("name")
            assert kernel == "python3", f"{path.name} asks for kernel {kernel!r}"


def test_readme_links_to_no_binder_repository_it_cannot_stand_behind():
    """The course has no public repository yet: the README explains how to make a Binder link, and links none."""
    readme = (ROOT / "README.md").read_text()
    assert not list(BINDER_URL.finditer(readme)), "a Binder link needs a public repository; there is none to point at"
    assert "mybinder.org/v2/gh/<owner>/<repository>" in readme
    assert re.search(r"^## Teaching with JupyterHub", readme, re.M)


@pytest.mark.parametrize("name", ["requirements.txt", "apt.txt", "runtime.txt"])
def test_repo2docker_files_are_plain_text_with_a_final_newline(name):
    text = (ROOT / name).read_bytes()
    assert text.endswith(b"\n") and b"\r" not in text
