"""The fleet app through Chalice's test client, both event sources.

Direct-invoke results are round-tripped through JSON, as real Lambda does:
the client alone would pass DynamoDB's Decimals through untouched.
"""
import json
import uuid

import pytest
from chalice.test import Client

from shared.domain.errors import InvalidRequest
from tests.support import aws as aws_support
from tests.support.apps import FLEET_DIR

CATALOG_NAMES = {unicorn['Name'] for unicorn in aws_support.catalog()}


def invoke(client, function, payload):
    """Invoke as Lambda would: JSON in, JSON out."""
    result = client.lambda_.invoke(function, json.loads(json.dumps(payload))).payload
    return json.loads(json.dumps(result))


def held_by(store, ride_id):
    claim = store.ride_of(rider_of(ride_id))
    return claim.unicorn['Name'] if claim else None


def rider_of(ride_id):
    """Each ride its own rider here."""
    return f'rider-{ride_id}'


def new_ride_payload():
    ride_id = str(uuid.uuid4())
    return {'RideId': ride_id, 'RiderId': rider_of(ride_id)}


def test_an_empty_payload_gets_a_unicorn_from_the_catalog_and_holds_none(fleet_client, fleet_table):
    unicorn = invoke(fleet_client, 'RequestUnicornInvoke', {})

    assert unicorn['Name'] in CATALOG_NAMES
    assert isinstance(unicorn['Color'], str)
    assert isinstance(unicorn['TopSpeedKph'], int)
    assert isinstance(unicorn['Rating'], (int, float))  # 5.0 comes back as 5
    assert fleet_table.unicorn(unicorn['Name'])['BusyUntil'] == 0


def test_a_ride_payload_dispatches_a_unicorn_to_that_ride(fleet_client, fleet_table):
    ride_id = str(uuid.uuid4())

    unicorn = invoke(fleet_client, 'RequestUnicornInvoke', {
        'RideId': ride_id, 'RiderId': rider_of(ride_id),
        'PickupLocation': {'Latitude': 1.5, 'Longitude': 2.5}})

    assert held_by(fleet_table, ride_id) == unicorn['Name']
    assert fleet_table.unicorn(unicorn['Name'])['RideId'] == ride_id


def test_the_answer_holds_only_catalog_attributes(fleet_client):
    unicorn = invoke(fleet_client, 'RequestUnicornInvoke', new_ride_payload())

    catalog = {u['Name']: u for u in aws_support.catalog()}[unicorn['Name']]
    assert set(unicorn) == set(catalog)


def test_a_repeated_ride_id_gets_the_same_unicorn_and_holds_one(fleet_client, fleet_table):
    payload = new_ride_payload()

    first = invoke(fleet_client, 'RequestUnicornInvoke', payload)
    second = invoke(fleet_client, 'RequestUnicornInvoke', payload)

    assert first == second
    busy = [name for name in CATALOG_NAMES if fleet_table.unicorn(name)['BusyUntil'] > 0]
    assert busy == [first['Name']]


def test_release_frees_the_unicorn(fleet_client, fleet_table):
    ride_id = str(uuid.uuid4())
    unicorn = invoke(fleet_client, 'RequestUnicornInvoke', {'RideId': ride_id, 'RiderId': rider_of(ride_id)})

    result = invoke(fleet_client, 'RequestUnicornInvoke',
                    {'Action': 'Release', 'RideId': ride_id, 'RiderId': rider_of(ride_id)})

    # The answer is now the whole ride, as reading it shows it.
    assert result == {'RideId': ride_id, 'Completed': True, 'Unicorn': unicorn,
                      'RiderId': rider_of(ride_id), 'Status': 'completed',
                      'PickupLocation': None, 'RequestTime': None}
    assert fleet_table.unicorn(unicorn['Name'])['BusyUntil'] == 0


