"""Structured logs with Powertools for AWS Lambda: one JSON object per
line, with the function, the request id and the ride id, so one ride can be
followed across both services' logs (CloudWatch Logs Insights, or `grep` on
a laptop). The ride id is the correlation id on both sides of the hop: rides
binds it when it makes the ride, the fleet when it reads it from the payload.

Powertools' formatter sits on the root logger's handler, so every module
keeps `logging.getLogger(__name__)`; an invocation's identity is held in
Powertools' thread-local keys (a context variable: chalice local serves
invocations side by side in threads). On Lambda each line also carries
Powertools' `xray_trace_id`, which leads from a log line to its trace.
There is no timestamp field: CloudWatch Logs stamps every line itself.

What must never reach a log line at INFO: an Authorization header, a token,
a whole raw event. Only the fields below and a record's `extra` are written,
and an `extra` whose name sounds secret is redacted.
"""
import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging.formatter import (
    RESERVED_LOG_ATTRS,
    LambdaPowertoolsFormatter,
)

from shared import long_lived, tracing

# The header and ClientContext `custom` key that carry the caller's request id.
CALLER_REQUEST_ID_HEADER = 'X-Wild-Rydes-Caller-Request-Id'
CALLER_REQUEST_ID_KEY = 'caller_request_id'

# On every line, even when not known (null); `cold_start` and
# `caller_request_id` only in an invocation that has them.
IDENTITY = ('function', 'request_id', 'ride_id')
_SECRET_WORDS = ('authorization', 'token', 'secret', 'password', 'signature')
# A LogRecord's own attributes (Powertools' list, as a set): the rest are extras.
_RECORD_ATTRIBUTES = frozenset(RESERVED_LOG_ATTRS)
_OWN_KEYS = {'level', 'message', 'logger', 'exception', 'exception_name',
             'xray_trace_id', 'cold_start', CALLER_REQUEST_ID_KEY, *IDENTITY}


class WildRydesFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines with this project's fields: the logger's name,
    the invocation's identity (null when unknown), secrets redacted."""

    def __init__(self) -> None:
        # Powertools' own serializer, made once: its default builds a new
        # JSONEncoder for every line
        super().__init__(log_record_order=['level', 'message', 'logger', *IDENTITY],
                         serialize_stacktrace=False,
                         json_serializer=json.JSONEncoder(default=str, separators=(',', ':'),
                                                          ensure_ascii=False).encode)
        self.remove_keys(['location', 'timestamp'])

    def format(self, record: logging.LogRecord) -> str:
        """Powertools' line, built from this project's few fields directly:
        Powertools copies the record, %-formats the level, walks every key
        twice and looks for an exception on every line (about half of a
        line's cost). A line with an exception or a stack takes Powertools'
        own path; tests/logging checks both give the same line."""
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        entry: dict[str, Any] = {'level': record.levelname,
                                 'message': self._extract_log_message(record),
                                 'logger': record.name, 'function': None, 'request_id': None,
                                 'ride_id': None}
        entry.update(self._appended)
        entry.update(self.thread_safe_get_current_keys())
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES:
                entry[key] = value
        entry['xray_trace_id'] = self._get_latest_trace_id()
        for key in entry:  # an invocation's keys as well as the record's extras
            if key not in _OWN_KEYS and _is_secret(key):
                entry[key] = '[redacted]'
        return self.serialize(log=self._strip_none_records(entry))

    @property
    def _appended(self) -> dict[str, Any]:
        """Keys appended with Powertools' (not thread-safe) `append_keys`."""
        return {key: value for key, value in self.log_format.items()
                if key not in ('level', 'message', 'logger')}

    def _extract_log_keys(self, log_record: logging.LogRecord) -> dict[str, Any]:
        entry = super()._extract_log_keys(log_record)
        entry['logger'] = log_record.name
        for key in entry:
            if key not in _OWN_KEYS and _is_secret(key):
                entry[key] = '[redacted]'
        return entry

    def _extract_log_message(self, log_record: logging.LogRecord) -> Any:
        """The message as written. Powertools also tries `json.loads` on
        every str message (a failed parse per line, about 5 µs): no message
        here is JSON, and one that looked like it should stay text."""
        message = log_record.msg
        return message if isinstance(message, dict) else log_record.getMessage()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """No timestamp field (CloudWatch Logs stamps each line): skip the
        strftime Powertools makes for it on every line."""
        return ''

    @staticmethod
    def _strip_none_records(records: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in records.items()
                if value is not None or key in IDENTITY}


def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


_formatter = WildRydesFormatter()


