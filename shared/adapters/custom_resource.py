"""The CloudFormation custom resource protocol, for a function whose
`ServiceToken` a template names (the fleet's LoadTable).

CloudFormation waits for an HTTP PUT of a JSON document to the event's
pre-signed `ResponseURL`. A function that raises, or runs out of time,
without answering leaves the stack waiting for an hour; so `handle` always
answers: SUCCESS with the work's result, or FAILED with the reason, and a
timer answers FAILED shortly before the function's own deadline.

`Delete` never fails: what the resource made (the table's items) goes with
the table, and a failed delete would leave the stack stuck in
DELETE_FAILED. Standard library only (what the Lambda runtime has).

The function answers only CloudFormation: the `ResponseURL` must be https
on an S3 host of the stack's partition (CloudFormation's pre-signed
`cloudformation-custom-resource-response-*` bucket). Anything else (a
`file://` URL, plain http, another host) is logged, never fetched, and the
invocation fails with `UntrustedResponseURL`. For a local stand-in of S3,
`AWS_ENDPOINT_URL_S3` (the SDKs' own setting) says where the checked
URL's path and query are sent.
"""
import json
import logging
import os
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]
Document = dict[str, Any]

log = logging.getLogger(__name__)

SUCCESS = 'SUCCESS'
FAILED = 'FAILED'
REQUEST_TYPES = ('Create', 'Update', 'Delete')
# Keep the whole response well under CloudFormation's 4 KB limit.
MAX_REASON = 1000
# Answer FAILED this long before the function would be cut off.
DEADLINE_MARGIN_SECONDS = 3.0
PUT_ATTEMPTS = 3
# The DNS suffix of each partition's S3 endpoints.
PARTITION_DNS_SUFFIX = {
    'aws': 'amazonaws.com',
    'aws-us-gov': 'amazonaws.com',
    'aws-cn': 'amazonaws.com.cn',
}


class UntrustedResponseURL(ValueError):
    """The event's ResponseURL is not CloudFormation's S3 pre-signed URL."""


def stack_partition(stack_id: str) -> str:
    """`aws` from `arn:aws:cloudformation:...`."""
    parts = str(stack_id).split(':')
    return parts[1] if len(parts) > 5 and parts[0] == 'arn' else ''


def is_s3_presigned_url(url: object, partition: str) -> bool:
    """https, no credentials or port, on an S3 host of `partition`:
    `<bucket>.s3[.-<region>].<suffix>` or `s3[.-<region>].<suffix>`."""
    suffix = PARTITION_DNS_SUFFIX.get(partition)
    if not suffix or not isinstance(url, str):
        return False
    try:
        parsed = urllib.parse.urlsplit(url)
        port = parsed.port
    except ValueError:
        return False
    host = parsed.hostname or ''
    if (parsed.scheme != 'https' or port not in (None, 443) or parsed.username
            or parsed.password or not host.endswith('.' + suffix)):
        return False
    labels = host[:-len(suffix) - 1].split('.')
    return any(label == 's3' or label.startswith('s3-') for label in labels) and all(labels)


def check_response_url(event: Event) -> str:
    """The event's ResponseURL, or `UntrustedResponseURL` (logged)."""
    url = event.get('ResponseURL')
    partition = stack_partition(event.get('StackId', ''))
    if not is_s3_presigned_url(url, partition):
        log.error('refused to answer a custom resource event: its ResponseURL is not '
                  "an https S3 pre-signed URL of the stack's partition",
                  extra={'response_url': str(url)[:200], 'partition': partition})
        raise UntrustedResponseURL(
            f'ResponseURL {str(url)[:200]!r} is not an https S3 pre-signed URL of partition '
            f'{partition or "(none: StackId is not an ARN)"}; not answering it')
    return str(url)


def _destination(url: str) -> str:
    """Where the checked URL goes: itself, or its path and query on the
    local S3 stand-in named by AWS_ENDPOINT_URL_S3."""
    local = os.environ.get('AWS_ENDPOINT_URL_S3')
    if not local:
        return url
    parsed = urllib.parse.urlsplit(url)
    return local.rstrip('/') + urllib.parse.urlunsplit(('', '', parsed.path, parsed.query, ''))


def is_custom_resource_event(event: object) -> bool:
    return (isinstance(event, dict) and event.get('RequestType') in REQUEST_TYPES
            and 'ResponseURL' in event and 'StackId' in event)


