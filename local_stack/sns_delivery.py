"""SNS delivers to a topic's subscribers under the local stack.

moto keeps topics and subscriptions and delivers to SQS queues itself (its
SQS backend lives in this process, `RawMessageDelivery` included), but it
hands a `lambda` subscription to its own Lambda backend, where the
project's functions do not exist. `SnsDelivery.install()` takes over that
one case in moto's `Subscription.publish`: the message goes to the local
runtime as an asynchronous invoke (`InvocationType=Event`) through the
endpoint, with boto3, so the runtime's Event queue and retries apply, as
they do when SNS invokes a function on AWS. The event has the shape SNS
sends (AWS's sample event in "Using Lambda with Amazon SNS", and LocalStack's
snapshot recorded from AWS: `Subject` is null when there is none,
`MessageAttributes` `{}` when there are none). The signature is not a real
one: nothing local holds SNS's signing key.

Publish answers before the delivery (one background thread, in publish
order), as SNS does. Each delivery is one escaped console line:

    sns    rides -> lambda wild-rydes-ride-record-dev-PutRideRecordSns 202 <message id>
    sns    rides -> sqs ride-audit <message id>
"""
import base64
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local_stack import console, provision

# A throttled or failing Invoke is tried again, a few times (SNS retries
# Lambda deliveries for much longer; a local stack does not need to).
DELIVERY_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 0.2
UNSIGNED = base64.b64encode(b'not signed: delivered by the local stack').decode()


class SnsDelivery:
    def __init__(self, endpoint_url: str, log: Callable[[str], None] | None = None) -> None:
        self.endpoint_url = endpoint_url
        self._log = console.escaped(log) if log else (lambda line: None)
        self._deliveries = ThreadPoolExecutor(max_workers=1, thread_name_prefix='sns-delivery')
        self._lambda: Any = None  # a boto3 Lambda client, made at the first delivery
        self._original_publish: Callable[..., None] | None = None

    def install(self) -> 'SnsDelivery':
        """From now on, moto's SNS delivers `lambda` subscriptions here."""
        from moto.sns.models import Subscription

        original = self._original_publish = Subscription.publish
        delivery = self

        def publish(subscription, message, message_id, subject=None, message_attributes=None,
                    group_id=None, deduplication_id=None, message_structure=None):
            matcher = subscription._filter_policy_matcher
            if matcher is not None and not matcher.matches(message_attributes, message):
                return
            if subscription.protocol != 'lambda':
                original(subscription, message, message_id, subject=subject,
                         message_attributes=message_attributes, group_id=group_id,
                         deduplication_id=deduplication_id, message_structure=message_structure)
                if subscription.protocol == 'sqs':
                    delivery._log(f'sns    {_name(subscription.topic_arn)} -> sqs '
                                  f'{_name(subscription.endpoint)} {message_id}')
                return
            if message_structure == 'json':  # {"default": ..., "lambda": ...}
                message = subscription._parse_message_structure(message, 'lambda')
            event = sns_event(subscription.arn, subscription.topic_arn, message_id, message,
                              subject, message_attributes)
            delivery._deliveries.submit(delivery._invoke, subscription.endpoint,
                                        subscription.topic_arn, message_id, event)

        # moto has no hook for this: its method is replaced, and put back by `uninstall`
        Subscription.publish = publish  # type: ignore[method-assign]
        return self

    def uninstall(self) -> None:
        """moto's own delivery again; deliveries not yet made are dropped."""
        if self._original_publish is not None:
            from moto.sns.models import Subscription
            Subscription.publish = self._original_publish  # type: ignore[method-assign]
            self._original_publish = None
        self._deliveries.shutdown(wait=False, cancel_futures=True)

    def _invoke(self, function: str, topic_arn: str, message_id: str,
                event: dict[str, Any]) -> None:
        if self._lambda is None:
            self._lambda = provision.aws_client('lambda', self.endpoint_url, read_timeout=10)
        payload = json.dumps(event).encode()
        outcome = 'not delivered'
        for attempt in range(DELIVERY_ATTEMPTS):
            try:
                response = self._lambda.invoke(FunctionName=function, InvocationType='Event',
                                               Payload=payload)
                outcome = str(response['StatusCode'])
                break
            except ClientError as error:
                status = error.response['ResponseMetadata'].get('HTTPStatusCode', 0)
                outcome = f'{status} {error.response["Error"].get("Code")}'
                if status != 429 and status < 500:
                    break
            except BotoCoreError as error:
                outcome = f'{type(error).__name__}'
            time.sleep(RETRY_DELAY_SECONDS * 2 ** attempt)
        self._log(f'sns    {_name(topic_arn)} -> lambda {_name(function)} {outcome} '
                  f'{message_id}')


def sns_event(subscription_arn: str, topic_arn: str, message_id: str, message: str,
              subject: str | None, message_attributes: dict | None) -> dict:
    """The event SNS invokes a subscribed Lambda function with."""
    region = topic_arn.split(':')[3]
    return {'Records': [{
        'EventSource': 'aws:sns',
        'EventVersion': '1.0',
        'EventSubscriptionArn': subscription_arn,
        'Sns': {
            'Type': 'Notification',
            'MessageId': message_id,
            'TopicArn': topic_arn,
            'Subject': subject or None,
            'Message': message,
            'Timestamp': datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z',
            'SignatureVersion': '1',
            'Signature': UNSIGNED,
            'SigningCertUrl': f'https://sns.{region}.amazonaws.com/'
                              'SimpleNotificationService-local.pem',
            'UnsubscribeUrl': f'https://sns.{region}.amazonaws.com/?Action=Unsubscribe'
                              f'&SubscriptionArn={subscription_arn}',
            # moto has them as SNS forwards them: {name: {"Type", "Value"}}
            'MessageAttributes': dict(message_attributes or {}),
        },
    }]}


def _name(arn: str) -> str:
    """The last part of an ARN (a topic, queue or function name)."""
    parts = arn.split(':')
    if len(parts) >= 7 and parts[2] == 'lambda':
        return parts[6]
    return parts[-1]
