"""The fleet over its API Gateway route, `GET /unicorn`.

The route uses AWS_IAM authorization, so requests are signed with SigV4
(botocore's signer, with the function's own credentials). The ride id goes
in the query string, which keeps dispatch idempotent on this path too.
"""
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from shared import logs, tracing
from shared.budget import CallBudget
from shared.domain.errors import FleetBusy, FleetError, FleetTimeout, WildRydesError
from shared.domain.fleet_client import FLEET
from shared.domain.retry import Retryable

log = logging.getLogger(__name__)


class HttpTransport:
    def __init__(self, unicorn_url: str, call_budget: CallBudget,
                 signer: 'SigV4Signer | None' = None) -> None:
        self._url = unicorn_url.rstrip('/')
        self._timeout = call_budget.connect_timeout + call_budget.read_timeout
        self._signer = signer

    def dispatch(self, payload: dict[str, Any]) -> Any:
        """`GET /unicorn?RideId=&RiderId=&Latitude=&Longitude=&RequestTime=`;
        a 409 RideInProgress body is an answer (as the invoke path's result)."""
        pickup = payload.get('PickupLocation') or {}
        query = {'RideId': payload['RideId'], 'RiderId': payload.get('RiderId'),
                 'Latitude': pickup.get('Latitude'), 'Longitude': pickup.get('Longitude'),
                 'RequestTime': payload.get('RequestTime')}
        return self._send('GET', self._url + _query(query), answers=(409,))

    def release(self, ride_id: str, rider_id: str | None = None) -> Any:
        return self._send('POST', f'{self._url}/{urllib.parse.quote(ride_id)}/release'
                          + _query({'RiderId': rider_id}))

    def get_ride(self, ride_id: str, rider_id: str) -> Any:
        return self._send('GET', f'{self._url}/{urllib.parse.quote(ride_id)}'
                          + _query({'RiderId': rider_id}))

    def _send(self, method: str, url: str, answers: tuple[int, ...] = ()) -> Any:
        headers = {'Accept': 'application/json'}
        request_id = logs.current_request_id()
        if request_id:  # for the fleet's log
            headers[logs.CALLER_REQUEST_ID_HEADER] = request_id
        trace = tracing.trace_header()
        if trace:  # the fleet's API continues this trace (not signed, as botocore does)
            headers[tracing.TRACE_HEADER] = trace
        if self._signer is not None:
            headers = self._signer.sign(method, url, headers)
        request = urllib.request.Request(url, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return _decode(response.read())
        except urllib.error.HTTPError as error:
            body = error.read()
            if error.code in answers:
                return _decode(body)
            raise _http_error(error.code, body) from None
        except TimeoutError:
            raise Retryable(FleetTimeout('the fleet did not answer in time')) from None
        except (urllib.error.URLError, ConnectionError) as error:
            if isinstance(getattr(error, 'reason', None), (TimeoutError, socket.timeout)):
                raise Retryable(FleetTimeout('could not connect to the fleet in time')) from None
            raise Retryable(FleetError('could not reach the fleet')) from None


def _query(values: dict[str, Any]) -> str:
    """The query string of the values that are set; %20, not +, since API
    Gateway checks SigV4 against the standard encoding."""
    present = {name: value for name, value in values.items() if value is not None}
    if not present:
        return ''
    return '?' + urllib.parse.urlencode(present, quote_via=urllib.parse.quote)


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FleetError('the fleet answered with something that is not JSON') from None


def _http_error(status: int, body: bytes) -> WildRydesError | Retryable:
    """Non-2xx: the fleet's JSON error shape tells which domain error it was."""
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        answer = {}
    code = answer.get('Code') if isinstance(answer, dict) else None
    message = answer.get('Message') if isinstance(answer, dict) else None
    error = _error_for(status, code, message)
    if isinstance(error, (FleetError, Retryable)):  # a fault of the fleet
        log.warning('the fleet answered with an error',
                    extra={'status': status, 'error_code': code})
    else:  # the fleet's own "no", such as every unicorn being busy
        log.info('the fleet refused', extra={'status': status, 'error_code': code})
    return error


def _error_for(status: int, code: object, message: object) -> WildRydesError | Retryable:
    if status == 429:
        return Retryable(FleetBusy('the fleet is busy (throttled); try again shortly'))
    if status == 504:
        return Retryable(FleetTimeout('the fleet did not answer in time'))
    if status >= 500 and not FLEET.passes_through(code):
        return Retryable(FleetError(f'the fleet failed with HTTP {status}'))
    if not isinstance(message, str):
        return FleetError(f'the fleet answered HTTP {status}')
    return FLEET.error_from(code, message)


class SigV4Signer:
    """Signs requests for an API Gateway route with AWS_IAM authorization."""

    def __init__(self, credentials: Any, region: str) -> None:
        self._credentials = credentials
        self._region = region

    def sign(self, method: str, url: str, headers: dict[str, str]) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method=method, url=url, headers=headers)
        SigV4Auth(self._credentials.get_frozen_credentials(), 'execute-api',
                  self._region).add_auth(request)
        return dict(request.headers.items())
