"""Swagger UI and Redoc in a real browser (headless Chromium via Playwright) against a live server:
they render the schema from local static files with no Content-Security-Policy violation and no
page error — the site's CSP (script-src 'self') stays on."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("PMFLOW_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop in this thread; ORM is not shared
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield browser.new_page()
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text or m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    return problems


def test_swagger_ui_renders_under_the_csp(live_server, page):
    problems = _watch(page)
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=30000)
    assert page.locator(".opblock").count() > 40
    assert "/api/v1/projects/{id}/transitions/{transition}/" in page.content()
    assert not _breaking(problems), problems
    assert not [u for u in external if not u.startswith("data:")], external


def _breaking(problems: list[str]) -> list[str]:
    """CSP violations that would break the page (scripts, styles, XHR, workers) and page errors.
    Redoc's footer logo is an <img> from cdn.redoc.ly: blocked by img-src, harmless."""
    return [p for p in problems if p.startswith("pageerror") or ("Content Security Policy" in p and "img-src" not in p)]


def test_redoc_renders_under_the_csp(live_server, page):
    problems = _watch(page)
    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("h1", timeout=30000)
    page.wait_for_selector("text=/api/v1/projects/", timeout=30000)
    assert "pmflow API" in page.content()
    assert not _breaking(problems), problems
