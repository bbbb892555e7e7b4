"""What a function sees and answers under the local runtime, checked against
what AWS does: LocalStack's snapshot files recorded against real AWS
(tests/aws/services/lambda_/test_lambda.snapshot.json,
test_lambda_api.snapshot.json in localstack/localstack) and the source of
AWS's runtime client (awslambdaric: bootstrap.py, lambda_runtime_marshaller.py)."""
import base64
import json
import re
import time

import pytest
import requests

from local_stack import testing
from tests.local_stack.conftest import BROKEN, TOOLBOX

ECHO = 'toolbox-dev-Echo'


def invoke(client, name, payload=None, **kwargs):
    if payload is not None:
        kwargs['Payload'] = json.dumps(payload).encode()
    response = client.invoke(FunctionName=name, **kwargs)
    return response, response['Payload'].read()


def tail(response):
    return base64.b64decode(response['LogResult']).decode()


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError('condition not met in time')
        time.sleep(0.05)


# -- marshalling: awslambdaric's lambda_runtime_marshaller ------------------

def test_a_decimal_result_is_a_json_number(lambda_client):
    response, body = invoke(lambda_client, 'toolbox-dev-Decimal', {})
    assert 'FunctionError' not in response
    assert body == b'{"price": 1.5}'


def test_a_bytes_result_passes_through_raw(lambda_client):
    response, body = invoke(lambda_client, 'toolbox-dev-Bytes', {})
    assert 'FunctionError' not in response
    assert body == b'not json \x00\x01'


def test_a_namedtuple_result_is_a_json_object(lambda_client):
    response, body = invoke(lambda_client, 'toolbox-dev-NamedTuple', {})
    assert json.loads(body) == {'latitude': 47.6, 'longitude': -122.3}


def test_a_result_of_exactly_the_response_limit_succeeds(lambda_client):
    response, body = invoke(lambda_client, 'toolbox-dev-Big', {'over': 0})
    assert 'FunctionError' not in response
    assert len(body) == 6_291_556


# -- what the handler receives ----------------------------------------------

def test_the_trace_header_of_an_invoke_reaches_the_sandbox_as_its_trace_id(runtime):
    trace = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1'
    answer = requests.post(f'{runtime.aws_url}/2015-03-31/functions/{ECHO}/invocations',
                           data=b'{}', headers={'X-Amzn-Trace-Id': trace}, timeout=10)
    assert answer.json()['trace_id'] == trace


def test_without_a_trace_header_the_sandbox_still_gets_a_trace_id(lambda_client):
    _, body = invoke(lambda_client, ECHO, {})
    assert re.match(r'^Root=1-[0-9a-f]{8}-[0-9a-f]{24};', json.loads(body)['trace_id'])


def test_a_chunked_request_body_reaches_the_handler(runtime):
    chunks = iter([b'{"chunked": ', b'"yes"}'])
    answer = requests.post(f'{runtime.aws_url}/2015-03-31/functions/{ECHO}/invocations',
                           data=chunks, timeout=10)  # a generator: Transfer-Encoding chunked
    assert answer.status_code == 200
    assert answer.json()['event'] == {'chunked': 'yes'}


# -- logs: the runtime client's format, Lambda's START/END/REPORT -----------

def test_logging_in_a_handler_writes_the_runtimes_line_format(lambda_client):
    response, _ = invoke(lambda_client, 'toolbox-dev-Log', {}, LogType='Tail')
    request_id = response['ResponseMetadata']['HTTPHeaders']['x-amzn-requestid']
    pattern = (r'\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t' + request_id +
               r'\ta unicorn was found\n')
    assert re.search(pattern, tail(response)), tail(response)


def test_the_error_line_in_a_tail_is_followed_by_the_traceback(lambda_client):
    response, _ = invoke(lambda_client, 'toolbox-dev-Fail', {}, LogType='Tail')
    log = tail(response)
    assert '[ERROR] NoUnicornAvailable: every unicorn is on a ride\n' \
           'Traceback (most recent call last):\n' in log
    assert "raise NoUnicornAvailable('every unicorn is on a ride')" in log


def test_a_timeouts_tail_keeps_what_the_handler_printed_before(lambda_client):
    response, _ = invoke(lambda_client, 'toolbox-dev-Sleep', {'seconds': 30}, LogType='Tail')
    log = tail(response)
    assert log.index('going to sleep') < log.index('Task timed out after 1.00 seconds')
    assert re.search(r'REPORT RequestId: \S+\tDuration: \d+\.\d\d ms', log)


# Lambda's platform lines around a new execution environment: AWS's developer
# guide ("Identifying Lambda runtime version changes") shows `INIT_START
# Runtime Version: python:3.13.v14<TAB>Runtime Version ARN:
# arn:aws:lambda:<region>::runtime:<id>`, written once per init, and the
# REPORT of an environment's first invocation carries `Init Duration`.
INIT_START = re.compile(r'^INIT_START Runtime Version: python:\d+\.\d+\.\S+\t'
                        r'Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:\S+$', re.M)
INIT_DURATION = re.compile(r'\tInit Duration: \d+\.\d\d ms\t')


def test_a_cold_starts_log_opens_with_init_start_and_reports_the_init_duration():
    with testing.lambda_runtime([TOOLBOX], max_sandboxes=1) as one_sandbox:
        client = one_sandbox.lambda_client(read_timeout=30)
        cold = tail(invoke(client, ECHO, {}, LogType='Tail')[0])
        warm = tail(invoke(client, ECHO, {}, LogType='Tail')[0])
    assert INIT_START.search(cold) and cold.index('INIT_START') < cold.index('START RequestId')
    assert INIT_DURATION.search(cold.split('REPORT RequestId', 1)[1])
    assert not INIT_START.search(warm) and not INIT_DURATION.search(warm)


