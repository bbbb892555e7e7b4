"""The fleet store on DynamoDB: every DynamoDB call the fleet makes.

It takes a boto3 DynamoDB *client* in its constructor, so tests hand it a
moto-backed or Stubber-wrapped one. The low-level client (not the resource
API) keeps cold starts short and its calls easy to count. DynamoDB's own
language stays in here: `Decimal` numbers become plain ints and floats, a
cancelled transaction becomes a `ClaimConflict`, and a missing table
becomes `NoUnicornAvailable`.
"""
import contextlib
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from shared.adapters import fleet_schema as schema
from shared.adapters.json_encoding import jsonable
from shared.domain.errors import NoUnicornAvailable
from shared.domain.fleet_store import INTERNAL_ATTRIBUTES, Claim, ClaimConflict, RideOrder, Unicorn

# Why a transaction item can fail and another try may still succeed.
_LOST_RACE = {'ConditionalCheckFailed', 'TransactionConflict'}

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed form of plain values (floats become Decimals)."""
    return {key: _serializer.serialize(_numbers_as_decimals(value))
            for key, value in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Plain values from DynamoDB's typed form (Decimals become ints and floats)."""
    return {key: jsonable(_deserializer.deserialize(value)) for key, value in item.items()}


def _numbers_as_decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _numbers_as_decimals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers_as_decimals(item) for item in value]
    return value


@contextlib.contextmanager
def _table_must_exist() -> Iterator[None]:
    """A fleet whose table was never deployed has no unicorn to give."""
    try:
        yield
    except ClientError as error:
        if error.response['Error']['Code'] == 'ResourceNotFoundException':
            raise NoUnicornAvailable('the fleet table does not exist yet; '
                                     'deploy and load the fleet first') from None
        raise


