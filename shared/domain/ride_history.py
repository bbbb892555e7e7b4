"""Every ride a rider took, kept from the rides topic, and listed newest first.

SNS delivers at least once and in no particular order, and Lambda retries a
failed event, so one ride's events may arrive twice, late, or before the
one that started the ride. The record of a ride is therefore a *join* of its
events: folding them in any order, any number of times, ends in the same
record.

- Status: `active` < `completed` < `cancelled`; the higher one wins and a
  record never goes back. So a duplicate changes nothing, a `RideCompleted`
  that overtakes its `RideRequested` still ends completed, and a cancelled
  ride never shows as active. Both end states are terminal; should a ride
  get both, it shows as cancelled: the rider was told that ride failed.
- Details (unicorn, `RequestTime`, pickup) come from `RideRequested`, and
  `CompletedTime` from `RideCompleted`; whichever arrives keeps them, and
  the first value kept stays (a duplicate carries the same).
- A ride belongs to the rider of its first event: an event naming another
  rider for it is refused (`ForeignRide`), so no event moves a ride into
  someone else's history.
- A ride is listed once its `RideRequested` arrived: before that there is
  nothing to show and no `RequestTime` to sort it by.
"""
from dataclasses import dataclass
from typing import Any, Protocol

from shared.domain import page_tokens
from shared.domain.errors import InvalidNextToken, InvalidRequest, WildRydesError
from shared.domain.page_tokens import PageKey
from shared.domain.parsing import parse_rider_id
from shared.domain.ride_events import (
    RIDE_CANCELLED,
    RIDE_COMPLETED,
    RIDE_REQUESTED,
    RideDetails,
    RideEvent,
    parse_ride_event,
    parse_ride_message,
)

ACTIVE = 'active'
COMPLETED = 'completed'
CANCELLED = 'cancelled'
# The higher status wins (module docstring).
STATUS_RANK = {ACTIVE: 0, COMPLETED: 1, CANCELLED: 2}
STATUS_OF_EVENT = {RIDE_REQUESTED: ACTIVE, RIDE_COMPLETED: COMPLETED, RIDE_CANCELLED: CANCELLED}

MAX_PAGE_SIZE = 20
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE


class ForeignRide(InvalidRequest):
    """An event for a ride that belongs to another rider."""

    def __init__(self) -> None:
        super().__init__('RiderId is not the rider of this ride')


@dataclass(frozen=True)
class RideRecord:
    """One ride as ride-record keeps it."""

    ride_id: str
    rider_id: str
    status: str
    details: RideDetails | None = None
    completed_time: str | None = None
    cancel_reason: str | None = None

    @property
    def listed(self) -> bool:
        """Whether the rider's history shows it (its RideRequested arrived)."""
        return self.details is not None

    @property
    def page_key(self) -> PageKey:
        if self.details is None:
            raise ValueError('a ride without its RideRequested has no place in a history')
        return PageKey(self.rider_id, self.details.request_time, self.ride_id)

    def to_dict(self) -> dict[str, Any]:
        """The ride as `ListRideRecords` answers it."""
        ride: dict[str, Any] = {'RideId': self.ride_id, 'RiderId': self.rider_id,
                                'Status': self.status}
        if self.details is not None:
            ride.update(UnicornName=self.details.unicorn_name,
                        Unicorn=dict(self.details.unicorn),
                        RequestTime=self.details.request_time,
                        PickupLocation=dict(self.details.pickup))
        if self.status == COMPLETED and self.completed_time is not None:
            ride['CompletedTime'] = self.completed_time
        return ride


def fold(record: RideRecord | None, event: RideEvent) -> RideRecord:
    """The record after `event` (the rules in the module docstring)."""
    status = STATUS_OF_EVENT[event.event_type]
    if record is None:
        return RideRecord(event.ride_id, event.rider_id, status, details=event.details,
                          completed_time=event.completed_time, cancel_reason=event.reason)
    if record.ride_id != event.ride_id:
        raise ValueError(f'an event of ride {event.ride_id} folded into ride {record.ride_id}')
    if record.rider_id != event.rider_id:
        raise ForeignRide()
    if STATUS_RANK[record.status] > STATUS_RANK[status]:
        status = record.status
    return RideRecord(record.ride_id, record.rider_id, status,
                      details=record.details or event.details,
                      completed_time=record.completed_time or event.completed_time,
                      cancel_reason=record.cancel_reason or event.reason)


class RideRecordStore(Protocol):
    def apply(self, event: RideEvent) -> RideRecord:
        """Fold `event` into its ride's stored record atomically (two
        deliveries at once both count) and return the record; ForeignRide
        when the ride is another rider's."""

    def record(self, ride_id: str) -> RideRecord | None:
        """One ride's record, or None."""

    def rides_of(self, rider_id: str, limit: int, after: PageKey | None) -> list[RideRecord]:
        """Up to `limit` of the rider's listed rides, newest first (by
        `RequestTime`, then `RideId`, descending), starting after `after`."""


@dataclass(frozen=True)
class HistoryQuery:
    rider_id: str
    limit: int
    after: PageKey | None


def parse_history_query(payload: object) -> HistoryQuery:
    """A ListRideRecords payload: `{"RiderId", "NextToken"?, "Limit"?}`."""
    if not isinstance(payload, dict):
        raise InvalidRequest('payload must be a JSON object')
    unknown = set(payload) - {'RiderId', 'NextToken', 'Limit'}
    if unknown:
        raise InvalidRequest(f'{sorted(unknown)[0]} is not a field of the payload')
    rider_id = parse_rider_id(payload.get('RiderId'))
    limit = payload.get('Limit', DEFAULT_PAGE_SIZE)
    if isinstance(limit, bool) or not isinstance(limit, int) or \
            not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidRequest(f'Limit must be a whole number from 1 to {MAX_PAGE_SIZE}')
    token = payload.get('NextToken')
    after = None if token is None else page_tokens.decode(token, rider_id)
    return HistoryQuery(rider_id, limit, after)


# What ListRideRecords answers as a result, not as a function error: the
# caller's mistakes (Lambda's Errors metric counts only faults).
REFUSALS: tuple[type[WildRydesError], ...] = (InvalidRequest, InvalidNextToken)


def refusal_result(refusal: WildRydesError) -> dict[str, str]:
    """`{"Code": "BadRequest" | "InvalidNextToken", "Message"}`."""
    code = 'BadRequest' if isinstance(refusal, InvalidRequest) else refusal.code
    return {'Code': code, 'Message': refusal.message}


class RideHistory:
    """Keeps ride events, and lists a rider's rides."""

    def __init__(self, store: RideRecordStore) -> None:
        self._store = store

    def record_message(self, message: object, attributes: object = None) -> RideRecord:
        """An SNS message from the rides topic; InvalidRequest if it is no ride event."""
        return self._store.apply(parse_ride_message(message, attributes))

    def record_event(self, body: object) -> RideRecord:
        """A ride event's JSON body (`POST /record`)."""
        return self._store.apply(parse_ride_event(body))

    def list_rides(self, payload: object) -> dict[str, Any]:
        """One page of the rider's rides, newest first, and a `NextToken`
        only when there are more. Raises one of REFUSALS for a bad payload."""
        query = parse_history_query(payload)
        rides = self._store.rides_of(query.rider_id, query.limit + 1, query.after)
        page: dict[str, Any] = {'Rides': [ride.to_dict() for ride in rides[:query.limit]]}
        if len(rides) > query.limit:
            page['NextToken'] = page_tokens.encode(rides[query.limit - 1].page_key)
        return page
