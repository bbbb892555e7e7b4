"""rides end to end in process: a rider's request, the fleet reached by a
direct invoke (JSON round trip, Lambda error semantics), the ride on SNS."""
import datetime
import json
import pathlib
import uuid

import pytest

from shared.domain.parsing import MAX_BODY_BYTES
from tests.support import aws as aws_support
from tests.support.riders import RIDER, as_rider

EVENTS = pathlib.Path(__file__).parents[1] / 'events'
CATALOG_NAMES = {unicorn['Name'] for unicorn in aws_support.catalog()}
SEATTLE = {'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3331}}


def post_ride(client, body, rider=RIDER):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post('/ride', headers=as_rider(rider), body=raw)


def complete(client, ride_id, rider=RIDER):
    return client.http.post(f'/ride/{ride_id}/complete', headers=as_rider(rider))


def assert_is_ride(ride, pickup, rider=RIDER):
    assert str(uuid.UUID(ride['RideId'])) == ride['RideId']
    assert ride['Unicorn']['Name'] in CATALOG_NAMES
    assert ride['UnicornName'] == ride['Unicorn']['Name']
    assert isinstance(ride['Unicorn']['Color'], str)
    assert ride['PickupLocation'] == pickup
    assert ride['RiderId'] == rider
    request_time = datetime.datetime.fromisoformat(ride['RequestTime'])
    assert request_time.utcoffset() == datetime.timedelta(0)


class LambdaContext:
    aws_request_id = 'c6af9ac6-0000-4000-8000-000000000001'
    function_name = 'wild-rydes-dev-APIHandler'
    memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self):
        return 25_000


def test_a_full_api_gateway_event_gets_a_ride(
        rides_client, rides_module, rides_env, rides_topic, fleet_lambda, monkeypatch):
    """The app object is the Lambda handler; fed what API Gateway sends,
    the ID token's claims in requestContext.authorizer.claims."""
    event = json.loads((EVENTS / 'post_ride_apigw.json').read_text())
    for name, value in rides_env.items():
        monkeypatch.setenv(name, value)

    response = rides_module.app(event, LambdaContext())

    assert response['statusCode'] == 201
    ride = json.loads(response['body'])
    assert_is_ride(ride, {'Latitude': 47.6097, 'Longitude': -122.3331},
                   rider=event['requestContext']['authorizer']['claims']['sub'])
    assert rides_topic.published_rides() == [ride]
    assert fleet_lambda.calls == [
        'arn:aws:lambda:us-east-1:123456789012:function:wild-rydes-ride-fleet-dev-RequestUnicornInvoke']


def test_a_ride_is_published_once_and_its_unicorn_is_held(rides_client, rides_topic, fleet_table):
    response = post_ride(rides_client, SEATTLE)

    assert response.status_code == 201
    ride = response.json_body
    assert_is_ride(ride, SEATTLE['PickupLocation'])
    assert rides_topic.published_rides() == [ride]
    assert fleet_table.ride_of(RIDER).ride_id == ride['RideId']
    assert fleet_table.ride_of(RIDER).unicorn['Name'] == ride['UnicornName']


def test_a_ride_can_be_completed_and_its_unicorn_is_free_again(rides_client, fleet_table):
    ride = post_ride(rides_client, SEATTLE).json_body

    response = complete(rides_client, ride['RideId'])

    assert response.status_code == 200
    # The answer is now the whole ride, as GET /ride/{RideId} shows it.
    assert response.json_body == {'RideId': ride['RideId'], 'Completed': True,
                                  'Unicorn': ride['Unicorn'], 'RiderId': RIDER,
                                  'RequestTime': ride['RequestTime'],
                                  'PickupLocation': ride['PickupLocation'],
                                  'Status': 'completed'}
    assert fleet_table.unicorn(ride['UnicornName'])['BusyUntil'] == 0


def test_completing_an_unknown_ride_is_404(rides_client):
    response = complete(rides_client, uuid.uuid4())

    assert response.status_code == 404
    assert response.json_body['Code'] == 'NotFoundError'


def test_completing_a_ride_id_that_is_not_a_uuid_is_400(rides_client):
    response = complete(rides_client, 'yesterday')

    assert response.status_code == 400
    assert 'RideId' in response.json_body['Message']


def test_the_direct_invoke_function_answers_like_the_api(rides_client, rides_topic):
    payload = json.loads(json.dumps(dict(SEATTLE, RiderId=RIDER)))

    ride = json.loads(json.dumps(rides_client.lambda_.invoke('RequestRideInvoke', payload).payload))

    assert_is_ride(ride, SEATTLE['PickupLocation'])
    assert rides_topic.published_rides() == [ride]


