"""Fixtures shared by every test: moto for AWS, both apps under Chalice's
test client, wired to each other the way they are deployed."""
import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from project.model import FLEET_FUNCTION, LOCAL_REGION
from shared.adapters import aws_clients, record_schema
from tests.support import aws as aws_support
from tests.support.apps import FLEET_DIR, RECORD_DIR, RIDES_DIR, fleet_app, record_app, rides_app
from tests.support.lambda_bridge import InProcessLambda

FLEET_FUNCTION_ARN = aws_support.PROJECT.fleet_function.arn


@pytest.fixture
def aws(monkeypatch):
    """moto for every AWS call; no real credentials, no endpoint override."""
    for name in ('AWS_ENDPOINT_URL', 'AWS_PROFILE', 'AWS_SESSION_TOKEN'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', 'testing')
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', 'testing')
    monkeypatch.setenv('AWS_DEFAULT_REGION', aws_support.REGION)
    with mock_aws():
        aws_clients.reset()
        yield
    aws_clients.reset()


@pytest.fixture
def fleet_env():
    return aws_support.stage_environment(FLEET_DIR)


@pytest.fixture
def rides_env():
    return aws_support.stage_environment(RIDES_DIR)


@pytest.fixture
def empty_fleet_table(aws, fleet_env):
    return aws_support.create_fleet_table(fleet_env['DYNAMODB_TABLE'])


@pytest.fixture
def fleet_table(empty_fleet_table):
    """The table, loaded with the catalog shipped in ride_fleet/chalicelib."""
    from shared.domain.catalog import load_fleet
    load_fleet(empty_fleet_table, aws_support.catalog())
    return empty_fleet_table


@pytest.fixture
def fleet_module():
    module = fleet_app()
    module.fleet.cache_clear()
    yield module
    module.fleet.cache_clear()


@pytest.fixture
def fleet_client(fleet_module, fleet_table):
    with Client(fleet_module.app, stage_name='dev', project_dir=str(FLEET_DIR)) as client:
        yield client


@pytest.fixture
def rides_topic(aws, rides_env):
    topic_name = rides_env['RIDES_SNS_TOPIC_ARN'].rsplit(':', 1)[1]
    return aws_support.RidesTopic(topic_name)


@pytest.fixture
def fleet_arn_parameter(aws, rides_env):
    """What the fleet's deploy publishes: its function's ARN in SSM."""
    boto3.client('ssm', region_name=aws_support.REGION).put_parameter(
        Name=rides_env['REQUEST_UNICORN_ARN_PARAMETER'], Type='String',
        Value=FLEET_FUNCTION_ARN)


@pytest.fixture
def fleet_lambda(fleet_client, monkeypatch):
    """rides' Lambda client, reaching the fleet app in process."""
    bridge = InProcessLambda(fleet_client, {FLEET_FUNCTION_ARN: FLEET_FUNCTION})
    monkeypatch.setattr(aws_clients, 'lambda_client', lambda: bridge)
    return bridge


@pytest.fixture
def rides_module():
    module = rides_app()
    module.rides.cache_clear()
    module.page_config.cache_clear()
    yield module
    module.rides.cache_clear()
    module.page_config.cache_clear()


@pytest.fixture
def rides_client(rides_module, fleet_lambda, rides_topic, fleet_arn_parameter):
    with Client(rides_module.app, stage_name='dev', project_dir=str(RIDES_DIR)) as client:
        yield client


@pytest.fixture
def record_env():
    return aws_support.stage_environment(RECORD_DIR)


@pytest.fixture
def record_table(aws, record_env):
    """ride-record's table, made from the schema the deploy uses."""
    name = record_env['RIDE_RECORD_TABLE']
    boto3.client('dynamodb', region_name=LOCAL_REGION).create_table(
        **record_schema.table_definition(name))
    return name


@pytest.fixture
def record_module():
    module = record_app()
    module.history.cache_clear()
    yield module
    module.history.cache_clear()
