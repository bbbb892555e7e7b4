"""DynamoDB request units of each call the fleet makes, by DynamoDB's
pricing rules, counted from the calls' own parameters as they go out.

moto does not report ConsumedCapacity for transactions or for index
writes, so the units are worked out here, per operation, with the rules
of the DynamoDB developer guide for items under 1 KB (every item this
project stores): a strongly consistent read 1 RRU, an eventually
consistent one (every GSI query) 0.5; a standard write 1 WRU, a
transactional write 2 WRU per item; and each GSI entry the write touches
1 WRU more (2 when the write changes the index's key: delete and put).

The table's GSIs (shared/adapters/fleet_schema.py) hold unicorns only:
BySlot projects ALL attributes, so any write to a unicorn rewrites its
entry there; ByAvailability is keyed on BusyUntil, so a write that sets
BusyUntil moves its entry. Rider records and the fleet record carry
neither Slot nor Fleet, so they are in no index.
"""
from dataclasses import dataclass, field

from shared.adapters import fleet_schema

WRITE_OPERATIONS = ('PutItem', 'UpdateItem', 'DeleteItem')


@dataclass
class Units:
    reads: float = 0.0
    writes: float = 0.0
    calls: dict = field(default_factory=dict)

    def add(self, operation, reads, writes):
        self.reads += reads
        self.writes += writes
        self.calls[operation] = self.calls.get(operation, 0) + 1


class RequestUnitMeter:
    """Adds up the request units of every DynamoDB call a client makes."""

    def __init__(self, client, hash_key=fleet_schema.HASH_KEY):
        self._key = hash_key
        self.units = Units()
        client.meta.events.register('before-parameter-build.dynamodb', self._meter)

    def take(self):
        """The units so far; metering starts again from zero."""
        units, self.units = self.units, Units()
        return units

    def _meter(self, model, params, **kwargs):
        operation = model.name
        if operation == 'GetItem':
            self.units.add(operation, 1.0 if params.get('ConsistentRead') else 0.5, 0)
        elif operation == 'Query':
            consistent = params.get('ConsistentRead') and 'IndexName' not in params
            self.units.add(operation, 1.0 if consistent else 0.5, 0)
        elif operation in WRITE_OPERATIONS:
            self.units.add(operation, 0, 1 + self._index_writes(params))
        elif operation == 'TransactWriteItems':
            writes = sum(2 + self._index_writes(next(iter(item.values())))
                         for item in params['TransactItems'])
            self.units.add(operation, 0, writes)
        else:
            self.units.add(operation, 0, 0)  # not on a ride's path (Scan: the loader)

    def _index_writes(self, write):
        key = (write.get('Key') or write.get('Item') or {}).get(self._key, {}).get('S', '')
        if key.startswith(fleet_schema.RIDER_KEY_PREFIX) or key == fleet_schema.FLEET_RECORD_KEY:
            return 0
        writes = 1  # BySlot (projection ALL)
        if 'BusyUntil' in write.get('UpdateExpression', '') or 'Item' in write:
            writes += 2  # ByAvailability: its key changes
        return writes
