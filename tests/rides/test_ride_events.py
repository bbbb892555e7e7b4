"""What rides tells the rides topic, seen the way a subscriber sees it: an
SQS queue subscribed to the topic in moto, with raw delivery, so the body
and the message attributes are what SNS really hands on."""
import datetime
import json

from shared.domain.ride_events import parse_ride_message
from tests.support.riders import OTHER_RIDER, RIDER, as_rider

SEATTLE = {'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3331}}


def post_ride(client, rider=RIDER):
    return client.http.post('/ride', headers=as_rider(rider), body=json.dumps(SEATTLE))


def complete(client, ride_id, rider=RIDER):
    return client.http.post(f'/ride/{ride_id}/complete', headers=as_rider(rider))


def assert_utc_time(text):
    moment = datetime.datetime.fromisoformat(text)
    assert moment.utcoffset() == datetime.timedelta(0)
    return moment


def test_a_requested_ride_is_published_as_ride_requested_with_its_event_type_attribute(
        rides_client, rides_topic):
    ride = post_ride(rides_client).json_body

    [(event, attributes)] = rides_topic.published_events()

    assert attributes == {'EventType': 'RideRequested', 'RideId': ride['RideId']}
    assert event == {**ride, 'EventType': 'RideRequested', 'EventTime': event['EventTime']}
    assert event['RiderId'] == RIDER
    assert assert_utc_time(event['EventTime']) >= assert_utc_time(ride['RequestTime'])


def test_ending_a_ride_publishes_ride_completed_with_its_time_and_unicorn(
        rides_client, rides_topic):
    ride = post_ride(rides_client).json_body
    rides_topic.published_events()

    assert complete(rides_client, ride['RideId']).status_code == 200

    [(event, attributes)] = rides_topic.published_events()
    assert attributes == {'EventType': 'RideCompleted', 'RideId': ride['RideId']}
    assert event['EventType'] == 'RideCompleted'
    assert (event['RideId'], event['RiderId']) == (ride['RideId'], RIDER)
    assert assert_utc_time(event['CompletedTime']) >= assert_utc_time(ride['RequestTime'])
    assert event['EventTime'] == event['CompletedTime']
    # Enough for a subscriber that never saw the RideRequested (SNS does not keep order).
    assert event['Unicorn'] == ride['Unicorn']
    assert event['UnicornName'] == ride['UnicornName']
    assert event['RequestTime'] == ride['RequestTime']
    assert event['PickupLocation'] == ride['PickupLocation']


def test_ending_a_ride_twice_publishes_at_most_a_duplicate_of_the_same_completion(
        rides_client, rides_topic):
    """The fleet answers a second completion with the same completed ride;
    rides publishes RideCompleted again, which a subscriber ignores (README,
    "Ride events")."""
    ride = post_ride(rides_client).json_body
    complete(rides_client, ride['RideId'])
    complete(rides_client, ride['RideId'])

    completions = [event for event, _ in rides_topic.published_events()
                   if event['EventType'] == 'RideCompleted']

    assert len(completions) == 2
    assert {(event['RideId'], event['RiderId']) for event in completions} == {
        (ride['RideId'], RIDER)}


def test_every_event_names_its_ride_and_its_rider_in_body_and_attributes(
        rides_client, rides_topic):
    mine = post_ride(rides_client).json_body
    theirs = post_ride(rides_client, OTHER_RIDER).json_body
    complete(rides_client, mine['RideId'])

    events = rides_topic.published_events()

    assert [(event['EventType'], event['RideId'], event['RiderId']) for event, _ in events] == [
        ('RideRequested', mine['RideId'], RIDER),
        ('RideRequested', theirs['RideId'], OTHER_RIDER),
        ('RideCompleted', mine['RideId'], RIDER)]
    assert all(attributes['EventType'] == event['EventType']
               and attributes['RideId'] == event['RideId'] for event, attributes in events)


def test_a_ride_that_is_not_the_riders_publishes_nothing_when_ended(rides_client, rides_topic):
    ride = post_ride(rides_client).json_body
    rides_topic.published_events()

    assert complete(rides_client, ride['RideId'], rider=OTHER_RIDER).status_code == 404

    assert rides_topic.published_events() == []


def test_every_event_rides_publishes_is_one_ride_record_accepts(rides_client, rides_topic):
    """Both sides of the topic agree: ride-record's own parser reads each
    body with its attribute as SNS hands them to a Lambda subscriber."""
    ride = post_ride(rides_client).json_body
    complete(rides_client, ride['RideId'])

    events = rides_topic.published_events()

    parsed = [parse_ride_message(json.dumps(body), {
        name: {'Type': 'String', 'Value': value} for name, value in attributes.items()})
        for body, attributes in events]
    assert [(event.event_type, event.ride_id, event.rider_id) for event in parsed] == [
        ('RideRequested', ride['RideId'], RIDER), ('RideCompleted', ride['RideId'], RIDER)]
    assert parsed[0].details.unicorn == {key: ride['Unicorn'][key] for key in ('Name', 'Color')}
    assert parsed[1].completed_time == events[1][0]['CompletedTime']