def handle(event: Event, context: Any, on_create_or_update: Callable[[], object],
           timeout: float = 10.0) -> Document:
    """Run `on_create_or_update()` for Create and Update (its JSON-able
    dict result becomes the response's `Data`), nothing for Delete; answer
    CloudFormation either way. Returns the response document sent.
    Raises `UntrustedResponseURL`, before any work, when the event's
    ResponseURL is not CloudFormation's."""
    check_response_url(event)
    responder = _Responder(event, timeout)
    watchdog = _watchdog(context, responder)
    try:
        status, reason, data = _run(event, context, on_create_or_update)
        return responder.send(status, reason, data)
    finally:
        if watchdog is not None:
            watchdog.cancel()


def _run(event: Event, context: Any, on_create_or_update: Callable[[], object],
         ) -> tuple[str, str, dict[str, Any] | None]:
    """(status, reason, data) of the work; never raises."""
    if event['RequestType'] == 'Delete':
        return SUCCESS, 'nothing to delete: the items go with the table', None
    try:
        data = on_create_or_update()
    except Exception as error:  # every failure must reach CloudFormation
        log.exception('custom resource failed')
        reason = f'{type(error).__name__}: {getattr(error, "message", None) or error}'
        log_stream = getattr(context, 'log_stream_name', None)
        if log_stream:
            reason += f' (log stream {log_stream})'
        return FAILED, reason, None
    return SUCCESS, f'{event["RequestType"]} done', _data(data)


def physical_resource_id(event: Event) -> str:
    """Kept across Updates (a new id would make CloudFormation delete the old)."""
    return event.get('PhysicalResourceId') or (
        f'{event["LogicalResourceId"]}-{event["RequestId"]}')[:1024]


def response_document(event: Event, status: str, reason: str,
                      data: dict[str, Any] | None = None) -> Document:
    document = {
        'Status': status,
        'Reason': reason[:MAX_REASON],
        'PhysicalResourceId': physical_resource_id(event),
        'StackId': event['StackId'],
        'RequestId': event['RequestId'],
        'LogicalResourceId': event['LogicalResourceId'],
    }
    if data:
        document['Data'] = data
    return document


def _data(result: object) -> dict[str, Any] | None:
    """Only small scalar fields go back (GetAtt-able, and the 4 KB limit)."""
    if not isinstance(result, dict):
        return None
    return {key: value for key, value in result.items()
            if isinstance(value, (str, int, float, bool))} or None


class _Responder:
    """Sends one answer per event, however many paths try to."""

    def __init__(self, event: Event, timeout: float) -> None:
        self._event = event
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sent: Document | None = None

    def send(self, status: str, reason: str, data: dict[str, Any] | None = None) -> Document:
        with self._lock:
            if self._sent is not None:
                return self._sent
            document = response_document(self._event, status, reason, data)
            _put(_destination(check_response_url(self._event)), document, self._timeout)
            self._sent = document
            return document


def _put(url: str, document: Document, timeout: float) -> None:
    body = json.dumps(document).encode()
    # The URL is pre-signed for an empty Content-Type.
    request = urllib.request.Request(url, data=body, method='PUT', headers={
        'Content-Type': '', 'Content-Length': str(len(body))})
    for attempt in range(1, PUT_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
            log.info('answered CloudFormation', extra={
                'status': document['Status'], 'logical_resource_id': document['LogicalResourceId']})
            return
        except OSError as error:  # URLError, HTTPError and timeouts
            log.warning('answering CloudFormation failed',
                        extra={'attempt': attempt, 'error': str(error)})
            if attempt == PUT_ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)


def _watchdog(context: Any, responder: _Responder) -> threading.Timer | None:
    remaining = getattr(context, 'get_remaining_time_in_millis', None)
    if remaining is None:
        return None
    seconds = remaining() / 1000.0 - DEADLINE_MARGIN_SECONDS
    if seconds <= 0:
        return None
    timer = threading.Timer(seconds, _answer_timed_out, args=(responder,))
    timer.daemon = True
    timer.start()
    return timer


def _answer_timed_out(responder: _Responder) -> None:
    try:
        responder.send(FAILED, 'the function ran out of time before it finished')
    except OSError:
        log.exception('could not answer CloudFormation before the deadline')
