"""Debian's Chromium driven by Playwright against the local stack.

The browser is never downloaded: Playwright launches /usr/bin/chromium
(`.ci/run` installs it with apt-get). Each test gets a fresh browser context
at its own viewport; screenshots go to test-artifacts/screenshots/.
"""
import pathlib
import re
import shutil

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.helpers import DESKTOP, RECORD_STATES, PageWatch, RiderBook, RidesApi, sign_in

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / 'test-artifacts' / 'screenshots'
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync']


@pytest.fixture(scope='session')
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f'{CHROMIUM} is missing: apt-get install chromium (.ci/run does it)')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope='session')
def stack():
    """The whole system on free loopback ports: rides and the fleet under
    `chalice local`, the fleet's functions in the local Lambda runtime, the
    table loaded from the catalog."""
    from local_stack import testing
    with testing.local_stack() as running:
        yield running


@pytest.fixture(scope='session')
def rides_url(stack):
    """The rides API's root, where the page is, ending with '/'."""
    return stack.page_url


@pytest.fixture(scope='session')
def riders(stack):
    """Riders of the stack's pool; `riders.new()` is one more, signed in."""
    return RiderBook(stack)


@pytest.fixture
def api(rides_url, riders):
    client = RidesApi(rides_url, riders)
    yield client
    client.complete_all()


@pytest.fixture
def open_page(browser, riders):
    """open_page(url, viewport=DESKTOP, rider=..., **context options) ->
    (page, watch), signed in through the page's form as `rider` (by
    default a new rider of the stack's pool; None: signed out)."""
    contexts = []

    def open_(url, viewport=DESKTOP, rider=..., **options):
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.add_init_script(RECORD_STATES)
        watch = PageWatch(page)
        page.goto(url)
        page.wait_for_selector('#app[data-ready="true"]')
        if rider is ...:
            rider = riders.new()
        if rider is not None:
            sign_in(page, rider)
        return page, watch

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request):
    """screenshot(page, step): test-artifacts/screenshots/<test>-<step>.png"""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r'[^A-Za-z0-9_.-]+', '-', request.node.name).strip('-')

    def take(page, step):
        path = SCREENSHOTS / f'{name}-{step}.png'
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
