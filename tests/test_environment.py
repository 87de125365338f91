"""course_utils.environment: the lesson-00 check passes here and says what to fix otherwise."""

from __future__ import annotations

from course_utils import environment
from course_utils.environment import check_environment


def test_everything_is_ready_here():
    report = check_environment()
    assert report.ok, repr(report)
    names = [check.name for check in report.checks]
    assert names == ["Python", "TensorFlow", "Keras", "graphviz (Python package)", "Graphviz `dot`", "ipywidgets",
                     "JupyterLab widget front end", "matplotlib"]
    assert repr(report).endswith("All set: the course is ready.")


def test_missing_dot_is_reported_with_install_commands(monkeypatch):
    monkeypatch.setattr(environment.shutil, "which", lambda name: None)
    report = check_environment()
    assert not report.ok
    text = repr(report)
    assert "✘ Graphviz `dot`: not found on the PATH" in text
    assert "apt-get install graphviz" in text and "brew install graphviz" in text and "conda install" in text
    assert text.endswith("Fix the lines marked ✘, then restart the kernel.")


def test_missing_package_says_how_to_install(monkeypatch):
    real_import = environment.importlib.import_module

    def fake_import(name, *args):
        if name == "ipywidgets":
            raise ImportError("no widgets here")
        return real_import(name, *args)

    monkeypatch.setattr(environment.importlib, "import_module", fake_import)
    text = repr(check_environment())
    assert "✘ ipywidgets: not installed" in text and "make lab" in text


def test_missing_widget_front_end_is_reported(monkeypatch):
    import jupyter_core.paths

    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", lambda *parts: ["/nonexistent"])
    text = repr(check_environment())
    assert "✘ JupyterLab widget front end: not found" in text and "jupyterlab_widgets" in text
