"""The direct-invoke transport against real botocore parsing of Lambda's
wire answers: a function error is an error, never a unicorn."""
import uuid

import pytest

from shared import budget
from shared.adapters.transports.invoke import InvokeTransport
from shared.domain.errors import FleetBusy, FleetError, FleetTimeout, NoUnicornAvailable, RideInProgress, RideNotFound
from shared.domain.fleet_client import FleetClient
from shared.domain.parsing import PickupLocation
from tests.support.fake_lambda_server import (
    FakeLambdaServer,
    function_error_answer,
    raw_answer,
    service_error_answer,
    slow_answer,
    unicorn_answer,
)

ARN = 'arn:aws:lambda:us-east-1:123456789012:function:wild-rydes-ride-fleet-dev-RequestUnicornInvoke'
UNICORN = {'Name': 'Shadowfax', 'Color': 'White', 'TopSpeedKph': 72}
PICKUP = PickupLocation(47.6, -122.3)
RIDER = 'rider-ada'


def fleet_client(server, read_timeout=2.0):
    transport = InvokeTransport(server.client(read_timeout=read_timeout), ARN)
    return FleetClient(transport, budget.FLEET_CALL.retry, budget.FLEET_RELEASE.retry,
                       sleep=lambda seconds: None)


@pytest.fixture
def lambda_server():
    with FakeLambdaServer(default=unicorn_answer(UNICORN)) as server:
        yield server


def test_a_unicorn_comes_back_and_the_ride_travels_in_the_payload(lambda_server):
    ride_id = str(uuid.uuid4())

    unicorn = fleet_client(lambda_server).request_unicorn(ride_id, RIDER, PICKUP)

    assert unicorn == UNICORN
    [request] = lambda_server.requests
    assert request['path'].endswith(f'/functions/{ARN.replace(":", "%3A")}/invocations')
    assert request['body'] == {'RideId': ride_id, 'RiderId': RIDER, 'RequestTime': None,
                               'PickupLocation': {'Latitude': 47.6, 'Longitude': -122.3}}


def test_an_unhandled_function_error_is_an_error_not_a_unicorn(lambda_server):
    lambda_server.default = function_error_answer('KeyError', "'Items'")

    with pytest.raises(FleetError) as raised:
        fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)

    # Neither the fleet's errorType (it was echoed before) nor its stack trace is passed on.
    assert 'KeyError' not in raised.value.message
    assert 'File' not in raised.value.message


def test_a_domain_error_of_the_fleet_keeps_its_meaning(lambda_server):
    lambda_server.default = function_error_answer('NoUnicornAvailable', 'every unicorn is on a ride')

    with pytest.raises(NoUnicornAvailable, match='every unicorn is on a ride'):
        fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)


def test_an_unknown_ride_on_release_is_not_found(lambda_server):
    lambda_server.default = function_error_answer('RideNotFound', 'no ride with RideId x')

    with pytest.raises(RideNotFound):
        fleet_client(lambda_server).release_unicorn(str(uuid.uuid4()), RIDER)


def test_no_unicorn_answered_as_a_result_is_the_same_refusal(lambda_server):
    lambda_server.default = unicorn_answer({'Code': 'NoUnicornAvailable',
                                            'Message': 'every unicorn is on a ride'})

    with pytest.raises(NoUnicornAvailable, match='every unicorn is on a ride'):
        fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)
    assert len(lambda_server.requests) == 1  # an answer, not a fault: no retry


def test_an_unknown_ride_answered_as_a_result_is_not_found(lambda_server):
    lambda_server.default = unicorn_answer({'Code': 'NotFoundError',
                                            'Message': 'no ride with RideId x'})

    with pytest.raises(RideNotFound, match='no ride with RideId x'):
        fleet_client(lambda_server).ride(str(uuid.uuid4()), RIDER)


def test_a_result_with_an_unknown_code_is_not_mistaken_for_a_refusal(lambda_server):
    lambda_server.default = unicorn_answer({'Code': 'Teapot', 'Message': 'short and stout'})

    with pytest.raises(FleetError, match='not a unicorn'):
        fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)


def test_a_missing_function_is_a_fleet_error_without_retry(lambda_server):
    lambda_server.default = service_error_answer(
        404, 'ResourceNotFoundException', f'Function not found: {ARN}')

    with pytest.raises(FleetError, match='not found'):
        fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)

    assert len(lambda_server.requests) == 1


