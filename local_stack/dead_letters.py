"""A function's dead-letter queue: where an asynchronous event goes once
Lambda's retries are spent, as `DeadLetterConfig` sends it.

AWS sends "the original event payload with no modifications to the message
body" to the queue, with three message attributes: `RequestID` (String),
`ErrorCode` (Number, a 3-digit HTTP code: 200 for a function error, which
Invoke answers with 200) and `ErrorMessage` (String, truncated to 1 KB)
(Lambda developer guide, "Dead-letter queues"). That is what happens here,
through the local endpoint with boto3, so moto's SQS keeps the message. A
function without a queue (the project model's `dead_letter_queues`) drops
the event, as Lambda does.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from local_stack.events import Event
    from local_stack.sandbox import Outcome

ERROR_MESSAGE_BYTES = 1024
FUNCTION_ERROR_CODE = '200'


class DeadLetterFailed(Exception):
    """The queue could not take the event (missing, or SQS refused)."""


def dead_letter_message(payload: bytes, request_id: str, error_payload: bytes) -> dict[str, Any]:
    """`send_message` arguments (all but QueueUrl) for a failed event."""
    return {
        'MessageBody': payload.decode('utf-8', errors='replace'),
        'MessageAttributes': {
            'RequestID': {'DataType': 'String', 'StringValue': request_id},
            'ErrorCode': {'DataType': 'Number', 'StringValue': FUNCTION_ERROR_CODE},
            'ErrorMessage': {'DataType': 'String',
                             'StringValue': _truncated(_error_message(error_payload))},
        },
    }


class DeadLetterQueues:
    """`EventQueue`'s on-failure step: {deployed function name: queue name}."""

    def __init__(self, endpoint_url: str, queues: Mapping[str, str]) -> None:
        self.endpoint_url = endpoint_url
        self.queues = dict(queues)
        self._sqs: Any = None  # a boto3 SQS client, made at the first dead letter

    def __call__(self, event: Event, outcome: Outcome) -> str | None:
        """Send the event to its function's queue; the queue's name, or None
        when the function has none. Raises DeadLetterFailed."""
        name = self.queues.get(event.function_name)
        if name is None:
            return None
        if self._sqs is None:
            from local_stack.provision import aws_client
            self._sqs = aws_client('sqs', self.endpoint_url, read_timeout=10)
        try:
            url = self._sqs.get_queue_url(QueueName=name)['QueueUrl']
            self._sqs.send_message(QueueUrl=url, **dead_letter_message(
                event.payload, event.request_id, outcome.payload))
        except (ClientError, BotoCoreError) as error:
            raise DeadLetterFailed(f'{name}: {error}') from None
        return name


def _error_message(error_payload: bytes) -> str:
    """The function's `errorMessage`; the whole payload if it has none."""
    try:
        message = json.loads(error_payload).get('errorMessage')
    except (ValueError, AttributeError):
        message = None
    return message if isinstance(message, str) else error_payload.decode('utf-8', 'replace')


def _truncated(text: str) -> str:
    return text.encode()[:ERROR_MESSAGE_BYTES].decode('utf-8', errors='ignore')
