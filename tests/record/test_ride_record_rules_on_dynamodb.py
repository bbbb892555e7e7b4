"""ride-record's rules (tests/unit/test_ride_record_rules.py) on the
DynamoDB store, through moto: the same cases, so the in-memory store cannot
drift from the conditional writes DynamoDB really makes."""
import boto3
import pytest

from project.model import LOCAL_REGION
from shared.adapters import record_schema
from shared.adapters.dynamodb_ride_record_store import DynamoDbRideRecordStore
from tests.support.aws import AtomicWrites
from tests.unit.test_ride_record_rules import *  # noqa: F401,F403 (the shared cases)


@pytest.fixture
def record_store(aws):
    client = boto3.client('dynamodb', region_name=LOCAL_REGION)
    client.create_table(**record_schema.table_definition('ride-record-rules'))
    # Atomic as DynamoDB's own conditional writes are, for the concurrent case.
    return DynamoDbRideRecordStore(AtomicWrites(client), 'ride-record-rules')
