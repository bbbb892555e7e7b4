"""Publishing a ride to the rides SNS topic.

A publish is repeated only when it certainly did not go out (throttled, or
no connection was made), so a ride answered 201 is on the topic once.
"""
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from shared.domain.errors import RideNotRecorded
from shared.domain.retry import Retryable, RetryPolicy, call_with_retries

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

    def publish(self, ride: dict[str, Any]) -> None:
        call_with_retries(lambda: self._publish_once(ride), self._retry, sleep=self._sleep)

    def _publish_once(self, ride: dict[str, Any]) -> None:
        failed = RideNotRecorded('could not record the ride; no unicorn was '
                                 'held for it, please try again')
        try:
            self._sns.publish(
                TopicArn=self._topic,
                Message=json.dumps(ride),
                MessageAttributes={'RideId': {'DataType': 'String',
                                              'StringValue': ride['RideId']}},
            )
        except (EndpointConnectionError, ConnectTimeoutError):
            raise Retryable(failed) from None
        except ClientError as error:
            code = error.response.get('Error', {}).get('Code')
            log.warning('publishing the ride failed', extra={'error_code': code})
            if code in _THROTTLED:
                raise Retryable(failed) from None
            raise failed from None
        except Exception:  # a read timeout: it may have gone out, so no retry
            log.exception('publishing the ride failed')
            raise failed from None
