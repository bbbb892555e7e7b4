"""Domain errors. Each carries the status and code a client sees, so the
entrypoints map them to responses in one place and nothing matches on
message text."""
import functools
import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

Response = TypeVar('Response')

log = logging.getLogger(__name__)


class WildRydesError(Exception):
    """Base class: an error a client may see, never with a stack trace."""

    status_code = 500
    code = 'InternalServerError'

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_body(self) -> dict[str, str]:
        """Chalice's JSON error shape."""
        return {'Code': self.code, 'Message': self.message}


class InvalidRequest(WildRydesError):
    """The request is malformed; the message names the field."""

    status_code = 400
    code = 'BadRequestError'


class InvalidNextToken(WildRydesError):
    """A history NextToken the caller was not given (forged, garbled, or
    another rider's): ride-record refuses it, and rides answers it as is."""

    status_code = 400
    code = 'InvalidNextToken'

    def __init__(self, message: str = 'NextToken is not one this rider was given; '
                                      'start again without it') -> None:
        super().__init__(message)


class PayloadTooLarge(WildRydesError):
    status_code = 413
    code = 'RequestTooLarge'


class UnsupportedMediaType(WildRydesError):
    """A POST whose body is not declared as JSON. Checked explicitly:
    Chalice reads a body without a Content-Type as JSON, which would let a
    cross-origin `no-cors` form post create rides."""

    status_code = 415
    code = 'UnsupportedMediaType'


class RideNotFound(WildRydesError):
    """No such ride, or not the caller's: the two answer alike, so a
    ride's existence does not leak to other riders."""

    status_code = 404
    code = 'NotFoundError'


class RideInProgress(WildRydesError):
    """The rider already holds a unicorn; the body names that ride."""

    status_code = 409
    code = 'RideInProgress'

    def __init__(self, ride_id: str) -> None:
        super().__init__('you already have a ride in progress; complete it '
                         'before requesting another')
        self.ride_id = ride_id

    def to_body(self) -> dict[str, str]:
        return {**super().to_body(), 'RideId': self.ride_id}


class NoUnicornAvailable(WildRydesError):
    """Every unicorn is on a ride, or the fleet is empty."""

    status_code = 503
    code = 'NoUnicornAvailable'


class FleetBusy(WildRydesError):
    """The fleet kept throttling us past the retry budget."""

    status_code = 503
    code = 'FleetBusy'


class RideNotRecorded(WildRydesError):
    """Publishing the ride failed; the unicorn was released again."""

    status_code = 503
    code = 'RideNotRecorded'


class FleetError(WildRydesError):
    """The fleet answered, but with an error or with something not a unicorn."""

    status_code = 502
    code = 'FleetError'


class InternalError(WildRydesError):
    """A fault of ours (such as a missing setting). The client sees only
    a generic 500; the details go to the log, never to the client."""

    status_code = 500
    code = 'InternalServerError'
    public_message = 'An internal server error occurred.'

    def to_body(self) -> dict[str, str]:
        return {'Code': self.code, 'Message': self.public_message}


class FleetTimeout(WildRydesError):
    """The fleet did not answer in time."""

    status_code = 504
    code = 'FleetTimeout'


# Errors the fleet may raise that the rides app re-raises as they are when it
# sees them come back, by the `errorType` of a direct invoke or the `Code` of
# an HTTP error body.
_PASSED_THROUGH: dict[str, type[WildRydesError]] = {
    name: cls
    for cls in (InvalidRequest, RideNotFound, NoUnicornAvailable)
    for name in (cls.__name__, cls.code)
}
# The same, read-only, for the fleet's `Callee` (shared.domain.fleet_client).
FLEET_ANSWERS: Mapping[str, type[WildRydesError]] = MappingProxyType(_PASSED_THROUGH)


# The fleet's expected answers: business outcomes, not faults. Its direct
# invoke returns them as a result `{"Code", "Message"}` (RideInProgress adds
# its `RideId`), never as a raised error, so the fleet function's `Errors`
# metric counts only bugs, timeouts and crashes.
EXPECTED_ANSWERS: tuple[type[WildRydesError], ...] = (NoUnicornAvailable, RideNotFound, RideInProgress)


def refusal_in(answer: object, answers: Mapping[str, type[WildRydesError]] | None = None,
               ) -> WildRydesError | None:
    """The fleet's expected "no" carried as a result (`{"Code", "Message"}`),
    rebuilt as the domain error rides answers with; None for anything else.
    RideInProgress is left to the caller, which needs its RideId. Another
    service passes its own `answers` (`shared.domain.callee`)."""
    answers = FLEET_ANSWERS if answers is None else answers
    if not isinstance(answer, dict) or set(answer) != {'Code', 'Message'}:
        return None
    code, message = answer['Code'], answer['Message']
    if code not in answers or not isinstance(message, str):
        return None
    return answers[code](message)


def answered_as(respond: Callable[[dict[str, str], int], Response],
                ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator for HTTP views: a WildRydesError becomes
    `respond(body, status_code)` in Chalice's JSON error shape. The app
    passes its framework's response type, so this module needs none."""
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def answer(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except WildRydesError as error:
                if isinstance(error, InternalError):
                    log.error('internal error', extra={'error_type': type(error).__name__,
                                                       'error_message': error.message})
                return respond(error.to_body(), error.status_code)
        return answer
    return decorator
