"""The Lambda Invoke API as it looks on the wire, and nothing else.

boto3, the AWS CLI and every SDK parse these exact status codes, header
names and error shapes (rest-json: the error code is read from the
`x-amzn-ErrorType` header), so the runtime answers through this module only.
No I/O happens here: requests come in as plain values, answers go out as
`Answer`s that the endpoint writes.

Every message and body key below is the one real AWS answers with, as
recorded in LocalStack's snapshot files (`tests/aws/services/lambda_/
test_lambda.snapshot.json`, `test_lambda_api.snapshot.json`).
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

# What Lambda accepts in one request: 6 MB synchronously, 1 MB for Event.
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
# What a function may answer synchronously: 100 bytes more than a request.
RESPONSE_PAYLOAD_LIMIT = 6_291_556

INVOKE_PATH = re.compile(r'^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$')
INVOCATION_TYPES = ('RequestResponse', 'Event', 'DryRun')
VERSION = '$LATEST'

Headers = Iterable[tuple[str, str]]

# `name`, `name:qualifier`, `account:function:name[:qualifier]` or the full ARN.
_ARN = re.compile(r'^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):'
                  r'function:(?P<name>[a-zA-Z0-9_-]+)(:(?P<qualifier>[^:]+))?$')
_PARTIAL_ARN = re.compile(r'^(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9_-]+)'
                          r'(:(?P<qualifier>[^:]+))?$')
_NAME = re.compile(r'^(?P<name>[a-zA-Z0-9_-]{1,140})(:(?P<qualifier>[^:]+))?$')


@dataclass
class Answer:
    """An HTTP answer: status, headers (in order) and body bytes."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b''

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


