"""One failure at a time on the ride path, each seen from three sides: what
the rider gets (status and message), what reached the rides topic, and
which unicorns the fleet holds afterwards. A ride answered 201 is on the
topic exactly once; a ride that fails holds nothing and is never requested
on the topic (when the request may have gone out anyway, a RideCancelled
follows it: test_ride_events_faults.py)."""
import uuid

import pytest

from shared import budget
from shared.adapters.dynamodb_fleet_store import DynamoDbFleetStore
from shared.domain.fleet import CLAIM_ATTEMPTS, Fleet
from shared.domain.fleet_store import RideOrder
from tests.faults.conftest import READ_TIMEOUT, post_ride
from tests.faults.lambda_endpoint import (
    answers_with,
    function_not_found,
    late,
    reach_fleet,
    throttled,
)
from tests.support.aws import held_unicorns
from tests.support.riders import new_rider

FLEET_ATTEMPTS = budget.FLEET_CALL.retry.attempts
LATE_SECONDS = READ_TIMEOUT + 2.0


def dispatches(endpoint):
    return [payload for payload in endpoint.payloads() if 'Action' not in payload]


def releases(endpoint):
    return [payload['RideId'] for payload in endpoint.payloads()
            if payload.get('Action') == 'Release']


def assert_ride_answered_once(response, rides_topic, fleet_table):
    assert response.status_code == 201
    ride = response.json_body
    assert rides_topic.published_rides() == [ride]
    assert held_unicorns(fleet_table) == {ride['UnicornName']: ride['RideId']}
    return ride


def assert_failed_cleanly(response, status, code, message, rides_topic, fleet_table, held=None):
    assert response.status_code == status
    assert response.json_body == {'Code': code, 'Message': message}
    assert b'Traceback' not in response.body
    assert rides_topic.published_rides() == []
    assert held_unicorns(fleet_table) == (held or {})


# -- the fleet fails -------------------------------------------------------

def test_a_fleet_that_raises_is_502_naming_nothing_of_the_fleet(
        rides, endpoint, rides_topic, fleet_table, monkeypatch):
    def broken(self):
        raise KeyError('Size')
    monkeypatch.setattr(DynamoDbFleetStore, 'fleet_size', broken)

    response = post_ride(rides)

    # The fleet's errorType (KeyError) was named here before; it now stays in the log.
    assert_failed_cleanly(response, 502, 'FleetError', 'the fleet failed',
                          rides_topic, fleet_table)
    assert len(dispatches(endpoint)) == 1  # a function error is not retried


def test_a_fleet_that_raises_after_dispatching_gives_the_unicorn_back(
        rides, endpoint, rides_topic, fleet_table, monkeypatch):
    """The claim was written, then the fleet crashed building its answer."""
    def broken(unicorn):
        raise TypeError('Object of type Decimal is not JSON serializable')
    monkeypatch.setattr('shared.domain.fleet.public_view', broken)

    response = post_ride(rides)

    assert_failed_cleanly(response, 502, 'FleetError', 'the fleet failed',
                          rides_topic, fleet_table)
    [dispatch] = dispatches(endpoint)
    assert releases(endpoint) == [dispatch['RideId']]


@pytest.mark.parametrize('answer', [
    {'Name': 'Shadowfax'},                 # no Color
    {'Name': '', 'Color': 'White'},
    {'Name': 7, 'Color': 'White'},
    ['Shadowfax', 'White'],
    'Shadowfax',
    None,
])
def test_a_fleet_answer_that_is_not_a_unicorn_is_502_and_holds_nothing(
        rides, endpoint, rides_topic, fleet_table, answer):
    endpoint.script(answers_with(answer))

    response = post_ride(rides)

    assert_failed_cleanly(response, 502, 'FleetError',
                          'the fleet answered with something that is not a unicorn',
                          rides_topic, fleet_table)
    [dispatch] = dispatches(endpoint)
    assert releases(endpoint) == [dispatch['RideId']]


# -- Lambda refuses the invoke ---------------------------------------------

def test_a_throttled_fleet_is_tried_again_and_the_ride_succeeds(
        rides, endpoint, sleeps, rides_topic, fleet_table):
    endpoint.script(throttled)

    response = post_ride(rides)

    ride = assert_ride_answered_once(response, rides_topic, fleet_table)
    assert [p['RideId'] for p in dispatches(endpoint)] == [ride['RideId']] * 2
    [backoff] = sleeps
    assert 0 <= backoff <= budget.FLEET_CALL.retry.base_delay


