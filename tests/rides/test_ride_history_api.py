"""GET /rides: a signed-in rider's own history, read from ride-record's
ListRideRecords by direct invoke (here a fake with the contract's paging,
fake_history.py), with the rider from the ID token and nothing else."""
import boto3
import pytest

from project.model import STAGES, Project
from shared import wiring
from shared.adapters import aws_clients
from shared.wiring import ConfigurationError
from tests.rides.fake_history import HISTORY_ARN
from tests.support import aws as aws_support
from tests.support.riders import OTHER_RIDER, RIDER, as_rider


def get_rides(client, query='', rider=RIDER):
    return client.http.get('/rides' + query, headers=as_rider(rider, content_type=None))


def add_rides(history, rider, count):
    """`count` rides of `rider`, one a minute: ride 0 is the oldest."""
    return [history.add(rider, f'{rider[:8]}-{n:02d}', f'2026-11-27T01:{n:02d}:00.000+00:00')
            for n in range(count)]


def test_a_rider_sees_their_rides_newest_first_with_unicorn_time_pickup_and_status(
        history_client, history):
    older = history.add(RIDER, 'ride-1', '2026-11-27T01:00:00.000+00:00', status='completed',
                        CompletedTime='2026-11-27T01:20:00.000+00:00')
    newer = history.add(RIDER, 'ride-2', '2026-11-27T02:00:00.000+00:00')

    response = get_rides(history_client)

    assert response.status_code == 200
    assert response.json_body == {'Rides': [newer, older]}
    assert history.payloads == [{'RiderId': RIDER}]


def test_the_rider_comes_from_the_token_never_from_the_query(history_client, history):
    add_rides(history, OTHER_RIDER, 2)

    response = get_rides(history_client, f'?RiderId={OTHER_RIDER}')

    assert response.json_body == {'Rides': []}
    assert [payload['RiderId'] for payload in history.payloads] == [RIDER]


def test_next_token_pages_through_the_whole_history_once(history_client, history):
    rides = add_rides(history, RIDER, 45)

    seen, query = [], ''
    for _ in range(5):
        page = get_rides(history_client, query).json_body
        assert len(page['Rides']) <= 20
        seen.extend(ride['RideId'] for ride in page['Rides'])
        if 'NextToken' not in page:
            break
        query = '?NextToken=' + page['NextToken']

    assert seen == [ride['RideId'] for ride in reversed(rides)]
    assert [len(p.get('NextToken', '')) > 0 for p in history.payloads] == [False, True, True]


def test_a_forged_next_token_is_400_naming_it(history_client, history):
    add_rides(history, RIDER, 25)

    response = get_rides(history_client, '?NextToken=eyJvIjogMjAsICJzIjogIngifQ==')

    assert response.status_code == 400
    assert response.json_body == {'Code': 'InvalidNextToken',
                                  'Message': 'NextToken is not valid for this rider'}


def test_another_riders_next_token_is_400_and_shows_none_of_their_rides(history_client, history):
    add_rides(history, OTHER_RIDER, 25)
    theirs = get_rides(history_client, rider=OTHER_RIDER).json_body['NextToken']

    response = get_rides(history_client, '?NextToken=' + theirs)

    assert response.status_code == 400
    assert response.json_body['Code'] == 'InvalidNextToken'


def test_a_next_token_far_too_long_to_be_one_is_400_without_asking_ride_record(
        history_client, history):
    response = get_rides(history_client, '?NextToken=' + 'A' * 3000)

    assert response.status_code == 400
    assert response.json_body['Code'] == 'InvalidNextToken'
    assert history.payloads == []


def test_a_bad_request_answer_of_ride_record_is_400_naming_the_problem(history_client, history):
    history.answer = {'Code': 'BadRequest', 'Message': 'RiderId must be a string'}

    response = get_rides(history_client)

    assert response.status_code == 400
    assert response.json_body == {'Code': 'BadRequestError', 'Message': 'RiderId must be a string'}


def test_without_a_signed_in_rider_the_history_is_401_and_ride_record_is_not_asked(
        history_client, history):
    response = history_client.http.get('/rides')

    assert response.status_code == 401
    assert history.payloads == []


def test_a_ride_record_that_raises_is_502_naming_nothing_of_it(history_client, history):
    history.broken = KeyError('RideRecordTable')

    response = get_rides(history_client)

    assert response.status_code == 502
    assert response.json_body == {'Code': 'HistoryError', 'Message': 'the ride history failed'}
    assert b'RideRecordTable' not in response.body
    assert len(history.payloads) == 1  # a function error is not retried


def test_another_riders_ride_in_the_answer_is_never_passed_on(history_client, history):
    history.answer = {'Rides': [{'RideId': 'theirs', 'RiderId': OTHER_RIDER, 'Status': 'active'}]}

    response = get_rides(history_client)

    assert response.status_code == 502
    assert response.json_body['Code'] == 'HistoryError'
    assert b'theirs' not in response.body


def test_only_the_contracts_fields_reach_the_rider(history_client, history):
    history.answer = {'Rides': [{
        'RideId': 'ride-1', 'RiderId': RIDER, 'Status': 'cancelled', 'Version': 7,
        'ExpiresAt': 1234, 'Unicorn': {'Name': 'Bucephalus', 'Color': 'Golden', 'Gender': 'Male'}}]}

    response = get_rides(history_client)

    assert response.json_body == {'Rides': [{
        'RideId': 'ride-1', 'RiderId': RIDER, 'Status': 'cancelled',
        'Unicorn': {'Name': 'Bucephalus', 'Color': 'Golden'}}]}


@pytest.mark.parametrize('answer', [None, [], 'rides', {'Rides': 'none'},
                                    {'Rides': [{'RideId': 'x', 'RiderId': RIDER, 'Status': 'lost'}]},
                                    {'Rides': [], 'NextToken': 7}])
def test_an_answer_that_is_not_a_history_is_502(history_client, history, answer):
    history.answer = answer

    response = get_rides(history_client)

    assert response.status_code == 502
    assert response.json_body['Code'] == 'HistoryError'


# -- finding ListRideRecords ----------------------------------------------------

def test_rides_is_configured_to_find_list_ride_records_in_ride_records_ssm_parameter():
    for stage in STAGES:
        project = Project(stage)
        env = project.rides.stage_environment()
        assert env['LIST_RIDE_RECORDS_ARN'] == ''
        assert env['LIST_RIDE_RECORDS_ARN_PARAMETER'] == project.history_arn_parameter


def test_the_arn_is_read_from_ssm_when_not_set(aws, rides_env):
    boto3.client('ssm', region_name=aws_support.REGION).put_parameter(
        Name=rides_env['LIST_RIDE_RECORDS_ARN_PARAMETER'], Type='String', Value=HISTORY_ARN)

    assert wiring.history_function_arn(rides_env) == HISTORY_ARN


def test_before_ride_record_is_deployed_the_history_is_a_configuration_error_naming_it(
        aws, rides_env):
    with pytest.raises(ConfigurationError, match='deploy ride-record'):
        wiring.history_client_from_environment(rides_env)


def test_an_arn_set_in_the_environment_wins_and_ssm_is_not_read(aws, rides_env, monkeypatch):
    def no_ssm():
        raise AssertionError('SSM was read')
    monkeypatch.setattr(aws_clients, 'ssm_client', no_ssm)

    assert wiring.history_function_arn({**rides_env, 'LIST_RIDE_RECORDS_ARN': HISTORY_ARN}) == HISTORY_ARN
