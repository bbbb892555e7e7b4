"""The events rides publishes about a ride, parsed and checked.

One event per change of a ride, on the rides topic: `RideRequested` (the
ride as rides answered it), `RideCompleted` (with `CompletedTime`) and
`RideCancelled` (with `Reason`: a publish whose outcome was unknown, after
which the rider got an error and the unicorn was released). Every event
carries `EventType`, `RideId`, `RiderId` and `EventTime`. The same body
reaches ride-record through SNS (`PutRideRecordSns`) and over HTTP
(`POST /record`), so a bad event gets the same answer whichever way it came:
an `InvalidRequest` naming the field.
"""
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.domain.errors import InvalidRequest
from shared.domain.parsing import parse_pickup, parse_ride_id, parse_rider_id

RIDE_REQUESTED = 'RideRequested'
RIDE_COMPLETED = 'RideCompleted'
RIDE_CANCELLED = 'RideCancelled'
EVENT_TYPES = (RIDE_REQUESTED, RIDE_COMPLETED, RIDE_CANCELLED)
# The SNS message attribute that names the event (a subscription can filter on it).
EVENT_TYPE_ATTRIBUTE = 'EventType'

MAX_TIME_LENGTH = 40
MAX_TEXT_LENGTH = 256
MAX_MESSAGE_BYTES = 256 * 1024  # SNS's own limit on a message


@dataclass(frozen=True)
class RideDetails:
    """What a `RideRequested` says about the ride, as the rider sees it."""

    unicorn: dict[str, str]        # {"Name", "Color"}
    unicorn_name: str
    request_time: str              # ISO 8601, UTC, milliseconds (as rides writes it)
    pickup: dict[str, float]       # {"Latitude", "Longitude"}


@dataclass(frozen=True)
class RideEvent:
    """One change of one ride."""

    event_type: str
    ride_id: str
    rider_id: str
    event_time: str
    details: RideDetails | None = None     # RideRequested only
    completed_time: str | None = None      # RideCompleted only
    reason: str | None = None              # RideCancelled only


def parse_ride_message(message: object, attributes: object = None) -> RideEvent:
    """An SNS message (JSON text) and its message attributes
    (`{name: {"Type", "Value"}}`) as one ride event. The body's `EventType`
    wins; the attribute stands in for a body without one, and the two must
    not disagree."""
    if not isinstance(message, str):
        raise InvalidRequest('the message must be JSON text')
    if len(message.encode()) > MAX_MESSAGE_BYTES:
        raise InvalidRequest(f'the message is over {MAX_MESSAGE_BYTES} bytes')
    try:
        body = json.loads(message, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise InvalidRequest('the message is not valid JSON') from None
    return parse_ride_event(body, _attribute_event_type(attributes))


def parse_ride_event(body: object, attribute_event_type: str | None = None) -> RideEvent:
    """A ride event from its JSON body (an SNS message's, or `POST /record`'s)."""
    if not isinstance(body, dict):
        raise InvalidRequest('the ride event must be a JSON object')
    event_type = body.get('EventType', attribute_event_type)
    if event_type is None:
        raise InvalidRequest('EventType is required')
    if event_type not in EVENT_TYPES:
        raise InvalidRequest(f'EventType must be one of {", ".join(EVENT_TYPES)}')
    if attribute_event_type is not None and attribute_event_type != event_type:
        raise InvalidRequest('EventType of the message attribute and of the body disagree')
    ride_id = parse_ride_id(body.get('RideId'))
    rider_id = parse_rider_id(body.get('RiderId'))
    event_time = parse_time(body.get('EventTime'), 'EventTime')
    if event_type == RIDE_REQUESTED:
        return RideEvent(event_type, ride_id, rider_id, event_time,
                         details=_details(body))
    if event_type == RIDE_COMPLETED:
        return RideEvent(event_type, ride_id, rider_id, event_time,
                         completed_time=parse_time(body.get('CompletedTime'), 'CompletedTime'))
    return RideEvent(event_type, ride_id, rider_id, event_time,
                     reason=_text(body.get('Reason'), 'Reason'))


def parse_time(value: object, field_name: str) -> str:
    """An ISO 8601 timestamp with its time zone, as UTC with milliseconds
    (`2026-11-27T01:25:13.123+00:00`, rides' own format): one form for
    every stored time, so they sort as text."""
    if value is None:
        raise InvalidRequest(f'{field_name} is required')
    if not isinstance(value, str) or len(value) > MAX_TIME_LENGTH:
        raise InvalidRequest(f'{field_name} must be an ISO 8601 timestamp string')
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f'{field_name} must be an ISO 8601 timestamp') from None
    if moment.tzinfo is None:
        raise InvalidRequest(f'{field_name} must say its time zone (Z or +00:00)')
    return moment.astimezone(UTC).isoformat(timespec='milliseconds')


def _details(body: dict[str, Any]) -> RideDetails:
    unicorn = body.get('Unicorn')
    if unicorn is None:
        raise InvalidRequest('Unicorn is required')
    if not isinstance(unicorn, dict):
        raise InvalidRequest('Unicorn must be a JSON object')
    name = _text(unicorn.get('Name'), 'Unicorn.Name')
    color = _text(unicorn.get('Color'), 'Unicorn.Color')
    unicorn_name = body.get('UnicornName', name)
    if unicorn_name != name:
        raise InvalidRequest('UnicornName must be the name of the Unicorn')
    if 'PickupLocation' not in body:
        raise InvalidRequest('PickupLocation is required')
    return RideDetails(unicorn={'Name': name, 'Color': color}, unicorn_name=name,
                       request_time=parse_time(body.get('RequestTime'), 'RequestTime'),
                       pickup=parse_pickup(body['PickupLocation']).to_dict())


def _text(value: object, field_name: str) -> str:
    if value is None:
        raise InvalidRequest(f'{field_name} is required')
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT_LENGTH:
        raise InvalidRequest(f'{field_name} must be a non-empty string of at most '
                             f'{MAX_TEXT_LENGTH} characters')
    return value


def _attribute_event_type(attributes: object) -> str | None:
    """`EventType` of SNS's message attributes (`{"Type", "Value"}`), if any."""
    if not isinstance(attributes, dict):
        return None
    attribute = attributes.get(EVENT_TYPE_ATTRIBUTE)
    if not isinstance(attribute, dict):
        return None
    value = attribute.get('Value')
    if not isinstance(value, str):
        raise InvalidRequest('the EventType message attribute must be a String')
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f'{name} is not JSON')
