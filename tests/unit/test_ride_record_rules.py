"""ride-record's rules on the in-memory store: how a ride's events fold
into its record under SNS's at-least-once, unordered delivery, and how a
rider's history is listed. tests/record/test_ride_record_rules_on_dynamodb.py
runs the same cases on DynamoDB (moto) by giving `record_store` another value."""
import threading

import pytest

from shared.adapters.memory_ride_record_store import InMemoryRideRecordStore
from shared.domain import page_tokens
from shared.domain.errors import InvalidNextToken, InvalidRequest
from shared.domain.ride_history import ForeignRide, RideHistory
from tests.support.ride_events import at, cancelled, completed, new_ride_id, requested


@pytest.fixture
def record_store():
    return InMemoryRideRecordStore()


@pytest.fixture
def history(record_store):
    return RideHistory(record_store)


def status_of(history, ride_id, rider_id='rider-1'):
    rides = [ride for ride in all_rides(history, rider_id) if ride['RideId'] == ride_id]
    return rides[0]['Status'] if rides else None


def all_rides(history, rider_id='rider-1'):
    rides, token = [], None
    while True:
        payload = {'RiderId': rider_id, **({'NextToken': token} if token else {})}
        page = history.list_rides(payload)
        rides += page['Rides']
        token = page.get('NextToken')
        if token is None:
            return rides


# -- one ride's events --------------------------------------------------------

