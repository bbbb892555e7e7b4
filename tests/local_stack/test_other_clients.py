"""The local runtime's wire as two other AWS clients read it: the AWS SDK
for JavaScript v3 (`@aws-sdk/client-lambda`, installed by `make install`
into tests/js) and the AWS CLI (the `awscli` package). Each row is what the
same call gets from AWS (LocalStack's recorded snapshots)."""
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from local_stack import testing
from tests.local_stack.conftest import TOOLBOX

JS_DIR = Path(__file__).resolve().parents[1] / 'js'
AWS_CLI = Path(sys.executable).parent / 'aws'
ECHO = 'toolbox-dev-Echo'
TOO_BIG = json.dumps({'blob': 'x' * (6 * 1024 * 1024)})

needs_node = pytest.mark.skipif(
    shutil.which('node') is None or not (JS_DIR / 'node_modules').is_dir(),
    reason='node or tests/js/node_modules missing (make install runs npm ci)')
needs_cli = pytest.mark.skipif(not AWS_CLI.exists(), reason='the awscli package is missing')


def js_invoke(runtime, **command_input):
    done = subprocess.run(
        ['node', str(JS_DIR / 'invoke.mjs')],
        input=json.dumps({'endpoint': runtime.aws_url, 'input': command_input}),
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cli_invoke(runtime, tmp_path, *args):
    out = tmp_path / 'out.json'
    done = subprocess.run(
        [str(AWS_CLI), 'lambda', 'invoke', '--endpoint-url', runtime.aws_url,
         '--region', 'us-east-1', *args, str(out)],
        capture_output=True, text=True, timeout=60,
        env={'PATH': '/usr/bin:/bin', 'AWS_ACCESS_KEY_ID': 'testing',
             'AWS_SECRET_ACCESS_KEY': 'testing', 'AWS_CONFIG_FILE': '/dev/null',
             'AWS_SHARED_CREDENTIALS_FILE': '/dev/null', 'AWS_MAX_ATTEMPTS': '1'})
    payload = out.read_text() if out.exists() else None
    return done, payload


@needs_node
def test_the_js_sdk_reads_a_result_and_the_executed_version(runtime):
    out = js_invoke(runtime, FunctionName=ECHO, Payload='{"from": "js"}')
    assert (out['StatusCode'], out['FunctionError'], out['ExecutedVersion']) == \
        (200, None, '$LATEST')
    assert json.loads(out['Payload'])['event'] == {'from': 'js'}


@needs_node
def test_the_js_sdk_reads_a_function_error(runtime):
    out = js_invoke(runtime, FunctionName='toolbox-dev-Fail', Payload='{}')
    assert (out['StatusCode'], out['FunctionError']) == (200, 'Unhandled')
    assert json.loads(out['Payload'])['errorType'] == 'NoUnicornAvailable'


@needs_node
def test_the_js_sdk_raises_resource_not_found_for_an_unknown_function(runtime):
    out = js_invoke(runtime, FunctionName='toolbox-dev-Missing')
    assert (out['name'], out['httpStatusCode'], out['Type']) == \
        ('ResourceNotFoundException', 404, 'User')
    assert out['message'].endswith('function:toolbox-dev-Missing:$LATEST')


@needs_node
def test_the_js_sdk_raises_request_entity_too_large_past_6_mb(runtime):
    out = js_invoke(runtime, FunctionName=ECHO, Payload=TOO_BIG)
    assert (out['name'], out['httpStatusCode']) == ('RequestEntityTooLargeException', 413)
    assert out['message'] == \
        'Request must be smaller than 6291456 bytes for the InvokeFunction operation'


@needs_node
def test_the_js_sdk_reads_an_accepted_event_without_a_version(runtime):
    out = js_invoke(runtime, FunctionName=ECHO, InvocationType='Event', Payload='{}')
    assert (out['StatusCode'], out['ExecutedVersion']) == (202, None)


@needs_node
def test_the_js_sdk_raises_too_many_requests_with_its_reason():
    with testing.lambda_runtime([TOOLBOX]) as runtime:
        client = runtime.lambda_client(read_timeout=15)
        busy = threading.Thread(target=client.invoke, kwargs={
            'FunctionName': 'toolbox-dev-Reserved', 'Payload': b'{"seconds": 3}'})
        busy.start()
        pool = runtime.runtime.pool(runtime.runtime.registry.lookup('toolbox-dev-Reserved'))
        deadline = time.monotonic() + 10
        while pool.stats()['in_flight'] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        out = js_invoke(runtime, FunctionName='toolbox-dev-Reserved', Payload='{}')
        busy.join(timeout=15)
    assert (out['name'], out['httpStatusCode'], out['Reason']) == \
        ('TooManyRequestsException', 429, 'ReservedFunctionConcurrentInvocationLimitExceeded')


@needs_cli
def test_the_aws_cli_writes_the_result_and_prints_the_status(runtime, tmp_path):
    done, payload = cli_invoke(runtime, tmp_path, '--function-name', ECHO,
                               '--payload', '{"from": "cli"}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {'StatusCode': 200, 'ExecutedVersion': '$LATEST'}
    assert json.loads(payload)['event'] == {'from': 'cli'}


@needs_cli
def test_the_aws_cli_reports_a_function_error(runtime, tmp_path):
    done, payload = cli_invoke(runtime, tmp_path, '--function-name', 'toolbox-dev-Fail')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)['FunctionError'] == 'Unhandled'
    assert json.loads(payload)['errorType'] == 'NoUnicornAvailable'


@needs_cli
def test_the_aws_cli_reports_request_entity_too_large(runtime, tmp_path):
    big = tmp_path / 'big.json'
    big.write_text(TOO_BIG)
    done, _ = cli_invoke(runtime, tmp_path, '--function-name', ECHO,
                         '--payload', f'fileb://{big}')
    assert done.returncode != 0
    assert 'An error occurred (RequestEntityTooLargeException) when calling the Invoke ' \
           'operation: Request must be smaller than 6291456 bytes' in done.stderr


@needs_cli
def test_the_aws_cli_reports_an_unknown_function(runtime, tmp_path):
    done, _ = cli_invoke(runtime, tmp_path, '--function-name', 'toolbox-dev-Missing')
    assert done.returncode != 0
    assert 'An error occurred (ResourceNotFoundException) when calling the Invoke operation: ' \
           'Function not found: ' in done.stderr
