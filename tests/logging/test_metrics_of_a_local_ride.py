"""Through a running local stack: a ride writes CloudWatch EMF lines (what
CloudWatch Logs turns into metrics) in namespace WildRydes with the stage
dimension, from both services; a refused ride is counted by its reason."""
import json
import time

import pytest
import requests

from local_stack import testing

pytestmark = pytest.mark.stack

PICKUP = {'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3331}}


@pytest.fixture(scope='module')
def stack():
    with testing.local_stack(transport='invoke') as running:
        yield running


def emf_metrics(log_text):
    """{metric name: [(its dimensions and values, the EMF object)]} of every EMF line."""
    found = {}
    for line in log_text.splitlines():
        start = line.find('{"_aws"')
        if start < 0:
            start = line.find('{')
        try:
            entry = json.loads(line[start:])
        except ValueError:
            continue
        if not isinstance(entry, dict) or '_aws' not in entry:
            continue
        for directive in entry['_aws']['CloudWatchMetrics']:
            for metric in directive['Metrics']:
                found.setdefault(metric['Name'], []).append((directive, entry))
    return found


def logged(stack, done, seconds=10.0):
    """The stack's log once `done(log_text)` holds: the processes write their
    output a moment after they answer (bounded wait)."""
    deadline = time.monotonic() + seconds
    while True:
        text = stack.log_text()
        if done(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def values(entry, name):
    """EMF allows one value or an array of values."""
    value = entry[name]
    return value if isinstance(value, list) else [value]


def test_a_local_ride_writes_emf_lines_with_the_metric_names(stack):
    answer = requests.post(f'{stack.rides_url}/ride', json=PICKUP,
                           headers=stack.riders().new().headers, timeout=30)
    assert answer.status_code == 201, answer.text

    expected = {'RideRequested', 'RideDispatched', 'FleetCallLatency', 'ColdStart'}
    metrics = emf_metrics(logged(stack, lambda text: expected <= set(emf_metrics(text))))

    assert {'RideRequested', 'RideDispatched', 'FleetCallLatency', 'ColdStart'} <= set(metrics)
    for name in ('RideRequested', 'RideDispatched', 'FleetCallLatency'):
        directive, entry = metrics[name][-1]
        assert directive['Namespace'] == 'WildRydes'
        assert 'stage' in directive['Dimensions'][0]
    directive, entry = metrics['FleetCallLatency'][-1]
    assert entry['transport'] == 'invoke' and 'transport' in directive['Dimensions'][0]
    assert directive['Metrics'][0]['Unit'] == 'Milliseconds' and all(ms > 0 for ms in values(entry, 'FleetCallLatency'))
    fleet_cold_starts = [entry for _, entry in metrics['ColdStart']
                         if entry['function'] == 'RequestUnicornInvoke']
    assert fleet_cold_starts  # the fleet's sandbox, in the Lambda runtime


def test_a_ride_refused_as_a_bad_request_is_counted_by_its_reason(stack):
    answer = requests.post(f'{stack.rides_url}/ride', json={'PickupLocation': 'nowhere'},
                           headers=stack.riders().new().headers, timeout=30)
    assert answer.status_code == 400

    rejected = emf_metrics(logged(stack, lambda text: any(
        entry['reason'] == 'BadRequest' for _, entry in emf_metrics(text).get('RideRejected', []))
    )).get('RideRejected', [])

    assert any(entry['reason'] == 'BadRequest' and values(entry, 'RideRejected') == [1]
               and entry['stage'] for _, entry in rejected)


def json_lines(log_text):
    for line in log_text.splitlines():
        start = line.find('{')
        try:
            entry = json.loads(line[start:]) if start >= 0 else None
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def test_the_fleet_logs_the_ride_id_and_the_rides_request_id_of_its_caller(stack):
    answer = requests.post(f'{stack.rides_url}/ride', json=PICKUP,
                           headers=stack.riders().new().headers, timeout=30)
    assert answer.status_code == 201, answer.text
    ride_id = answer.json()['RideId']

    def lines_of(text):
        return [entry for entry in json_lines(text) if entry.get('ride_id') == ride_id]

    lines = lines_of(logged(stack, lambda text: {'POST /ride', 'RequestUnicornInvoke'} <= {
        entry.get('function') for entry in lines_of(text)}))

    rides_lines = [entry for entry in lines if entry.get('function') == 'POST /ride']
    fleet_lines = [entry for entry in lines if entry.get('function') == 'RequestUnicornInvoke']
    assert rides_lines and fleet_lines
    rides_request_ids = {entry['request_id'] for entry in rides_lines}
    assert len(rides_request_ids) == 1 and None not in rides_request_ids
    assert {entry.get('caller_request_id') for entry in fleet_lines} == rides_request_ids
    assert {entry['request_id'] for entry in fleet_lines}.isdisjoint(rides_request_ids)
    assert all(entry.get('cold_start') in (True, False) for entry in fleet_lines)


def test_the_fleet_logs_under_the_trace_id_its_invoke_carried(stack):
    """Lambda hands an Invoke's `X-Amzn-Trace-Id` to the function (the
    local runtime as `_X_AMZN_TRACE_ID`, from `Lambda-Runtime-Trace-Id`), and
    Powertools puts its root on every log line as `xray_trace_id`: from a
    fleet log line to the trace of the rides request that called it."""
    root = '1-6b08e127-0123456789abcdef01234567'
    client = stack.lambda_client()

    def traced(request, **kwargs):  # what the X-Ray SDK's botocore patch adds
        request.headers['X-Amzn-Trace-Id'] = f'Root={root};Parent=53995c3f42cd8ad8;Sampled=0'
    client.meta.events.register('before-send.lambda.Invoke', traced)
    ride_id = '5f0e8a2c-0000-4000-8000-0000000000d1'
    answer = client.invoke(FunctionName=stack.fleet_arn,
                           Payload=json.dumps({'RideId': ride_id, 'RiderId': 'r-trace'}))
    assert 'FunctionError' not in answer

    def fleet_lines(text):
        return [entry for entry in json_lines(text) if entry.get('ride_id') == ride_id]

    lines = fleet_lines(logged(stack, fleet_lines))
    assert lines and {entry.get('xray_trace_id') for entry in lines} == {root}