class DynamoDbFleetStore:
    def __init__(self, client: Any, table_name: str, hash_key: str = schema.HASH_KEY) -> None:
        self._db = client
        self._table = table_name
        self._key = hash_key

    # -- reads -------------------------------------------------------------

    def fleet_size(self) -> int:
        """Number of slots; 0 when the fleet was never loaded. An eventually
        consistent read (half the price): the size changes only when the
        catalog is reloaded, and a pick from a stale size lands on an empty
        or busy slot at worst, which the fleet treats as a miss."""
        item = self._get(schema.FLEET_RECORD_KEY, consistent=False)
        return int(item['Size']) if item else 0

    def unicorn_at(self, slot: int) -> Unicorn | None:
        """The unicorn in `slot`, or None (a reload may be under way)."""
        with _table_must_exist():
            items = self._db.query(
                TableName=self._table,
                IndexName=schema.SLOT_INDEX,
                KeyConditionExpression='Slot = :slot',
                ExpressionAttributeValues={':slot': {'N': str(slot)}},
            )['Items']
        return from_item(items[0]) if items else None

    def free_unicorn_names(self, now: int) -> list[str]:
        """Names of unicorns whose lease has run out (one page: up to ~20,000).

        Only used once random picks keep hitting busy unicorns, so the fleet
        is nearly full and this list is short.
        """
        with _table_must_exist():
            response = self._db.query(
                TableName=self._table,
                IndexName=schema.AVAILABILITY_INDEX,
                KeyConditionExpression='Fleet = :fleet AND BusyUntil < :now',
                ExpressionAttributeValues={
                    ':fleet': {'S': schema.FLEET_PARTITION},
                    ':now': {'N': str(now)},
                },
            )
        return [item[self._key]['S'] for item in response['Items']]

    def unicorn(self, name: str) -> Unicorn | None:
        return self._get(name)

    def ride_of(self, rider_id: str) -> Claim | None:
        """The rider's latest ride, or None when the rider has none on record."""
        item = self._get(schema.rider_key(rider_id))
        if item is None:
            return None
        return Claim(
            ride_id=item['RideId'],
            unicorn=item['Unicorn'],
            busy_until=int(item['BusyUntil']),
            completed=bool(item.get('Completed', False)),
            rider_id=rider_id,
            pickup=json.loads(item['PickupLocation']) if 'PickupLocation' in item else None,
            request_time=item.get('RequestTime'),
        )

    # -- writes ------------------------------------------------------------

    def claim(self, unicorn: Unicorn, order: RideOrder, now: int, busy_until: int,
              expires_at: int) -> None:
        """Hold `unicorn` for the order's ride in one transaction of two
        items: the unicorn must be free, and the rider's record (the rider's
        lock and the ride record in one item) must hold no active ride and
        not this ride already. Raises ClaimConflict when either fails."""
        name = unicorn[self._key]
        ride = {
            self._key: schema.rider_key(order.rider_id),
            'RideId': order.ride_id,
            'Unicorn': unicorn,
            'BusyUntil': busy_until,
            'Completed': False,
            schema.TTL_ATTRIBUTE: expires_at,
        }
        if order.pickup is not None:
            # As JSON text: any float a rider sends comes back exactly, even
            # ones DynamoDB's numbers cannot hold (5e-324 underflows them).
            ride['PickupLocation'] = json.dumps(order.pickup)
        if order.request_time is not None:
            ride['RequestTime'] = order.request_time
        try:
            with _table_must_exist():
                self._db.transact_write_items(TransactItems=[
                    {'Update': {
                        'TableName': self._table,
                        'Key': to_item({self._key: name}),
                        'UpdateExpression': 'SET BusyUntil = :until, RideId = :ride',
                        'ConditionExpression': 'BusyUntil < :now',
                        'ExpressionAttributeValues': to_item(
                            {':until': busy_until, ':ride': order.ride_id, ':now': now}),
                    }},
                    {'Put': {
                        'TableName': self._table,
                        'Item': to_item(ride),
                        'ConditionExpression': 'attribute_not_exists(#key) OR '
                                               '((BusyUntil < :now OR Completed = :yes) '
                                               'AND RideId <> :ride)',
                        'ExpressionAttributeNames': {'#key': self._key},
                        'ExpressionAttributeValues': to_item(
                            {':now': now, ':yes': True, ':ride': order.ride_id}),
                    }},
                ])
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = [reason.get('Code') for reason in
                       error.response.get('CancellationReasons', [])]
            failed = [code in _LOST_RACE for code in reasons]
            failed += [False] * (2 - len(failed))
            if not any(failed):
                raise
            raise ClaimConflict(unicorn_taken=failed[0], rider_busy=failed[1]) from None

    def release(self, claim: Claim) -> None:
        """Mark the ride completed, then free its unicorn: two single-item
        conditional writes, cheaper than a transaction. Each holds on its
        own (the ride must still be the rider's latest; the unicorn must
        still be on this ride), and a crash between them leaves only a
        unicorn that its lease or a repeated release frees."""
        with _table_must_exist():
            self._update_if_still(
                Key=to_item({self._key: schema.rider_key(claim.rider_id)}),
                UpdateExpression='SET Completed = :yes',
                ExpressionAttributeValues=to_item({':yes': True, ':ride': claim.ride_id}))
            # Not this ride's unicorn any more if the lease ran out and it
            # went on another ride; then the condition leaves it alone.
            self._update_if_still(
                Key=to_item({self._key: claim.unicorn[self._key]}),
                UpdateExpression='SET BusyUntil = :zero REMOVE RideId',
                ExpressionAttributeValues=to_item({':zero': 0, ':ride': claim.ride_id}))

    def _update_if_still(self, **update: Any) -> None:
        """UpdateItem only while the item is still on the ride `:ride`."""
        try:
            self._db.update_item(TableName=self._table, ConditionExpression='RideId = :ride',
                                 **update)
        except self._db.exceptions.ConditionalCheckFailedException:
            pass  # it has moved on to another ride: nothing of ours to change

    def put_unicorn(self, unicorn: Unicorn, slot: int) -> None:
        """Write a unicorn's catalog attributes into `slot`, keeping its
        availability: reloading the fleet never frees a busy unicorn. The
        catalog always has a Color, so there is at least one attribute."""
        catalog = {k: v for k, v in unicorn.items()
                   if k != self._key and k not in INTERNAL_ATTRIBUTES}
        values = {f':v{i}': value for i, value in enumerate(catalog.values())}
        names = {f'#a{i}': name for i, name in enumerate(catalog)}
        sets = [f'#a{i} = :v{i}' for i in range(len(catalog))]
        sets += ['Slot = :slot', 'Fleet = :fleet',
                 'BusyUntil = if_not_exists(BusyUntil, :zero)']
        values.update({':slot': slot, ':fleet': schema.FLEET_PARTITION, ':zero': 0})
        self._db.update_item(
            TableName=self._table,
            Key=to_item({self._key: unicorn[self._key]}),
            UpdateExpression='SET ' + ', '.join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item(values),
        )

    def set_fleet_size(self, size: int) -> None:
        self._db.put_item(TableName=self._table, Item=to_item(
            {self._key: schema.FLEET_RECORD_KEY, 'Size': size}))

    def unicorn_names(self) -> list[str]:
        """Every unicorn's name (a full scan: for the loader, not requests)."""
        names: list[str] = []
        paginator = self._db.get_paginator('scan')
        for page in paginator.paginate(
                TableName=self._table,
                FilterExpression='attribute_exists(Slot)',
                ProjectionExpression='#key',
                ExpressionAttributeNames={'#key': self._key}):
            names += [item[self._key]['S'] for item in page['Items']]
        return names

    def delete_unicorn(self, name: str) -> None:
        self._db.delete_item(TableName=self._table, Key=to_item({self._key: name}))

    def _get(self, key: str, consistent: bool = True) -> dict[str, Any] | None:
        with _table_must_exist():
            item = self._db.get_item(
                TableName=self._table, Key=to_item({self._key: key}),
                ConsistentRead=consistent).get('Item')
        return from_item(item) if item else None
