"""GET /rides end to end on the local stack: riders with real tokens, rides
under `chalice local`, each ride event through the rides topic and the local
SNS delivery to ride-record's PutRideRecordSns, and the history read back by
rides' direct invoke of ListRideRecords in the local Lambda runtime."""
import json
import time

import pytest
import requests

from local_stack import testing
from shared.domain.page_tokens import PageKey, encode

pytestmark = pytest.mark.stack

SEATTLE = {'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3331}}
# Delivery is asynchronous: a change shows in the history within a few seconds.
SHOWS_WITHIN_SECONDS = 15


@pytest.fixture(scope='module')
def stack():
    with testing.local_stack() as running:
        yield running


@pytest.fixture(scope='module')
def riders(stack):
    return stack.riders()


def history(stack, rider, query=''):
    return requests.get(f'{stack.rides_url}/rides{query}', headers=rider.headers, timeout=30)


def wait_for_status(stack, rider, ride_id, status):
    """The rider's history once it shows the ride in `status` (bounded)."""
    deadline = time.monotonic() + SHOWS_WITHIN_SECONDS
    while True:
        response = history(stack, rider)
        assert response.status_code == 200, response.text
        rides = response.json()['Rides']
        if any(ride['RideId'] == ride_id and ride['Status'] == status for ride in rides):
            return rides
        assert time.monotonic() < deadline, (
            f'{ride_id} not {status} after {SHOWS_WITHIN_SECONDS} s: {rides}\n'
            + stack.log_text()[-3000:])
        time.sleep(0.2)


def test_a_requested_ride_shows_active_and_once_ended_completed_to_its_rider_only(stack, riders):
    rider, other = riders.new(), riders.new()
    requested = requests.post(f'{stack.rides_url}/ride', data=json.dumps(SEATTLE),
                              headers=rider.headers, timeout=30)
    assert requested.status_code == 201, requested.text
    ride = requested.json()

    [active] = wait_for_status(stack, rider, ride['RideId'], 'active')

    assert active == {
        'RideId': ride['RideId'], 'RiderId': rider.rider_id, 'Status': 'active',
        'UnicornName': ride['UnicornName'],
        'Unicorn': {'Name': ride['Unicorn']['Name'], 'Color': ride['Unicorn']['Color']},
        'RequestTime': ride['RequestTime'], 'PickupLocation': ride['PickupLocation']}

    ended = requests.post(f"{stack.rides_url}/ride/{ride['RideId']}/complete", data='{}',
                          headers=rider.headers, timeout=30)
    assert ended.status_code == 200, ended.text

    [completed] = wait_for_status(stack, rider, ride['RideId'], 'completed')
    assert completed['CompletedTime'] >= ride['RequestTime']
    assert history(stack, other).json() == {'Rides': []}


def test_another_riders_next_token_is_400_through_the_whole_stack(stack, riders):
    rider, other = riders.new(), riders.new()
    theirs = encode(PageKey(other.rider_id, '2026-11-27T01:00:00.000+00:00',
                            '0439b0ae-1fa5-4d0e-8899-a0ea9fa5c03c'))

    response = history(stack, rider, '?NextToken=' + theirs)

    assert response.status_code == 400
    assert response.json()['Code'] == 'InvalidNextToken'


def test_without_a_token_the_history_is_refused_by_the_authorizer(stack):
    response = requests.get(f'{stack.rides_url}/rides', timeout=30)

    assert response.status_code == 401
