"""The fast tier: the fleet's rules on the in-memory store, no moto, no
servers. tests/fleet/test_fleet_rules_on_dynamodb.py runs the same cases on
DynamoDB (moto) by giving `store` another value."""
import pytest

from shared.adapters.memory_fleet_store import InMemoryFleetStore


@pytest.fixture
def store():
    return InMemoryFleetStore()
