"""Both apps log one JSON object per line with level, message, function,
request id and ride id; one ride is followed across both services by its
ride id; nothing secret and no raw event reaches a log line at INFO."""
import json
import logging
import uuid

from shared import logs
from tests.logging.lambda_events import api_gateway_event
from tests.support.riders import as_rider

FIELDS = {'level', 'message', 'function', 'request_id', 'ride_id'}
SECRET = 'Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.Zm9v'
SECURITY_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN'


def test_one_ride_is_followed_across_both_services_by_its_ride_id(rides_lambda, log_lines):
    event = api_gateway_event()

    response = rides_lambda(event)

    assert response['statusCode'] == 201
    ride_id = json.loads(response['body'])['RideId']
    entries = [entry for _, entry in log_lines()]
    assert entries and all(FIELDS <= set(entry) for entry in entries)
    rides_lines = [e for e in entries if e['function'] == 'POST /ride']
    fleet_lines = [e for e in entries if e['function'] == 'RequestUnicornInvoke']
    assert rides_lines and fleet_lines
    assert len(rides_lines) + len(fleet_lines) == len(entries)
    assert {e['ride_id'] for e in entries} == {ride_id}
    assert {e['request_id'] for e in rides_lines} == {event['requestContext']['requestId']}
    fleet_request_ids = {e['request_id'] for e in fleet_lines}
    assert len(fleet_request_ids) == 1 and None not in fleet_request_ids
    assert all(e['level'] in ('INFO', 'WARNING', 'ERROR') for e in entries)
    assert any(ride_id in e['message'] or e.get('unicorn') for e in fleet_lines)


def test_a_failed_ride_logs_the_failure_with_its_ride_id(
        rides_lambda, endpoint, log_lines):
    from tests.faults.lambda_endpoint import function_not_found
    endpoint.script(function_not_found, function_not_found)

    response = rides_lambda(api_gateway_event())

    assert response['statusCode'] == 502
    ride_id = endpoint.payloads()[0]['RideId']
    warnings = [e for _, e in log_lines() if e['level'] in ('WARNING', 'ERROR')]
    assert warnings
    assert {e['ride_id'] for e in warnings} == {ride_id}
    assert {e['function'] for e in warnings} == {'POST /ride'}


def test_no_line_holds_a_token_an_authorization_header_or_the_raw_event(
        rides_lambda, log_lines):
    marker = f'pickup-{uuid.uuid4()}'
    event = api_gateway_event(
        body={'PickupLocation': {'Latitude': 47.6, 'Longitude': -122.3}, 'Note': marker},
        Authorization=SECRET, **{'X-Amz-Security-Token': SECURITY_TOKEN})

    assert rides_lambda(event)['statusCode'] == 201

    lines = log_lines()
    assert lines
    for line, entry in lines:
        if logging.getLevelName(entry['level']) > logging.INFO:
            continue
        for forbidden in (SECRET, 'eyJhbGciOiJIUzI1NiJ9', SECURITY_TOKEN, 'Authorization',
                          marker, 'requestContext', 'multiValueHeaders',
                          'c2VjcmV0LXRva2Vu', event['headers']['X-Amzn-Trace-Id']):
            assert forbidden not in line, (forbidden, line)


def test_the_fleet_logs_json_for_its_direct_invoke_and_a_refused_payload(
        fleet_client, log_lines):
    ride_id = str(uuid.uuid4())

    fleet_client.lambda_.invoke('RequestUnicornInvoke', {'RideId': ride_id, 'RiderId': 'r-1'})
    fleet_client.lambda_.invoke('RequestUnicornInvoke', {'Action': 'Release', 'RideId': ride_id,
                                                         'RiderId': 'r-1'})

    entries = [entry for _, entry in log_lines()]
    assert entries and all(FIELDS <= set(entry) for entry in entries)
    assert {e['function'] for e in entries} == {'RequestUnicornInvoke'}
    assert {e['ride_id'] for e in entries} == {ride_id}
    assert all(e['request_id'] for e in entries)


def test_extra_fields_with_secret_names_are_redacted(log_lines):
    logs.start_request('RequestUnicornInvoke', 'req-1')
    logs.bind_ride('ride-1')

    logging.getLogger('shared.test').info(
        'calling out', extra={'authorization': SECRET, 'session_token': SECURITY_TOKEN,
                              'Password': 'hunter2', 'unicorn': 'Shadowfax'})

    [(line, entry)] = log_lines()
    assert entry == {'level': 'INFO', 'message': 'calling out', 'logger': 'shared.test',
                     'function': 'RequestUnicornInvoke', 'request_id': 'req-1',
                     'ride_id': 'ride-1', 'authorization': '[redacted]',
                     'session_token': '[redacted]', 'Password': '[redacted]',
                     'unicorn': 'Shadowfax'}
    assert SECRET not in line and 'hunter2' not in line


