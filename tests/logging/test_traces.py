"""X-Ray: one ride is one trace across the hop, found by its RideId.

With tracing on as in a Lambda sandbox (Lambda's trace header in
`_X_AMZN_TRACE_ID`), the X-Ray SDK's documents are recorded instead of sent
to a daemon. What crosses the hop is checked on the wire: the Invoke request
botocore sends, and the HTTP request the http transport sends, each carry
`X-Amzn-Trace-Id` with this trace's root and the calling subsegment as
parent (botocore's Invoke subsegment; the fleet call's over http). That
header is what Lambda hands the fleet's sandbox: the local runtime passes it
on as `_X_AMZN_TRACE_ID` (tests/local_stack/test_lambda_behaviour.py), and
the fleet's log lines carry it (test_metrics_of_a_local_ride.py).
"""
import json
from http.server import BaseHTTPRequestHandler

import botocore.credentials
import pytest

from shared import budget, tracing
from shared.adapters import aws_clients
from shared.adapters.transports.http import HttpTransport, SigV4Signer
from shared.adapters.transports.measured import MeasuredTransport
from testkit import xray
from tests.logging.conftest import LAMBDA_TRACE_ROOT
from tests.logging.lambda_events import api_gateway_event
from tests.support.loopback import LoopbackServer, QuietHandler


def parse_trace_header(value):
    return dict(part.split('=', 1) for part in value.split(';'))


def by_name(emitter, name):
    return [document for document in emitter.subsegments() if document['name'] == name]


@pytest.fixture
def sent_invokes():
    """The `X-Amzn-Trace-Id` of every Invoke request as botocore sends it."""
    seen = []

    def record(request, **kwargs):
        seen.append(request.headers.get('X-Amzn-Trace-Id'))
    aws_clients.lambda_client().meta.events.register('before-send.lambda.Invoke', record)
    yield seen
    aws_clients.lambda_client().meta.events.unregister('before-send.lambda.Invoke', record)


def test_a_ride_is_one_trace_across_the_invoke_hop_annotated_with_its_ride_id(
        rides_lambda, endpoint, traced, sent_invokes):
    response = rides_lambda(api_gateway_event())

    assert response['statusCode'] == 201
    ride_id = json.loads(response['body'])['RideId']
    [header] = sent_invokes
    sent = parse_trace_header(header.decode() if isinstance(header, bytes) else header)
    [invoke] = by_name(traced, 'lambda')  # botocore's subsegment of the Invoke call
    assert sent == {'Root': LAMBDA_TRACE_ROOT, 'Parent': invoke['id'], 'Sampled': '1'}
    assert invoke['namespace'] == 'aws' and invoke['aws']['operation'] == 'Invoke'
    [fleet_call] = by_name(traced, '## fleet dispatch')
    assert fleet_call['annotations'] == {'RideId': ride_id, 'Transport': 'invoke'}
    assert invoke['parent_id'] == fleet_call['id']
    [rides_invocation] = by_name(traced, '## POST /ride')
    assert rides_invocation['annotations']['RideId'] == ride_id
    assert rides_invocation['annotations']['Service'] == 'wild-rydes'
    assert {document['trace_id'] for document in traced.subsegments()} == {LAMBDA_TRACE_ROOT}


def test_an_unsampled_ride_sends_nothing_to_x_ray_yet_its_invoke_carries_the_trace(
        rides_lambda, endpoint, traced, sent_invokes, monkeypatch):
    """Most invocations are unsampled: no subsegment is built or sent for
    them, and the Invoke still carries this trace, unsampled, so the fleet
    neither samples it on its own nor loses the trace id of its log lines."""
    lambda_header = xray.trace_header(LAMBDA_TRACE_ROOT, sampled=False)
    monkeypatch.setenv(xray.XRAY_TRACE_ID_ENV, lambda_header)

    response = rides_lambda(api_gateway_event())

    assert response['statusCode'] == 201
    [header] = sent_invokes
    sent = parse_trace_header(header.decode() if isinstance(header, bytes) else header)
    # this trace, Lambda's segment of the function as the parent, unsampled
    assert sent == parse_trace_header(lambda_header)
    assert traced.documents == []


def test_the_fleet_annotates_its_invocation_with_the_ride_id(fleet_client, traced):
    ride_id = 'a6c9f2b4-0000-4000-8000-00000000000c'

    fleet_client.lambda_.invoke('RequestUnicornInvoke', {'RideId': ride_id, 'RiderId': 'r-1'})

    [invocation] = by_name(traced, '## RequestUnicornInvoke')
    assert invocation['annotations']['RideId'] == ride_id
    assert invocation['annotations']['Service'] == 'wild-rydes-ride-fleet'
    assert isinstance(invocation['annotations']['ColdStart'], bool)
    assert by_name(traced, 'dynamodb')  # its table calls, as subsegments


class HeaderRecorder(LoopbackServer):
    """Answers every GET with a unicorn, and keeps the request headers."""

    def __init__(self):
        self.headers = []
        recorder = self

        class Handler(QuietHandler, BaseHTTPRequestHandler):
            def do_GET(self):
                recorder.headers.append(dict(self.headers))
                body = json.dumps({'Name': 'Shadowfax', 'Color': 'White'}).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        super().__init__(Handler)


def test_the_http_transport_sends_the_trace_header_itself_outside_the_signature(traced):
    signer = SigV4Signer(botocore.credentials.Credentials('testing', 'testing'), 'us-east-1')
    with HeaderRecorder() as fleet:
        transport = MeasuredTransport(
            HttpTransport(fleet.url + '/unicorn', budget.FLEET_CALL, signer=signer), 'http')
        with tracing.invocation('wild-rydes', 'POST /ride', False):
            transport.dispatch({'RideId': 'ride-7', 'RiderId': 'r-1'})

    [headers] = fleet.headers
    [fleet_call] = by_name(traced, '## fleet dispatch')
    assert fleet_call['annotations'] == {'RideId': 'ride-7', 'Transport': 'http'}
    assert parse_trace_header(headers['X-Amzn-Trace-Id']) == {
        'Root': LAMBDA_TRACE_ROOT, 'Parent': fleet_call['id'], 'Sampled': '1'}
    assert 'x-amzn-trace-id' not in headers['Authorization'].lower()  # not a signed header


def test_tracing_is_off_outside_lambda_and_where_powertools_turns_it_off():
    assert not tracing.enabled({})
    assert not tracing.enabled({'LAMBDA_TASK_ROOT': '/var/task', 'AWS_CHALICE_CLI_MODE': 'true'})
    assert not tracing.enabled({'LAMBDA_TASK_ROOT': '/var/task', 'AWS_SAM_LOCAL': 'true'})
    assert not tracing.enabled({'LAMBDA_TASK_ROOT': '/var/task',
                                'POWERTOOLS_TRACE_DISABLED': '1'})
    assert tracing.enabled({'LAMBDA_TASK_ROOT': '/var/task'})


def test_with_tracing_off_no_header_is_sent_and_the_sdk_is_not_loaded(monkeypatch):
    monkeypatch.delenv('LAMBDA_TASK_ROOT', raising=False)
    tracing.tracer.cache_clear()

    with tracing.subsegment('## fleet dispatch', RideId='ride-8'):
        assert tracing.trace_header() is None
    assert tracing.tracer() is None
