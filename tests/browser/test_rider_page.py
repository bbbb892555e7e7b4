"""A rider in a real browser (Debian's Chromium) against the local stack:
rides under `chalice local`, the fleet in the local Lambda runtime, its
unicorns in the table. Pick a pickup point, request, watch a unicorn from
the fleet arrive; and the ways it can go wrong, read as sentences."""
import json
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import CATALOG_NAMES, PHONE, RiderBook, RidesApi, sign_in
from tests.support import aws as aws_support
from tests.support.apps import RIDES_DIR

pytestmark = [pytest.mark.browser, pytest.mark.stack]

ARRIVAL_TIMEOUT_MS = 20_000
NO_UNICORN = re.compile('no unicorn available right now', re.I)
RIDES_ENV = aws_support.stage_environment(RIDES_DIR)


def the_map(page):
    return page.get_by_role('application', name=re.compile('map', re.I))


def request_button(page):
    return page.get_by_role('button', name=re.compile('Request'))


def click_map(page, fx, fy):
    """Click the map at a fraction of its width and height."""
    box = the_map(page).bounding_box()
    page.mouse.click(box['x'] + box['width'] * fx, box['y'] + box['height'] * fy)


def shown_pickup(page):
    return float(page.locator('#pickup-lat').inner_text()), float(page.locator('#pickup-lng').inner_text())


def wait_for_arrival(page):
    expect(page.get_by_role('status')).to_contain_text('has arrived', timeout=ARRIVAL_TIMEOUT_MS)
    expect(page.locator('#app')).to_have_attribute('data-state', 'arrived')
    name = page.locator('#ride-name').inner_text()
    assert name in CATALOG_NAMES
    return name


def states(page):
    return page.evaluate('window.__states')


def centre(box):
    return box['x'] + box['width'] / 2, box['y'] + box['height'] / 2


def test_a_rider_sets_a_pickup_point_requests_and_a_unicorn_from_the_fleet_arrives(
        open_page, rides_url, api, stack, screenshot):
    page, watch = open_page(rides_url)
    button = request_button(page)
    expect(button).to_be_disabled()
    expect(page.locator('#pickup-empty')).to_be_visible()
    screenshot(page, '1-start')

    click_map(page, 0.33, 0.45)

    expect(page.locator('#pickup-lat')).to_have_text(re.compile(r'^47\.6\d{4}$'))
    expect(page.locator('#pickup-lng')).to_have_text(re.compile(r'^-122\.3\d{4}$'))
    expect(page.locator('#pickup-marker')).to_be_visible()
    expect(page.get_by_role('status')).to_contain_text('Pickup point set')
    latitude, longitude = shown_pickup(page)
    expect(button).to_be_enabled()

    with page.expect_request(lambda r: r.method == 'POST' and r.url.endswith('/ride')) as sent:
        button.click()
    assert sent.value.url == rides_url + 'ride'
    assert sent.value.headers['content-type'] == 'application/json'
    body = sent.value.post_data_json
    assert set(body) == {'PickupLocation'} and set(body['PickupLocation']) == {'Latitude', 'Longitude'}
    assert body['PickupLocation']['Latitude'] == pytest.approx(latitude, abs=1e-5)
    assert body['PickupLocation']['Longitude'] == pytest.approx(longitude, abs=1e-5)

    name = wait_for_arrival(page)
    api.booked.append(page.locator('#ride-id').inner_text())
    expect(page.locator('#ride-name')).to_be_visible()
    expect(page.locator('#ride-color')).to_have_text(re.compile(r'\w'))
    expect(page.get_by_role('status')).to_contain_text(f'{name} has arrived at your pickup point')
    assert 'requesting+progress' in states(page) and 'arriving' in states(page)

    # The unicorn came to the pin: straight above it.
    unicorn_x, unicorn_y = centre(page.locator('#unicorn').bounding_box())
    pin_x, pin_y = centre(page.locator('#pickup-marker').bounding_box())
    assert abs(unicorn_x - pin_x) < 3 and unicorn_y < pin_y
    expect(button).to_be_enabled()
    screenshot(page, '2-arrived')

    click_map(page, 0.6, 0.6)            # a new point: the last unicorn leaves the map
    expect(page.locator('#unicorn')).to_be_hidden()
    expect(page.locator('#app')).to_have_attribute('data-state', 'idle')

    origin = '{0.scheme}://{0.netloc}'.format(urlsplit(rides_url))
    # nothing but the rides API and the configured Cognito endpoint (the sign-in)
    cognito = stack.aws_url + '/'
    assert [r.url for r in watch.requests
            if not r.url.startswith(origin + '/') and r.url != cognito] == []
    assert [r.headers.get('x-amz-target') for r in watch.requests if r.url == cognito] == [
        'AWSCognitoIdentityProviderService.InitiateAuth']
    watch.assert_clean()