def test_a_new_request_forgets_the_previous_ride(log_lines):
    logs.start_request('POST /ride', 'req-1')
    logs.bind_ride('ride-1')
    logs.start_request('POST /ride', 'req-2')

    logging.getLogger('shared.test').info('next request')

    [(_, entry)] = log_lines()
    assert (entry['request_id'], entry['ride_id']) == ('req-2', None)


def test_a_multi_line_message_is_still_one_line(log_lines):
    logs.start_request('LoadTable', 'req-3')

    try:
        raise ValueError('first\nsecond')
    except ValueError:
        logging.getLogger('shared.test').exception('failed\nbadly')

    [(line, entry)] = log_lines()
    assert entry['message'] == 'failed\nbadly'
    assert 'ValueError' in entry['exception'] and entry['level'] == 'ERROR'


def test_log_level_comes_from_the_environment(log_lines, monkeypatch):
    monkeypatch.setenv('LOG_LEVEL', 'WARNING')
    logs.start_request('POST /ride', 'req-4')

    logging.getLogger('shared.test').info('hidden')
    logging.getLogger('shared.test').warning('shown')

    assert [entry['message'] for _, entry in log_lines()] == ['shown']


def route_labels(app):
    return {f'{method} {path}' for path, entries in app.routes.items() for method in entries}


def test_each_fleet_route_logs_under_its_own_method_and_path(fleet_client, fleet_module, log_lines):
    ride_id = str(uuid.uuid4())

    assert fleet_client.http.get(f'/unicorn?RideId={ride_id}&RiderId=r-1').status_code == 200
    assert fleet_client.http.post(f'/unicorn/{ride_id}/release?RiderId=r-1').status_code == 200

    labels = [entry['function'] for _, entry in log_lines()]
    assert set(labels) == {'GET /unicorn', 'POST /unicorn/{ride_id}/release'}
    assert set(labels) <= route_labels(fleet_module.app)


def test_completing_a_ride_logs_under_the_complete_route(rides, endpoint, rides_module, log_lines):
    ride = rides.http.post('/ride', headers=as_rider(),
                           body=json.dumps({'PickupLocation': {'Latitude': 1, 'Longitude': 2}}))
    log_lines()  # the dispatch's lines

    rides.http.post(f"/ride/{ride.json_body['RideId']}/complete", headers=as_rider())

    rides_lines = [e for _, e in log_lines() if e['function'] != 'RequestUnicornInvoke']
    assert rides_lines
    assert {e['function'] for e in rides_lines} == {'POST /ride/{ride_id}/complete'}
    assert {e['function'] for e in rides_lines} <= route_labels(rides_module.app)


class DeployedContext:
    """What Lambda passes a deployed function: its full deployed name."""
    aws_request_id = '7a1c2e3f-0000-4000-8000-0000000000bb'
    function_name = 'wild-rydes-ride-fleet-dev-LoadTable'
    memory_limit_in_mb = 128

    def get_remaining_time_in_millis(self):
        return 3_000


def test_a_deployed_function_logs_under_its_name_in_the_app(
        fleet_module, empty_fleet_table, fleet_env, monkeypatch, log_lines):
    for name, value in fleet_env.items():
        monkeypatch.setenv(name, value)

    fleet_module.load_table({}, DeployedContext())

    entries = [entry for _, entry in log_lines()]
    assert entries
    assert {e['function'] for e in entries} == {'LoadTable'}
    assert {e['request_id'] for e in entries} == {DeployedContext.aws_request_id}


def test_an_sns_handler_logs_under_its_own_name(log_lines):
    from chalice import Chalice
    from chalice.test import Client

    app = Chalice(app_name='wild-rydes-ride-record')
    logs.log_every_invocation(app)

    @app.on_sns_message(topic='rides')
    def put_ride_record(event):
        logs.bind_ride('ride-9')
        logging.getLogger('shared.test').info('recorded')

    with Client(app) as client:
        client.lambda_.invoke('put_ride_record',
                              client.events.generate_sns_event(message='{}', subject=None))

    [(_, entry)] = log_lines()
    assert (entry['function'], entry['ride_id'], entry['message']) == (
        'put_ride_record', 'ride-9', 'recorded')
    assert entry['request_id'] and entry['cold_start'] in (True, False)
