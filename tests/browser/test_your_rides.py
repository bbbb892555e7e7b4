"""A rider's history on the page, in Debian's Chromium against the whole
local stack: rides, the fleet, and ride-record fed by the rides topic.
"Your rides" shows each ride with its unicorn, colour, time, pickup and
status, newest first, and follows a ride from requested to ended."""
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.browser.test_rider_page import click_map, request_button, wait_for_arrival

pytestmark = [pytest.mark.browser, pytest.mark.stack]

# Ride events reach ride-record asynchronously; the page polls until they show.
SHOWS_WITHIN_MS = 10_000


def your_rides(page):
    return page.get_by_role('list', name='Your rides')


def test_a_rider_sees_their_ride_active_in_your_rides_and_then_completed(
        open_page, rides_url, api, screenshot):
    page, watch = open_page(rides_url)
    expect(page.get_by_role('region', name='Your rides')).to_be_visible()
    expect(page.locator('#history-note')).to_have_text(re.compile('No rides yet'))

    click_map(page, 0.33, 0.45)
    request_button(page).click()
    name = wait_for_arrival(page)
    colour = page.locator('#ride-color').inner_text()
    ride_id = page.locator('#ride-id').inner_text()
    api.booked.append(ride_id)  # ended below; the api fixture ends it if not

    ride = your_rides(page).get_by_role('listitem').filter(has_text=name)
    expect(ride).to_have_count(1, timeout=SHOWS_WITHIN_MS)
    expect(ride.locator('.history-status')).to_have_text('active', timeout=SHOWS_WITHIN_MS)
    expect(ride).to_contain_text(colour)
    expect(ride).to_contain_text('Pickup near')
    expect(ride.locator('time')).to_have_attribute('datetime', re.compile(r'^\d{4}-\d\d-\d\dT'))
    assert ride.get_attribute('data-ride-id') == ride_id
    screenshot(page, '1-active')

    page.get_by_role('button', name='End ride').click()
    expect(page.get_by_role('status').first).to_contain_text('ride has ended')
    api.booked.remove(ride_id)

    expect(ride.locator('.history-status')).to_have_text('completed', timeout=SHOWS_WITHIN_MS)
    expect(your_rides(page).get_by_role('listitem')).to_have_count(1)
    expect(page.get_by_role('button', name='More')).to_be_hidden()
    screenshot(page, '2-completed')
    watch.assert_clean()


def test_your_rides_shows_the_newest_first_and_nothing_of_other_riders(
        open_page, rides_url, api, riders):
    rider, other = riders.new(), riders.new()
    first = api.post_ride({'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3422}}, rider)
    api.complete(first.json()['RideId'])
    second = api.post_ride({'PickupLocation': {'Latitude': 47.6205, 'Longitude': -122.3493}}, rider)
    theirs = api.post_ride({'PickupLocation': {'Latitude': 47.61, 'Longitude': -122.34}}, other)
    api.booked.extend([second.json()['RideId'], theirs.json()['RideId']])
    wait_until_recorded(rides_url, rider, count=2)

    page, watch = open_page(rides_url, rider=rider)

    items = your_rides(page).get_by_role('listitem')
    expect(items).to_have_count(2, timeout=SHOWS_WITHIN_MS)
    expect(items.nth(0)).to_have_attribute('data-ride-id', second.json()['RideId'])
    expect(items.nth(0)).to_contain_text('Space Needle')
    expect(items.nth(0).locator('.history-status')).to_have_text('active')
    expect(items.nth(1)).to_have_attribute('data-ride-id', first.json()['RideId'])
    expect(items.nth(1).locator('.history-status')).to_have_text('completed')
    watch.assert_clean()


def wait_until_recorded(rides_url, rider, count):
    """Until ride-record lists `count` rides of the rider, with the latest
    ride event applied (bounded): the page reads the history once on sign-in."""
    deadline = time.monotonic() + SHOWS_WITHIN_MS / 1000
    while time.monotonic() < deadline:
        response = requests.get(rides_url + 'rides', headers=rider.headers, timeout=30)
        rides = response.json().get('Rides', []) if response.status_code == 200 else []
        if len(rides) == count and rides[-1]['Status'] == 'completed':
            return
        time.sleep(0.2)
    raise AssertionError(f'ride-record did not list {count} rides in time')


def recorded_ride(ride_id, unicorn_name, status):
    return {'RideId': ride_id, 'RiderId': 'the-rider', 'Status': status, 'UnicornName': unicorn_name,
            'Unicorn': {'Name': unicorn_name, 'Color': 'Golden'},
            'RequestTime': '2026-11-27T01:00:00.000+00:00',
            'PickupLocation': {'Latitude': 47.6205, 'Longitude': -122.3493}}


def test_your_rides_shows_what_it_gets_as_text_and_more_pages_on(open_page, rides_url, riders):
    """GET /rides answered here (page.route): markup in a name stays text,
    and More asks for the next page with the NextToken it was given."""
    page, watch = open_page(rides_url, rider=None)
    markup = '<img src=x onerror="window.__injected = 1">'
    pages = {None: {'Rides': [recorded_ride('ride-2', markup, 'active')], 'NextToken': 'page/2+'},
             'page/2+': {'Rides': [recorded_ride('ride-1', 'Bucephalus', 'cancelled')]}}
    asked = []

    def answer(route):
        token = parse_qs(urlsplit(route.request.url).query).get('NextToken', [None])[0]
        asked.append(token)
        route.fulfill(status=200, content_type='application/json', body=json.dumps(pages[token]))
    page.route(re.compile(r'/rides(\?|$)'), answer)
    sign_in(page, riders.new())

    items = your_rides(page).get_by_role('listitem')
    expect(items).to_have_count(1)
    expect(items.nth(0).locator('.history-name')).to_have_text(markup)
    assert page.locator('#history img').count() == 0
    more = page.get_by_role('button', name='More')

    more.click()

    expect(items).to_have_count(2)
    expect(items.nth(1)).to_contain_text('Bucephalus')
    expect(items.nth(1).locator('.history-status')).to_have_text('cancelled')
    expect(more).to_be_hidden()
    assert asked == [None, 'page/2+']
    assert page.evaluate('window.__injected') is None
    watch.assert_clean()
