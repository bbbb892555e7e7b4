"""The ride path's time budget, written down once.

A rider waits on API Gateway, which gives up after 29 s; rides' own Lambda
timeout (rides/.chalice/config.json) must come first, and the sum of every
timeout and backoff on the path must fit inside that. boto3's defaults (60 s
read timeout, retries by botocore) would not: a slow fleet would be invoked
again behind the caller's back. Here every AWS client gets one attempt from
botocore, and `shared.domain.retry` repeats only what is safe to repeat.
"""
from dataclasses import dataclass

from shared.domain.retry import RetryPolicy

API_GATEWAY_TIMEOUT_SECONDS = 29
# Lambda's Init phase (a cold sandbox importing the function) may take up
# to 10 s before the invocation's own timeout starts; past 10 s Lambda runs
# Init again inside the invocation, under its timeout (AWS docs, "Lambda
# execution environment lifecycle"). So a cold fleet invocation can last
# Init + timeout = 13 s before it answers or fails.
LAMBDA_INIT_MAX_SECONDS = 10


@dataclass(frozen=True)
class CallBudget:
    connect_timeout: float
    read_timeout: float
    retry: RetryPolicy

    def worst_case_seconds(self) -> float:
        per_attempt = self.connect_timeout + self.read_timeout
        return self.retry.attempts * per_attempt + self.retry.max_total_delay()


# The fleet function's own Lambda timeout is 3 s, so a healthy warm invoke
# answers well within 3.5 s. A cold one may not: its Init can take up to
# LAMBDA_INIT_MAX_SECONDS first. A read timeout covering Init + 3 s (13.5 s)
# does not fit the ride path (the same Lambda client releases too), so the
# 3.5 s read timeout stays and the retry that follows is what covers a slow
# Init. It is safe: dispatch is idempotent per RideId, so an abandoned
# invocation that finishes later holds the same lease the retry returns.
# It is bounded: 3 attempts, 12.3 s at most, inside rides' 25 s; each retry
# may start one more sandbox while the first still initialises, so a slow
# Init costs at most `attempts` cold sandboxes per ride, never more. If every
# attempt meets a slow Init the rider gets a clear 503/504 within the budget.
FLEET_CALL = CallBudget(connect_timeout=0.5, read_timeout=3.5,
                        retry=RetryPolicy(attempts=3, base_delay=0.1, max_delay=0.4))
# A rider's history (GET /rides): ListRideRecords invoked on the same Lambda
# client as the fleet (one read timeout for both). A read is safe to repeat,
# so a slow cold start of ride-record is covered by the retries, as the
# fleet's is; its own Lambda timeout (10 s) is longer, so a stuck invocation
# ends on our side first.
HISTORY_CALL = CallBudget(connect_timeout=0.5, read_timeout=3.5,
                          retry=RetryPolicy(attempts=3, base_delay=0.1, max_delay=0.4))
# Releasing is the clean-up after a failed publish: one try, then the lease
# frees the unicorn anyway.
FLEET_RELEASE = CallBudget(connect_timeout=0.5, read_timeout=3.5,
                           retry=RetryPolicy(attempts=1))
# Looking up the fleet's ARN in SSM happens once per cold start.
SSM_LOOKUP = CallBudget(connect_timeout=0.5, read_timeout=1.0,
                        retry=RetryPolicy(attempts=2, base_delay=0.1, max_delay=0.2))
# A publish is retried only when it surely did not go out (throttled, or no
# connection), so a ride is never published twice.
SNS_PUBLISH = CallBudget(connect_timeout=0.5, read_timeout=1.5,
                         retry=RetryPolicy(attempts=2, base_delay=0.1, max_delay=0.2))
# RideCancelled, sent once after a RideRequested publish with an unknown
# outcome (rides' `published_events`). It comes on top of a publish that already
# used its budget, so it gets one attempt and a read timeout of its own, short
# enough for the whole cancelled ride to fit rides' timeout; SNS answers a
# publish in tens of milliseconds.
SNS_CANCEL = CallBudget(connect_timeout=0.5, read_timeout=0.9,
                        retry=RetryPolicy(attempts=1))
# The fleet's own DynamoDB calls, inside its 3 s Lambda timeout. DynamoDB
# answers in milliseconds; a second leaves room for a busy laptop's moto.
DYNAMODB_CALL = CallBudget(connect_timeout=0.5, read_timeout=1.0,
                           retry=RetryPolicy(attempts=1))

RIDE_PATH = (SSM_LOOKUP, FLEET_CALL, SNS_PUBLISH, FLEET_RELEASE)
# A ride whose publish had an unknown outcome: the same, then RideCancelled.
CANCELLED_RIDE_PATH = (*RIDE_PATH, SNS_CANCEL)


def cold_invoke_worst_case_seconds(fleet_timeout: float) -> float:
    """How long one cold fleet invocation can run: Init, then its timeout."""
    return LAMBDA_INIT_MAX_SECONDS + fleet_timeout


def read_timeout_covers_a_cold_invoke(call: CallBudget, fleet_timeout: float) -> bool:
    return call.read_timeout > cold_invoke_worst_case_seconds(fleet_timeout)


def ride_path_worst_case_seconds() -> float:
    """Everything a single POST /ride can wait for, back to back, when no
    RideCancelled has to follow (see `cancelled_ride_path_worst_case_seconds`)."""
    return sum(call.worst_case_seconds() for call in RIDE_PATH)


# GET /rides: ListRideRecords' ARN (from SSM once per sandbox), then the page.
HISTORY_PATH = (SSM_LOOKUP, HISTORY_CALL)


def history_path_worst_case_seconds() -> float:
    return sum(call.worst_case_seconds() for call in HISTORY_PATH)


def cancelled_ride_path_worst_case_seconds() -> float:
    """The longest POST /ride of all: a publish with an unknown outcome,
    the unicorn given back, then RideCancelled."""
    return sum(call.worst_case_seconds() for call in CANCELLED_RIDE_PATH)
