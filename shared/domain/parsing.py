"""Parsing and validating what callers send, with errors that name the field.

Both event sources (an API Gateway body, a direct-invoke payload) end up
here, so a bad request gets the same answer whichever way it came in.
"""
import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

from shared.domain.errors import InvalidRequest, PayloadTooLarge

MAX_BODY_BYTES = 64 * 1024
_ACTIONS = ('Dispatch', 'Release')


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
    pickup: PickupLocation | None = None


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
    """A RequestUnicornInvoke payload: `{}`, `{"RideId", "PickupLocation"}`
    or `{"Action": "Release", "RideId"}`."""
    fields = _require_object({} if payload is None else payload, 'payload')
    action = fields.get('Action', 'Dispatch')
    if action not in _ACTIONS:
        raise InvalidRequest(f'Action must be one of {", ".join(_ACTIONS)}')
    ride_id = None
    if fields.get('RideId') is not None:
        ride_id = parse_ride_id(fields['RideId'])
    elif action == 'Release':
        raise InvalidRequest('RideId is required to release a unicorn')
    pickup = None
    if fields.get('PickupLocation') is not None:
        pickup = parse_pickup(fields['PickupLocation'])
    return UnicornRequest(action=action, ride_id=ride_id, pickup=pickup)


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
