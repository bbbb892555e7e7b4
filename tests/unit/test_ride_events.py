"""Ride events as they come off the rides topic (or POST /record): parsed,
checked, and refused with an error that names the field. And the fold they
feed: any order and any repetition of one ride's events ends in the same
record (hypothesis)."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.errors import InvalidRequest
from shared.domain.ride_events import parse_ride_event, parse_ride_message
from shared.domain.ride_history import fold
from tests.support.ride_events import at, cancelled, completed, new_ride_id, requested

RIDE_ID = '6f1c7c9e-8a7b-4b7e-9d5e-1c2b3a4d5e6f'


def test_a_ride_requested_carries_the_ride_as_rides_answered_it():
    event = parse_ride_event(requested(RIDE_ID))

    assert (event.event_type, event.ride_id, event.rider_id) == ('RideRequested', RIDE_ID,
                                                                  'rider-1')
    assert event.details.unicorn == {'Name': 'Shadowfax', 'Color': 'White'}
    assert event.details.request_time == at(0)
    assert event.details.pickup == {'Latitude': 47.6097, 'Longitude': -122.3331}


def test_times_are_kept_in_one_form_so_they_sort_as_text():
    body = {**requested(RIDE_ID), 'RequestTime': '2026-11-27T02:00:00+01:00',
            'EventTime': '2026-11-27T01:00:00Z'}

    event = parse_ride_event(body)
    assert event.details.request_time == '2026-11-27T01:00:00.000+00:00'
    assert event.event_time == '2026-11-27T01:00:00.000+00:00'


def test_the_message_attribute_names_the_event_when_the_body_does_not():
    body = completed(RIDE_ID)
    del body['EventType']

    event = parse_ride_message(json.dumps(body), {'EventType': {'Type': 'String',
                                                                'Value': 'RideCompleted'}})
    assert event.event_type == 'RideCompleted'


def test_a_message_attribute_that_contradicts_the_body_is_refused():
    with pytest.raises(InvalidRequest, match='EventType'):
        parse_ride_message(json.dumps(completed(RIDE_ID)),
                           {'EventType': {'Type': 'String', 'Value': 'RideCancelled'}})


@pytest.mark.parametrize('message, field', [
    ('not json', 'JSON'),
    ('', 'JSON'),
    ('NaN', 'JSON'),
    ('[]', 'object'),
    ('"RideRequested"', 'object'),
    (None, 'JSON'),
])
def test_a_message_that_is_no_json_object_is_refused(message, field):
    with pytest.raises(InvalidRequest, match=field):
        parse_ride_message(message)


def without(body, field):
    body = dict(body)
    del body[field]
    return body


@pytest.mark.parametrize('body, field', [
    (without(requested(RIDE_ID), 'EventType'), 'EventType'),
    ({**requested(RIDE_ID), 'EventType': 'RideStarted'}, 'EventType'),
    (without(requested(RIDE_ID), 'RideId'), 'RideId'),
    ({**requested(RIDE_ID), 'RideId': 'ride-1'}, 'RideId'),
    (without(requested(RIDE_ID), 'RiderId'), 'RiderId'),
    ({**requested(RIDE_ID), 'RiderId': ''}, 'RiderId'),
    (without(requested(RIDE_ID), 'EventTime'), 'EventTime'),
    ({**requested(RIDE_ID), 'EventTime': 'yesterday'}, 'EventTime'),
    ({**requested(RIDE_ID), 'EventTime': '2026-11-27T01:00:00'}, 'EventTime'),
    (without(requested(RIDE_ID), 'Unicorn'), 'Unicorn'),
    ({**requested(RIDE_ID), 'Unicorn': 'Shadowfax'}, 'Unicorn'),
    ({**requested(RIDE_ID), 'Unicorn': {'Name': 'Shadowfax'}}, 'Unicorn.Color'),
    ({**requested(RIDE_ID), 'UnicornName': 'Rocinante'}, 'UnicornName'),
    (without(requested(RIDE_ID), 'RequestTime'), 'RequestTime'),
    (without(requested(RIDE_ID), 'PickupLocation'), 'PickupLocation'),
    ({**requested(RIDE_ID), 'PickupLocation': {'Latitude': 91, 'Longitude': 0}},
     'PickupLocation.Latitude'),
    (without(completed(RIDE_ID), 'CompletedTime'), 'CompletedTime'),
    (without(cancelled(RIDE_ID), 'Reason'), 'Reason'),
    ({**cancelled(RIDE_ID), 'Reason': 'x' * 300}, 'Reason'),
])
def test_an_event_missing_or_with_a_wrong_field_is_refused_naming_it(body, field):
    with pytest.raises(InvalidRequest, match=field.replace('.', r'\.')):
        parse_ride_event(body)


# -- the fold is a join: order and repetition do not matter --------------------------

def events_of_one_ride():
    ride_id = new_ride_id()
    return [parse_ride_event(body) for body in
            (requested(ride_id), completed(ride_id), cancelled(ride_id))]


ONE_RIDE = events_of_one_ride()


def folded(events):
    record = None
    for event in events:
        record = fold(record, event)
    return record


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ONE_RIDE), min_size=1, max_size=8).flatmap(
    lambda deliveries: st.tuples(st.just(deliveries), st.permutations(deliveries))))
def test_any_order_and_any_repetition_of_a_rides_events_fold_to_the_same_record(deliveries):
    delivered, reordered = deliveries
    assert folded(reordered) == folded(delivered)
    assert folded(delivered) == folded([event for event in ONE_RIDE if event in delivered])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ONE_RIDE), min_size=1, max_size=8))
def test_a_ride_once_ended_never_shows_as_active_again(deliveries):
    record = None
    ended = False
    for event in deliveries:
        record = fold(record, event)
        ended = ended or event.event_type != 'RideRequested'
        assert (record.status != 'active') == ended