def test_a_fleet_throttled_past_the_retry_budget_is_503_fleet_busy(
        rides, endpoint, sleeps, rides_topic, fleet_table):
    endpoint.script(*[throttled] * FLEET_ATTEMPTS)

    response = post_ride(rides)

    assert_failed_cleanly(response, 503, 'FleetBusy',
                          'the fleet is busy (throttled); try again shortly',
                          rides_topic, fleet_table)
    assert len(dispatches(endpoint)) == FLEET_ATTEMPTS
    assert len(sleeps) == FLEET_ATTEMPTS - 1
    policy = budget.FLEET_CALL.retry
    assert all(0 <= delay <= policy.max_delay for delay in sleeps)
    assert sum(sleeps) <= policy.max_total_delay()


def test_a_missing_fleet_function_is_502_without_retry(
        rides, endpoint, sleeps, rides_topic, fleet_table):
    endpoint.script(function_not_found, function_not_found)

    response = post_ride(rides)

    # The message named REQUEST_UNICORN_ARN before; setting names now stay in the log.
    assert_failed_cleanly(response, 502, 'FleetError', 'the fleet function was not found',
                          rides_topic, fleet_table)
    assert len(dispatches(endpoint)) == 1
    assert sleeps == []


# -- the fleet is late -----------------------------------------------------

def test_a_fleet_slower_than_the_timeout_is_504_and_its_unicorn_is_given_back(
        impatient, rides, endpoint, sleeps, rides_topic, fleet_table):
    """Each attempt reached the fleet, which dispatched, but every answer
    came after rides stopped waiting: nothing may stay held."""
    endpoint.script(*[late(LATE_SECONDS)] * FLEET_ATTEMPTS)

    response = post_ride(rides)

    assert_failed_cleanly(response, 504, 'FleetTimeout', 'the fleet did not answer in time',
                          rides_topic, fleet_table)
    ride_ids = {p['RideId'] for p in dispatches(endpoint)}
    assert len(dispatches(endpoint)) == FLEET_ATTEMPTS and len(ride_ids) == 1
    assert releases(endpoint) == list(ride_ids)


def test_a_retry_after_a_timeout_gets_the_same_unicorn_and_holds_one(
        impatient, rides, endpoint, rides_topic, fleet_table):
    endpoint.script(late(LATE_SECONDS))

    response = post_ride(rides)

    ride = assert_ride_answered_once(response, rides_topic, fleet_table)
    assert [p['RideId'] for p in dispatches(endpoint)] == [ride['RideId']] * 2
    assert releases(endpoint) == []


# -- no unicorn to be had --------------------------------------------------

def test_an_empty_fleet_is_503_and_publishes_nothing(rides, endpoint, rides_topic, fleet_table):
    for name in fleet_table.unicorn_names():
        fleet_table.delete_unicorn(name)
    fleet_table.set_fleet_size(0)

    response = post_ride(rides)

    assert_failed_cleanly(response, 503, 'NoUnicornAvailable',
                          'the fleet is empty: no unicorns are loaded', rides_topic, fleet_table)
    assert len(dispatches(endpoint)) == 1  # the fleet's own answer: not retried


def test_when_every_unicorn_is_busy_the_answer_is_503_not_a_busy_unicorn(
        rides, endpoint, rides_topic, fleet_table):
    fleet = Fleet(fleet_table)
    others = {fleet.dispatch(RideOrder(str(uuid.uuid4()), new_rider()))['Name']
              for _ in fleet_table.unicorn_names()}
    before = held_unicorns(fleet_table)
    assert set(before) == others == set(fleet_table.unicorn_names())

    response = post_ride(rides)

    assert_failed_cleanly(response, 503, 'NoUnicornAvailable',
                          'no unicorn available right now: every unicorn is on a ride; '
                          'try again in a minute', rides_topic, fleet_table, held=before)
    assert len(dispatches(endpoint)) == 1


# -- publishing the ride fails ---------------------------------------------

