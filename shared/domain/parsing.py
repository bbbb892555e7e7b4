"""Parsing and validating what callers send, with errors that name the field.

Both event sources (an API Gateway body, a direct-invoke payload) end up
here, so a bad request gets the same answer whichever way it came in.
"""
import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

from shared.domain.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType

MAX_BODY_BYTES = 64 * 1024
MAX_RIDER_ID_LENGTH = 128
MAX_REQUEST_TIME_LENGTH = 40
JSON_MEDIA_TYPE = 'application/json'
_ACTIONS = ('Dispatch', 'Release', 'GetRide')


@dataclass(frozen=True)
class PickupLocation:
    latitude: float
    longitude: float

    def to_dict(self) -> dict[str, float]:
        return {'Latitude': self.latitude, 'Longitude': self.longitude}


@dataclass(frozen=True)
class UnicornRequest:
    """What the fleet is asked: dispatch (or release) for a ride, or just
    show one available unicorn when no ride id is given."""

    action: str
    ride_id: str | None = None
    rider_id: str | None = None
    pickup: PickupLocation | None = None
    request_time: str | None = None


def require_json_content_type(content_type: str | None) -> None:
    """Refuse a POST whose Content-Type is not application/json (parameters
    such as `; charset=utf-8` allowed). A missing type is refused too."""
    media_type = (content_type or '').split(';', 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        raise UnsupportedMediaType(
            f'send the request with Content-Type: {JSON_MEDIA_TYPE}')


def parse_rider_id(value: object, field: str = 'RiderId') -> str:
    """A rider is an opaque id (the ID token's `sub`, a UUID on Cognito):
    a non-empty printable string of bounded length."""
    if value is None:
        raise InvalidRequest(f'{field} is required')
    if (not isinstance(value, str) or not value.strip()
            or len(value) > MAX_RIDER_ID_LENGTH or not value.isprintable()):
        raise InvalidRequest(f'{field} must be a non-empty printable string of at most '
                             f'{MAX_RIDER_ID_LENGTH} characters')
    return value


def parse_json_body(raw_body: bytes | None) -> Any:
    """Decode an HTTP body, refusing oversized ones before any other work."""
    raw = raw_body or b''
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f'request body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}')
    if not raw.strip():
        raise InvalidRequest('request body is missing; send a JSON object')
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise InvalidRequest('request body is not valid JSON') from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f'{name} is not JSON')


def parse_ride_request(body: object) -> PickupLocation:
    """The pickup location of a `POST /ride` body or RequestRideInvoke payload."""
    fields = _require_object(body, 'request body')
    if 'PickupLocation' not in fields:
        raise InvalidRequest('PickupLocation is required')
    return parse_pickup(fields['PickupLocation'])


def parse_pickup(value: object, field: str = 'PickupLocation') -> PickupLocation:
    location = _require_object(value, field)
    return PickupLocation(
        latitude=_coordinate(location, field, 'Latitude', 90),
        longitude=_coordinate(location, field, 'Longitude', 180),
    )


def parse_unicorn_request(payload: object) -> UnicornRequest:
    """A RequestUnicornInvoke payload: `{}` (show one free unicorn),
    `{"RideId", "RiderId", "PickupLocation", "RequestTime"}` (dispatch), or
    `{"Action": "Release" | "GetRide", "RideId", "RiderId"}`. Every ride
    belongs to a rider, so a RideId always comes with a RiderId."""
    fields = _require_object({} if payload is None else payload, 'payload')
    action = fields.get('Action', 'Dispatch')
    if action not in _ACTIONS:
        raise InvalidRequest(f'Action must be one of {", ".join(_ACTIONS)}')
    ride_id = rider_id = None
    if fields.get('RideId') is not None:
        ride_id = parse_ride_id(fields['RideId'])
        rider_id = parse_rider_id(fields.get('RiderId'))
    elif action != 'Dispatch':
        raise InvalidRequest(f'RideId is required for {action}')
    pickup = None
    if fields.get('PickupLocation') is not None:
        pickup = parse_pickup(fields['PickupLocation'])
    request_time = fields.get('RequestTime')
    if request_time is not None and (not isinstance(request_time, str)
                                     or len(request_time) > MAX_REQUEST_TIME_LENGTH):
        raise InvalidRequest('RequestTime must be an ISO 8601 timestamp string')
    return UnicornRequest(action=action, ride_id=ride_id, rider_id=rider_id,
                          pickup=pickup, request_time=request_time)


def parse_ride_id(value: object, field: str = 'RideId') -> str:
    """Ride ids are UUIDs, written the canonical way."""
    if not isinstance(value, str):
        raise InvalidRequest(f'{field} must be a string holding a UUID')
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidRequest(f'{field} must be a UUID') from None


def _require_object(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f'{field} must be a JSON object')
    return value


def _coordinate(location: dict[str, Any], parent: str, name: str, limit: int) -> float:
    field = f'{parent}.{name}'
    if name not in location:
        raise InvalidRequest(f'{field} is required')
    value = location[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRequest(f'{field} must be a number')
    # An int is always finite, and may be too big for math.isfinite's float.
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRequest(f'{field} must be a finite number')
    if not -limit <= value <= limit:
        raise InvalidRequest(f'{field} must be between {-limit} and {limit}')
    return float(value)
