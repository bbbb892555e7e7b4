"""A ride whose RideRequested publish had an unknown outcome, seen from the
three sides of tests/faults (the rider's answer, the rides topic, the
fleet's unicorns): the rider gets a clear error, no unicorn stays held, and
a RideCancelled follows, so a subscriber that did get the ride never shows
it as active. And a completion that could not be published is said so."""
import json

import pytest

from shared.domain.published_events import REQUEST_NOT_CONFIRMED
from shared.domain.ride_events import parse_ride_message
from tests.faults.conftest import complete_ride, post_ride
from tests.faults.test_ride_faults import dispatches, releases
from tests.support.aws import held_unicorns
from tests.support.riders import new_rider

NOT_RECORDED = {'Code': 'RideNotRecorded',
                'Message': 'could not record the ride; no unicorn was held for it, '
                           'please try again'}


def assert_ride_failed_and_was_cancelled(response, endpoint, rides_topic, fleet_table):
    """The invariant after an unknown publish; the ride's events returned."""
    assert response.status_code == 503
    assert response.json_body == NOT_RECORDED
    assert held_unicorns(fleet_table) == {}
    [dispatch] = dispatches(endpoint)
    assert releases(endpoint) == [dispatch['RideId']]
    events = rides_topic.published_events()
    cancellations = [(event, attributes) for event, attributes in events
                     if event['EventType'] == 'RideCancelled']
    [(cancelled, attributes)] = cancellations
    assert attributes == {'EventType': 'RideCancelled', 'RideId': dispatch['RideId']}
    assert (cancelled['RideId'], cancelled['RiderId']) == (dispatch['RideId'],
                                                           dispatch['RiderId'])
    assert cancelled['Reason'] == REQUEST_NOT_CONFIRMED
    parsed = parse_ride_message(json.dumps(cancelled), {
        'EventType': {'Type': 'String', 'Value': attributes['EventType']}})
    assert (parsed.event_type, parsed.reason) == ('RideCancelled', REQUEST_NOT_CONFIRMED)
    return [event for event, _ in events]


def test_a_publish_lost_in_a_read_timeout_is_cancelled_and_holds_nothing(
        rides, endpoint, sns_faults, rides_topic, fleet_table):
    """No answer in time, and in fact SNS never got it: the cancel is all
    a subscriber sees, and it knows the ride was never active."""
    sns_faults.time_out()

    response = post_ride(rides)

    events = assert_ride_failed_and_was_cancelled(response, endpoint, rides_topic, fleet_table)
    assert [event['EventType'] for event in events] == ['RideCancelled']
    assert sns_faults.attempts == 1  # the RideRequested itself is never repeated


def test_a_publish_that_went_out_before_its_answer_was_lost_is_followed_by_ride_cancelled(
        rides, endpoint, sns_faults, rides_topic, fleet_table):
    """SNS took the ride, the answer timed out: the rider was told it
    failed, so the topic must say so too, after the request."""
    sns_faults.lose_the_answer()

    response = post_ride(rides)

    events = assert_ride_failed_and_was_cancelled(response, endpoint, rides_topic, fleet_table)
    assert [event['EventType'] for event in events] == ['RideRequested', 'RideCancelled']
    assert events[0]['RideId'] == events[1]['RideId']
    assert sns_faults.attempts == 1


def test_an_sns_failure_on_its_side_may_have_published_so_the_ride_is_cancelled(
        rides, endpoint, sns_faults, rides_topic, fleet_table):
    sns_faults.fail(('InternalError', 500))

    response = post_ride(rides)

    assert_ride_failed_and_was_cancelled(response, endpoint, rides_topic, fleet_table)


def test_a_publish_sns_refused_surely_did_not_go_out_so_nothing_is_cancelled(
        rides, endpoint, sns_faults, rides_topic, fleet_table):
    sns_faults.fail(('AuthorizationError', 403))

    response = post_ride(rides)

    assert response.json_body == NOT_RECORDED
    assert held_unicorns(fleet_table) == {}
    assert rides_topic.published_events() == []


def test_when_the_cancel_cannot_be_published_either_the_rider_still_gets_the_clear_error(
        rides, endpoint, sns_faults, cancel_faults, rides_topic, fleet_table):
    sns_faults.time_out()
    cancel_faults.time_out()

    response = post_ride(rides)

    assert response.status_code == 503
    assert response.json_body == NOT_RECORDED
    assert held_unicorns(fleet_table) == {}
    assert rides_topic.published_events() == []
    assert cancel_faults.attempts == 1  # its budget has room for one try


@pytest.mark.parametrize('fault', ['time_out', 'lose_the_answer'])
def test_a_completion_whose_publish_timed_out_is_tried_again_at_once(
        rides, endpoint, sns_faults, rides_topic, fleet_table, fault):
    """A duplicate RideCompleted changes nothing downstream, so unlike a
    RideRequested it is repeated after a read timeout."""
    rider = new_rider()
    ride = post_ride(rides, rider=rider).json_body
    rides_topic.published_events()
    getattr(sns_faults, fault)()

    response = complete_ride(rides, ride['RideId'], rider)

    assert response.status_code == 200
    assert held_unicorns(fleet_table) == {}
    completions = {event['RideId'] for event, _ in rides_topic.published_events()
                   if event['EventType'] == 'RideCompleted'}
    assert completions == {ride['RideId']}


def test_a_completion_that_could_not_be_published_says_so_and_ending_it_again_publishes_it(
        rides, endpoint, sns_faults, sleeps, rides_topic, fleet_table):
    rider = new_rider()
    ride = post_ride(rides, rider=rider).json_body
    rides_topic.published_events()
    sns_faults.fail(('AuthorizationError', 403))

    response = complete_ride(rides, ride['RideId'], rider)

    assert response.status_code == 503
    assert response.json_body == {
        'Code': 'RideNotRecorded',
        'Message': 'your ride has ended, but that could not be recorded; please end it again'}
    assert held_unicorns(fleet_table) == {}  # the unicorn is free all the same
    assert rides_topic.published_events() == []

    again = complete_ride(rides, ride['RideId'], rider)

    assert again.status_code == 200
    [(event, _)] = rides_topic.published_events()
    assert (event['EventType'], event['RideId']) == ('RideCompleted', ride['RideId'])
