"""ride-record under Chalice's test client, on moto's DynamoDB, with its
table made from the schema the deploy uses."""
import boto3
import pytest
from chalice.test import Client

from project.model import LOCAL_REGION
from shared.adapters import record_schema
from tests.support import aws as aws_support
from tests.support.apps import RECORD_DIR, record_app


@pytest.fixture
def record_env():
    return aws_support.stage_environment(RECORD_DIR)


@pytest.fixture
def record_table(aws, record_env):
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


@pytest.fixture
def record_client(record_module, record_table):
    with Client(record_module.app, stage_name='dev', project_dir=str(RECORD_DIR)) as client:
        yield client
