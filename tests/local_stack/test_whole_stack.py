"""End to end through a running local stack (`local_stack.testing`): rides'
unchanged boto3 code invokes the fleet function through the local endpoint,
or calls the fleet's GET /unicorn; stopping the stack frees every port."""
import json
import os
import shutil
import socket
import subprocess

import pytest
import requests

from local_stack import testing
from tests.support.riders import new_rider

pytestmark = pytest.mark.stack

CATALOG = json.loads((testing.PROJECT_ROOT / 'ride_fleet' / 'chalicelib' / 'unicorns.json')
                     .read_text())
CATALOG_NAMES = {unicorn['Name'] for unicorn in CATALOG}
PICKUP = {'PickupLocation': {'Latitude': 47.6097, 'Longitude': -122.3331}}
FLEET_FUNCTION = 'wild-rydes-ride-fleet-dev-RequestUnicornInvoke'


@pytest.fixture(scope='module')
def stack():
    with testing.local_stack(transport='invoke') as running:
        yield running


def request_ride(stack):
    """POST /ride from a new rider of the stack's pool, signed in."""
    return requests.post(f'{stack.rides_url}/ride', json=PICKUP,
                         headers=stack.riders().new().headers,
                         timeout=30)


def test_post_ride_answers_201_with_a_unicorn_from_the_catalog_through_lambda_invoke(stack):
    answer = request_ride(stack)
    assert answer.status_code == 201, answer.text
    ride = answer.json()
    assert ride['Unicorn']['Name'] in CATALOG_NAMES
    assert ride['RideId']
    log = stack.log_text()
    assert f'lambda 200 {FLEET_FUNCTION} (RequestResponse)' in log
    assert '"GET /unicorn' not in log  # chalice local's request line


def test_what_a_deploy_creates_exists_with_the_same_names(stack):
    ssm = stack.client('ssm')
    parameter = ssm.get_parameter(Name='/wild-rydes-ride-fleet/dev/RequestUnicornInvokeArn')
    assert parameter['Parameter']['Value'] == stack.fleet_arn
    assert stack.fleet_arn == \
        f'arn:aws:lambda:us-east-1:123456789012:function:{FLEET_FUNCTION}'
    assert 'wild-rydes-ride-fleet-dev-unicorns' in stack.client('dynamodb').list_tables()[
        'TableNames']
    topics = [t['TopicArn'] for t in stack.client('sns').list_topics()['Topics']]
    assert 'arn:aws:sns:us-east-1:123456789012:wild-rydes-dev-rides' in topics
    assert stack['provisioned']['loaded']['Loaded'] == len(CATALOG)


def test_the_fleet_was_loaded_by_invoking_load_table(stack):
    assert 'lambda 200 wild-rydes-ride-fleet-dev-LoadTable (RequestResponse)' in \
        stack.log_text()


def test_boto3_invokes_every_function_of_both_apps(stack):
    client = stack.lambda_client(read_timeout=30)
    assert set(stack.functions) == {FLEET_FUNCTION, 'wild-rydes-ride-fleet-dev-LoadTable',
                                    'wild-rydes-dev-RequestRideInvoke',
                                    'wild-rydes-ride-record-dev-ListRideRecords',
                                    'wild-rydes-ride-record-dev-PutRideRecordSns'}
    unicorn = json.loads(client.invoke(FunctionName=stack.fleet_arn, Payload=b'{}')[
        'Payload'].read())
    assert unicorn['Name'] in CATALOG_NAMES
    response = client.invoke(FunctionName='wild-rydes-dev-RequestRideInvoke',
                             Payload=json.dumps(dict(PICKUP, RiderId=new_rider())).encode())
    ride = json.loads(response['Payload'].read())
    assert 'FunctionError' not in response, ride
    assert ride['Unicorn']['Name'] in CATALOG_NAMES


def test_a_domain_error_comes_back_as_its_class_name(stack):
    response = stack.lambda_client().invoke(FunctionName=FLEET_FUNCTION,
                                            Payload=b'{"RideId": 42}')
    error = json.loads(response['Payload'].read())
    assert response['FunctionError'] == 'Unhandled'
    assert error['errorType'] == 'InvalidRequest'


