"""The course as learners use it: a real JupyterLab, a real (headless) Chromium, live widgets.

One JupyterLab server is started on 127.0.0.1 with a random token, on a copy of the course in a
temporary folder (nothing is ever saved into the repository). Playwright drives Debian's Chromium
(``/usr/bin/chromium``; ``make test`` installs it; no ``playwright install``). For each notebook the
test opens it, runs every cell one at a time (so that cells tagged ``raises-exception`` may fail
without stopping the rest, as they do in nbval), and checks:

* no cell raised, except the ones tagged ``raises-exception`` (and those did raise);
* every rich output the stored notebook has (graphviz SVG, matplotlib PNG, HTML, widgets) is
  rendered again in the browser; graphviz pictures contain nodes, PNGs are decoded images;
* every explorer renders as live controls, not as its plain-text fallback, and moving one of its
  controls redraws it (ModelExplorer: new graph and summary; PlotExplorer: new picture);
* in the exercise, every ``qN.check()`` shows its outcome ("not attempted" for the blank exercise), and
  the last cell shows the exercise's progress view.

Screenshots go to ``artifacts/browser/`` (gitignored). With ``UPDATE_DOCS=1`` the README pictures in
``docs/`` are regenerated from them. The server and all kernels are stopped at the end, also when a
test fails; the last test proves that no kernel process is left.

Environment: ``CHROMIUM_PATH`` (default /usr/bin/chromium), ``BROWSER_ARTIFACTS`` (default artifacts/browser).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest

from course_utils.numerics import kernel_environment

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", ROOT / "artifacts" / "browser"))
DOCS = ROOT / "docs"
TIMEOUT_MS = 90_000  # generous: 2 shared cores, TensorFlow import in every kernel
CELL_TIMEOUT_MS = 120_000
TIMINGS: dict[str, float] = {}

# The notebooks this test opens: lessons by number (their topic names may still change), one exercise.
LESSONS = ["02", "04", "08", "10"]
EXERCISES = ["ex01_sequential"]

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-default-apps", "--disable-extensions",
    "--no-default-browser-check", "--metrics-recording-only", "--disable-breakpad",
    # Chromium resolves accounts.google.com & co. despite the flags above: resolve nothing but loopback.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

LAB_SETTINGS = {
    # no news toast, no update check
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # every cell attached to the DOM (the default renders off-screen cells lazily)
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # never write outputs back to disk
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
RICH_MIMES = ("image/svg+xml", "image/png", "text/html")

# Run the cell at index i alone and return what it produced (from the cell model, not the DOM).
RUN_CELL_JS = """async ([i, timeoutMs]) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    const nb = panel.content;
    const cell = nb.widgets[i];
    nb.activeCellIndex = i;
    nb.deselectAll();
    const t0 = performance.now();
    const timeout = new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`cell ${i} still running after ${timeoutMs} ms`)), timeoutMs));
    await Promise.race([app.commands.execute('notebook:run-cell'), timeout]);
    const model = cell.model;
    const outputs = model.type === 'code' ? model.outputs.toJSON() : [];
    return {
        type: model.type,
        ms: performance.now() - t0,
        count: model.type === 'code' ? model.executionCount : null,
        errors: outputs.filter(o => o.output_type === 'error').map(o => `${o.ename}: ${o.evalue}`),
        mimes: outputs.flatMap(o => Object.keys(o.data || {})),
    };
}"""

KERNEL_IDLE_JS = """(path) => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
                   && panel.sessionContext.session.kernel;
    return !!kernel && panel.context.path === path && kernel.connectionStatus === 'connected'
           && kernel.status === 'idle' && panel.content.widgets.length > 0;
}"""

# Close every open notebook without the "save changes?" dialog (outputs are never saved).
CLOSE_NOTEBOOKS_JS = """() => {
    for (const widget of [...window.jupyterapp.shell.widgets('main')]) {
        if (widget.context) widget.context.model.dirty = false;
        widget.dispose();
    }
}"""

# Graphviz pictures: JupyterLab shows image/svg+xml as <img src="data:image/svg+xml,...">; the
# explorers put the SVG inline. Either way, return the node names (<g class="node"><title>).
SVG_NODES_JS = """(root) => {
    const fromImg = [...root.querySelectorAll('img[src^="data:image/svg+xml"]')].map(img => {
        const src = img.getAttribute('src');
        const svg = decodeURIComponent(src.slice(src.indexOf(',') + 1));
        const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
        return [...doc.querySelectorAll('g.node > title')].map(t => t.textContent);
    });
    const inline = [...root.querySelectorAll('svg')].filter(s => s.querySelector('g.node'))
        .map(s => [...s.querySelectorAll('g.node > title')].map(t => t.textContent));
    return fromImg.concat(inline);
}"""

# What a live explorer currently shows: its graph's node names, its summary text and its picture.
EXPLORER_STATE_JS = """(cell) => {
    const out = cell.querySelector('.jp-OutputArea');
    const svg = [...out.querySelectorAll('.widget-html-content svg')].map(s => s.outerHTML.length + ':' +
        [...s.querySelectorAll('g.node > title')].map(t => t.textContent).join(','));
    // (the text of the summary, not of the graph's SVG labels)
    const html = [...out.querySelectorAll('.widget-html-content')].map(h => h.textContent.trim())
        .filter(t => t.length && t.length < 400);
    const img = [...out.querySelectorAll('.jupyter-widgets img')].map(i => i.src.length + ':' + i.src.slice(-64));
    return JSON.stringify({svg, html, img});
}"""


# ----------------------------------------------------------------------------- fixtures
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, token: str, path: str, method: str = "GET"):
    request = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
        return json.loads(body) if body else None


def _notebook(folder: str, stem_or_number: str) -> Path:
    """The notebook named (or numbered) so; fails clearly when it is not in the course yet."""
    matches = sorted((ROOT / folder).glob(f"{stem_or_number}*.ipynb"))
    if not matches:
        pytest.fail(
            f"{folder}/{stem_or_number}*.ipynb is not in the course (yet): the browser test must open it. "
            f"Present: {sorted(p.name for p in (ROOT / folder).glob('*.ipynb'))}"
        )
    return matches[0]


class Lab:
    """A JupyterLab server on loopback, on a copy of the course; stopped with everything it started."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.course = tmp / "course"
        for folder in ("notebooks", "exercises"):
            shutil.copytree(ROOT / folder, self.course / folder)
        home = tmp / "jupyter"
        settings = home / "settings"
        for plugin, values in LAB_SETTINGS.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
        env.update(
            JUPYTER_CONFIG_DIR=str(home / "config"),  # ignore ~/.jupyter
            JUPYTER_DATA_DIR=str(home / "data"),  # ignore ~/.local/share/jupyter
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            JUPYTER_PLATFORM_DIRS="1",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
            **kernel_environment(),  # the course's numeric set-up, as `make kernel` registers it
            FUNCTIONAL_KERAS_COURSE_HOME=str(tmp / "progress"),  # the kernels' own, empty progress record
        )
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable, "-c", _DIE_WITH_PARENT, "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.course}", "--expose-app-in-browser",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        self.log_path = tmp / "server.log"
        self._log = open(self.log_path, "wb")
        start = time.perf_counter()
        self.proc = subprocess.Popen(
            command, env=env, cwd=self.course, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.known: dict[int, psutil.Process] = {}  # every process the server started (kernels)
        deadline = time.time() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                _api(self.base, self.token, "/api/status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"jupyter lab did not answer in 120 s:\n{self.log_path.read_text()}")
                time.sleep(0.2)
        TIMINGS["server_start_s"] = time.perf_counter() - start

    def remember_children(self) -> None:
        try:
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                self.known.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    def shutdown_kernels(self) -> None:
        self.remember_children()
        for session in _api(self.base, self.token, "/api/sessions") or []:
            _api(self.base, self.token, f"/api/sessions/{session['id']}", method="DELETE")

    def stop(self) -> None:
        """Stop kernels and server: politely first, then by signal; never leaves a process behind."""
        self.remember_children()
        if self.proc.poll() is None:
            try:
                _api(self.base, self.token, "/api/shutdown", method="POST")  # stops the kernels too
                self.proc.wait(timeout=20)
            except Exception:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        alive = [p for p in self.known.values() if _running(p)]
        for process in alive:
            process.kill()
        psutil.wait_procs(alive, timeout=10)
        self._log.close()

    def leftovers(self) -> list[str]:
        return [f"{p.pid} {' '.join(p.cmdline()[:3])}" for p in self.known.values() if _running(p)]


# Runs `python -m jupyterlab ARGS`, but on Linux first asks the kernel to send it SIGTERM when the test
# process dies, even by SIGKILL (a CI time-out): JupyterLab then shuts its kernels down as it exits.
_DIE_WITH_PARENT = """
import ctypes, runpy, signal, sys
if sys.platform.startswith("linux"):
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
sys.argv[0] = "jupyter-lab"
runpy.run_module("jupyterlab", run_name="__main__", alter_sys=True)
"""


def _stop_on_sigterm():
    """A SIGTERM to the test process ends it through the fixtures' finally blocks (server stopped).
    Returns the previous handler (None when it could not be set)."""

    def raise_exit(signum, frame):
        raise SystemExit(f"terminated by signal {signum}")

    try:
        return signal.signal(signal.SIGTERM, raise_exit)
    except ValueError:  # not the main thread: the PR_SET_PDEATHSIG guard above still holds
        return None


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    previous = _stop_on_sigterm()
    server = Lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the python package 'playwright' is missing: pip install -r requirements.txt")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs it) or `apt-get install chromium`")
    start = time.perf_counter()
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        TIMINGS["browser_launch_s"] = time.perf_counter() - start
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


class Tab:
    """One JupyterLab tab for the whole module (JupyterLab loads once); notebooks open in it one by one."""

    def __init__(self, browser, lab: Lab) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 1400})
        self.external: list[str] = []
        self.js_errors: list[str] = []

        def only_local(route):
            if route.request.url.startswith(lab.base):
                route.continue_()
            else:  # the course must work offline: nothing but our own server
                self.external.append(route.request.url)
                route.abort()

        self.context.route("**/*", only_local)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("pageerror", lambda error: self.js_errors.append(str(error)))
        start = time.perf_counter()
        self.page.goto(f"{lab.base}/lab?token={lab.token}")
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=TIMEOUT_MS)
        self.page.evaluate("() => window.jupyterapp.restored")
        TIMINGS["jupyterlab_load_s"] = time.perf_counter() - start


