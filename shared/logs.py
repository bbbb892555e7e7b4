"""Structured logs: one JSON object per line, with the function, the
request id and the ride id, so one ride can be followed across both
services' logs (CloudWatch Logs Insights, or `grep` on a laptop).

What must never reach a log line at INFO: an Authorization header, a token,
a whole raw event. Only the fields below and a record's `extra` are written.
"""
import contextvars
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

_ride_id: contextvars.ContextVar[str | None] = contextvars.ContextVar('ride_id', default=None)
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    'request_id', default=None)
_function: contextvars.ContextVar[str | None] = contextvars.ContextVar('function', default=None)
# Set only for a Lambda invocation: whether it is the sandbox's first, and
# the request id of the rides invocation that called the fleet.
_cold_start: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    'cold_start', default=None)
_caller_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    'caller_request_id', default=None)

# The header and ClientContext `custom` key that carry the caller's request id.
CALLER_REQUEST_ID_HEADER = 'X-Wild-Rydes-Caller-Request-Id'
CALLER_REQUEST_ID_KEY = 'caller_request_id'

# Attributes every LogRecord has; anything else came in through `extra`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {'message', 'asctime'}
_SECRET_WORDS = ('authorization', 'token', 'secret', 'password', 'signature')


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            'level': record.levelname,
            'message': record.getMessage(),
            'logger': record.name,
            'function': _function.get(),
            'request_id': _request_id.get(),
            'ride_id': _ride_id.get(),
        }
        for key, variable in (('cold_start', _cold_start),
                              ('caller_request_id', _caller_request_id)):
            if variable.get() is not None:
                entry[key] = variable.get()
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith('_'):
                entry[key] = '[redacted]' if _is_secret(key) else value
        if record.exc_info:
            entry['exception'] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def configure() -> None:
    """Send the root logger's records to stdout as JSON lines, once per process.
    Called on every invocation, so it changes nothing that is already so:
    each `setLevel` clears every logger's level cache (measured at about
    100 µs a request when done unconditionally)."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        for handler in list(root.handlers):  # Lambda's own plain-text handler
            root.removeHandler(handler)
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        for noisy in ('botocore', 'boto3', 'urllib3'):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    names = logging.getLevelNamesMapping()
    wanted = os.environ.get('LOG_LEVEL', 'INFO').upper()
    level = names[wanted] if wanted in names else logging.INFO
    if root.level != level:
        root.setLevel(level)


def log_every_invocation(app: Any) -> None:
    """Bind each invocation's identity before its handler runs, for every
    route, Lambda function and SNS handler of a Chalice `app`: handlers do not repeat it,
    and the label is the route or function itself, so it cannot drift."""
    app.register_middleware(_http_invocation, 'http')
    app.register_middleware(_lambda_invocation, 'pure_lambda')
    app.register_middleware(_lambda_invocation, 'sns')


def _http_invocation(request: Any, get_response: Callable[[Any], Any]) -> Any:
    """An API Gateway route, labelled `METHOD /resource/path`."""
    route = f"{request.method} {request.context.get('resourcePath')}"
    start_http_request(route, request, request.lambda_context)
    _started_invocation(route, (request.headers or {}).get(CALLER_REQUEST_ID_HEADER.lower()))
    try:
        return get_response(request)
    finally:
        _ended_invocation()


def _lambda_invocation(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """A `@app.lambda_function`, labelled with its name in the app: Lambda's
    function name is `<app>-<stage>-<name>`, and Chalice's test client
    passes the bare name."""
    function = str(getattr(event.context, 'function_name', '')).rsplit('-', 1)[-1]
    start_request(function, getattr(event.context, 'aws_request_id', None))
    custom = getattr(getattr(event.context, 'client_context', None), 'custom', None)
    _started_invocation(function, custom.get(CALLER_REQUEST_ID_KEY)
                        if isinstance(custom, dict) else None)
    try:
        return get_response(event)
    finally:
        _ended_invocation()


def _ended_invocation() -> None:
    from shared import metrics
    metrics.flush()


def _started_invocation(function: str, caller_request_id: object) -> None:
    """Mark a sandbox's first invocation (log field and ColdStart metric),
    and the caller's request id, when a caller passed one."""
    from shared import metrics
    _cold_start.set(metrics.cold_start(function))
    _caller_request_id.set(caller_request_id if isinstance(caller_request_id, str)
                           and len(caller_request_id) <= 128 else None)


def start_request(function: str | None, request_id: str | None) -> None:
    """Bind the invocation's identity to every line it logs."""
    configure()
    _function.set(function)
    _request_id.set(request_id)
    _ride_id.set(None)
    _cold_start.set(None)
    _caller_request_id.set(None)


def start_http_request(route: str, request: Any, lambda_context: Any) -> None:
    """For an API Gateway route: API Gateway's request id, or the Lambda
    request id where there is none (chalice local, the test client)."""
    request_id = (request.context or {}).get('requestId')
    if not request_id and lambda_context is not None:
        request_id = getattr(lambda_context, 'aws_request_id', None)
    start_request(route, request_id)


def bind_ride(ride_id: str | None) -> None:
    _ride_id.set(ride_id)


def current_request_id() -> str | None:
    """This invocation's request id, to hand to the fleet as the caller's."""
    return _request_id.get()
