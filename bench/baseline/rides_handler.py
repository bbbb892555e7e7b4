"""`POST /ride` as a bare Lambda handler: parse the body, invoke the fleet,
publish the ride to SNS, answer 201 — the same AWS calls as the project's
rides app with the invoke transport, nothing else."""
import json
import os
import uuid
from datetime import UTC, datetime

import boto3

lambda_client = boto3.client('lambda')
sns = boto3.client('sns')
FLEET_ARN = os.environ.get('REQUEST_UNICORN_ARN', '')
TOPIC_ARN = os.environ.get('RIDES_SNS_TOPIC_ARN', '')


def lambda_handler(event, context):
    body = json.loads(event['body'])
    rider_id = event['requestContext']['authorizer']['claims']['sub']
    ride_id = str(uuid.uuid4())
    request_time = datetime.now(UTC).isoformat(timespec='milliseconds')
    answer = lambda_client.invoke(
        FunctionName=FLEET_ARN, InvocationType='RequestResponse',
        Payload=json.dumps({'RideId': ride_id, 'RiderId': rider_id, 'RequestTime': request_time,
                            'PickupLocation': body['PickupLocation']}).encode())
    unicorn = json.loads(answer['Payload'].read())
    ride = {'RideId': ride_id, 'RiderId': rider_id, 'Unicorn': unicorn,
            'UnicornName': unicorn['Name'], 'RequestTime': request_time,
            'PickupLocation': body['PickupLocation']}
    sns.publish(TopicArn=TOPIC_ARN, Message=json.dumps(ride))
    return {'statusCode': 201, 'headers': {'Content-Type': 'application/json'},
            'body': json.dumps(ride)}
