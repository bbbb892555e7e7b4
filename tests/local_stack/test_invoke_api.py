"""The local Lambda runtime as boto3 sees it: the Invoke API's status codes,
header names and values, and error codes as botocore parses them."""
import base64
import json
import threading
import time

import pytest
import requests
from botocore.exceptions import ClientError

from local_stack import function_arn, testing
from tests.local_stack.conftest import TOOLBOX

ECHO = 'toolbox-dev-Echo'
ECHO_ARN = function_arn(ECHO)


def invoke(client, name, payload=None, **kwargs):
    if payload is not None:
        kwargs['Payload'] = json.dumps(payload).encode()
    response = client.invoke(FunctionName=name, **kwargs)
    body = response['Payload'].read()
    return response, (json.loads(body) if body else None)


def headers(response):
    return response['ResponseMetadata']['HTTPHeaders']


@pytest.mark.parametrize('name, qualifier', [
    (ECHO, None),
    (ECHO_ARN, None),
    (ECHO_ARN, '$LATEST'),
    (ECHO, '$LATEST'),
    (f'{ECHO}:$LATEST', None),
    (f'{ECHO_ARN}:$LATEST', None),
    (f'123456789012:function:{ECHO}', None),
])
def test_a_function_is_found_by_name_by_arn_and_with_the_latest_qualifier(
        lambda_client, name, qualifier):
    extra = {'Qualifier': qualifier} if qualifier else {}
    response, result = invoke(lambda_client, name, {'hello': 'unicorn'}, **extra)
    assert response['StatusCode'] == 200
    assert response['ExecutedVersion'] == '$LATEST'
    assert 'FunctionError' not in response
    assert headers(response)['content-type'] == 'application/json'
    assert headers(response)['x-amz-executed-version'] == '$LATEST'
    assert result['event'] == {'hello': 'unicorn'}
    assert result['function_name'] == ECHO
    assert result['invoked_function_arn'] == ECHO_ARN


def test_the_context_carries_the_request_id_memory_and_remaining_time(lambda_client):
    response, result = invoke(lambda_client, ECHO, {})
    assert result['request_id'] == headers(response)['x-amzn-requestid']
    assert result['memory_limit_in_mb'] == '192'  # lambda_memory_size from config.json
    assert 3000 < result['remaining_ms'] <= 5000   # lambda_timeout 5 s


def test_no_payload_reaches_the_handler_as_an_empty_object(lambda_client):
    response = lambda_client.invoke(FunctionName=ECHO)
    assert json.loads(response['Payload'].read())['event'] == {}


def test_the_client_context_reaches_the_handler(lambda_client):
    context = base64.b64encode(json.dumps({'custom': {'who': 'test'}}).encode()).decode()
    _, result = invoke(lambda_client, ECHO, {}, ClientContext=context)
    assert result['client_context'] == {'custom': {'who': 'test'}}


def test_an_unknown_function_is_a_404_resource_not_found(lambda_client):
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as caught:
        lambda_client.invoke(FunctionName='toolbox-dev-Missing')
    error = caught.value.response
    assert error['ResponseMetadata']['HTTPStatusCode'] == 404
    assert error['ResponseMetadata']['HTTPHeaders']['x-amzn-errortype'] == \
        'ResourceNotFoundException'
    assert error['Error']['Code'] == 'ResourceNotFoundException'
    assert error['Type'] == 'User'
    assert error['Error']['Message'] == \
        f'Function not found: {function_arn("toolbox-dev-Missing")}:$LATEST'


def test_a_version_other_than_latest_is_not_found(lambda_client):
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as caught:
        lambda_client.invoke(FunctionName=ECHO, Qualifier='7')
    assert caught.value.response['Error']['Message'].endswith(f'{ECHO}:7')


def test_an_arn_of_another_account_is_not_found(lambda_client):
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName=ECHO_ARN.replace('123456789012', '999999999999'))


def test_the_not_found_body_carries_type_and_message_under_the_key_message_capitalised(
        runtime):
    answer = requests.post(f'{runtime.aws_url}/2015-03-31/functions/nope/invocations',
                           data=b'{}', timeout=5)
    assert answer.status_code == 404
    assert answer.headers['x-amzn-ErrorType'] == 'ResourceNotFoundException'
    assert set(answer.json()) == {'Type', 'Message'}


def test_a_payload_that_is_not_json_is_a_400_invalid_request_content(lambda_client):
    with pytest.raises(lambda_client.exceptions.InvalidRequestContentException) as caught:
        lambda_client.invoke(FunctionName=ECHO, Payload=b'{not json')
    response = caught.value.response
    assert response['ResponseMetadata']['HTTPStatusCode'] == 400
    assert response['ResponseMetadata']['HTTPHeaders']['x-amzn-errortype'] == \
        'InvalidRequestContentException'
    assert 'Could not parse request body into json' in response['Error']['Message']


