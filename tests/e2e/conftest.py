"""End-to-end fixtures: ml-100k and a small trained model in the test database, a live server, Chromium (Playwright).

The data is loaded and the model trained once for the whole package, outside any test transaction: a live server
thread (and, for the retrain test, a Celery worker process) must see it, and flushing 100k ratings after every
test, as pytest-django's ``live_server`` fixture does, would mean importing and training again for each one.
The package's last fixture teardown empties the database, so the tests that follow find it as they expect.
"""

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.e2e.browsing import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PASSWORD,
    PHONE,
    SCREENSHOT_DIR,
    STAFF_USERNAME,
    TIMEOUT_MS,
    Site,
    screenshot_path,
)
from tests.processes import CeleryWorker, celery_app_broker, database_url, redis_database_url

# The Redis database of the live server and the Celery worker (retrain lock, queue, broker), emptied first.
E2E_REDIS_DB = 11
# The database the settings name, read at collection, before pytest-django points them at the test database.
CONFIGURED_DATABASE = settings.DATABASES["default"]["NAME"]


def _test_database_ensure() -> list | None:
    """pytest-django creates the test database only when a collected test asks for ``db`` or a ``django_db``
    marker. These tests use neither (both put each test in a transaction that the live server cannot see into),
    so when they run alone the database must be created here; the settings still name the real one then."""
    from django.db import connection
    from django.test.utils import setup_databases

    if connection.settings_dict["NAME"] != CONFIGURED_DATABASE:
        return None
    return setup_databases(verbosity=0, interactive=False, aliases={"default"})


@pytest.fixture(scope="package")
def e2e_site(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest, movielens_100k_path: Path
) -> Iterator[Site]:
    """ml-100k, a model trained by the real train command, and a staff user in the test database, served by
    a live server thread. The retrain lock and queue live in a Redis database of their own, emptied first, so
    that another test run or a developer's worker cannot hold the lock or take the task."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import teardown_databases
    from pytest_django.live_server_helper import LiveServer

    from ratings.services.movielens import movielens_import
    from recommender.services.serving import serving_reset

    redis_url = redis_database_url(E2E_REDIS_DB)
    redis.Redis.from_url(redis_url).flushdb()
    # Every browser signs up and logs in from 127.0.0.1: the limiter (tested in tests/test_accounts.py) would
    # otherwise count the whole e2e run as one client's attempts.
    with django_db_blocker.unblock(), override_settings(REDIS_URL=redis_url, API_RATE_AUTH="100000/m"):
        created = _test_database_ensure()
        # Everything below is emptied at the end: never let that be a real database.
        assert connection.settings_dict["NAME"] != CONFIGURED_DATABASE
        movielens_import(source=movielens_100k_path)
        # The site's default hyperparameters: five epochs, a second or two on ml-100k.
        call_command("train", stdout=io.StringIO(), stderr=io.StringIO())
        get_user_model().objects.create_superuser(STAFF_USERNAME, "staff@example.com", PASSWORD)
        serving_reset()  # statistics cached by earlier tests describe another database
        server = LiveServer("127.0.0.1")
        try:
            yield Site(
                url=server.url,
                database_url=database_url(),
                redis_url=redis_url,
                model_dir=Path(settings.MODEL_DIR),
            )
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            serving_reset()
            if created is not None:
                teardown_databases(created, verbosity=0)


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in this thread, so Django takes every ORM call here for one made
    from async code; they are plain synchronous calls made between browser steps, so allow them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(autouse=True)
def _database_for_e2e(django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Tests read the database the live server writes, committed: no test transaction to roll back."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless (Playwright cannot download its own browser here)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _page(browser: Browser, site: Site, request: pytest.FixtureRequest, **options: object) -> Iterator[Page]:
    context = browser.new_context(base_url=site.url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        # The last page of every test, passed or failed, for a person to look at.
        try:
            page.screenshot(path=screenshot_path(request.node.name), full_page=True)
        finally:
            context.close()


@pytest.fixture
def page(browser: Browser, e2e_site: Site, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (no cookies) at desktop width; its last page is saved as a screenshot."""
    yield from _page(browser, e2e_site, request, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser: Browser, e2e_site: Site, request: pytest.FixtureRequest) -> Iterator[Page]:
    """As ``page``, at a phone's width (375 x 812 CSS pixels, touch)."""
    yield from _page(browser, e2e_site, request, viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def celery_worker(e2e_site: Site) -> Iterator[subprocess.Popen]:
    """A real Celery worker process (solo pool) on the test database, MODEL_DIR and Redis database of the live
    server, which sends its tasks there too."""
    env = {
        "DATABASE_URL": e2e_site.database_url,
        "MODEL_DIR": str(e2e_site.model_dir),
        "REDIS_URL": e2e_site.redis_url,
        "CELERY_BROKER_URL": e2e_site.redis_url,
        "CELERY_RESULT_BACKEND": e2e_site.redis_url,
    }
    log_path = screenshot_path("celery-worker").with_suffix(".log")
    log_path.unlink(missing_ok=True)
    worker = CeleryWorker(env=env, log=log_path, broker_url=e2e_site.redis_url, pool="solo", concurrency=1)
    with celery_app_broker(e2e_site.redis_url):
        worker.start()
        try:
            yield worker.process
        finally:
            worker.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SCREENSHOT_DIR.is_dir() and any(SCREENSHOT_DIR.glob("*.png")):
        terminalreporter.write_line(f"End-to-end screenshots: {SCREENSHOT_DIR}")