# -- the sandbox's process ending --------------------------------------------

def test_sys_exit_0_in_a_handler_is_a_runtime_exit_error_without_a_reason(lambda_client):
    response, body = invoke(lambda_client, 'toolbox-dev-Exit', {})
    request_id = response['ResponseMetadata']['HTTPHeaders']['x-amzn-requestid']
    assert response['FunctionError'] == 'Unhandled'
    assert json.loads(body) == {
        'errorType': 'Runtime.ExitError',
        'errorMessage': f'RequestId: {request_id} Error: Runtime exited without providing a '
                        'reason'}


def test_an_app_that_fails_to_import_answers_200_with_its_init_error():
    with testing.lambda_runtime([BROKEN]) as runtime:
        assert 'broken-dev-Never' in runtime.functions  # read from the source
        response, body = invoke(runtime.lambda_client(read_timeout=30), 'broken-dev-Never', {})
    assert response['StatusCode'] == 200
    assert response['FunctionError'] == 'Unhandled'
    error = json.loads(body)
    assert (error['errorType'], error['errorMessage'], error['requestId']) == \
        ('Exception', 'Runtime startup fails', '')
    assert 'raise Exception(\'Runtime startup fails\')' in error['stackTrace'][-1]


# -- the Invoke API's answers -------------------------------------------------

def test_an_arn_in_another_region_is_not_reachable_from_this_one(lambda_client):
    arn = f'arn:aws:lambda:eu-west-1:123456789012:function:{ECHO}'
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as caught:
        lambda_client.invoke(FunctionName=arn)
    assert caught.value.response['Error']['Message'] == \
        "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"


@pytest.mark.parametrize('invocation_type, status', [('Event', 202), ('DryRun', 204)])
def test_only_request_response_names_the_executed_version(lambda_client, invocation_type,
                                                           status):
    response = lambda_client.invoke(FunctionName=ECHO, InvocationType=invocation_type)
    assert response['StatusCode'] == status
    assert 'ExecutedVersion' not in response
    assert 'x-amz-executed-version' not in response['ResponseMetadata']['HTTPHeaders']


# -- Event invocations: queued, all run, retried ------------------------------

def test_a_burst_of_200_event_invocations_is_accepted_and_every_one_runs(lambda_client,
                                                                         tmp_path):
    statuses = []
    for index in range(200):
        response, _ = invoke(lambda_client, 'toolbox-dev-Touch',
                             {'path': str(tmp_path / f'{index:03d}')}, InvocationType='Event')
        statuses.append(response['StatusCode'])
    assert statuses == [202] * 200
    wait_until(lambda: len(list(tmp_path.iterdir())) == 200, timeout=120)


def test_a_failing_event_is_retried_twice_then_logged():
    lines = []
    with testing.lambda_runtime([TOOLBOX], log=lines.append) as runtime:
        import tempfile
        with tempfile.TemporaryDirectory() as folder:
            attempts = f'{folder}/attempts'
            runtime.runtime.invoke_async('toolbox-dev-Flaky',
                                         json.dumps({'path': attempts}).encode())
            assert runtime.runtime.events.wait_until_done(timeout=30)
            with open(attempts) as attempted:
                request_ids = attempted.read().split()
    assert len(request_ids) == 3 and len(set(request_ids)) == 1  # one event, three attempts
    assert any('failed after 3 attempts: RuntimeError' in line for line in lines), lines


def test_invoke_async_of_an_unknown_function_is_not_found(runtime):
    from local_stack import wire
    with pytest.raises(wire.WireError) as caught:
        runtime.runtime.invoke_async('toolbox-dev-Missing', b'{}')
    assert caught.value.status == 404


def test_a_payload_in_another_encoding_is_the_runtime_clients_error_and_leaks_no_sandbox(
        runtime, lambda_client):
    for _ in range(3):  # more than one sandbox's worth: none is left busy
        answer = requests.post(f'{runtime.aws_url}/2015-03-31/functions/{ECHO}/invocations',
                               data='{"a": 1}'.encode('utf-16'), timeout=10)
        assert answer.status_code == 200
        assert answer.headers['X-Amz-Function-Error'] == 'Unhandled'
        assert answer.json()['errorType'] == 'Runtime.UnmarshalError'
    pool = runtime.runtime.pool(runtime.runtime.registry.lookup(ECHO))
    assert pool.stats()['in_flight'] == 0
    assert 'FunctionError' not in invoke(lambda_client, ECHO, {})[0]


def test_an_sns_handler_is_a_function_too_and_takes_an_event_invocation(lambda_client,
                                                                        tmp_path):
    marker = tmp_path / 'delivered'
    record = {'EventSource': 'aws:sns', 'EventVersion': '1.0',
              'Sns': {'Type': 'Notification', 'MessageId': 'm-1', 'Subject': str(marker),
                      'Message': 'a ride', 'MessageAttributes': {},
                      'TopicArn': 'arn:aws:sns:us-east-1:123456789012:rides',
                      'Timestamp': '2026-11-26T00:00:00.000Z'}}
    response, _ = invoke(lambda_client, 'toolbox-dev-OnRide', {'Records': [record]},
                         InvocationType='Event')
    assert response['StatusCode'] == 202
    wait_until(marker.exists)
    assert marker.read_text() == 'a ride'
