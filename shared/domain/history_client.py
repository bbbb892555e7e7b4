"""A rider's ride history, as rides reads it from ride-record (`GET /rides`).

ride-record keeps every ride it hears of on the rides topic; rides asks its
`ListRideRecords` function with a direct invoke, the workshop's pattern a
second time: rides authenticated the rider, so the rider id it sends is the
ID token's `sub`, never anything from the request. The invoke goes through
the same transport as the fleet's (`shared.adapters.transports.invoke`),
with this callee's errors:

| what happened                               | rider sees                |
|---------------------------------------------|---------------------------|
| `{"Code": "InvalidNextToken"}` result       | 400 `InvalidNextToken`    |
| `{"Code": "BadRequest"}` result             | 400 `BadRequestError`     |
| function error, not JSON, not a history     | 502 `HistoryError`        |
| Lambda throttled it past the retries        | 503 `HistoryBusy`         |
| no answer in time, after the retries        | 504 `HistoryTimeout`      |

Reading is safe to repeat, so every retryable failure is tried again.
"""
import time
from collections.abc import Callable
from typing import Any, Protocol

from shared.domain.callee import Callee
from shared.domain.errors import InvalidNextToken, InvalidRequest, WildRydesError
from shared.domain.parsing import parse_rider_id
from shared.domain.retry import RetryPolicy, call_with_retries


class HistoryError(WildRydesError):
    """ride-record answered with an error, or with something not a history."""

    status_code = 502
    code = 'HistoryError'


class HistoryTimeout(WildRydesError):
    """ride-record did not answer in time."""

    status_code = 504
    code = 'HistoryTimeout'


class HistoryBusy(WildRydesError):
    """Lambda kept throttling ride-record past the retry budget."""

    status_code = 503
    code = 'HistoryBusy'


HISTORY = Callee(
    name='the ride history', error=HistoryError, timeout=HistoryTimeout, busy=HistoryBusy,
    answers={InvalidNextToken.code: InvalidNextToken, 'BadRequest': InvalidRequest},
    arn_settings='LIST_RIDE_RECORDS_ARN and its SSM parameter')

STATUSES = ('active', 'completed', 'cancelled')
# What a rider sees of a ride record (the ListRideRecords contract); nothing else passes.
RECORD_FIELDS = ('RideId', 'RiderId', 'Status', 'UnicornName', 'Unicorn', 'RequestTime',
                 'PickupLocation', 'CompletedTime')
UNICORN_FIELDS = ('Name', 'Color')
# A NextToken is opaque, but not unbounded: longer than this is not one of ours.
MAX_NEXT_TOKEN_CHARS = 2048

Page = dict[str, Any]


class HistoryFunction(Protocol):
    def invoke(self, payload: dict[str, Any]) -> Any:
        """ListRideRecords' result (any JSON value), or a domain error."""


class HistoryClient:
    def __init__(self, function: HistoryFunction, retry: RetryPolicy,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self._function = function
        self._retry = retry
        self._sleep = sleep

    def rides_of(self, rider_id: object, next_token: object = None) -> Page:
        """One page of the rider's rides, newest first: `{"Rides": [...]}`,
        with `NextToken` when there are more."""
        rider = parse_rider_id(rider_id)
        payload: dict[str, Any] = {'RiderId': rider}
        token = parse_next_token(next_token)
        if token is not None:
            payload['NextToken'] = token
        answer = call_with_retries(lambda: self._function.invoke(payload), self._retry,
                                   sleep=self._sleep)
        return checked_page(answer, rider)


def parse_next_token(value: object) -> str | None:
    """The query's NextToken: absent or empty is the first page."""
    if value is None or value == '':
        return None
    if not isinstance(value, str) or len(value) > MAX_NEXT_TOKEN_CHARS:
        raise InvalidNextToken('NextToken is not valid: use the one the last page gave')
    return value


def checked_page(answer: object, rider_id: str) -> Page:
    """ListRideRecords' answer, if it is a page of this rider's rides, with
    only the fields of the contract; a HistoryError if not (a ride of
    anyone else is never passed on)."""
    if not isinstance(answer, dict) or not isinstance(answer.get('Rides'), list):
        raise HistoryError('the ride history answered with something that is not a history')
    token = answer.get('NextToken')
    if token is not None and (not isinstance(token, str) or not token):
        raise HistoryError('the ride history answered with a NextToken that is not one')
    rides = [_checked_record(record, rider_id) for record in answer['Rides']]
    return {'Rides': rides, **({'NextToken': token} if token else {})}


def _checked_record(record: object, rider_id: str) -> dict[str, Any]:
    if (not isinstance(record, dict) or not isinstance(record.get('RideId'), str)
            or record.get('Status') not in STATUSES):
        raise HistoryError('the ride history answered with something that is not a ride')
    if record.get('RiderId') != rider_id:
        raise HistoryError("the ride history answered with another rider's ride")
    ride = {key: record[key] for key in RECORD_FIELDS if record.get(key) is not None}
    unicorn = ride.get('Unicorn')
    if isinstance(unicorn, dict):
        ride['Unicorn'] = {key: unicorn[key] for key in UNICORN_FIELDS if key in unicorn}
    return ride
