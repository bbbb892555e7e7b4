"""boto3 clients, created lazily once per process with explicit timeouts.

Creating a client costs tens of milliseconds, so it happens on first use and
is cached for the life of the Lambda sandbox; nothing is created at import
time, which keeps cold starts short. Endpoints come from boto3 itself, so
`AWS_ENDPOINT_URL` points every client at the local stack.
"""
import functools
import threading
from collections.abc import Callable
from typing import Any

from shared import budget
from shared.budget import CallBudget

# boto3's session is not thread-safe, and a threaded server (chalice local)
# may ask for a client from many threads at once: build each one only once.
_creating = threading.Lock()

# Connections each client keeps open. A Lambda sandbox makes one call at a
# time and opens only what it uses, so this costs nothing there; `chalice
# local` serves each request on its own thread through the same client, and
# with botocore's default of 10 a burst of riders had every call beyond ten
# open a new connection and drop it afterwards ("Connection pool is full").
# As many as the local servers queue (`local_stack.chalice_local`'s backlog).
MAX_POOL_CONNECTIONS = 128


def client(service: str, call_budget: CallBudget) -> Any:
    """A client whose every call is one attempt bounded by `call_budget`;
    retries are `shared.domain.retry`'s job."""
    with _creating:
        return _cached_client(service, call_budget)


@functools.cache
def _session() -> Any:
    """One session for every client: each new session loads botocore's
    data files again (about 40 ms of a cold start)."""
    import boto3  # deferred: importing boto3 is the largest part of a cold start

    return boto3.session.Session()


@functools.cache
def _cached_client(service: str, call_budget: CallBudget) -> Any:
    from botocore.config import Config

    config = Config(
        connect_timeout=call_budget.connect_timeout,
        read_timeout=call_budget.read_timeout,
        retries={'total_max_attempts': 1, 'mode': 'standard'},
        max_pool_connections=MAX_POOL_CONNECTIONS,
        # The service validates every request anyway; botocore's own walk
        # over the parameters was a quarter of a dispatch's time in process
        # (`make bench`, section 3). A bad parameter is still refused, by
        # the service, as a ClientError.
        parameter_validation=False,
    )
    return _session().client(service, config=config)


def lambda_client() -> Any:
    """The one Lambda client of rides: the fleet's calls and the history's
    (their budgets share its timeouts: budget.HISTORY_CALL)."""
    return client('lambda', budget.FLEET_CALL)


def sns_client() -> Any:
    return client('sns', budget.SNS_PUBLISH)


def sns_cancel_client() -> Any:
    """For RideCancelled, with its own tighter budget (`budget.SNS_CANCEL`)."""
    return client('sns', budget.SNS_CANCEL)


def ssm_client() -> Any:
    return client('ssm', budget.SSM_LOOKUP)


def dynamodb_client() -> Any:
    return client('dynamodb', budget.DYNAMODB_CALL)


class LazyClient:
    """A client made on its first call, for one a sandbox may never use
    (making one costs milliseconds of a cold start)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make

    def __getattr__(self, name: str) -> Any:
        return getattr(self._make(), name)


def reset() -> None:
    """Forget every client (tests switch endpoints and credentials)."""
    _cached_client.cache_clear()
    _session.cache_clear()
