"""The fleet's rules (tests/unit/test_fleet_rules.py) on the DynamoDB store,
through moto: the same cases, so the in-memory store cannot drift from the
conditional writes DynamoDB really makes."""
import pytest

from tests.support import aws as aws_support
from tests.unit.test_fleet_rules import *  # noqa: F401,F403 (the shared cases)


@pytest.fixture
def store(aws):
    # Atomic as DynamoDB's own writes are, for the concurrent cases.
    return aws_support.create_fleet_table('fleet-rules', atomic_writes=True)
