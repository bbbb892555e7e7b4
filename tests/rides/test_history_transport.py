"""rides' call of ListRideRecords against real botocore parsing of Lambda's
wire answers (the fake Lambda server of the fleet's transport tests): the
same transport as the fleet's, with the history's own errors."""
import json

import pytest

from shared import budget
from shared.adapters.transports.invoke import LambdaFunction
from shared.domain.errors import InvalidNextToken, InvalidRequest
from shared.domain.history_client import (
    HISTORY,
    HistoryBusy,
    HistoryClient,
    HistoryError,
    HistoryTimeout,
)
from tests.rides.fake_history import HISTORY_ARN
from tests.support.fake_lambda_server import (
    FakeLambdaServer,
    function_error_answer,
    raw_answer,
    service_error_answer,
    slow_answer,
    unicorn_answer,
)

RIDER = 'rider-ada'
RIDE = {'RideId': 'ride-1', 'RiderId': RIDER, 'Status': 'active', 'UnicornName': 'Shadowfax',
        'Unicorn': {'Name': 'Shadowfax', 'Color': 'White'},
        'RequestTime': '2026-11-27T01:00:00.000+00:00',
        'PickupLocation': {'Latitude': 47.6, 'Longitude': -122.3}}
PAGE = {'Rides': [RIDE], 'NextToken': 'opaque-2'}
ATTEMPTS = budget.HISTORY_CALL.retry.attempts


def history(server, read_timeout=2.0):
    function = LambdaFunction(server.client(read_timeout=read_timeout), HISTORY_ARN, HISTORY)
    return HistoryClient(function, budget.HISTORY_CALL.retry, sleep=lambda seconds: None)


def answer(value):
    return unicorn_answer(value)  # a 200 with the JSON result, whatever it is


@pytest.fixture
def lambda_server():
    with FakeLambdaServer(default=answer(PAGE)) as server:
        yield server


def test_the_page_comes_back_and_the_rider_and_token_travel_in_the_payload(lambda_server):
    page = history(lambda_server).rides_of(RIDER, 'opaque-1')

    assert page == PAGE
    [request] = lambda_server.requests
    assert request['path'].endswith(f'/functions/{HISTORY_ARN.replace(":", "%3A")}/invocations')
    assert request['body'] == {'RiderId': RIDER, 'NextToken': 'opaque-1'}


def test_the_first_page_is_asked_without_a_token(lambda_server):
    history(lambda_server).rides_of(RIDER)

    assert lambda_server.requests[0]['body'] == {'RiderId': RIDER}


def test_an_invalid_next_token_answered_as_a_result_is_a_400_refusal_not_retried(lambda_server):
    lambda_server.default = answer({'Code': 'InvalidNextToken', 'Message': 'not this rider\'s'})

    with pytest.raises(InvalidNextToken, match="not this rider's") as refused:
        history(lambda_server).rides_of(RIDER, 'forged')

    assert refused.value.status_code == 400
    assert len(lambda_server.requests) == 1


def test_a_bad_request_answered_as_a_result_is_a_400_naming_the_problem(lambda_server):
    lambda_server.default = answer({'Code': 'BadRequest', 'Message': 'Limit must be 1 to 20'})

    with pytest.raises(InvalidRequest, match='Limit must be 1 to 20'):
        history(lambda_server).rides_of(RIDER)


def test_an_unhandled_function_error_is_a_history_error_naming_nothing_of_it(lambda_server):
    lambda_server.default = function_error_answer('KeyError', "'RideRecordTable'")

    with pytest.raises(HistoryError) as raised:
        history(lambda_server).rides_of(RIDER)

    assert raised.value.status_code == 502
    assert raised.value.message == 'the ride history failed'
    assert len(lambda_server.requests) == 1


def test_a_missing_function_is_a_history_error_without_retry(lambda_server):
    lambda_server.default = service_error_answer(
        404, 'ResourceNotFoundException', f'Function not found: {HISTORY_ARN}')

    with pytest.raises(HistoryError, match='the ride history function was not found'):
        history(lambda_server).rides_of(RIDER)

    assert len(lambda_server.requests) == 1


def test_throttling_is_retried_and_then_succeeds(lambda_server):
    lambda_server.answer(service_error_answer(429, 'TooManyRequestsException', 'Rate Exceeded.'))

    assert history(lambda_server).rides_of(RIDER) == PAGE
    assert len(lambda_server.requests) == 2


def test_throttling_past_the_retry_budget_is_history_busy(lambda_server):
    lambda_server.default = service_error_answer(429, 'TooManyRequestsException', 'Rate Exceeded.')

    with pytest.raises(HistoryBusy) as raised:
        history(lambda_server).rides_of(RIDER)

    assert raised.value.status_code == 503
    assert len(lambda_server.requests) == ATTEMPTS


def test_a_read_timeout_is_retried_then_a_history_timeout(lambda_server):
    lambda_server.default = slow_answer(0.6, answer(PAGE))

    with pytest.raises(HistoryTimeout) as raised:
        history(lambda_server, read_timeout=0.2).rides_of(RIDER)

    assert raised.value.status_code == 504
    assert len(lambda_server.requests) == ATTEMPTS


def test_a_function_that_ran_out_of_time_is_tried_again(lambda_server):
    lambda_server.answer(function_error_answer(
        'Sandbox.Timedout', 'RequestId: 1f60b20c Error: Task timed out after 10.00 seconds'))

    assert history(lambda_server).rides_of(RIDER) == PAGE
    assert len(lambda_server.requests) == 2


@pytest.mark.parametrize('body', ['not json at all', '<html>502</html>', ''])
def test_a_payload_that_is_not_json_is_a_history_error(lambda_server, body):
    lambda_server.default = raw_answer(body)

    with pytest.raises(HistoryError, match='not JSON'):
        history(lambda_server).rides_of(RIDER)


def test_a_page_with_another_riders_ride_is_a_history_error(lambda_server):
    lambda_server.default = answer({'Rides': [dict(RIDE, RiderId='rider-bob')]})

    with pytest.raises(HistoryError, match="another rider's ride"):
        history(lambda_server).rides_of(RIDER)


def test_the_page_survives_lambdas_json_round_trip_unchanged(lambda_server):
    lambda_server.default = raw_answer(json.dumps({'Rides': [RIDE]}))

    assert history(lambda_server).rides_of(RIDER) == {'Rides': [RIDE]}

