"""The DynamoDB store's conditional UpdateItems are the fold: for any order
and repetition of a ride's events, the stored record is exactly what
`ride_history.fold` makes of them (hypothesis, through moto)."""
import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from project.model import LOCAL_REGION
from shared.adapters import record_schema
from shared.adapters.dynamodb_ride_record_store import DynamoDbRideRecordStore
from shared.domain.ride_events import parse_ride_event
from shared.domain.ride_history import fold
from tests.support.ride_events import cancelled, completed, requested

RIDE_ID = '0b7e4a62-5d1c-4f0e-9a3b-2c6d8e1f4a57'
EVENTS = [parse_ride_event(body) for body in
          (requested(RIDE_ID), completed(RIDE_ID), cancelled(RIDE_ID))]


@pytest.fixture
def table(aws):
    client = boto3.client('dynamodb', region_name=LOCAL_REGION)
    client.create_table(**record_schema.table_definition('fold-property'))
    return client


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deliveries=st.lists(st.sampled_from(EVENTS), min_size=1, max_size=6))
def test_the_stored_record_is_the_fold_of_the_delivered_events(table, deliveries):
    table.delete_item(TableName='fold-property', Key={'RideId': {'S': RIDE_ID}})
    store = DynamoDbRideRecordStore(table, 'fold-property')

    expected = None
    for event in deliveries:
        expected = fold(expected, event)
        assert store.apply(event) == expected

    assert store.record(RIDE_ID) == expected
