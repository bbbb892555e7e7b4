"""The ride-record store on DynamoDB: one item per ride, folded in place.

The fold (`shared.domain.ride_history`) is a join, and each delivery is
written as one conditional `UpdateItem`, so concurrent deliveries of one
ride need no lock and no read first:

1. status and details together, on the condition that the ride is new, or
   is this rider's and its `StatusRank` is not above the event's;
2. if that condition failed, the details alone (each `if_not_exists`: the
   first value stays), on the condition that the ride is this rider's; if
   that fails too, the ride is another rider's (`ForeignRide`).

Each step is atomic and idempotent, so the item ends as the join of every
event delivered, in whatever order and however often they came.
"""
import json
from typing import Any

from shared.adapters import record_schema as schema
from shared.adapters.dynamodb_fleet_store import from_item, to_item
from shared.domain.page_tokens import PageKey
from shared.domain.ride_events import RideDetails, RideEvent
from shared.domain.ride_history import STATUS_OF_EVENT, STATUS_RANK, ForeignRide, RideRecord


class DynamoDbRideRecordStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def apply(self, event: RideEvent) -> RideRecord:
        status = STATUS_OF_EVENT[event.event_type]
        details = _detail_values(event)
        names = {f'#{name}': name for name in [*details, 'RiderId', 'Status', 'StatusRank']}
        values = {f':{name}': value for name, value in details.items()}
        values.update({':RiderId': event.rider_id, ':Status': status,
                       ':StatusRank': STATUS_RANK[status]})
        keep_first = [f'#{name} = if_not_exists(#{name}, :{name})'
                      for name in [*details, 'RiderId']]
        try:
            item = self._update(
                event.ride_id, ['#Status = :Status', '#StatusRank = :StatusRank', *keep_first],
                '(attribute_not_exists(#RiderId) OR '
                '(#RiderId = :RiderId AND #StatusRank <= :StatusRank))', names, values)
        except self._db.exceptions.ConditionalCheckFailedException:
            # A later status is stored already: keep it, add what it lacks.
            del names['#Status'], values[':Status']
            del names['#StatusRank'], values[':StatusRank']
            try:
                item = self._update(event.ride_id, keep_first, '#RiderId = :RiderId',
                                    names, values)
            except self._db.exceptions.ConditionalCheckFailedException:
                raise ForeignRide() from None
        return _record(item)

    def _update(self, ride_id: str, sets: list[str], condition: str,
                names: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
        answer = self._db.update_item(
            TableName=self._table, Key=to_item({schema.HASH_KEY: ride_id}),
            UpdateExpression='SET ' + ', '.join(sets), ConditionExpression=condition,
            ExpressionAttributeNames=names, ExpressionAttributeValues=to_item(values),
            ReturnValues='ALL_NEW')
        return from_item(answer['Attributes'])

    def record(self, ride_id: str) -> RideRecord | None:
        item = self._db.get_item(TableName=self._table,
                                 Key=to_item({schema.HASH_KEY: ride_id}),
                                 ConsistentRead=True).get('Item')
        return _record(from_item(item)) if item else None

    def rides_of(self, rider_id: str, limit: int, after: PageKey | None) -> list[RideRecord]:
        """One Query of the rider index, newest first (more only if DynamoDB
        stopped early at its 1 MB page)."""
        query: dict[str, Any] = {
            'TableName': self._table, 'IndexName': schema.RIDER_INDEX,
            'KeyConditionExpression': '#rider = :rider',
            'ExpressionAttributeNames': {'#rider': schema.RIDER_KEY},
            'ExpressionAttributeValues': to_item({':rider': rider_id}),
            'ScanIndexForward': False,
        }
        if after is not None:
            query['ExclusiveStartKey'] = to_item({
                schema.HASH_KEY: after.ride_id, schema.RIDER_KEY: after.rider_id,
                schema.TIME_KEY: after.request_time})
        records: list[RideRecord] = []
        while len(records) < limit:
            answer = self._db.query(Limit=limit - len(records), **query)
            records += [_record(from_item(item)) for item in answer['Items']]
            if 'LastEvaluatedKey' not in answer:
                break
            query['ExclusiveStartKey'] = answer['LastEvaluatedKey']
        return records


def _detail_values(event: RideEvent) -> dict[str, Any]:
    """The attributes this event brings, by name."""
    values: dict[str, Any] = {}
    if event.details is not None:
        values.update(RequestTime=event.details.request_time,
                      UnicornName=event.details.unicorn_name,
                      Unicorn=event.details.unicorn,
                      PickupLocation=json.dumps(event.details.pickup))
    if event.completed_time is not None:
        values['CompletedTime'] = event.completed_time
    if event.reason is not None:
        values['CancelReason'] = event.reason
    return values


def _record(item: dict[str, Any]) -> RideRecord:
    details = None
    if 'RequestTime' in item:
        details = RideDetails(unicorn=item['Unicorn'], unicorn_name=item['UnicornName'],
                              request_time=item['RequestTime'],
                              pickup=json.loads(item['PickupLocation']))
    return RideRecord(ride_id=item[schema.HASH_KEY], rider_id=item['RiderId'],
                      status=item['Status'], details=details,
                      completed_time=item.get('CompletedTime'),
                      cancel_reason=item.get('CancelReason'))
