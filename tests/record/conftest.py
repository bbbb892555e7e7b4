"""ride-record under Chalice's test client, on moto's DynamoDB (its table
and module fixtures are in tests/conftest.py)."""
import pytest
from chalice.test import Client

from tests.support.apps import RECORD_DIR


@pytest.fixture
def record_client(record_module, record_table):
    with Client(record_module.app, stage_name='dev', project_dir=str(RECORD_DIR)) as client:
        yield client