@pytest.mark.parametrize('payload, field', [
    ([], 'payload'),
    ({'RideId': 42}, 'RideId'),
    ({'RideId': 'not-a-uuid'}, 'RideId'),
    ({'Action': 'Fly'}, 'Action'),
    ({'Action': 'Release'}, 'RideId'),
    ({'RideId': str(uuid.UUID(int=1)), 'RiderId': 'r-1',
      'PickupLocation': {'Latitude': 91, 'Longitude': 0}},
     'PickupLocation.Latitude'),
])
def test_a_bad_invoke_payload_is_refused_naming_the_field(fleet_client, payload, field):
    with pytest.raises(InvalidRequest, match=field):
        invoke(fleet_client, 'RequestUnicornInvoke', payload)


def test_get_unicorn_over_http_answers_200_with_a_unicorn(fleet_client):
    response = fleet_client.http.get('/unicorn')

    assert response.status_code == 200
    assert response.json_body['Name'] in CATALOG_NAMES


def test_get_unicorn_with_a_ride_id_dispatches(fleet_client, fleet_table):
    ride_id = str(uuid.uuid4())

    response = fleet_client.http.get(f'/unicorn?RideId={ride_id}&RiderId={rider_of(ride_id)}')

    assert response.status_code == 200
    assert held_by(fleet_table, ride_id) == response.json_body['Name']


def test_release_over_http_of_an_unknown_ride_is_404(fleet_client):
    response = fleet_client.http.post(f'/unicorn/{uuid.uuid4()}/release?RiderId=r-1')

    assert response.status_code == 404
    assert response.json_body['Code'] == 'NotFoundError'
    assert 'RideId' in response.json_body['Message']


def test_an_empty_table_is_a_clear_503(fleet_module, empty_fleet_table):
    with Client(fleet_module.app, stage_name='dev', project_dir=str(FLEET_DIR)) as client:
        response = client.http.get('/unicorn')
        assert response.status_code == 503
        assert response.json_body == {
            'Code': 'NoUnicornAvailable',
            'Message': 'the fleet is empty: no unicorns are loaded'}
        # an expected answer, returned as a result: not a function error
        assert invoke(client, 'RequestUnicornInvoke', {}) == {
            'Code': 'NoUnicornAvailable',
            'Message': 'the fleet is empty: no unicorns are loaded'}


def test_a_missing_table_is_a_clear_503(fleet_module, aws):
    with Client(fleet_module.app, stage_name='dev', project_dir=str(FLEET_DIR)) as client:
        response = client.http.get('/unicorn')

    assert response.status_code == 503
    assert 'does not exist' in response.json_body['Message']


def test_load_table_needs_no_api_and_loading_twice_leaves_the_same_table(
        fleet_module, empty_fleet_table):
    with Client(fleet_module.app, stage_name='dev', project_dir=str(FLEET_DIR)) as client:
        first = invoke(client, 'LoadTable', {})
        snapshot = {name: empty_fleet_table.unicorn(name) for name in CATALOG_NAMES}
        second = invoke(client, 'LoadTable', {})

    assert first == second == {'Loaded': len(CATALOG_NAMES), 'Removed': []}
    assert {name: empty_fleet_table.unicorn(name) for name in CATALOG_NAMES} == snapshot
    assert sorted(empty_fleet_table.unicorn_names()) == sorted(CATALOG_NAMES)


def test_load_table_refuses_a_payload_it_does_not_understand(fleet_module, empty_fleet_table):
    with Client(fleet_module.app, stage_name='dev', project_dir=str(FLEET_DIR)) as client:
        with pytest.raises(InvalidRequest, match='empty payload'):
            invoke(client, 'LoadTable', {'Unicorns': []})


def test_the_shipped_fleet_is_big_enough_and_numeric_somewhere():
    unicorns = aws_support.catalog()
    assert len(unicorns) >= 12
    assert all({'Name', 'Color', 'DeviceId'} <= set(unicorn) for unicorn in unicorns)
    assert all(any(isinstance(value, (int, float)) or type(value).__name__ == 'Decimal'
                   for value in unicorn.values()) for unicorn in unicorns)