def test_throttling_is_retried_and_then_succeeds(lambda_server):
    lambda_server.answer(service_error_answer(429, 'TooManyRequestsException', 'Rate Exceeded.'))

    assert fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP) == UNICORN
    assert len(lambda_server.requests) == 2


def test_throttling_past_the_retry_budget_is_fleet_busy(lambda_server):
    lambda_server.default = service_error_answer(429, 'TooManyRequestsException', 'Rate Exceeded.')

    with pytest.raises(FleetBusy):
        fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)

    assert len(lambda_server.requests) == budget.FLEET_CALL.retry.attempts


def test_a_read_timeout_is_a_fleet_timeout_after_the_retries(lambda_server):
    lambda_server.default = slow_answer(0.6, unicorn_answer(UNICORN))

    with pytest.raises(FleetTimeout):
        fleet_client(lambda_server, read_timeout=0.2).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)

    assert len(lambda_server.requests) == budget.FLEET_CALL.retry.attempts


# What Lambda answers when the function ran out of time: 200, FunctionError.
FLEET_TIMED_OUT = function_error_answer(
    'Sandbox.Timedout', 'RequestId: 1f60b20c-0000-4000-8000-000000000000 Error: '
    'Task timed out after 3.00 seconds')


def test_a_fleet_function_that_timed_out_is_tried_again_with_the_same_ride(lambda_server):
    lambda_server.answer(FLEET_TIMED_OUT)
    ride_id = str(uuid.uuid4())

    assert fleet_client(lambda_server).request_unicorn(ride_id, RIDER, PICKUP) == UNICORN
    assert [request['body']['RideId'] for request in lambda_server.requests] == [ride_id] * 2


def test_a_fleet_function_that_keeps_timing_out_is_a_fleet_timeout_after_the_retries(
        lambda_server):
    lambda_server.default = FLEET_TIMED_OUT

    with pytest.raises(FleetTimeout):
        fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)

    assert len(lambda_server.requests) == budget.FLEET_CALL.retry.attempts


def test_the_same_ride_id_is_sent_on_every_retry(lambda_server):
    lambda_server.answer(slow_answer(0.6, unicorn_answer(UNICORN)))
    ride_id = str(uuid.uuid4())

    fleet_client(lambda_server, read_timeout=0.2).request_unicorn(ride_id, RIDER, PICKUP)

    assert {request['body']['RideId'] for request in lambda_server.requests} == {ride_id}


@pytest.mark.parametrize('body', ['not json at all', '<html>502</html>', ''])
def test_a_payload_that_is_not_json_is_a_fleet_error(lambda_server, body):
    lambda_server.default = raw_answer(body)

    with pytest.raises(FleetError, match='not JSON'):
        fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)


@pytest.mark.parametrize('answer', [[], 'Shadowfax', {'Color': 'White'}, {'Name': '', 'Color': 'x'},
                                    {'Name': 'A', 'Color': 7}, None])
def test_json_that_is_not_a_unicorn_is_a_fleet_error(lambda_server, answer):
    lambda_server.default = raw_answer(__import__('json').dumps(answer))

    with pytest.raises(FleetError, match='not a unicorn'):
        fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)


def test_a_rider_with_a_ride_in_progress_is_an_answer_the_client_turns_into_409(lambda_server):
    """The fleet returns it as a result (an expected outcome is not a
    function error, and the RideId must travel), not in FunctionError."""
    active = str(uuid.uuid4())
    lambda_server.default = unicorn_answer({'Code': 'RideInProgress', 'Message': 'busy',
                                            'RideId': active})

    with pytest.raises(RideInProgress) as busy:
        fleet_client(lambda_server).request_unicorn(str(uuid.uuid4()), RIDER, PICKUP)

    assert busy.value.status_code == 409
    assert busy.value.to_body()['RideId'] == active
    assert len(lambda_server.requests) == 1  # not retried


def test_reading_and_releasing_name_the_rider(lambda_server):
    ride_id = str(uuid.uuid4())
    client = fleet_client(lambda_server)

    client.ride(ride_id, RIDER)
    client.release_unicorn(ride_id, RIDER)

    assert [request['body'] for request in lambda_server.requests] == [
        {'Action': 'GetRide', 'RideId': ride_id, 'RiderId': RIDER},
        {'Action': 'Release', 'RideId': ride_id, 'RiderId': RIDER}]
