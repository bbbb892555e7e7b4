"""The ride-record table's shape, defined once.

Provisioning (`deploy.provision`, so the local stack too), the tests and
the CloudFormation template all build the table from `table_definition`,
so none of them can drift from the others.

One item per ride, keyed by `RideId`: `RiderId`, `Status` and its
`StatusRank` (the fold's order, `shared.domain.ride_history`), and once its
RideRequested arrived `RequestTime`, `UnicornName`, `Unicorn` and
`PickupLocation` (JSON text, so every float comes back exactly);
`CompletedTime` and `CancelReason` when those events arrived. The
`ByRider` index (`RiderId`, `RequestTime`) lists one rider's rides newest
first; it is sparse: a ride whose RideRequested has not arrived has no
`RequestTime`, so it is not listed yet.
"""
from typing import Any

HASH_KEY = 'RideId'
RIDER_INDEX = 'ByRider'
RIDER_KEY = 'RiderId'
TIME_KEY = 'RequestTime'


def rider_index() -> dict[str, Any]:
    """The GSI, as `create_table` and the template's `GlobalSecondaryIndexes` take it."""
    return {
        'IndexName': RIDER_INDEX,
        'KeySchema': [{'AttributeName': RIDER_KEY, 'KeyType': 'HASH'},
                      {'AttributeName': TIME_KEY, 'KeyType': 'RANGE'}],
        'Projection': {'ProjectionType': 'ALL'},
    }


def table_definition(table_name: str) -> dict[str, Any]:
    """Keyword arguments for DynamoDB `create_table` (and the template)."""
    return {
        'TableName': table_name,
        'BillingMode': 'PAY_PER_REQUEST',
        'KeySchema': [{'AttributeName': HASH_KEY, 'KeyType': 'HASH'}],
        'AttributeDefinitions': [
            {'AttributeName': HASH_KEY, 'AttributeType': 'S'},
            {'AttributeName': RIDER_KEY, 'AttributeType': 'S'},
            {'AttributeName': TIME_KEY, 'AttributeType': 'S'},
        ],
        'GlobalSecondaryIndexes': [rider_index()],
    }
