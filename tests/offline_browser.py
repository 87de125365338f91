"""A real, offline Chromium for tests that look at a local HTML file, and the README pictures they make.

The system Chromium is driven by Playwright with test_browser.py's flags; the page may load
``file://`` URLs only, and every other URL it tries is refused and listed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Screenshots of the report and progress tests (gitignored); with UPDATE_DOCS=1 the README pictures in docs/ too.
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", ROOT / "artifacts" / "browser"))


@contextmanager
def offline_page(width: int = 1100, height: int = 900) -> Iterator[tuple[object, list[str]]]:
    """``(page, refused)``: a Chromium page that loads file:// URLs only; ``refused`` lists the others it tried."""
    from test_browser import CHROMIUM, CHROMIUM_ARGS

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the python package 'playwright' is missing: pip install -r requirements.txt")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs it) or `apt-get install chromium`")
    refused: list[str] = []

    def only_files(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.route("**/*", only_files)
            page = context.new_page()
            page.set_default_timeout(60_000)
            yield page, refused
        finally:
            browser.close()
    finally:
        playwright.stop()


def publish(artifact: Path, doc_name: str, width: int = 900) -> None:
    """With UPDATE_DOCS=1, copy a screenshot into docs/ as a small palette PNG (for the README)."""
    if os.environ.get("UPDATE_DOCS") != "1":
        return
    from PIL import Image

    image = Image.open(artifact).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image.quantize(colors=128, method=Image.MEDIANCUT).save(ROOT / "docs" / doc_name, optimize=True)
