"""Shared harness for the browser journeys (issue 12): each role, from a freshly seeded demo database,
moves only by clicking what the page shows — the login page is the one URL typed.

Use from a test module::

    from tests.web.journeys import Journey, browser, demo  # noqa: F401  (fixtures)

    pytestmark = JOURNEY_MARKS

    def test_pm_starts_a_milestone(browser, demo, live_server):
        j = Journey(browser, live_server)
        page = j.as_user("pm_chen")
        j.click_nav(page, "项目")
        ...

Screenshots go to docs/screenshots/ when PMFLOW_SCREENSHOTS=1 (``j.shot(page, "NN-name")``).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

JOURNEY_MARKS = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("PMFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "pmflow-demo"  # every demo login's password (seed_demo --print-logins)
SHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # .ci/run installs it: in CI a missing browser is a failure, not a skip
        pytest.skip(message)
    # Playwright's sync API keeps an event loop running in the test thread; Django's ORM refuses to
    # run inside one unless told that this is deliberate. The browser and the ORM never share a
    # connection (the live server answers the browser from its own thread).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield b
            b.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


#: tables whose rows a restored demo must not bring back: the applied migrations (never truncated) and
#: the portfolio data version (the truncation re-creates it with a new epoch, so that nothing a process
#: cached under an earlier test's version is served again — pmflow.portfolio_version)
_NOT_RESTORED = ("django_migrations", "pmflow_portfolio_version", "pmflow_portfolio_change")


#: this session's first seeded demo, archived by pg_dump (per database; a module global because the
#: journey modules import ``demo`` by name, and a fixture it used would have to be imported too)
_DUMPS: dict[str, dict[str, Any]] = {}


def _demo_dump(name: str) -> dict[str, Any]:
    if name not in _DUMPS:
        folder = Path(tempfile.mkdtemp(prefix="pmflow-demo-"))
        atexit.register(shutil.rmtree, folder, True)
        _DUMPS[name] = {"path": None, "failed": False, "dir": folder}
    return _DUMPS[name]


def _pg_args(connection: Any) -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = ["--no-owner", "--dbname", s["NAME"]]
    if s.get("HOST"):
        args += ["--host", s["HOST"]]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", s["USER"]]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    env.pop("PGOPTIONS", None)
    return args, env


def _truncate_all(connection: Any) -> None:
    """Empty every table (sequences restarted). The test settings let this connection truncate the
    append-only audit table, as Django's own flush between transactional tests does."""
    tables = [t for t in connection.introspection.table_names() if t != "django_migrations"]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE {} RESTART IDENTITY CASCADE".format(", ".join(connection.ops.quote_name(t) for t in tables)))


def _restore(connection: Any, dump: dict[str, Any]) -> bool:
    """The session's seeded demo back in place of whatever the database holds (data only, triggers
    disabled while loading: needs a superuser, as the test database's owner usually is). False if
    that failed; the database is then emptied again for a fresh seed."""
    args, env = _pg_args(connection)
    _truncate_all(connection)
    done = subprocess.run(
        ["pg_restore", "--data-only", "--disable-triggers", "--exit-on-error", "--single-transaction", *args, str(dump["path"])],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        dump["failed"] = True
        warnings.warn(f"restoring the seeded demo failed, seeding instead: {done.stderr[-2000:]}", stacklevel=2)
        _truncate_all(connection)
        return False
    # Ids of content types and permissions are now the dump's: forget the ones cached since the flush;
    # the working-day calendar is read again from the restored table.
    from django.contrib.contenttypes.models import ContentType

    from pmflow.workdays import workday_cache_clear

    ContentType.objects.clear_cache()
    workday_cache_clear()
    return True


def _dump(connection: Any, dump: dict[str, Any]) -> None:
    args, env = _pg_args(connection)
    path = dump["dir"] / "seeded-demo.pgdump"
    excluded = [f"--exclude-table-data={t}" for t in _NOT_RESTORED]
    done = subprocess.run(["pg_dump", "--format=custom", *excluded, "--file", str(path), *args], env=env, capture_output=True)
    if done.returncode == 0:
        dump["path"] = path
    else:
        dump["failed"] = True
        warnings.warn(f"archiving the seeded demo failed, each journey will seed: {done.stderr[-2000:]!r}", stacklevel=2)


@pytest.fixture
def demo(transactional_db):
    """A freshly seeded demo database, made by the same commands `make run` runs.

    Seeding takes minutes on a busy machine, so on PostgreSQL (with pg_dump / pg_restore at hand) the
    first journey of a session seeds and archives the result, and each later journey gets that same
    database back by truncating every table and restoring the archive (seconds). Every journey still
    starts from exactly what ``seed_demo`` made this session; anything that fails falls back to seeding.
    ``PMFLOW_JOURNEY_RESEED=1`` seeds for every journey."""
    from django.db import connection

    dump = _demo_dump(connection.settings_dict["NAME"])
    cheap = (
        connection.vendor == "postgresql"
        and not dump["failed"]
        and os.environ.get("PMFLOW_JOURNEY_RESEED") != "1"
        and shutil.which("pg_dump")
        and shutil.which("pg_restore")
    )
    if cheap and dump["path"] is not None and _restore(connection, dump):
        return
    call_command("load_reference_data", verbosity=0)
    call_command("seed_demo", verbosity=0)
    if cheap and dump["path"] is None:
        _dump(connection, dump)


class Journey:
    """One browser context per user; pages reached by clicking. ``lang`` 'en' switches through the top bar."""

    def __init__(self, browser: Any, live_server: Any, *, lang: str = "zh-hans") -> None:
        self.browser = browser
        self.base = live_server.url
        self.lang = lang
        self.shots = os.environ.get("PMFLOW_SCREENSHOTS") == "1"
        self.contexts: list[Any] = []

    def as_user(self, username: str, password: str = DEMO_PASSWORD) -> Any:
        ctx = self.browser.new_context(viewport=VIEWPORT, locale="zh-CN", device_scale_factor=1)
        ctx.set_default_timeout(30_000)  # generous: CI machines can be busy
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.goto(self.base + reverse("login"))  # the one typed URL
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("#login-form button[type=submit]")
        assert "/login/" not in page.url, f"{username} could not log in"
        if self.lang == "en":
            with page.expect_navigation():
                page.click("form.langswitch button[value=en]")
            assert page.locator("html").get_attribute("lang") == "en"
        return page

    @staticmethod
    def click(page: Any, locator: Any) -> None:
        """Click something that navigates (a link or a submit button) and wait for the new page."""
        with page.expect_navigation():
            locator.click()
        body = page.locator("body").inner_text()
        assert "Traceback" not in body and "Server Error" not in body, body[:2000]

    def click_link(self, page: Any, name: str | re.Pattern[str], *, exact: bool = False) -> None:
        self.click(page, page.get_by_role("link", name=name, exact=exact).first)

    def click_button(self, page: Any, name: str | re.Pattern[str], *, exact: bool = False) -> None:
        self.click(page, page.get_by_role("button", name=name, exact=exact).first)

    def click_nav(self, page: Any, name: str) -> None:
        """A link in the top navigation bar."""
        self.click(page, page.locator("nav.mainnav").get_by_role("link", name=name, exact=True))

    def shot(self, page: Any, name: str) -> None:
        if self.shots:
            SHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT_DIR / f"{name}.png"), full_page=False)

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


def t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh
