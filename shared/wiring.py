"""Building each service from its Lambda environment.

Read when a handler first runs, not at import time, and from `os.environ`
as it is then: Chalice's test client swaps in a stage's environment only
for an invocation, and a cold start should not pay for clients it never uses.
"""
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared import budget
from shared.adapters import aws_clients
from shared.domain.errors import InternalError

# Each builder imports what only its service uses: a cold start of the
# fleet does not import the rides service, nor rides the fleet's rules
# (a few milliseconds each, `make bench` section 4).
if TYPE_CHECKING:
    from shared.adapters.transports.http import SigV4Signer
    from shared.domain.fleet import Fleet
    from shared.domain.fleet_client import FleetTransport
    from shared.domain.history_client import HistoryClient
    from shared.domain.ride_history import RideHistory
    from shared.domain.rides import RideService

Environment = Mapping[str, str]


class ConfigurationError(InternalError):
    """A deploy left out a setting. The message names it for the log; a
    client sees only a generic 500 (setting names tell an attacker about
    the deployment)."""


def fleet_from_environment(env: Environment | None = None) -> 'Fleet':
    from shared.adapters.dynamodb_fleet_store import DynamoDbFleetStore
    from shared.domain.fleet import DEFAULT_LEASE_SECONDS, Fleet

    env = os.environ if env is None else env
    store = DynamoDbFleetStore(aws_clients.dynamodb_client(), _required(env, 'DYNAMODB_TABLE'),
                               hash_key=env.get('UNICORN_HASH_KEY') or 'Name')
    lease = env.get('UNICORN_LEASE_SECONDS') or DEFAULT_LEASE_SECONDS
    return Fleet(store, lease_seconds=int(lease))


def ride_service_from_environment(env: Environment | None = None) -> 'RideService':
    from shared.adapters.sns_publisher import RidePublisher
    from shared.domain.fleet_client import FleetClient
    from shared.domain.rides import RideService

    env = os.environ if env is None else env
    topic = _required(env, 'RIDES_SNS_TOPIC_ARN')
    publisher = RidePublisher(aws_clients.sns_client(), topic, budget.SNS_PUBLISH.retry)
    # made when a ride is first cancelled, not in every cold start
    cancellations = RidePublisher(aws_clients.LazyClient(aws_clients.sns_cancel_client), topic,
                                  budget.SNS_CANCEL.retry)
    fleet = FleetClient(_measured(_transport(env), env), dispatch_retry=budget.FLEET_CALL.retry,
                        release_retry=budget.FLEET_RELEASE.retry)
    return RideService(fleet, publisher, cancellations=cancellations)


def ride_history_from_environment(env: Environment | None = None) -> 'RideHistory':
    """ride-record's service: its events and lists on the `RIDE_RECORD_TABLE` table."""
    from shared.adapters.dynamodb_ride_record_store import DynamoDbRideRecordStore
    from shared.domain.ride_history import RideHistory

    env = os.environ if env is None else env
    return RideHistory(DynamoDbRideRecordStore(aws_clients.dynamodb_client(),
                                               _required(env, 'RIDE_RECORD_TABLE')))


def _measured(transport: 'FleetTransport', env: Environment) -> 'FleetTransport':
    from shared.adapters.transports.measured import MeasuredTransport
    return MeasuredTransport(transport, env.get('UNICORN_TRANSPORT') or 'invoke')


def _transport(env: Environment) -> 'FleetTransport':
    name = env.get('UNICORN_TRANSPORT') or 'invoke'
    if name == 'invoke':
        from shared.adapters.transports.invoke import InvokeTransport
        return InvokeTransport(aws_clients.lambda_client(), fleet_function_arn(env))
    if name == 'http':
        from shared.adapters.transports.http import HttpTransport
        return HttpTransport(_required(env, 'REQUEST_UNICORN_URL'), budget.FLEET_CALL,
                             signer=_signer())
    raise ConfigurationError(f'UNICORN_TRANSPORT must be "invoke" or "http", not {name!r}')


def history_client_from_environment(env: Environment | None = None) -> 'HistoryClient':
    """rides' reader of ride-record's ListRideRecords (GET /rides)."""
    from shared.adapters.transports.invoke import LambdaFunction
    from shared.domain.history_client import HISTORY, HistoryClient

    env = os.environ if env is None else env
    function = LambdaFunction(aws_clients.lambda_client(), history_function_arn(env), HISTORY)
    return HistoryClient(function, budget.HISTORY_CALL.retry)


def history_function_arn(env: Environment) -> str:
    """ListRideRecords' ARN: from `LIST_RIDE_RECORDS_ARN` when set, else
    from the SSM parameter ride-record publishes it in. ride-record is
    deployed after rides, so on AWS too it is read when first needed."""
    return _setting(env, 'LIST_RIDE_RECORDS_ARN', 'LIST_RIDE_RECORDS_ARN_PARAMETER',
                    missing_hint='deploy ride-record (after rides)')


def fleet_function_arn(env: Environment) -> str:
    """The fleet function's ARN: from `REQUEST_UNICORN_ARN` when the deploy
    resolved it (CloudFormation's SSM dynamic reference), else looked up in
    the SSM parameter the fleet publishes it in."""
    return _setting(env, 'REQUEST_UNICORN_ARN', 'REQUEST_UNICORN_ARN_PARAMETER',
                    missing_hint='deploy the ride fleet first')


def page_config_from_environment(env: Environment | None = None) -> dict[str, str]:
    """What the page needs to sign riders in (`GET /config`): the region,
    the user pool and app client ids (from the environment, else from the
    SSM parameters the rides stack publishes them in) and the Cognito
    endpoint to call (the regional one on AWS, the local one locally)."""
    env = os.environ if env is None else env
    region = env.get('AWS_REGION') or env.get('AWS_DEFAULT_REGION') or 'us-east-1'
    return {
        'Region': region,
        'UserPoolId': _setting(env, 'USER_POOL_ID', 'USER_POOL_ID_PARAMETER'),
        'UserPoolClientId': _setting(env, 'USER_POOL_CLIENT_ID',
                                     'USER_POOL_CLIENT_ID_PARAMETER'),
        'CognitoEndpoint': (env.get('COGNITO_ENDPOINT_URL')
                            or f'https://cognito-idp.{region}.amazonaws.com/'),
    }


def _setting(env: Environment, name: str, parameter_name: str, missing_hint: str = '') -> str:
    """`name` from the environment when the deploy resolved it, else the
    value of the SSM parameter named in `parameter_name` (a missing one is a
    ConfigurationError, with `missing_hint` on what to do)."""
    value = env.get(name)
    if value:
        return value
    parameter = _required(env, parameter_name)
    ssm = aws_clients.ssm_client()
    try:
        return str(ssm.get_parameter(Name=parameter)['Parameter']['Value'])
    except ssm.exceptions.ParameterNotFound:
        hint = f'; {missing_hint}' if missing_hint else ''
        raise ConfigurationError(f'SSM parameter {parameter} does not exist{hint}') from None


def _signer() -> 'SigV4Signer | None':
    """SigV4 for the fleet's AWS_IAM route, with this function's credentials."""
    import boto3

    from shared.adapters.transports.http import SigV4Signer

    session = boto3.session.Session()
    credentials = session.get_credentials()
    if credentials is None:
        return None
    return SigV4Signer(credentials, session.region_name or 'us-east-1')


def _required(env: Environment, name: str) -> str:
    value = env.get(name)
    if not value:
        raise ConfigurationError(f'environment variable {name} is not set')
    return value
