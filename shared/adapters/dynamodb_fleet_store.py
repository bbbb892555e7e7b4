"""The fleet store on DynamoDB: every DynamoDB call the fleet makes.

It takes a boto3 DynamoDB *client* in its constructor, so tests hand it a
moto-backed or Stubber-wrapped one. The low-level client (not the resource
API) keeps cold starts short and its calls easy to count. DynamoDB's own
language stays in here: `Decimal` numbers become plain ints and floats, a
cancelled transaction becomes a `ClaimConflict`, and a missing table
becomes `NoUnicornAvailable`.
"""
import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from shared.adapters import fleet_schema as schema
from shared.adapters.json_encoding import jsonable
from shared.domain.errors import NoUnicornAvailable
from shared.domain.fleet_store import INTERNAL_ATTRIBUTES, Claim, ClaimConflict, Unicorn

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
        """Number of slots; 0 when the fleet was never loaded."""
        item = self._get(schema.FLEET_RECORD_KEY)
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

    def claim_for(self, ride_id: str) -> Claim | None:
        """The ride's claim, or None when no such ride was dispatched."""
        item = self._get(schema.ride_key(ride_id))
        if item is None:
            return None
        return Claim(
            ride_id=ride_id,
            unicorn=item['Unicorn'],
            busy_until=int(item['BusyUntil']),
            completed=bool(item.get('Completed', False)),
        )

    # -- writes ------------------------------------------------------------

    def claim(self, unicorn: Unicorn, ride_id: str, now: int, busy_until: int,
              expires_at: int) -> None:
        """Hold `unicorn` for `ride_id` in one transaction: the unicorn must
        be free and the ride must not hold another one. Raises
        ClaimConflict when either condition fails."""
        name = unicorn[self._key]
        try:
            with _table_must_exist():
                self._db.transact_write_items(TransactItems=[
                    {'Update': {
                        'TableName': self._table,
                        'Key': to_item({self._key: name}),
                        'UpdateExpression': 'SET BusyUntil = :until, RideId = :ride',
                        'ConditionExpression': 'BusyUntil < :now',
                        'ExpressionAttributeValues': to_item(
                            {':until': busy_until, ':ride': ride_id, ':now': now}),
                    }},
                    {'Put': {
                        'TableName': self._table,
                        'Item': to_item({
                            self._key: schema.ride_key(ride_id),
                            'Unicorn': unicorn,
                            'BusyUntil': busy_until,
                            schema.TTL_ATTRIBUTE: expires_at,
                        }),
                        'ConditionExpression': 'attribute_not_exists(#key)',
                        'ExpressionAttributeNames': {'#key': self._key},
                    }},
                ])
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = [reason.get('Code') for reason in
                       error.response.get('CancellationReasons', [])]
            failed = [code == 'ConditionalCheckFailed' for code in reasons]
            failed += [False] * (2 - len(failed))
            if not any(failed):
                raise
            raise ClaimConflict(unicorn_taken=failed[0], ride_exists=failed[1]) from None

    def release(self, claim: Claim) -> None:
        """Free the ride's unicorn (if the ride still holds it) and mark the
        ride completed, in one transaction."""
        name = claim.unicorn[self._key]
        complete_ride = {'Update': {
            'TableName': self._table,
            'Key': to_item({self._key: schema.ride_key(claim.ride_id)}),
            'UpdateExpression': 'SET Completed = :yes',
            'ExpressionAttributeValues': {':yes': {'BOOL': True}},
        }}
        free_unicorn = {'Update': {
            'TableName': self._table,
            'Key': to_item({self._key: name}),
            'UpdateExpression': 'SET BusyUntil = :zero REMOVE RideId',
            'ConditionExpression': 'RideId = :ride',
            'ExpressionAttributeValues': to_item({':zero': 0, ':ride': claim.ride_id}),
        }}
        try:
            with _table_must_exist():
                self._db.transact_write_items(TransactItems=[free_unicorn, complete_ride])
        except self._db.exceptions.TransactionCanceledException:
            # The lease ran out and the unicorn went on another ride: it is
            # not ours to free. The ride still ends.
            self._db.update_item(**complete_ride['Update'])

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

    def _get(self, key: str) -> dict[str, Any] | None:
        with _table_must_exist():
            item = self._db.get_item(
                TableName=self._table, Key=to_item({self._key: key}),
                ConsistentRead=True).get('Item')
        return from_item(item) if item else None