def test_a_payload_over_6_mb_is_a_413_request_entity_too_large(lambda_client):
    payload = json.dumps({'blob': 'x' * (6 * 1024 * 1024)}).encode()
    with pytest.raises(ClientError) as caught:
        lambda_client.invoke(FunctionName=ECHO, Payload=payload)
    response = caught.value.response
    # not in botocore's model: a plain ClientError, not RequestTooLargeException
    assert not isinstance(caught.value, lambda_client.exceptions.RequestTooLargeException)
    assert response['Error']['Code'] == 'RequestEntityTooLargeException'
    assert response['Error']['Message'] == \
        'Request must be smaller than 6291456 bytes for the InvokeFunction operation'
    assert response['ResponseMetadata']['HTTPStatusCode'] == 413
    assert response['ResponseMetadata']['HTTPHeaders']['x-amzn-errortype'] == \
        'RequestEntityTooLargeException'


def test_a_payload_just_under_6_mb_runs(lambda_client):
    payload = json.dumps({'blob': 'x' * (6 * 1024 * 1024 - 100)}).encode()
    response = lambda_client.invoke(FunctionName='toolbox-dev-Sleep',
                                    Payload=payload.replace(b'{', b'{"seconds": 0, ', 1))
    assert 'FunctionError' not in response


def test_a_handler_that_raises_answers_200_with_an_unhandled_function_error(lambda_client):
    response, error = invoke(lambda_client, 'toolbox-dev-Fail', {})
    assert response['StatusCode'] == 200
    assert response['FunctionError'] == 'Unhandled'
    assert headers(response)['x-amz-function-error'] == 'Unhandled'
    assert error['errorType'] == 'NoUnicornAvailable'
    assert error['errorMessage'] == 'every unicorn is on a ride'
    assert isinstance(error['stackTrace'], list)
    assert any('app.py' in frame and 'in fail' in frame for frame in error['stackTrace'])


def test_a_handler_past_its_timeout_is_stopped_and_answered_like_lambda(lambda_client):
    started = time.monotonic()
    response, error = invoke(lambda_client, 'toolbox-dev-Sleep', {'seconds': 30},
                             LogType='Tail')
    assert time.monotonic() - started < 4  # Sleep's lambda_timeout is 1 s
    assert response['FunctionError'] == 'Unhandled'
    assert error['errorType'] == 'Sandbox.Timedout'
    assert error['errorMessage'].endswith('Task timed out after 1.00 seconds')
    assert 'Task timed out after 1.00 seconds' in base64.b64decode(response['LogResult']).decode()
    response, result = invoke(lambda_client, 'toolbox-dev-Sleep', {'seconds': 0})
    assert 'FunctionError' not in response and result['slept'] == 0


def test_a_result_that_is_not_json_serializable_is_a_function_error(lambda_client):
    response, error = invoke(lambda_client, 'toolbox-dev-Unserializable', {})
    assert response['StatusCode'] == 200
    assert response['FunctionError'] == 'Unhandled'
    assert error['errorType'] == 'Runtime.MarshalError'
    assert error['errorMessage'] == \
        'Unable to marshal response: Object of type set is not JSON serializable'
    assert 'FunctionError' not in invoke(lambda_client, ECHO, {})[0]


def test_a_result_over_6_mb_is_a_function_error(lambda_client):
    response, error = invoke(lambda_client, 'toolbox-dev-Big', {})
    assert response['FunctionError'] == 'Unhandled'
    assert error == {'errorType': 'Function.ResponseSizeTooLarge',
                     'errorMessage': 'Response payload size exceeded maximum allowed payload '
                                     'size (6291556 bytes).'}


def test_a_crashed_worker_is_replaced_and_the_next_invocation_works(lambda_client):
    response, error = invoke(lambda_client, 'toolbox-dev-Crash', {})
    assert response['FunctionError'] == 'Unhandled'
    assert error['errorType'] == 'Runtime.ExitError'
    assert 'exit status 3' in error['errorMessage']
    response, error = invoke(lambda_client, 'toolbox-dev-Crash', {})
    assert error['errorType'] == 'Runtime.ExitError'  # a new worker ran it again
    assert 'FunctionError' not in invoke(lambda_client, ECHO, {})[0]


def test_log_type_tail_returns_the_invocations_log_in_base64(lambda_client):
    response, _ = invoke(lambda_client, ECHO, {'say': 'hi'}, LogType='Tail')
    log = base64.b64decode(headers(response)['x-amz-log-result']).decode()
    assert response['LogResult'] == headers(response)['x-amz-log-result']
    assert f"START RequestId: {headers(response)['x-amzn-requestid']}" in log
    assert "echo got {'say': 'hi'}" in log
    assert 'REPORT RequestId' in log


def test_log_tail_is_the_last_4_kb(lambda_client):
    response, _ = invoke(lambda_client, 'toolbox-dev-Noisy', {}, LogType='Tail')
    log = base64.b64decode(response['LogResult'])
    assert len(log) == 4096
    assert b'line 0399' in log and b'line 0001' not in log