@pytest.fixture(scope="module")
def tab(browser, lab):
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shared = Tab(browser, lab)
    try:
        yield shared
    finally:
        shared.context.close()


@pytest.fixture
def page(tab, lab, request):
    """The shared tab; after the test: a screenshot, the notebook closed, its kernel shut down."""
    errors_before, external_before = len(tab.js_errors), len(tab.external)
    try:
        yield tab.page
    finally:
        try:
            tab.page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-page.png"))
            tab.page.evaluate(CLOSE_NOTEBOOKS_JS)
        except Exception:
            pass
        lab.shutdown_kernels()  # each notebook gets a fresh kernel; sessions outlive their tab
    assert len(tab.external) == external_before, f"the page tried to reach external URLs: {tab.external}"
    assert len(tab.js_errors) == errors_before, f"uncaught JavaScript errors: {tab.js_errors[errors_before:]}"


# ----------------------------------------------------------------------------- helpers
def open_notebook(page, lab: Lab, relative: str) -> None:
    page.evaluate(
        """async (path) => {
            const app = window.jupyterapp;
            const widget = await app.commands.execute('docmanager:open', {path});
            app.shell.activateById(widget.id);
        }""",
        relative,
    )
    page.wait_for_function(KERNEL_IDLE_JS, arg=relative, timeout=TIMEOUT_MS)
    page.evaluate("""() => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        window.__kernelIdle = 0;
        kernel.statusChanged.connect((_, status) => { if (status === 'idle') window.__kernelIdle += 1; });
    }""")
    lab.remember_children()


