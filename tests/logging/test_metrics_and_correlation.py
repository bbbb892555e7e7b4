"""In process: which EMF metrics a ride writes, with which dimensions, and
the caller's request id the fleet logs."""
import json
import uuid

import pytest

from shared import logs, metrics
from tests.logging.lambda_events import api_gateway_event


@pytest.fixture
def emf(capsys):
    """The EMF objects written to stdout since the last call. Metrics that
    earlier tests left unflushed (transports used without an invocation
    around them) are written and dropped first: they are not this test's."""
    metrics.flush()
    capsys.readouterr()

    def read():
        entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()
                   if line.startswith('{')]
        return [entry for entry in entries if '_aws' in entry]
    return read


def names(entries):
    return [metric['Name'] for entry in entries
            for directive in entry['_aws']['CloudWatchMetrics'] for metric in directive['Metrics']]


def test_a_dispatched_ride_counts_requested_dispatched_and_the_fleet_call(rides_lambda, emf):
    assert rides_lambda(api_gateway_event())['statusCode'] == 201

    entries = emf()
    assert {'RideRequested', 'RideDispatched', 'FleetCallLatency'} <= set(names(entries))
    assert all(entry['_aws']['CloudWatchMetrics'][0]['Namespace'] == 'WildRydes'
               and entry['stage'] for entry in entries)
    [latency] = [entry for entry in entries if 'FleetCallLatency' in entry]
    assert latency['transport'] == 'invoke'
    assert latency['_aws']['CloudWatchMetrics'][0]['Dimensions'] == [['stage', 'transport']]


def test_a_failed_fleet_call_counts_as_a_fleet_error_by_transport(rides_lambda, endpoint, emf):
    from tests.faults.lambda_endpoint import function_not_found
    endpoint.script(function_not_found, function_not_found)

    assert rides_lambda(api_gateway_event())['statusCode'] == 502

    entries = emf()
    assert 'RideDispatched' not in names(entries)
    errors = [entry for entry in entries if 'FleetError' in entry]
    assert errors  # the dispatch, and the release that cleans up after it
    assert {error['transport'] for error in errors} == {'invoke'}


def test_a_malformed_ride_request_is_rejected_as_a_bad_request(rides_lambda, emf):
    event = api_gateway_event()
    event['body'] = '{"PickupLocation": 7}'

    assert rides_lambda(event)['statusCode'] == 400

    [rejected] = [entry for entry in emf() if 'RideRejected' in entry]
    assert rejected['reason'] == 'BadRequest'
    assert rejected['_aws']['CloudWatchMetrics'][0]['Dimensions'] == [['stage', 'reason']]


@pytest.mark.parametrize('env, stage', [
    ({'STAGE': 'prod', 'AWS_LAMBDA_FUNCTION_NAME': 'wild-rydes-dev'}, 'prod'),
    ({'AWS_LAMBDA_FUNCTION_NAME': 'wild-rydes-dev'}, 'dev'),
    ({'AWS_LAMBDA_FUNCTION_NAME': 'wild-rydes-prod-RequestRideInvoke'}, 'prod'),
    ({'AWS_LAMBDA_FUNCTION_NAME': 'wild-rydes-ride-fleet-dev-LoadTable'}, 'dev'),
    ({'AWS_LAMBDA_FUNCTION_NAME': 'wild-rydes-ride-record-prod-ListRideRecords'}, 'prod'),
    ({}, 'local'),
])
def test_the_stage_dimension_comes_from_the_deployed_function_name(env, stage):
    assert metrics.stage(env) == stage


def test_the_fleet_logs_the_caller_request_id_it_gets_in_the_http_header(fleet_client, log_lines):
    ride_id = str(uuid.uuid4())

    response = fleet_client.http.get(f'/unicorn?RideId={ride_id}&RiderId=r-1',
                                     headers={logs.CALLER_REQUEST_ID_HEADER: 'rides-request-1'})

    assert response.status_code == 200
    entries = [entry for _, entry in log_lines()]
    assert entries and {entry['caller_request_id'] for entry in entries} == {'rides-request-1'}


def test_an_overlong_caller_request_id_is_not_logged(fleet_client, log_lines):
    response = fleet_client.http.get('/unicorn',
                                     headers={logs.CALLER_REQUEST_ID_HEADER: 'x' * 1000})

    assert response.status_code == 200
    assert all('caller_request_id' not in entry for _, entry in log_lines())