def test_the_keyboard_alone_sets_the_pickup_point_and_requests(open_page, rides_url, api, screenshot):
    page, watch = open_page(rides_url)
    page.reload()  # signed in still, and the keyboard starts at the top of the page
    page.wait_for_selector('#app[data-ready="true"]')

    page.keyboard.press('Tab')           # the skip link
    page.keyboard.press('Tab')
    expect(the_map(page)).to_be_focused()
    expect(page.locator('#crosshair')).to_be_visible()
    for _ in range(3):
        page.keyboard.press('ArrowRight')
    page.keyboard.press('Shift+ArrowUp')
    expect(page.locator('#crosshair-readout')).to_contain_text('Crosshair 47.61020, -122.32822')
    screenshot(page, '1-crosshair')
    page.keyboard.press('Enter')

    assert shown_pickup(page) == (47.6102, -122.32822)
    page.keyboard.press('Tab')
    expect(request_button(page)).to_be_focused()
    page.keyboard.press('Enter')

    wait_for_arrival(page)
    api.booked.append(page.locator('#ride-id').inner_text())
    screenshot(page, '2-arrived')
    watch.assert_clean()


def test_on_a_phone_a_tap_sets_the_pickup_point_and_everything_fits(open_page, rides_url, api, screenshot):
    page, watch = open_page(rides_url, viewport=PHONE, is_mobile=True, has_touch=True,
                            device_scale_factor=2)
    screenshot(page, '1-start')

    box = the_map(page).bounding_box()
    the_map(page).tap(position={'x': box['width'] * 0.55, 'y': box['height'] * 0.6})
    button = request_button(page)
    expect(button).to_be_enabled()

    assert page.evaluate('document.documentElement.scrollWidth') <= PHONE['width']
    for element in (the_map(page), button):
        found = element.bounding_box()
        assert found['x'] >= 0 and found['x'] + found['width'] <= PHONE['width']
    assert button.bounding_box()['height'] >= 44   # a finger-sized target

    button.tap()
    wait_for_arrival(page)
    api.booked.append(page.locator('#ride-id').inner_text())
    screenshot(page, '2-arrived')
    watch.assert_clean()


def test_with_every_unicorn_on_a_ride_the_rider_reads_that_none_is_available(
        open_page, rides_url, api, screenshot):
    refusal = api.book_every_unicorn()
    page, watch = open_page(rides_url)
    click_map(page, 0.5, 0.5)

    request_button(page).click()

    expect(page.get_by_role('alert')).to_contain_text(NO_UNICORN)
    assert refusal['Code'] == 'NoUnicornAvailable'
    expect(page.locator('#ride')).to_be_hidden()
    expect(request_button(page)).to_be_enabled()
    screenshot(page, '1-none-available')

    # One unicorn comes back; the same button gets it.
    api.complete(api.booked.pop())
    request_button(page).click()
    wait_for_arrival(page)
    api.booked.append(page.locator('#ride-id').inner_text())
    expect(page.locator('#error')).to_be_empty()
    watch.assert_clean()


@pytest.fixture
def failing_fleet():
    """A stack of its own whose fleet cannot be called: before the first
    ride, the parameter rides reads names a function that does not exist."""
    from local_stack import testing
    with testing.local_stack() as broken:
        broken.client('ssm').put_parameter(
            Name=RIDES_ENV['REQUEST_UNICORN_ARN_PARAMETER'], Type='String', Overwrite=True,
            Value=broken.fleet_arn.replace('RequestUnicornInvoke', 'NoSuchFunction'))
        yield broken