def run_cells_one_by_one(page, stored: nbformat.NotebookNode) -> list[dict]:
    """Run every cell alone, in order; errors only where the cell is tagged raises-exception."""
    count = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets.length")
    assert count == len(stored.cells), "the browser shows a different number of cells than the file has"
    results = []
    for index, cell in enumerate(stored.cells):
        result = page.evaluate(RUN_CELL_JS, [index, CELL_TIMEOUT_MS])
        assert result["type"] == cell.cell_type
        expected_to_raise = "raises-exception" in cell.metadata.get("tags", [])
        if cell.cell_type == "code" and cell.source.strip():
            if expected_to_raise:
                assert result["errors"], f"cell {index} is tagged raises-exception but did not raise:\n{cell.source}"
            else:
                assert not result["errors"], f"cell {index} raised {result['errors']}:\n{cell.source}"
        results.append(result)
    return results


def code_cell(page, index: int):
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)


def check_rich_outputs(page, stored: nbformat.NotebookNode) -> dict[str, int]:
    """Every SVG / PNG / HTML / widget output the stored notebook has is rendered again."""
    from playwright.sync_api import expect

    seen = {"graphviz_svg": 0, "png": 0, "widget": 0}
    for index, cell in enumerate(stored.cells):
        if cell.cell_type != "code":
            continue
        bundles = [o.get("data", {}) for o in cell.outputs if "data" in o]
        dom = code_cell(page, index)
        for bundle in bundles:
            if WIDGET_MIME in bundle:
                # a live widget, not the text fallback (which appears when the widget front end is missing)
                expect(dom.locator(".jp-OutputArea-output .jupyter-widgets").first).to_be_visible()
                fallback = bundle.get("text/plain", "").splitlines()[0]
                expect(dom.locator(".jp-OutputArea-output[data-mime-type='text/plain']", has_text=fallback)).to_have_count(0)
                seen["widget"] += 1
            elif "image/svg+xml" in bundle:
                rendered = dom.locator(".jp-OutputArea-output[data-mime-type='image/svg+xml']")
                expect(rendered.first).to_be_visible()
                graphs = dom.evaluate(SVG_NODES_JS)
                assert graphs and all(graphs), f"cell {index}: graphviz picture without nodes: {graphs}"
                seen["graphviz_svg"] += 1
            elif "image/png" in bundle:
                image = dom.locator(".jp-OutputArea-output[data-mime-type='image/png'] img").first
                expect(image).to_be_visible()
                assert image.evaluate("img => img.complete && img.naturalWidth > 50"), f"cell {index}: PNG not decoded"
                seen["png"] += 1
            elif "text/html" in bundle:
                expect(dom.locator(".jp-OutputArea-output[data-mime-type='text/html']").first).to_be_visible()
    return seen


