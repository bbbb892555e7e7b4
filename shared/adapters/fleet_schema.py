"""The fleet table's shape, defined once.

Tests, the local stack and the CloudFormation template all build the table
from `table_definition`, so none of them can drift from the others.

One table holds three kinds of item, told apart by their key:
- a unicorn: key is its name (`Shadowfax`); catalog attributes plus `Slot`
  (its dense index, 0..N-1, for uniform random picks), `Fleet` (a constant,
  the partition of the availability index) and `BusyUntil` (epoch seconds;
  the unicorn is free when that moment has passed);
- the fleet record (`fleet#meta`): `Size`, the number of slots;
- a rider record (`rider#<RiderId>`): the rider's latest ride (RideId,
  Unicorn, BusyUntil, Completed, PickupLocation, RequestTime). One item is
  both the ride record (idempotent dispatch, release, reading a ride) and
  the rider's lock (one active ride per rider, checked in the claim's
  transaction); DynamoDB's TTL deletes it a day after the lease. Older
  rides are not kept here: the ride history is the ride record service's.
"""

from typing import Any

HASH_KEY = 'Name'
SLOT_INDEX = 'BySlot'
AVAILABILITY_INDEX = 'ByAvailability'
FLEET_PARTITION = 'unicorns'
FLEET_RECORD_KEY = 'fleet#meta'
RIDER_KEY_PREFIX = 'rider#'
TTL_ATTRIBUTE = 'ExpiresAt'


def rider_key(rider_id: str) -> str:
    return RIDER_KEY_PREFIX + rider_id


def table_definition(table_name: str, hash_key: str = HASH_KEY) -> dict[str, Any]:
    """Keyword arguments for DynamoDB `create_table` (and the template)."""
    return {
        'TableName': table_name,
        'BillingMode': 'PAY_PER_REQUEST',
        'KeySchema': [{'AttributeName': hash_key, 'KeyType': 'HASH'}],
        'AttributeDefinitions': [
            {'AttributeName': hash_key, 'AttributeType': 'S'},
            {'AttributeName': 'Slot', 'AttributeType': 'N'},
            {'AttributeName': 'Fleet', 'AttributeType': 'S'},
            {'AttributeName': 'BusyUntil', 'AttributeType': 'N'},
        ],
        'GlobalSecondaryIndexes': [
            {
                'IndexName': SLOT_INDEX,
                'KeySchema': [{'AttributeName': 'Slot', 'KeyType': 'HASH'}],
                'Projection': {'ProjectionType': 'ALL'},
            },
            {
                'IndexName': AVAILABILITY_INDEX,
                'KeySchema': [
                    {'AttributeName': 'Fleet', 'KeyType': 'HASH'},
                    {'AttributeName': 'BusyUntil', 'KeyType': 'RANGE'},
                ],
                'Projection': {'ProjectionType': 'KEYS_ONLY'},
            },
        ],
    }


def ttl_specification() -> dict[str, Any]:
    """For `update_time_to_live`: ride records expire on their own."""
    return {'Enabled': True, 'AttributeName': TTL_ATTRIBUTE}
