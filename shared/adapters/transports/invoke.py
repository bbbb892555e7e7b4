"""Another service's Lambda function over a direct, synchronous `lambda.invoke`.

What a caller owns when it skips API Gateway: a function that raises still
answers HTTP 200, with the failure in `FunctionError` and the payload
`{"errorMessage", "errorType", "stackTrace"}`; throttling, a missing
function and timeouts arrive as botocore exceptions. Each becomes the
callee's domain error here (`shared.domain.callee`); the stack trace is
logged, never passed on. The callee's expected answers ("no unicorn
available", "ride not found", "invalid NextToken") come as a result
`{"Code", "Message"}` and become the same domain errors.

`LambdaFunction` is that call for any callee; `InvokeTransport` is the
fleet's transport made of it.
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
from shared.domain.callee import Callee
from shared.domain.errors import WildRydesError
from shared.domain.fleet_client import FLEET
from shared.domain.retry import Retryable

log = logging.getLogger(__name__)

# What Lambda reports, in errorType, when the function ran out of time.
LAMBDA_TIMEOUT_ERROR_TYPE = 'Sandbox.Timedout'


class LambdaFunction:
    """One function of another service, invoked with RequestResponse."""

    def __init__(self, lambda_client: Any, function_arn: str, callee: Callee) -> None:
        self._lambda = lambda_client
        self._function = function_arn
        self._callee = callee

    def invoke(self, payload: dict[str, Any]) -> Any:
        """The function's result (any JSON value), or the callee's domain
        error; the ones worth another try come wrapped in `Retryable`."""
        callee = self._callee
        try:
            response = self._lambda.invoke(
                FunctionName=self._function,
                InvocationType='RequestResponse',
                Payload=json.dumps(payload).encode(),
                **_client_context(),
            )
            body = response['Payload'].read()
        except ReadTimeoutError:
            raise Retryable(callee.timeout(f'{callee.name} did not answer in time')) from None
        except ConnectTimeoutError:
            raise Retryable(callee.timeout('could not connect to Lambda in time')) from None
        except (EndpointConnectionError, ConnectionClosedError):
            raise Retryable(callee.error(f'could not reach Lambda to call {callee.name}')) from None
        except ClientError as error:
            raise _client_error(error, callee) from None
        answer = _decode(body, callee)
        if response.get('FunctionError'):
            raise _function_error(answer, callee)
        refusal = callee.refusal_in(answer)
        if refusal is not None:  # the callee's own "no", answered as a result
            log.info('the callee refused', extra={'callee': callee.name,
                                                  'error_code': answer['Code']})
            raise refusal
        return answer


class InvokeTransport:
    """The fleet's `FleetTransport` over direct invoke."""

    def __init__(self, lambda_client: Any, function_arn: str) -> None:
        self._fleet = LambdaFunction(lambda_client, function_arn, FLEET)

    def dispatch(self, payload: dict[str, Any]) -> Any:
        return self._fleet.invoke(payload)

    def release(self, ride_id: str, rider_id: str | None = None) -> Any:
        return self._fleet.invoke(_with_rider({'Action': 'Release', 'RideId': ride_id}, rider_id))

    def get_ride(self, ride_id: str, rider_id: str) -> Any:
        return self._fleet.invoke({'Action': 'GetRide', 'RideId': ride_id, 'RiderId': rider_id})


def _client_context() -> dict[str, str]:
    """Our request id for the callee's log, in the ClientContext's `custom`
    (base64 JSON, as Lambda takes it); nothing when there is none."""
    request_id = logs.current_request_id()
    if not request_id:
        return {}
    context = {'custom': {logs.CALLER_REQUEST_ID_KEY: request_id}}
    return {'ClientContext': base64.b64encode(json.dumps(context).encode()).decode()}


def _with_rider(payload: dict[str, Any], rider_id: str | None) -> dict[str, Any]:
    return payload if rider_id is None else {**payload, 'RiderId': rider_id}


def _decode(body: bytes, callee: Callee) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise callee.error(f'{callee.name} answered with something that is not JSON') from None


def _function_error(answer: object, callee: Callee) -> WildRydesError | Retryable:
    """The callee's function raised: rebuild the domain error it meant."""
    if not isinstance(answer, dict):
        return callee.error(f'{callee.name} failed without saying why')
    error_type = answer.get('errorType')
    message = answer.get('errorMessage')
    if error_type == LAMBDA_TIMEOUT_ERROR_TYPE:
        log.warning('the callee function timed out', extra={'callee': callee.name})
        return Retryable(callee.timeout(f'{callee.name} ran out of time'))
    if not isinstance(message, str):
        message = f'{callee.name} failed'
    error = callee.error_from(error_type, message)
    if isinstance(error, callee.error):  # a fault of the callee: keep its trace
        log.warning('the callee function failed', extra={
            'callee': callee.name, 'error_type': error_type, 'error_message': message,
            'stack_trace': answer.get('stackTrace')})
    else:  # the callee's own "no", such as every unicorn being busy
        log.info('the callee refused', extra={'callee': callee.name, 'error_type': error_type})
    return error


def _client_error(error: ClientError, callee: Callee) -> WildRydesError | Retryable:
    code = error.response.get('Error', {}).get('Code')
    status = error.response.get('ResponseMetadata', {}).get('HTTPStatusCode', 0)
    log.warning('lambda invoke failed', extra={'callee': callee.name, 'error_code': code,
                                               'status': status})
    if code == 'TooManyRequestsException' or status == 429:
        return Retryable(callee.busy(f'{callee.name} is busy (throttled); try again shortly'))
    if code == 'ResourceNotFoundException':
        # A deploy fault: the log says what to check; the client is not told setting names.
        log.error('the callee function was not found; check %s', callee.arn_settings,
                  extra={'callee': callee.name})
        return callee.error(f'{callee.name} function was not found')
    if status >= 500:
        return Retryable(callee.error(f'Lambda failed to run {callee.name} ({code})'))
    return callee.error(f'Lambda refused to call {callee.name} ({code})')