def explorer_cells(stored: nbformat.NotebookNode) -> list[int]:
    return [
        index
        for index, cell in enumerate(stored.cells)
        if cell.cell_type == "code" and any(WIDGET_MIME in o.get("data", {}) for o in cell.outputs)
    ]


def explorer_state(cell) -> dict:
    return json.loads(cell.evaluate(EXPLORER_STATE_JS))


def kernel_answers(page) -> int:
    """How many times the notebook's kernel went back to idle (each widget message makes it busy)."""
    return page.evaluate("() => window.__kernelIdle")


def wait_for_answer(page, cell, since: int, what: str) -> dict:
    """Wait until the kernel handled the control's message, then return what the explorer shows."""
    try:
        page.wait_for_function(
            """(n) => window.__kernelIdle > n && window.jupyterapp.shell.currentWidget
                       .sessionContext.session.kernel.status === 'idle'""",
            arg=since,
            timeout=TIMEOUT_MS,
        )
    except Exception as error:
        raise AssertionError(f"{what}: the kernel did not answer the control") from error
    page.wait_for_timeout(200)  # the widget updates arrived before 'idle'; let the DOM show them
    return explorer_state(cell)


def control_moves(page, cell):
    """The ways a learner changes an explorer, in order: each slider one step, each dropdown option,
    each checkbox. A dropdown goes back to its first value before the next control moves; every
    move is yielded, so that the caller waits for the kernel's answer to each."""
    for slider in cell.locator(".widget-slider").all():
        handle = slider.locator(".noUi-handle")
        value, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
        key = "ArrowLeft" if value == top else "ArrowRight"
        handle.focus()
        page.keyboard.press(key)
        yield f"slider {key}"
    for select in cell.locator(".widget-dropdown select").all():
        original = select.evaluate("s => s.value")
        others = [o for o in select.locator("option").all() if o.get_attribute("value") != original]
        for option in others:
            select.select_option(value=option.get_attribute("value"))
            yield f"dropdown -> {option.inner_text()}"
        if others:
            select.select_option(value=original)
            yield "dropdown back"
    for box in cell.locator(".widget-checkbox input[type=checkbox]").all():
        box.click()
        yield "checkbox"