class WireError(Exception):
    """An API error (not a function error): its status, its code for
    `x-amzn-ErrorType`, and a body of `Type`, the message (under the key
    AWS uses for this error: `Message` or `message`) and any extra field."""

    def __init__(self, status: int, code: str, message: str, error_type: str = 'User',
                 message_key: str = 'message', **extra: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.error_type, self.message_key, self.extra = error_type, message_key, extra

    def answer(self, request_id: str | None = None) -> Answer:
        body = {'Type': self.error_type, self.message_key: self.message, **self.extra}
        headers = [('Content-Type', 'application/json'),
                   ('x-amzn-RequestId', request_id or new_request_id()),
                   ('x-amzn-ErrorType', self.code)]
        return Answer(self.status, headers, json.dumps(body).encode())


def not_found(function_arn: str) -> WireError:
    return WireError(404, 'ResourceNotFoundException', f'Function not found: {function_arn}',
                     message_key='Message')


def other_region(region: str, here: str) -> WireError:
    return WireError(404, 'ResourceNotFoundException',
                     f"Functions from '{region}' are not reachable in this region ('{here}')",
                     message_key='Message')


# Why a function was throttled (the 429's `Reason`).
RESERVED_LIMIT = 'ReservedFunctionConcurrentInvocationLimitExceeded'
ACCOUNT_LIMIT = 'ConcurrentInvocationLimitExceeded'


def too_many_requests(reason: str = RESERVED_LIMIT) -> WireError:
    return WireError(429, 'TooManyRequestsException', 'Rate Exceeded.', Reason=reason)


def service_error(message: str) -> WireError:
    return WireError(500, 'ServiceException', message, error_type='Service')


def request_too_large(length: int, invocation_type: str) -> WireError:
    """413 RequestEntityTooLargeException (not in botocore's model: boto3
    raises a plain `ClientError` with this code)."""
    if invocation_type == 'Event':
        message = (f'{length} byte payload is too large for the Event invocation type '
                   f'(limit {ASYNC_PAYLOAD_LIMIT} bytes)')
    else:
        message = (f'Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the '
                   'InvokeFunction operation')
    return WireError(413, 'RequestEntityTooLargeException', message)


def payload_limit(invocation_type: str) -> int:
    return ASYNC_PAYLOAD_LIMIT if invocation_type == 'Event' else SYNC_PAYLOAD_LIMIT


@dataclass
class InvokeRequest:
    function_name: str       # the bare name, e.g. wild-rydes-ride-fleet-dev-RequestUnicornInvoke
    qualifier: str           # '$LATEST' when none was given
    invocation_type: str
    log_tail: bool
    client_context: str | None  # the decoded X-Amz-Client-Context (JSON text), or None
    trace_id: str            # X-Amzn-Trace-Id, or a new one as Lambda makes
    payload: bytes           # valid JSON, `{}` when the request had no body
    addressed_as: str        # the name or ARN as the caller wrote it


def function_name_from_path(path: str) -> str | None:
    """The `{FunctionName}` of an invoke path (already URL-decoded), or None
    when the path is not an invoke."""
    match = INVOKE_PATH.match(path)
    return match.group('name') if match else None


def invocation_type_of(headers: Headers) -> str:
    return _header(headers, 'X-Amz-Invocation-Type') or 'RequestResponse'


def parse_invoke(path_name: str, query_string: str, headers: Headers, body: bytes,
                 region: str, account: str) -> InvokeRequest:
    """Everything the runtime needs from one invoke request; raises
    `WireError` for what Lambda refuses before running anything."""
    fields = {key.lower(): value for key, value in headers}  # one pass, not one per header
    name, qualifier = _split_function_name(path_name, region, account)
    query = parse_qs(query_string, keep_blank_values=True) if query_string else {}
    if 'Qualifier' in query:
        given = query['Qualifier'][0]
        if qualifier and qualifier != given:
            raise WireError(400, 'InvalidParameterValueException',
                            'The derived qualifier from the function name does not match '
                            'the specified qualifier.')
        qualifier = given
    invocation_type = fields.get('x-amz-invocation-type') or 'RequestResponse'
    if invocation_type not in INVOCATION_TYPES:
        raise WireError(400, 'InvalidParameterValueException',
                        f'Unsupported invocation type {invocation_type!r}; '
                        f'expected one of {", ".join(INVOCATION_TYPES)}')
    log_type = fields.get('x-amz-log-type') or 'None'
    if len(body) > payload_limit(invocation_type):
        raise request_too_large(len(body), invocation_type)
    return InvokeRequest(
        function_name=name, qualifier=qualifier or VERSION,
        invocation_type=invocation_type, log_tail=log_type == 'Tail',
        client_context=_client_context(fields.get('x-amz-client-context')),
        trace_id=fields.get('x-amzn-trace-id') or new_trace_id(),
        payload=_json_payload(body), addressed_as=path_name)


def _split_function_name(text: str, region: str, account: str) -> tuple[str, str | None]:
    for pattern in (_ARN, _PARTIAL_ARN, _NAME):
        match = pattern.match(text)
        if match:
            groups = match.groupdict()
            if groups.get('region', region) != region:
                raise other_region(groups['region'], region)
            if groups.get('account', account) != account:
                raise not_found(text)
            return groups['name'], groups['qualifier']
    raise WireError(400, 'ValidationException',
                    f"1 validation error detected: Value '{text}' at 'functionName' failed to "
                    'satisfy constraint: Member must satisfy regular expression pattern: '
                    '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?'
                    '(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?')


def _json_payload(body: bytes) -> bytes:
    if not body.strip():
        return b'{}'
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise WireError(400, 'InvalidRequestContentException',
                        f'Could not parse request body into json: Could not parse payload '
                        f'into json: {error}') from None
    return body


def _client_context(value: str | None) -> str | None:
    if not value:
        return None
    try:
        text = base64.b64decode(value, validate=True).decode('utf-8')
        json.loads(text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise WireError(400, 'InvalidRequestContentException',
                        'Client context must be a valid Base64-encoded JSON object.') from None
    return text


def _header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


def new_request_id() -> str:
    """A random (version 4) UUID as text, as `str(uuid.uuid4())` gives it, in
    half the time (one per invocation)."""
    digits = os.urandom(16).hex()
    return (f'{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-'
            f'{"89ab"[int(digits[16], 16) & 3]}{digits[17:20]}-{digits[20:]}')


def new_trace_id() -> str:
    """An X-Ray trace header as Lambda makes one when the caller sent none."""
    digits = os.urandom(20).hex()
    return f'Root=1-{int(time.time()):08x}-{digits[:24]};Parent={digits[24:]};Sampled=0'



def invoked(request_id: str, payload: bytes, function_error: str | None = None,
            log_result: str | None = None) -> Answer:
    """The answer to a `RequestResponse` invoke that ran: 200 whether or not
    the function failed; a failure is only in `X-Amz-Function-Error`.
    `log_result` is the base64 tail (`LogType=Tail`)."""
    headers = [('Content-Type', 'application/json'), ('x-amzn-RequestId', request_id),
               ('X-Amz-Executed-Version', VERSION)]
    if function_error:
        headers.append(('X-Amz-Function-Error', function_error))
    if log_result is not None:
        headers.append(('X-Amz-Log-Result', log_result))
    return Answer(200, headers, payload)


def accepted(request_id: str) -> Answer:
    """`Event`: queued, run in the background, no payload, no version."""
    return Answer(202, [('x-amzn-RequestId', request_id), ('Content-Length', '0')])


def dry_run(request_id: str) -> Answer:
    """`DryRun`: the caller may invoke; nothing ran."""
    return Answer(204, [('x-amzn-RequestId', request_id)])


def function_error_payload(error_type: str, message: str) -> bytes:
    """A platform-side function error (timeout, exit, response too large):
    only `errorMessage` and `errorType`, as Lambda answers them."""
    return json.dumps({'errorMessage': message, 'errorType': error_type}).encode()


def timed_out_payload(request_id: str, timeout_seconds: float) -> bytes:
    return function_error_payload(
        'Sandbox.Timedout',
        f'RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds')


def exited_payload(request_id: str, reason: str) -> bytes:
    """The sandbox's process ended during an invocation; `reason` as
    `exit_reason` words it."""
    return function_error_payload('Runtime.ExitError',
                                  f'RequestId: {request_id} Error: {reason}')


def exit_reason(returncode: int | None) -> str:
    if returncode == 0 or returncode is None:
        return 'Runtime exited without providing a reason'
    if returncode < 0:
        name = signal.Signals(-returncode).name.lower().removeprefix('sig')
        return f'Runtime exited with error: signal: {name}'
    return f'Runtime exited with error: exit status {returncode}'


def response_too_large_payload() -> bytes:
    return function_error_payload(
        'Function.ResponseSizeTooLarge',
        f'Response payload size exceeded maximum allowed payload size '
        f'({RESPONSE_PAYLOAD_LIMIT} bytes).')