def test_a_requested_ride_is_listed_as_active_with_what_the_rider_saw(history):
    ride_id = new_ride_id()
    history.record_event(requested(ride_id))

    ride, = all_rides(history)
    assert ride == {'RideId': ride_id, 'RiderId': 'rider-1', 'Status': 'active',
                    'UnicornName': 'Shadowfax', 'Unicorn': {'Name': 'Shadowfax', 'Color': 'White'},
                    'RequestTime': at(0),
                    'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3331}}


def test_a_completed_ride_says_when_it_ended(history):
    ride_id = new_ride_id()
    history.record_event(requested(ride_id))
    history.record_event(completed(ride_id, minute=7))

    ride, = all_rides(history)
    assert ride['Status'] == 'completed'
    assert ride['CompletedTime'] == at(7)


def test_a_duplicate_delivery_changes_nothing(history, record_store):
    ride_id = new_ride_id()
    for body in (requested(ride_id), completed(ride_id)):
        history.record_event(body)
    before = record_store.record(ride_id)

    for body in (requested(ride_id), completed(ride_id), requested(ride_id)):
        history.record_event(body)

    assert record_store.record(ride_id) == before
    assert len(all_rides(history)) == 1


def test_a_completion_that_overtakes_its_request_still_ends_completed(history):
    ride_id = new_ride_id()
    history.record_event(completed(ride_id, minute=5))
    history.record_event(requested(ride_id))

    ride, = all_rides(history)
    assert ride['Status'] == 'completed'
    assert ride['CompletedTime'] == at(5)
    assert ride['Unicorn'] == {'Name': 'Shadowfax', 'Color': 'White'}  # the late details kept


def test_a_ride_whose_request_has_not_arrived_is_not_listed_yet(history, record_store):
    ride_id = new_ride_id()
    history.record_event(completed(ride_id))

    assert all_rides(history) == []
    assert record_store.record(ride_id).status == 'completed'


@pytest.mark.parametrize('order', ['cancel first', 'request first'])
def test_a_cancelled_ride_never_shows_as_active(history, order):
    ride_id = new_ride_id()
    events = [requested(ride_id), cancelled(ride_id)]
    if order == 'cancel first':
        events.reverse()
    for body in events:
        history.record_event(body)
    # a RideRequested delivered again, late, does not bring it back
    history.record_event(requested(ride_id))

    assert status_of(history, ride_id) == 'cancelled'


@pytest.mark.parametrize('order', ['completed first', 'cancelled first'])
def test_a_ride_both_completed_and_cancelled_shows_as_cancelled_in_either_order(history, order):
    ride_id = new_ride_id()
    ends = [completed(ride_id), cancelled(ride_id)]
    if order == 'cancelled first':
        ends.reverse()
    for body in [requested(ride_id), *ends]:
        history.record_event(body)

    ride, = all_rides(history)
    assert ride['Status'] == 'cancelled'
    assert 'CompletedTime' not in ride


def test_an_event_naming_another_rider_for_a_ride_is_refused_and_changes_nothing(
        history, record_store):
    ride_id = new_ride_id()
    history.record_event(requested(ride_id, rider_id='rider-1'))
    before = record_store.record(ride_id)

    for body in (completed(ride_id, rider_id='rider-2'), cancelled(ride_id, rider_id='rider-2'),
                 requested(ride_id, rider_id='rider-2')):
        with pytest.raises(ForeignRide, match='RiderId'):
            history.record_event(body)

    assert record_store.record(ride_id) == before
    assert all_rides(history, 'rider-2') == []


def test_concurrent_deliveries_of_one_ride_all_count(history, record_store):
    """Two Lambda sandboxes may fold events of one ride at the same moment."""
    for _ in range(5):
        ride_id = new_ride_id()
        bodies = [requested(ride_id), completed(ride_id), requested(ride_id), completed(ride_id)]
        start = threading.Barrier(len(bodies))

        def deliver(body, start=start):
            start.wait()
            history.record_event(body)

        threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        record = record_store.record(ride_id)
        assert record.status == 'completed'
        assert record.details is not None
        assert record.completed_time == at(5)


# -- a rider's history ----------------------------------------------------------

def record_rides(history, count, rider_id='rider-1'):
    """`count` rides one minute apart; their ids, newest first."""
    ids = []
    for minute in range(count):
        ride_id = new_ride_id()
        history.record_event(requested(ride_id, rider_id=rider_id, minute=minute))
        ids.append(ride_id)
    return ids[::-1]


def test_45_rides_come_newest_first_in_pages_of_20_20_and_5(history):
    newest_first = record_rides(history, 45)

    pages, token = [], None
    while True:
        page = history.list_rides({'RiderId': 'rider-1', **({'NextToken': token} if token else {})})
        pages.append([ride['RideId'] for ride in page['Rides']])
        token = page.get('NextToken')
        if token is None:
            break
        assert isinstance(token, str) and 'rider-1' not in token  # opaque

    assert [len(page) for page in pages] == [20, 20, 5]
    assert [ride_id for page in pages for ride_id in page] == newest_first


def test_a_page_that_ends_the_history_has_no_next_token(history):
    record_rides(history, 20)

    page = history.list_rides({'RiderId': 'rider-1'})
    assert len(page['Rides']) == 20
    assert 'NextToken' not in page


def test_the_limit_sets_the_page_size(history):
    newest_first = record_rides(history, 3)

    first = history.list_rides({'RiderId': 'rider-1', 'Limit': 2})
    rest = history.list_rides({'RiderId': 'rider-1', 'Limit': 2, 'NextToken': first['NextToken']})
    assert [ride['RideId'] for ride in first['Rides'] + rest['Rides']] == newest_first
    assert 'NextToken' not in rest


def test_a_rider_never_sees_another_riders_rides(history):
    mine = record_rides(history, 3, rider_id='rider-1')
    theirs = record_rides(history, 3, rider_id='rider-2')

    assert [ride['RideId'] for ride in all_rides(history, 'rider-1')] == mine
    assert [ride['RideId'] for ride in all_rides(history, 'rider-2')] == theirs


def test_another_riders_next_token_is_refused(history):
    record_rides(history, 3, rider_id='rider-2')
    record_rides(history, 3, rider_id='rider-1')
    their_token = history.list_rides({'RiderId': 'rider-2', 'Limit': 1})['NextToken']

    with pytest.raises(InvalidNextToken):
        history.list_rides({'RiderId': 'rider-1', 'NextToken': their_token})


@pytest.mark.parametrize('token', ['', 'not-a-token', '!!!!', 'e30', 'eyJSaWRlSWQiOjF9', 'x' * 2000])
def test_a_garbled_or_forged_next_token_is_refused(history, token):
    record_rides(history, 2)
    with pytest.raises(InvalidNextToken):
        history.list_rides({'RiderId': 'rider-1', 'NextToken': token})


def test_a_token_rewritten_for_another_rider_is_refused(history):
    """Decoding the token, changing its rider and encoding it again gets
    nothing: the token must name the caller, and it is checked."""
    record_rides(history, 3, rider_id='rider-2')
    key = page_tokens.decode(history.list_rides({'RiderId': 'rider-2', 'Limit': 1})['NextToken'],
                             'rider-2')
    forged = page_tokens.encode(page_tokens.PageKey('rider-1', key.request_time, key.ride_id))

    with pytest.raises(InvalidNextToken):
        history.list_rides({'RiderId': 'rider-2', 'NextToken': forged})


@pytest.mark.parametrize('payload, field', [
    ({}, 'RiderId'),
    ([], 'payload'),
    ({'RiderId': ''}, 'RiderId'),
    ({'RiderId': 'rider-1', 'Limit': 0}, 'Limit'),
    ({'RiderId': 'rider-1', 'Limit': 21}, 'Limit'),
    ({'RiderId': 'rider-1', 'Limit': '5'}, 'Limit'),
    ({'RiderId': 'rider-1', 'Limit': True}, 'Limit'),
    ({'RiderId': 'rider-1', 'Cursor': 'x'}, 'Cursor'),
])
def test_a_bad_query_is_refused_naming_the_field(history, payload, field):
    with pytest.raises(InvalidRequest, match=field):
        history.list_rides(payload)


def test_a_rider_without_rides_has_an_empty_history(history):
    assert history.list_rides({'RiderId': 'rider-9'}) == {'Rides': []}
