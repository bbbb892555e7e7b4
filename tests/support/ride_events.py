"""Ride events as rides publishes them (common.md's contract), for tests."""
import json
import uuid
from datetime import UTC, datetime, timedelta

BASE_TIME = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
UNICORN = {'Name': 'Shadowfax', 'Color': 'White'}


def at(minutes: float) -> str:
    """An ISO 8601 UTC time, `minutes` after BASE_TIME, as rides writes it."""
    return (BASE_TIME + timedelta(minutes=minutes)).isoformat(timespec='milliseconds')


def new_ride_id() -> str:
    return str(uuid.uuid4())


def requested(ride_id, rider_id='rider-1', minute=0, unicorn=None):
    unicorn = unicorn or UNICORN
    return {'EventType': 'RideRequested', 'RideId': ride_id, 'RiderId': rider_id,
            'EventTime': at(minute), 'RequestTime': at(minute), 'Unicorn': dict(unicorn),
            'UnicornName': unicorn['Name'],
            'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3331}}


def completed(ride_id, rider_id='rider-1', minute=5):
    return {'EventType': 'RideCompleted', 'RideId': ride_id, 'RiderId': rider_id,
            'EventTime': at(minute), 'CompletedTime': at(minute)}


def cancelled(ride_id, rider_id='rider-1', minute=1, reason='publish timed out'):
    return {'EventType': 'RideCancelled', 'RideId': ride_id, 'RiderId': rider_id,
            'EventTime': at(minute), 'Reason': reason}


def sns_message(body):
    """(Message, MessageAttributes) as sns.publish takes them."""
    return json.dumps(body), {'EventType': {'DataType': 'String',
                                            'StringValue': body['EventType']}}
