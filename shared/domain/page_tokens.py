"""The `NextToken` of a rider's history: opaque to the caller, and only
ever the caller's own.

A token is where the last page ended (the ride's `RequestTime` and
`RideId`, and its rider), as URL-safe base64 of JSON: DynamoDB's
`LastEvaluatedKey` of the rider index, in plain values. It is not signed:
what protects other riders' rides is that a token must name the caller as
its rider, and the store only ever reads the caller's rides. A token that
does not decode, has other fields, or names another rider is refused with
`InvalidNextToken`, never used.
"""
import base64
import binascii
import json
from dataclasses import dataclass

from shared.domain.errors import InvalidNextToken, InvalidRequest
from shared.domain.parsing import parse_ride_id
from shared.domain.ride_events import parse_time

MAX_TOKEN_LENGTH = 1024
_FIELDS = {'RiderId', 'RequestTime', 'RideId'}


@dataclass(frozen=True, order=True)
class PageKey:
    """A position in one rider's history, ordered as the history is sorted
    (newest first is descending on this order)."""

    rider_id: str
    request_time: str
    ride_id: str


def encode(key: PageKey) -> str:
    text = json.dumps({'RiderId': key.rider_id, 'RequestTime': key.request_time,
                       'RideId': key.ride_id}, separators=(',', ':'), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip('=')


def decode(token: object, rider_id: str) -> PageKey:
    """The position `token` stands for, if it is `rider_id`'s."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidNextToken()
    try:
        text = base64.urlsafe_b64decode(token + '=' * (-len(token) % 4)).decode()
        fields = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidNextToken() from None
    if not isinstance(fields, dict) or set(fields) != _FIELDS or \
            not all(isinstance(value, str) for value in fields.values()):
        raise InvalidNextToken()
    if fields['RiderId'] != rider_id:
        raise InvalidNextToken()
    try:
        ride_id = parse_ride_id(fields['RideId'])
    except InvalidRequest:
        raise InvalidNextToken() from None
    if ride_id != fields['RideId'] or not _is_time(fields['RequestTime']):
        raise InvalidNextToken()
    return PageKey(rider_id=rider_id, request_time=fields['RequestTime'], ride_id=ride_id)


def _is_time(value: str) -> bool:
    """A stored RequestTime: the form `ride_events.parse_time` writes."""
    try:
        return parse_time(value, 'RequestTime') == value
    except InvalidRequest:
        return False