def configure() -> None:
    """Send the root logger's records to stdout as JSON lines, once per process.
    Called on every invocation, so it changes nothing that is already so:
    each `setLevel` clears every logger's level cache (measured at about
    100 µs a request when done unconditionally)."""
    root = logging.getLogger()
    if not any(h.formatter is _formatter for h in root.handlers):
        for handler in list(root.handlers):  # Lambda's own plain-text handler
            root.removeHandler(handler)
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(_formatter)
        root.addHandler(handler)
        for noisy in ('botocore', 'boto3', 'urllib3', 'aws_xray_sdk'):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        _skip_unwritten_record_fields()
    level = _level(os.environ.get('LOG_LEVEL', 'INFO'))
    if root.level != level:
        root.setLevel(level)


def _skip_unwritten_record_fields() -> None:
    """No line here has the caller's file and line, thread or process: stop
    `logging` from finding them for every record, as the logging HOWTO's
    "Optimization" section shows (walking the stack for the caller was a
    tenth of a line's cost)."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


@functools.cache
def _level(name: str) -> int:
    """`LOG_LEVEL` as a number; INFO when it names no level."""
    return logging.getLevelNamesMapping().get(name.upper(), logging.INFO)


def handlers() -> list[logging.Handler]:
    """The root logger's handlers that write these JSON lines."""
    return [h for h in logging.getLogger().handlers if h.formatter is _formatter]


def log_every_invocation(app: Any) -> None:
    """Bind each invocation's identity before its handler runs, for every
    route, Lambda function and SNS handler of a Chalice `app`: handlers do
    not repeat it, and the label is the route or function itself, so it
    cannot drift. Each invocation is also a trace subsegment, and writes its
    metrics at the end."""
    def http_invocation(request: Any, get_response: Callable[[Any], Any]) -> Any:
        """An API Gateway route, labelled `METHOD /resource/path`."""
        route = f"{request.method} {request.context.get('resourcePath')}"
        start_http_request(route, request, request.lambda_context)
        caller = (request.headers or {}).get(CALLER_REQUEST_ID_HEADER.lower())
        return _invocation(app.app_name, route, caller, lambda: get_response(request))

    def lambda_invocation(event: Any, get_response: Callable[[Any], Any]) -> Any:
        """A `@app.lambda_function` or `@app.on_sns_message`, labelled with
        its name in the app: Lambda's function name is `<app>-<stage>-<name>`,
        and Chalice's test client passes the bare name."""
        function = str(getattr(event.context, 'function_name', '')).rsplit('-', 1)[-1]
        start_request(function, getattr(event.context, 'aws_request_id', None))
        custom = getattr(getattr(event.context, 'client_context', None), 'custom', None)
        caller = custom.get(CALLER_REQUEST_ID_KEY) if isinstance(custom, dict) else None
        return _invocation(app.app_name, function, caller, lambda: get_response(event))

    app.register_middleware(http_invocation, 'http')
    app.register_middleware(lambda_invocation, 'pure_lambda')
    app.register_middleware(lambda_invocation, 'sns')


def _invocation(service: str, function: str, caller_request_id: object,
                handle: Callable[[], Any]) -> Any:
    """Mark a sandbox's first invocation (log field, ColdStart metric and
    annotation; what it made so far is kept out of the garbage collector's
    way) and the caller's request id, when a caller passed one; run the
    handler in its trace subsegment; write its metrics."""
    from shared import metrics
    cold_start = metrics.cold_start(function)
    if cold_start:  # every import is done
        long_lived.keep_what_exists()
    keys: dict[str, Any] = {'cold_start': cold_start}
    if isinstance(caller_request_id, str) and len(caller_request_id) <= 128:
        keys[CALLER_REQUEST_ID_KEY] = caller_request_id
    _formatter.thread_safe_append_keys(**keys)
    try:
        with tracing.invocation(service, function, cold_start):
            return handle()
    finally:
        tracing.end_invocation()
        metrics.flush()
        if cold_start:  # the clients are built
            long_lived.keep_what_exists()


def start_request(function: str | None, request_id: str | None) -> None:
    """Bind the invocation's identity to every line it logs (and forget
    the previous invocation's)."""
    configure()
    _formatter.thread_safe_clear_keys()
    _formatter.thread_safe_append_keys(function=function, request_id=request_id, ride_id=None)


def start_http_request(route: str, request: Any, lambda_context: Any) -> None:
    """For an API Gateway route: API Gateway's request id, or the Lambda
    request id where there is none (chalice local, the test client)."""
    request_id = (request.context or {}).get('requestId')
    if not request_id and lambda_context is not None:
        request_id = getattr(lambda_context, 'aws_request_id', None)
    start_request(route, request_id)


def bind_ride(ride_id: str | None) -> None:
    """The ride id: the correlation id of every line from here on, and the
    trace's `RideId` annotation."""
    _formatter.thread_safe_append_keys(ride_id=ride_id)
    tracing.annotate(RideId=ride_id)


def current_request_id() -> str | None:
    """This invocation's request id, to hand to the fleet as the caller's."""
    return _formatter.thread_safe_get_current_keys().get('request_id')


def current_ride_id() -> str | None:
    return _formatter.thread_safe_get_current_keys().get('ride_id')