def test_a_failed_publish_releases_the_unicorn_before_the_error_answer(
        rides, endpoint, sns_faults, rides_topic, fleet_table):
    sns_faults.fail(('InternalError', 500))

    response = post_ride(rides)

    assert_failed_cleanly(response, 503, 'RideNotRecorded',
                          'could not record the ride; no unicorn was held for it, '
                          'please try again', rides_topic, fleet_table)
    [dispatch] = dispatches(endpoint)
    assert releases(endpoint) == [dispatch['RideId']]
    assert fleet_table.ride_of(dispatch['RiderId']).completed
    assert sns_faults.attempts == 1  # a 500 may have gone out: never repeated


def test_a_publish_that_timed_out_is_never_repeated_and_the_unicorn_is_released(
        rides, endpoint, sns_faults, rides_topic, fleet_table):
    """After a read timeout the ride may be on the topic already: a second
    publish could send it twice, so the ride fails and its unicorn goes back."""
    sns_faults.time_out()

    response = post_ride(rides)

    assert_failed_cleanly(response, 503, 'RideNotRecorded',
                          'could not record the ride; no unicorn was held for it, '
                          'please try again', rides_topic, fleet_table)
    [dispatch] = dispatches(endpoint)
    assert releases(endpoint) == [dispatch['RideId']]
    assert sns_faults.attempts == 1


def test_a_throttled_publish_is_repeated_and_published_once(
        rides, endpoint, sns_faults, sleeps, rides_topic, fleet_table):
    sns_faults.fail(('Throttling', 400))

    response = post_ride(rides)

    assert_ride_answered_once(response, rides_topic, fleet_table)
    assert sns_faults.attempts == 2
    assert releases(endpoint) == []


def test_when_the_release_also_fails_the_lease_frees_the_unicorn(
        rides, endpoint, sns_faults, rides_topic, fleet_table):
    sns_faults.fail(('InternalError', 500))
    endpoint.script(reach_fleet, throttled)  # the dispatch works, the release does not

    response = post_ride(rides)

    assert response.status_code == 503
    assert response.json_body['Code'] == 'RideNotRecorded'
    assert rides_topic.published_rides() == []
    [dispatch] = dispatches(endpoint)
    [(name, ride_id)] = held_unicorns(fleet_table).items()
    assert ride_id == dispatch['RideId']
    lease_end = fleet_table.unicorn(name)['BusyUntil']
    assert held_unicorns(fleet_table, now=lease_end + 1) == {}


# -- DynamoDB conditional writes -------------------------------------------

class ClaimRace:
    """Between the fleet's pick and its conditional write, a rival ride
    claims the picked unicorn first (for the first `times` claims)."""

    def __init__(self, monkeypatch, times=1):
        self.times, self.claimed, self.rivals = times, [], {}
        original = DynamoDbFleetStore.claim
        race = self

        def claim(store, unicorn, order, **kwargs):
            race.claimed.append(unicorn['Name'])
            if race.times > 0:
                race.times -= 1
                rival = race.rivals[unicorn['Name']] = str(uuid.uuid4())
                original(store, unicorn, RideOrder(rival, new_rider()), **kwargs)
            return original(store, unicorn, order, **kwargs)

        monkeypatch.setattr(DynamoDbFleetStore, 'claim', claim)


def test_a_rival_ride_that_wins_the_picked_unicorn_sends_this_ride_another(
        rides, endpoint, rides_topic, fleet_table, monkeypatch):
    race = ClaimRace(monkeypatch)

    response = post_ride(rides)

    assert response.status_code == 201
    ride = response.json_body
    [lost] = race.rivals
    assert race.claimed == [lost, ride['UnicornName']]
    assert rides_topic.published_rides() == [ride]
    assert held_unicorns(fleet_table) == {lost: race.rivals[lost],
                                          ride['UnicornName']: ride['RideId']}


def test_when_every_pick_loses_a_race_the_answer_is_503_and_nothing_is_held(
        rides, endpoint, rides_topic, fleet_table, monkeypatch):
    race = ClaimRace(monkeypatch, times=100)

    response = post_ride(rides)

    assert response.status_code == 503
    assert response.json_body == {
        'Code': 'NoUnicornAvailable',
        'Message': 'every unicorn we picked was taken by another ride at the same '
                   'moment; try again'}
    assert rides_topic.published_rides() == []
    assert held_unicorns(fleet_table) == race.rivals
    assert len(race.claimed) == CLAIM_ATTEMPTS
