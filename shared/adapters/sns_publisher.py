"""Publishing ride events to the rides SNS topic.

Each event goes out with the message attributes `EventType` and `RideId`.
A RideRequested is repeated only when it certainly did not go out
(throttled, or no connection was made), so a ride answered 201 is on the
topic once. RideCompleted and RideCancelled may be repeated after any
failure: a duplicate of either changes nothing downstream.
"""
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from shared.domain.errors import RideNotRecorded
from shared.domain.published_events import PublishOutcomeUnknown, RideEvent
from shared.domain.retry import Retryable, RetryPolicy, call_with_retries
from shared.domain.ride_events import EVENT_TYPE_ATTRIBUTE, RIDE_REQUESTED

log = logging.getLogger(__name__)

_THROTTLED = {'Throttling', 'ThrottlingException', 'ThrottledException',
              'TooManyRequestsException', 'RequestLimitExceeded'}


class RidePublisher:
    def __init__(self, sns_client: Any, topic_arn: str, retry: RetryPolicy,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self._sns = sns_client
        self._topic = topic_arn
        self._retry = retry
        self._sleep = sleep

    def publish(self, event: RideEvent) -> None:
        call_with_retries(lambda: self._publish_once(event), self._retry, sleep=self._sleep)

    def _publish_once(self, event: RideEvent) -> None:
        event_type = event['EventType']
        failed = RideNotRecorded(f'could not publish {event_type}')
        unknown = PublishOutcomeUnknown(f'{event_type} may or may not have been published')
        # Only a RideRequested must never go out twice.
        repeatable = event_type != RIDE_REQUESTED
        try:
            self._sns.publish(
                TopicArn=self._topic,
                Message=json.dumps(event),
                MessageAttributes={
                    EVENT_TYPE_ATTRIBUTE: {'DataType': 'String', 'StringValue': event_type},
                    'RideId': {'DataType': 'String', 'StringValue': event['RideId']},
                },
            )
        except (EndpointConnectionError, ConnectTimeoutError):
            raise Retryable(failed) from None
        except ClientError as error:
            code = error.response.get('Error', {}).get('Code')
            status = error.response.get('ResponseMetadata', {}).get('HTTPStatusCode', 0)
            log.warning('publishing a ride event failed',
                        extra={'error_code': code, 'event_type': event_type})
            if code in _THROTTLED:
                raise Retryable(failed) from None
            if status >= 500:  # SNS failed on its side: it may have gone out
                raise (Retryable(unknown) if repeatable else unknown) from None
            raise failed from None
        except Exception:  # a read timeout: it may have gone out
            log.exception('publishing a ride event failed', extra={'event_type': event_type})
            raise (Retryable(unknown) if repeatable else unknown) from None
