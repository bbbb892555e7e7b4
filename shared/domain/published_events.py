"""The events rides publishes on its SNS topic, one per change of a ride
(their names, and how ride-record reads them: `shared.domain.ride_events`).

Every event is a JSON object with `EventType`, `RideId`, `RiderId` and
`EventTime` (ISO-8601, UTC); the same `EventType` travels as an SNS message
attribute, so a subscriber can filter without reading the body. SNS delivers
at least once and in no particular order, so subscribers (ride-record) treat
every event as idempotent: a duplicate changes nothing.

- `RideRequested`: a unicorn was dispatched; the body is the ride as the
  rider got it (`Unicorn`, `UnicornName`, `RequestTime`, `PickupLocation`).
- `RideCompleted`: the rider ended the ride (`CompletedTime`). Ending it
  again publishes it again: a duplicate, which ride-record ignores.
- `RideCancelled`: the `RideRequested` publish had an unknown outcome (it
  timed out, or SNS failed on its side), so the ride may be on the topic
  although the rider was told it failed and its unicorn was released
  (`Reason`). A subscriber that saw the request never shows it as active.
"""
from datetime import datetime
from typing import Any

from shared.domain.errors import RideNotRecorded
from shared.domain.ride_events import RIDE_CANCELLED, RIDE_COMPLETED, RIDE_REQUESTED

# Why a ride was cancelled after its request may have gone out.
REQUEST_NOT_CONFIRMED = ('the ride request failed: publishing it had an unknown '
                         'outcome, so its unicorn was released')

# What a RideCompleted carries of the ride, when the fleet answered with it
# (so a record that missed the RideRequested still knows the unicorn).
_COMPLETED_RIDE_FIELDS = ('Unicorn', 'RequestTime', 'PickupLocation')

RideEvent = dict[str, Any]


class PublishOutcomeUnknown(RideNotRecorded):
    """The publish may have gone out (no answer in time, or SNS failed on
    its side): the rider gets the same answer as for any failed publish."""


def event_time(moment: datetime) -> str:
    """Milliseconds, as the ride's own RequestTime."""
    return moment.isoformat(timespec='milliseconds')


def ride_requested(ride: dict[str, Any], moment: datetime) -> RideEvent:
    return {**ride, 'EventType': RIDE_REQUESTED, 'EventTime': event_time(moment)}


def ride_completed(ride: dict[str, Any], moment: datetime) -> RideEvent:
    """`ride` is the fleet's view of the ended ride (RideId, RiderId, ...)."""
    known = {key: ride[key] for key in _COMPLETED_RIDE_FIELDS if ride.get(key) is not None}
    unicorn = known.get('Unicorn')
    if isinstance(unicorn, dict) and isinstance(unicorn.get('Name'), str):
        known['UnicornName'] = unicorn['Name']
    return {**known, 'EventType': RIDE_COMPLETED, 'RideId': ride['RideId'],
            'RiderId': ride['RiderId'], 'EventTime': event_time(moment),
            'CompletedTime': event_time(moment)}


def ride_cancelled(ride_id: str, rider_id: str, moment: datetime,
                   reason: str = REQUEST_NOT_CONFIRMED) -> RideEvent:
    return {'EventType': RIDE_CANCELLED, 'RideId': ride_id, 'RiderId': rider_id,
            'EventTime': event_time(moment), 'Reason': reason}
