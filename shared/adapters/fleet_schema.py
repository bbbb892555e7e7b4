"""The fleet table's shape, defined once.

Tests, the local stack and the CloudFormation template all build the table
from `table_definition`, so none of them can drift from the others.

One table holds three kinds of item, told apart by their key:
- a unicorn: key is its name (`Shadowfax`); catalog attributes plus `Slot`
  (its dense index, 0..N-1, for uniform random picks), `Fleet` (a constant,
  the partition of the availability index) and `BusyUntil` (epoch seconds;
  the unicorn is free when that moment has passed);
- the fleet record (`fleet#meta`): `Size`, the number of slots;
- a ride record (`ride#<RideId>`): which unicorn a ride holds, for
  idempotent dispatch and release; DynamoDB's TTL deletes it later.
"""

from typing import Any

HASH_KEY = 'Name'
SLOT_INDEX = 'BySlot'
AVAILABILITY_INDEX = 'ByAvailability'
FLEET_PARTITION = 'unicorns'
FLEET_RECORD_KEY = 'fleet#meta'
RIDE_KEY_PREFIX = 'ride#'
TTL_ATTRIBUTE = 'ExpiresAt'


def ride_key(ride_id: str) -> str:
    return RIDE_KEY_PREFIX + ride_id


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
