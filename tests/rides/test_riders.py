"""Riders own their rides: the rider is the ID token's `sub` (from
`requestContext.authorizer.claims`, where API Gateway puts it), a rider
holds one unicorn at a time, and another rider's ride answers exactly as
an unknown one. Also what every request must be: JSON, and not cross-origin."""
import json
import uuid

import pytest

from project.model import RIDERS_AUTHORIZER
from shared.domain.errors import InvalidRequest
from tests.support.riders import OTHER_RIDER, RIDER, as_rider, new_rider

SEATTLE = {'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3331}}
RIDE_ROUTES = {('/ride', 'POST'), ('/ride/{ride_id}', 'GET'), ('/ride/{ride_id}/complete', 'POST'),
               ('/rides', 'GET')}
PUBLIC_ROUTES = {('/', 'GET'), ('/config', 'GET')}


def post_ride(client, rider=RIDER, **headers):
    return client.http.post('/ride', headers={**as_rider(rider), **headers},
                            body=json.dumps(SEATTLE))


def held_by(fleet_table, ride_id):
    return [name for name in fleet_table.unicorn_names()
            if fleet_table.unicorn(name).get('RideId') == ride_id]


# -- routes ------------------------------------------------------------------

def routes(app):
    return {(path, method): entry for path, methods in app.routes.items()
            for method, entry in methods.items()}


def test_every_ride_route_needs_a_signed_in_rider_and_the_page_routes_are_public(rides_module):
    entries = routes(rides_module.app)

    assert {key for key, entry in entries.items() if entry.authorizer} == RIDE_ROUTES
    assert {entries[key].authorizer.name for key in RIDE_ROUTES} == {RIDERS_AUTHORIZER}
    assert PUBLIC_ROUTES <= set(entries)


def test_no_route_allows_cross_origin_calls(rides_module, rides_client):
    assert all(not entry.cors for entry in routes(rides_module.app).values())
    assert 'access-control-allow-origin' not in {
        name.lower() for name in post_ride(rides_client).headers}


def test_a_request_without_a_rider_is_401_as_api_gateway_answers_and_holds_nothing(
        rides_client, fleet_table, rides_topic):
    """API Gateway never lets such a request through; if one came, it is refused."""
    response = rides_client.http.post('/ride', headers={'Content-Type': 'application/json'},
                                      body=json.dumps(SEATTLE))

    assert response.status_code == 401
    assert response.json_body == {'message': 'Unauthorized'}
    assert rides_topic.published_rides() == []


# -- one active ride per rider -----------------------------------------------

def test_a_rider_with_a_ride_in_progress_gets_409_naming_it_and_nothing_new_is_held(
        rides_client, fleet_table, rides_topic):
    first = post_ride(rides_client).json_body

    response = post_ride(rides_client)

    assert response.status_code == 409
    assert response.json_body['Code'] == 'RideInProgress'
    assert response.json_body['RideId'] == first['RideId']
    assert rides_topic.published_rides() == [first]
    held = [name for name in fleet_table.unicorn_names()
            if fleet_table.unicorn(name).get('RideId')]
    assert held == [first['UnicornName']]


def test_another_rider_is_not_held_up_by_the_first(rides_client):
    post_ride(rides_client)

    assert post_ride(rides_client, OTHER_RIDER).status_code == 201


def test_completing_the_ride_lets_the_rider_ride_again(rides_client):
    first = post_ride(rides_client).json_body
    rides_client.http.post(f"/ride/{first['RideId']}/complete", headers=as_rider())

    response = post_ride(rides_client)

    assert response.status_code == 201
    assert response.json_body['RideId'] != first['RideId']


def test_the_direct_invoke_rides_for_the_rider_named_in_its_payload(rides_client, rides_topic):
    ride = rides_client.lambda_.invoke('RequestRideInvoke', dict(SEATTLE, RiderId=OTHER_RIDER)).payload

    assert ride['RiderId'] == OTHER_RIDER
    assert rides_topic.published_rides()[0]['RiderId'] == OTHER_RIDER


def test_a_direct_invoke_without_a_rider_is_refused_naming_the_field(rides_client, fleet_lambda):
    with pytest.raises(InvalidRequest, match='RiderId is required'):
        rides_client.lambda_.invoke('RequestRideInvoke', SEATTLE)
    assert fleet_lambda.calls == []


# -- reading and completing: one's own rides only ------------------------------

def test_a_rider_reads_their_ride_with_its_unicorn_pickup_time_and_status(rides_client):
    ride = post_ride(rides_client).json_body

    response = rides_client.http.get(f"/ride/{ride['RideId']}", headers=as_rider())

    assert response.status_code == 200
    assert response.json_body == {
        'RideId': ride['RideId'], 'RiderId': RIDER, 'Unicorn': ride['Unicorn'],
        'RequestTime': ride['RequestTime'], 'PickupLocation': ride['PickupLocation'],
        'Status': 'active'}


def test_a_completed_ride_reads_as_completed(rides_client):
    ride = post_ride(rides_client).json_body
    rides_client.http.post(f"/ride/{ride['RideId']}/complete", headers=as_rider())

    response = rides_client.http.get(f"/ride/{ride['RideId']}", headers=as_rider())

    assert response.json_body['Status'] == 'completed'


def test_another_riders_ride_answers_exactly_as_an_unknown_one_and_stays_held(
        rides_client, fleet_table):
    ride = post_ride(rides_client).json_body
    unknown = str(uuid.uuid4())

    answers = {}
    for name, ride_id in (('theirs', ride['RideId']), ('unknown', unknown)):
        read = rides_client.http.get(f'/ride/{ride_id}', headers=as_rider(OTHER_RIDER))
        done = rides_client.http.post(f'/ride/{ride_id}/complete', headers=as_rider(OTHER_RIDER))
        answers[name] = [(r.status_code, r.json_body['Code'],
                          r.json_body['Message'].replace(ride_id, '<id>')) for r in (read, done)]

    assert answers['theirs'] == answers['unknown']
    assert answers['theirs'][0][:2] == (404, 'NotFoundError')
    assert held_by(fleet_table, ride['RideId']) == [ride['UnicornName']]


def test_completing_ones_completed_ride_again_is_200_with_the_same_ride(rides_client):
    ride = post_ride(rides_client).json_body
    path = f"/ride/{ride['RideId']}/complete"

    first = rides_client.http.post(path, headers=as_rider())
    second = rides_client.http.post(path, headers=as_rider())

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json_body == second.json_body


# -- only JSON -------------------------------------------------------------------

@pytest.mark.parametrize('content_type', ['text/plain', 'application/x-www-form-urlencoded',
                                          'multipart/form-data; boundary=x', None])
def test_a_post_ride_that_is_not_json_is_415_and_holds_nothing(
        rides_client, fleet_lambda, rides_topic, content_type):
    """A body without a type is refused too: Chalice would read it as JSON,
    which lets a cross-origin `no-cors` post through."""
    response = rides_client.http.post('/ride', headers=as_rider(content_type=content_type),
                                      body=json.dumps(SEATTLE))

    assert response.status_code == 415
    assert response.json_body['Code'] == 'UnsupportedMediaType'
    assert response.json_body['Message']
    assert fleet_lambda.calls == []
    assert rides_topic.published_rides() == []


@pytest.mark.parametrize('content_type', ['text/plain', None])
def test_completing_with_a_body_that_is_not_json_is_415_and_frees_nothing(
        rides_client, fleet_table, content_type):
    ride = post_ride(rides_client).json_body

    response = rides_client.http.post(f"/ride/{ride['RideId']}/complete",
                                      headers=as_rider(content_type=content_type))

    assert response.status_code == 415
    assert held_by(fleet_table, ride['RideId']) == [ride['UnicornName']]


def test_json_with_a_charset_is_json(rides_client):
    assert post_ride(rides_client, **{'Content-Type': 'application/json; charset=utf-8'}
                     ).status_code == 201


def test_sixteen_riders_take_the_sixteen_unicorns_and_the_seventeenth_gets_503(
        rides_client, fleet_table):
    riders = [new_rider() for _ in fleet_table.unicorn_names()]

    rides = [post_ride(rides_client, rider) for rider in riders]
    seventeenth = post_ride(rides_client, new_rider())

    assert [ride.status_code for ride in rides] == [201] * len(riders) == [201] * 16
    assert len({ride.json_body['UnicornName'] for ride in rides}) == 16
    assert seventeenth.status_code == 503
    assert seventeenth.json_body['Code'] == 'NoUnicornAvailable'
