"""The Lambda Invoke API as it looks on the wire, and nothing else.

boto3, the AWS CLI and every SDK parse these exact status codes, header
names and error shapes (rest-json: the error code is read from the
`x-amzn-ErrorType` header), so the runtime answers through this module only.
No I/O happens here: requests come in as plain values, answers go out as
`Answer`s that the endpoint writes.
"""
import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs

# What Lambda accepts in one request: 6 MB synchronously, 1 MB for Event.
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
# A synchronous result over 6 MB is a function error, as on Lambda.
RESPONSE_PAYLOAD_LIMIT = 6 * 1024 * 1024
LOG_TAIL_BYTES = 4096

INVOKE_PATH = re.compile(r'^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$')
INVOCATION_TYPES = ('RequestResponse', 'Event', 'DryRun')
VERSION = '$LATEST'

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
    headers: list = field(default_factory=list)
    body: bytes = b''

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class WireError(Exception):
    """An API error (not a function error): its status, its code for
    `x-amzn-ErrorType` and a message, sent as `{"Type", "message"}`."""

    def __init__(self, status, code, message, error_type='User', **extra):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.error_type, self.extra = error_type, extra

    def answer(self, request_id=None):
        body = {'Type': self.error_type, 'message': self.message, **self.extra}
        headers = [('Content-Type', 'application/json'),
                   ('x-amzn-RequestId', request_id or new_request_id()),
                   ('x-amzn-ErrorType', self.code)]
        if self.status == 429:
            headers.append(('Retry-After', '1'))
        return Answer(self.status, headers, json.dumps(body).encode())


def not_found(function_arn):
    return WireError(404, 'ResourceNotFoundException', f'Function not found: {function_arn}')


def too_many_requests():
    return WireError(429, 'TooManyRequestsException', 'Rate Exceeded.',
                     Reason='ReservedFunctionConcurrentInvocationLimitExceeded')


def service_error(message):
    return WireError(500, 'ServiceException', message, error_type='Service')


@dataclass
class InvokeRequest:
    function_name: str     # the bare name, e.g. wild-rydes-ride-fleet-dev-RequestUnicornInvoke
    qualifier: str         # '$LATEST' when none was given
    invocation_type: str
    log_tail: bool
    client_context: object  # the decoded X-Amz-Client-Context, or None
    payload: bytes          # valid JSON, `{}` when the request had no body
    addressed_as: str       # the name or ARN as the caller wrote it


def function_name_from_path(path):
    """The `{FunctionName}` of an invoke path (already URL-decoded), or None
    when the path is not an invoke."""
    match = INVOKE_PATH.match(path)
    return match.group('name') if match else None


def parse_invoke(path_name, query_string, headers, body, region, account):
    """Everything the runtime needs from one invoke request; raises
    `WireError` for what Lambda refuses before running anything."""
    name, qualifier = _split_function_name(path_name, region, account)
    query = parse_qs(query_string or '', keep_blank_values=True)
    if 'Qualifier' in query:
        given = query['Qualifier'][0]
        if qualifier and qualifier != given:
            raise WireError(400, 'InvalidParameterValueException',
                            'The derived qualifier from the function name does not match '
                            'the specified qualifier.')
        qualifier = given
    invocation_type = _header(headers, 'X-Amz-Invocation-Type') or 'RequestResponse'
    if invocation_type not in INVOCATION_TYPES:
        raise WireError(400, 'InvalidParameterValueException',
                        f'Unsupported invocation type {invocation_type!r}; '
                        f'expected one of {", ".join(INVOCATION_TYPES)}')
    log_type = _header(headers, 'X-Amz-Log-Type') or 'None'
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == 'Event' else SYNC_PAYLOAD_LIMIT
    if len(body) > limit:
        raise WireError(413, 'RequestTooLargeException',
                        f'Request must be smaller than {limit} bytes for the '
                        'InvokeFunction operation')
    return InvokeRequest(
        function_name=name, qualifier=qualifier or VERSION,
        invocation_type=invocation_type, log_tail=log_type == 'Tail',
        client_context=_client_context(_header(headers, 'X-Amz-Client-Context')),
        payload=_json_payload(body), addressed_as=path_name)


def payload_too_large(length, invocation_type='RequestResponse'):
    """True when a declared Content-Length is over what Lambda takes."""
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == 'Event' else SYNC_PAYLOAD_LIMIT
    return length > limit


def _split_function_name(text, region, account):
    for pattern in (_ARN, _PARTIAL_ARN, _NAME):
        match = pattern.match(text)
        if match:
            groups = match.groupdict()
            if groups.get('region', region) != region or groups.get('account', account) != account:
                raise not_found(text)
            return groups['name'], groups['qualifier']
    raise WireError(400, 'ValidationException',
                    f"1 validation error detected: Value '{text}' at 'functionName' failed to "
                    'satisfy constraint: Member must satisfy regular expression pattern: '
                    '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?'
                    '(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?')


def _json_payload(body):
    if not body.strip():
        return b'{}'
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise WireError(400, 'InvalidRequestContentException',
                        f'Could not parse request body into json: Could not parse payload '
                        f'into json: {error}') from None
    return body


def _client_context(value):
    if not value:
        return None
    try:
        return json.loads(base64.b64decode(value))
    except (ValueError, UnicodeDecodeError):
        raise WireError(400, 'InvalidRequestContentException',
                        'Client context must be a valid Base64-encoded JSON object.') from None


def _header(headers, name):
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


def new_request_id():
    return str(uuid.uuid4())


def invoked(request_id, payload, function_error=None, logs=None):
    """The answer to a `RequestResponse` invoke that ran: 200 whether or not
    the function failed; a failure is only in `X-Amz-Function-Error`."""
    headers = [('Content-Type', 'application/json'), ('x-amzn-RequestId', request_id),
               ('X-Amz-Executed-Version', VERSION)]
    if function_error:
        headers.append(('X-Amz-Function-Error', function_error))
    if logs is not None:
        headers.append(('X-Amz-Log-Result', log_tail(logs)))
    return Answer(200, headers, payload)


def accepted(request_id):
    """`Event`: queued, run in the background, no payload."""
    return Answer(202, [('x-amzn-RequestId', request_id), ('X-Amz-Executed-Version', VERSION),
                        ('Content-Length', '0')])


def dry_run(request_id):
    """`DryRun`: the caller may invoke; nothing ran."""
    return Answer(204, [('x-amzn-RequestId', request_id), ('X-Amz-Executed-Version', VERSION)])


def log_tail(logs):
    """Base64 of the last 4 KB of what the invocation logged."""
    data = logs.encode('utf-8', 'replace') if isinstance(logs, str) else logs
    return base64.b64encode(data[-LOG_TAIL_BYTES:]).decode('ascii')


def function_error_payload(error_type, message, stack_trace=None, request_id=None):
    """What Lambda's Python runtime puts in the payload when a function fails."""
    body = {'errorMessage': message, 'errorType': error_type}
    if request_id:
        body['requestId'] = request_id
    if stack_trace is not None:
        body['stackTrace'] = stack_trace
    return json.dumps(body).encode()


def timed_out_payload(request_id, timeout_seconds):
    return function_error_payload(
        'Sandbox.Timedout',
        f'RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds')