def move_until_redrawn(page, cell, name: str) -> str:
    """Move controls until the explorer draws a new graph/picture (settings the builder refuses
    show a message instead; those are skipped). Returns what was done."""
    from playwright.sync_api import expect

    original = explorer_state(cell)
    tried = []
    answers = kernel_answers(page)
    for action in control_moves(page, cell):
        now = wait_for_answer(page, cell, answers, f"{name}: {action}")
        answers = kernel_answers(page)
        tried.append(f"{action} ({'drawn' if _draws(now) else 'refused'})")
        if _draws(now) and now != original:
            expect(cell.locator(".widget-html-content", has_text="This setting does not build")).to_have_count(0)
            return action
    raise AssertionError(f"{name}: no control move redrew the explorer; tried {tried}")


def _draws(state: dict) -> bool:
    return bool(state["svg"] or state["img"])


def check_explorers(page, stored: nbformat.NotebookNode, name: str) -> dict[str, float]:
    """Each explorer shows live controls; moving one redraws the graph / picture."""
    from playwright.sync_api import expect

    reactions = {}
    indices = explorer_cells(stored)
    assert indices, f"{name} has no explorer"
    for index in indices:
        cell = code_cell(page, index)
        output = cell.locator(".jp-Cell-outputWrapper")
        controls = cell.locator(".widget-slider, .widget-dropdown, .widget-checkbox, .widget-toggle-buttons")
        expect(controls.first).to_be_visible()
        # the explorer draws something: a graph (ModelExplorer) or a picture (PlotExplorer)
        expect(cell.locator(".widget-html-content svg g.node, .jupyter-widgets img").first).to_be_visible()
        output.screenshot(path=str(ARTIFACTS / f"{name}-cell{index}-explorer-before.png"))
        start = time.perf_counter()
        action = move_until_redrawn(page, cell, f"{name} cell {index}")
        reactions[f"cell{index}"] = round(time.perf_counter() - start, 2)
        output.screenshot(path=str(ARTIFACTS / f"{name}-cell{index}-explorer-after.png"))
        print(f"{name} cell {index}: {action} redrew the explorer in {reactions[f'cell{index}']} s")
    return reactions


