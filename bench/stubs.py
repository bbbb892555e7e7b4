"""AWS answered in process by botocore's `Stubber`: no network is timed.

The answers are the ones a healthy dispatch gets: the ride is new, the fleet
has `FLEET_SIZE` slots, the slot drawn holds a free unicorn, the transaction
goes through; the fleet's invoke answer is that unicorn; SNS takes the ride.
`queue(stubber, service)` puts one request's worth of answers in the queue.

Only the standard library is imported here: the cold-start probe imports
this module in the interpreter it times. The environment the handlers run
in comes from the project model, in `bench.environment`.
"""
import io
import json
import os
import uuid

FLEET_SIZE = 16
UNICORN = {'Name': 'Shadowfax', 'Color': 'White', 'Gender': 'Male',
           'DeviceId': 'device-shadowfax'}
PICKUP = {'Latitude': 47.6097, 'Longitude': -122.3331}
RIDER = '8a1f6d2e-3b4c-4d5e-9f60-718293a4b5c6'


def _unicorn_item():
    item = {key: {'S': value} for key, value in UNICORN.items()}
    item.update({'Slot': {'N': '3'}, 'Fleet': {'S': 'unicorns'},
                 'BusyUntil': {'N': '0'}})
    return item


def _invoke_answer():
    from botocore.response import StreamingBody

    body = json.dumps(UNICORN).encode()
    return {'StatusCode': 200, 'ExecutedVersion': '$LATEST',
            'Payload': StreamingBody(io.BytesIO(body), len(body))}


# One request's AWS calls, per service, in the order the code makes them.
ANSWERS = {
    'dynamodb': (
        ('get_item', lambda: {'Item': {'Name': {'S': 'fleet#meta'},
                                       'Size': {'N': str(FLEET_SIZE)}}}),
        ('query', lambda: {'Items': [_unicorn_item()], 'Count': 1, 'ScannedCount': 1}),
        ('transact_write_items', lambda: {}),
    ),
    'lambda': (('invoke', _invoke_answer),),
    'sns': (('publish', lambda: {'MessageId': str(uuid.uuid4())}),),
    'ssm': (),
}


def queue(stubber, service):
    for operation, answer in ANSWERS[service]:
        stubber.add_response(operation, answer())


def stub(client):
    """Attach and activate a Stubber on `client`; returns it."""
    from botocore.stub import Stubber

    stubber = Stubber(client)
    stubber.activate()
    return stubber


def service_of(client):
    return client.meta.service_model.service_name


class Context:
    """The parts of Lambda's context object the handlers touch."""

    function_name = 'bench'
    memory_limit_in_mb = 256

    def __init__(self):
        self.aws_request_id = str(uuid.uuid4())
        # the fleet's ARN, as `bench.environment` gives it to rides
        self.invoked_function_arn = os.environ.get('REQUEST_UNICORN_ARN', '')

    def get_remaining_time_in_millis(self):
        return 3000


def invoke_event():
    """A RequestUnicornInvoke payload, as rides sends it."""
    return {'RideId': str(uuid.uuid4()), 'RiderId': RIDER, 'PickupLocation': dict(PICKUP)}


def apigw_event(method, path, resource=None, query=None, body=None):
    """An API Gateway REST (proxy) event, as Lambda gets it."""
    return {
        'resource': resource or path, 'path': path, 'httpMethod': method,
        'headers': {'Accept': 'application/json', 'Content-Type': 'application/json',
                    'Host': 'abc123.execute-api.us-east-1.amazonaws.com'},
        'multiValueHeaders': {'Accept': ['application/json'],
                              'Content-Type': ['application/json']},
        'queryStringParameters': query,
        'multiValueQueryStringParameters': (
            {key: [value] for key, value in query.items()} if query else None),
        'pathParameters': None, 'stageVariables': None,
        'requestContext': {
            'resourcePath': resource or path, 'httpMethod': method,
            'path': '/api' + path, 'stage': 'api', 'accountId': '123456789012',
            'requestId': str(uuid.uuid4()), 'apiId': 'abc123',
            'identity': {'sourceIp': '127.0.0.1', 'userAgent': 'bench'},
            # What API Gateway's Cognito authorizer hands over.
            'authorizer': {'claims': {'sub': RIDER, 'token_use': 'id'}},
        },
        'body': body, 'isBase64Encoded': False,
    }


def get_unicorn_event():
    return apigw_event('GET', '/unicorn', query={'RideId': str(uuid.uuid4()), 'RiderId': RIDER})


def post_ride_event():
    return apigw_event('POST', '/ride', body=json.dumps({'PickupLocation': PICKUP}))