def test_when_the_fleet_fails_the_rider_reads_so_and_can_try_again(
        open_page, failing_fleet, screenshot):
    riders = RiderBook(failing_fleet)
    refusal = RidesApi(failing_fleet.page_url, riders).post_ride(
        {'PickupLocation': {'Latitude': 47.61, 'Longitude': -122.34}})
    assert refusal.status_code == 502, refusal.text
    page, watch = open_page(failing_fleet.page_url, rider=riders.new())
    click_map(page, 0.6, 0.4)

    request_button(page).click()

    expect(page.get_by_role('alert')).to_contain_text('The unicorn fleet had a problem answering')
    expect(page.locator('#ride')).to_be_hidden()
    expect(request_button(page)).to_be_enabled()
    screenshot(page, '1-fleet-failed')
    watch.assert_clean()


def test_a_refused_request_shows_the_servers_own_message(open_page, rides_url, api, screenshot):
    bad = {'PickupLocation': {'Latitude': 123.0, 'Longitude': -122.33}}
    expected = api.post_ride(bad)
    assert expected.status_code == 400
    message = expected.json()['Message']
    page, watch = open_page(rides_url)
    page.route('**/ride', lambda route: route.continue_(post_data=json.dumps(bad)))
    click_map(page, 0.5, 0.5)

    request_button(page).click()

    expect(page.get_by_role('alert')).to_contain_text(message)
    expect(request_button(page)).to_be_enabled()
    screenshot(page, '1-refused')
    watch.assert_clean()


def test_when_the_network_fails_the_rider_reads_why_and_can_retry(open_page, rides_url, api, screenshot):
    page, watch = open_page(rides_url)
    page.route('**/ride', lambda route: route.abort('connectionrefused'))
    click_map(page, 0.4, 0.3)

    request_button(page).click()

    expect(page.get_by_role('alert')).to_contain_text('Could not reach Wild Rydes')
    expect(request_button(page)).to_be_enabled()
    screenshot(page, '1-network-failure')

    page.unroute('**/ride')
    request_button(page).click()
    wait_for_arrival(page)
    api.booked.append(page.locator('#ride-id').inner_text())
    watch.assert_clean()


@pytest.mark.parametrize('stage_path', ['api/', 'api'], ids=['slash', 'no-slash'])
def test_behind_a_stage_prefix_the_page_finds_the_api_beside_it(
        open_page, browser, rides_url, api, riders, screenshot, stage_path):
    """API Gateway serves the app under /api; here a route strips it again."""
    prefixed = re.compile('^' + re.escape(rides_url) + r'api(/.*)?$')

    def strip_stage(route):
        # Fetched aside and fulfilled, so the page keeps its /api URL.
        rest = prefixed.match(route.request.url).group(1) or '/'
        route.fulfill(response=route.fetch(url=rides_url + rest.lstrip('/')))

    context = browser.new_context()
    try:
        context.route(prefixed, strip_stage)
        page = context.new_page()
        # Signed in at the root first: the session (sessionStorage, per tab
        # and origin) goes along. (Chromium refuses a loopback fetch from a
        # document Playwright fulfils, so the prefixed page itself cannot
        # reach the local Cognito endpoint; on AWS that endpoint is public.)
        page.goto(rides_url)
        page.wait_for_selector('#app[data-ready="true"]')
        sign_in(page, riders.new())
        page.goto(rides_url + stage_path)
        page.wait_for_selector('#app[data-ready="true"]')
        assert page.evaluate('location.pathname') == '/' + stage_path
        click_map(page, 0.45, 0.4)
        with page.expect_request(lambda r: r.method == 'POST') as sent:
            request_button(page).click()
        assert sent.value.url == rides_url + 'api/ride'
        wait_for_arrival(page)
        api.booked.append(page.locator('#ride-id').inner_text())
        screenshot(page, '1-arrived')
    finally:
        context.close()