def wait_for_layers(page, cell, expected: list[str]) -> None:
    """Wait until the explorer's graph shows exactly these layer nodes (graphviz's _legend node aside)."""
    deadline = time.time() + TIMEOUT_MS / 1000
    while True:
        graphs = [[n for n in graph if not n.startswith("_")] for graph in cell.evaluate(SVG_NODES_JS)]
        if graphs == [expected]:
            return
        if time.time() > deadline:
            raise AssertionError(f"expected the graph {expected}, the explorer shows {graphs}")
        page.wait_for_timeout(100)


def check_lesson_02_explorer(page, stored: nbformat.NotebookNode) -> None:
    """The precise version of the generic check, on lesson 02: one more layer, one more node."""
    from playwright.sync_api import expect

    index = explorer_cells(stored)[0]
    cell = code_cell(page, index)
    explorer_graph = cell.locator(".widget-html-content svg")
    expect(explorer_graph).to_have_count(1)
    wait_for_layers(page, cell, ["features", "hidden_1", "hidden_2", "classes"])
    summary = cell.locator(".widget-html-content:not(:has(svg))", has_text="parameters")
    expect(summary).to_contain_text("467 parameters")
    cell.screenshot(path=str(ARTIFACTS / "lesson02-explorer.png"))

    depth = cell.locator(".widget-slider", has=page.locator(".widget-label", has_text="depth"))
    depth.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")  # depth 2 -> 3
    expect(depth.locator(".widget-readout")).to_have_text("3")
    wait_for_layers(page, cell, ["features", "hidden_1", "hidden_2", "hidden_3", "classes"])
    expect(summary).to_contain_text("5 layers")
    cell.screenshot(path=str(ARTIFACTS / "lesson02-explorer-depth3.png"))
    cell.locator(".jp-Cell-outputWrapper").screenshot(path=str(ARTIFACTS / "lesson02-explorer-depth3-output.png"))

    cell.locator(".widget-dropdown select").select_option("hidden_1")  # cut the model after hidden_1
    wait_for_layers(page, cell, ["features", "hidden_1"])
    expect(summary).to_contain_text("output shape: (None, 16)")

    cell.locator(".widget-dropdown select").select_option("hidden_4")  # deeper than the model: a kind message
    expect(cell.locator(".widget-html-content", has_text="This setting does not build")).to_be_visible()
    expect(cell.locator(".widget-html-content svg")).to_have_count(0)

    cell.locator(".widget-dropdown select").select_option("classes")
    wait_for_layers(page, cell, ["features", "hidden_1", "hidden_2", "hidden_3", "classes"])
    _publish("lesson02-explorer-depth3-output.png", "lesson_explorer.png")



# ----------------------------------------------------------------------------- tests
def _run_notebook(page, lab: Lab, path: Path) -> tuple[nbformat.NotebookNode, list[dict]]:
    relative = path.relative_to(ROOT).as_posix()
    stored = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    open_notebook(page, lab, relative)
    TIMINGS[f"{path.stem}:open_s"] = time.perf_counter() - start
    start = time.perf_counter()
    results = run_cells_one_by_one(page, stored)
    TIMINGS[f"{path.stem}:run_cells_s"] = time.perf_counter() - start
    return stored, results


@pytest.mark.parametrize("number", LESSONS)
def test_lesson_runs_and_its_widgets_react(page, lab, number):
    path = _notebook("notebooks", number)
    start = time.perf_counter()
    stored, _ = _run_notebook(page, lab, path)
    seen = check_rich_outputs(page, stored)
    assert seen["widget"] >= 1 and seen["graphviz_svg"] + seen["png"] >= 1, seen
    if number == "02":
        check_lesson_02_explorer(page, stored)
    reactions = check_explorers(page, stored, path.stem)
    TIMINGS[f"{path.stem}:control_to_redraw_s"] = max(reactions.values())
    TIMINGS[f"{path.stem}:total_s"] = time.perf_counter() - start
    print(f"\n{path.stem}: outputs {seen}, control -> redraw {reactions}")


