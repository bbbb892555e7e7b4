"""The fleet's dispatch as a bare Lambda handler: the same three DynamoDB
calls as `shared.domain.fleet` (fleet size, one slot, one transaction that
claims the unicorn and locks the rider), nothing else. `lambda_handler` takes a direct-invoke payload,
`api_handler` an API Gateway proxy event."""
import json
import os
import random
import time

import boto3

dynamodb = boto3.client('dynamodb')
TABLE = os.environ.get('DYNAMODB_TABLE', 'wild-rydes-ride-fleet-dev-unicorns')
LEASE = 300


def lambda_handler(event, context):
    return dispatch(event['RideId'], event['RiderId'])


def api_handler(event, context):
    query = event.get('queryStringParameters') or {}
    return {'statusCode': 200, 'headers': {'Content-Type': 'application/json'},
            'body': json.dumps(dispatch(query['RideId'], query['RiderId']))}


def dispatch(ride_id, rider_id):
    meta = dynamodb.get_item(TableName=TABLE, Key={'Name': {'S': 'fleet#meta'}},
                             ConsistentRead=True)['Item']
    slot = random.randrange(int(meta['Size']['N']))
    item = dynamodb.query(TableName=TABLE, IndexName='BySlot',
                          KeyConditionExpression='Slot = :s',
                          ExpressionAttributeValues={':s': {'N': str(slot)}})['Items'][0]
    now = int(time.time())
    catalog = {k: v for k, v in item.items() if k not in ('Slot', 'Fleet', 'BusyUntil', 'RideId')}
    dynamodb.transact_write_items(TransactItems=[
        {'Update': {'TableName': TABLE, 'Key': {'Name': item['Name']},
                    'UpdateExpression': 'SET BusyUntil = :u, RideId = :r',
                    'ConditionExpression': 'BusyUntil < :n',
                    'ExpressionAttributeValues': {':u': {'N': str(now + LEASE)},
                                                  ':r': {'S': ride_id},
                                                  ':n': {'N': str(now)}}}},
        {'Put': {'TableName': TABLE,
                 'Item': {'Name': {'S': 'rider#' + rider_id}, 'RideId': {'S': ride_id},
                          'Unicorn': {'M': catalog}, 'BusyUntil': {'N': str(now + LEASE)},
                          'Completed': {'BOOL': False}},
                 'ConditionExpression': 'attribute_not_exists(#k) OR '
                                        '((BusyUntil < :n OR Completed = :y) AND RideId <> :r)',
                 'ExpressionAttributeNames': {'#k': 'Name'},
                 'ExpressionAttributeValues': {':n': {'N': str(now)}, ':y': {'BOOL': True},
                                               ':r': {'S': ride_id}}}},
    ])
    return _plain(catalog)


def _plain(item):
    return {key: value.get('S', value.get('N')) for key, value in item.items()}