BAD_BODIES = [
    ('', 'request body is missing'),
    ('not json', 'not valid JSON'),
    ('{"PickupLocation": ', 'not valid JSON'),
    ('[]', 'request body must be a JSON object'),
    ('"text"', 'request body must be a JSON object'),
    ('null', 'request body must be a JSON object'),
    ({}, 'PickupLocation is required'),
    ({'pickupLocation': {'Latitude': 1, 'Longitude': 1}}, 'PickupLocation is required'),
    ({'PickupLocation': None}, 'PickupLocation must be a JSON object'),
    ({'PickupLocation': [47.6, -122.3]}, 'PickupLocation must be a JSON object'),
    ({'PickupLocation': {'Longitude': 1}}, 'PickupLocation.Latitude is required'),
    ({'PickupLocation': {'Latitude': 1}}, 'PickupLocation.Longitude is required'),
    ({'PickupLocation': {'Latitude': '47.6', 'Longitude': 1}}, 'PickupLocation.Latitude must be a number'),
    ({'PickupLocation': {'Latitude': True, 'Longitude': 1}}, 'PickupLocation.Latitude must be a number'),
    ({'PickupLocation': {'Latitude': None, 'Longitude': 1}}, 'PickupLocation.Latitude must be a number'),
    ({'PickupLocation': {'Latitude': 1, 'Longitude': False}}, 'PickupLocation.Longitude must be a number'),
    ('{"PickupLocation": {"Latitude": NaN, "Longitude": 1}}', 'not valid JSON'),
    ('{"PickupLocation": {"Latitude": 1, "Longitude": Infinity}}', 'not valid JSON'),
    ({'PickupLocation': {'Latitude': 90.0001, 'Longitude': 1}}, 'PickupLocation.Latitude must be between -90 and 90'),
    ({'PickupLocation': {'Latitude': -91, 'Longitude': 1}}, 'PickupLocation.Latitude must be between -90 and 90'),
    ({'PickupLocation': {'Latitude': 1, 'Longitude': 180.5}}, 'PickupLocation.Longitude must be between -180 and 180'),
    ({'PickupLocation': {'Latitude': 1, 'Longitude': -1e300}}, 'PickupLocation.Longitude must be between -180 and 180'),
    ('{"PickupLocation": {"Latitude": 1, "Longitude": 1e999}}', 'PickupLocation.Longitude must be a finite number'),
]


@pytest.mark.parametrize('body, message', BAD_BODIES)
def test_a_bad_body_is_400_naming_what_is_wrong_and_publishes_nothing(
        rides_client, rides_topic, fleet_lambda, body, message):
    response = post_ride(rides_client, body)

    assert response.status_code == 400
    assert response.json_body['Code'] == 'BadRequestError'
    assert message in response.json_body['Message']
    assert rides_topic.published_rides() == []
    assert fleet_lambda.calls == []


def test_an_oversized_body_is_413_before_any_work(rides_client, rides_topic, fleet_lambda):
    body = json.dumps(dict(SEATTLE, Padding='x' * MAX_BODY_BYTES))

    response = post_ride(rides_client, body)

    assert response.status_code == 413
    assert str(MAX_BODY_BYTES) in response.json_body['Message']
    assert fleet_lambda.calls == []
    assert rides_topic.published_rides() == []


@pytest.mark.parametrize('constant', ['NaN', 'Infinity', '-Infinity'])
def test_a_direct_invoke_with_a_nan_latitude_is_refused(
        rides_client, fleet_lambda, rides_topic, constant):
    """Lambda's JSON parser (awslambdaric uses simplejson) accepts NaN and
    Infinity in an invoke payload, unlike our HTTP body parser."""
    from shared.domain.errors import InvalidRequest
    payload = json.loads(f'{{"PickupLocation": {{"Latitude": {constant}, "Longitude": 1}}, '
                         f'"RiderId": "{RIDER}"}}')

    with pytest.raises(InvalidRequest, match='PickupLocation.Latitude must be a finite number'):
        rides_client.lambda_.invoke('RequestRideInvoke', payload)
    assert fleet_lambda.calls == []
    assert rides_topic.published_rides() == []


def test_the_bad_direct_invoke_payload_is_refused_the_same_way(rides_client, fleet_lambda):
    from shared.domain.errors import InvalidRequest

    with pytest.raises(InvalidRequest, match='PickupLocation.Latitude must be a number'):
        rides_client.lambda_.invoke('RequestRideInvoke', {'PickupLocation': {'Latitude': 'x', 'Longitude': 1},
                                                          'RiderId': RIDER})
    assert fleet_lambda.calls == []


def test_a_failed_ride_publishes_nothing_and_holds_nothing(rides_client, rides_topic, fleet_table):
    for name in fleet_table.unicorn_names():  # an empty fleet
        fleet_table.delete_unicorn(name)
    fleet_table.set_fleet_size(0)

    response = post_ride(rides_client, SEATTLE)

    assert response.status_code == 503
    assert response.json_body == {'Code': 'NoUnicornAvailable',
                                  'Message': 'the fleet is empty: no unicorns are loaded'}
    assert rides_topic.published_rides() == []