@pytest.mark.parametrize("name", EXERCISES)
def test_exercise_runs_and_its_checks_show_their_outcome(page, lab, name):
    from playwright.sync_api import expect

    path = _notebook("exercises", name)
    start = time.perf_counter()
    stored, _ = _run_notebook(page, lab, path)
    check_rich_outputs(page, stored)
    checks = [i for i, c in enumerate(stored.cells) if c.cell_type == "code" and ".check()" in c.source]
    assert len(checks) >= 1
    for index in checks:
        outcome = code_cell(page, index).locator(".jp-OutputArea-output[data-mime-type='text/html']")
        expect(outcome).to_contain_text("not attempted")
        expect(outcome).not_to_contain_text("Traceback")
    # the last cell shows this exercise's part of the learner's record: nothing solved in a blank handout
    progress_view = page.locator(".jp-OutputArea-output[data-mime-type='text/html'] .course-progress")
    expect(progress_view).to_have_count(1)
    expect(progress_view).to_contain_text(f"{name} · 0 of {len(checks)} solved")
    shot = ARTIFACTS / f"{name}-check.png"
    code_cell(page, checks[0]).screenshot(path=str(shot))
    # the docs picture: the learner's blank answer and the check under it
    _screenshot_cells(page, [checks[0] - 1, checks[0]], ARTIFACTS / f"{name}-answer-and-check.png")
    _publish(f"{name}-answer-and-check.png", "exercise_check.png")
    TIMINGS[f"{name}:total_s"] = time.perf_counter() - start


def test_zz_nothing_is_left_running(lab):
    """Every kernel the notebooks started is gone once its test ended (the server is stopped by its fixture)."""
    lab.remember_children()
    deadline = time.time() + 20
    while True:
        sessions = _api(lab.base, lab.token, "/api/sessions")
        kernels = _api(lab.base, lab.token, "/api/kernels")
        if not sessions and not kernels:
            break
        if time.time() > deadline:
            pytest.fail(f"still running: sessions {sessions}, kernels {kernels}")
        time.sleep(0.5)
    children = [p for p in psutil.Process(lab.proc.pid).children(recursive=True) if _running(p)]
    assert not children, f"kernel processes left: {[p.cmdline()[:3] for p in children]}"
    print("\nTIMINGS " + json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))
    (ARTIFACTS / "timings.json").write_text(json.dumps(TIMINGS, indent=1))


# ----------------------------------------------------------------------------- docs pictures
def _screenshot_cells(page, indices: list[int], target: Path) -> None:
    boxes = [code_cell(page, i).bounding_box() for i in indices]
    x = min(b["x"] for b in boxes)
    y = min(b["y"] for b in boxes)
    right = max(b["x"] + b["width"] for b in boxes)
    bottom = max(b["y"] + b["height"] for b in boxes)
    page.screenshot(path=str(target), clip={"x": x, "y": y, "width": right - x, "height": bottom - y})


def _publish(artifact: str, doc_name: str) -> None:
    """With UPDATE_DOCS=1, store a screenshot in docs/ as a small palette PNG (for the README)."""
    if os.environ.get("UPDATE_DOCS") != "1":
        return
    from PIL import Image, ImageChops

    DOCS.mkdir(exist_ok=True)
    image = Image.open(ARTIFACTS / artifact).convert("RGB")
    image = image.crop((10, 0, image.width, image.height))  # no active-cell marker on the left
    content = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if content:  # trim the empty page right of and below the content
        image = image.crop((0, 0, min(image.width, content[2] + 16), min(image.height, content[3] + 8)))
    if image.width > 900:
        image = image.resize((900, round(image.height * 900 / image.width)), Image.LANCZOS)
    image.quantize(colors=128, method=Image.MEDIANCUT).save(DOCS / doc_name, optimize=True)