def test_a_direct_invoke_with_a_nan_pickup_is_refused_and_holds_nothing(fleet_client, fleet_table):
    """Lambda's JSON parser accepts NaN in an invoke payload."""
    payload = json.loads('{"RideId": "%s", "RiderId": "r-1", '
                         '"PickupLocation": {"Latitude": NaN, "Longitude": 0}}' % uuid.uuid4())

    with pytest.raises(InvalidRequest, match='PickupLocation.Latitude must be a finite number'):
        fleet_client.lambda_.invoke('RequestUnicornInvoke', payload)
    assert aws_support.held_unicorns(fleet_table) == {}


def test_load_table_again_keeps_every_unicorn_on_its_ride(fleet_client, fleet_table):
    rides = [str(uuid.uuid4()) for _ in range(3)]
    held = {invoke(fleet_client, 'RequestUnicornInvoke', {'RideId': ride, 'RiderId': rider_of(ride)})['Name']: ride
            for ride in rides}

    invoke(fleet_client, 'LoadTable', {})

    assert aws_support.held_unicorns(fleet_table) == held
    for ride in rides:  # each ride still has its unicorn, and only it
        again = invoke(fleet_client, 'RequestUnicornInvoke', {'RideId': ride, 'RiderId': rider_of(ride)})
        assert held[again['Name']] == ride


def test_a_rider_with_a_ride_in_progress_is_answered_not_raised_naming_the_ride(
        fleet_client, fleet_table):
    """An expected outcome: a result (no FunctionError, no Errors metric),
    in Chalice's error shape plus the active RideId."""
    first = str(uuid.uuid4())
    invoke(fleet_client, 'RequestUnicornInvoke', {'RideId': first, 'RiderId': 'rider-ada'})

    answer = invoke(fleet_client, 'RequestUnicornInvoke',
                    {'RideId': str(uuid.uuid4()), 'RiderId': 'rider-ada'})

    assert answer['Code'] == 'RideInProgress' and answer['RideId'] == first
    assert list(aws_support.held_unicorns(fleet_table).values()) == [first]


def test_the_http_route_answers_409_for_a_rider_with_a_ride_in_progress(fleet_client):
    first = str(uuid.uuid4())
    fleet_client.http.get(f'/unicorn?RideId={first}&RiderId=rider-ada')

    response = fleet_client.http.get(f'/unicorn?RideId={uuid.uuid4()}&RiderId=rider-ada')

    assert response.status_code == 409
    assert response.json_body['RideId'] == first


def test_a_ride_reads_back_with_its_pickup_by_invoke_and_over_http(fleet_client):
    ride_id = str(uuid.uuid4())
    pickup = {'Latitude': 1.5, 'Longitude': 2.5}
    unicorn = invoke(fleet_client, 'RequestUnicornInvoke', {
        'RideId': ride_id, 'RiderId': 'rider-ada', 'PickupLocation': pickup,
        'RequestTime': '2027-01-15T08:00:00.000+00:00'})

    by_invoke = invoke(fleet_client, 'RequestUnicornInvoke',
                       {'Action': 'GetRide', 'RideId': ride_id, 'RiderId': 'rider-ada'})
    over_http = fleet_client.http.get(f'/unicorn/{ride_id}?RiderId=rider-ada')

    assert by_invoke == over_http.json_body == {
        'RideId': ride_id, 'RiderId': 'rider-ada', 'Unicorn': unicorn, 'PickupLocation': pickup,
        'RequestTime': '2027-01-15T08:00:00.000+00:00', 'Status': 'active'}
    other = fleet_client.http.get(f'/unicorn/{ride_id}?RiderId=rider-bob')
    assert other.status_code == 404