def test_without_log_type_there_is_no_log_result(lambda_client):
    response, _ = invoke(lambda_client, ECHO, {})
    assert 'LogResult' not in response
    assert 'x-amz-log-result' not in headers(response)


def test_the_errors_log_tail_shows_the_exception(lambda_client):
    response, _ = invoke(lambda_client, 'toolbox-dev-Fail', {}, LogType='Tail')
    log = base64.b64decode(response['LogResult']).decode()
    assert 'about to fail' in log
    assert '[ERROR] NoUnicornAvailable: every unicorn is on a ride' in log


def test_event_answers_202_and_runs_in_the_background(lambda_client, tmp_path):
    marker = tmp_path / 'touched'
    response, body = invoke(lambda_client, 'toolbox-dev-Touch', {'path': str(marker)},
                            InvocationType='Event')
    assert response['StatusCode'] == 202
    assert body is None
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists()


def test_dry_run_answers_204_without_running(lambda_client, tmp_path):
    marker = tmp_path / 'touched'
    response, body = invoke(lambda_client, 'toolbox-dev-Touch', {'path': str(marker)},
                            InvocationType='DryRun')
    assert response['StatusCode'] == 204
    assert body is None
    time.sleep(0.3)
    assert not marker.exists()


def test_dry_run_of_an_unknown_function_is_not_found(lambda_client):
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName='toolbox-dev-Missing', InvocationType='DryRun')


def test_module_state_lives_as_long_as_the_worker():
    with testing.lambda_runtime([TOOLBOX], max_sandboxes=1) as one_worker:
        client = one_worker.lambda_client()
        first = invoke(client, ECHO, {})[1]
        second = invoke(client, ECHO, {})[1]
    assert second['pid'] == first['pid']
    assert second['count'] == first['count'] + 1


def test_an_event_payload_over_1_mb_is_a_413(lambda_client):
    payload = json.dumps({'blob': 'x' * (1024 * 1024)}).encode()
    with pytest.raises(ClientError) as caught:
        lambda_client.invoke(FunctionName=ECHO, InvocationType='Event', Payload=payload)
    error = caught.value.response['Error']
    assert error['Code'] == 'RequestEntityTooLargeException'
    assert error['Message'] == (f'{len(payload)} byte payload is too large for the Event '
                                'invocation type (limit 1048576 bytes)')


def test_an_unknown_invocation_type_is_a_400(lambda_client):
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.invoke(FunctionName=ECHO, InvocationType='Sometimes')


def test_each_app_runs_with_its_own_stage_environment_and_nothing_of_this_process(
        lambda_client):
    toolbox = invoke(lambda_client, 'toolbox-dev-Environment', {})[1]
    other = invoke(lambda_client, 'other-dev-Peek', {})[1]
    env = toolbox['environ']
    assert env['TOOLBOX_GLOBAL'] == 'top' and env['TOOLBOX_STAGE'] == 'dev'
    assert env['SHARED_NAME'] == 'from-toolbox'
    assert 'SLEEP_ONLY' not in env  # another function's variable
    assert env['AWS_LAMBDA_FUNCTION_NAME'] == 'toolbox-dev-Environment'
    assert env['AWS_ENDPOINT_URL'].startswith('http://127.0.0.1:')
    assert 'LOCAL_STACK_TEST_CANARY' not in env
    assert other['environ']['SHARED_NAME'] == 'from-other'
    assert not any(name.startswith('TOOLBOX_') for name in other['environ'])
    assert 'LOCAL_STACK_TEST_CANARY' not in other['environ']
    assert other['toolbox_loaded'] is False
    assert not any('toolbox' in entry for entry in other['path'])


def test_per_function_environment_variables_apply_to_that_function(lambda_client):
    assert invoke(lambda_client, 'toolbox-dev-Sleep', {'seconds': 0})[1]['sleep_only'] == 'yes'


def test_concurrent_invocations_of_one_function_run_in_different_workers(lambda_client):
    results = []

    def call():
        results.append(invoke(lambda_client, 'toolbox-dev-Sleep', {'seconds': 0.5})[1])

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert len(results) == 2
    assert results[0]['pid'] != results[1]['pid']


def test_other_aws_requests_go_to_moto(runtime):
    sts = runtime.client('sts')
    assert sts.get_caller_identity()['Account'] == '123456789012'


def test_a_body_far_over_the_limit_is_read_away_and_answered_413(runtime):
    answer = requests.post(f'{runtime.aws_url}/2015-03-31/functions/{ECHO}/invocations',
                           data=b'"' + b'x' * (12 * 1024 * 1024) + b'"', timeout=30)
    assert answer.status_code == 413
    assert answer.headers['x-amzn-ErrorType'] == 'RequestEntityTooLargeException'
    assert answer.json()['Type'] == 'User'
