"""The fleet over a direct, synchronous `lambda.invoke`.

What a caller owns when it skips API Gateway: a function that raises still
answers HTTP 200, with the failure in `FunctionError` and the payload
`{"errorMessage", "errorType", "stackTrace"}`; throttling, a missing
function and timeouts arrive as botocore exceptions. Each becomes a domain
error here; the stack trace is logged, never passed on. The fleet's expected
answers ("no unicorn available", "ride not found") come as a result
`{"Code", "Message"}` and become the same domain errors.
"""
import base64
import json
import logging
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from shared import logs
from shared.domain import errors
from shared.domain.errors import FleetBusy, FleetError, FleetTimeout, WildRydesError
from shared.domain.retry import Retryable

log = logging.getLogger(__name__)

# What Lambda reports, in errorType, when the function ran out of time.
LAMBDA_TIMEOUT_ERROR_TYPE = 'Sandbox.Timedout'


class InvokeTransport:
    def __init__(self, lambda_client: Any, function_arn: str) -> None:
        self._lambda = lambda_client
        self._function = function_arn

    def dispatch(self, payload: dict[str, Any]) -> Any:
        return self._invoke(payload)

    def release(self, ride_id: str, rider_id: str | None = None) -> Any:
        return self._invoke(_with_rider({'Action': 'Release', 'RideId': ride_id}, rider_id))

    def get_ride(self, ride_id: str, rider_id: str) -> Any:
        return self._invoke({'Action': 'GetRide', 'RideId': ride_id, 'RiderId': rider_id})

    def _invoke(self, payload: dict[str, Any]) -> Any:
        try:
            response = self._lambda.invoke(
                FunctionName=self._function,
                InvocationType='RequestResponse',
                Payload=json.dumps(payload).encode(),
                **_client_context(),
            )
            body = response['Payload'].read()
        except ReadTimeoutError:
            raise Retryable(FleetTimeout('the fleet did not answer in time')) from None
        except ConnectTimeoutError:
            raise Retryable(FleetTimeout('could not connect to Lambda in time')) from None
        except (EndpointConnectionError, ConnectionClosedError):
            raise Retryable(FleetError('could not reach Lambda to call the fleet')) from None
        except ClientError as error:
            raise _client_error(error) from None
        answer = _decode(body)
        if response.get('FunctionError'):
            raise _function_error(answer)
        refusal = errors.refusal_in(answer)
        if refusal is not None:  # the fleet's own "no", answered as a result
            log.info('the fleet refused', extra={'error_code': answer['Code']})
            raise refusal
        return answer


def _client_context() -> dict[str, str]:
    """Our request id for the fleet's log, in the ClientContext's `custom`
    (base64 JSON, as Lambda takes it); nothing when there is none."""
    request_id = logs.current_request_id()
    if not request_id:
        return {}
    context = {'custom': {logs.CALLER_REQUEST_ID_KEY: request_id}}
    return {'ClientContext': base64.b64encode(json.dumps(context).encode()).decode()}


def _with_rider(payload: dict[str, Any], rider_id: str | None) -> dict[str, Any]:
    return payload if rider_id is None else {**payload, 'RiderId': rider_id}


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FleetError('the fleet answered with something that is not JSON') from None


def _function_error(answer: object) -> WildRydesError | Retryable:
    """The fleet's function raised: rebuild the domain error it meant."""
    if not isinstance(answer, dict):
        return FleetError('the fleet failed without saying why')
    error_type = answer.get('errorType')
    message = answer.get('errorMessage')
    if error_type == LAMBDA_TIMEOUT_ERROR_TYPE:
        log.warning('the fleet function timed out')
        return Retryable(FleetTimeout('the fleet ran out of time'))
    if not isinstance(message, str):
        message = 'the fleet failed'
    error = errors.from_fleet(error_type, message)
    if isinstance(error, FleetError):  # a fault of the fleet: keep its trace
        log.warning('the fleet function failed', extra={
            'error_type': error_type, 'error_message': message,
            'stack_trace': answer.get('stackTrace')})
    else:  # the fleet's own "no", such as every unicorn being busy
        log.info('the fleet refused', extra={'error_type': error_type})
    return error


def _client_error(error: ClientError) -> WildRydesError | Retryable:
    code = error.response.get('Error', {}).get('Code')
    status = error.response.get('ResponseMetadata', {}).get('HTTPStatusCode', 0)
    log.warning('lambda invoke failed', extra={'error_code': code, 'status': status})
    if code == 'TooManyRequestsException' or status == 429:
        return Retryable(FleetBusy('the fleet is busy (throttled); try again shortly'))
    if code == 'ResourceNotFoundException':
        # A deploy fault: the log says what to check; the client is not told setting names.
        log.error('the fleet function was not found; check REQUEST_UNICORN_ARN and its SSM '
                  'parameter')
        return FleetError('the fleet function was not found')
    if status >= 500:
        return Retryable(FleetError(f'Lambda failed to run the fleet ({code})'))
    return FleetError(f'Lambda refused to call the fleet ({code})')
