"""boto3 clients, created lazily once per process with explicit timeouts.

Creating a client costs tens of milliseconds, so it happens on first use and
is cached for the life of the Lambda sandbox; nothing is created at import
time, which keeps cold starts short. Endpoints come from boto3 itself, so
`AWS_ENDPOINT_URL` points every client at the local stack.
"""
import functools

from shared import budget


@functools.lru_cache(maxsize=None)
def client(service, call_budget):
    """A client whose every call is one attempt bounded by `call_budget`;
    retries are `shared.retry`'s job."""
    import boto3  # deferred: importing boto3 is the largest part of a cold start
    from botocore.config import Config

    config = Config(
        connect_timeout=call_budget.connect_timeout,
        read_timeout=call_budget.read_timeout,
        retries={'total_max_attempts': 1, 'mode': 'standard'},
    )
    return boto3.session.Session().client(service, config=config)


def lambda_client():
    return client('lambda', budget.FLEET_CALL)


def sns_client():
    return client('sns', budget.SNS_PUBLISH)


def ssm_client():
    return client('ssm', budget.SSM_LOOKUP)


def dynamodb_client():
    return client('dynamodb', budget.DYNAMODB_CALL)


def reset():
    """Forget every client (tests switch endpoints and credentials)."""
    client.cache_clear()
