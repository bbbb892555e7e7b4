"""The fleet's dispatch as a bare Lambda handler: the same four DynamoDB
calls as `shared.domain.fleet` (ride record, fleet size, one slot, one
transaction), nothing else. `lambda_handler` takes a direct-invoke payload,
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
    return dispatch(event['RideId'])


def api_handler(event, context):
    ride_id = (event.get('queryStringParameters') or {})['RideId']
    return {'statusCode': 200, 'headers': {'Content-Type': 'application/json'},
            'body': json.dumps(dispatch(ride_id))}


def dispatch(ride_id):
    ride = dynamodb.get_item(TableName=TABLE, Key={'Name': {'S': 'ride#' + ride_id}},
                             ConsistentRead=True).get('Item')
    if ride:
        return _plain(ride['Unicorn']['M'])
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
                 'Item': {'Name': {'S': 'ride#' + ride_id}, 'Unicorn': {'M': catalog},
                          'BusyUntil': {'N': str(now + LEASE)}},
                 'ConditionExpression': 'attribute_not_exists(#k)',
                 'ExpressionAttributeNames': {'#k': 'Name'}}},
    ])
    return _plain(catalog)


def _plain(item):
    return {key: value.get('S', value.get('N')) for key, value in item.items()}