def test_the_apps_run_with_their_own_stage_environment(stack):
    fleet = stack.lambda_client().invoke(FunctionName=FLEET_FUNCTION, Payload=b'{}')
    assert 'FunctionError' not in fleet  # DYNAMODB_TABLE came from ride_fleet's config


def test_over_http_transport_then_stopping_frees_every_port():
    with testing.local_stack(transport='http') as stack:
        answer = request_ride(stack)
        assert answer.status_code == 201, answer.text + stack.log_text()[-3000:]
        assert answer.json()['Unicorn']['Name'] in CATALOG_NAMES
        log = stack.log_text()
        assert '"GET /unicorn?RideId=' in log
        assert f'lambda 200 {FLEET_FUNCTION}' not in log
        ports = [int(url.rsplit(':', 1)[1]) for url in
                 (stack.aws_url, stack.rides_url, stack.fleet_api_url, stack.record_url)]
        pids = stack['pids']
        assert not any(testing.port_is_free(port) for port in ports)
    assert all(testing.port_is_free(port) for port in ports)
    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_endpoint_alone_starts_without_chalice_local_or_provisioning():
    with testing.local_endpoint(provision=False) as endpoint:
        assert endpoint.rides_url is None and endpoint.fleet_url is None
        assert endpoint['provisioned'] is None
        client = endpoint.lambda_client()
        assert client.invoke(FunctionName=FLEET_FUNCTION,
                             InvocationType='DryRun')['StatusCode'] == 204
        assert endpoint.client('dynamodb').list_tables()['TableNames'] == []


@pytest.mark.skipif(shutil.which('aws') is None, reason='the AWS CLI is not installed')
def test_the_aws_cli_invokes_a_function_as_the_readme_shows(stack):
    version = subprocess.run(['aws', '--version'], capture_output=True, text=True, timeout=30)
    binary_format = (['--cli-binary-format', 'raw-in-base64-out']
                     if 'aws-cli/2' in version.stdout + version.stderr else [])
    env = {key: value for key, value in os.environ.items() if not key.startswith('AWS_')}
    env.update(AWS_ACCESS_KEY_ID='testing', AWS_SECRET_ACCESS_KEY='testing')
    done = subprocess.run(
        ['aws', 'lambda', 'invoke', '--endpoint-url', stack.aws_url, '--region', 'us-east-1',
         '--function-name', 'wild-rydes-dev-RequestRideInvoke', '--log-type', 'Tail',
         *binary_format, '--payload', json.dumps(dict(PICKUP, RiderId='cli-rider')), '/dev/stdout'],
        capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    ride, _, metadata = done.stdout.partition('}{')
    assert json.loads(ride + '}')['Unicorn']['Name'] in CATALOG_NAMES
    assert json.loads('{' + metadata)['StatusCode'] == 200


def test_the_runtime_serves_any_chalice_app_given_with_app():
    from tests.local_stack.conftest import TOOLBOX
    with testing.local_endpoint(provision=False, extra_args=['--app', str(TOOLBOX)]) as endpoint:
        assert FLEET_FUNCTION not in endpoint.functions
        response = endpoint.lambda_client().invoke(FunctionName='toolbox-dev-Echo',
                                                   Payload=b'{"from": "cli"}')
        assert json.loads(response['Payload'].read())['event'] == {'from': 'cli'}


@pytest.mark.parametrize('when', ['while starting', 'when ready'])
def test_ctrl_c_stops_the_stack_and_frees_its_port(tmp_path, when):
    import signal
    import sys
    import time
    port = testing.free_ports(1)[0]
    ready = tmp_path / 'ready.json'
    process = subprocess.Popen(
        [sys.executable, '-m', 'local_stack', '--aws-port', str(port), '--no-chalice-local',
         '--no-provision', '--ready-file', str(ready)],
        cwd=str(testing.PROJECT_ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        if when == 'when ready':
            while not ready.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert ready.exists()
        else:  # the endpoint binds its port once the signal handlers are in place
            while testing.port_is_free(port) and time.monotonic() < deadline:
                time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert 'Traceback' not in output
    assert testing.port_is_free(port)
