"""What the browser tests share besides fixtures: the viewports, the fleet's
names, a client for the rides API and a watch on what a page did."""
import json

import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support import aws as aws_support

DESKTOP = {'width': 1366, 'height': 900}
PHONE = {'width': 390, 'height': 844}
CATALOG_NAMES = {unicorn['Name'] for unicorn in aws_support.catalog()}


class RiderBook:
    """Riders of one stack's pool (confirmed, signed in: real tokens), made
    as tests need them and remembered, so that a ride can be ended by
    whoever booked it."""

    def __init__(self, stack):
        self._riders = stack.riders()
        self.all = []

    def new(self):
        rider = self._riders.new()
        self.all.append(rider)
        return rider


class RidesApi:
    """The rides API over HTTP, for setting the scene around the page: book
    every unicorn, and give them back afterwards. Each ride is requested by
    a rider of its own (one active ride per rider)."""

    def __init__(self, base_url, riders):
        self.base_url = base_url
        self.riders = riders
        self.booked = []
        self._owners = {}  # ride id -> the rider who booked it through this client

    def post_ride(self, body, rider=None):
        rider = rider or self.riders.new()
        response = requests.post(self.base_url + 'ride', data=json.dumps(body),
                                 headers=rider.headers, timeout=30)
        if response.status_code == 201:
            self._owners[response.json()['RideId']] = rider
        return response

    def book_every_unicorn(self):
        """Request rides until the fleet answers 503; the catalog is finite."""
        for _ in range(len(CATALOG_NAMES) + 1):
            response = self.post_ride({'PickupLocation': {'Latitude': 47.61, 'Longitude': -122.34}})
            if response.status_code == 503:
                return response.json()
            assert response.status_code == 201, response.text
            self.booked.append(response.json()['RideId'])
        raise AssertionError(f'still dispatching after {len(self.booked)} rides')

    def complete(self, ride_id, attempts=3):
        """End a ride as its rider (any other rider is told 404): the one who
        booked it here, or else (a ride booked on the page) the newest riders
        first; a slow machine may time the fleet out, so try again. Asking
        every rider for every ride would run into the stage's throttle."""
        owner = self._owners.get(ride_id)
        candidates = [owner] if owner else list(reversed(self.riders.all))
        response = None
        for _ in range(attempts):
            for rider in candidates:
                response = requests.post(f'{self.base_url}ride/{ride_id}/complete', data='{}',
                                         headers=rider.headers, timeout=30)
                if response.status_code == 200:
                    return
                if response.status_code != 404:
                    break
        raise AssertionError(f'ride {ride_id} could not be completed: '
                             f'{response.text if response is not None else "no rider"}')

    def complete_all(self):
        while self.booked:
            self.complete(self.booked.pop())


def sign_in(page, rider):
    """Sign in on the page as a rider would: the form, by its labels."""
    page.get_by_label('Email').fill(rider.email)
    page.get_by_label('Password').fill(rider.password)
    page.get_by_role('button', name='Sign in').click()
    signed_in = page.get_by_role('button', name='Sign out')
    try:
        signed_in.wait_for()
    except PlaywrightTimeout:
        raise AssertionError('not signed in; the page says: '
                             f'{page.locator("#account").inner_text()!r}') from None


class PageWatch:
    """What a page did that a rider would not see: errors, dialogs, requests."""

    def __init__(self, page):
        self.errors, self.dialogs, self.requests = [], [], []
        page.on('pageerror', lambda error: self.errors.append(str(error)))
        page.on('console', self._console)
        page.on('dialog', self._dialog)
        page.on('request', lambda request: self.requests.append(request))

    def _console(self, message):
        # A failed fetch is logged by Chromium itself; that one is expected.
        if message.type == 'error' and not message.text.startswith('Failed to load resource'):
            self.errors.append(message.text)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_clean(self):
        assert self.errors == []
        assert self.dialogs == []


# Records every state the page passed through (a request can be quicker than
# a poll), and whether the progress indicator was shown while requesting.
RECORD_STATES = """
window.__states = [];
document.addEventListener('DOMContentLoaded', () => {
  const app = document.getElementById('app');
  const progress = document.getElementById('progress');
  const seen = () => {
    const entry = app.dataset.state + (progress.hidden ? '' : '+progress');
    if (window.__states[window.__states.length - 1] !== entry) window.__states.push(entry);
  };
  new MutationObserver(seen).observe(document.body, {attributes: true, subtree: true,
    attributeFilter: ['data-state', 'hidden']});
  seen();
});
"""
